/*
 * Views: which nodes an answer shows (an ego network, a component), and
 * compartments: another unit's subject is shown as "held elsewhere" with
 * the unit to contact, never with its details, and nothing is reached
 * through it.
 */
#include "graph/graph_int.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

void ward_graph_view_free(ward_graph_view *v)
{
    free(v->nodes), free(v->dist), free(v->mode);
    memset(v, 0, sizeof *v);
    v->centre = -1;
}

long wg_view_pos(const ward_graph_view *v, uint32_t i)
{
    size_t lo = 0, hi = v->n;   /* nodes are sorted */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->nodes[mid] < i)
            lo = mid + 1;
        else if (v->nodes[mid] > i)
            hi = mid;
        else
            return (long)mid;
    }
    return -1;
}

/* From per-node rings + 1 (0: not in the view) to a sorted view. */
static ward_status from_marks(const ward_graph *g, const int *mark, int64_t centre,
                              ward_graph_view *v, ward_error *err)
{
    size_t n = 0;
    for (uint32_t i = 0; i < g->n_node; i++)
        n += mark[i] > 0;
    v->nodes = malloc((n + 1) * sizeof *v->nodes);
    v->dist = malloc((n + 1) * sizeof *v->dist);
    v->mode = malloc(n + 1);
    v->centre = centre;
    v->n = 0;
    if (!v->nodes || !v->dist || !v->mode) {
        ward_graph_view_free(v);
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    for (uint32_t i = 0; i < g->n_node; i++)
        if (mark[i] > 0)
            v->nodes[v->n] = i, v->dist[v->n] = mark[i] - 1, v->mode[v->n++] = WARD_GV_SHOW;
    return WARD_OK;
}

/* Identifiers linking two subjects of the view join it (one hop further
 * out than the nearer of them, for the radial layout). */
static void add_linking(const ward_graph *g, int *mark, const uint32_t *subs, size_t n)
{
    for (size_t s = 0; s < n; s++) {
        uint32_t i = subs[s];
        for (uint32_t j = g->pj_first[i]; j < g->pj_first[i + 1]; j++) {
            uint32_t o = g->pj[j], sh[16];
            if (o < i || !mark[o])
                continue;
            size_t k = ward_graph_shared(g, i, o, sh, 16);
            int d = (mark[i] < mark[o] ? mark[i] : mark[o]) + 1;
            for (size_t x = 0; x < k; x++)
                if (!mark[sh[x]] || mark[sh[x]] > d)
                    mark[sh[x]] = d;
        }
    }
}

ward_status ward_graph_ego(const ward_graph *g, uint32_t s, int depth, size_t max,
                           ward_graph_view *v, ward_error *err)
{
    memset(v, 0, sizeof *v);
    v->centre = -1;
    uint32_t *nodes, *via;
    int *dist;
    size_t n;
    ward_status rc = ward_graph_neighbours(g, s, depth, max, &nodes, &dist, &via, &n, err);
    if (rc)
        return rc;
    int *mark = calloc(g->n_node, sizeof *mark);   /* ring + 1; 0: not in the view */
    if (!mark) {
        free(nodes), free(dist), free(via);
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    /* subjects at even rings, identifiers between them at odd ones */
    for (size_t i = 0; i < n; i++)
        mark[nodes[i]] = dist[i] * 2 + 1;
    add_linking(g, mark, nodes, n);
    const uint32_t *e;
    size_t k = ward_graph_edges_of(g, s, &e);
    for (size_t i = 0; i < k; i++)   /* the centre's own, refused ones too */
        if (!mark[g->edge[e[i]].node])
            mark[g->edge[e[i]].node] = 2;
    rc = from_marks(g, mark, s, v, err);
    free(mark), free(nodes), free(dist), free(via);
    return rc;
}

ward_status ward_graph_component_view(const ward_graph *g, int32_t c, size_t max,
                                      ward_graph_view *v, ward_error *err)
{
    memset(v, 0, sizeof *v);
    int *mark = calloc(g->n_node, sizeof *mark);
    uint32_t *subs = malloc((g->n_node + 1) * sizeof *subs);
    if (!mark || !subs) {
        free(mark), free(subs);
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    size_t taken = 0;
    for (uint32_t i = 0; i < g->n_node && (!max || taken < max); i++)
        if (g->node[i].kind == WARD_GN_SUBJECT && g->node[i].component == c)
            mark[i] = 1, subs[taken++] = i;
    add_linking(g, mark, subs, taken);
    free(subs);
    ward_status rc = from_marks(g, mark, -1, v, err);
    for (size_t i = 0; !rc && i < v->n; i++)
        v->dist[i] = -1;
    free(mark);
    return rc;
}

void ward_graph_view_restrict(const ward_graph *g, ward_graph_view *v,
                              int (*covers)(void *ctx, const char *holder), void *ctx)
{
    unsigned char *keep = calloc(v->n + 1, 1);
    if (!keep) {   /* nothing may leak: show nothing */
        v->n = 0;
        return;
    }
    /* 1: the viewer's subjects; 2: identifiers one of them holds (edges
     * in the view), but not an exhibit or scan of a force the viewer does
     * not cover; 3: other subjects holding such an identifier. */
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        if (n->kind == WARD_GN_SUBJECT && covers(ctx, n->holder))
            keep[i] = 1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (keep[i] != 1)
            continue;
        const uint32_t *e;
        size_t k = ward_graph_edges_of(g, v->nodes[i], &e);
        for (size_t j = 0; j < k; j++) {
            uint32_t id = g->edge[e[j]].node;
            long p = wg_view_pos(v, id);
            if (p >= 0 && (!*g->node[id].holder || covers(ctx, g->node[id].holder)))
                keep[p] = 2;
        }
    }
    for (size_t i = 0; i < v->n; i++) {
        if (keep[i] != 2)
            continue;
        const uint32_t *e;
        size_t k = ward_graph_edges_of(g, v->nodes[i], &e);
        for (size_t j = 0; j < k; j++) {
            long p = wg_view_pos(v, g->edge[e[j]].subject);
            if (p >= 0 && !keep[p])
                keep[p] = 3;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < v->n; i++)
        if (keep[i]) {
            v->nodes[w] = v->nodes[i], v->dist[w] = v->dist[i];
            v->mode[w++] = keep[i] == 3 ? WARD_GV_ELSEWHERE : WARD_GV_SHOW;
        }
    v->n = w;
    if (v->centre >= 0 && wg_view_pos(v, (uint32_t)v->centre) < 0)
        v->centre = -1;
    free(keep);
}
