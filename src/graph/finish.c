/*
 * Finishing a graph: adjacency lists, which identifiers the resolver's
 * limits refuse, the subject projection (who is linked to whom, through how
 * many identifiers) and connected components.
 */
#include "graph/graph_int.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int build_adjacency(ward_graph *g)
{
    g->adj_first = calloc(g->n_node + 1, sizeof *g->adj_first);
    g->adj = malloc((2 * g->n_edge + 1) * sizeof *g->adj);
    uint32_t *fill = calloc(g->n_node + 1, sizeof *fill);
    if (!g->adj_first || !g->adj || !fill) {
        free(fill);
        return -1;
    }
    for (size_t e = 0; e < g->n_edge; e++)
        g->adj_first[g->edge[e].subject + 1]++, g->adj_first[g->edge[e].node + 1]++;
    for (size_t i = 0; i < g->n_node; i++)
        g->adj_first[i + 1] += g->adj_first[i];
    for (size_t e = 0; e < g->n_edge; e++) {
        const ward_graph_edge *x = &g->edge[e];
        g->adj[g->adj_first[x->subject] + fill[x->subject]++] = (uint32_t)e;
        g->adj[g->adj_first[x->node] + fill[x->node]++] = (uint32_t)e;
    }
    free(fill);
    return 0;
}

size_t ward_graph_edges_of(const ward_graph *g, uint32_t i, const uint32_t **edges)
{
    *edges = g->adj + g->adj_first[i];
    return g->adj_first[i + 1] - g->adj_first[i];
}

/* Distinct values among n (sorted in place). */
static uint32_t distinct(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_i64);
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += (i == 0 || v[i] != v[i - 1]) && v[i] != 0;
    return d;
}

/* The resolver's rule (src/intel/resolve.c block()): more records than the
 * frequency cap, or records under more names than shared_names, and the
 * identifier tells no one apart. Files are held by many people by nature,
 * and a chat room holds many people: for them only the cap applies
 * ("widely circulated", "a busy room"). A card under more names than
 * shared_names is what card.c raises as "possibly stolen or shared": it
 * links no one. Exhibits and scans belong to one subject each: never
 * refused, they link no one anyway. */
static int mark_refused(ward_graph *g, int64_t *tmp)
{
    for (uint32_t i = 0; i < g->n_node; i++) {
        ward_graph_node *n = &g->node[i];
        const uint32_t *e;
        size_t k = ward_graph_edges_of(g, i, &e);
        for (size_t j = 0; j < k; j++)
            /* evidence without a referral record (an exhibit's scan) counts
             * once per edge, so the frequency cap holds for it too */
            tmp[j] = g->edge[e[j]].record ? g->edge[e[j]].record : -(int64_t)e[j] - 1;
        n->records = distinct(tmp, k);
        for (size_t j = 0; j < k; j++)
            tmp[j] = (int64_t)g->edge[e[j]].subject + 1;
        if (n->kind != WARD_GN_SUBJECT)
            n->degree = distinct(tmp, k);
        if (n->kind == WARD_GN_SUBJECT || n->kind == WARD_GN_EXHIBIT ||
            n->kind == WARD_GN_SCAN || n->refused)
            continue;
        char why[200];
        int file = n->kind == WARD_GN_HASH || n->kind == WARD_GN_SERIES;
        int room = n->kind == WARD_GN_CHAT;
        why[0] = 0;
        if ((int)n->records > g->lim.frequency_cap)
            snprintf(why, sizeof why, "%s by %u records (frequency cap %d)",
                     file ? "widely circulated: held" : room ? "a busy room: named"
                                                             : "shared: held",
                     n->records, g->lim.frequency_cap);
        else if (!file && !room) {
            for (size_t j = 0; j < k; j++)
                tmp[j] = (int64_t)g->edge_name[e[j]];
            uint32_t names = distinct(tmp, k);
            if ((int)names > g->lim.shared_names)
                snprintf(why, sizeof why,
                         n->kind == WARD_GN_CARD
                             ? "seen with %u different names (more than %d): possibly stolen "
                               "or shared; it links no one"
                             : "shared: used under %u different names (more than %d: a shared "
                               "mailbox or account)", names, g->lim.shared_names);
        }
        if (why[0] && !(n->refused = wg_strdup(g, why)))
            return -1;
    }
    return 0;
}

int wg_edges_link(const ward_graph *g, uint32_t e, uint32_t f)
{
    const ward_graph_edge *x = &g->edge[e], *y = &g->edge[f];
    if (x->subject == y->subject || g->node[x->node].refused)
        return 0;
    if (g->node[x->node].kind != WARD_GN_IP)
        return 1;
    time_t a = g->edge_t[e], b = g->edge_t[f];
    if (a < 0 || b < 0)
        return 0;
    return llabs((long long)(a - b)) <= (long long)g->lim.ip_window_hours * 3600;
}

static int push(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        uint64_t *p = realloc(*v, c * sizeof *p);
        if (!p)
            return -1;
        *v = p, *cap = c;
    }
    (*v)[(*n)++] = x;
    return 0;
}

/* Subject pairs linked through each identifier, counted: the projection. */
static int build_projection(ward_graph *g)
{
    uint64_t *pairs = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = 0; i < g->n_node; i++) {
        if (g->node[i].kind == WARD_GN_SUBJECT || g->node[i].refused)
            continue;
        const uint32_t *e;
        size_t k = ward_graph_edges_of(g, i, &e);
        size_t first = n;
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++) {
                if (!wg_edges_link(g, e[a], e[b]))
                    continue;
                uint64_t s = g->edge[e[a]].subject, t = g->edge[e[b]].subject;
                if (push(&pairs, &n, &cap, s < t ? s << 32 | t : t << 32 | s))
                    goto oom;
            }
        /* one identifier counts once per pair, however many records hold it */
        if (n - first > 1) {
            qsort(pairs + first, n - first, sizeof *pairs, cmp_u64);
            size_t w = first;
            for (size_t j = first; j < n; j++)
                if (j == first || pairs[j] != pairs[j - 1])
                    pairs[w++] = pairs[j];
            n = w;
        }
    }
    if (n > 1)
        qsort(pairs, n, sizeof *pairs, cmp_u64);
    g->pj_first = calloc(g->n_node + 1, sizeof *g->pj_first);
    uint32_t *fill = calloc(g->n_node + 1, sizeof *fill);
    size_t uniq = 0;
    for (size_t j = 0; j < n; j++)
        uniq += j == 0 || pairs[j] != pairs[j - 1];
    g->pj = malloc((2 * uniq + 1) * sizeof *g->pj);
    g->pj_w = malloc((2 * uniq + 1) * sizeof *g->pj_w);
    if (!g->pj_first || !fill || !g->pj || !g->pj_w) {
        free(fill);
        goto oom;
    }
    for (size_t j = 0; j < n; j++)
        if (j == 0 || pairs[j] != pairs[j - 1])
            g->pj_first[(pairs[j] >> 32) + 1]++, g->pj_first[(uint32_t)pairs[j] + 1]++;
    for (size_t i = 0; i < g->n_node; i++)
        g->pj_first[i + 1] += g->pj_first[i];
    for (size_t j = 0; j < n;) {
        size_t k = j;
        while (k < n && pairs[k] == pairs[j])
            k++;
        uint32_t a = (uint32_t)(pairs[j] >> 32), b = (uint32_t)pairs[j];
        uint32_t pa = g->pj_first[a] + fill[a]++, pb = g->pj_first[b] + fill[b]++;
        g->pj[pa] = b, g->pj_w[pa] = (uint32_t)(k - j);
        g->pj[pb] = a, g->pj_w[pb] = (uint32_t)(k - j);
        j = k;
    }
    for (uint32_t i = 0; i < g->n_node; i++)
        if (g->node[i].kind == WARD_GN_SUBJECT)
            g->node[i].degree = g->pj_first[i + 1] - g->pj_first[i];
    free(fill);
    free(pairs);
    return 0;
oom:
    free(pairs);
    return -1;
}

size_t ward_graph_linked(const ward_graph *g, uint32_t i, const uint32_t **subjects,
                         const uint32_t **weights)
{
    *subjects = g->pj + g->pj_first[i];
    if (weights)
        *weights = g->pj_w + g->pj_first[i];
    return g->pj_first[i + 1] - g->pj_first[i];
}

size_t ward_graph_shared(const ward_graph *g, uint32_t a, uint32_t b, uint32_t *out,
                         size_t cap)
{
    const uint32_t *ea, *ei;
    size_t na = ward_graph_edges_of(g, a, &ea), k = 0;
    for (size_t x = 0; x < na; x++) {
        uint32_t id = g->edge[ea[x]].node;
        int seen = 0, linked = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = out[j] == id;
        if (seen || g->node[id].refused)
            continue;
        size_t ni = ward_graph_edges_of(g, id, &ei);
        for (size_t y = 0; y < ni && !linked; y++)
            linked = g->edge[ei[y]].subject == b && wg_edges_link(g, ea[x], ei[y]);
        if (linked && k < cap)
            out[k++] = id;
    }
    return k;
}

typedef struct comp {
    uint32_t first, size;
} comp;

static int cmp_comp(const void *a, const void *b)
{
    const comp *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Components of the projection, numbered by size (largest 0). */
static int components(ward_graph *g)
{
    uint32_t *queue = malloc((g->n_node + 1) * sizeof *queue);
    comp *c = malloc((g->n_node + 1) * sizeof *c);
    int32_t *renum = malloc((g->n_node + 1) * sizeof *renum);
    if (!queue || !c || !renum) {
        free(queue), free(c), free(renum);
        return -1;
    }
    size_t nc = 0;
    for (uint32_t i = 0; i < g->n_node; i++) {
        if (g->node[i].kind != WARD_GN_SUBJECT || g->node[i].component >= 0)
            continue;
        size_t head = 0, tail = 0;
        queue[tail++] = i;
        g->node[i].component = (int32_t)nc;
        while (head < tail) {
            uint32_t u = queue[head++];
            for (uint32_t j = g->pj_first[u]; j < g->pj_first[u + 1]; j++)
                if (g->node[g->pj[j]].component < 0) {
                    g->node[g->pj[j]].component = (int32_t)nc;
                    queue[tail++] = g->pj[j];
                }
        }
        c[nc].first = i, c[nc].size = (uint32_t)tail;
        nc++;
    }
    qsort(c, nc, sizeof *c, cmp_comp);
    for (size_t k = 0; k < nc; k++)
        renum[g->node[c[k].first].component] = (int32_t)k;
    for (uint32_t i = 0; i < g->n_node; i++)
        if (g->node[i].kind == WARD_GN_SUBJECT)
            g->node[i].component = renum[g->node[i].component];
    g->n_component = nc;
    free(queue), free(c), free(renum);
    return 0;
}

ward_status ward_graph_finish(ward_graph *g, ward_error *err)
{
    if (g->finished)
        return WARD_OK;
    int64_t *tmp = NULL;
    size_t most = 1;
    int bad = build_adjacency(g);
    for (uint32_t i = 0; !bad && i < g->n_node; i++)
        if (g->adj_first[i + 1] - g->adj_first[i] > most)
            most = g->adj_first[i + 1] - g->adj_first[i];
    if (!bad && !(tmp = malloc(most * sizeof *tmp)))
        bad = 1;
    bad = bad || mark_refused(g, tmp) || build_projection(g) || components(g);
    free(tmp);
    if (bad) {
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    g->finished = 1;
    return WARD_OK;
}
