/*
 * The HTTP side of `ward serve`: libmicrohttpd with a pool of epoll event
 * loops, body collection under limits, routing, auth, metrics, and the
 * thread that swaps in a new index when the store changes.
 *
 * Why epoll threads and not a thread per connection: a thousand idle or
 * slow (slowloris) connections then cost a file descriptor each, not a
 * thread, and cannot starve the clients that are actually sending.
 *
 * Uploads (bytes to /v1/match and /v1/hash) are decoded by a bounded pool of
 * workers (pool.c), never on an event loop: their connection is suspended
 * while a worker decodes and matches, and resumed to send the answer. A
 * decode takes tens of milliseconds, a batch lookup well under one; on the
 * event loop, four uploads on two cores held batch answers up by 300 ms.
 * When every worker is busy and the queue is full an upload is answered 503
 * with Retry-After at once, so a burst of uploads cannot pile up memory and
 * latency without bound.
 */
#include "serve/serve_int.h"
#include "serve/handlers.h"
#include "serve/pool.h"
#include "web/web.h"
#include "util/error.h"
#include <ward/index.h> /* the PDQ defaults */

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ward/report.h>

struct ward_server {
    svc_ctx ctx;                 /* what the handlers see */
    struct MHD_Daemon *daemon;
    char *tls_cert, *tls_key;    /* PEM text */
    pthread_t reloader;
    int reloader_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping, reload_now;
};

void ward_serve_opts_default(ward_serve_opts *o)
{
    memset(o, 0, sizeof *o);
    o->address = "127.0.0.1";
    o->port = 8077;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 2 ? (int)cpus * 2 : 4;
    o->upload_workers = cpus > 1 ? (int)cpus : 1;
    o->batch_workers = cpus > 1 ? (int)cpus : 1;
    o->upload_queue = -1; /* 4 x upload_workers */
    o->max_upload = 64u << 20;
    o->max_json = 4u << 20;
    o->max_batch = 1000;
    o->timeout_s = 30;
    o->max_connections = 4096;
    o->reload_interval_s = 5;
    o->checkpoint_records = 1000;
    o->checkpoint_minutes = 60;
    o->review_deadline_h = 24;
    o->flood_keys = 5;
    o->flood_hours = 24;
    o->reporter = "ward";
    o->max_pixels = 100u * 1000 * 1000;
    o->index_memory = (uint64_t)1 << 30;
    o->radius = WARD_INDEX_PDQ_RADIUS;
    o->report_per_hour = 5;
    o->duty_escalate_minutes = 15;
    o->duty_escalate_to = "duty-manager";
}

double svc_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- per-request state -------------------------------------------------- */

typedef struct request {
    double t0;
    int ep;
    const struct route *route; /* API route decided from the headers */
    char key_id[24];           /* the caller's key, checked from the headers */
    unsigned scopes;
    char *body;
    size_t len, cap, limit;
    int too_big;
    /* An upload handed to a worker: what the worker needs (MHD keeps url
     * and method while the connection is suspended), and its answer. */
    enum { JOB_NONE, JOB_QUEUED, JOB_DONE } job;
    svc_ctx *ctx;
    struct MHD_Connection *conn;
    const char *url, *method;
    svc_reply rep;
} request;

static int is_json(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    return ct && strncmp(ct, "application/json", 16) == 0;
}

static int append_body(request *r, const char *data, size_t n)
{
    if (r->too_big || n > r->limit - r->len) {
        r->too_big = 1; /* keep reading and dropping: the answer is 413 */
        free(r->body);  /* and hold nothing while the client goes on sending */
        r->body = NULL;
        r->len = r->cap = 0;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 64 * 1024;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b)
            return -1;
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = 0; /* JSON bodies are parsed as C strings */
    return 0;
}

/* ---- responses ------------------------------------------------------------ */

static enum MHD_Result send_reply(struct MHD_Connection *c, svc_reply *rep, int tls)
{
    size_t len = rep->body ? strlen(rep->body) : 0;
    if (rep->body_len)
        len = rep->body_len;
    struct MHD_Response *resp =
        rep->has_fd ? MHD_create_response_from_fd64(rep->fd_size, rep->fd)
                    : MHD_create_response_from_buffer(len, rep->body ? rep->body : (char *)"",
                                                      rep->body ? MHD_RESPMEM_MUST_FREE
                                                                : MHD_RESPMEM_PERSISTENT);
    if (rep->has_fd && !resp)
        close(rep->fd); /* on success MHD closes it */
    if (rep->has_fd && rep->body) {
        free(rep->body);
        rep->body = NULL;
    }
    if (!resp) {
        free(rep->body);
        return MHD_NO;
    }
    rep->body = NULL;
    MHD_add_response_header(resp, "Content-Type",
                            rep->content_type ? rep->content_type : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (tls) /* ward itself serves TLS: browsers must not fall back to plain HTTP */
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (rep->retry_after[0])
        MHD_add_response_header(resp, "Retry-After", rep->retry_after);
    if (rep->allow[0])
        MHD_add_response_header(resp, "Allow", rep->allow);
    if (rep->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"ward\"");
    if (rep->set_cookie[0])
        MHD_add_response_header(resp, "Set-Cookie", rep->set_cookie);
    if (rep->location[0])
        MHD_add_response_header(resp, "Location", rep->location);
    if (rep->content_type && strncmp(rep->content_type, "text/html", 9) == 0) {
        /* Pages of the web application: no scripts, nothing from elsewhere,
         * never framed (clickjacking), forms only back to us. */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                rep->csp ? rep->csp
                                : "default-src 'none'; style-src 'self'; img-src 'self';"
                                  " form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    }
    enum MHD_Result r = MHD_queue_response(c, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* The key from "Authorization: Bearer ..." or "X-Api-Key". */
static const char *request_token(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0)
        return h + 7;
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
}

/* 0 if the request may go on; else the reply is filled. */
static int authorize(svc_ctx *ctx, struct MHD_Connection *c, unsigned scope, char key_id[24],
                     unsigned *scopes, svc_reply *rep)
{
    double retry = 0;
    switch (svc_auth_check(ctx->auth, request_token(c), scope, key_id, scopes, &retry)) {
    case AUTH_OK:
        return 0;
    case AUTH_MISSING:
        atomic_fetch_add(&ctx->metrics.auth_failures, 1);
        svc_error(rep, 401, "unauthorized",
                  "an API key is required: 'Authorization: Bearer wk_...' (see ward apikey)");
        return -1;
    case AUTH_BAD:
        atomic_fetch_add(&ctx->metrics.auth_failures, 1);
        svc_error(rep, 401, "unauthorized", "unknown, revoked or malformed API key");
        return -1;
    case AUTH_SCOPE: {
        char sc[64];
        svc_error(rep, 403, "forbidden", "this key lacks the '%s' scope",
                  ward_scopes_format(scope, sc, sizeof sc));
        return -1;
    }
    case AUTH_RATE:
        atomic_fetch_add(&ctx->metrics.rate_limited, 1);
        /* whole seconds, at least 1, at most a day (a tiny rate would
         * otherwise overflow the cast) */
        snprintf(rep->retry_after, sizeof rep->retry_after, "%d",
                 retry < 1 ? 1 : retry > 86400 ? 86400 : (int)(retry + 0.999));
        svc_error(rep, 429, "rate_limited", "rate limit of this key exceeded; retry in %s s",
                  rep->retry_after);
        return -1;
    }
    return -1;
}

/* ---- routing -------------------------------------------------------------- */

typedef struct route {
    const char *method;
    const char *prefix;  /* path, or prefix when it ends with '/' */
    int ep;
    unsigned scope;      /* 0: no key needed */
    void (*fn)(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
} route;

static const route routes[] = {
    {"GET", "/v1/health", EP_HEALTH, 0, svc_health},
    {"GET", "/v1/metrics", EP_METRICS, 0, svc_metrics_page},
    {"POST", "/v1/hash", EP_HASH, WARD_SCOPE_MATCH, svc_hash},
    {"POST", "/v1/match", EP_MATCH, WARD_SCOPE_MATCH, svc_match},
    {"GET", "/v1/events", EP_EVENTS, WARD_SCOPE_REVIEW, svc_events},
    {"GET", "/v1/events/", EP_EVENTS, WARD_SCOPE_REVIEW, svc_event},
    {"POST", "/v1/events/", EP_EVENTS, WARD_SCOPE_SUBMIT, svc_evidence},
    {"POST", "/v1/reviews", EP_REVIEWS, WARD_SCOPE_REVIEW, svc_reviews},
    {"GET", "/v1/reports/", EP_REPORTS, WARD_SCOPE_REVIEW, svc_report},
    {"POST", "/v1/admin/reload", EP_ADMIN, WARD_SCOPE_ADMIN, svc_reload},
    {"GET", "/v1/audit/checkpoint", EP_ADMIN, WARD_SCOPE_ADMIN, svc_audit_checkpoint},
    {"GET", "/v1/releases/", EP_RELEASES, WARD_SCOPE_MATCH, svc_releases},
};
#define NROUTES (sizeof routes / sizeof *routes)

static int path_matches(const char *prefix, const char *url)
{
    size_t n = strlen(prefix);
    if (prefix[n - 1] == '/')
        return strncmp(url, prefix, n) == 0 && url[n];
    return strcmp(url, prefix) == 0;
}

/* The endpoint a URL belongs to (for metrics and limits), whatever the method. */
static const route *find_route(const char *url, const char *method, int *path_known,
                               char allow[64])
{
    *path_known = 0;
    allow[0] = 0;
    const route *hit = NULL;
    for (size_t i = 0; i < NROUTES; i++) {
        if (!path_matches(routes[i].prefix, url))
            continue;
        *path_known = 1;
        if (!strstr(allow, routes[i].method))
            snprintf(allow + strlen(allow), 64 - strlen(allow), "%s%s", allow[0] ? ", " : "",
                     routes[i].method);
        if (strcmp(routes[i].method, method) == 0 && !hit)
            hit = &routes[i];
    }
    return hit;
}

static void dispatch(svc_ctx *ctx, struct MHD_Connection *c, const char *url,
                     const char *method, request *r, svc_reply *rep)
{
    if (strncmp(url, "/v1/", 4) != 0) {  /* the analysts' web application */
        svc_request wreq = {.conn = c, .url = url, .tail = url, .body = r->body, .len = r->len,
                            .method = method};
        if (r->too_big)
            svc_web_error(ctx, &wreq, rep, 413, "The form was larger than a page accepts.");
        else
            svc_web(ctx, &wreq, rep);
        return;
    }
    const route *rt = r->route; /* found and authorized by precheck */
    if (r->too_big) {
        svc_error(rep, 413, "payload_too_large", "request body over the limit of %zu bytes",
                  r->limit);
        return;
    }
    svc_request req = {.conn = c, .url = url, .tail = url + strlen(rt->prefix),
                       .body = r->body, .len = r->len, .json = is_json(c),
                       .method = method, .scopes = r->scopes};
    memcpy(req.key_id, r->key_id, sizeof req.key_id);
    rt->fn(ctx, &req, rep);
}

/*
 * Decide from the headers alone, before any body is read, whether an API
 * request can be answered at all: no such endpoint, wrong method, no or a
 * bad key, the wrong scope, over the rate limit or a declared body over the
 * limit. Such a request is refused at once, so a client without a key can
 * never make the server buffer a body. 0: go on reading the body.
 */
static int precheck(svc_ctx *ctx, struct MHD_Connection *c, const char *url, const char *method,
                    request *r, svc_reply *rep)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (strncmp(url, "/v1/", 4) == 0) {
        int known;
        char allow[64];
        const route *rt = find_route(url, method, &known, allow);
        if (!rt && known) {
            snprintf(rep->allow, sizeof rep->allow, "%s", allow);
            svc_error(rep, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                      method, url, allow);
            return -1;
        }
        if (!rt) {
            svc_error(rep, 404, "not_found", "no such endpoint: %s", url);
            return -1;
        }
        r->route = rt;
        r->ep = rt->ep;
        if (rt->scope && authorize(ctx, c, rt->scope, r->key_id, &r->scopes, rep) != 0)
            return -1;
    }
    if (cl && strtoull(cl, NULL, 10) > r->limit) {
        svc_request wreq = {.conn = c, .url = url, .tail = url, .method = method};
        if (strncmp(url, "/v1/", 4) != 0) /* a page's URL answers with a page */
            svc_web_error(ctx, &wreq, rep, 413, "The form was larger than a page accepts.");
        else
            svc_error(rep, 413, "payload_too_large", "request body of %s bytes is over the "
                      "limit of %zu bytes", cl, r->limit);
        return -1;
    }
    return 0;
}

static int endpoint_of(const char *url)
{
    for (size_t i = 0; i < NROUTES; i++)
        if (path_matches(routes[i].prefix, url))
            return routes[i].ep;
    return EP_OTHER;
}

/* Metrics for every answer, and the log's line when it wants requests. */
static void observe(svc_ctx *ctx, const request *r, const char *method, const char *url,
                    int status)
{
    double seconds = svc_mono() - r->t0;
    svc_metrics_observe(&ctx->metrics, r->ep, status, seconds);
    if (ctx->opts.log && ctx->opts.log_requests) {
        ward_serve_event ev = {"request", method, url, status, seconds, r->key_id, 0, NULL};
        ctx->opts.log(ctx->opts.log_ctx, &ev);
    }
}

/* Requests that decode: file bytes to /v1/match and /v1/hash. */
static int decodes(struct MHD_Connection *c, const request *r)
{
    return r->route && (r->ep == EP_MATCH || r->ep == EP_HASH) && !r->too_big && !is_json(c);
}

static void finish_reply(svc_ctx *ctx, struct MHD_Connection *c, const char *url,
                         const char *method, svc_reply *rep)
{
    if (!rep->status && strncmp(url, "/v1/", 4) != 0) {
        svc_request wreq = {.conn = c, .url = url, .tail = url, .method = method};
        svc_web_error(ctx, &wreq, rep, 500, "No page was produced.");
    } else if (!rep->status) {
        svc_error(rep, 500, "internal", "no reply was produced");
    }
}

/* On a worker: the handler runs as it would on the event loop; then (its
 * slot free) the connection is resumed, and on_request sends r->rep. */
static void run_job(void *arg)
{
    request *r = arg;
    dispatch(r->ctx, r->conn, r->url, r->method, r, &r->rep);
    finish_reply(r->ctx, r->conn, r->url, r->method, &r->rep);
}

static void job_done(void *arg)
{
    request *r = arg;
    r->job = JOB_DONE; /* published to the event loop by MHD's resume lock */
    MHD_resume_connection(r->conn);
}

/* Requests matched on the batch workers: JSON batches to /v1/match of at
 * least BATCH_OFFLOAD_BYTES (about 20 hashes). A batch of 100 takes ~0.6 ms
 * of CPU, mostly PDQ searches. On the event loop, the connections an event
 * loop happens to hold are answered one after another while another event
 * loop idles: with 4 clients on 2 cores, two or more of them often share a
 * loop, and the server then used one core. On the workers (one per CPU,
 * one shared queue) every core matches whatever batch waits, whichever
 * loop received it. A small batch is answered on its loop: handing it over
 * (suspend, queue, resume) would cost more than it saves. */
#define BATCH_OFFLOAD_BYTES 2048

static int batch_offloads(svc_ctx *ctx, struct MHD_Connection *c, const request *r)
{
    return ctx->batches && r->route && r->ep == EP_MATCH && !r->too_big &&
           r->len >= BATCH_OFFLOAD_BYTES && is_json(c);
}

/* Suspend the connection and queue its request on pool (a slot reserved). */
static void to_pool(svc_pool *pool, svc_ctx *ctx, struct MHD_Connection *c, const char *url,
                    const char *method, request *r)
{
    r->ctx = ctx;
    r->conn = c;
    r->url = url;
    r->method = method;
    r->job = JOB_QUEUED;
    /* Suspended before the job exists: a worker may finish it at once. */
    MHD_suspend_connection(c);
    svc_pool_submit(pool, run_job, job_done, r);
}

/* Hand an upload to the workers: 0, or -1 with a 503 in rep (all busy). */
static int offload(svc_ctx *ctx, struct MHD_Connection *c, const char *url, const char *method,
                   request *r, svc_reply *rep)
{
    svc_pool *pool = ctx->uploads;
    if (svc_pool_reserve(pool) != 0) {
        atomic_fetch_add(&ctx->metrics.uploads_busy, 1);
        snprintf(rep->retry_after, sizeof rep->retry_after, "1");
        svc_error(rep, 503, "busy", "all %d upload workers are busy and %d uploads wait; "
                  "retry in 1 s", ctx->opts.upload_workers, ctx->opts.upload_queue);
        return -1;
    }
    to_pool(pool, ctx, c, url, method, r);
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    svc_ctx *ctx = cls;
    request *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        r->t0 = svc_mono();
        r->ep = endpoint_of(url);
        r->limit = is_json(c) ? ctx->opts.max_json : ctx->opts.max_upload;
        if (strncmp(url, "/v1/", 4) != 0)
            r->limit = WEB_MAX_FORM; /* pages take small forms, never uploads */
        *con_cls = r;
        svc_reply rep = {0};
        if (precheck(ctx, c, url, method, r, &rep) != 0) {
            /* Refused before reading a byte of the body; MHD then closes
             * the connection instead of draining it. */
            observe(ctx, r, method, url, rep.status);
            return send_reply(c, &rep, ctx->opts.tls_cert != NULL);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (append_body(r, upload, *upload_size) != 0)
            return MHD_NO; /* out of memory: drop the connection */
        *upload_size = 0;
        return MHD_YES;
    }
    svc_reply rep = {0};
    if (r->job == JOB_DONE) { /* resumed: the worker's answer */
        rep = r->rep;
        memset(&r->rep, 0, sizeof r->rep);
    } else if (decodes(c, r)) {
        if (offload(ctx, c, url, method, r, &rep) == 0)
            return MHD_YES; /* suspended until a worker is done */
    } else if (batch_offloads(ctx, c, r) && svc_pool_reserve(ctx->batches) == 0) {
        to_pool(ctx->batches, ctx, c, url, method, r);
        return MHD_YES; /* (queue full: matched here, as before) */
    } else {
        dispatch(ctx, c, url, method, r, &rep);
        finish_reply(ctx, c, url, method, &rep);
    }
    observe(ctx, r, method, url, rep.status);
    return send_reply(c, &rep, ctx->opts.tls_cert != NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request *r = *con_cls;
    if (r) {
        free(r->body);
        free(r->rep.body); /* a worker's answer never sent */
        if (r->rep.has_fd)
            close(r->rep.fd);
        free(r);
        *con_cls = NULL;
    }
}

/* ---- reloads ------------------------------------------------------------------ */

static void reload_once(ward_server *s)
{
    int changed = 0;
    ward_error err;
    ward_serve_event ev = {NULL, NULL, NULL, 0, 0, NULL, 0, NULL};
    if (ward_match_reload(s->ctx.match, &changed, &err) != WARD_OK) {
        atomic_fetch_add(&s->ctx.metrics.reload_failures, 1);
        ev.kind = "reload_failed";
        ev.message = err.message;
    } else if (changed) {
        atomic_fetch_add(&s->ctx.metrics.reloads, 1);
        ward_match_info info;
        ward_match_get_info(s->ctx.match, &info);
        ev.kind = "reload";
        ev.revision = info.store_revision;
    }
    if (ev.kind && s->ctx.opts.log)
        s->ctx.opts.log(s->ctx.opts.log_ctx, &ev);
    /* on failure the lists in memory stay; the next tick tries again */
    (void)svc_auth_refresh(s->ctx.auth, NULL);
    (void)svc_allow_refresh(s->ctx.state, NULL); /* what other nodes allow-listed */
    (void)svc_victim_refresh(s->ctx.victim, &err); /* series, quarantine: the old ones stay */
    svc_checkpoint_tick(&s->ctx);
    svc_duty_tick(&s->ctx);
}

static void *reloader_main(void *arg)
{
    ward_server *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double at = until.tv_sec + until.tv_nsec / 1e9 + s->ctx.opts.reload_interval_s;
        until.tv_sec = (time_t)at;
        until.tv_nsec = (long)((at - (double)until.tv_sec) * 1e9);
        while (!s->stopping && !s->reload_now &&
               pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
            ;
        if (s->stopping)
            break;
        s->reload_now = 0;
        pthread_mutex_unlock(&s->lock);
        reload_once(s);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

void ward_server_reload(ward_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->reload_now = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

/* libmicrohttpd's own unescaping turns "%00" into a NUL, and the path
 * handlers see then ends there: /v1/events/1%00 would read event 1. Every
 * other %HH is decoded as usual; "%00" stays as written, so such a path
 * names nothing and such an argument is refused by whoever reads it. */
static size_t unescape_keep_nul(void *cls, struct MHD_Connection *c, char *s)
{
    char *out = s;
    for (const char *in = s; *in; in++) {
        unsigned v;
        if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2]) &&
            sscanf(in + 1, "%2x", &v) == 1 && v != 0) {
            *out++ = (char)v;
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = 0;
    return (size_t)(out - s);
}

/* ---- start and stop --------------------------------------------------------------- */

static char *read_pem(const char *path, ward_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        err_fail_errno(err, errno, "cannot read %s", path);
        return NULL;
    }
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf) {
        err_fail(err, WARD_ENOMEM, "out of memory");
        return NULL;
    }
    buf[n] = 0;
    if (!strstr(buf, "-----BEGIN")) {
        err_fail(err, WARD_EFORMAT, "%s is not a PEM file", path);
        free(buf);
        return NULL;
    }
    return buf;
}

static ward_status copy_opts(ward_server *s, const ward_serve_opts *o, ward_error *err)
{
    s->ctx.opts = *o;
    if (o->upload_workers < 1)
        s->ctx.opts.upload_workers = 1;
    if (o->upload_queue < 0)
        s->ctx.opts.upload_queue = 4 * s->ctx.opts.upload_workers;
    if (o->batch_workers < 1)
        s->ctx.opts.batch_workers = 1;
    if (!o->datadir)
        return err_fail(err, WARD_EINVAL, "no data directory");
    if ((o->tls_cert == NULL) != (o->tls_key == NULL))
        return err_fail(err, WARD_EINVAL, "TLS needs both a certificate and a key");
    if (o->tls_cert) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
            return err_fail(err, WARD_EUNSUPPORTED, "this libmicrohttpd was built without TLS");
        if (!(s->tls_cert = read_pem(o->tls_cert, err)) || !(s->tls_key = read_pem(o->tls_key, err)))
            return err ? err->status : WARD_EIO;
    }
    return WARD_OK;
}

static ward_status open_state(ward_server *s, ward_error *err)
{
    ward_match_opts mo;
    ward_match_opts_default(&mo);
    mo.radius = s->ctx.opts.radius;
    mo.max_pixels = s->ctx.opts.max_pixels;
    mo.index_memory = s->ctx.opts.index_memory;
    s->ctx.match_opts = mo;
    ward_status rc =
        ward_match_open(s->ctx.opts.datadir, s->ctx.opts.store_url, &mo, &s->ctx.match, err);
    if (rc == WARD_OK)
        rc = svc_open_keyed(s->ctx.opts.datadir, s->ctx.opts.store_url, s->ctx.opts.intel_key_file,
                            &s->ctx.state, err);
    if (rc == WARD_OK)
        rc = svc_wal_start(s->ctx.state, err);
    if (rc == WARD_OK && !(s->ctx.auth = svc_auth_new(s->ctx.state)))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK)
        rc = svc_auth_refresh(s->ctx.auth, err);
    if (rc == WARD_OK)
        rc = svc_checkpoint_start(&s->ctx, err);
    if (rc == WARD_OK && !(s->ctx.graph_cache = web_graph_cache_new()))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK &&
        !(s->ctx.victim = svc_victim_new(s->ctx.opts.datadir, s->ctx.opts.store_url,
                                         s->ctx.opts.flood_keys, s->ctx.opts.flood_hours)))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    ward_error verr;
    if (rc == WARD_OK && svc_victim_refresh(s->ctx.victim, &verr) != WARD_OK)
        svc_log_internal(&s->ctx, "series and quarantine not read", verr.message);
    return rc;
}

static ward_status start_daemon(ward_server *s, ward_error *err)
{
    const ward_serve_opts *o = &s->ctx.opts;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_SUPPRESS_DATE_NO_CLOCK | MHD_ALLOW_SUSPEND_RESUME;
    if (svc_parse_address(o->address, o->port, &ss) != 0)
        return err_fail(err, WARD_EINVAL, "cannot listen on '%s': not an IPv4 or IPv6 address",
                         o->address);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->tls_cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[16];
    int n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)o->threads, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->timeout_s, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)o->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK,
                                        (intptr_t)unescape_keep_nul, NULL};
    if (o->per_ip_connections)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                            (intptr_t)o->per_ip_connections, NULL};
    if (s->tls_cert) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->daemon = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, &s->ctx,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->daemon)
        return err_fail(err, WARD_EIO, "cannot listen on %s port %d (in use, not permitted, "
                         "or a bad TLS certificate/key)", o->address, o->port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->ctx.port = di ? di->port : o->port;
    return WARD_OK;
}

ward_status ward_server_start(const ward_serve_opts *o, ward_server **out, ward_error *err)
{
    ward_server *s = calloc(1, sizeof *s);
    if (!s)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->ctx.server = s;
    s->ctx.started = svc_mono();
    if (sodium_init() < 0) {
        ward_server_stop(s);
        return err_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    }
    randombytes_buf(s->ctx.web_secret, sizeof s->ctx.web_secret);
    /* 4096 addresses x 24 bytes: the public form's limit never grows */
    if (!(s->ctx.report_limit = ward_report_limit_new(4096, o->report_per_hour > 0
                                                                ? o->report_per_hour : 5,
                                                      3600))) {
        ward_server_stop(s);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_status rc = copy_opts(s, o, err);
    if (rc == WARD_OK)
        rc = open_state(s, err);
    if (rc == WARD_OK)
        rc = svc_pool_start(s->ctx.opts.upload_workers, s->ctx.opts.upload_queue,
                            &s->ctx.uploads, err);
    if (rc == WARD_OK)
        rc = svc_pool_start(s->ctx.opts.batch_workers, s->ctx.opts.max_connections,
                            &s->ctx.batches, err);
    if (rc == WARD_OK)
        rc = start_daemon(s, err);
    if (rc == WARD_OK) {
        if (pthread_create(&s->reloader, NULL, reloader_main, s) != 0)
            rc = err_fail(err, WARD_EINTERNAL, "cannot start the reload thread");
        else
            s->reloader_started = 1;
    }
    if (rc != WARD_OK) {
        ward_server_stop(s);
        return rc;
    }
    *out = s;
    return WARD_OK;
}

int ward_server_port(const ward_server *s)
{
    return s->ctx.port;
}

void ward_server_stop(ward_server *s)
{
    if (!s)
        return;
    if (s->reloader_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->reloader, NULL);
    }
    /* The uploads queued run and resume their connections first: MHD must
     * not stop with connections suspended. Uploads arriving meanwhile are
     * refused (503), the pool staying valid until the event loops end. */
    svc_pool_stop(s->ctx.uploads);
    svc_pool_stop(s->ctx.batches);
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* joins the event loops */
    svc_pool_free(s->ctx.uploads);
    svc_pool_free(s->ctx.batches);
    svc_auth_free(s->ctx.auth);
    ward_report_limit_free(s->ctx.report_limit);
    svc_checkpoint_stop(&s->ctx);
    web_graph_cache_free(s->ctx.graph_cache);
    svc_victim_free(s->ctx.victim);
    svc_close(s->ctx.state);
    ward_match_close(s->ctx.match);
    free(s->tls_cert);
    free(s->tls_key);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
