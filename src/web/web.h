/*
 * Internals of the analysts' web application: users and logins (users.c),
 * sessions (session.c), HTML building (web_html.c), pages (web*.c).
 */
#ifndef WARD_WEB_WEB_H
#define WARD_WEB_WEB_H

#include "serve/handlers.h"
#include "util/escape.h"

#include <ward/users.h>

/* ---- logins (users.c) ------------------------------------------------------ */

#define WEB_MAX_FAILURES 5        /* failed logins within WEB_LOCKOUT_S lock a user */
#define WEB_LOCKOUT_S (15 * 60)

typedef enum { LOGIN_OK, LOGIN_BAD, LOGIN_LOCKED, LOGIN_NEED_TOTP } web_login_result;

/* Check a password (and, when the user has one, a TOTP code) at time now.
 * A failure of either is counted against the user; WEB_MAX_FAILURES of
 * them within WEB_LOCKOUT_S lock the user until the oldest ages out, even
 * with the right password. Unknown and disabled users are LOGIN_BAD after
 * the same Argon2 work, so timing does not tell which names exist. */
web_login_result web_login(svc_state *s, const char *name, const char *password,
                           const char *totp, double now, ward_user *u);
/* The user `name` (enabled or not); -1 if none. */
int web_user_get(svc_state *s, const char *name, ward_user *u);

/* ---- sessions (session.c) --------------------------------------------------- */

#define WEB_SESSION_IDLE_S (30 * 60)
#define WEB_SESSION_MAX_S (10 * 60 * 60)

typedef struct web_session {
    char id_sha256[65];
    char csrf[65];
    ward_user user;
} web_session;

/* A new session for a user: *cookie gets the 256-bit id (hex) for the
 * browser; only its SHA-256 is stored. */
ward_status web_session_new(svc_state *s, const char *user, double now, char cookie[65],
                            web_session *out, ward_error *err);
/* The live session of a cookie value (touching its idle clock); -1 if
 * none, expired, or its user is disabled. */
int web_session_get(svc_state *s, const char *cookie, double now, web_session *out);
void web_session_end(svc_state *s, const char *id_sha256);

/* ---- HTML (web_html.c) ---------------------------------------------------------- */

/* Append text with & < > " ' escaped. */
void html_esc(strbuf *b, const char *s);
/* printf where every %s argument is escaped (%d, %lld, %.1f pass through). */
void html_f(strbuf *b, const char *fmt, ...);
/* Decode one field of an application/x-www-form-urlencoded body or a query
 * string into out; -1 if absent. */
int form_field(const char *body, const char *name, char *out, size_t cap);

/* ---- the application (web.c) ----------------------------------------------------- */

#define WEB_MAX_FORM (64u * 1024)  /* the largest form body a page accepts */

/* Everything outside /v1/: pages, forms, the stylesheet. */
void svc_web(svc_ctx *ctx, const svc_request *req, svc_reply *rep);
/* An error of the HTTP layer on a page's URL (body over the limit, no
 * reply), as a page: the API's JSON errors are for /v1/ only. */
void svc_web_error(svc_ctx *ctx, const svc_request *req, svc_reply *rep, int status,
                   const char *msg);

/* One request to a page, as the page handlers see it. */
typedef struct web_page {
    svc_ctx *ctx;
    const svc_request *req;
    svc_reply *rep;
    web_session sess;      /* the logged-in user */
    double now;            /* Unix time */
    strbuf out;       /* the page's body so far */
    const char *footer;    /* NULL: the analysts' footer (public pages have their own) */
} web_page;

/* Start the page: head, navigation for the user's role, a heading. */
void page_begin(web_page *w, const char *title);
/* Finish and send it with `status`. */
void page_end(web_page *w, int status);
/* A short page with a message (escaped) and status: errors, refusals. */
void page_message(web_page *w, int status, const char *title, const char *msg);
/* 403: the page says so, and the refusal is audited (what was asked). */
void page_denied(web_page *w, const char *object, const char *why);
/* 503 when a store cannot be opened: the page names no path (the reason is
 * audited as web.unavailable). */
void page_unavailable(web_page *w, const ward_error *err);
/* 303 See Other to `to` (after a POST). */
void page_redirect(web_page *w, const char *to);
/* The hidden CSRF field every form carries. */
void page_csrf(web_page *w);
/* Append to the audit log as this user. */
void page_audit(web_page *w, const char *action, const char *object, const char *detail);
/* A form field of the POST body (or "" if absent). */
const char *page_field(web_page *w, const char *name, char *buf, size_t cap);

/* ---- pages (web_intel.c, web_kpi.c, web_review.c) ---------------------------------- */

struct ward_intel;
/* intel.db with the server's data directory and key: the one place the web
 * side opens it (pages, the report form, the duty tick). */
ward_status web_intel_store(const svc_ctx *ctx, struct ward_intel **in, ward_error *err);
/* web_intel_store for a page; NULL after sending a 503 (page_unavailable). */
struct ward_intel *web_intel_open(web_page *w);
/* Is a package held by `holder` in the user's compartment? */
int web_covers(const web_page *w, struct ward_intel *in, const char *holder);
/* Members of a parsed JSON object: a string ("" if absent), a number (0). */
const char *web_jstr(yajl_val v, const char *key);
double web_jnum(yajl_val v, const char *key);

void web_queue(web_page *w);
void web_subject(web_page *w);       /* GET /subject/ID, POST /subject/ID/ACTION */
void web_package(web_page *w);       /* GET /package/N, POST /package/N/ACTION */
void web_alerts(web_page *w);
void web_kpi(web_page *w);        /* web_kpi.c */
void web_reviews(web_page *w);       /* GET /reviews, POST /reviews/N and /reviews/bulk */
/* A match event's hashes (its "hashes" array) sorted and joined: events
 * with the same signature carry identical hashes. Caller frees. */
char *web_hash_signature(yajl_val hashes);
void web_audit_page(web_page *w);
void web_scans(web_page *w);         /* web_scans.c: /scans, /scans/UNIT/SCAN[/report.html] */
/* Append s percent-encoded for a URL path segment (web_scans.c). */
void web_url_escape(strbuf *b, const char *s);
void web_exhibits(web_page *w);      /* web_exhibits.c: /exhibits */
void web_exhibit(web_page *w);       /* GET /exhibit/REF, POST /exhibit/REF/ACTION */
void web_lab(web_page *w);           /* GET /lab/NAME: forecast and queue */
void web_series_list(web_page *w);   /* web_series.c: GET /series */
void web_series(web_page *w);        /* GET /series/ID, POST /series/ID/ACTION */
void web_graph(web_page *w);         /* web_graph.c: /graph/SUBJECT[?depth=N&format=F] */
/* The graph the /graph pages share, rebuilt when the intelligence store
 * changes (web_graph.c); one per server, in svc_ctx.graph_cache. */
web_graph_cache *web_graph_cache_new(void);
void web_graph_cache_free(web_graph_cache *c);
/* web_report.c: the public form (no session), the duty queue, feedback letters */
void web_report_form(web_page *w);   /* GET and POST /report */
void web_duty(web_page *w);          /* GET /duty, POST /duty/N/STEP */
void web_feedback(web_page *w);      /* GET /feedback/SOURCE[?format=json], POST .../sent */

#endif
