/*
 * The reviewer's match queue (service.db events from platforms: confirm or
 * reject, as POST /v1/reviews does for a platform's own reviewers) and the
 * auditor's search of the audit log, with the chain checked on each view.
 */
#include "web/web.h"
#include "store/sql.h"
#include "scan/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/serve.h>

/* Event i of the listing's JSON text; the context is copied from the text,
 * not the tree, so a "\u0000" in it shows as such instead of ending it. */
static void event_row(web_page *w, yajl_val e, const char *text, size_t i)
{
    long long id = jv_int(e, "id", 0);
    char at[48];
    snprintf(at, sizeof at, "/%zu/context", i);
    char *ctx = jw_text_at(text, strlen(text), at), *m = jw_value_text(jv_get(e, "matches"));
    html_f(&w->out, "<tr><td>%lld</td><td>%s</td><td>%s</td><td class=\"raw\">%s</td>"
                    "<td class=\"raw\">%s</td><td>", id, jv_str(e, "created"),
           jv_str(e, "key_id"), ctx ? ctx : "", m ? m : "");
    free(ctx);
    free(m);
    html_f(&w->out, "<form class=\"action\" method=\"post\" action=\"/reviews/%lld\">"
                    "<input name=\"notes\" placeholder=\"notes\" size=\"24\"> "
                    "<label><span><input type=\"checkbox\" name=\"viewed\" value=\"1\"> I viewed "
                    "the file</span></label><label><span><input type=\"checkbox\" "
                    "name=\"allowlist\" value=\"1\"> on reject: allow-list these hashes</span>"
                    "</label>", id);
    page_csrf(w);
    html_f(&w->out, "<button name=\"decision\" value=\"confirm\">Confirm</button> "
                    "<button name=\"decision\" value=\"reject\">Reject</button></form></td></tr>");
}

static void review_post(web_page *w)
{
    char decision[16], notes[1000], viewed[4], allow[4];
    char *end;
    long long id = strtoll(w->req->url + strlen("/reviews/"), &end, 10);
    page_field(w, "decision", decision, sizeof decision);
    int confirm = !strcmp(decision, "confirm");
    if (id <= 0 || *end || (!confirm && strcmp(decision, "reject"))) {
        page_message(w, 400, "Review refused", "a review is a confirm or a reject of one event");
        return;
    }
    svc_review_in r = {.event_id = id, .reviewer = w->sess.user.name, .confirm = confirm,
                       .notes = page_field(w, "notes", notes, sizeof notes),
                       .viewed = page_field(w, "viewed", viewed, sizeof viewed)[0] == '1',
                       .allowlist = page_field(w, "allowlist", allow, sizeof allow)[0] == '1',
                       .reporter = w->ctx->opts.reporter};
    int64_t review_id, report_id = 0;
    ward_error err;
    if (svc_review(w->ctx->state, &r, &review_id, &report_id, &err) != WARD_OK) {
        page_message(w, err.status == WARD_ENOTFOUND ? 404 : 400, "Review refused", err.message);
        return;
    }
    page_redirect(w, "/reviews");
}

void web_reviews(web_page *w)
{
    if (!strcmp(w->req->method, "POST")) {
        review_post(w);
        return;
    }
    yajl_gen g = yajl_gen_alloc(NULL);
    ward_error err;
    char *text = NULL;
    if (g && svc_events_json(w->ctx->state, "pending", 200, g, &err) == WARD_OK)
        text = jw_take(g, NULL);
    if (g)
        yajl_gen_free(g);
    yajl_val ev = text ? yajl_tree_parse(text, NULL, 0) : NULL;
    page_audit(w, "web.reviews.view", "events", NULL);
    page_begin(w, "Match review queue");
    html_f(&w->out, "<p class=\"muted\">Platform uploads that matched a hash list, waiting "
                    "for a person. A confirmation writes the report; a rejection can put the "
                    "hashes on the allow-list.</p><table><tr><th>Event</th><th>When</th>"
                    "<th>Platform key</th><th>Context</th><th>Matches</th><th>Decision</th></tr>");
    size_t n = YAJL_IS_ARRAY(ev) ? ev->u.array.len : 0;
    for (size_t i = 0; i < n; i++)
        event_row(w, ev->u.array.values[i], text, i);
    if (!n)
        html_f(&w->out, "<tr><td colspan=\"6\" class=\"muted\">Nothing waiting.</td></tr>");
    html_f(&w->out, "</table>");
    if (ev)
        yajl_tree_free(ev);
    free(text);
    page_end(w, 200);
}

/* ---- the audit log ------------------------------------------------------------------ */

static void audit_rows(web_page *w, const char *q, const char *actor)
{
    char like[300];
    snprintf(like, sizeof like, "%%%s%%", q);
    wsql *db = svc_lock(w->ctx->state);
    wsql_stmt *st;
    int n = 0;
    if (wsql_prepare_v2(db, "SELECT seq, at, actor, action, coalesce(object, ''),"
                            " coalesce(detail, ''), hash FROM audit"
                            " WHERE (?1 = '' OR actor = ?1) AND (?2 = '%%' OR action LIKE ?2"
                            " OR object LIKE ?2 OR detail LIKE ?2)"
                            " ORDER BY seq DESC LIMIT 500", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_text(st, 1, actor, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, like, -1, SQLITE_STATIC);
        while (wsql_step(st) == SQLITE_ROW) {
            const char *c[7];
            for (int i = 0; i < 7; i++)
                c[i] = (const char *)wsql_column_text(st, i);
            char hash[13];
            snprintf(hash, sizeof hash, "%s", c[6] ? c[6] : "");
            html_f(&w->out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                            "<td>%s</td><td class=\"raw\">%s</td></tr>", c[0], c[1], c[2],
                   c[3], c[4], c[5], hash);
            n++;
        }
        wsql_finalize(st);
    }
    svc_unlock(w->ctx->state);
    if (!n)
        html_f(&w->out, "<tr><td colspan=\"7\" class=\"muted\">No record matches.</td></tr>");
}

static const char *query_arg(web_page *w, const char *name)
{
    const char *v = svc_arg(w->req, name);
    return v && strlen(v) < 200 ? v : "";
}

void web_audit_page(web_page *w)
{
    const char *q = query_arg(w, "q"), *actor = query_arg(w, "actor");
    char detail[420];
    snprintf(detail, sizeof detail, "q=%s actor=%s", q, actor);
    page_audit(w, "web.audit.search", "audit", detail);
    uint64_t records = 0;
    ward_error err;
    int intact = ward_serve_audit_verify(w->ctx->opts.datadir, &records, NULL, &err) == WARD_OK;
    page_begin(w, "Audit log");
    if (intact)
        html_f(&w->out, "<p class=\"msg\">Hash chain verified: %lld records follow one from "
                        "another.</p>", (long long)records);
    else
        html_f(&w->out, "<p class=\"msg\">Hash chain BROKEN: %s</p>", err.message);
    html_f(&w->out, "<form class=\"action\" method=\"get\" action=\"/audit\"><input name=\"q\" "
                    "value=\"%s\" placeholder=\"action, object or detail contains\" size=\"40\">"
                    " <input name=\"actor\" value=\"%s\" placeholder=\"actor\"> "
                    "<button>Search</button></form><table><tr><th>#</th><th>When</th>"
                    "<th>Who</th><th>Action</th><th>Object</th><th>Detail</th><th>Hash</th></tr>",
           q, actor);
    audit_rows(w, q, actor);
    html_f(&w->out, "</table>");
    page_end(w, 200);
}
