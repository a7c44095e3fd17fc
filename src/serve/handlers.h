/*
 * What an endpoint handler gets and gives. Handlers never touch
 * libmicrohttpd objects beyond reading request values through `conn`; they
 * fill a svc_reply that server.c sends.
 */
#ifndef WARD_SERVE_HANDLERS_H
#define WARD_SERVE_HANDLERS_H

#include "serve/serve_int.h"

#include <sys/socket.h>

struct MHD_Connection;
struct ward_server;

typedef struct web_graph_cache web_graph_cache;

typedef struct svc_ctx {
    ward_serve_opts opts;
    ward_match_opts match_opts;
    ward_match *match;
    svc_state *state;
    svc_auth *auth;
    svc_metrics metrics;
    double started;
    int port;
    struct ward_server *server;
    uint8_t web_secret[32]; /* HMAC key of the login form's tokens (web.c), drawn at start */
    _Atomic long long internal_logged; /* svc_log_internal: second last logged */
    struct svc_cp_state *cp;           /* audit checkpoints; NULL: no signing key */
    struct web_graph_cache *graph_cache; /* the web's link-analysis graph (web_graph.c);
                                          * NULL: each view builds its own */
    struct svc_pool *uploads;          /* workers decoding uploads (pool.h) */
    struct svc_pool *batches;          /* workers matching large batches */
    struct ward_report_limit *report_limit; /* the public form's per-address limit */
    double duty_ticked;                /* svc_duty_tick: when it last ran (monotonic) */
    struct svc_victim *victim;         /* series and flood control (victim.c) */
} svc_ctx;

/* ---- series status and flood control of platform hits (victim.c) ---- */

typedef struct svc_victim svc_victim;
/* flood_keys 0: no flood control. */
svc_victim *svc_victim_new(const char *datadir, const char *store_url, int flood_keys,
                           double flood_hours);
void svc_victim_free(svc_victim *v);
/* Re-read the series and quarantine from the store (start, reload tick). */
ward_status svc_victim_refresh(svc_victim *v, ward_error *err);
/* A hit's "series_info" and "quarantined" members, when it has them. */
void svc_victim_emit(svc_ctx *ctx, yajl_gen g, const ward_match_hit *h);
/* After a match: count the alert hits for flood control (count: the
 * request records events, not a lookup) and quarantine what spiked; when
 * every alert hit is quarantined, res->alert is cleared (blocking pauses)
 * and the number of those hits returned, for the event to be recorded all
 * the same. 0 otherwise. */
int svc_victim_screen(svc_ctx *ctx, const char *key_id, int count, ward_match_result *res);

typedef struct svc_request {
    struct MHD_Connection *conn;
    const char *url;
    const char *tail;   /* the URL after a route's prefix ("12" of /v1/events/12) */
    const char *body;   /* NUL-terminated; may hold NULs for binary uploads */
    size_t len;
    int json;           /* Content-Type: application/json */
    char key_id[24];    /* the caller's key, "" on open endpoints */
    unsigned scopes;    /* all the scopes of that key (WARD_SCOPE_*) */
    const char *method; /* "GET", "POST", ... */
} svc_request;

typedef struct svc_reply {
    int status;
    char *body;             /* owned, freed after sending */
    size_t body_len;        /* 0: strlen(body) */
    const char *content_type; /* default application/json */
    const char *csp;        /* HTML: a Content-Security-Policy other than the
                               application's (a scan report's inline CSS) */
    int has_fd;             /* send fd instead of body (closed after) */
    int fd;
    uint64_t fd_size;
    char retry_after[16];
    char allow[64];
    char set_cookie[200];   /* web pages: a Set-Cookie header */
    char location[256];     /* web pages: a redirect's Location */
} svc_reply;

/* {"error": {"code": code, "message": ...}} with `status`. */
void svc_error(svc_reply *rep, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A 200 (or `status`) reply with the generator's JSON. */
void svc_json_reply(svc_reply *rep, int status, yajl_gen g);
double svc_mono(void);
/* An internal failure's details (store URLs, libpq's words) go to the
 * server's log, one line a second at most, never to a client. */
void svc_log_internal(svc_ctx *ctx, const char *what, const char *msg);
/* A line for the server's log (kind "warning" or "error"): through
 * ward_serve_opts.log when set, so that --log-format json stays JSON;
 * else on stderr. */
void svc_log_message(svc_ctx *ctx, const char *kind, const char *message);
int svc_parse_address(const char *addr, int port, struct sockaddr_storage *out);
/* A query-string argument of the request, or NULL. */
const char *svc_arg(const svc_request *req, const char *name);

/* Signed audit checkpoints (checkpoint.c): start loads the node's key (a
 * node without one says so and takes none); tick, at each reload tick,
 * writes one when --checkpoint-records records or --checkpoint-minutes
 * passed; GET /v1/audit/checkpoint takes one on demand. */
typedef struct svc_cp_state svc_cp_state;
ward_status svc_checkpoint_start(svc_ctx *ctx, ward_error *err);
void svc_checkpoint_tick(svc_ctx *ctx);
void svc_checkpoint_stop(svc_ctx *ctx);
void svc_audit_checkpoint(svc_ctx *ctx, const svc_request *req, svc_reply *rep);

/* The duty queue's sync (arrivals, escalation) every 30 s from the
 * reload thread (web/web_report.c); escalations go to the server's log. */
void svc_duty_tick(svc_ctx *ctx);

void svc_health(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_metrics_page(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_hash(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_match(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_events(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_event(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_evidence(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_reviews(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_report(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_reload(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
void svc_releases(svc_ctx *ctx, const svc_request *req, svc_reply *rep);

#endif
