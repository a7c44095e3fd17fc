/*
 * Link analysis pages: /graph/SUBJECT[?depth=N][&format=graphml|gexf|i2]
 * shows a subject's network (graph.h) as a server-rendered SVG with the
 * evidence behind every link, or downloads it in an exchange format.
 *
 * Compartments are those of every intelligence page: the subject itself
 * must be the user's (else 403, audited); another unit's subject linked to
 * one of the user's identifiers is a "held elsewhere" node with the unit to
 * contact, never its details (no record, value as received, time or list,
 * none of its other identifiers), and the walk goes no further through it.
 */
#include "web/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/graph.h>
#include <ward/intel.h>

#define GRAPH_MAX_SUBJECTS 150   /* a page's picture; exports are the CLI's */

typedef struct covers_ctx {
    web_page *w;
    ward_intel *in;
} covers_ctx;

static int covers(void *ctx, const char *holder)
{
    covers_ctx *c = ctx;
    return web_covers(c->w, c->in, holder);
}

/* The view as text in a format (caller frees); NULL on failure. */
static char *render(const ward_graph *g, const ward_graph_view *v, ward_graph_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    ward_status rc = ward_graph_write(g, v, f, out, NULL);
    fclose(out);
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void download(web_page *w, const ward_graph *g, const ward_graph_view *v,
                     const char *sid, const char *format)
{
    int f = ward_graph_format_parse(format);
    if (f != WARD_GF_GRAPHML && f != WARD_GF_GEXF && f != WARD_GF_I2CSV) {
        page_message(w, 400, "Unknown format", "Formats: graphml, gexf, i2.");
        return;
    }
    char *body = render(g, v, (ward_graph_format)f);
    if (!body) {
        page_message(w, 500, "Error", "the export could not be written");
        return;
    }
    page_audit(w, "web.graph.export", sid, format);
    free(w->rep->body);
    w->rep->body = body;
    w->rep->status = 200;
    w->rep->content_type = f == WARD_GF_I2CSV ? "text/csv; charset=utf-8"
                                              : "application/xml; charset=utf-8";
}

static void evidence_table(web_page *w, const ward_graph *g, const ward_graph_view *v)
{
    html_f(&w->out, "<h2>Evidence</h2><table class=\"graph-evidence\"><tr><th>Subject</th>"
                    "<th>Carries</th><th>Record</th><th>When</th><th>List</th>"
                    "<th>As received</th><th>Confidence</th></tr>");
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *s = ward_graph_node_at(g, v->nodes[i]);
        if (s->kind != WARD_GN_SUBJECT)
            continue;
        const uint32_t *e;
        size_t k = ward_graph_edges_of(g, v->nodes[i], &e);
        for (size_t j = 0; j < k; j++) {
            const ward_graph_edge *x = ward_graph_edge_at(g, e[j]);
            const ward_graph_node *id = ward_graph_node_at(g, x->node);
            int shown = 0;
            for (size_t p = 0; p < v->n && !shown; p++)
                shown = v->nodes[p] == x->node;
            if (!shown)
                continue;
            if (v->mode[i] == WARD_GV_ELSEWHERE) {
                html_f(&w->out, "<tr class=\"elsewhere\"><td>%s</td><td>%s %s</td>"
                                "<td colspan=\"5\">held elsewhere: contact %s (their record "
                                "is not shown across compartments)</td></tr>",
                       s->key, ward_graph_kind_name(id->kind), id->key,
                       *s->holder ? s->holder : "the national desk");
                continue;
            }
            html_f(&w->out, "<tr%r><td><a href=\"/subject/%s\">%s</a></td><td>%s %s%s%s</td>"
                            "<td>%lld</td><td>%s</td><td>%s</td><td>%s</td><td>%.1f</td></tr>",
                   id->refused ? " class=\"refused\"" : "", s->key, s->key,
                   ward_graph_kind_name(id->kind), id->key, id->refused ? " - not a link: " : "",
                   id->refused ? id->refused : "", (long long)x->record, x->time, x->source,
                   x->raw, x->confidence);
        }
    }
    html_f(&w->out, "</table>");
}

void web_graph(web_page *w)
{
    const char *sid = w->req->url + strlen("/graph/");
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if (!*sid || strlen(sid) > 15 || strspn(sid, alnum) != strlen(sid)) {
        page_message(w, 404, "Not found", "There is no such page.");
        return;
    }
    const char *d = svc_arg(w->req, "depth"), *format = svc_arg(w->req, "format");
    int depth = d && d[0] >= '1' && d[0] <= '3' && !d[1] ? d[0] - '0' : 1;
    ward_intel *in = NULL;
    ward_graph *g = NULL;
    ward_error err = {0};
    uint64_t unresolved = 0;
    if (ward_intel_open_keyed(w->ctx->opts.datadir, w->ctx->opts.intel_key_file, &in, &err) ||
        ward_graph_build(in, &g, &unresolved, &err)) {
        ward_intel_close(in);
        page_message(w, 503, "Intelligence store unavailable", err.message);
        return;
    }
    int64_t s = ward_graph_find(g, WARD_GN_SUBJECT, sid);
    ward_graph_view v = {0};
    covers_ctx cc = {w, in};
    if (s < 0)
        page_message(w, 404, "Not found", "No such subject (or it has no referral records).");
    else if (!web_covers(w, in, ward_graph_node_at(g, (uint32_t)s)->holder))
        page_denied(w, sid, "subject outside the user's compartment");
    else if (ward_graph_ego(g, (uint32_t)s, depth, GRAPH_MAX_SUBJECTS, &v, &err))
        page_message(w, 500, "Error", err.message);
    else {
        ward_graph_view_restrict(g, &v, covers, &cc);
        if (format && *format)
            download(w, g, &v, sid, format);
        else {
            char detail[32];
            snprintf(detail, sizeof detail, "depth %d", depth);
            page_audit(w, "web.graph.view", sid, detail);
            char title[64];
            snprintf(title, sizeof title, "Links of subject %s", sid);
            page_begin(w, title);
            html_f(&w->out, "<p class=\"caveat\">Suspicion is not guilt. A link means two "
                            "referrals carried the same value; it is evidence to weigh, not a "
                            "finding that anyone knows anyone or did anything. Values ward "
                            "refuses to link people through (shared mailboxes, CGNAT addresses) "
                            "are shown in red and link no one.</p>");
            html_f(&w->out, "<p><a href=\"/subject/%s\">Subject page</a> &middot; Depth:", sid);
            for (int k = 1; k <= 3; k++)
                if (k == depth)
                    html_f(&w->out, " <strong>%d</strong>", k);
                else
                    html_f(&w->out, " <a href=\"/graph/%s?depth=%d\">%d</a>", sid, k, k);
            html_f(&w->out, " &middot; Export: <a href=\"/graph/%s?depth=%d&amp;format=graphml\">"
                            "GraphML</a> <a href=\"/graph/%s?depth=%d&amp;format=gexf\">GEXF"
                            "</a> <a href=\"/graph/%s?depth=%d&amp;format=i2\">i2 CSV</a></p>",
                   sid, depth, sid, depth, sid, depth);
            if (unresolved)
                html_f(&w->out, "<p class=\"msg\">%lld referral records are not yet resolved "
                                "into subjects and are not shown.</p>", (long long)unresolved);
            char *svg = render(g, &v, WARD_GF_SVG);
            html_f(&w->out, "<figure class=\"graph\">%r</figure>",
                   svg ? svg : "<p class=\"msg\">The network is too large to draw.</p>");
            free(svg);
            evidence_table(w, g, &v);
            page_end(w, 200);
        }
    }
    ward_graph_view_free(&v);
    ward_graph_free(g);
    ward_intel_close(in);
}
