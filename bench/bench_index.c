/*
 * bench_index: build, open and query a PDQ index of synthetic hashes.
 *
 *   bench_index [--n N] [--q Q] [--radius R] [--verify K] [--seed S]
 *               [--dir DIR] [--dump PREFIX] [--keep] [--reuse] [--chunks M]
 *               [--memory] [--random]
 *
 * Data: N hashes, 80% uniformly random and 20% in clusters (2..64 members,
 * each 1..20 bits from its cluster's centre), shuffled so that cluster
 * members are not neighbours in the file. Entry ids are 0..N-1 in that
 * order, so row i of a dump is entry i.
 * Queries: Q, half a stored hash with 0..24 bits flipped, half random;
 * --random makes them all random (what a platform's benign uploads are: the
 * typical batch of bench/serve.sh is mostly hashes that match nothing).
 *
 * Prints one "ward:" line per figure as key=value pairs (bench/index.sh
 * reads them): build seconds, file size, open time, then single-threaded
 * query latency at the radius (p50/p99/mean in µs, after one untimed pass
 * that maps the file's pages; the cold pass is printed too; cpu_us is the
 * thread's CPU time per call, which other processes on a shared machine
 * move less than the wall-clock figures), the same for 8
 * hashes per call (dihedral use), and how many of K sampled queries gave
 * exactly the brute-force answer.
 *
 * --chunks M overrides the builder's choice of multi-index chunks (10..32),
 * to measure the alternatives its cost model weighs.
 * --memory then runs the same queries through ward_index_accelerate's
 * in-memory copy (what ward serve uses), and verifies them again.
 * --keep leaves DIR/bench.idx in place; --reuse opens it instead of
 * building (same --n and --seed: the data is regenerated identically), for
 * tuning query code without waiting for builds.
 *
 * --dump PREFIX writes PREFIX.db (N x 32 bytes), PREFIX.q (Q x 32 bytes) and
 * PREFIX.truth (per query: u32 count, then the matching ids as u64, from the
 * brute-force scan) for bench/faiss_index.py.
 *
 * All hashes are random numbers; nothing here is, or is derived from, an
 * image.
 */
#include <ward/index.h>
#include "index/index_int.h" /* idx_builder_set_chunks, for --chunks */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct opts {
    size_t n, q;
    int radius;
    size_t verify;
    unsigned chunks;
    uint64_t seed;
    const char *dir, *dump;
    int keep, reuse, memory, random;
} opts;

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next64(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t below(rng *r, size_t n) { return (size_t)(next64(r) % n); }

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

static void random_pdq(rng *r, ward_pdq *h)
{
    for (int i = 0; i < 32; i += 8) {
        uint64_t v = next64(r);
        memcpy(h->b + i, &v, 8);
    }
}

/* Flip exactly k distinct random bits. */
static void flip_bits(rng *r, ward_pdq *h, int k)
{
    uint8_t done[32] = {0};
    for (int i = 0; i < k;) {
        int bit = (int)below(r, 256);
        if (done[bit >> 3] & (1u << (bit & 7)))
            continue;
        done[bit >> 3] |= (uint8_t)(1u << (bit & 7));
        h->b[bit >> 3] ^= (uint8_t)(1u << (bit & 7));
        i++;
    }
}

static ward_pdq *make_data(rng *r, size_t n)
{
    ward_pdq *h = malloc(n * sizeof *h);
    if (!h)
        return NULL;
    size_t clustered = n / 5, i = 0;
    while (i < clustered) {
        ward_pdq centre;
        random_pdq(r, &centre);
        size_t members = 2 + below(r, 63);
        for (size_t m = 0; m < members && i < clustered; m++, i++) {
            h[i] = centre;
            flip_bits(r, &h[i], 1 + (int)below(r, 20));
        }
    }
    for (; i < n; i++)
        random_pdq(r, &h[i]);
    for (size_t k = n; k > 1; k--) {
        size_t j = below(r, k);
        ward_pdq t = h[k - 1];
        h[k - 1] = h[j];
        h[j] = t;
    }
    return h;
}

static ward_pdq *make_queries(rng *r, const ward_pdq *data, size_t n, size_t q, int random)
{
    ward_pdq *qs = malloc((q ? q : 1) * sizeof *qs);
    if (!qs)
        return NULL;
    for (size_t i = 0; i < q; i++) {
        if (i % 2 == 0 && n > 0 && !random) {
            qs[i] = data[below(r, n)];
            flip_bits(r, &qs[i], (int)below(r, 25));
        } else {
            random_pdq(r, &qs[i]);
        }
    }
    return qs;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latencies in µs: p50, p99, mean (sorts t). */
static void stats(double *t, size_t n, double *p50, double *p99, double *mean)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += t[i];
    qsort(t, n, sizeof *t, cmp_double);
    *p50 = n ? t[n / 2] : 0;
    *p99 = n ? t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0;
    *mean = n ? sum / (double)n : 0;
}

/* Time each query (nq hashes per call); returns total matches. */
static size_t time_queries(const ward_index *ix, const ward_pdq *qs, size_t q, int nq,
                           int radius, double *us)
{
    size_t matches = 0;
    for (size_t i = 0; i + (size_t)nq <= q; i += (size_t)nq) {
        double t0 = now();
        size_t n = 0; /* valid arguments: WARD_OK */
        (void)ward_index_query_pdq(ix, &qs[i], nq, radius, NULL, 0, &n);
        matches += n;
        us[i / (size_t)nq] = (now() - t0) * 1e6;
    }
    return matches;
}

static void report_latency(const char *what, const ward_index *ix, const ward_pdq *qs,
                           size_t q, int nq, int radius, int cold)
{
    size_t calls = q / (size_t)nq;
    double *us = malloc((calls ? calls : 1) * sizeof *us), p50, p99, mean;
    if (!us)
        return;
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    size_t matches = time_queries(ix, qs, q, nq, radius, us);
    double cpu = (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6 / (double)(calls ? calls : 1);
    stats(us, calls, &p50, &p99, &mean);
    printf("ward: %s calls=%zu hashes_per_call=%d radius=%d p50_us=%.1f p99_us=%.1f "
           "mean_us=%.1f cpu_us=%.1f matches=%zu%s\n", what, calls, nq, radius, p50, p99, mean,
           cpu, matches, cold ? " (first pass: pages not yet mapped)" : "");
    free(us);
}

/* Exact: same entries, distances and order as the scan. */
static size_t verify_sample(const ward_index *ix, const ward_pdq *qs, size_t q, size_t k,
                            int radius, size_t n)
{
    ward_pdq_match *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (k == 0)
        return 0;
    size_t exact = 0, step = (q + k - 1) / k;
    double t0 = now();
    for (size_t i = 0; i < q && a && b; i += step) {
        size_t na = 0, nb = 0;
        (void)ward_index_query_pdq(ix, &qs[i], 1, radius, a, n, &na);
        (void)ward_index_query_pdq_brute(ix, &qs[i], 1, radius, b, n, &nb);
        exact += na == nb && memcmp(a, b, na * sizeof *a) == 0;
    }
    size_t checked = (q + step - 1) / step;
    printf("ward: verified=%zu/%zu queries identical to brute force (brute %.1f ms/query)\n",
           exact, checked, (now() - t0) * 1e3 / (double)(checked ? checked : 1));
    free(a);
    free(b);
    return exact == checked ? 0 : 1;
}

static int dump(const char *prefix, const ward_index *ix, const ward_pdq *data, size_t n,
                const ward_pdq *qs, size_t q, int radius)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.db", prefix);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, sizeof *data, n, f) != n || fclose(f) != 0)
        return -1;
    snprintf(path, sizeof path, "%s.q", prefix);
    f = fopen(path, "wb");
    if (!f || fwrite(qs, sizeof *qs, q, f) != q || fclose(f) != 0)
        return -1;
    snprintf(path, sizeof path, "%s.truth", prefix);
    f = fopen(path, "wb");
    ward_pdq_match *m = malloc((n ? n : 1) * sizeof *m);
    if (!f || !m)
        return -1;
    double t0 = now();
    for (size_t i = 0; i < q; i++) {
        size_t found = 0;
        (void)ward_index_query_pdq_brute(ix, &qs[i], 1, radius, m, n, &found);
        uint32_t c = (uint32_t)found;
        fwrite(&c, 4, 1, f);
        for (uint32_t j = 0; j < c; j++)
            fwrite(&m[j].entry_id, 8, 1, f);
    }
    free(m);
    printf("ward: dumped %s.{db,q,truth} (brute-force truth %.1f s)\n", prefix, now() - t0);
    return fclose(f) == 0 ? 0 : -1;
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.n = 10000000, .q = 1000, .radius = 31, .verify = 100, .seed = 42};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--memory") || !strcmp(a, "--random")) {
            *(a[2] == 'm' ? &o->memory : &o->random) = 1;
            continue;
        }
        if (!strcmp(a, "--keep") || !strcmp(a, "--reuse")) {
            *(a[2] == 'k' ? &o->keep : &o->reuse) = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (!strcmp(a, "--n")) o->n = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--q")) o->q = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--radius")) o->radius = atoi(v);
        else if (!strcmp(a, "--verify")) o->verify = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--seed")) o->seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--chunks")) o->chunks = (unsigned)atoi(v);
        else if (!strcmp(a, "--dir")) o->dir = v;
        else if (!strcmp(a, "--dump")) o->dump = v;
        else return -1;
    }
    return 0;
}

static void no_memory(ward_error *err)
{
    snprintf(err->message, sizeof err->message, "out of memory");
}

static ward_index *build_and_open(const opts *o, const ward_pdq *data, const char *path)
{
    ward_error err;
    if (o->reuse) {
        ward_index *ix = NULL;
        if (ward_index_open(path, &ix, &err) != WARD_OK)
            fprintf(stderr, "bench_index: --reuse: %s\n", err.message);
        else
            printf("ward: reusing %s\n", path);
        return ix;
    }
    double t0 = now();
    ward_index_builder *b = ward_index_builder_new();
    if (b)
        idx_builder_set_chunks(b, o->chunks);
    for (size_t i = 0; b && i < o->n; i++)
        if (ward_index_builder_add(b, i, NULL, &data[i], &err) != WARD_OK) {
            fprintf(stderr, "bench_index: add: %s\n", err.message);
            ward_index_builder_free(b);
            return NULL;
        }
    double t1 = now();
    if (!b)
        no_memory(&err);
    ward_status st = b ? ward_index_builder_write(b, path, &err) : WARD_ENOMEM;
    double t2 = now();
    ward_index_builder_free(b);
    if (st != WARD_OK) {
        fprintf(stderr, "bench_index: write: %s\n", err.message);
        return NULL;
    }
    struct stat sb;
    stat(path, &sb);
    ward_index *ix = NULL;
    double t3 = now();
    if (ward_index_open(path, &ix, &err) != WARD_OK) {
        fprintf(stderr, "bench_index: open: %s\n", err.message);
        return NULL;
    }
    double t4 = now();
    ward_index_info info;
    ward_index_get_info(ix, &info);
    printf("ward: n=%zu build_s=%.2f (add %.2f, sort+write+fsync %.2f) file_mb=%.1f "
           "open_ms=%.3f chunks=%u\n", o->n, t2 - t0, t1 - t0, t2 - t1,
           (double)sb.st_size / 1048576.0, (t4 - t3) * 1e3, info.pdq_chunks);
    return ix;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_index [--n N] [--q Q] [--radius R] [--verify K] "
                        "[--seed S] [--dir DIR] [--dump PREFIX] [--keep] [--reuse] [--chunks M] "
                        "[--memory] [--random]\n");
        return 2;
    }
    char dir[4096], path[4200];
    if (o.dir)
        snprintf(dir, sizeof dir, "%s", o.dir);
    else if (!mkdtemp(strcpy(dir, "/tmp/ward-bench-index-XXXXXX"))) {
        perror("bench_index: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/bench.idx", dir);
    rng r = {o.seed};
    double t0 = now();
    ward_pdq *data = make_data(&r, o.n), *qs = data ? make_queries(&r, data, o.n, o.q, o.random) : NULL;
    if (!qs) {
        fprintf(stderr, "bench_index: out of memory\n");
        return 1;
    }
    printf("ward: generated n=%zu (20%% clustered) q=%zu (%s) in %.1f s\n", o.n, o.q,
           o.random ? "all random" : "half near, half random", now() - t0);
    ward_index *ix = build_and_open(&o, data, path);
    if (!ix)
        return 1;
    report_latency("query-cold", ix, qs, o.q, 1, o.radius, 1);
    report_latency("query", ix, qs, o.q, 1, o.radius, 0);
    report_latency("query-dihedral", ix, qs, o.q, 8, o.radius, 0);
    int rc = verify_sample(ix, qs, o.q, o.verify, o.radius, o.n);
    if (o.memory) { /* the same queries through ward_index_accelerate's copy */
        ward_error err;
        double t1 = now();
        if (ward_index_accelerate(ix, UINT64_MAX, &err) != WARD_OK) {
            fprintf(stderr, "bench_index: --memory: %s\n", err.message);
            return 1;
        }
        printf("ward: in-memory copy built in %.2f s\n", now() - t1);
        report_latency("query-memory", ix, qs, o.q, 1, o.radius, 0);
        report_latency("query-memory-dihedral", ix, qs, o.q, 8, o.radius, 0);
        rc |= verify_sample(ix, qs, o.q, o.verify, o.radius, o.n);
    }
    if (o.dump && dump(o.dump, ix, data, o.n, qs, o.q, o.radius) != 0) {
        fprintf(stderr, "bench_index: dump to %s failed: %s\n", o.dump, strerror(errno));
        rc = 1;
    }
    ward_index_close(ix);
    if (!o.keep && !o.reuse) {
        unlink(path);
        if (!o.dir)
            rmdir(dir);
    }
    free(data);
    free(qs);
    return rc;
}
