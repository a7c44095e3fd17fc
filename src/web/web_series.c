/*
 * Victim-identification series in the web application (issue 23 item 1,
 * src/victim, docs/victim.md): the series list with status, owning team,
 * entries and the units where each was seen; one series with its entries
 * (hashes only: images are never shown, the store holds none), where it was
 * seen, its log, and the forms an analyst needs (status, note, team).
 *
 * Compartments as the register keeps them: the user's own unit's sightings
 * show case and exhibit; another unit's show only that it holds the
 * material and whom to contact ("held elsewhere, contact X"), never its
 * case, exhibit or files. Every view and change goes to the audit log;
 * changes also go to the series' own log with the user's name, as the CLI
 * writes them.
 *
 * Series are addressed by their number (/series/ID): a name may hold any
 * character but control characters, a number needs no escaping.
 */
#include "web/web.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ward/victim.h>

#define ENTRIES_MAX 200  /* entries listed on a series' page */
#define UNITS_MAX 32     /* other units named per series */

/* The hash store; NULL after sending a 503 (the reason goes to the audit
 * log, as for intel.db: it names files of the server). */
static ward_store *store_open(web_page *w, int write)
{
    ward_store *s = NULL;
    ward_error err;
    if (ward_store_open(w->ctx->opts.datadir, w->ctx->opts.store_url,
                        write ? 0 : WARD_STORE_READONLY, &s, &err) != WARD_OK) {
        page_audit(w, "web.unavailable", w->req->url, err.message);
        page_message(w, 503, "Hash store unavailable",
                     "The hash store cannot be opened just now. The reason is in the audit "
                     "log (web.unavailable); ask the operator.");
        return NULL;
    }
    return s;
}

static int own_unit(const web_page *w, const char *unit)
{
    return strcasecmp(unit, w->sess.user.unit) == 0;
}

/* ---- where a series was seen ---------------------------------------------------- */

typedef struct seen_units {
    const web_page *w;
    int own;                          /* the user's unit saw it */
    uint64_t own_files;
    struct { char unit[201], contact[201]; } other[UNITS_MAX];
    int n_other, more;
} seen_units;

static int gather_unit(void *ctx, const char *unit, const char *case_ref, const char *exhibit,
                       const char *contact, uint64_t files, const char *first,
                       const char *last)
{
    (void)case_ref, (void)exhibit, (void)first, (void)last;
    seen_units *u = ctx;
    if (own_unit(u->w, unit)) {
        u->own = 1;
        u->own_files += files;
        return 0;
    }
    for (int i = 0; i < u->n_other; i++)
        if (!strcasecmp(u->other[i].unit, unit))
            return 0;
    if (u->n_other == UNITS_MAX) {
        u->more = 1;
        return 0;
    }
    snprintf(u->other[u->n_other].unit, sizeof u->other[0].unit, "%s", unit);
    snprintf(u->other[u->n_other].contact, sizeof u->other[0].contact, "%s", contact);
    u->n_other++;
    return 0;
}

static void units_cell(web_page *w, const seen_units *u)
{
    if (!u->own && !u->n_other)
        html_f(&w->out, "<span class=\"muted\">not seen in a checked scan</span>");
    if (u->own)
        html_f(&w->out, "%s (your unit): %d file(s)", w->sess.user.unit, (int)u->own_files);
    for (int i = 0; i < u->n_other; i++)
        html_f(&w->out, "%r%s: held elsewhere, contact %s", u->own || i ? "<br>" : "",
               u->other[i].unit, u->other[i].contact[0] ? u->other[i].contact : "not given");
    if (u->more)
        html_f(&w->out, "<br>and more units");
}

/* ---- /series ---------------------------------------------------------------------- */

typedef struct list_ctx {
    web_page *w;
    ward_store *s;
    int n;
} list_ctx;

/* A part of a page that could not be read says so (never an empty table
 * that looks like "nothing"). */
static void unread(web_page *w, ward_status st, const ward_error *err, const char *what)
{
    if (st != WARD_OK)
        html_f(&w->out, "<p class=\"error\">%s could not be read: %s</p>", what,
               err->message[0] ? err->message : ward_status_str(st));
}

static int list_row(void *ctx, const ward_series *sr)
{
    list_ctx *c = ctx;
    seen_units u = {.w = c->w};
    ward_error err;
    ward_status st = ward_series_seen(c->s, sr->name, gather_unit, &u, &err);
    html_f(&c->w->out, "<tr><td><a href=\"/series/%d\">%s</a></td><td>%s</td><td>%s%r%s</td>"
                       "<td>%d</td><td>",
           (int)sr->id, sr->name, ward_series_status_name(sr->status), sr->team,
           sr->contact[0] ? "<br>" : "", sr->contact, (int)sr->entries);
    if (st == WARD_OK)
        units_cell(c->w, &u);
    else /* the row still shows; where it was seen is not known */
        html_f(&c->w->out, "could not be read: %s",
               err.message[0] ? err.message : ward_status_str(st));
    html_f(&c->w->out, "</td></tr>");
    c->n++;
    return 0;
}

static int alert_row(void *ctx, const ward_victim_alert *a)
{
    web_page *w = ctx;
    html_f(&w->out, "<tr%r><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
           strcmp(a->priority, "high") ? "" : " class=\"due\"", a->at, a->priority, a->kind,
           a->series, a->message);
    return 0;
}

void web_series_list(web_page *w)
{
    ward_store *s = store_open(w, 0);
    if (!s)
        return;
    page_begin(w, "Victim identification: series");
    html_f(&w->out, "<p class=\"muted\">Hashes and metadata only: images are never shown or "
                    "shared. Another unit's sightings show whom to contact, never its case."
                    "</p><table><tr><th>Series</th><th>Status</th><th>Team and contact</th>"
                    "<th>Entries</th><th>Seen by</th></tr>");
    list_ctx c = {w, s, 0};
    ward_error err;
    if (ward_series_each(s, list_row, &c, &err) != WARD_OK)
        html_f(&w->out, "<tr><td colspan=\"5\" class=\"msg\">%s</td></tr>", err.message);
    else if (!c.n)
        html_f(&w->out, "<tr><td colspan=\"5\" class=\"muted\">no series (ward series create)"
                        "</td></tr>");
    html_f(&w->out, "</table><h2>Open alerts to %s</h2><table><tr><th>When</th><th>Priority"
                    "</th><th>Kind</th><th>Series</th><th>Message</th></tr>",
           w->sess.user.unit);
    ward_status st = ward_victim_alerts(s, w->sess.user.unit, 1, alert_row, w, &err);
    html_f(&w->out, "</table>");
    unread(w, st, &err, "The alerts");
    page_audit(w, "web.series.list", w->sess.user.unit, NULL);
    ward_store_close(s);
    page_end(w, 200);
}

/* ---- /series/ID ------------------------------------------------------------------- */

typedef struct find_ctx {
    int64_t id;
    ward_series found;
    int hit;
} find_ctx;

static int find_row(void *ctx, const ward_series *sr)
{
    find_ctx *f = ctx;
    if (sr->id != f->id)
        return 0;
    f->found = *sr;
    f->hit = 1;
    return 1;
}

static int seen_row(void *ctx, const char *unit, const char *case_ref, const char *exhibit,
                    const char *contact, uint64_t files, const char *first, const char *last)
{
    web_page *w = ctx;
    if (own_unit(w, unit))
        html_f(&w->out, "<tr><td>%s (your unit)</td><td>%s</td><td>%s</td><td>%d</td>"
                        "<td>%s</td><td>%s</td></tr>", unit, case_ref,
               exhibit[0] ? exhibit : "-", (int)files, first, last);
    return 0;
}

typedef struct entries_ctx {
    web_page *w;
    int n;
} entries_ctx;

static int entry_row(void *ctx, const ward_victim_hash *h, const char *label, const char *added,
                     const char *added_by)
{
    entries_ctx *c = ctx;
    web_page *w = c->w;
    if (c->n++ >= ENTRIES_MAX)
        return 0;
    html_f(&w->out, "<tr><td class=\"raw\">%s%r%s%r%s%r%s</td><td>%s</td><td>%s</td>"
                    "<td>%s</td></tr>",
           h->sha256[0] ? h->sha256 : "", h->sha1[0] ? "<br>sha1 " : "", h->sha1,
           h->md5[0] ? "<br>md5 " : "", h->md5, h->pdq[0] ? "<br>pdq " : "", h->pdq, label,
           added, added_by);
    return 0;
}

static int log_row(void *ctx, const char *at, const char *who, const char *action,
                   const char *detail)
{
    web_page *w = ctx;
    html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", at, who, action,
           detail);
    return 0;
}

static void form(web_page *w, int64_t id, const char *action, const char *label)
{
    html_f(&w->out, "<form class=\"action\" method=\"post\" action=\"/series/%d/%s\">"
                    "<strong>%s</strong> ", (int)id, action, label);
}

static void form_end(web_page *w, const char *button)
{
    page_csrf(w);
    html_f(&w->out, "<button>%s</button></form>", button);
}

static void series_forms(web_page *w, const ward_series *sr)
{
    form(w, sr->id, "status", "Status");
    html_f(&w->out, "<select name=\"status\">");
    for (int k = 0; k < WARD_SERIES_NSTATUS; k++)
        html_f(&w->out, "<option%r>%s</option>", k == (int)sr->status ? " selected" : "",
               ward_series_status_name((ward_series_status)k));
    html_f(&w->out, "</select> <input name=\"note\" size=\"40\" placeholder=\"note (who "
                    "confirmed it)\">");
    form_end(w, "Change");
    form(w, sr->id, "note", "Note");
    html_f(&w->out, "<input name=\"text\" size=\"60\" required>");
    form_end(w, "Add");
    form(w, sr->id, "team", "Owning team");
    html_f(&w->out, "<input name=\"team\" value=\"%s\" required> <input name=\"contact\" "
                    "value=\"%s\" placeholder=\"contact\">", sr->team, sr->contact);
    form_end(w, "Set");
}

static void series_page(web_page *w, ward_store *s, const ward_series *sr)
{
    char title[256];
    snprintf(title, sizeof title, "Series %s", sr->name);
    page_begin(w, title);
    if (sr->status != WARD_SERIES_UNIDENTIFIED)
        html_f(&w->out, "<p class=\"msg\">The child is %s: do not re-open the "
                        "identification; contact the team.</p>",
               ward_series_status_name(sr->status));
    html_f(&w->out, "<table><tr><th>Status</th><td>%s%r%s%r%s</td></tr><tr><th>Team</th>"
                    "<td>%s</td></tr><tr><th>Contact</th><td>%s</td></tr><tr><th>Created</th>"
                    "<td>%s by %s</td></tr><tr><th>Entries</th><td>%d</td></tr><tr><th>"
                    "Files seen</th><td>%d</td></tr></table>",
           ward_series_status_name(sr->status), sr->status_at[0] ? " since " : "",
           sr->status_at, sr->status_by[0] ? " by " : "", sr->status_by, sr->team,
           sr->contact[0] ? sr->contact : "not given", sr->created, sr->created_by,
           (int)sr->entries, (int)sr->sightings);
    series_forms(w, sr);
    ward_error err;
    seen_units u = {.w = w};
    ward_status st = ward_series_seen(s, sr->name, gather_unit, &u, &err);
    html_f(&w->out, "<h2>Where seen</h2><p>");
    units_cell(w, &u);
    html_f(&w->out, "</p>");
    unread(w, st, &err, "Where the series was seen");
    html_f(&w->out, "<p>");
    html_f(&w->out, "</p><table><tr><th>Unit</th><th>Case</th><th>Exhibit</th><th>Files</th>"
                    "<th>First</th><th>Last</th></tr>");
    st = ward_series_seen(s, sr->name, seen_row, w, &err);
    html_f(&w->out, "</table>");
    unread(w, st, &err, "The sightings");
    html_f(&w->out, "<h2>Entries</h2><p class=\"muted\">Hashes only (SHA-256, else "
                    "SHA-1, MD5, PDQ); no image is kept or shown.</p><table><tr><th>Hashes"
                    "</th><th>Label</th><th>Added</th><th>By</th></tr>");
    entries_ctx ec = {w, 0};
    st = ward_series_entries(s, sr->name, entry_row, &ec, &err);
    html_f(&w->out, "</table>");
    unread(w, st, &err, "The entries");
    if (ec.n > ENTRIES_MAX)
        html_f(&w->out, "<p class=\"muted\">%d of %d shown (ward series entries has them all)."
                        "</p>", ENTRIES_MAX, ec.n);
    html_f(&w->out, "<h2>Log</h2><table><tr><th>When</th><th>Who</th><th>What</th>"
                    "<th>Detail</th></tr>");
    st = ward_series_log(s, sr->name, log_row, w, &err);
    html_f(&w->out, "</table>");
    unread(w, st, &err, "The log");
    page_end(w, 200);
}

static void series_change(web_page *w, ward_store *s, const ward_series *sr, const char *action)
{
    char a[256], b[1024], id[32];
    ward_error err;
    ward_status rc;
    const char *who = w->sess.user.name;
    if (!strcmp(action, "status")) {
        int k = ward_series_status_parse(page_field(w, "status", a, sizeof a));
        page_field(w, "note", b, sizeof b);
        rc = k < 0 ? err_fail(&err, WARD_EINVAL, "status '%s': give unidentified, identified "
                                                  "or safeguarded", a)
                   : ward_series_set_status(s, sr->name, (ward_series_status)k, who,
                                            b[0] ? b : NULL, &err);
    } else if (!strcmp(action, "note")) {
        rc = ward_series_note(s, sr->name, page_field(w, "text", b, sizeof b), who, &err);
    } else {
        page_field(w, "contact", b, sizeof b);
        rc = ward_series_set_team(s, sr->name, page_field(w, "team", a, sizeof a), b, who,
                                  &err);
    }
    if (rc != WARD_OK) {
        page_message(w, 400, "Change refused", err.message);
        return;
    }
    char detail[1400];
    snprintf(detail, sizeof detail, "%s %s", a, b);
    char what[64];
    snprintf(what, sizeof what, "web.series.%s", action);
    page_audit(w, what, sr->name, !strcmp(action, "note") ? b : detail);
    snprintf(id, sizeof id, "/series/%lld", (long long)sr->id);
    page_redirect(w, id);
}

void web_series(web_page *w)
{
    const char *tail = w->req->url + strlen("/series/");
    size_t n = strspn(tail, "0123456789");
    int post = !strcmp(w->req->method, "POST");
    const char *action = post && tail[n] == '/' ? tail + n + 1 : NULL;
    int known = action && (!strcmp(action, "status") || !strcmp(action, "note") ||
                           !strcmp(action, "team"));
    if (n == 0 || n > 18 || (post && !known) || (!post && tail[n])) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    ward_store *s = store_open(w, post);
    if (!s)
        return;
    find_ctx f = {.id = strtoll(tail, NULL, 10)};
    ward_error err;
    if (ward_series_each(s, find_row, &f, &err) != WARD_OK || !f.hit)
        page_message(w, 404, "Not found", "There is no such series (merged into another, or "
                                          "never made).");
    else if (post)
        series_change(w, s, &f.found, action);
    else {
        page_audit(w, "web.series.view", f.found.name, NULL);
        series_page(w, s, &f.found);
    }
    ward_store_close(s);
}
