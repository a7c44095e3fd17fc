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
 *
 * The graph is built once and kept (web_graph_cache): building it reads
 * the whole store (seconds at 300,000 records), a page view only walks
 * it. Each view first reads the store's stamp (ward_intel_link_stamp, a
 * few maxima and counts: milliseconds) and rebuilds when it differs, so a
 * page never shows a graph older than the store it read the stamp from.
 * The graph holds every unit's subjects; compartments are applied per
 * view, as before.
 */
#include "web/web.h"
#include "util/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/graph.h>
#include <ward/intel.h>

#define GRAPH_MAX_SUBJECTS 150   /* a page's picture; exports are the CLI's */

/* One built graph, shared by the views using it; freed by the last. */
typedef struct graph_ref {
    ward_graph *g;
    uint64_t unresolved;
    char stamp[512];
    int refs;            /* the cache's own, plus one per view using it */
} graph_ref;

struct web_graph_cache {
    pthread_mutex_t lock;   /* guards cur and every refs; held while building,
                             * so that views arriving meanwhile wait for that
                             * build instead of starting their own */
    graph_ref *cur;         /* NULL: none built yet */
    uint64_t builds;        /* how many builds (tests read it in the log) */
};

web_graph_cache *web_graph_cache_new(void)
{
    web_graph_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void ref_drop(graph_ref *r)
{
    if (r && --r->refs == 0) {
        ward_graph_free(r->g);
        free(r);
    }
}

void web_graph_cache_free(web_graph_cache *c)
{
    if (!c)
        return;
    ref_drop(c->cur);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The graph for the store as it is now: the cached one if the store's
 * stamp is unchanged, else a new build. Release it with graph_release.
 * c NULL (a context without a cache): built for this view alone. */
static ward_status graph_acquire(web_graph_cache *c, ward_intel *in, graph_ref **out,
                                 int *built, ward_error *err)
{
    char stamp[512];
    ward_status rc = ward_intel_link_stamp(in, stamp, sizeof stamp, err);
    if (rc)
        return rc;
    *built = 0;
    if (c) {
        pthread_mutex_lock(&c->lock);
        if (c->cur && !strcmp(c->cur->stamp, stamp)) {
            c->cur->refs++;
            *out = c->cur;
            pthread_mutex_unlock(&c->lock);
            return WARD_OK;
        }
    }
    graph_ref *r = calloc(1, sizeof *r);
    if (!r)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    else
        rc = ward_graph_build(in, &r->g, &r->unresolved, err);
    if (!rc) {
        snprintf(r->stamp, sizeof r->stamp, "%s", stamp);
        r->refs = 1;
        *built = 1;
        *out = r;
        if (c) {
            r->refs++;
            ref_drop(c->cur);   /* views still using the old one keep it */
            c->cur = r;
            c->builds++;
        }
    } else
        free(r);
    if (c)
        pthread_mutex_unlock(&c->lock);
    return rc;
}

static void graph_release(web_graph_cache *c, graph_ref *r)
{
    if (c)
        pthread_mutex_lock(&c->lock);
    ref_drop(r);
    if (c)
        pthread_mutex_unlock(&c->lock);
}

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
    graph_ref *ref = NULL;
    ward_error err = {0};
    int built = 0;
    if (!(in = web_intel_open(w)))
        return;
    if (graph_acquire(w->ctx->graph_cache, in, &ref, &built, &err)) {
        ward_intel_close(in);
        page_message(w, 503, "Intelligence store unavailable", err.message);
        return;
    }
    const ward_graph *g = ref->g;
    uint64_t unresolved = ref->unresolved;
    if (built) {
        char line[160];
        snprintf(line, sizeof line, "link-analysis graph built for the web pages: %zu nodes, "
                 "%zu links of evidence", ward_graph_node_count(g), ward_graph_edge_count(g));
        svc_log_message(w->ctx, "info", line);
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
    graph_release(w->ctx->graph_cache, ref);
    ward_intel_close(in);
}
