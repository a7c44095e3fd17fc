/*
 * The index must answer exactly what a comparison against every entry would:
 * PDQ radius queries are checked against a brute force computed here from
 * the generated data (not against the library's own brute force, which
 * shares code with the index), over neighbours planted at every distance
 * around and beyond the radius, including the spreads that multi-index
 * hashing finds through one chunk only. Broken files must fail to open with
 * WARD_EFORMAT, and files corrupted past the header must never crash a query
 * (the ASan build runs all of this).
 *
 * All hashes are synthetic random numbers. WARD_TEST_SEED picks another seed.
 */
#include "testutil.h"

#include <ward/index.h>
#include "index/index_int.h"

#include <pthread.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

/* The public lookups, which must succeed here: their counts. */
static size_t query_n(const ward_index *ix, const ward_pdq *q, int nq, int radius,
                      ward_pdq_match *out, size_t max)
{
    size_t n = 0;
    assert_int_equal(ward_index_query_pdq(ix, q, nq, radius, out, max, &n), WARD_OK);
    return n;
}

static size_t brute_n(const ward_index *ix, const ward_pdq *q, int nq, int radius,
                      ward_pdq_match *out, size_t max)
{
    size_t n = 0;
    assert_int_equal(ward_index_query_pdq_brute(ix, q, nq, radius, out, max, &n), WARD_OK);
    return n;
}

static size_t lookup_n(const ward_index *ix, unsigned algo, const uint8_t *digest, uint64_t *ids,
                       size_t max)
{
    size_t n = 0;
    assert_int_equal(ward_index_lookup_digest(ix, algo, digest, ids, max, &n), WARD_OK);
    return n;
}

static uint64_t next64(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(rng *r, unsigned n) { return (unsigned)(next64(r) % n); }

static void random_pdq(rng *r, ward_pdq *h)
{
    for (int i = 0; i < 32; i += 8) {
        uint64_t v = next64(r);
        memcpy(h->b + i, &v, 8);
    }
}

static void flip(ward_pdq *h, int bit) { h->b[bit >> 3] ^= (uint8_t)(1u << (bit & 7)); }

/* Flip exactly d distinct random bits (partial Fisher-Yates over 256). */
static void flip_random(rng *r, ward_pdq *h, int d)
{
    int pos[256];
    for (int i = 0; i < 256; i++)
        pos[i] = i;
    for (int i = 0; i < d; i++) {
        int j = i + (int)below(r, (unsigned)(256 - i));
        int t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
        flip(h, pos[i]);
    }
}

/* Flip d bits spread round-robin over the 16 chunks starting at chunk
 * `first`: the spread that leaves the fewest chunks within their
 * threshold, i.e. the one multi-index hashing can only find through one
 * chunk (for d = 31 starting at 0, only chunk 15 has a single flip). */
static void flip_spread(rng *r, ward_pdq *h, int d, int first)
{
    int used[16] = {0}, start[16];
    for (int c = 0; c < 16; c++)
        start[c] = (int)below(r, 16);
    for (int i = 0; i < d; i++) {
        int c = (first + i) % 16;
        /* steps of 7 visit all 16 bits of the chunk before repeating */
        flip(h, c * 16 + (start[c] + used[c]++ * 7) % 16);
    }
}

/* Flip d bits packed into as few chunks as possible, starting at `first`. */
static void flip_packed(ward_pdq *h, int d, int first)
{
    for (int i = 0; i < d; i++)
        flip(h, ((first * 16) + i) % 256);
}

typedef struct dataset {
    size_t n, cap;
    uint64_t *ids;
    ward_pdq *h;
} dataset;

static void ds_add(dataset *ds, uint64_t id, const ward_pdq *h)
{
    if (ds->n == ds->cap) {
        ds->cap = ds->cap ? ds->cap * 2 : 1024;
        ds->ids = realloc(ds->ids, ds->cap * sizeof *ds->ids);
        ds->h = realloc(ds->h, ds->cap * sizeof *ds->h);
        assert_non_null(ds->ids);
        assert_non_null(ds->h);
    }
    ds->ids[ds->n] = id;
    ds->h[ds->n++] = *h;
}

static void ds_free(dataset *ds)
{
    free(ds->ids);
    free(ds->h);
}

static int cmp_match(const void *a, const void *b)
{
    const ward_pdq_match *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->entry_id < y->entry_id ? -1 : x->entry_id > y->entry_id;
}

/* The answer by definition: best distance over the queries (lowest query
 * index on a tie), every entry within the radius, sorted. */
static size_t expected(const dataset *ds, const ward_pdq *q, int nq, int radius,
                       ward_pdq_match *out)
{
    size_t n = 0;
    for (size_t i = 0; i < ds->n; i++) {
        int best = 1000, bq = -1;
        for (int k = 0; k < nq; k++) {
            int d = ward_pdq_distance(&ds->h[i], &q[k]);
            if (d < best) {
                best = d;
                bq = k;
            }
        }
        if (best <= radius)
            out[n++] = (ward_pdq_match){ds->ids[i], best, bq};
    }
    qsort(out, n, sizeof *out, cmp_match);
    return n;
}

static void assert_same(const ward_pdq_match *got, size_t ngot, const ward_pdq_match *want,
                        size_t nwant, const char *what, int radius)
{
    if (ngot != nwant)
        fail_msg("%s r=%d: %zu matches, brute force %zu", what, radius, ngot, nwant);
    for (size_t i = 0; i < ngot; i++)
        if (got[i].entry_id != want[i].entry_id || got[i].distance != want[i].distance ||
            got[i].query != want[i].query)
            fail_msg("%s r=%d: match %zu is (%llu,%d,q%d), brute force (%llu,%d,q%d)", what,
                     radius, i, (unsigned long long)got[i].entry_id, got[i].distance,
                     got[i].query, (unsigned long long)want[i].entry_id, want[i].distance,
                     want[i].query);
}

static char *tmpdir;

static void temp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static int setup_dir(void **state)
{
    (void)state;
    tmpdir = scratch_dir("ward-index-test");
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    scratch_remove(tmpdir);
    tmpdir = NULL;
    return 0;
}

static uint64_t test_seed(void)
{
    const char *s = getenv("WARD_TEST_SEED");
    return s ? strtoull(s, NULL, 0) : 0x5eed1dea;
}

/* Write the builder's index to the scratch file `name` (its path goes to
 * path) and free the builder. */
static void write_index(ward_index_builder *b, const char *name, char path[256])
{
    ward_error err;
    temp_path(path, 256, name);
    if (ward_index_builder_write(b, path, &err) != WARD_OK)
        fail_msg("write %s: %s", name, err.message);
    ward_index_builder_free(b);
}

static ward_index *open_index(const char *path)
{
    ward_index *ix = NULL;
    ward_error err;
    if (ward_index_open(path, &ix, &err) != WARD_OK)
        fail_msg("open %s: %s", path, err.message);
    return ix;
}

/* Build an index of ds (added in a shuffled order, so the builder's sort is
 * exercised) with m chunks (0: the builder's choice) and open it. */
static ward_index *build_open_chunks(const dataset *ds, const char *name, rng *r, unsigned m,
                                     int keep)
{
    size_t *order = malloc((ds->n ? ds->n : 1) * sizeof *order);
    assert_non_null(order);
    for (size_t i = 0; i < ds->n; i++)
        order[i] = i;
    for (size_t i = ds->n; i > 1; i--) {
        size_t j = below(r, (unsigned)i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    ward_index_builder *b = ward_index_builder_new();
    ward_error err;
    idx_builder_set_chunks(b, m);
    for (size_t i = 0; i < ds->n; i++)
        assert_int_equal(ward_index_builder_add(b, ds->ids[order[i]], NULL, &ds->h[order[i]], &err),
                         WARD_OK);
    char path[256];
    write_index(b, name, path);
    free(order);
    ward_index *ix = open_index(path);
    if (!keep)
        unlink(path); /* the mapping keeps it; /tmp stays small */
    return ix;
}

static ward_index *build_open(const dataset *ds, const char *name, rng *r)
{
    return build_open_chunks(ds, name, r, 0, 1);
}

/* ---- PDQ: exact against brute force ------------------------------------- */

#define NRANDOM 100000
#define NBASE 6
#define MAXPLANT 72 /* distances 0..71 = largest MIH radius (63) + 8 */

/* Random hashes, a dense cluster (big buckets), and around each base query
 * neighbours at every distance 0..71 in three spreads. */
static void make_pdq_dataset(rng *r, dataset *ds, ward_pdq base[NBASE])
{
    uint64_t id = 1000;
    ward_pdq h;
    for (int i = 0; i < NRANDOM; i++) {
        random_pdq(r, &h);
        ds_add(ds, id += 1 + below(r, 3), &h);
    }
    ward_pdq centre;
    random_pdq(r, &centre);
    for (int i = 0; i < 3000; i++) {
        h = centre;
        flip_random(r, &h, (int)below(r, 21));
        ds_add(ds, id += 1, &h);
    }
    for (int q = 0; q < NBASE; q++) {
        random_pdq(r, &base[q]);
        if (q == NBASE - 1)
            base[q] = centre;
        for (int d = 0; d < MAXPLANT; d++) {
            h = base[q];
            flip_random(r, &h, d);
            ds_add(ds, id += 1, &h);
            h = base[q];
            flip_spread(r, &h, d, (int)below(r, 16));
            ds_add(ds, id += 1, &h);
            h = base[q];
            flip_packed(&h, d, (int)below(r, 16));
            ds_add(ds, id += 1, &h);
        }
    }
}

/* Room for every entry of a dataset as a match: what the index answers
 * (got) and what the brute force here says (want). */
typedef struct answers {
    ward_pdq_match *got, *want;
    size_t cap;
} answers;

static answers answers_for(const dataset *ds)
{
    answers a = {malloc(ds->n * sizeof *a.got), malloc(ds->n * sizeof *a.want), ds->n};
    assert_non_null(a.got);
    assert_non_null(a.want);
    return a;
}

static void answers_free(answers *a)
{
    free(a->got);
    free(a->want);
}

/* The public query (multi-index or scan, as the cost model picks), the
 * multi-index search forced (up to radius 63, beyond which it is slow), and
 * the library's scan must all equal the brute force computed here. */
static void check_radius(const ward_index *ix, const dataset *ds, const ward_pdq *q, int nq,
                         int radius, const char *what, answers *a)
{
    size_t nw = expected(ds, q, nq, radius, a->want);
    assert_true(nw <= a->cap);
    size_t ng = query_n(ix, q, nq, radius, a->got, a->cap);
    assert_same(a->got, ng, a->want, nw, what, radius);
    if (radius < 64) {
        ng = idx_query_pdq_mih(ix, q, nq, radius, a->got, a->cap);
        assert_same(a->got, ng, a->want, nw, "multi-index", radius);
    }
    ng = brute_n(ix, q, nq, radius, a->got, a->cap);
    assert_same(a->got, ng, a->want, nw, "library brute force", radius);
    /* The in-memory copy's portable code too, where the public query used
     * its AVX2 walk. */
    ng = idx_query_pdq_fast(ix, q, nq, radius, 0, a->got, a->cap);
    if (ng != (size_t)-1)
        assert_same(a->got, ng, a->want, nw, "in memory, portable", radius);
}

/* Chunk layouts: the builder's choice for this size (16 x 16 bits), 12 and
 * 13 chunks (21-22 and 19-20 bits, crossing 64-bit word boundaries) and 32
 * chunks of 8 bits (hundreds of rows per bucket). Thresholds -1 (chunk not
 * probed) up to 6 bits per chunk all occur over these radii. */
static void test_pdq_exact_every_distance(void **state)
{
    (void)state;
    rng r = {test_seed()};
    dataset ds = {0};
    ward_pdq base[NBASE];
    make_pdq_dataset(&r, &ds, base);
    answers a = answers_for(&ds);
    static const unsigned layouts[] = {0, 12, 13, 32};
    static const int radii[] = {0, 1, 5, 9, 10, 15, 16, 17, 24, 31, 32, 40, 47, 48, 63, 64, 80};
    for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++) {
        ward_index *ix = build_open_chunks(&ds, "pdq.idx", &r, layouts[l], 0);
        assert_int_equal(ward_index_count(ix), ds.n);
        ward_index_info info;
        ward_index_get_info(ix, &info);
        size_t total = 0;
        for (size_t i = 0; i < sizeof radii / sizeof *radii; i++)
            for (int q = 0; q < NBASE; q++) {
                check_radius(ix, &ds, &base[q], 1, radii[i], "single query", &a);
                total += query_n(ix, &base[q], 1, radii[i], NULL, 0);
            }
        /* A random query far from everything finds nothing at 31. */
        ward_pdq far;
        random_pdq(&r, &far);
        check_radius(ix, &ds, &far, 1, 31, "random query", &a);
        print_message("%u chunks: %zu entries, %zu matches identical to brute force\n",
                      info.pdq_chunks, ds.n, total);
        if (l == 0) { /* the in-memory copy (ward serve) answers the same */
            ward_error err;
            assert_int_equal(ward_index_accelerate(ix, 1024, &err), WARD_ELIMIT);
            assert_int_equal(ward_index_accelerate(ix, UINT64_MAX, &err), WARD_OK);
            for (size_t i = 0; i < sizeof radii / sizeof *radii; i++)
                for (int q = 0; q < NBASE; q++)
                    check_radius(ix, &ds, &base[q], 1, radii[i], "in memory", &a);
            check_radius(ix, &ds, &far, 1, 31, "in memory, random query", &a);
        }
        ward_index_close(ix);
    }
    answers_free(&a);
    ds_free(&ds);
}

typedef struct pairs {
    struct { size_t query; uint64_t entry; int distance; } *v;
    size_t n, cap;
} pairs;

static void keep_pair(void *ctx, size_t query, uint64_t entry, int distance)
{
    pairs *p = ctx;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->v = realloc(p->v, p->cap * sizeof *p->v);
        assert_non_null(p->v);
    }
    p->v[p->n].query = query;
    p->v[p->n].entry = entry;
    p->v[p->n++].distance = distance;
}

/* Independent queries against brute force: every (query, entry) pair
 * within the radius reported exactly once. sorted: through the in-memory
 * copy's chunk-by-chunk walk, which ward_index_query_pdq_each takes only
 * for batches too large for a unit test; otherwise through
 * ward_index_query_pdq_each (the pipelined stream, with the copy). */
static void check_pairs(ward_index *ix, const dataset *ds, const ward_pdq *q, int nq,
                        int radius, int sorted)
{
    ward_pdq_match *want = malloc(ds->n * sizeof *want);
    assert_non_null(want);
    pairs p = {0};
    if (sorted)
        assert_int_equal(idx_fast_query_batch(ix->fast, &ix->pdq, q, (size_t)nq, radius,
                                              keep_pair, &p), 0);
    else
        assert_int_equal(ward_index_query_pdq_each(ix, q, (size_t)nq, radius, keep_pair, &p),
                         0);
    size_t total = 0;
    for (int k = 0; k < nq; k++) {
        size_t nw = expected(ds, &q[k], 1, radius, want);
        total += nw;
        for (size_t j = 0; j < nw; j++) {
            int hits = 0;
            for (size_t i = 0; i < p.n; i++)
                hits += p.v[i].query == (size_t)k && p.v[i].entry == want[j].entry_id &&
                        p.v[i].distance == want[j].distance;
            if (hits != 1)
                fail_msg("%s, radius %d query %d entry %llu: %d reports",
                         sorted ? "sorted" : "each", radius, k,
                         (unsigned long long)want[j].entry_id, hits);
        }
    }
    assert_int_equal(p.n, total);
    free(p.v);
    free(want);
}

static void check_each(ward_index *ix, const dataset *ds, const ward_pdq *q, int nq, int radius)
{
    check_pairs(ix, ds, q, nq, radius, 0);
    if (ix->fast && idx_fast_covers(radius))
        check_pairs(ix, ds, q, nq, radius, 1);
}

/* Flip d distinct random bits of 16-bit chunk c (bits 16c..16c+15). */
static void flip_in_chunk(rng *r, ward_pdq *h, unsigned c, int d)
{
    int pos[16];
    for (int i = 0; i < 16; i++)
        pos[i] = i;
    for (int i = 0; i < d; i++) {
        int j = i + (int)below(r, (unsigned)(16 - i)), t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
        flip(h, (int)c * 16 + pos[i]);
    }
}

/* The in-memory copy pigeonholes over 8 pairs of 16-bit chunks (at radius
 * 31: some pair within 3, so one half within 1 and the other within 3
 * minus that). Entries that only one pair can find, with every split of
 * distances 2, 3 and 4 between its halves, and the other pairs 4 away
 * (2 + 2, or 4 + 0 on either side): at the edge of each threshold, so that
 * an off-by-one in the pairs, the sibling filter or the de-duplication
 * between the halves of a pair would lose or repeat one. */
static void test_pdq_memory_pair_edges(void **state)
{
    (void)state;
    rng r = {test_seed() + 7};
    dataset ds = {0};
    ward_pdq q[2], h;
    uint64_t id = 1;
    for (int i = 0; i < 20000; i++) {
        random_pdq(&r, &h);
        ds_add(&ds, id++, &h);
    }
    for (int k = 0; k < 2; k++) {
        random_pdq(&r, &q[k]);
        for (unsigned pair = 0; pair < 8; pair++)
            for (int sum = 2; sum <= 4; sum++)
                for (int da = 0; da <= sum; da++)
                    for (int other = 0; other < 3; other++) {
                        h = q[k];
                        flip_in_chunk(&r, &h, 2 * pair, da);
                        flip_in_chunk(&r, &h, 2 * pair + 1, sum - da);
                        for (unsigned p = 0; p < 8; p++)
                            if (p != pair) {
                                int lo = other == 0 ? 2 : other == 1 ? 4 : 0;
                                flip_in_chunk(&r, &h, 2 * p, lo);
                                flip_in_chunk(&r, &h, 2 * p + 1, 4 - lo);
                            }
                        ds_add(&ds, id++, &h);
                    }
    }
    ward_index *ix = build_open(&ds, "pairs.idx", &r);
    assert_int_equal(ward_index_accelerate(ix, UINT64_MAX, NULL), WARD_OK);
    answers a = answers_for(&ds);
    static const int radii[] = {27, 29, 30, 31, 32, 33, 35, 40, 47};
    for (size_t i = 0; i < sizeof radii / sizeof *radii; i++) {
        for (int k = 0; k < 2; k++)
            check_radius(ix, &ds, &q[k], 1, radii[i], "pair edges in memory", &a);
        check_radius(ix, &ds, q, 2, radii[i], "pair edges in memory, 2 queries", &a);
        check_each(ix, &ds, q, 2, radii[i]); /* the batch walk of retroactive matching */
    }
    /* At 31 exactly the entries with sum 2 and 3 in their pair match. */
    assert_int_equal(query_n(ix, &q[0], 1, 31, NULL, 0), 8 * (3 + 4) * 3);
    answers_free(&a);
    ward_index_close(ix);
    ds_free(&ds);
}

/* 8 query hashes in one call, as for the dihedral variants of an image:
 * neighbours near several of them, an entry equally close to two (reported
 * once, with the lower query index) and a repeated query hash. */
static void test_pdq_multi_query(void **state)
{
    (void)state;
    rng r = {test_seed() + 1};
    dataset ds = {0};
    ward_pdq q[8], h;
    for (int k = 0; k < 8; k++)
        random_pdq(&r, &q[k]);
    q[6] = q[2]; /* a symmetric image gives identical variants */
    uint64_t id = 1;
    for (int i = 0; i < 50000; i++) {
        random_pdq(&r, &h);
        ds_add(&ds, id++, &h);
    }
    for (int k = 0; k < 8; k++)
        for (int d = 0; d <= 40; d++) {
            h = q[k];
            flip_random(&r, &h, d);
            ds_add(&ds, id++, &h);
        }
    /* Halfway between q0 and a copy of q0 with 20 bits flipped. */
    q[3] = q[0];
    flip_packed(&q[3], 20, 3);
    h = q[0];
    flip_packed(&h, 10, 3);
    ds_add(&ds, id++, &h);
    ward_index *ix = build_open(&ds, "multi.idx", &r);
    answers a = answers_for(&ds);
    static const int radii[] = {0, 10, 16, 31, 40, 70};
    for (size_t i = 0; i < sizeof radii / sizeof *radii; i++)
        check_radius(ix, &ds, q, 8, radii[i], "8 queries", &a);
    assert_int_equal(ward_index_accelerate(ix, UINT64_MAX, NULL), WARD_OK);
    for (size_t i = 0; i < sizeof radii / sizeof *radii; i++)
        check_radius(ix, &ds, q, 8, radii[i], "8 queries in memory", &a);
    /* The same queries as independent ones in one batch (retroactive
     * matching): every (query, entry) pair within the radius, each once. */
    for (size_t i = 0; i + 1 < sizeof radii / sizeof *radii; i++)
        check_each(ix, &ds, q, 8, radii[i]);
    /* The tie: one match for the halfway entry, credited to query 0. */
    size_t n = query_n(ix, q, 8, 10, a.got, a.cap);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (a.got[i].entry_id == id - 1) {
            found++;
            assert_int_equal(a.got[i].distance, 10);
            assert_int_equal(a.got[i].query, 0);
        }
    assert_int_equal(found, 1);
    answers_free(&a);
    ward_index_close(ix);
    ds_free(&ds);
}

/* Fewer output slots than matches: the total is still returned and the
 * slots hold the best ones, in order. */
static void test_pdq_max_truncates(void **state)
{
    (void)state;
    rng r = {test_seed() + 2};
    dataset ds = {0};
    ward_pdq q, h;
    random_pdq(&r, &q);
    for (int i = 0; i < 2000; i++) {
        h = q;
        flip_random(&r, &h, (int)below(&r, 32));
        ds_add(&ds, 5000 - (uint64_t)i, &h);
    }
    ward_index *ix = build_open(&ds, "trunc.idx", &r);
    ward_pdq_match want[2000], got[37];
    size_t nw = expected(&ds, &q, 1, 31, want);
    assert_int_equal(nw, 2000);
    for (size_t max = 0; max <= 37; max += 37) {
        size_t n = query_n(ix, &q, 1, 31, got, max);
        assert_int_equal(n, 2000);
        assert_same(got, max, want, max, "truncated", 31);
    }
    assert_int_equal(query_n(ix, &q, 1, 31, NULL, 0), 2000);
    assert_int_equal(query_n(ix, &q, 1, -1, got, 37), 0);
    assert_int_equal(query_n(ix, &q, 0, 31, got, 37), 0);
    assert_int_equal(query_n(ix, &q, 1, 1000, got, 37), 2000);
    ward_index_close(ix);
    ds_free(&ds);
}

/* Concurrent readers of one opened index get the serial answers. */
typedef struct reader_job {
    const ward_index *ix;
    const ward_pdq *q;
    size_t want;
    int ok;
} reader_job;

static void *reader_thread(void *arg)
{
    reader_job *j = arg;
    j->ok = 1;
    for (int i = 0; i < 50; i++)
        if (query_n(j->ix, j->q, 1, 31, NULL, 0) != j->want)
            j->ok = 0;
    return NULL;
}

static void test_pdq_concurrent_readers(void **state)
{
    (void)state;
    rng r = {test_seed() + 3};
    dataset ds = {0};
    ward_pdq base[NBASE];
    make_pdq_dataset(&r, &ds, base);
    ward_index *ix = build_open(&ds, "threads.idx", &r);
    reader_job jobs[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (reader_job){ix, &base[t], query_n(ix, &base[t], 1, 31, NULL, 0), 0};
        assert_int_equal(pthread_create(&th[t], NULL, reader_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        assert_true(jobs[t].ok);
    }
    ward_index_close(ix);
    ds_free(&ds);
}

/* ---- digests ------------------------------------------------------------ */

static void random_digests(rng *r, ward_digests *d, unsigned present)
{
    d->present = present;
    for (size_t i = 0; i < sizeof d->md5; i++)
        d->md5[i] = (uint8_t)next64(r);
    for (size_t i = 0; i < sizeof d->sha1; i++)
        d->sha1[i] = (uint8_t)next64(r);
    for (size_t i = 0; i < sizeof d->sha256; i++)
        d->sha256[i] = (uint8_t)next64(r);
}

static void test_digest_lookups(void **state)
{
    (void)state;
    rng r = {test_seed() + 4};
    enum { N = 20000 };
    ward_digests *d = malloc(N * sizeof *d);
    ward_index_builder *b = ward_index_builder_new();
    ward_error err;
    uint64_t nmd5 = 0;
    for (int i = 0; i < N; i++) {
        /* every subset of the three digests, including none */
        random_digests(&r, &d[i], (unsigned)i % 8);
        if (i % 1000 == 7)
            memcpy(d[i].md5, d[i - 1].md5, 16); /* same MD5, two entries */
        d[i].present |= i % 1000 == 7 ? WARD_DIGEST_MD5 : 0;
        if (i % 1000 == 6)
            d[i].present |= WARD_DIGEST_MD5;
        nmd5 += (d[i].present & WARD_DIGEST_MD5) != 0;
        assert_int_equal(ward_index_builder_add(b, 100000 - (uint64_t)i, &d[i], NULL, &err), WARD_OK);
    }
    char path[256];
    write_index(b, "digests.idx", path);
    ward_index *ix = open_index(path);
    assert_int_equal(ward_index_count(ix), N);
    uint64_t ids[4];
    for (int i = 0; i < N; i++) {
        uint64_t id = 100000 - (uint64_t)i;
        const uint8_t *field[3] = {d[i].md5, d[i].sha1, d[i].sha256};
        for (int k = 0; k < 3; k++) {
            unsigned algo = 1u << k;
            size_t n = lookup_n(ix, algo, field[k], ids, 4);
            if (!(d[i].present & algo)) {
                assert_int_equal(n, 0);
                continue;
            }
            if (k == 0 && (i % 1000 == 6 || i % 1000 == 7)) {
                /* the shared MD5 finds both entries, ascending */
                assert_int_equal(n, 2);
                assert_true(ids[0] == id || ids[1] == id);
                assert_true(ids[0] < ids[1]);
                continue;
            }
            assert_int_equal(n, 1);
            assert_int_equal(ids[0], id);
        }
    }
    /* absent digests, count-only calls, bad algorithm arguments */
    uint8_t absent[32];
    for (int i = 0; i < 1000; i++) {
        for (int j = 0; j < 32; j++)
            absent[j] = (uint8_t)next64(&r);
        assert_int_equal(lookup_n(ix, WARD_DIGEST_SHA256, absent, ids, 4), 0);
        assert_int_equal(lookup_n(ix, WARD_DIGEST_MD5, absent, ids, 4), 0);
    }
    assert_int_equal(lookup_n(ix, WARD_DIGEST_MD5, d[7].md5, NULL, 0), 2);
    size_t n = 1;
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_ALL, d[7].md5, ids, 4, &n),
                     WARD_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(ward_index_lookup_digest(ix, 0, d[7].md5, ids, 4, &n), WARD_EINVAL);
    ward_index_info info;
    ward_index_get_info(ix, &info);
    assert_int_equal(info.version, WARD_INDEX_FORMAT_VERSION);
    assert_int_equal(info.entries, N);
    assert_int_equal(info.md5, nmd5);
    assert_int_equal(info.sha256, N / 2);
    assert_int_equal(info.pdq, 0);
    assert_int_equal(ward_index_verify(ix, &err), WARD_OK);
    ward_index_close(ix);
    free(d);
}

/* ---- builder contract --------------------------------------------------- */

static void test_duplicate_ids_refused(void **state)
{
    (void)state;
    ward_index_builder *b = ward_index_builder_new();
    ward_pdq h = {{0}};
    ward_error err;
    assert_int_equal(ward_index_builder_add(b, 7, NULL, &h, &err), WARD_OK);
    assert_int_equal(ward_index_builder_add(b, 3, NULL, NULL, &err), WARD_OK);
    assert_int_equal(ward_index_builder_add(b, 7, NULL, NULL, &err), WARD_OK);
    char path[256];
    temp_path(path, sizeof path, "dup.idx");
    assert_int_equal(ward_index_builder_write(b, path, &err), WARD_EINVAL);
    assert_non_null(strstr(err.message, "7"));
    assert_int_equal(access(path, F_OK), -1); /* nothing left behind */
    ward_index_builder_free(b);
    assert_int_equal(ward_index_builder_add(NULL, 1, NULL, NULL, &err), WARD_EINVAL);
    ward_index_builder_free(NULL);
    ward_index_close(NULL);
}

/* The same set in any order gives the same bytes (and content digest). */
static void test_deterministic_output(void **state)
{
    (void)state;
    rng r = {test_seed() + 5};
    dataset ds = {0};
    ward_pdq h;
    for (int i = 0; i < 3000; i++) {
        random_pdq(&r, &h);
        ds_add(&ds, (uint64_t)i * 0x10001u, &h);
    }
    ward_index *a = build_open(&ds, "order-a.idx", &r);
    ward_index *b = build_open(&ds, "order-b.idx", &r);
    ward_index_info ia, ib;
    ward_index_get_info(a, &ia);
    ward_index_get_info(b, &ib);
    assert_memory_equal(ia.content_sha256, ib.content_sha256, 32);
    ward_index_close(a);
    ward_index_close(b);
    char pa[256], pb[256];
    size_t la, lb;
    temp_path(pa, sizeof pa, "order-a.idx");
    temp_path(pb, sizeof pb, "order-b.idx");
    uint8_t *fa = read_file_or_fail(pa, &la), *fb = read_file_or_fail(pb, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(fa, fb, la);
    free(fa);
    free(fb);
    ds_free(&ds);
}

static void test_empty_index(void **state)
{
    (void)state;
    char path[256];
    ward_error err;
    write_index(ward_index_builder_new(), "empty.idx", path);
    ward_index *ix = open_index(path);
    assert_int_equal(ward_index_count(ix), 0);
    uint8_t dg[32] = {0};
    uint64_t ids[2];
    ward_pdq q[8] = {{{0}}};
    ward_pdq_match m[4];
    assert_int_equal(lookup_n(ix, WARD_DIGEST_SHA1, dg, ids, 2), 0);
    assert_int_equal(query_n(ix, q, 8, 31, m, 4), 0);
    assert_int_equal(brute_n(ix, q, 8, 256, m, 4), 0);
    assert_int_equal(ward_index_verify(ix, &err), WARD_OK);
    ward_index_close(ix);
}

/* ---- damaged files ------------------------------------------------------ */

static void write_bytes(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static ward_status open_bytes(const uint8_t *p, size_t n, ward_error *err)
{
    char path[256];
    temp_path(path, sizeof path, "damaged.idx");
    write_bytes(path, p, n);
    ward_index *ix = NULL;
    ward_status st = ward_index_open(path, &ix, err);
    if (st != WARD_OK)
        assert_null(ix);
    ward_index_close(ix);
    return st;
}

/* A small valid index with all four kinds of item; returns its bytes. */
static uint8_t *small_index(size_t *len, dataset *ds)
{
    rng r = {test_seed() + 6};
    ward_index_builder *b = ward_index_builder_new();
    ward_error err;
    ward_pdq h;
    ward_digests d;
    for (int i = 0; i < 500; i++) {
        random_pdq(&r, &h);
        random_digests(&r, &d, WARD_DIGEST_ALL);
        ds_add(ds, (uint64_t)i, &h);
        assert_int_equal(ward_index_builder_add(b, (uint64_t)i, &d, &h, &err), WARD_OK);
    }
    char path[256];
    write_index(b, "small.idx", path);
    return read_file_or_fail(path, len);
}

static void reseal(uint8_t *h) { idx_st64(h + H_CHECKSUM, idx_fnv1a64(h, H_CHECKSUM)); }

/* Set a header field and fix the checksum, so the check that must catch it
 * is the one on the field itself. */
static ward_status open_with_field(const uint8_t *good, size_t n, size_t at, int width,
                                   uint64_t value, ward_error *err)
{
    uint8_t *p = malloc(n);
    memcpy(p, good, n);
    if (width == 4)
        idx_st32(p + at, (uint32_t)value);
    else
        idx_st64(p + at, value);
    reseal(p);
    ward_status st = open_bytes(p, n, err);
    free(p);
    return st;
}

static void test_truncated_and_bad_headers(void **state)
{
    (void)state;
    dataset ds = {0};
    size_t n;
    uint8_t *good = small_index(&n, &ds);
    ward_error err;
    assert_int_equal(open_bytes(good, n, &err), WARD_OK);
    size_t cuts[] = {0, 1, 8, 100, 255, 256, 257, n / 3, n / 2, n - 8, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++)
        if (open_bytes(good, cuts[i], &err) != WARD_EFORMAT)
            fail_msg("truncated to %zu bytes: not a format error", cuts[i]);
    uint8_t *p = malloc(n + 8);
    memcpy(p, good, n);
    memset(p + n, 0, 8);
    assert_int_equal(open_bytes(p, n + 8, &err), WARD_EFORMAT); /* extended */
    p[0] ^= 1;
    assert_int_equal(open_bytes(p, n, &err), WARD_EFORMAT); /* magic */
    assert_non_null(strstr(err.message, "magic"));
    p[0] ^= 1;
    p[H_ENTRIES] ^= 1;
    assert_int_equal(open_bytes(p, n, &err), WARD_EFORMAT); /* checksum */
    free(p);
    assert_int_equal(open_with_field(good, n, H_VERSION, 4, 2, &err), WARD_EUNSUPPORTED);
    assert_int_equal(open_with_field(good, n, H_HDRSIZE, 4, 512, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_FILESIZE, 8, n - 8, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_ENTRIES, 8, 10, &err), WARD_EFORMAT);
    free(good);
    ds_free(&ds);
    ward_index *ix = (ward_index *)(uintptr_t)1; /* open must clear it */
    assert_int_equal(ward_index_open("/nonexistent/ward.idx", &ix, &err), WARD_EIO);
    assert_null(ix);
    assert_int_equal(ward_index_open("/tmp", &ix, &err), WARD_EFORMAT);
}

static void test_corrupt_section_offsets(void **state)
{
    (void)state;
    dataset ds = {0};
    size_t n;
    uint8_t *good = small_index(&n, &ds);
    ward_error err;
    for (int k = 0; k < 3; k++) {
        size_t t = H_DIGEST_TABLES + (size_t)k * H_DIGEST_TABLE_SIZE;
        uint64_t dir = idx_ld64(good + t + 16), rec = idx_ld64(good + t + 24);
        assert_int_equal(open_with_field(good, n, t, 8, 1u << 30, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t, 8, UINT64_MAX, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 8, 4, 33, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 8, 4, 30, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 12, 4, 8, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 16, 8, dir + 4, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 16, 8, n, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 16, 8, 0, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 24, 8, n - 8, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 24, 8, UINT64_MAX - 7, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, t + 24, 8, rec + 1, &err), WARD_EFORMAT);
    }
    assert_int_equal(open_with_field(good, n, H_PDQ, 8, 1ull << 40, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_PDQ, 8, 501, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_PDQ + 8, 4, 9, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_PDQ + 8, 4, 33, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_PDQ + 8, 4, 10, &err), WARD_EFORMAT);
    assert_int_equal(open_with_field(good, n, H_PDQ + 12, 4, 16, &err), WARD_EFORMAT);
    for (int f = 16; f <= 32; f += 8) {
        assert_int_equal(open_with_field(good, n, H_PDQ + (size_t)f, 8, n, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, H_PDQ + (size_t)f, 8, 3, &err), WARD_EFORMAT);
        assert_int_equal(open_with_field(good, n, H_PDQ + (size_t)f, 8, UINT64_MAX, &err),
                         WARD_EFORMAT);
    }
    free(good);
    ds_free(&ds);
}

/* Garbage past a valid header: open succeeds (it reads no section), every
 * query stays inside the mapping (ASan proves it), verify says what's wrong. */
static void query_everything(const ward_index *ix, const dataset *ds)
{
    ward_pdq_match m[64];
    uint64_t ids[8];
    for (size_t i = 0; i < ds->n; i += 7) {
        query_n(ix, &ds->h[i], 1, 31, m, 64);
        idx_query_pdq_mih(ix, &ds->h[i], 1, 31, m, 64);
        idx_query_pdq_mih(ix, &ds->h[i], 1, 40, m, 64);
        lookup_n(ix, WARD_DIGEST_MD5, ds->h[i].b, ids, 8);
        lookup_n(ix, WARD_DIGEST_SHA256, ds->h[i].b, ids, 8);
    }
}

static void test_corrupt_contents_never_crash(void **state)
{
    (void)state;
    dataset ds = {0};
    size_t n;
    uint8_t *good = small_index(&n, &ds);
    uint8_t *p = malloc(n);
    rng r = {test_seed() + 7};
    ward_error err;
    for (int round = 0; round < 12; round++) {
        memcpy(p, good, n);
        /* all-ones (huge offsets and row numbers) or random bytes, to the
         * end of the file or over a random stretch; every byte changes */
        size_t from = IDX_HEADER_SIZE + below(&r, (unsigned)(n - IDX_HEADER_SIZE));
        size_t len = round < 4 ? n - from : below(&r, (unsigned)(n - from)) + 1;
        for (size_t i = from; i < from + len; i++)
            p[i] = round % 2 ? (p[i] == 0xff ? 0x7f : 0xff) : p[i] ^ (uint8_t)(1 + below(&r, 255));
        char path[256];
        temp_path(path, sizeof path, "garbage.idx");
        write_bytes(path, p, n);
        ward_index *ix;
        assert_int_equal(ward_index_open(path, &ix, &err), WARD_OK);
        query_everything(ix, &ds);
        assert_int_equal(ward_index_verify(ix, &err), WARD_EFORMAT);
        ward_index_close(ix);
    }
    free(p);
    free(good);
    ds_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pdq_exact_every_distance),
        cmocka_unit_test(test_pdq_multi_query),
        cmocka_unit_test(test_pdq_memory_pair_edges),
        cmocka_unit_test(test_pdq_max_truncates),
        cmocka_unit_test(test_pdq_concurrent_readers),
        cmocka_unit_test(test_digest_lookups),
        cmocka_unit_test(test_duplicate_ids_refused),
        cmocka_unit_test(test_deterministic_output),
        cmocka_unit_test(test_empty_index),
        cmocka_unit_test(test_truncated_and_bad_headers),
        cmocka_unit_test(test_corrupt_section_offsets),
        cmocka_unit_test(test_corrupt_contents_never_crash),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
