/*
 * Pages of the report room (ward/report.h):
 *
 *   /report     the public form. No login, no JavaScript, no cookie: plain
 *               HTML a child can follow with a keyboard or a screen reader
 *               (a label for every field, fieldsets with legends for every
 *               question, errors named beside the field and at the top).
 *               Against robots a hidden field (a honeypot) and a limit per
 *               address (ward/report.h: a fixed table) instead of a
 *               CAPTCHA. No uploads: the page says why.
 *   /duty       the duty officer's queue of urgent reports and referrals,
 *               with the checklist of each (national analysts).
 *   /feedback/SOURCE   the letter to a referring source (HTML, or JSON with
 *               ?format=json); POST .../sent records it as sent.
 *
 * The form never says whether anyone is already known: every report gets
 * the same answer, whatever the store holds.
 */
#include "web/web.h"
#include "scan/jsonl.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <ward/report.h>

static const char public_footer[] =
    "If you or a child are in danger right now, call 999. To talk to someone in confidence, "
    "call Childline on 0800 1111 (free, any time).";

/* ---- the public form ------------------------------------------------------- */

/* The form's own fields, as sent (or empty on a fresh form). */
typedef struct form_in {
    char about[16], danger[16], meeting[16], who[WARD_REPORT_MAX_SHORT + 2];
    char what[5][8];
    char urls[WARD_REPORT_MAX_URLS * (WARD_REPORT_MAX_URL + 2) + 2];
    char description[WARD_REPORT_MAX_DESCRIPTION + 2], age[16];
    char contact[WARD_REPORT_MAX_SHORT + 2], honeypot[256];
    char too_long[32];   /* a field cut by its buffer: refused, never stored cut */
} form_in;

static const char *const box_names[5] = {"asked_images", "sexual_chat", "shared_images",
                                         "abroad", "other"};
static const char *const box_labels[5] = {
    "They asked for pictures or videos of me (or of the child)",
    "They talked about sex or sent sexual messages or pictures",
    "They shared pictures, or said they would share them",
    "I think they are in another country",
    "Something else that worried me"};

static void get(web_page *w, const char *name, char *buf, size_t cap, form_in *f)
{
    page_field(w, name, buf, cap);
    if (strlen(buf) >= cap - 1 && !f->too_long[0])
        snprintf(f->too_long, sizeof f->too_long, "%s", name);
}

static void read_form(web_page *w, form_in *f)
{
    memset(f, 0, sizeof *f);
    get(w, "about", f->about, sizeof f->about, f);
    get(w, "danger", f->danger, sizeof f->danger, f);
    get(w, "meeting", f->meeting, sizeof f->meeting, f);
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "w_%s", box_names[i]);
        get(w, name, f->what[i], sizeof f->what[i], f);
    }
    get(w, "urls", f->urls, sizeof f->urls, f);
    get(w, "who", f->who, sizeof f->who, f);
    get(w, "description", f->description, sizeof f->description, f);
    get(w, "age", f->age, sizeof f->age, f);
    get(w, "contact", f->contact, sizeof f->contact, f);
    get(w, "website", f->honeypot, sizeof f->honeypot, f);
}

/* Text sent back into the form: only when it is valid UTF-8 (else the
 * field comes back empty, and the error says why). */
static const char *echo(const char *s)
{
    return esc_utf8_valid(s, strlen(s)) ? s : "";
}

/* A field's error state: marked invalid and described by the message at
 * the top (and by its hint, if it has one). */
static void err_attr(web_page *w, const char *field, const char *bad, const char *hint)
{
    int is_bad = bad && !strcmp(field, bad);
    if (is_bad)
        html_f(&w->out, " aria-invalid=\"true\"");
    if (is_bad || hint)
        html_f(&w->out, " aria-describedby=\"%s%s%s\"", is_bad ? "error" : "",
               is_bad && hint ? " " : "", hint ? hint : "");
}

static void radio_set(web_page *w, const char *name, const char *legend, const char *hint,
                      const char *const *values, const char *const *labels, int n,
                      const char *current, const char *bad)
{
    html_f(&w->out, "<fieldset%r><legend>%s</legend>", bad && !strcmp(bad, name)
                                                             ? " class=\"invalid\"" : "", legend);
    if (hint)
        html_f(&w->out, "<p class=\"hint\">%s</p>", hint);
    for (int i = 0; i < n; i++)
        html_f(&w->out, "<label class=\"choice\"><input type=\"radio\" name=\"%s\" "
                        "value=\"%s\"%r> %s</label>", name, values[i],
               !strcmp(current, values[i]) ? " checked" : "", labels[i]);
    html_f(&w->out, "</fieldset>");
}

static void form_page(web_page *w, int status, const form_in *f, const char *bad,
                      const char *msg)
{
    static const char *const yn[] = {"yes", "no", "unsure"};
    static const char *const yn_l[] = {"Yes", "No", "Not sure"};
    static const char *const ab[] = {"me", "someone"};
    static const char *const ab_l[] = {"Me", "Someone else (a child I know or look after)"};
    w->sess.user.name[0] = 0;
    w->footer = public_footer;
    strbuf_free(&w->out);
    w->out = (strbuf){0};
    page_begin(w, "Report something that happened online");
    html_f(&w->out, "<p class=\"danger\"><strong>If you or a child are in danger right now, "
                    "call 999.</strong></p>");
    if (msg)
        html_f(&w->out, "<div class=\"msg\" id=\"error\" role=\"alert\"><h2>Please check your "
                        "answers</h2><p>%s</p>%r</div>", msg,
               bad ? "<p>The answer to change is marked below.</p>" : "");
    html_f(&w->out, "<p>Use this form if someone online has made you, or a child you know, "
                    "feel worried or unsafe: asking for pictures, talking about sex, asking "
                    "to meet, or threatening you. You do not have to give your name. A person "
                    "reads every report.</p>"
                    "<form method=\"post\" action=\"/report\" class=\"report\">");
    radio_set(w, "about", "Who is this about?", NULL, ab, ab_l, 2, f->about, bad);
    radio_set(w, "danger", "Is someone in danger right now?",
              "For example, someone is on their way, or you are scared of what happens next.",
              yn, yn_l, 3, f->danger, bad);
    radio_set(w, "meeting", "Has the person arranged to meet you (or the child)?", NULL, yn,
              yn_l, 3, f->meeting, bad);
    html_f(&w->out, "<fieldset%r><legend>What happened? Tick all that fit.</legend>",
           bad && !strcmp(bad, "what") ? " class=\"invalid\"" : "");
    for (int i = 0; i < 5; i++)
        html_f(&w->out, "<label class=\"choice\"><input type=\"checkbox\" name=\"w_%s\" "
                        "value=\"yes\"%r> %s</label>", box_names[i],
               f->what[i][0] ? " checked" : "", box_labels[i]);
    html_f(&w->out, "</fieldset>");
    html_f(&w->out, "<label for=\"urls\">Web addresses (links) where it happened</label>"
                    "<p class=\"hint\" id=\"urls-hint\">Copy the address of the profile, chat "
                    "or page, one on each line, starting with https://. Please do not send "
                    "pictures or videos, even of yourself: we do not want you to have to "
                    "share them again, and the link is enough for us to find them.</p>"
                    "<textarea id=\"urls\" name=\"urls\" rows=\"3\"");
    err_attr(w, "urls", bad, "urls-hint");
    html_f(&w->out, ">%s</textarea>", echo(f->urls));
    html_f(&w->out, "<label for=\"who\">Their name or username on the site (if you know "
                    "it)</label><input id=\"who\" name=\"who\" maxlength=\"200\" value=\"%s\"",
           echo(f->who));
    err_attr(w, "who", bad, NULL);
    html_f(&w->out, "><label for=\"description\">Tell us what happened, in your own "
                    "words</label><textarea id=\"description\" name=\"description\" "
                    "rows=\"8\" maxlength=\"6000\"");
    err_attr(w, "description", bad, NULL);
    html_f(&w->out, ">%s</textarea>", echo(f->description));
    html_f(&w->out, "<label for=\"age\">How old is the child? (if you know)</label>"
                    "<input id=\"age\" name=\"age\" inputmode=\"numeric\" size=\"4\" "
                    "value=\"%s\"", echo(f->age));
    err_attr(w, "age", bad, NULL);
    html_f(&w->out, "><label for=\"contact\">How can we contact you? (you can leave this "
                    "empty)</label><input id=\"contact\" name=\"contact\" maxlength=\"200\" "
                    "autocomplete=\"email\" value=\"%s\"", echo(f->contact));
    err_attr(w, "contact", bad, NULL);
    /* the honeypot: out of sight and out of the accessibility tree (the
     * stylesheet hides .hp), never filled by a person */
    html_f(&w->out, "><div class=\"hp\" aria-hidden=\"true\"><label for=\"website\">Leave "
                    "this empty</label><input id=\"website\" name=\"website\" tabindex=\"-1\" "
                    "autocomplete=\"off\"></div><button>Send report</button></form>");
    page_end(w, status);
}

static void client_address(web_page *w, char out[INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *ci =
        w->req->conn ? MHD_get_connection_info(w->req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
                     : NULL;
    snprintf(out, INET6_ADDRSTRLEN, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                  INET6_ADDRSTRLEN);
}

static void receipt_page(web_page *w, const char *receipt, int urgent)
{
    w->footer = public_footer;
    page_begin(w, "Thank you: we have your report");
    html_f(&w->out, "<p>Your report number is</p><p class=\"receipt\"><strong>%s</strong></p>"
                    "<p>Please write it down or take a picture of this page. If you contact us "
                    "again about this, give us the number.</p><h2>What happens next</h2><ul>",
           receipt);
    if (urgent)
        html_f(&w->out, "<li>You said someone may be in danger now or a meeting is arranged, "
                        "so your report went straight to the officer on duty.</li>"
                        "<li><strong>If anyone is in danger right now, call 999.</strong></li>");
    html_f(&w->out, "<li>A person in our team reads every report. We may pass it to the police "
                    "where the child lives.</li><li>If you gave us a way to contact you, we "
                    "may get in touch. We will not tell the person you reported about "
                    "you.</li><li>You did the right thing by telling us. If you are worried or "
                    "upset, you can talk to Childline on 0800 1111, any time, for free.</li>"
                    "</ul><p><a href=\"/report\">Send another report</a></p>");
    page_end(w, 200);
}

void web_report_form(web_page *w)
{
    form_in *f = calloc(1, sizeof *f);
    ward_report *r = calloc(1, sizeof *r);
    if (!f || !r) {
        free(f), free(r);
        page_message(w, 503, "Busy", "Please try again in a minute. If someone is in danger "
                                     "now, call 999.");
        return;
    }
    if (strcmp(w->req->method, "GET") == 0) {
        form_page(w, 200, f, NULL, NULL);
        goto out;
    }
    read_form(w, f);
    if (f->too_long[0]) {
        form_page(w, 400, f, f->too_long, "One of your answers is too long. Please make it "
                                         "shorter.");
        goto out;
    }
    ward_report_form in = {.about = f->about, .danger = f->danger, .meeting = f->meeting,
                           .urls = f->urls, .who = f->who, .description = f->description,
                           .age = f->age, .contact = f->contact, .honeypot = f->honeypot};
    for (int i = 0; i < 5; i++)
        in.what[i] = f->what[i][0] ? box_names[i] : NULL;
    char field[32];
    ward_error err;
    ward_status rc = ward_report_parse(&in, r, field, &err);
    /* Only what would be stored counts against the address (a robot's
     * honeypot answer too): a child correcting an answer is never locked
     * out by the corrections. */
    if (rc == WARD_OK || rc == WARD_ELIMIT) {
        char addr[INET6_ADDRSTRLEN];
        client_address(w, addr);
        double retry = 0;
        if (w->ctx->report_limit &&
            !ward_report_limit_take(w->ctx->report_limit, addr, w->now, &retry)) {
            char msg[256];
            snprintf(msg, sizeof msg, "You have sent several reports in a short time, so we cannot "
                     "take another from here for about %d minutes. Your earlier reports have "
                     "reached us. If someone is in danger now, call 999.",
                     (int)(retry / 60) + 1);
            page_audit(w, "report.limited", "/report", NULL);   /* no address: not kept */
            snprintf(w->rep->retry_after, sizeof w->rep->retry_after, "%d", (int)retry + 1);
            form_page(w, 429, f, NULL, msg);
            goto out;
        }
    }
    if (rc == WARD_ELIMIT) {   /* a robot: the same answer, nothing stored */
        uint8_t b[6];
        char receipt[WARD_REPORT_RECEIPT_MAX];
        randombytes_buf(b, sizeof b);
        ward_report_receipt(b, receipt);
        page_audit(w, "report.honeypot", "/report", NULL);
        receipt_page(w, receipt, 0);
        goto out;
    }
    if (rc) {
        form_page(w, 400, f, field, err.message);
        goto out;
    }
    ward_intel *intel = NULL;
    char receipt[WARD_REPORT_RECEIPT_MAX];
    rc = web_intel_store(w->ctx, &intel, &err);
    if (!rc)
        rc = ward_report_submit(intel, r, (time_t)w->now, receipt, &err);
    ward_intel_close(intel);
    if (rc) {
        /* the reason names files; it goes to the audit log, not the page */
        page_audit(w, "report.unavailable", "/report", err.message);
        form_page(w, 503, f, NULL, "We could not save your report just now: nothing was lost "
                                   "from this page. Please press Send again in a minute. If "
                                   "someone is in danger now, call 999.");
        goto out;
    }
    receipt_page(w, receipt, r->urgent);
out:
    sodium_memzero(f, sizeof *f);   /* a child's words do not linger in freed memory */
    sodium_memzero(r, sizeof *r);
    free(f), free(r);
}

/* ---- the duty queue ------------------------------------------------------ */

/* A report function's output captured in memory (cap_open), then the
 * store closed and, on failure, an error page sent (cap_done: NULL). */
typedef struct capture {
    char *text;
    size_t len;
    FILE *f;
} capture;

static FILE *cap_open(capture *c)
{
    *c = (capture){0};
    return c->f = open_memstream(&c->text, &c->len);
}

static char *cap_done(web_page *w, capture *c, ward_intel *in, ward_status rc,
                      const ward_error *err, const char *what)
{
    if (c->f)
        fclose(c->f);
    ward_intel_close(in);
    if (rc == WARD_OK && c->f)
        return c->text;
    free(c->text);
    page_message(w, rc == WARD_ENOTFOUND ? 404 : 500, "Not available",
                 rc == WARD_ENOTFOUND ? err->message : what);
    return NULL;
}

/* Each line of a report function's JSON-lines output to `row`; the number
 * of lines that parsed. */
static int each_line(web_page *w, const char *text,
                     void (*row)(web_page *w, yajl_val v, void *ctx), void *ctx)
{
    int n = 0;
    for (const char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
        yajl_val v = line ? yajl_tree_parse(line, NULL, 0) : NULL;
        free(line);
        if (v)
            row(w, v, ctx), n++;
        yajl_tree_free(v);
    }
    return n;
}

static void duty_opts(const web_page *w, ward_duty_opts *o)
{
    ward_duty_opts_default(o);
    if (w->ctx->opts.duty_escalate_minutes > 0)
        o->escalate_minutes = w->ctx->opts.duty_escalate_minutes;
    if (w->ctx->opts.duty_escalate_to && *w->ctx->opts.duty_escalate_to)
        o->escalate_to = w->ctx->opts.duty_escalate_to;
}

void svc_duty_tick(svc_ctx *ctx)
{
    double t = svc_mono();
    if (ctx->duty_ticked && t - ctx->duty_ticked < 30)
        return;
    ctx->duty_ticked = t;
    /* No intelligence store (no intel.db, no PostgreSQL store named):
     * nothing can be urgent, and a tick must not create one. */
    char path[4096], url[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/intel.db", ctx->opts.datadir);
    snprintf(url, sizeof url, "%s/store.url", ctx->opts.datadir);
    const char *store_url = ctx->opts.store_url;
    if (stat(path, &sb) != 0 && stat(url, &sb) != 0 && !(store_url && *store_url))
        return;
    web_page w = {.ctx = ctx};
    ward_duty_opts o;
    duty_opts(&w, &o);
    ward_intel *in = NULL;
    ward_error err;
    uint64_t n = 0;
    ward_status rc = web_intel_store(ctx, &in, &err);
    if (!rc)
        rc = ward_duty_sync(in, &o, time(NULL), &n, &err);
    ward_intel_close(in);
    char line[256];
    if (rc)
        svc_log_internal(ctx, "duty queue", err.message);
    else if (n) {
        snprintf(line, sizeof line, "duty queue: %llu urgent entr%s not acknowledged within %d "
                 "minutes, escalated to %s", (unsigned long long)n, n == 1 ? "y" : "ies",
                 o.escalate_minutes, o.escalate_to);
        svc_log_message(ctx, "warning", line);
    }
}

static void step_form(web_page *w, long long id, const char *step, const char *label,
                      const char *ask)
{
    html_f(&w->out, "<form class=\"inline\" method=\"post\" action=\"/duty/%lld/%s\">", id, step);
    page_csrf(w);
    if (ask)
        html_f(&w->out, "<label>%s <input name=\"detail\" required></label>", ask);
    html_f(&w->out, "<button>%s</button></form>", label);
}

/* Seconds since the epoch of ward's "YYYY-MM-DDTHH:MM:SSZ"; -1 if not one. */
static time_t utc_parse(const char *s)
{
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return end && !*end ? timegm(&tm) : (time_t)-1;
}

/* The checklist: each main step done (when, how long after arrival, by
 * whom) or still to do. */
static void checklist(web_page *w, yajl_val v, yajl_val steps)
{
    static const struct { const char *step, *label; } items[] = {
        {"acknowledged", "Acknowledged"},
        {"control_room", "Force control room contacted"},
        {"told", "Who was told, and when"},
        {"crime_report", "Crime report sent"},
        {"closed", "Closed with the result"}};
    time_t arrived = utc_parse(web_jstr(v, "arrived"));
    html_f(&w->out, "<ul class=\"checklist\">");
    for (size_t k = 0; k < sizeof items / sizeof *items; k++) {
        yajl_val done = NULL;
        for (size_t i = 0; steps && YAJL_IS_ARRAY(steps) && i < steps->u.array.len && !done; i++)
            if (!strcmp(web_jstr(steps->u.array.values[i], "step"), items[k].step))
                done = steps->u.array.values[i];
        if (!done) {
            html_f(&w->out, "<li class=\"todo\">To do: %s</li>", items[k].label);
            continue;
        }
        time_t at = utc_parse(web_jstr(done, "at"));
        html_f(&w->out, "<li class=\"done\">Done: %s, %s (%lld min after arrival) by %s</li>",
               items[k].label, web_jstr(done, "at"),
               arrived >= 0 && at >= 0 ? (long long)(at - arrived) / 60 : -1LL,
               web_jstr(done, "by"));
    }
    html_f(&w->out, "</ul>");
}

/* What the reporter said (a public report), or where the referral went.
 * Addresses are shown as text, never as links: nobody opens one by a
 * slip of the mouse. */
static void report_answers(web_page *w, yajl_val v)
{
    const char *subject = web_jstr(v, "subject");
    yajl_val a = jv_get(v, "answers");
    if (a && YAJL_IS_OBJECT(a)) {
        html_f(&w->out, "<dl><dt>About</dt><dd>%s</dd><dt>In danger now</dt><dd>%s</dd>"
                        "<dt>Meeting arranged</dt><dd>%s</dd>",
               !strcmp(web_jstr(a, "about"), "me") ? "the reporter (a child, about themselves)"
                                                   : "someone else",
               web_jstr(a, "danger"), web_jstr(a, "meeting"));
        if (jv_int(a, "age", 0))
            html_f(&w->out, "<dt>Age of the child</dt><dd>%lld</dd>", jv_int(a, "age", 0));
        yajl_val what = jv_get(a, "what"), urls = jv_get(a, "urls");
        html_f(&w->out, "<dt>What happened</dt><dd>");
        for (size_t i = 0; what && YAJL_IS_ARRAY(what) && i < what->u.array.len; i++)
            html_f(&w->out, "%r%s", i ? ", " : "", YAJL_GET_STRING(what->u.array.values[i]));
        html_f(&w->out, "</dd><dt>Addresses</dt><dd class=\"raw\">");
        for (size_t i = 0; urls && YAJL_IS_ARRAY(urls) && i < urls->u.array.len; i++)
            html_f(&w->out, "%r%s", i ? "<br>" : "", YAJL_GET_STRING(urls->u.array.values[i]));
        html_f(&w->out, "</dd><dt>Their name on the site</dt><dd>%s</dd><dt>In their "
                        "words</dt><dd class=\"raw\">%s</dd><dt>Contact</dt><dd>%s</dd></dl>",
               web_jstr(a, "who"), web_jstr(a, "description"),
               *web_jstr(a, "contact") ? web_jstr(a, "contact") : "none given");
    }
    if (*subject)
        html_f(&w->out, "<p>Subject <a href=\"/subject/%s\">%s</a></p>", subject, subject);
    else
        html_f(&w->out, "<p class=\"muted\">Not yet resolved into a subject ('ward intel "
                        "update').</p>");
}

/* Open entries escalated to the user looking (*(int *)ctx counts them). */
static void count_mine(web_page *w, yajl_val v, void *ctx)
{
    *(int *)ctx += !strcmp(web_jstr(v, "escalated_to"), w->sess.user.name) &&
                   !*web_jstr(v, "closed_at");
}

static void duty_entry(web_page *w, yajl_val v, void *ctx)
{
    long long id = jv_int(v, "id", 0);
    long long age = jv_int(v, "age_s", 0);
    const char *esc = web_jstr(v, "escalated_to"), *ack = web_jstr(v, "acknowledged_by");
    int closed = *web_jstr(v, "closed_at") != 0;
    html_f(&w->out, "<section class=\"duty%r\" id=\"duty-%lld\"><h2>%s %s <span "
                    "class=\"flags\">%s</span></h2><p>Arrived %s (%lld min ago). ",
           closed ? " closed" : !*ack ? " unack" : "", id,
           !strcmp(web_jstr(v, "kind"), "report") ? "Public report" : "Referral",
           web_jstr(v, "ref"), web_jstr(v, "flags"), web_jstr(v, "arrived"), age / 60);
    if (*ack)
        html_f(&w->out, "Acknowledged by %s at %s. ", ack, web_jstr(v, "acknowledged_at"));
    else if (!closed)
        html_f(&w->out, "<strong>Not acknowledged.</strong> ");
    if (*esc)
        html_f(&w->out, "<strong>Escalated to %s at %s.</strong>", esc,
               web_jstr(v, "escalated_at"));
    html_f(&w->out, "</p>");
    report_answers(w, v);
    yajl_val steps = jv_get(v, "steps");
    checklist(w, v, steps);
    html_f(&w->out, "<details><summary>Every step</summary><ol class=\"steps\">");
    for (size_t i = 0; steps && YAJL_IS_ARRAY(steps) && i < steps->u.array.len; i++) {
        yajl_val s = steps->u.array.values[i];
        html_f(&w->out, "<li><time>%s</time> %s by %s%r%s</li>", web_jstr(s, "at"),
               web_jstr(s, "step"), web_jstr(s, "by"), *web_jstr(s, "detail") ? ": " : "",
               web_jstr(s, "detail"));
    }
    html_f(&w->out, "</ol></details>");
    if (!closed) {
        if (!*ack)
            step_form(w, id, "acknowledged", "Acknowledge", NULL);
        step_form(w, id, "control_room", "Recorded", "Force control room contacted (force, "
                                                     "their reference)");
        step_form(w, id, "told", "Recorded", "Who was told, and when");
        step_form(w, id, "crime_report", "Recorded", "Crime report sent (reference, force)");
        step_form(w, id, "note", "Add note", "Note");
        step_form(w, id, "closed", "Close", "Result");
    }
    html_f(&w->out, "</section>");
}

static ward_intel *duty_open(web_page *w)
{
    ward_intel *in = web_intel_open(w);
    ward_duty_opts o;
    duty_opts(w, &o);
    ward_error err;
    uint64_t n = 0;
    if (in && ward_duty_sync(in, &o, (time_t)w->now, &n, &err) != WARD_OK) {
        page_unavailable(w, &err);
        ward_intel_close(in);
        return NULL;
    }
    return in;
}

static void duty_post(web_page *w)
{
    char *end;
    long long id = strtoll(w->req->url + strlen("/duty/"), &end, 10);
    if (end == w->req->url + strlen("/duty/") || *end != '/') {
        page_message(w, 404, "Not found", "There is no such duty entry.");
        return;
    }
    char detail[1024];
    page_field(w, "detail", detail, sizeof detail);
    ward_intel *in = duty_open(w);
    if (!in)
        return;
    ward_error err;
    ward_status rc = ward_duty_step(in, id, end + 1, w->sess.user.name, detail,
                                    (time_t)w->now, &err);
    ward_intel_close(in);
    if (rc) {
        page_message(w, rc == WARD_ENOTFOUND ? 404 : 400, "Not recorded", err.message);
        return;
    }
    char obj[40];
    snprintf(obj, sizeof obj, "duty %lld", id);
    page_audit(w, "web.duty.step", obj, end + 1);
    char to[64];
    snprintf(to, sizeof to, "/duty#duty-%lld", id);
    page_redirect(w, to);
}

void web_duty(web_page *w)
{
    if (strcmp(w->req->method, "POST") == 0) {
        duty_post(w);
        return;
    }
    ward_intel *in = duty_open(w);
    if (!in)
        return;
    capture c;
    ward_error err;
    ward_status rc = cap_open(&c) ? ward_duty_list(in, (time_t)w->now, 1, c.f, &err)
                                  : WARD_ENOMEM;
    char *text = cap_done(w, &c, in, rc, &err, "The duty queue could not be read.");
    if (!text)
        return;
    page_audit(w, "web.duty.view", "/duty", NULL);
    page_begin(w, "Duty queue: urgent reports and referrals");
    html_f(&w->out, "<p class=\"caveat\">Each entry: acknowledge it, contact the force control "
                    "room where the child is, record who was told and when, send the crime "
                    "report, close it with the result. An entry not acknowledged within %d "
                    "minutes is escalated. Every step is recorded.</p>",
           w->ctx->opts.duty_escalate_minutes > 0 ? w->ctx->opts.duty_escalate_minutes : 15);
    /* the second person sees at once what was escalated to them */
    int mine = 0;
    each_line(w, text, count_mine, &mine);
    if (mine)
        html_f(&w->out, "<p class=\"danger\" role=\"alert\"><strong>%d urgent entr%r "
                        "escalated to you: nobody acknowledged %r in time.</strong></p>",
               mine, mine == 1 ? "y was" : "ies were", mine == 1 ? "it" : "them");
    if (!each_line(w, text, duty_entry, NULL))
        html_f(&w->out, "<p>Nothing urgent.</p>");
    free(text);
    page_end(w, 200);
}

/* ---- feedback letters ---------------------------------------------------- */

/* One source's row of /feedback. */
static void source_row(web_page *w, yajl_val v, void *ctx)
{
    const char *src = web_jstr(v, "source");
    strbuf url = {0};
    web_url_escape(&url, src);
    long long overdue = jv_int(v, "overdue", 0);
    html_f(&w->out, "<tr%r><td>%s</td><td>%lld</td><td>%lld</td><td class=\"due\">%lld</td>"
                    "<td>%s</td><td><a href=\"/feedback/%r\">letter</a> "
                    "<form class=\"inline\" method=\"post\" action=\"/feedback/%r/sent\">",
           overdue ? " class=\"overdue\"" : "", src, jv_int(v, "items", 0),
           jv_int(v, "sent", 0), overdue,
           *web_jstr(v, "last_sent") ? web_jstr(v, "last_sent") : "never", url.s ? url.s : "",
           url.s ? url.s : "");
    page_csrf(w);
    html_f(&w->out, "<button>Mark as sent</button></form></td></tr>");
    strbuf_free(&url);
}

/* /feedback: every source with what it is owed, sent and overdue. */
static void feedback_overview(web_page *w)
{
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    capture c;
    ward_feedback_kpi k;
    ward_error err;
    ward_status rc = cap_open(&c) ? ward_feedback_kpi_get(in, (time_t)w->now, 7, 28, 1, c.f,
                                                          &k, &err)
                                  : WARD_ENOMEM;
    char *text = cap_done(w, &c, in, rc, &err, "The feedback figures could not be read.");
    if (!text)
        return;
    page_audit(w, "web.feedback.view", "/feedback", NULL);
    page_begin(w, "Feedback to referrers");
    html_f(&w->out, "<p class=\"caveat\">What each referring source is owed: a receipt for each "
                    "list, progress of each package made from its referrals, the outcome. "
                    "Overdue: not sent within 7 days. Packages silent over 28 days: %lld; "
                    "duty entries open: %lld, escalated in all: %lld.</p><table><thead><tr>"
                    "<th scope=\"col\">Source</th><th scope=\"col\">Owed</th>"
                    "<th scope=\"col\">Sent</th><th scope=\"col\">Overdue</th>"
                    "<th scope=\"col\">Last sent</th><th scope=\"col\">Letter</th></tr>"
                    "</thead><tbody>",
           (long long)k.silent, (long long)k.duty_open, (long long)k.duty_escalated);
    each_line(w, text, source_row, NULL);
    html_f(&w->out, "</tbody></table>");
    free(text);
    page_end(w, 200);
}

void web_feedback(web_page *w)
{
    if (!strcmp(w->req->url, "/feedback")) {
        feedback_overview(w);
        return;
    }
    const char *rest = w->req->url + strlen("/feedback/");
    char source[128];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (!n || n >= sizeof source) {
        page_message(w, 404, "Not found", "There is no such source.");
        return;
    }
    memcpy(source, rest, n);
    source[n] = 0;
    int post = strcmp(w->req->method, "POST") == 0;
    if (post != (slash && !strcmp(slash, "/sent"))) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_error err;
    ward_status rc;
    if (post) {
        rc = ward_feedback_mark_sent(in, source, w->sess.user.name, (time_t)w->now, &err);
        ward_intel_close(in);
        if (rc)
            page_message(w, rc == WARD_ENOTFOUND ? 404 : 500, "Not recorded", err.message);
        else
            page_redirect(w, "/feedback");
        return;
    }
    const char *fmt = svc_arg(w->req, "format");
    int json = fmt && !strcmp(fmt, "json");
    capture c;
    rc = cap_open(&c) ? ward_feedback_letter(in, source, (time_t)w->now, json ? "json" : "html",
                                             c.f, &err)
                      : WARD_ENOMEM;
    char *text = cap_done(w, &c, in, rc, &err, "The letter could not be made.");
    if (!text)
        return;
    page_audit(w, "web.feedback.view", source, json ? "json" : "html");
    free(w->rep->body);
    w->rep->body = text;
    w->rep->body_len = c.len;
    w->rep->status = 200;
    w->rep->content_type = json ? "application/json" : "text/html; charset=utf-8";
    /* the letter carries its own print styles */
    w->rep->csp = json ? NULL : "default-src 'none'; style-src 'unsafe-inline'; "
                                "frame-ancestors 'none'; base-uri 'none'";
}
