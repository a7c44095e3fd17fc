/*
 * Questions on the subject projection: neighbourhoods and shortest paths
 * (breadth-first), communities (Louvain), key players (degree and
 * Brandes betweenness) and how a component grew.
 */
#include "graph/graph_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ward_status oom(ward_error *err)
{
    wg_set_error_oom(err);
    return WARD_ENOMEM;
}

static ward_status not_subject(const ward_graph *g, uint32_t s, ward_error *err)
{
    if (s >= g->n_node || g->node[s].kind != WARD_GN_SUBJECT)
        return err_fail(err, WARD_EINVAL, "node %u is not a subject", s);
    return WARD_OK;
}

ward_status ward_graph_neighbours(const ward_graph *g, uint32_t s, int depth, size_t max,
                                  uint32_t **nodes, int **dist, uint32_t **via, size_t *n,
                                  ward_error *err)
{
    *nodes = NULL, *dist = NULL, *via = NULL, *n = 0;
    ward_status rc = not_subject(g, s, err);
    if (rc)
        return rc;
    /* calloc: large blocks come zeroed from the kernel page by page, so a
     * small neighbourhood of a large graph touches only a few pages.
     * d holds distance + 1 (0: not reached). */
    int *d = calloc(g->n_node, sizeof *d);
    uint32_t *q = calloc(g->n_node, sizeof *q), *from = calloc(g->n_node, sizeof *from);
    if (!d || !q || !from) {
        free(d), free(q), free(from);
        return oom(err);
    }
    size_t head = 0, tail = 0;
    q[tail++] = s, d[s] = 1, from[s] = s;
    while (head < tail && (!max || tail < max)) {
        uint32_t u = q[head++];
        if (d[u] > depth)
            continue;
        for (uint32_t j = g->pj_first[u]; j < g->pj_first[u + 1] && (!max || tail < max); j++) {
            uint32_t v = g->pj[j];
            if (!d[v])
                d[v] = d[u] + 1, from[v] = u, q[tail++] = v;
        }
    }
    for (size_t i = 0; i < tail; i++)
        d[q[i]]--;
    *nodes = malloc(tail * sizeof **nodes);
    *dist = malloc(tail * sizeof **dist);
    *via = malloc(tail * sizeof **via);
    if (!*nodes || !*dist || !*via) {
        free(*nodes), free(*dist), free(*via), free(d), free(q), free(from);
        *nodes = NULL, *dist = NULL, *via = NULL;
        return oom(err);
    }
    for (size_t i = 0; i < tail; i++)
        (*nodes)[i] = q[i], (*dist)[i] = d[q[i]], (*via)[i] = from[q[i]];
    *n = tail;
    free(d), free(q), free(from);
    return WARD_OK;
}

ward_status ward_graph_path(const ward_graph *g, uint32_t a, uint32_t b, uint32_t **path,
                            size_t *n, ward_error *err)
{
    *path = NULL, *n = 0;
    ward_status rc = not_subject(g, a, err);
    if (!rc)
        rc = not_subject(g, b, err);
    if (rc)
        return rc;
    if (g->node[a].component != g->node[b].component)
        return WARD_OK;
    uint32_t *nodes, *via;
    int *dist;
    size_t k;
    /* The whole component, breadth-first from a: via[] is a shortest-path
     * tree (the first neighbour in index order wins, so it is repeatable). */
    if ((rc = ward_graph_neighbours(g, a, 1 << 30, 0, &nodes, &dist, &via, &k, err)))
        return rc;
    uint32_t *pos = malloc(g->n_node * sizeof *pos);
    if (!pos) {
        free(nodes), free(dist), free(via);
        return oom(err);
    }
    int64_t at = -1;
    for (size_t i = 0; i < k; i++) {
        pos[nodes[i]] = (uint32_t)i;
        if (nodes[i] == b)
            at = (int64_t)i;
    }
    if (at >= 0) {
        size_t len = (size_t)dist[at] + 1;
        *path = malloc(len * sizeof **path);
        if (!*path)
            rc = oom(err);
        for (size_t j = len, cur = (size_t)at; *path && j-- > 0;) {
            (*path)[j] = nodes[cur];
            cur = pos[via[cur]];
        }
        *n = *path ? len : 0;
    }
    free(pos), free(nodes), free(dist), free(via);
    return rc;
}

uint32_t *wg_component_subjects(const ward_graph *g, int32_t c, size_t *n)
{
    size_t k = 0;
    for (uint32_t i = 0; i < g->n_node; i++)
        k += g->node[i].kind == WARD_GN_SUBJECT && g->node[i].component == c;
    uint32_t *v = malloc((k + 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (uint32_t i = 0; i < g->n_node; i++)
        if (g->node[i].kind == WARD_GN_SUBJECT && g->node[i].component == c)
            v[(*n)++] = i;
    return v;
}

/* splitmix64: a seed's order, the same on every machine. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- communities: Louvain ------------------------------------------------
 * Blondel et al. 2008: move each node to the neighbouring community with
 * the best modularity gain until nothing moves, fold communities into
 * nodes, repeat. Nodes are visited in an order drawn from the seed; ties
 * keep the node where it is, else go to the smallest community number, so
 * a seed gives one answer on every machine. */

typedef struct lgraph {
    size_t n;
    uint32_t *first, *adj;   /* CSR */
    double *w, *self;        /* edge weights; self-loop weight per node */
} lgraph;

static void lgraph_free(lgraph *l)
{
    free(l->first), free(l->adj), free(l->w), free(l->self);
    memset(l, 0, sizeof *l);
}

typedef struct wedge {
    uint32_t a, b;
    double w;
} wedge;

static int cmp_wedge(const void *x, const void *y)
{
    const wedge *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* One level: comm[i] for each node; returns whether anything moved, -1 oom. */
static int louvain_level(const lgraph *l, uint32_t *comm, uint64_t *seed)
{
    size_t n = l->n;
    double *k = malloc(n * sizeof *k), *tot = malloc(n * sizeof *tot);
    double *nw = calloc(n, sizeof *nw);
    uint32_t *order = malloc(n * sizeof *order), *touched = malloc(n * sizeof *touched);
    int moved_any = 0;
    if (!k || !tot || !nw || !order || !touched) {
        free(k), free(tot), free(nw), free(order), free(touched);
        return -1;
    }
    double m2 = 0;
    for (size_t i = 0; i < n; i++) {
        k[i] = 2 * l->self[i];
        for (uint32_t j = l->first[i]; j < l->first[i + 1]; j++)
            k[i] += l->w[j];
        comm[i] = (uint32_t)i, tot[i] = k[i], order[i] = (uint32_t)i, m2 += k[i];
    }
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(mix(seed) % i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j], order[j] = t;
    }
    for (int pass = 0; pass < 32 && m2 > 0; pass++) {
        size_t moved = 0;
        for (size_t x = 0; x < n; x++) {
            uint32_t i = order[x], own = comm[i], nt = 0;
            for (uint32_t j = l->first[i]; j < l->first[i + 1]; j++) {
                uint32_t c = comm[l->adj[j]];
                if (nw[c] == 0)
                    touched[nt++] = c;
                nw[c] += l->w[j];
            }
            tot[own] -= k[i];
            uint32_t best = own;
            double gain = nw[own] - tot[own] * k[i] / m2;
            for (uint32_t t = 0; t < nt; t++) {
                uint32_t c = touched[t];
                double g = nw[c] - tot[c] * k[i] / m2;
                if (g > gain + 1e-12 || (g > gain - 1e-12 && best != own && c < best))
                    best = c, gain = g;
            }
            for (uint32_t t = 0; t < nt; t++)
                nw[touched[t]] = 0;
            nw[own] = 0;
            tot[best] += k[i];
            if (best != own)
                comm[i] = best, moved++;
        }
        if (!moved)
            break;
        moved_any = 1;
    }
    free(k), free(tot), free(nw), free(order), free(touched);
    return moved_any;
}

/* Renumber comm densely (in node order) and fold l into *out. */
static int louvain_fold(const lgraph *l, uint32_t *comm, lgraph *out)
{
    size_t n = l->n, nc = 0;
    uint32_t *map = malloc(n * sizeof *map);
    wedge *e = malloc((l->first[n] + 1) * sizeof *e);
    memset(out, 0, sizeof *out);
    if (!map || !e) {
        free(map), free(e);
        return -1;
    }
    memset(map, 0xff, n * sizeof *map);
    for (size_t i = 0; i < n; i++) {
        if (map[comm[i]] == UINT32_MAX)
            map[comm[i]] = (uint32_t)nc++;
        comm[i] = map[comm[i]];
    }
    out->n = nc;
    out->self = calloc(nc + 1, sizeof *out->self);
    out->first = calloc(nc + 1, sizeof *out->first);
    size_t ne = 0;
    for (size_t i = 0; out->self && i < n; i++) {
        out->self[comm[i]] += l->self[i];
        for (uint32_t j = l->first[i]; j < l->first[i + 1]; j++) {
            uint32_t a = comm[i], b = comm[l->adj[j]];
            if (a == b)
                out->self[a] += l->w[j] / 2;   /* each internal edge is seen twice */
            else
                e[ne++] = (wedge){a, b, l->w[j]};
        }
    }
    if (ne > 1)
        qsort(e, ne, sizeof *e, cmp_wedge);
    size_t u = 0;
    for (size_t i = 0; i < ne; i++) {
        if (u && e[u - 1].a == e[i].a && e[u - 1].b == e[i].b)
            e[u - 1].w += e[i].w;
        else
            e[u++] = e[i];
    }
    out->adj = malloc((u + 1) * sizeof *out->adj);
    out->w = malloc((u + 1) * sizeof *out->w);
    int bad = !out->self || !out->first || !out->adj || !out->w;
    for (size_t i = 0; !bad && i < u; i++) {
        out->first[e[i].a + 1]++;
        out->adj[i] = e[i].b, out->w[i] = e[i].w;
    }
    for (size_t c = 0; !bad && c < nc; c++)
        out->first[c + 1] += out->first[c];
    free(map), free(e);
    if (bad)
        lgraph_free(out);
    return bad ? -1 : 0;
}

typedef struct csize {
    uint32_t c, size, first;
} csize;

static int cmp_csize(const void *a, const void *b)
{
    const csize *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

ward_status ward_graph_communities(ward_graph *g, uint64_t seed, size_t *ncomm,
                                   ward_error *err)
{
    size_t ns = 0;
    int32_t *loc = malloc((g->n_node + 1) * sizeof *loc);
    uint32_t *sub = malloc((g->n_node + 1) * sizeof *sub);
    uint32_t *of = malloc((g->n_node + 1) * sizeof *of);   /* subject -> community */
    lgraph l = {0};
    if (!loc || !sub || !of)
        goto oom;
    for (uint32_t i = 0; i < g->n_node; i++)
        if (g->node[i].kind == WARD_GN_SUBJECT)
            loc[i] = (int32_t)ns, sub[ns++] = i;
    l.n = ns;
    l.first = calloc(ns + 1, sizeof *l.first);
    l.self = calloc(ns + 1, sizeof *l.self);
    size_t ne = 0;
    for (size_t i = 0; i < ns; i++)
        ne += g->pj_first[sub[i] + 1] - g->pj_first[sub[i]];
    l.adj = malloc((ne + 1) * sizeof *l.adj);
    l.w = malloc((ne + 1) * sizeof *l.w);
    if (!l.first || !l.self || !l.adj || !l.w)
        goto oom;
    for (size_t i = 0, k = 0; i < ns; i++) {
        for (uint32_t j = g->pj_first[sub[i]]; j < g->pj_first[sub[i] + 1]; j++, k++)
            l.adj[k] = (uint32_t)loc[g->pj[j]], l.w[k] = g->pj_w[j];
        l.first[i + 1] = l.first[i] + (g->pj_first[sub[i] + 1] - g->pj_first[sub[i]]);
    }
    for (size_t i = 0; i < ns; i++)
        of[i] = (uint32_t)i;
    for (int level = 0; level < 16; level++) {
        uint32_t *comm = malloc((l.n + 1) * sizeof *comm);
        int moved = comm ? louvain_level(&l, comm, &seed) : -1;
        lgraph next;
        if (moved < 0 || louvain_fold(&l, comm, &next)) {
            free(comm);
            goto oom;
        }
        for (size_t i = 0; i < ns; i++)
            of[i] = comm[of[i]];
        free(comm);
        lgraph_free(&l);
        l = next;
        if (!moved)
            break;
    }
    /* number communities by size, largest 0 (ties: the lowest subject) */
    csize *cs = calloc(l.n + 1, sizeof *cs);
    if (!cs)
        goto oom;
    for (size_t c = 0; c < l.n; c++)
        cs[c].c = (uint32_t)c, cs[c].first = UINT32_MAX;
    for (size_t i = 0; i < ns; i++) {
        cs[of[i]].size++;
        if (cs[of[i]].first == UINT32_MAX)
            cs[of[i]].first = (uint32_t)i;
    }
    qsort(cs, l.n, sizeof *cs, cmp_csize);
    for (size_t r = 0; r < l.n; r++)
        loc[cs[r].c] = (int32_t)r;
    for (uint32_t i = 0; i < g->n_node; i++)
        g->node[i].community = -1;
    for (size_t i = 0; i < ns; i++)
        g->node[sub[i]].community = loc[of[i]];
    *ncomm = l.n;
    free(cs), free(loc), free(sub), free(of);
    lgraph_free(&l);
    return WARD_OK;
oom:
    free(loc), free(sub), free(of);
    lgraph_free(&l);
    return oom(err);
}

static int cmp_player(const void *a, const void *b)
{
    const ward_graph_player *x = a, *y = b;
    if (x->betweenness != y->betweenness)
        return x->betweenness > y->betweenness ? -1 : 1;
    if (x->degree != y->degree)
        return x->degree > y->degree ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

ward_status ward_graph_key_players(const ward_graph *g, int32_t c, size_t top,
                                   ward_graph_player **out, size_t *n, size_t *sampled,
                                   ward_error *err)
{
    *out = NULL, *n = 0, *sampled = 0;
    size_t ns;
    uint32_t *sub = wg_component_subjects(g, c, &ns);
    if (!sub)
        return oom(err);
    if (!ns) {
        free(sub);
        return err_fail(err, WARD_ENOTFOUND, "no component %d", (int)c);
    }
    /* Local indices for the component: Brandes' arrays are its size. */
    int32_t *loc = malloc(g->n_node * sizeof *loc);
    double *cb = calloc(ns, sizeof *cb), *sigma = malloc(ns * sizeof *sigma);
    double *delta = malloc(ns * sizeof *delta);
    int *d = malloc(ns * sizeof *d);
    uint32_t *stack = malloc(ns * sizeof *stack);
    ward_graph_player *p = malloc(ns * sizeof *p);
    if (!loc || !cb || !sigma || !delta || !d || !stack || !p) {
        free(sub), free(loc), free(cb), free(sigma), free(delta), free(d), free(stack), free(p);
        return oom(err);
    }
    for (size_t i = 0; i < ns; i++)
        loc[sub[i]] = (int32_t)i;
    size_t sources = ns, step = 1;
    if (ns > 4000)
        sources = 256, step = ns / 256, *sampled = 256;
    for (size_t si = 0; si < sources; si++) {
        uint32_t s = (uint32_t)(si * step);
        for (size_t i = 0; i < ns; i++)
            sigma[i] = 0, delta[i] = 0, d[i] = -1;
        sigma[s] = 1, d[s] = 0;
        size_t head = 0, tail = 0;
        stack[tail++] = s;   /* the BFS queue doubles as the order stack */
        while (head < tail) {
            uint32_t v = stack[head++], gv = sub[v];
            for (uint32_t j = g->pj_first[gv]; j < g->pj_first[gv + 1]; j++) {
                uint32_t w = (uint32_t)loc[g->pj[j]];
                if (d[w] < 0)
                    d[w] = d[v] + 1, stack[tail++] = w;
                if (d[w] == d[v] + 1)
                    sigma[w] += sigma[v];
            }
        }
        while (tail-- > 0) {
            uint32_t w = stack[tail], gw = sub[w];
            for (uint32_t j = g->pj_first[gw]; j < g->pj_first[gw + 1]; j++) {
                uint32_t v = (uint32_t)loc[g->pj[j]];
                if (d[v] == d[w] - 1)
                    delta[v] += sigma[v] / sigma[w] * (1 + delta[w]);
            }
            if (w != s)
                cb[w] += delta[w];
        }
    }
    /* undirected: each pair counted twice; normalised by (n-1)(n-2) */
    double norm = ns > 2 ? (double)(ns - 1) * (double)(ns - 2) : 1;
    double scale = (double)ns / (double)sources;
    for (size_t i = 0; i < ns; i++)
        p[i] = (ward_graph_player){sub[i], g->node[sub[i]].degree, cb[i] * scale / norm};
    qsort(p, ns, sizeof *p, cmp_player);
    *n = top && top < ns ? top : ns;
    *out = p;
    free(sub), free(loc), free(cb), free(sigma), free(delta), free(d), free(stack);
    return WARD_OK;
}

typedef struct dated {
    time_t t;
    uint32_t e;
} dated;

static int cmp_dated(const void *a, const void *b)
{
    const dated *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

ward_status ward_graph_growth(const ward_graph *g, int32_t c, int json, FILE *out,
                              ward_error *err)
{
    dated *v = malloc((g->n_edge + 1) * sizeof *v);
    unsigned char *seen = calloc(g->n_node + 1, 1);
    if (!v || !seen) {
        free(v), free(seen);
        return oom(err);
    }
    size_t n = 0, undated = 0;
    for (uint32_t e = 0; e < g->n_edge; e++) {
        if (g->node[g->edge[e].subject].component != c)
            continue;
        if (g->edge_t[e] < 0)
            undated++;
        else
            v[n++] = (dated){g->edge_t[e], e};
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_dated);
    uint64_t subjects = 0, idents = 0, links = 0;
    for (size_t i = 0; i < n; i++) {
        const ward_graph_edge *e = &g->edge[v[i].e];
        if (!seen[e->subject])
            seen[e->subject] = 1, subjects++;
        if (!seen[e->node])
            seen[e->node] = 1, idents++;
        links++;
        char day[16];
        struct tm tm;
        gmtime_r(&v[i].t, &tm);
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        char next[16] = "";
        if (i + 1 < n) {
            gmtime_r(&v[i + 1].t, &tm);
            strftime(next, sizeof next, "%Y-%m-%d", &tm);
        }
        if (!strcmp(day, next))
            continue;
        if (json)
            fprintf(out, "{\"date\":\"%s\",\"subjects\":%llu,\"identifiers\":%llu,"
                         "\"links\":%llu}\n", day, (unsigned long long)subjects,
                    (unsigned long long)idents, (unsigned long long)links);
        else
            fprintf(out, "%s  %6llu subjects  %6llu identifiers  %7llu links\n", day,
                    (unsigned long long)subjects, (unsigned long long)idents,
                    (unsigned long long)links);
    }
    if (undated && !json)
        fprintf(out, "(%zu links without a readable date are not counted)\n", undated);
    free(v), free(seen);
    return ferror(out) ? err_fail(err, WARD_EIO, "write error") : WARD_OK;
}
