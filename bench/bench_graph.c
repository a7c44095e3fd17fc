/*
 * ward graph at scale: builds the graph from an intel data directory
 * (bench/graph.sh fills one with a generated network) and times it, then
 * times neighbourhood queries (depth 1 and 2) on subjects drawn from a
 * fixed seed, and a shortest path. Prints figures; asserts nothing.
 *   bench_graph DATADIR [QUERIES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ward/graph.h>
#include <ward/intel.h>

#include "cli/store_env.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_graph DATADIR [QUERIES]\n");
        return 2;
    }
    int q = argc > 2 ? atoi(argv[2]) : 1000;
    ward_intel *in;
    ward_graph *g;
    ward_error err;
    uint64_t unresolved;
    if (ward_intel_open(argv[1], store_env_default(), &in, &err) != WARD_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 3;
    }
    int64_t records = 0;
    double t0 = now(), c0 = cpu();
    if (ward_graph_build(in, &g, &unresolved, &err) != WARD_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 3;
    }
    double t1 = now(), c1 = cpu();
    /* what a web page view pays instead of a build while the store is unchanged */
    char stamp[512];
    double s0 = now();
    if (ward_intel_link_stamp(in, stamp, sizeof stamp, &err) != WARD_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 3;
    }
    double s1 = now();
    ward_intel_close(in);
    size_t subjects = 0;
    uint32_t *subj = malloc(ward_graph_node_count(g) * sizeof *subj);
    for (uint32_t i = 0; i < ward_graph_node_count(g); i++)
        if (ward_graph_node_at(g, i)->kind == WARD_GN_SUBJECT)
            subj[subjects++] = i;
    for (uint32_t i = 0; i < ward_graph_edge_count(g); i++)
        if (ward_graph_edge_at(g, i)->record > records)
            records = ward_graph_edge_at(g, i)->record;
    printf("graph build: %.2f s wall, %.2f s CPU for %lld records (%zu subjects, %zu nodes, %zu evidence "
           "edges, %zu components; target < 30 s)\n", t1 - t0, c1 - c0, (long long)records, subjects,
           ward_graph_node_count(g), ward_graph_edge_count(g), ward_graph_component_count(g));
    printf("store stamp (a cached web view's check instead of a build): %.1f ms wall\n",
           (s1 - s0) * 1e3);
    double *ms = malloc((size_t)q * sizeof *ms);
    uint64_t seed = 12345;
    for (int depth = 1; depth <= 2; depth++) {
        size_t total = 0;
        for (int i = 0; i < q; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t s = subj[(seed >> 33) % subjects];
            uint32_t *nodes, *via;
            int *dist;
            size_t n;
            ward_graph_view v;
            double a = cpu();
            (void)ward_graph_neighbours(g, s, depth, 500, &nodes, &dist, &via, &n, NULL);
            (void)ward_graph_ego(g, s, depth, 500, &v, NULL);
            ms[i] = (cpu() - a) * 1000;
            total += n;
            free(nodes), free(dist), free(via);
            ward_graph_view_free(&v);
        }
        qsort(ms, (size_t)q, sizeof *ms, cmp_d);
        printf("neighbourhood depth %d (+ ego view), CPU time: median %.2f ms, p99 %.2f ms, max %.2f ms "
               "over %d subjects (mean %.1f neighbours; target < 50 ms)\n", depth,
               ms[q / 2], ms[q * 99 / 100], ms[q - 1], q, (double)total / q);
    }
    double a = now();
    uint32_t *path;
    size_t n;
    /* two subjects of the largest component, far apart in index order */
    size_t first = 0, last = 0;
    for (size_t i = 0; i < subjects; i++)
        if (ward_graph_node_at(g, subj[i])->component == 0)
            last = i, first = first ? first : i + 1;
    (void)ward_graph_path(g, subj[first ? first - 1 : 0], subj[last], &path, &n, NULL);
    printf("shortest path: %.2f ms (%zu subjects long)\n", (now() - a) * 1000, n);
    free(path);
    a = now();
    size_t nc;
    (void)ward_graph_communities(g, 1, &nc, NULL);
    printf("communities (Louvain): %.2f s, %zu communities\n", now() - a, nc);
    a = now();
    ward_graph_player *p;
    size_t np, sampled;
    (void)ward_graph_key_players(g, 0, 10, &p, &np, &sampled, NULL);
    printf("key players of the largest component: %.2f s%s\n", now() - a,
           sampled ? " (betweenness from 256 sources)" : "");
    free(p), free(ms), free(subj);
    ward_graph_free(g);
    return 0;
}
