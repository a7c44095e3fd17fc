/*
 * Exhibit pages: the exhibit list with the casework KPIs (backlog by lab
 * and age as SVG, times from seizure to triage and report, child-at-risk
 * exhibits started within 24 h), one exhibit with its continuity log and
 * scans (and forms to move it on), and a lab's forecast and queue.
 *
 * Compartments as for packages: an exhibit's compartment is its owning
 * force (national analysts see all, a hub officer the forces of the hub,
 * a force officer the force). A lab's queue is shared by forces, so its
 * page shows every position, but another unit's exhibit only as "held
 * elsewhere". Every view and change goes to the audit log; changes also
 * go to the exhibit's continuity log and its subject's history.
 */
#include "web/web.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/casework.h>
#include <ward/intel.h>

#define LIST_MAX 500     /* exhibits listed on one page */
#define QUEUE_MAX 200    /* queue positions shown on a lab's page */

/* A link to /PREFIX/NAME with NAME percent-encoded. */
static void link(web_page *w, const char *prefix, const char *name, const char *text)
{
    strbuf u = {0};
    web_url_escape(&u, name);
    html_f(&w->out, "<a href=\"/%s/%s\">%s</a>", prefix, u.s ? u.s : "", text);
    strbuf_free(&u);
}

static void day(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d", &tm);
}

/* ---- /exhibits --------------------------------------------------------------- */

static const char *const age_labels[5] = {"< 30 days", "30-90", "90-180", "180-365",
                                          "> 1 year"};
static const char *const age_fill[5] = {"#9fb0c6", "#f3c623", "#e06000", "#a40000", "#5a0000"};

typedef struct lab_ages {
    char lab[64];
    unsigned n[5];
} lab_ages;

/* Backlog by lab and age since seizure (queued exhibits of the user's
 * compartment): a stacked bar per lab. */
static void backlog_svg(web_page *w, const lab_ages *rows, size_t n)
{
    unsigned most = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned t = 0;
        for (int b = 0; b < 5; b++)
            t += rows[i].n[b];
        most = t > most ? t : most;
    }
    int h = 40 + (int)n * 24;
    html_f(&w->out, "<svg role=\"img\" aria-label=\"Queued exhibits by lab and age\" "
                    "width=\"900\" height=\"%d\" viewBox=\"0 0 900 %d\">", h, h);
    for (int b = 0; b < 5; b++)
        html_f(&w->out, "<rect x=\"%d\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"17\">%s</text>", 210 + b * 110, age_fill[b],
               224 + b * 110, age_labels[b]);
    for (size_t i = 0; i < n; i++) {
        int y = 30 + (int)i * 24;
        double x = 210;
        unsigned total = 0;
        html_f(&w->out, "<text x=\"4\" y=\"%d\">%s</text>", y + 13,
               rows[i].lab[0] ? rows[i].lab : "(no lab)");
        for (int b = 0; b < 5; b++) {
            double wd = (double)rows[i].n[b] / most * 560;
            if (wd > 0)
                html_f(&w->out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" "
                                "fill=\"%s\"><title>%s %s: %d</title></rect>", x, y, wd,
                       age_fill[b], rows[i].lab, age_labels[b], (int)rows[i].n[b]);
            x += wd;
            total += rows[i].n[b];
        }
        html_f(&w->out, "<text x=\"%.1f\" y=\"%d\">%d</text>", x + 6, y + 13, (int)total);
    }
    html_f(&w->out, "</svg>");
}

static void kpis(web_page *w, ward_intel *in, const ward_forecast *f)
{
    lab_ages rows[64];
    size_t n = 0;
    for (size_t i = 0; i < f->n_queue; i++) {
        const ward_queue_entry *q = &f->queue[i];
        if (!web_covers(w, in, q->ex.force))
            continue;
        if (!n || strcmp(rows[n - 1].lab, q->ex.lab)) {
            if (n == 64)
                break;
            memset(&rows[n], 0, sizeof rows[n]);
            snprintf(rows[n].lab, sizeof rows[n].lab, "%s", q->ex.lab);
            n++;
        }
        struct tm tm = {0};
        const char *end = strptime(q->ex.seized, "%Y-%m-%dT%H:%M:%SZ", &tm);
        double age = end ? (w->now - (double)timegm(&tm)) / 86400 : 0;
        rows[n - 1].n[age < 30 ? 0 : age < 90 ? 1 : age < 180 ? 2 : age < 365 ? 3 : 4]++;
    }
    html_f(&w->out, "<h2>Backlog by lab and age</h2>");
    backlog_svg(w, rows, n);
    /* times and shares are counts only, over every force (as list completion) */
    ward_exhibit_kpis k;
    ward_error err;
    if (ward_exhibit_kpis_get(in, (time_t)w->now, NULL, &k, &err) != WARD_OK)
        return;
    html_f(&w->out, "<h2>Times (all forces)</h2><table><tr><th>Exhibits</th><th>Queued</th>"
                    "<th>In examination</th><th>Reported</th><th>Median days seizure to "
                    "triage</th><th>Median days seizure to report</th><th>Child at risk "
                    "started within 24 h</th></tr>");
    char tri[32] = "-", rep[32] = "-", share[64] = "none flagged";
    if (k.median_days_to_triage >= 0)
        snprintf(tri, sizeof tri, "%.1f", k.median_days_to_triage);
    if (k.median_days_to_report >= 0)
        snprintf(rep, sizeof rep, "%.1f", k.median_days_to_report);
    if (k.child_total)
        snprintf(share, sizeof share, "%llu of %llu (%.0f%%)",
                 (unsigned long long)k.child_started_24h, (unsigned long long)k.child_total,
                 100.0 * (double)k.child_started_24h / (double)k.child_total);
    html_f(&w->out, "<tr><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td>"
                    "<td>%s</td></tr></table>", (int)k.exhibits, (int)k.queued,
           (int)k.in_examination, (int)k.reported, tri, rep, share);
}

static void labs_table(web_page *w, const ward_forecast *f)
{
    html_f(&w->out, "<h2>Labs</h2><table><tr><th>Lab</th><th>Examiners</th><th>Hours a "
                    "week</th><th>Exhibits per examiner-week</th><th>Queued</th><th>Backlog "
                    "(weeks)</th></tr>");
    for (size_t i = 0; i < f->n_labs; i++) {
        const ward_lab *l = &f->labs[i];
        html_f(&w->out, "<tr><td>");
        link(w, "lab", l->name, l->name);
        html_f(&w->out, "</td><td>%d</td><td>%.1f</td><td>%g (%s)</td><td>%d</td>"
                        "<td>%.1f</td></tr>", l->examiners, l->hours, l->exhibits_per_week,
               l->learnt ? "learnt" : "default", (int)l->queued, l->backlog_weeks);
    }
    if (!f->n_labs)
        html_f(&w->out, "<tr><td colspan=\"6\" class=\"muted\">no labs (ward exhibit lab NAME "
                        "--examiners N)</td></tr>");
    html_f(&w->out, "</table>");
}

typedef struct list_ctx {
    web_page *w;
    ward_intel *in;
    size_t shown, total;
} list_ctx;

static int list_row(void *ctx, const ward_exhibit *e)
{
    list_ctx *c = ctx;
    if (!web_covers(c->w, c->in, e->force))
        return 0;
    if (c->total++ >= LIST_MAX)
        return 0;
    c->shown++;
    html_f(&c->w->out, "<tr><td>");
    link(c->w, "exhibit", e->ref, e->ref);
    html_f(&c->w->out, "</td><td>%s%r</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                       "<td>%s</td><td>%s</td></tr>",
           ward_exhibit_status_name(e->status),
           e->child_at_risk ? " <span class=\"band b0\">child at risk</span>" : "", e->kind,
           e->description, e->force, e->lab, e->subject[0] ? e->subject : "-", e->seized_raw);
    return 0;
}

void web_exhibits(web_page *w)
{
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_forecast f;
    ward_error err;
    if (ward_exhibit_forecast(in, (time_t)w->now, NULL, &f, &err) != WARD_OK) {
        page_message(w, 500, "Exhibits unavailable", err.message);
        ward_intel_close(in);
        return;
    }
    page_begin(w, "Exhibits");
    kpis(w, in, &f);
    labs_table(w, &f);
    ward_forecast_free(&f);
    html_f(&w->out, "<h2>Exhibits</h2><table><tr><th>Reference</th><th>Status</th><th>Kind"
                    "</th><th>Description</th><th>Force</th><th>Lab</th><th>Subject</th>"
                    "<th>Seized</th></tr>");
    list_ctx c = {w, in, 0, 0};
    ward_exhibit_filter flt = {NULL, NULL, -1};
    if (ward_exhibit_each(in, &flt, list_row, &c, &err) != WARD_OK)
        html_f(&w->out, "<tr><td colspan=\"8\" class=\"error\">the list stops here: %s"
                        "</td></tr>", err.message);
    else if (!c.total)
        html_f(&w->out, "<tr><td colspan=\"8\" class=\"muted\">none in your compartment"
                        "</td></tr>");
    html_f(&w->out, "</table>");
    if (c.total > c.shown)
        html_f(&w->out, "<p class=\"muted\">%d of %d shown (ward exhibit list has them all)."
                        "</p>", (int)c.shown, (int)c.total);
    page_audit(w, "web.exhibits.view", w->sess.user.unit, NULL);
    ward_intel_close(in);
    page_end(w, 200);
}

/* ---- /exhibit/REF --------------------------------------------------------------- */

static void form_start(web_page *w, const char *ref, const char *action, const char *label)
{
    strbuf u = {0};
    web_url_escape(&u, ref);
    html_f(&w->out, "<form class=\"action\" method=\"post\" action=\"/exhibit/%s/%s\">"
                    "<strong>%s</strong> ", u.s ? u.s : "", action, label);
    strbuf_free(&u);
}

static void form_end(web_page *w, const char *button)
{
    page_csrf(w);
    html_f(&w->out, "<button>%s</button></form>", button);
}

static void exhibit_forms(web_page *w, const ward_exhibit *e)
{
    form_start(w, e->ref, "status", "Move the status on");
    html_f(&w->out, "<select name=\"status\">");
    for (int s = (int)e->status + 1; s < WARD_EXHIBIT_NSTATUS; s++)
        html_f(&w->out, "<option>%s</option>", ward_exhibit_status_name((ward_exhibit_status)s));
    html_f(&w->out, "</select> <input name=\"note\" size=\"40\" placeholder=\"note\">");
    form_end(w, "Change");
    form_start(w, e->ref, "move", "Hand over");
    html_f(&w->out, "<input name=\"to\" placeholder=\"to (holder)\" required> <input "
                    "name=\"place\" placeholder=\"place\" required>");
    form_end(w, "Record");
    form_start(w, e->ref, "prioritise", "Queue as");
    html_f(&w->out, "<select name=\"band\"><option value=\"very-high\">Very High</option>"
                    "<option value=\"high\">High</option><option value=\"medium\">Medium"
                    "</option><option value=\"low\">Low</option><option value=\"none\">"
                    "(remove override)</option></select> <input name=\"reason\" size=\"40\" "
                    "placeholder=\"reason (required)\" required>");
    form_end(w, "Override");
    form_start(w, e->ref, "child", e->child_at_risk ? "Clear child at risk" : "Child at risk");
    html_f(&w->out, "<input type=\"hidden\" name=\"on\" value=\"%s\"><input name=\"reason\" "
                    "size=\"40\" placeholder=\"reason (required)\" required>",
           e->child_at_risk ? "0" : "1");
    form_end(w, e->child_at_risk ? "Clear" : "Set");
}

static void continuity(web_page *w, ward_intel *in, const char *ref)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ward_error err;
    ward_status rc = f ? ward_exhibit_log(in, ref, 1, f, &err) : WARD_ENOMEM;
    if (f)
        fclose(f);
    uint64_t n = 0;
    int intact = ward_exhibit_verify(in, ref, &n, &err) == WARD_OK;
    html_f(&w->out, "<h2>Continuity</h2><p class=\"%s\">%s</p><table><tr><th>When</th><th>What"
                    "</th><th>By</th><th>Holder</th><th>Place</th><th>Detail</th></tr>",
           intact ? "muted" : "msg",
           intact ? "The log's hash chain is intact." : "The log's hash chain is BROKEN: an "
                                                        "entry was altered.");
    for (const char *p = rc == WARD_OK ? buf : NULL; p && *p;) {
        const char *nl = strchr(p, '\n');
        char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
        yajl_val v = line ? yajl_tree_parse(line, NULL, 0) : NULL;
        if (v)
            html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                            "<td>%s</td></tr>", web_jstr(v, "at"), web_jstr(v, "action"),
                   web_jstr(v, "by"), web_jstr(v, "holder"), web_jstr(v, "place"),
                   web_jstr(v, "detail"));
        yajl_tree_free(v);
        free(line);
        p = nl ? nl + 1 : NULL;
    }
    html_f(&w->out, "</table>");
    free(buf);
}

static void scans(web_page *w, ward_intel *in, const char *ref)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ward_error err;
    ward_status rc = f ? ward_exhibit_scans(in, ref, f, &err) : WARD_ENOMEM;
    if (f)
        fclose(f);
    html_f(&w->out, "<h2>Scans</h2><table><tr><th>When</th><th>By</th><th>Files</th><th>Known"
                    "</th><th>Near</th><th>New images</th><th>Lists and categories</th>"
                    "<th>Store revision</th><th>Index SHA-256</th></tr>");
    int any = 0;
    for (const char *p = rc == WARD_OK ? buf : NULL; p && *p;) {
        const char *nl = strchr(p, '\n');
        char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
        yajl_val v = line ? yajl_tree_parse(line, NULL, 0) : NULL;
        const char *sp[] = {"summary", NULL}, *cp[] = {"classes", NULL},
                   *tp[] = {"totals", NULL}, *kp[] = {"categories", NULL};
        yajl_val s = v ? yajl_tree_get(v, sp, yajl_t_object) : NULL;
        yajl_val cl = s ? yajl_tree_get(s, cp, yajl_t_object) : NULL;
        yajl_val to = s ? yajl_tree_get(s, tp, yajl_t_object) : NULL;
        yajl_val ca = s ? yajl_tree_get(s, kp, yajl_t_array) : NULL;
        if (s) {
            any = 1;
            html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td>"
                            "<td>%d</td><td>", web_jstr(v, "at"), web_jstr(v, "by"),
                   (int)web_jnum(to, "files"), (int)web_jnum(cl, "known"),
                   (int)web_jnum(cl, "near"), (int)web_jnum(cl, "new-image"));
            for (size_t i = 0; ca && i < ca->u.array.len; i++) {
                yajl_val x = ca->u.array.values[i];
                html_f(&w->out, "%r%s %s cat. %s%s%s: %d", i ? "<br>" : "",
                       web_jstr(x, "class"), web_jstr(x, "list"), web_jstr(x, "category"),
                       *web_jstr(x, "series") ? " series " : "", web_jstr(x, "series"),
                       (int)web_jnum(x, "files"));
            }
            html_f(&w->out, "</td><td>%d</td><td class=\"raw\">%s</td></tr>",
                   (int)web_jnum(s, "store_revision"), web_jstr(s, "index_sha256"));
        }
        yajl_tree_free(v);
        free(line);
        p = nl ? nl + 1 : NULL;
    }
    if (!any)
        html_f(&w->out, "<tr><td colspan=\"9\" class=\"muted\">not scanned yet (ward scan "
                        "--exhibit)</td></tr>");
    html_f(&w->out, "</table>");
    free(buf);
}

static void exhibit_page(web_page *w, ward_intel *in, const ward_exhibit *e)
{
    char title[96];
    snprintf(title, sizeof title, "Exhibit %s", e->ref);
    page_begin(w, title);
    if (e->child_at_risk)
        html_f(&w->out, "<p class=\"due\">A child is at risk: examination due within 24 hours "
                        "of %s.</p>", e->child_flagged);
    if (e->needs_grading)
        html_f(&w->out, "<p class=\"due\">Needs grading: the scan found material no list "
                        "knows.</p>");
    html_f(&w->out, "<table><tr><th>Status</th><td>%s</td></tr><tr><th>Kind</th><td>%s</td>"
                    "</tr><tr><th>Description</th><td>%s</td></tr><tr><th>Force / unit</th>"
                    "<td>%s %s</td></tr><tr><th>Lab</th><td>",
           ward_exhibit_status_name(e->status), e->kind, e->description, e->force, e->unit);
    if (e->lab[0])
        link(w, "lab", e->lab, e->lab);
    html_f(&w->out, "</td></tr><tr><th>Seized</th><td class=\"raw\">%s</td></tr><tr><th>Place"
                    "</th><td>%s</td></tr><tr><th>Seal</th><td>%s</td></tr><tr><th>Holder</th>"
                    "<td>%s</td></tr><tr><th>Subject</th><td>",
           e->seized_raw, e->place, e->seal, e->holder);
    if (e->subject[0])
        link(w, "subject", e->subject, e->subject);
    else
        html_f(&w->out, "none linked");
    html_f(&w->out, "</td></tr><tr><th>Image</th><td class=\"raw\">%s%r%s%r%s%r%s</td></tr>",
           e->sha256[0] ? e->image : "not acquired", e->sha256[0] ? "<br>md5 " : "", e->md5,
           e->sha256[0] ? "<br>sha1 " : "", e->sha1, e->sha256[0] ? "<br>sha256 " : "",
           e->sha256);
    if (e->override_band[0])
        html_f(&w->out, "<tr><th>Queue override</th><td>%s by %s: %s</td></tr>",
               e->override_band, e->override_by, e->override_reason);
    html_f(&w->out, "</table>");
    exhibit_forms(w, e);
    continuity(w, in, e->ref);
    scans(w, in, e->ref);
    page_end(w, 200);
}

static void exhibit_change(web_page *w, ward_intel *in, const ward_exhibit *e,
                           const char *action)
{
    char a[80], b[600], who[80];
    ward_error err;
    ward_status rc;
    time_t now = (time_t)w->now;
    snprintf(who, sizeof who, "%s", w->sess.user.name);
    if (!strcmp(action, "status")) {
        page_field(w, "note", b, sizeof b);
        rc = ward_exhibit_set_status(in, e->ref, page_field(w, "status", a, sizeof a), who, b,
                                     now, &err);
    } else if (!strcmp(action, "move")) {
        page_field(w, "place", b, sizeof b);
        rc = ward_exhibit_move(in, e->ref, page_field(w, "to", a, sizeof a), b, who, NULL, now,
                               &err);
    } else if (!strcmp(action, "prioritise")) {
        page_field(w, "reason", b, sizeof b);
        rc = ward_exhibit_prioritise(in, e->ref, page_field(w, "band", a, sizeof a), who, b, now,
                                     &err);
    } else {
        page_field(w, "reason", b, sizeof b);
        rc = ward_exhibit_child_at_risk(in, e->ref, !strcmp(page_field(w, "on", a, sizeof a), "1"),
                                        who, b, now, &err);
    }
    if (rc != WARD_OK) {
        page_message(w, 400, "Change refused", err.message);
        return;
    }
    char detail[700];
    snprintf(detail, sizeof detail, "%s: %s %s", action, a, b);
    page_audit(w, "web.exhibit.change", e->ref, detail);
    strbuf u = {0};
    strbuf_add(&u, "/exhibit/", 9);
    web_url_escape(&u, e->ref);
    page_redirect(w, u.s ? u.s : "/exhibits");
    strbuf_free(&u);
}

void web_exhibit(web_page *w)
{
    const char *tail = w->req->url + strlen("/exhibit/");
    size_t n = strcspn(tail, "/");
    int post = !strcmp(w->req->method, "POST");
    const char *action = post && tail[n] == '/' ? tail + n + 1 : NULL;
    int known = action && (!strcmp(action, "status") || !strcmp(action, "move") ||
                           !strcmp(action, "prioritise") || !strcmp(action, "child"));
    char ref[64];
    if (n == 0 || n >= sizeof ref || (post && !known) || (!post && tail[n])) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    snprintf(ref, sizeof ref, "%.*s", (int)n, tail);
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_exhibit e;
    ward_error err;
    if (ward_exhibit_get(in, ref, &e, &err) != WARD_OK)
        page_message(w, 404, "Not found", err.message);
    else if (!web_covers(w, in, e.force))
        page_denied(w, ref, "exhibit outside the user's compartment");
    else if (post)
        exhibit_change(w, in, &e, action);
    else {
        page_audit(w, "web.exhibit.view", ref, NULL);
        exhibit_page(w, in, &e);
    }
    ward_intel_close(in);
}

/* ---- /lab/NAME ------------------------------------------------------------------- */

static const char *alert_text(int a)
{
    return a & WARD_QUEUE_ALERT_CHILD     ? "child at risk not started within 24 h"
           : a & WARD_QUEUE_ALERT_WAITING ? "waiting past the threshold"
           : a & WARD_QUEUE_ALERT_WILL_WAIT ? "will wait past the threshold"
                                            : "";
}

static void lab_page(web_page *w, ward_intel *in, const ward_forecast *f)
{
    const ward_lab *l = &f->labs[0];
    char title[96];
    snprintf(title, sizeof title, "Lab %s", l->name);
    page_begin(w, title);
    html_f(&w->out, "<p>%d examiners, %.1f hours a week each; %g exhibits per examiner-week "
                    "(%s)%r. <strong>%d queued, backlog %.1f weeks.</strong> %d alerts.</p>",
           l->examiners, l->hours, l->exhibits_per_week,
           l->learnt ? "learnt from the exhibits reported in the last 26 weeks"
                     : "default: not enough history yet",
           "", (int)l->queued, l->backlog_weeks, (int)f->n_alerts);
    html_f(&w->out, "<p class=\"muted\">Order: child at risk first, then the band the exhibit "
                    "is queued at (override, else its subject's), the subject's deadline, "
                    "age. Start and finish are a forecast (docs/casework.md).</p>");
    html_f(&w->out, "<table><tr><th>#</th><th>Exhibit</th><th>Why here</th><th>Expected "
                    "start</th><th>Expected finish</th><th>Alert</th></tr>");
    for (size_t i = 0; i < f->n_queue && i < QUEUE_MAX; i++) {
        const ward_queue_entry *q = &f->queue[i];
        char s[32] = "-", fin[32] = "-";
        if (q->start)
            day(q->start, s), day(q->finish, fin);
        html_f(&w->out, "<tr%r><td>%d</td><td>", q->alert ? " class=\"due\"" : "",
               (int)q->position);
        if (web_covers(w, in, q->ex.force)) {
            link(w, "exhibit", q->ex.ref, q->ex.ref);
            html_f(&w->out, "</td><td>%s</td>", q->why);
        } else {
            html_f(&w->out, "held elsewhere (%s)</td><td class=\"muted\">another unit's "
                            "exhibit</td>", q->ex.force);
        }
        html_f(&w->out, "<td>%s</td><td>%s</td><td>%s</td></tr>", s, fin,
               alert_text(q->alert));
    }
    html_f(&w->out, "</table>");
    if (f->n_queue > QUEUE_MAX)
        html_f(&w->out, "<p class=\"muted\">First %d of %d shown (ward exhibit queue --lab has "
                        "them all).</p>", QUEUE_MAX, (int)f->n_queue);
    page_end(w, 200);
}

void web_lab(web_page *w)
{
    const char *name = w->req->url + strlen("/lab/");
    if (!*name || strlen(name) >= 64 || strchr(name, '/')) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_forecast_opts o;
    ward_forecast_opts_default(&o);
    o.lab = name;
    ward_forecast f;
    ward_error err;
    if (ward_exhibit_forecast(in, (time_t)w->now, &o, &f, &err) != WARD_OK)
        page_message(w, 500, "Forecast unavailable", err.message);
    else {
        /* only the lab asked for is of interest */
        size_t k = 0;
        while (k < f.n_labs && strcmp(f.labs[k].name, name))
            k++;
        if (k == f.n_labs)
            page_message(w, 404, "Not found", "There is no such lab.");
        else {
            if (k) {
                ward_lab t = f.labs[0];
                f.labs[0] = f.labs[k], f.labs[k] = t;
            }
            page_audit(w, "web.lab.view", name, NULL);
            lab_page(w, in, &f);
        }
        ward_forecast_free(&f);
    }
    ward_intel_close(in);
}
