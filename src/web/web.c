/*
 * The analysts' web application: routing of pages, login and logout,
 * sessions and CSRF, the page frame. Pages are server-rendered HTML that
 * works without JavaScript; the only asset is the stylesheet, served from
 * memory (no build step, nothing fetched from elsewhere).
 *
 * Every page but the login needs a session; every POST needs the
 * session's CSRF token; every page checks the user's role, and the
 * intelligence pages the user's compartment (web_intel.c).
 */
#include "web/web.h"
#include "util/error.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSION_COOKIE "ward_session"
#define LOGIN_COOKIE "ward_login"   /* the nonce the login form's token is bound to */

static const char stylesheet[] =
#include "web/assets/ward.css.inc"
    ;
static const char review_js[] =
#include "web/assets/review.js.inc"
    ;

/* Which roles may use a page: a bit per ward_role. */
#define R(x) (1u << WARD_ROLE_##x)
#define INTEL (R(NATIONAL) | R(HUB) | R(FORCE))

/* ---- the frame ------------------------------------------------------------- */

static int may(const web_page *w, unsigned roles)
{
    return (roles >> w->sess.user.role) & 1u;
}

void page_begin(web_page *w, const char *title)
{
    html_f(&w->out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\">"
                    "<title>%s - ward</title><link rel=\"stylesheet\" href=\"/assets/ward.css\">"
                    "</head><body><header><span class=\"brand\">ward</span>", title);
    if (w->sess.user.name[0]) {
        static const struct { const char *href, *label; unsigned roles; } nav[] = {
            {"/queue", "My queue", INTEL}, {"/alerts", "Alerts", INTEL},
            {"/kpi", "KPIs", INTEL}, {"/scans", "Scans", INTEL},
            {"/exhibits", "Exhibits", INTEL}, {"/series", "Series", INTEL},
            {"/duty", "Duty", R(NATIONAL)}, {"/feedback", "Feedback", R(NATIONAL)},
            {"/reviews", "Match reviews", R(REVIEWER)},
            {"/audit", "Audit log", R(AUDITOR) | R(ADMIN)}};
        html_f(&w->out, "<nav>");
        for (size_t i = 0; i < sizeof nav / sizeof *nav; i++)
            if (may(w, nav[i].roles))
                html_f(&w->out, "<a href=\"%s\">%s</a>", nav[i].href, nav[i].label);
        html_f(&w->out, "</nav><form class=\"logout\" method=\"post\" action=\"/logout\">"
                        "<span>%s &middot; %s &middot; %s</span>", w->sess.user.name,
               ward_role_name(w->sess.user.role), w->sess.user.unit);
        page_csrf(w);
        html_f(&w->out, "<button>Log out</button></form>");
    }
    html_f(&w->out, "</header><main><h1>%s</h1>\n", title);
}

void page_end(web_page *w, int status)
{
    if (w->footer)
        html_f(&w->out, "</main><footer>%r</footer></body></html>\n", w->footer);
    else
        html_f(&w->out, "</main><footer>Bands order the work; they are not findings of guilt. "
                        "Every view and change is recorded.</footer></body></html>\n");
    free(w->rep->body);
    w->rep->body = w->out.s;
    w->rep->body_len = w->out.len;
    w->out = (strbuf){0};
    w->rep->status = status;
    w->rep->content_type = "text/html; charset=utf-8";
}

void page_message(web_page *w, int status, const char *title, const char *msg)
{
    strbuf_free(&w->out);
    w->out = (strbuf){0};
    page_begin(w, title);
    html_f(&w->out, "<p class=\"msg\">%s</p>", msg);
    page_end(w, status);
}

void page_audit(web_page *w, const char *action, const char *object, const char *detail)
{
    ward_error err;
    if (svc_audit(w->ctx->state, w->sess.user.name[0] ? w->sess.user.name : "anonymous", action,
                  object, detail, &err) != WARD_OK)
        svc_log_internal(w->ctx, "audit", err.message);
}

void page_unavailable(web_page *w, const ward_error *err)
{
    /* The reason names files and settings of the server: it goes to the
     * audit log, which only auditors and admins read, not into the page. */
    page_audit(w, "web.unavailable", w->req->url, err->message);
    page_message(w, 503, "Intelligence store unavailable",
                 strstr(err->message, " is encrypted: ")
                     ? "The intelligence store is encrypted and this server was started "
                       "without its key (ward serve --key-file). Ask the operator."
                     : "The intelligence store cannot be opened just now. The reason is in "
                       "the audit log (web.unavailable); ask the operator.");
}

void page_denied(web_page *w, const char *object, const char *why)
{
    page_audit(w, "web.denied", object, why);
    page_message(w, 403, "Not yours to see",
                 "Your role or unit does not give you access to this. The attempt has been "
                 "recorded; if you need it, ask the unit that holds it.");
}

void page_redirect(web_page *w, const char *to)
{
    w->rep->status = 303;
    snprintf(w->rep->location, sizeof w->rep->location, "%s", to);
    w->rep->content_type = "text/html; charset=utf-8";
    free(w->rep->body);
    w->rep->body = strdup("");
}

void page_csrf(web_page *w)
{
    html_f(&w->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", w->sess.csrf);
}

const char *page_field(web_page *w, const char *name, char *buf, size_t cap)
{
    if (!w->req->body || form_field(w->req->body, name, buf, cap) != 0)
        buf[0] = 0;
    return buf;
}

/* ---- login and logout ---------------------------------------------------------- */

static const char *cookie(const web_page *w, const char *name)
{
    return MHD_lookup_connection_value(w->req->conn, MHD_COOKIE_KIND, name);
}

static void set_cookie(web_page *w, const char *name, const char *value, int max_age)
{
    char *c = w->rep->set_cookie;
    size_t cap = sizeof w->rep->set_cookie;
    int n = snprintf(c, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", name, value,
                     w->ctx->opts.tls_cert ? "; Secure" : "");
    if (max_age >= 0 && n > 0 && (size_t)n < cap)  /* else a cookie for this browser session */
        snprintf(c + n, cap - (size_t)n, "; Max-Age=%d", max_age);
}

/*
 * The login form's token. Before a session exists there is nothing stored
 * to bind a form to, so the browser gets a random nonce in a cookie and the
 * form a token the server made from it: the window of time (10 minutes)
 * and HMAC-SHA256 over the window and the nonce under this server's
 * secret, as "WINDOW_MAC" in hex. A token is good in its window and the
 * next, and only with its own nonce: a value the sender chose (equal to a
 * cookie it planted, say) is not one the server issued. The secret is
 * drawn when the server starts, so a form shown before a restart, or by
 * another node, asks the user to log in again.
 */
#define LOGIN_WINDOW_S 600

static void login_mac(const web_page *w, unsigned long long window, const char *nonce,
                      char out[65])
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    char win[24];
    int n = snprintf(win, sizeof win, "%llx.", window);
    crypto_auth_hmacsha256_init(&st, w->ctx->web_secret, sizeof w->ctx->web_secret);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"ward-login\n", 11);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)win, (size_t)n);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)nonce, strlen(nonce));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

static void login_token(const web_page *w, const char *nonce, char out[96])
{
    char mac[65];
    unsigned long long window = (unsigned long long)w->now / LOGIN_WINDOW_S;
    login_mac(w, window, nonce, mac);
    snprintf(out, 96, "%llx_%s", window, mac);
}

static int login_token_ok(const web_page *w, const char *nonce, const char *token)
{
    char *end, mac[65];
    unsigned long long window = strtoull(token, &end, 16);
    unsigned long long now = (unsigned long long)w->now / LOGIN_WINDOW_S;
    if (!nonce || strlen(nonce) != 32 || end == token || *end != '_' || strlen(end + 1) != 64 ||
        window > now || now - window > 1)
        return 0;
    login_mac(w, window, nonce, mac);
    return sodium_memcmp(mac, end + 1, 64) == 0;
}

static void login_form(web_page *w, int status, const char *msg, int ask_totp)
{
    uint8_t r[16];
    char nonce[33], token[96];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(nonce, sizeof nonce, r, sizeof r);
    login_token(w, nonce, token);
    set_cookie(w, LOGIN_COOKIE, nonce, 2 * LOGIN_WINDOW_S);
    w->sess.user.name[0] = 0;
    strbuf_free(&w->out);
    w->out = (strbuf){0};
    page_begin(w, "Log in");
    if (msg)
        html_f(&w->out, "<p class=\"msg\">%s</p>", msg);
    html_f(&w->out, "<form method=\"post\" action=\"/login\" class=\"login\">"
                    "<input type=\"hidden\" name=\"login_token\" value=\"%s\">"
                    "<label>User <input name=\"user\" autocomplete=\"username\" required></label>"
                    "<label>Password <input type=\"password\" name=\"password\" "
                    "autocomplete=\"current-password\" required></label>", token);
    html_f(&w->out, "<label>Code from your authenticator%s <input name=\"totp\" "
                    "inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\">"
                    "</label><button>Log in</button></form>",
           ask_totp ? "" : " (if you have one)");
    page_end(w, status);
}

static void do_login(web_page *w)
{
    char user[WARD_USER_NAME_MAX], pw[512], totp[16], token[96];
    page_field(w, "user", user, sizeof user);
    page_field(w, "password", pw, sizeof pw);
    page_field(w, "totp", totp, sizeof totp);
    page_field(w, "login_token", token, sizeof token);
    if (!login_token_ok(w, cookie(w, LOGIN_COOKIE), token)) {
        page_audit(w, "web.csrf.reject", "/login", NULL);
        login_form(w, 403, "The form had expired or did not come from this site. Try again.", 0);
        return;
    }
    ward_user u;
    web_login_result r = web_login(w->ctx->state, user, pw, totp, w->now, &u);
    sodium_memzero(pw, sizeof pw);
    if (r == LOGIN_LOCKED) {
        ward_error aerr;
        if (svc_audit(w->ctx->state, user, "web.login.locked", user, NULL, &aerr) != WARD_OK)
            svc_log_internal(w->ctx, "audit", aerr.message);
        login_form(w, 429, "Too many failed attempts: this user is locked for 15 minutes.", 0);
        return;
    }
    if (r == LOGIN_NEED_TOTP) {
        login_form(w, 401, "Enter the code from your authenticator as well.", 1);
        return;
    }
    if (r != LOGIN_OK) {
        ward_error aerr;
        if (svc_audit(w->ctx->state, user[0] ? user : "anonymous", "web.login.fail", user, NULL,
                      &aerr) != WARD_OK)
            svc_log_internal(w->ctx, "audit", aerr.message);
        login_form(w, 401, "Wrong user name, password or code.", 0);
        return;
    }
    char id[65];
    ward_error err;
    if (web_session_new(w->ctx->state, u.name, w->now, id, &w->sess, &err) != WARD_OK) {
        page_message(w, 500, "Error", err.message);
        return;
    }
    set_cookie(w, SESSION_COOKIE, id, -1);
    sodium_memzero(id, sizeof id);
    page_audit(w, "web.login", u.name, NULL);
    page_redirect(w, "/");   /* the home of the user's role */
}

static void do_logout(web_page *w)
{
    web_session_end(w->ctx->state, w->sess.id_sha256);
    page_audit(w, "web.logout", w->sess.user.name, NULL);
    set_cookie(w, SESSION_COOKIE, "", 0);
    page_redirect(w, "/login");
}

/* ---- routing ---------------------------------------------------------------------- */

static void home(web_page *w)
{
    if (may(w, INTEL))
        page_redirect(w, "/queue");
    else if (may(w, R(REVIEWER)))
        page_redirect(w, "/reviews");
    else if (may(w, R(AUDITOR) | R(ADMIN)))
        page_redirect(w, "/audit");
    else
        page_message(w, 200, "Welcome", "Your role has no pages here.");
}

typedef struct web_route {
    const char *method;
    const char *path;    /* exact, or a prefix when it ends with '/' */
    unsigned roles;      /* 0: no session needed */
    void (*fn)(web_page *w);
} web_route;

static const web_route web_routes[] = {
    {"GET", "/", ~0u, home},
    {"POST", "/logout", ~0u, do_logout},
    {"GET", "/queue", INTEL, web_queue},
    /* an admin sees a subject's retention only, to carry out a disposal */
    {"GET", "/subject/", INTEL | R(ADMIN), web_subject},
    {"POST", "/subject/", INTEL | R(ADMIN), web_subject},
    {"GET", "/package/", INTEL, web_package},
    {"POST", "/package/", INTEL, web_package},
    {"GET", "/alerts", INTEL, web_alerts},
    {"GET", "/kpi", INTEL, web_kpi},
    {"GET", "/reviews", R(REVIEWER), web_reviews},
    {"POST", "/reviews/", R(REVIEWER), web_reviews},
    {"GET", "/audit", R(AUDITOR) | R(ADMIN), web_audit_page},
    {"GET", "/scans", INTEL, web_scans},
    {"GET", "/scans/", INTEL, web_scans},
    {"GET", "/exhibits", INTEL, web_exhibits},
    {"GET", "/exhibit/", INTEL, web_exhibit},
    {"POST", "/exhibit/", INTEL, web_exhibit},
    {"GET", "/lab/", INTEL, web_lab},
    {"GET", "/series", INTEL, web_series_list},
    {"GET", "/series/", INTEL, web_series},
    {"POST", "/series/", INTEL, web_series},
    {"GET", "/graph/", INTEL, web_graph},
    /* the national referrals desk: urgent cases and what referrers are told */
    {"GET", "/duty", R(NATIONAL), web_duty},
    {"POST", "/duty/", R(NATIONAL), web_duty},
    {"GET", "/feedback", R(NATIONAL), web_feedback},
    {"GET", "/feedback/", R(NATIONAL), web_feedback},
    {"POST", "/feedback/", R(NATIONAL), web_feedback},
};

static const web_route *web_find(const char *method, const char *url, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < sizeof web_routes / sizeof *web_routes; i++) {
        const web_route *r = &web_routes[i];
        size_t n = strlen(r->path);
        int hit = r->path[n - 1] == '/' && n > 1 ? strncmp(url, r->path, n) == 0 && url[n]
                                                 : strcmp(url, r->path) == 0;
        if (!hit)
            continue;
        *path_known = 1;
        if (strcmp(method, r->method) == 0)
            return r;
    }
    return NULL;
}

static int csrf_ok(web_page *w)
{
    char token[80];
    page_field(w, "csrf", token, sizeof token);
    return strlen(token) == 64 && sodium_memcmp(token, w->sess.csrf, 64) == 0;
}

static void serve_css(web_page *w)
{
    w->rep->status = 200;
    w->rep->content_type = "text/css; charset=utf-8";
    w->rep->body = strdup(stylesheet);
}

void svc_web_error(svc_ctx *ctx, const svc_request *req, svc_reply *rep, int status,
                   const char *msg)
{
    web_page w = {.ctx = ctx, .req = req, .rep = rep, .now = (double)time(NULL)};
    page_message(&w, status, status == 413 ? "Too large" : "Error", msg);
}

void svc_web(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    web_page w = {.ctx = ctx, .req = req, .rep = rep, .now = (double)time(NULL)};
    const char *url = req->url, *method = req->method;
    if (sodium_init() < 0) {
        page_message(&w, 500, "Error", "libsodium failed to initialise");
        return;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/assets/ward.css") == 0) {
        serve_css(&w);
        return;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/assets/review.js") == 0) {
        rep->status = 200;
        rep->content_type = "text/javascript; charset=utf-8";
        rep->body = strdup(review_js);
        return;
    }
    if (strcmp(url, "/report") == 0) {   /* the public form: no session, ever */
        if (strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0)
            web_report_form(&w);
        else
            page_message(&w, 405, "Not allowed", "That method is not allowed here.");
        return;
    }
    if (strcmp(url, "/login") == 0) {
        if (strcmp(method, "POST") == 0)
            do_login(&w);
        else
            login_form(&w, 200, NULL, 0);
        return;
    }
    int known;
    const web_route *rt = web_find(method, url, &known);
    if (!rt) {
        page_message(&w, known ? 405 : 404, known ? "Not allowed" : "Not found",
                     known ? "That method is not allowed here." : "There is no such page.");
        return;
    }
    if (web_session_get(ctx->state, cookie(&w, SESSION_COOKIE), w.now, &w.sess) != 0) {
        page_redirect(&w, "/login");
        return;
    }
    if (strcmp(method, "POST") == 0 && !csrf_ok(&w)) {
        page_audit(&w, "web.csrf.reject", url, NULL);
        page_message(&w, 403, "Form refused",
                     "This form did not carry this session's token (an old page, or a "
                     "request from another site). Nothing was changed.");
        return;
    }
    if (!may(&w, rt->roles)) {
        page_denied(&w, url, ward_role_name(w.sess.user.role));
        return;
    }
    rt->fn(&w);
    strbuf_free(&w.out);
    if (!rep->status)
        page_message(&w, 500, "Error", "no page was produced");
}
