/*
 * Intelligence pages: my queue, subject, package (with lifecycle forms),
 * alerts and KPIs, read through intel.h's typed views and limited to the
 * user's compartment:
 *   national-analyst  everything
 *   hub-officer       packages held by the hub or a force of its region
 *   force-officer     packages held by the force
 * A subject is seen through its package, so its compartment is its
 * package's holder. Every view of a subject or package, every change and
 * every refusal goes to the audit log.
 *
 * Retention: whoever may change a subject (its compartment) may keep it or
 * mark it for disposal, with a reason. Carrying out a disposal is an
 * admin's: the admin's subject page shows the retention status, the
 * decision and what would go, never the subject's data, and deletes only
 * on an explicit confirmation. A disposed subject's page is its tombstone.
 */
#include "web/web.h"
#include "scan/jsonl.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/intel.h>

/* ---- reading intel.db --------------------------------------------------- */

ward_status web_intel_store(const svc_ctx *ctx, ward_intel **in, ward_error *err)
{
    *in = NULL;
    return ward_intel_open_keyed(ctx->opts.datadir, ctx->opts.store_url, ctx->opts.intel_key_file,
                                 in, err);
}

ward_intel *web_intel_open(web_page *w)
{
    ward_intel *in = NULL;
    ward_error err;
    if (web_intel_store(w->ctx, &in, &err) != WARD_OK) {
        page_unavailable(w, &err);
        return NULL;
    }
    return in;
}

/* A report function's output as text (caller frees); NULL on failure. */
typedef struct capture {
    char *buf;
    size_t len;
    FILE *f;
} capture;

static FILE *cap_open(capture *c)
{
    memset(c, 0, sizeof *c);
    return c->f = open_memstream(&c->buf, &c->len);
}

static char *cap_close(capture *c, ward_status rc)
{
    if (c->f)
        fclose(c->f);
    if (rc != WARD_OK) {
        free(c->buf);
        return NULL;
    }
    return c->buf;
}

const char *web_jstr(yajl_val v, const char *key)
{
    const char *s = v ? jv_str(v, key) : NULL;
    return s ? s : "";
}

double web_jnum(yajl_val v, const char *key)
{
    yajl_val n = v ? jv_get(v, key) : NULL;
    return YAJL_IS_NUMBER(n) ? YAJL_GET_DOUBLE(n) : 0;
}

/* ---- compartments --------------------------------------------------------- */

int web_covers(const web_page *w, ward_intel *in, const char *holder)
{
    const ward_user *u = &w->sess.user;
    if (u->role == WARD_ROLE_NATIONAL)
        return 1;
    if (!holder || !*holder)
        return 0;
    if (strcmp(holder, u->unit) == 0)
        return 1;
    const char *hub = u->role == WARD_ROLE_HUB ? ward_intel_hub_of(in, holder) : NULL;
    return hub && strcmp(hub, u->unit) == 0;
}

static void now_iso(const web_page *w, char out[32])
{
    time_t t = (time_t)w->now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int band_class(const char *band)
{
    static const char *const labels[] = {"Very High", "High", "Medium", "Low"};
    for (int i = 0; i < 4; i++)
        if (strcmp(band, labels[i]) == 0)
            return i;
    return 3;
}

static void band_tag(web_page *w, const char *band)
{
    html_f(&w->out, "<span class=\"band b%d\">%s</span>", band_class(band), band);
}

static int is_open(const char *state)
{
    return !strcmp(state, "created") || !strcmp(state, "disseminated") ||
           !strcmp(state, "accepted");
}

/* ---- my queue --------------------------------------------------------------- */

void web_queue(web_page *w)
{
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_error err;
    ward_intel_queue q;
    if (ward_intel_queue_get(in, NULL, &q, &err) != WARD_OK) {
        ward_intel_queue_free(&q);
        ward_intel_close(in);
        page_unavailable(w, &err);
        return;
    }
    char now[32];
    now_iso(w, now);
    page_audit(w, "web.queue.view", w->sess.user.unit, NULL);   /* it lists subjects */
    page_begin(w, "My queue");
    html_f(&w->out, "<p class=\"muted\">Packages held by %s, most urgent first (band, then "
                    "deadline). Overdue packages are highlighted.</p>",
           w->sess.user.role == WARD_ROLE_NATIONAL ? "every unit" : w->sess.user.unit);
    html_f(&w->out, "<table><tr><th>Package</th><th>Subject</th><th>Band</th><th>Deadline</th>"
                    "<th>Holder</th><th>State</th><th>Version</th></tr>");
    int shown = 0, overdue = 0;
    for (size_t i = 0; i < q.n; i++) {
        const ward_intel_queue_item *p = &q.items[i];
        const char *state = p->state ? p->state : "", *deadline = p->deadline ? p->deadline : "";
        if (!web_covers(w, in, p->holder) || !strcmp(state, "outcome") ||
            !strcmp(state, "merged"))
            continue;
        int late = is_open(state) && strcmp(deadline, now) < 0;
        overdue += late;
        shown++;
        long long id = (long long)p->package;
        html_f(&w->out, "<tr%r><td><a href=\"/package/%lld\">%lld</a></td>"
                        "<td><a href=\"/subject/%s\">%s</a></td><td>",
               late ? " class=\"overdue\"" : "", id, id, p->subject, p->subject);
        band_tag(w, p->band_label);
        if (p->identity_unverified)
            html_f(&w->out, " <strong>identity unverified</strong>");
        html_f(&w->out, "</td><td class=\"due\">%s%r</td><td>%s</td><td>%s</td><td>%d</td></tr>",
               deadline, late ? " (overdue)" : "", p->holder ? p->holder : "", state, p->version);
    }
    html_f(&w->out, "</table><p>%d open packages, %d overdue.</p>", shown, overdue);
    ward_intel_queue_free(&q);
    ward_intel_close(in);
    page_end(w, 200);
}

/* ---- subject ------------------------------------------------------------------- */

static const char *s0(const char *s) { return s ? s : ""; }

/* The view of a subject's latest package; 0 with the page sent when there
 * is none. */
static int subject_package(web_page *w, ward_intel *in, const char *sid,
                           ward_intel_package_view *v)
{
    ward_error err = {0};
    ward_status rc = ward_intel_subject_view_get(in, sid, v, &err);
    if (rc)
        page_message(w, rc == WARD_ENOTFOUND || rc == WARD_EINVAL ? 404 : 500, "Not found",
                     err.message[0] ? err.message : "no such subject");
    return rc == WARD_OK;
}

static void identifiers(web_page *w, const ward_intel_package_view *p)
{
    html_f(&w->out, "<h2>Referrals and identifiers</h2><p class=\"muted\">Each value as it was "
                    "received, beside its normalised form.</p><table><tr><th>Record</th>"
                    "<th>Field</th><th>As received</th><th>Normalised</th><th>Status</th></tr>");
    for (size_t i = 0; i < p->n_referrals; i++) {
        const ward_intel_referral_view *r = &p->referrals[i];
        for (size_t k = 0; k < r->n_values; k++) {
            const ward_intel_value_view *v = &r->values[k];
            html_f(&w->out, "<tr><td>%s<br><span class=\"muted\">%s</span></td><td>%s</td>"
                            "<td class=\"raw\">%s</td><td class=\"raw\">%s</td><td>%s%r%s</td>"
                            "</tr>", s0(r->ref), s0(r->source), s0(v->field), s0(v->raw),
                   s0(v->normalised), s0(v->status), v->reason && *v->reason ? ": " : "",
                   s0(v->reason));
        }
    }
    html_f(&w->out, "</table>");
}

static void factors(web_page *w, const ward_intel_package_view *p)
{
    const char *model = p->has_assessment ? p->assessment.band : "";
    html_f(&w->out, "<h2>Risk band</h2><dl><dt>Band</dt><dd>");
    band_tag(w, p->has_override ? p->override.band : model);
    html_f(&w->out, "</dd><dt>Model</dt><dd>%s, score %.1f, assessed %s</dd><dt>Act by</dt>"
                    "<dd>%s</dd>", model, p->assessment.score, s0(p->assessment.at),
           p->has_override ? s0(p->override.deadline) : s0(p->assessment.deadline));
    if (p->has_override)
        html_f(&w->out, "<dt>Override</dt><dd>%s by %s at %s, because: %s</dd>", p->override.band,
               s0(p->override.by), s0(p->override.at), s0(p->override.reason));
    html_f(&w->out, "</dl><table><tr><th>Factor</th><th>Group</th><th>Weight</th><th>Status</th>"
                    "<th>Source</th><th>Date</th><th>Value</th></tr>");
    for (size_t i = 0; i < p->assessment.n_factors; i++) {
        const ward_intel_factor_view *x = &p->assessment.factors[i];
        html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%g</td><td>%s</td><td>%s</td><td>%s</td>"
                        "<td>%s</td></tr>", s0(x->factor), s0(x->group), x->weight,
               s0(x->status), s0(x->source), s0(x->date), s0(x->value));
    }
    html_f(&w->out, "</table>");
}

/* A change to the subject: a choice (`options`, HTML), a reason (required)
 * and the session's CSRF token, posted to /subject/SID/ACTION. */
static void choice_form(web_page *w, const char *sid, const char *action, const char *label,
                        const char *note, const char *name, const char *options,
                        const char *button)
{
    html_f(&w->out, "<form class=\"action\" method=\"post\" action=\"/subject/%s/%s\">"
                    "<strong>%s</strong>%s <select name=\"%s\">%r</select> <input "
                    "name=\"reason\" size=\"50\" placeholder=\"reason (required)\" required>",
           sid, action, label, note, name, options);
    page_csrf(w);
    html_f(&w->out, "<button>%s</button></form>", button);
}

static void override_form(web_page *w, const char *sid)
{
    choice_form(w, sid, "override", "Override the band", " (the model's answer is kept beside it)",
                "band", "<option value=\"very-high\">Very High</option><option value=\"high\">"
                "High</option><option value=\"medium\">Medium</option><option value=\"low\">"
                "Low</option>", "Override");
}

/* Back to the subject's page after a change. */
static void to_subject(web_page *w, const char *sid)
{
    char to[64];
    snprintf(to, sizeof to, "/subject/%s", sid);
    page_redirect(w, to);
}

/* Review and retention dates, highlighted when due; the last decision. */
static void retention(web_page *w, ward_intel *in, const char *sid)
{
    ward_intel_retention r;
    ward_error err;
    html_f(&w->out, "<h2>Retention</h2>");
    if (ward_intel_retention_get(in, sid, (time_t)w->now, &r, &err) != WARD_OK) {
        html_f(&w->out, "<p class=\"muted\">unavailable: %s</p>", err.message);
        return;
    }
    html_f(&w->out, "<table><tr><th>Review by</th><th>Retain until</th><th>Status</th>"
                    "<th>Last decision</th></tr><tr%r><td class=\"due\">%s</td><td%r>%s</td>"
                    "<td>%s</td><td>", r.due ? " class=\"overdue\"" : "",
           r.review_by, r.closed ? " class=\"due\"" : "",
           r.closed ? r.retain_until : "open (not every package has an outcome)",
           r.marked ? "marked for disposal (nothing deleted)" : r.due ? "due for a decision"
                                                                       : "not due");
    if (r.decision[0])
        html_f(&w->out, "%s by %s at %s, because: %s", r.decision, r.decided_by, r.decided_at,
               r.reason);
    else
        html_f(&w->out, "none");
    html_f(&w->out, "</td></tr></table>");
}

static void retain_form(web_page *w, const char *sid)
{
    choice_form(w, sid, "retain", "Retention decision", "", "decision",
                "<option value=\"keep\">Keep (review again later)</option>"
                "<option value=\"dispose\">Mark for disposal</option>", "Record decision");
}

static void subject_retain(web_page *w, ward_intel *in, const char *sid)
{
    char decision[16], reason[600], detail[700];
    page_field(w, "decision", decision, sizeof decision);
    page_field(w, "reason", reason, sizeof reason);
    int keep = !strcmp(decision, "keep");
    ward_error err;
    if (!keep && strcmp(decision, "dispose")) {
        page_message(w, 400, "Decision refused", "The decision is keep or dispose.");
        return;
    }
    if (ward_intel_retain(in, sid, keep, w->sess.user.name, reason, (time_t)w->now, &err) !=
        WARD_OK) {
        page_message(w, 400, "Decision refused", err.message);
        return;
    }
    snprintf(detail, sizeof detail, "decision=%s reason=%s", decision, reason);
    page_audit(w, "web.subject.retain", sid, detail);
    to_subject(w, sid);
}

/* ---- disposal (admin) and tombstones -------------------------------------------- */

static void tombstone_page(web_page *w, const ward_intel_disposal *d)
{
    page_audit(w, "web.subject.view", d->subject, "tombstone");
    char title[64];
    snprintf(title, sizeof title, "Subject %s (disposed of)", d->subject);
    page_begin(w, title);
    html_f(&w->out, "<p class=\"caveat\">This subject's personal data was deleted under the "
                    "retention policy. Only this record of the disposal is kept; a later "
                    "referral about the same person is a new subject.</p><dl><dt>Disposed of"
                    "</dt><dd>%s</dd><dt>By</dt><dd>%s</dd><dt>Reason</dt><dd>%s</dd>"
                    "<dt>Removed</dt><dd>%s</dd></dl>", d->at, d->by, d->reason, d->removed);
    page_end(w, 200);
}

/* What an admin sees: dates, decision, what a disposal would remove, and
 * the form when the decision stands; nothing of the subject itself. */
static void subject_admin_view(web_page *w, ward_intel *in, const char *sid)
{
    ward_intel_retention r;
    ward_error err;
    if (ward_intel_retention_get(in, sid, (time_t)w->now, &r, &err) != WARD_OK) {
        page_message(w, 404, "Not found", err.message);
        return;
    }
    page_audit(w, "web.subject.retention.view", sid, NULL);
    char title[64];
    snprintf(title, sizeof title, "Subject %s: retention", sid);
    page_begin(w, title);
    retention(w, in, sid);
    capture c;
    ward_status rc = ward_intel_disposal_check(in, sid, &err);
    if (rc != WARD_OK) {
        html_f(&w->out, "<p class=\"msg\">No disposal now: %s</p>", err.message);
        page_end(w, 200);
        return;
    }
    rc = cap_open(&c) ? ward_intel_disposal_preview(in, sid, c.f, &err) : WARD_ENOMEM;
    char *text = cap_close(&c, rc);
    html_f(&w->out, "<h2>Dispose now</h2><pre>%s</pre><form class=\"action\" method=\"post\" "
                    "action=\"/subject/%s/dispose\"><input name=\"reason\" size=\"40\" "
                    "placeholder=\"reason (required)\" required> <label>Type %s to confirm "
                    "<input name=\"confirm\" size=\"10\" required></label>",
           text ? text : "", sid, sid);
    free(text);
    page_csrf(w);
    html_f(&w->out, "<button>Dispose now</button></form>");
    page_end(w, 200);
}

static void subject_dispose(web_page *w, ward_intel *in, const char *sid)
{
    char confirm[32], reason[600];
    page_field(w, "confirm", confirm, sizeof confirm);
    page_field(w, "reason", reason, sizeof reason);
    if (strcmp(confirm, sid)) {
        page_message(w, 400, "Disposal refused",
                     "Type the subject id in the confirmation field. Nothing was deleted.");
        return;
    }
    ward_intel_disposal d;
    ward_error err;
    ward_status rc = ward_intel_dispose(in, sid, w->sess.user.name, reason, (time_t)w->now, &d,
                                        &err);
    if (rc != WARD_OK) {
        page_message(w, rc == WARD_ENOTFOUND ? 404 : 400, "Disposal refused", err.message);
        return;
    }
    char detail[sizeof d.removed + 64];   /* counts: no personal data */
    snprintf(detail, sizeof detail, "%s%s", d.removed,
             d.file_cleared ? "" : "; WAL not truncated yet (another reader)");
    page_audit(w, "web.subject.dispose", sid, detail);
    to_subject(w, sid);
}

/* An admin's requests on /subject/: the retention view and the disposal. */
static void subject_admin(web_page *w, ward_intel *in, const char *sid, const char *action)
{
    if (!action)
        subject_admin_view(w, in, sid);
    else if (!strcmp(action, "dispose"))
        subject_dispose(w, in, sid);
    else
        page_denied(w, sid, "an admin carries out disposals; analysts decide");
}

static void history(web_page *w, ward_intel *in, const char *sid)
{
    ward_intel_history h;
    ward_error err;
    ward_status rc = ward_intel_history_get(in, sid, &h, &err);
    html_f(&w->out, "<h2>History</h2><table><tr><th>When</th><th>What</th><th>By</th>"
                    "<th>Detail</th></tr>");
    for (size_t i = 0; !rc && i < h.n; i++)
        html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
               s0(h.items[i].at), h.items[i].what, s0(h.items[i].by), s0(h.items[i].detail));
    html_f(&w->out, "</table>");
    if (rc)
        html_f(&w->out, "<p class=\"muted\">History unavailable: %s</p>", err.message);
    ward_intel_history_free(&h);
}

static void evidence(web_page *w, const ward_intel_package_view *p)
{
    html_f(&w->out, "<h2>Hash matches</h2><table><tr><th>File hash</th><th>List</th>"
                    "<th>Category</th><th>Class</th></tr>");
    for (size_t i = 0; i < p->n_evidence; i++) {
        const ward_intel_evidence_view *x = &p->evidence[i];
        html_f(&w->out, "<tr><td class=\"raw\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
               s0(x->hash), x->list && *x->list ? x->list : "(not on a list)", s0(x->category),
               s0(x->klass));
    }
    if (!p->n_evidence)
        html_f(&w->out, "<tr><td colspan=\"4\" class=\"muted\">none</td></tr>");
    html_f(&w->out, "</table>");
}

static void subject_override(web_page *w, ward_intel *in, const char *sid)
{
    char band[24], reason[600];
    page_field(w, "band", band, sizeof band);
    page_field(w, "reason", reason, sizeof reason);
    ward_error err;
    if (ward_intel_override(in, sid, band, w->sess.user.name, reason, (time_t)w->now, &err) !=
        WARD_OK) {
        page_message(w, 400, "Override refused", err.message);
        return;
    }
    char detail[700];
    snprintf(detail, sizeof detail, "band=%s reason=%s", band, reason);
    page_audit(w, "web.subject.override", sid, detail);
    to_subject(w, sid);
}

void web_subject(web_page *w)
{
    char sid[24];
    const char *tail = w->req->url + strlen("/subject/");
    size_t n = strcspn(tail, "/");
    int post = strcmp(w->req->method, "POST") == 0;
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const char *action = post && tail[n] == '/' ? tail + n + 1 : NULL;
    int known = action && (!strcmp(action, "override") || !strcmp(action, "retain") ||
                           !strcmp(action, "dispose"));
    if (n == 0 || n >= sizeof sid || strspn(tail, alnum) != n || (post && !known) ||
        (!post && tail[n])) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    snprintf(sid, sizeof sid, "%.*s", (int)n, tail);
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_intel_disposal d;
    if (ward_intel_disposal_get(in, sid, &d, NULL) == WARD_OK) {
        if (post)
            page_message(w, 409, "Disposed of", "This subject was disposed of; nothing is left "
                                                "to change.");
        else
            tombstone_page(w, &d);
        ward_intel_close(in);
        return;
    }
    if (w->sess.user.role == WARD_ROLE_ADMIN) {
        subject_admin(w, in, sid, action);
        ward_intel_close(in);
        return;
    }
    ward_intel_package_view view;
    const ward_intel_package_view *p = subject_package(w, in, sid, &view) ? &view : NULL;
    if (p && !web_covers(w, in, p->holder))
        page_denied(w, sid, "subject outside the user's compartment");
    else if (p && post && !strcmp(action, "dispose"))
        page_denied(w, sid, "only an admin carries out a disposal");
    else if (p && post && !strcmp(action, "retain"))
        subject_retain(w, in, sid);
    else if (p && post)
        subject_override(w, in, sid);
    else if (p) {
        page_audit(w, "web.subject.view", sid, NULL);
        char title[64];
        snprintf(title, sizeof title, "Subject %s", sid);
        page_begin(w, title);
        html_f(&w->out, "<p class=\"caveat\">%s</p>", p->caveat);
        if (p->notice)   /* identity unverified (grade D/E) */
            html_f(&w->out, "<p class=\"caveat\"><strong>%s</strong></p>", p->notice);
        html_f(&w->out, "<dl><dt>Package</dt><dd><a href=\"/package/%lld\">%lld</a> (version "
                        "%d), held by %s, %s</dd><dt>Attribution grade</dt><dd>%s: %s</dd></dl>",
               (long long)p->package, (long long)p->package, p->version, s0(p->holder),
               s0(p->state), s0(p->grade), s0(p->grade_reasons));
        factors(w, p);
        override_form(w, sid);
        retention(w, in, sid);
        retain_form(w, sid);
        identifiers(w, p);
        html_f(&w->out, "<p><a href=\"/graph/%s\">Links to other subjects</a> (identifiers "
                        "and material shared, with the evidence on each link)</p>", sid);
        evidence(w, p);
        history(w, in, sid);
        page_end(w, 200);
    }
    ward_intel_package_view_free(&view);
    ward_intel_close(in);
}

/* ---- package --------------------------------------------------------------------- */

static void package_forms(web_page *w, long long id, const char *state, int escalate)
{
    static const char *const order[] = {"created", "disseminated", "accepted", "actioned"};
    int at = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(state, order[i]))
            at = i;
    if (at < 0)   /* an outcome is recorded, or merged into another */
        return;
    html_f(&w->out, "<h2>Actions</h2>");
    for (int i = at + 1; i < 4; i++) {   /* a package only moves on */
        html_f(&w->out, "<form class=\"inline\" method=\"post\" action=\"/package/%lld/state\">"
                        "<input type=\"hidden\" name=\"state\" value=\"%s\">", id, order[i]);
        page_csrf(w);
        html_f(&w->out, "<button>Mark %s</button></form>", order[i]);
    }
    html_f(&w->out, "<form class=\"action\" method=\"post\" action=\"/package/%lld/outcome\">"
                    "<strong>Outcome</strong> <select name=\"outcome\"><option>arrest</option>"
                    "<option>charge</option><option>caution</option><option>safeguarded</option>"
                    "<option>nfa</option><option>referred</option></select> <input "
                    "name=\"reason\" size=\"40\" placeholder=\"reason (required for nfa, "
                    "referred)\">", id);
    page_csrf(w);
    html_f(&w->out, "<button>Record outcome</button></form>");
    if (!escalate)   /* held by a hub already */
        return;
    html_f(&w->out, "<form class=\"action\" method=\"post\" action=\"/package/%lld/escalate\">"
                    "<strong>Escalate to the regional hub</strong> <input name=\"reason\" "
                    "size=\"40\" placeholder=\"reason (required)\" required>", id);
    page_csrf(w);
    html_f(&w->out, "<button>Escalate</button></form>");
}

static void package_action(web_page *w, ward_intel *in, long long id, const char *action)
{
    char value[32], reason[600], detail[700];
    page_field(w, "reason", reason, sizeof reason);
    ward_error err;
    ward_status rc;
    time_t now = (time_t)w->now;
    const char *who = w->sess.user.name;
    if (!strcmp(action, "state"))
        rc = ward_intel_package_state(in, id, page_field(w, "state", value, sizeof value), who,
                                      reason[0] ? reason : NULL, now, &err);
    else if (!strcmp(action, "outcome"))
        rc = ward_intel_outcome(in, id, page_field(w, "outcome", value, sizeof value), who,
                                reason[0] ? reason : NULL, now, &err);
    else if (!strcmp(action, "escalate")) {
        snprintf(value, sizeof value, "escalate");
        rc = ward_intel_escalate(in, id, who, reason, now, &err);
    } else {
        page_message(w, 404, "Not found", "There is no such action.");
        return;
    }
    if (rc != WARD_OK) {
        page_message(w, 400, "Action refused", err.message);
        return;
    }
    char obj[32], to[48];
    snprintf(obj, sizeof obj, "package %lld", id);
    snprintf(detail, sizeof detail, "%s=%s reason=%s", action, value, reason);
    page_audit(w, "web.package.change", obj, detail);
    snprintf(to, sizeof to, "/package/%lld", id);
    page_redirect(w, to);
}

/* The subject's exhibits as the package lists them, each linking to its
 * page (which applies the exhibit's own compartment). */
static void package_exhibits(web_page *w, const ward_intel_package_view *p)
{
    if (!p->n_exhibits)
        return;
    html_f(&w->out, "<h2>Exhibits</h2><table><tr><th>Exhibit</th><th>Kind</th><th>Status</th>"
                    "<th>Needs grading</th><th>Last scan</th></tr>");
    for (size_t i = 0; i < p->n_exhibits; i++) {
        const ward_intel_exhibit_view *e = &p->exhibits[i];
        strbuf u = {0};
        web_url_escape(&u, s0(e->ref));
        html_f(&w->out, "<tr><td><a href=\"/exhibit/%s\">%s</a></td><td>%s</td><td>%s</td>"
                        "<td>%s</td><td>%s</td></tr>", u.s ? u.s : "", s0(e->ref), s0(e->kind),
               s0(e->status), s0(e->needs_grading), s0(e->last_scan));
        strbuf_free(&u);
    }
    html_f(&w->out, "</table>");
}

static void package_view(web_page *w, ward_intel *in, const ward_intel_package_view *p,
                         long long id)
{
    char obj[32], title[64];
    snprintf(obj, sizeof obj, "package %lld", id);
    page_audit(w, "web.package.view", obj, p->subject);
    snprintf(title, sizeof title, "Package %lld", id);
    page_begin(w, title);
    html_f(&w->out, "<p class=\"caveat\">%s</p><dl><dt>Subject</dt><dd><a href=\"/subject/%s\">"
                    "%s</a></dd><dt>Version</dt><dd>%d</dd><dt>Holder</dt><dd>%s</dd>"
                    "<dt>Why there</dt><dd>%s</dd><dt>State</dt><dd>%s</dd><dt>Deadline</dt>"
                    "<dd>%s</dd>", p->caveat, p->subject, p->subject, p->version, s0(p->holder),
           s0(p->route_reason), s0(p->state), s0(p->deadline));
    if (p->notice)   /* identity unverified (grade D/E) */
        html_f(&w->out, "</dl><p class=\"caveat\"><strong>%s</strong></p><dl>", p->notice);
    if (p->outcome && *p->outcome)
        html_f(&w->out, "<dt>Outcome</dt><dd>%s %s</dd>", p->outcome, s0(p->outcome_reason));
    html_f(&w->out, "</dl>");
    const char *hub = ward_intel_hub_of(in, s0(p->holder));
    package_forms(w, id, s0(p->state), hub && strcmp(hub, s0(p->holder)) != 0);
    html_f(&w->out, "<h2>Lifecycle</h2><table><tr><th>When</th><th>State</th><th>By</th>"
                    "<th>Note</th></tr>");
    for (size_t i = 0; i < p->n_lifecycle; i++) {
        const ward_intel_event_view *e = &p->lifecycle[i];
        html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", s0(e->at),
               s0(e->state), s0(e->by), s0(e->note));
    }
    html_f(&w->out, "</table>");
    package_exhibits(w, p);
    factors(w, p);
    identifiers(w, p);
    page_end(w, 200);
}

void web_package(web_page *w)
{
    const char *tail = w->req->url + strlen("/package/");
    char *end;
    long long id = strtoll(tail, &end, 10);
    int post = strcmp(w->req->method, "POST") == 0;
    if (id <= 0 || end == tail || (post ? *end != '/' : *end != 0)) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_error err = {0};
    ward_intel_package_view view;
    const ward_intel_package_view *p =
        ward_intel_package_view_get(in, id, &view, &err) == WARD_OK ? &view : NULL;
    char obj[32];
    snprintf(obj, sizeof obj, "package %lld", id);
    if (!p)
        page_message(w, 404, "Not found", err.message[0] ? err.message : "no such package");
    else if (!web_covers(w, in, p->holder))
        page_denied(w, obj, "package outside the user's compartment");
    else if (post)
        package_action(w, in, id, end + 1);
    else
        package_view(w, in, p, id);
    ward_intel_package_view_free(&view);
    ward_intel_close(in);
}

/* ---- alerts ------------------------------------------------------------------------- */

/* An alert names its parties "A; B". The user sees it in full when every
 * party is in their compartment; when only some are, they learn that
 * another unit holds a match and whom to contact, not what it holds. */
static void alert_row(web_page *w, ward_intel *in, const ward_intel_alert *a)
{
    char parties[512], mine[512] = "", others[512] = "";
    snprintf(parties, sizeof parties, "%s", a->to);
    for (char *save = NULL, *p = strtok_r(parties, ";", &save); p;
         p = strtok_r(NULL, ";", &save)) {
        while (*p == ' ')
            p++;
        char *dst = web_covers(w, in, p) ? mine : others;
        snprintf(dst + strlen(dst), 512 - strlen(dst), "%s%s", *dst ? "; " : "", p);
    }
    if (!mine[0])
        return;
    html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>", a->at, a->kind, mine);
    if (!others[0])
        html_f(&w->out, "%s", a->text);
    else {
        char sid[16] = "";
        sscanf(a->text, "%15[S0-9]", sid);
        html_f(&w->out, "Another unit holds a match on subject %s: contact %s before acting. "
                        "(Their details are not shown across compartments.)", sid, others);
    }
    html_f(&w->out, "</td></tr>");
}

void web_alerts(web_page *w)
{
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_intel_alert_list al;
    ward_error err;
    if (ward_intel_alerts_get(in, (time_t)w->now, &al, &err) != WARD_OK) {
        ward_intel_alert_list_free(&al);
        ward_intel_close(in);
        page_unavailable(w, &err);
        return;
    }
    page_audit(w, "web.alerts.view", w->sess.user.unit, NULL);
    page_begin(w, "Alerts");
    html_f(&w->out, "<p class=\"muted\">Deconfliction (two units on one subject), closed "
                    "subjects with new referrals, merges, overdue packages.</p><table><tr>"
                    "<th>When</th><th>Kind</th><th>For</th><th>Alert</th></tr>");
    for (size_t i = 0; i < al.n; i++)
        alert_row(w, in, &al.items[i]);
    html_f(&w->out, "</table>");
    ward_intel_alert_list_free(&al);
    ward_intel_close(in);
    page_end(w, 200);
}
