/*
 * The grading view: a small web server on 127.0.0.1 only, separate from
 * `ward serve`, for one examiner at a time.
 *
 * Every request must carry the token (?t=...) printed in the URL at start:
 * 128 random bits, compared in constant time. A Host header that is not the
 * loopback address is refused too, so a web page elsewhere that rebinds a
 * name to 127.0.0.1 gets nothing. One polling thread serves all requests,
 * so the log and the queue need no locks.
 *
 * Pictures: /thumb re-reads the item from the evidence, verifies its
 * digest and answers a greyscale thumbnail (JPEG, no colour ever leaves
 * here). The page shows it blurred (CSS) until the examiner reveals it with
 * a key; the reveal is logged as exposure. A missing or changed item is
 * answered 410 with the reason, and no picture.
 */
#include "grade/grade_int.h"
#include "grade/page.h"
#include "util/error.h"
#include "util/escape.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <ward/digest.h>
#include <time.h>
#include <unistd.h>

typedef struct gsrv {
    const ward_grade_queue *q;
    ward_grade_log *log;
    const ward_grade_serve_opts *o;
    char token[33];
    char *html;      /* the page with the token filled in */
    int port;
    struct timespec start;
} gsrv;

static double minutes_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return ((double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9) / 60.0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; img-src blob:; script-src 'self'; "
                            "style-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    enum MHD_Result res = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return res;
}

static enum MHD_Result answer_json(struct MHD_Connection *c, unsigned status, strbuf *b)
{
    if (!b->s) return answer(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25,
                             MHD_RESPMEM_PERSISTENT);
    enum MHD_Result r = answer(c, status, "application/json", b->s, b->len, MHD_RESPMEM_MUST_FREE);
    b->s = NULL; /* MHD frees it */
    return r;
}

static enum MHD_Result answer_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    strbuf b = {0};
    strbuf_add(&b, "{\"error\":", strlen("{\"error\":"));
    esc_json_string(&b, msg, strlen(msg));
    strbuf_add(&b, "}", strlen("}"));
    return answer_json(c, status, &b);
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static int token_ok(const gsrv *s, const char *t)
{
    if (!t || strlen(t) != 32) return 0;
    unsigned char diff = 0;
    for (int i = 0; i < 32; i++) diff |= (unsigned char)(t[i] ^ s->token[i]);
    return diff == 0;
}

static int host_ok(const gsrv *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%d", s->port);
    return h && !strcmp(h, want);
}

/* The queue in review order with each group's decision. */
static enum MHD_Result api_queue(gsrv *s, struct MHD_Connection *c)
{
    strbuf b = {0};
    ward_grade_exposure e;
    ward_grade_log_exposure(s->log, s->o->grader, &e);
    strbuf_addf(&b, "{\"scheme\":\"%s\",\"break_minutes\":%d,\"grader\":",
                     ward_grade_log_scheme(s->log), s->o->break_minutes);
    esc_json_string(&b, s->o->grader, strlen(s->o->grader));
    strbuf_addf(&b, ",\"items\":%zu,\"revealed\":%llu,\"minutes_before\":%.2f,"
                         "\"minutes_now\":%.2f,\"groups\":[",
                     s->q->nitems, (unsigned long long)e.revealed, e.minutes,
                     minutes_since(&s->start));
    for (size_t g = 0; g < s->q->ngroups; g++) {
        const ward_grade_group *grp = &s->q->groups[g];
        strbuf_addf(&b, "%s{\"id\":%llu,\"why\":", g ? "," : "", (unsigned long long)grp->id);
        esc_json_string(&b, grp->why, strlen(grp->why));
        strbuf_add(&b, ",\"prior\":", strlen(",\"prior\":"));
        esc_json_string(&b, grp->prior, strlen(grp->prior));
        strbuf_add(&b, ",\"items\":[", strlen(",\"items\":["));
        for (size_t k = 0; k < grp->count; k++) {
            const ward_grade_item *it = &s->q->items[s->q->members[grp->first + k]];
            strbuf_addf(&b, "%s{\"seq\":%llu,\"video\":%s}", k ? "," : "",
                             (unsigned long long)it->seq, it->video ? "true" : "false");
        }
        strbuf_add(&b, "]", strlen("]"));
        const ward_grade_decision *d = ward_grade_log_get(s->log, grp->id);
        if (d) {
            strbuf_addf(&b, ",\"grade\":{\"category\":\"%s\",\"identifiable\":%s,\"series\":",
                             d->category, d->identifiable ? "true" : "false");
            esc_json_string(&b, d->series, strlen(d->series));
            strbuf_add(&b, ",\"grader\":", strlen(",\"grader\":"));
            esc_json_string(&b, d->grader, strlen(d->grader));
            strbuf_add(&b, "}", strlen("}"));
        }
        strbuf_add(&b, "}", strlen("}"));
    }
    strbuf_add(&b, "]}", strlen("]}"));
    return answer_json(c, 200, &b);
}

static const ward_grade_item *item_by_seq(const ward_grade_queue *q, const char *s)
{
    if (!s) return NULL;
    char *end;
    unsigned long long seq = strtoull(s, &end, 10);
    if (*end || end == s) return NULL;
    for (size_t i = 0; i < q->nitems; i++)
        if (q->items[i].seq == seq) return &q->items[i];
    return NULL;
}

static enum MHD_Result api_thumb(gsrv *s, struct MHD_Connection *c)
{
    const ward_grade_item *it = item_by_seq(s->q, arg(c, "seq"));
    if (!it) return answer_error(c, 404, "no such item in the queue");
    uint8_t *jpeg = NULL;
    size_t len = 0;
    ward_error err;
    ward_status st = ward_grade_item_thumb(it, s->o->max_side, s->o->spool_dir, &jpeg, &len, &err);
    if (st == WARD_OK)
        return answer(c, 200, "image/jpeg", jpeg, len, MHD_RESPMEM_MUST_FREE);
    /* 410: the item is gone or changed; 415: not something shown as a picture. */
    unsigned status = st == WARD_EUNSUPPORTED ? 415 : st == WARD_EIO ? 500 : 410;
    return answer_error(c, status, err.message);
}

static enum MHD_Result api_grade(gsrv *s, struct MHD_Connection *c)
{
    const char *group = arg(c, "group"), *cat = arg(c, "category");
    const char *series = arg(c, "series"), *ident = arg(c, "identifiable");
    ward_grade_decision d;
    memset(&d, 0, sizeof d);
    char *end = NULL;
    d.group = group ? strtoull(group, &end, 10) : 0;
    if (!group || *end || !ward_grade_queue_find(s->q, d.group) || !cat)
        return answer_error(c, 400, "group and category required");
    snprintf(d.category, sizeof d.category, "%s", cat);
    snprintf(d.series, sizeof d.series, "%s", series ? series : "");
    snprintf(d.grader, sizeof d.grader, "%s", s->o->grader);
    d.identifiable = ident && !strcmp(ident, "1");
    ward_error err;
    ward_status st = ward_grade_log_set(s->log, &d, &err);
    if (st != WARD_OK) return answer_error(c, st == WARD_EINVAL ? 400 : 500, err.message);
    return answer(c, 200, "application/json", "{\"ok\":true}", 11, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result api_undo(gsrv *s, struct MHD_Connection *c)
{
    uint64_t group = 0;
    ward_error err;
    if (ward_grade_log_undo(s->log, s->o->grader, &group, &err) != WARD_OK)
        return answer_error(c, 500, err.message);
    strbuf b = {0};
    strbuf_addf(&b, "{\"group\":%llu}", (unsigned long long)group);
    return answer_json(c, 200, &b);
}

static enum MHD_Result api_reveal(gsrv *s, struct MHD_Connection *c)
{
    const ward_grade_item *it = item_by_seq(s->q, arg(c, "seq"));
    if (!it) return answer_error(c, 404, "no such item in the queue");
    ward_error err;
    if (ward_grade_log_reveal(s->log, s->o->grader, it->seq, &err) != WARD_OK)
        return answer_error(c, 500, err.message);
    return answer(c, 200, "application/json", "{\"ok\":true}", 11, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    gsrv *s = cls;
    static int marker;
    if (!*con_cls) {
        *con_cls = &marker;
        return MHD_YES;
    }
    if (*upload_size) { /* no request bodies: everything is in the URL */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!host_ok(s, c)) return answer_error(c, 421, "wrong Host");
    if (!token_ok(s, arg(c, "t"))) return answer_error(c, 403, "missing or wrong token");
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (get && !strcmp(url, "/"))
        return answer(c, 200, "text/html; charset=utf-8", s->html, strlen(s->html),
                      MHD_RESPMEM_PERSISTENT);
    if (get && !strcmp(url, "/grade.js"))
        return answer(c, 200, "text/javascript; charset=utf-8", grade_page_js,
                      strlen(grade_page_js), MHD_RESPMEM_PERSISTENT);
    if (get && !strcmp(url, "/grade.css"))
        return answer(c, 200, "text/css; charset=utf-8", grade_page_css,
                      strlen(grade_page_css), MHD_RESPMEM_PERSISTENT);
    if (get && !strcmp(url, "/api/queue")) return api_queue(s, c);
    if (get && !strcmp(url, "/thumb")) return api_thumb(s, c);
    if (post && !strcmp(url, "/api/grade")) return api_grade(s, c);
    if (post && !strcmp(url, "/api/undo")) return api_undo(s, c);
    if (post && !strcmp(url, "/api/reveal")) return api_reveal(s, c);
    return answer_error(c, 404, "not found");
}

static ward_status make_token(char out[33], ward_error *err)
{
    uint8_t r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return err_fail_errno(err, errno, "no random bytes for the token");
    ward_hex(r, sizeof r, out);
    return WARD_OK;
}

ward_status ward_grade_serve(const ward_grade_queue *q, ward_grade_log *g,
                             const ward_grade_serve_opts *o, ward_error *err)
{
    gsrv s = {.q = q, .log = g, .o = o};
    ward_status st = make_token(s.token, err);
    if (st != WARD_OK) return st;
    size_t hl = strlen(grade_page_html) + 2 * sizeof s.token;
    if (!(s.html = malloc(hl))) return err_fail(err, WARD_ENOMEM, "out of memory");
    snprintf(s.html, hl, grade_page_html, s.token, s.token);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)o->port,
                         NULL, NULL, on_request, &s, MHD_OPTION_SOCK_ADDR, &sa,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_END);
    if (!d) {
        free(s.html);
        return err_fail(err, WARD_EIO, "cannot listen on 127.0.0.1 port %d", o->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    s.port = di ? di->port : o->port;
    clock_gettime(CLOCK_MONOTONIC, &s.start);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/?t=%s", s.port, s.token);
    if (o->on_ready) o->on_ready(o->ctx, url);
    while (!*o->stop) {
        struct timespec t = {0, 100 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    MHD_stop_daemon(d);
    free(s.html);
    return ward_grade_log_session(g, o->grader, minutes_since(&s.start), err);
}
