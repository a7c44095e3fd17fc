/*
 * PDQ radius search by multi-index hashing (Norouzi, Punjani & Fleet 2014).
 *
 * The 256-bit hash is cut into m chunks (10..32, chosen per file by the
 * builder so that a chunk has about as many values as the file has rows).
 * If a stored hash x is within r of the query q, its chunk distances d_c add
 * up to at most r, so they cannot all exceed thresholds t_c whose
 * sum(t_c + 1) is r + 1 (pigeonhole; mih.h spreads the thresholds). Hence
 * every x within r has some chunk c with d_c <= t_c, and sits in one of the
 * buckets we read for chunk c: the values within t_c bits of the query's
 * chunk c. No false negatives. Every candidate's full distance is then
 * checked: no false positives.
 *
 * Each chunk has a CSR table: offsets[v] .. offsets[v+1] delimit the rows
 * whose chunk equals v in a rows array.
 *
 * Duplicates without a visited set: x can be found through several chunks.
 * It is reported only through the first c with d_c <= t_c; found through a
 * later chunk, the check "some earlier chunk j has d_j <= t_j" rejects it.
 * That costs a few popcounts on the XOR we already hold, and keeps the
 * search free of allocation and of per-query state in the index.
 *
 * Several queries (the 8 dihedral hashes of an image) are searched one after
 * the other, and a match is reported only by the query that gives its best
 * distance (lowest query index on a tie): found by query k, x is compared to
 * the other queries (rare: it already matched) and dropped if another one
 * wins, which that query's own search will find and report. So each entry
 * appears once, with its best distance, and no merge pass is needed.
 *
 * Results go into the caller's array, kept as a max-heap on (distance, id)
 * while searching, so the best `max` survive whatever the total; one sort at
 * the end orders them.
 *
 * The cost is memory latency: a probe reads an offsets entry, then the rows
 * it points to, then each row's hash, three dependent random reads. They are
 * software-pipelined through three small FIFOs: a probe's offsets entry is
 * prefetched PIPE_PROBES probes before it is read, a bucket's first row
 * number PIPE_BUCKETS buckets before, and a candidate's hash PIPE_HASHES
 * candidates before it is compared, so dozens of reads are in flight.
 */
#include <ward/index.h>
#include "index/index_int.h"
#include "index/mih.h"
#include "util/error.h"

#include <assert.h>

#include <stdlib.h>

/* Pipeline depths: enough reads in flight to cover DRAM latency, few enough
 * to stay in L1 and not overrun the core's miss buffers. With bench_index at
 * 10M every setting from 8/8/16 to 32/32/64 measured within noise of this
 * one, while depth 1 (one read ahead per stage) was 1.7x slower. Defined
 * only if not already, so -D can override them for such experiments. */
#ifndef PIPE_PROBES
#define PIPE_PROBES 16
#endif
#ifndef PIPE_BUCKETS
#define PIPE_BUCKETS 16
#endif
#ifndef PIPE_HASHES
#define PIPE_HASHES 32
#endif

/* ---- results ------------------------------------------------------------ */

typedef struct collector {
    ward_pdq_match *out;
    size_t max;
    size_t n; /* matches seen */
} collector;

static int match_before(const ward_pdq_match *a, const ward_pdq_match *b)
{
    return a->distance != b->distance ? a->distance < b->distance : a->entry_id < b->entry_id;
}

static void heap_down(ward_pdq_match *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, big = i;
        if (l < n && match_before(&h[big], &h[l]))
            big = l;
        if (l + 1 < n && match_before(&h[big], &h[l + 1]))
            big = l + 1;
        if (big == i)
            return;
        ward_pdq_match t = h[i];
        h[i] = h[big];
        h[big] = t;
        i = big;
    }
}

/* Keep the best `max` in a max-heap: its root is the one to evict next. */
static void collect(collector *c, uint64_t id, int distance, int query)
{
    ward_pdq_match m = {id, distance, query};
    size_t have = c->n < c->max ? c->n : c->max;
    c->n++;
    if (have < c->max) {
        size_t i = have;
        while (i > 0 && match_before(&c->out[(i - 1) / 2], &m)) {
            c->out[i] = c->out[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        c->out[i] = m;
    } else if (c->max > 0 && match_before(&m, &c->out[0])) {
        c->out[0] = m;
        heap_down(c->out, c->max, 0);
    }
}

static void collect_cb(void *c, uint64_t id, int distance, int query)
{
    collect(c, id, distance, query);
}

static int cmp_match(const void *a, const void *b)
{
    const ward_pdq_match *x = a, *y = b;
    return match_before(x, y) ? -1 : match_before(y, x) ? 1 : 0;
}

static size_t collect_finish(collector *c)
{
    size_t have = c->n < c->max ? c->n : c->max;
    if (have > 1)
        qsort(c->out, have, sizeof *c->out, cmp_match);
    return c->n;
}

/* ---- distances ---------------------------------------------------------- */

/* Everything below is inlined into two copies of the search, one compiled
 * for the POPCNT instruction and one without (see the end of the file): the
 * library is built for baseline x86-64, where __builtin_popcountll is a
 * library call costing several times the instruction. */
#define HOT static inline __attribute__((always_inline))

HOT void load_words(const uint8_t *h, uint64_t w[4])
{
    w[0] = idx_ld64(h);
    w[1] = idx_ld64(h + 8);
    w[2] = idx_ld64(h + 16);
    w[3] = idx_ld64(h + 24);
}

HOT int xor_distance(const uint64_t a[4], const uint8_t *h, uint64_t x[4])
{
    x[0] = a[0] ^ idx_ld64(h);
    x[1] = a[1] ^ idx_ld64(h + 8);
    x[2] = a[2] ^ idx_ld64(h + 16);
    x[3] = a[3] ^ idx_ld64(h + 24);
    return __builtin_popcountll(x[0]) + __builtin_popcountll(x[1]) +
           __builtin_popcountll(x[2]) + __builtin_popcountll(x[3]);
}

/* Another query closer to h than query qi (or as close with a lower index)
 * is the one that reports h. */
HOT int other_query_wins(const ward_pdq *queries, int nq, int qi, const uint8_t *h, int d)
{
    for (int k = 0; k < nq; k++) {
        if (k == qi)
            continue;
        uint64_t q[4], x[4];
        load_words(queries[k].b, q);
        int dk = xor_distance(q, h, x);
        if (dk < d || (dk == d && k < qi))
            return 1;
    }
    return 0;
}

/* ---- multi-index search ------------------------------------------------- */

typedef struct pipe {
    struct { uint32_t v, c; } probe[PIPE_PROBES];          /* offsets prefetched */
    struct { uint32_t lo, hi, c; } bucket[PIPE_BUCKETS];   /* rows prefetched */
    uint64_t cand[PIPE_HASHES];                            /* row | chunk << 32 */
    unsigned probe_head, probe_n, bucket_head, bucket_n, cand_head, cand_n;
} pipe;

typedef struct search {
    const idx_pdq_table *t;
    const ward_pdq *queries;
    int nq, qi;        /* all queries; the one being searched */
    int radius;
    int thr[IDX_MAX_CHUNKS];
    uint64_t q[4];     /* queries[qi] as words */
    collector *col;
    pipe p;
} search;

/* Would an earlier chunk have found this row? Then it was reported there. */
HOT int seen_in_earlier_chunk(const search *s, const uint64_t x[4], unsigned chunk)
{
    for (unsigned j = 0; j < chunk; j++)
        if (s->thr[j] >= 0 &&
            __builtin_popcount(idx_bits(x, s->t->start[j], s->t->width[j])) <= s->thr[j])
            return 1;
    return 0;
}

HOT void check_candidate(search *s, uint64_t cand)
{
    uint32_t row = (uint32_t)cand;
    unsigned chunk = (unsigned)(cand >> 32);
    const uint8_t *h = s->t->hashes + (size_t)row * 32;
    uint64_t x[4];
    int d = xor_distance(s->q, h, x);
    if (d > s->radius || seen_in_earlier_chunk(s, x, chunk))
        return;
    if (s->nq > 1 && other_query_wins(s->queries, s->nq, s->qi, h, d))
        return;
    collect(s->col, s->t->ids[row], d, s->qi);
}

/* Stage 3: a candidate row. Its hash is prefetched now and compared
 * PIPE_HASHES candidates later. Full FIFOs are used as rings: the slot of
 * the oldest entry, just consumed, takes the newest. */
HOT void stage_candidate(search *s, uint32_t row, unsigned c)
{
    pipe *p = &s->p;
    /* Invariants (asserts are on in Debug and ASan builds, off in Release):
     * a ring never holds more than its slots, and only rows that
     * walk_bucket checked against the table reach it. */
    assert(p->cand_n <= PIPE_HASHES && p->cand_head < PIPE_HASHES);
    assert(row < s->t->rows && c < IDX_MAX_CHUNKS);
    uint64_t cand = row | (uint64_t)c << 32;
    __builtin_prefetch(s->t->hashes + (size_t)row * 32);
    if (p->cand_n == PIPE_HASHES) {
        check_candidate(s, p->cand[p->cand_head]);
        p->cand[p->cand_head] = cand;
        p->cand_head = (p->cand_head + 1) % PIPE_HASHES;
    } else {
        p->cand[(p->cand_head + p->cand_n++) % PIPE_HASHES] = cand;
    }
}

/* Row numbers come from the file: checked before anything is read
 * through them. */
HOT void walk_bucket(search *s, uint32_t lo, uint32_t hi, unsigned c)
{
    const uint32_t *rows = s->t->row[c];
    for (uint32_t k = lo; k < hi; k++)
        if (rows[k] < s->t->rows)
            stage_candidate(s, rows[k], c);
}

/* Stage 2: read a probed value's bucket bounds (prefetched by stage 1),
 * prefetch its first row number, walk it PIPE_BUCKETS buckets later. */
HOT void stage_bucket(search *s, uint32_t v, unsigned c)
{
    pipe *p = &s->p;
    uint32_t lo = s->t->off[c][v], hi = s->t->off[c][v + 1];
    if (hi > s->t->rows || lo >= hi)
        return; /* empty, or bounds from a corrupt file */
    assert(p->bucket_n <= PIPE_BUCKETS && p->bucket_head < PIPE_BUCKETS);
    __builtin_prefetch(s->t->row[c] + lo);
    unsigned slot = (p->bucket_head + p->bucket_n) % PIPE_BUCKETS;
    if (p->bucket_n == PIPE_BUCKETS) {
        walk_bucket(s, p->bucket[slot].lo, p->bucket[slot].hi, p->bucket[slot].c);
        p->bucket_head = (p->bucket_head + 1) % PIPE_BUCKETS;
    } else {
        p->bucket_n++;
    }
    p->bucket[slot].lo = lo;
    p->bucket[slot].hi = hi;
    p->bucket[slot].c = c;
}

/* Stage 1: a value to probe in chunk c; prefetch its offsets entry. */
HOT void stage_probe(search *s, uint32_t v, unsigned c)
{
    pipe *p = &s->p;
    /* v is a chunk value: the offsets table has 2^width + 1 entries */
    assert(c < IDX_MAX_CHUNKS && (s->t->width[c] >= 32 || v < (1u << s->t->width[c])));
    assert(p->probe_n <= PIPE_PROBES && p->probe_head < PIPE_PROBES);
    __builtin_prefetch(s->t->off[c] + v);
    unsigned slot = (p->probe_head + p->probe_n) % PIPE_PROBES;
    if (p->probe_n == PIPE_PROBES) {
        stage_bucket(s, p->probe[slot].v, p->probe[slot].c);
        p->probe_head = (p->probe_head + 1) % PIPE_PROBES;
    } else {
        p->probe_n++;
    }
    p->probe[slot].v = v;
    p->probe[slot].c = c;
}

/* Empty the FIFOs in order: each stage's leftovers feed the next. */
HOT void pipe_drain(search *s)
{
    pipe *p = &s->p;
    for (; p->probe_n; p->probe_n--, p->probe_head = (p->probe_head + 1) % PIPE_PROBES)
        stage_bucket(s, p->probe[p->probe_head].v, p->probe[p->probe_head].c);
    for (; p->bucket_n; p->bucket_n--, p->bucket_head = (p->bucket_head + 1) % PIPE_BUCKETS)
        walk_bucket(s, p->bucket[p->bucket_head].lo, p->bucket[p->bucket_head].hi,
                    p->bucket[p->bucket_head].c);
    for (; p->cand_n; p->cand_n--, p->cand_head = (p->cand_head + 1) % PIPE_HASHES)
        check_candidate(s, p->cand[p->cand_head]);
    assert(p->probe_n == 0 && p->bucket_n == 0 && p->cand_n == 0);
    p->probe_head = p->bucket_head = p->cand_head = 0;
}

/* Every value within t bits of chunk c's query value: for each weight k,
 * the k-bit masks in increasing order (Gosper's hack). */
HOT void probe_chunk(search *s, unsigned c)
{
    unsigned w = s->t->width[c];
    int t = s->thr[c];
    uint32_t v = idx_bits(s->q, s->t->start[c], w);
    uint64_t end = (uint64_t)1 << w;
    stage_probe(s, v, c);
    for (int k = 1; k <= t && k <= (int)w; k++)
        for (uint64_t m = ((uint64_t)1 << k) - 1; m < end;) {
            stage_probe(s, v ^ (uint32_t)m, c);
            uint64_t r = m + (m & -m);
            m = (((r ^ m) >> 2) >> __builtin_ctzll(m)) | r;
        }
}

HOT void mih_all(const idx_pdq_table *t, const ward_pdq *queries, int nq, int radius,
                 collector *col)
{
    search s = {.t = t, .queries = queries, .nq = nq, .radius = radius, .col = col};
    idx_thresholds(t->m, radius, s.thr);
    for (int qi = 0; qi < nq; qi++) {
        s.qi = qi;
        load_words(queries[qi].b, s.q);
        for (unsigned c = 0; c < t->m; c++)
            if (s.thr[c] >= 0)
                probe_chunk(&s, c);
        pipe_drain(&s);
    }
}

/* ---- brute force -------------------------------------------------------- */

HOT void brute_all(const idx_pdq_table *t, const ward_pdq *queries, int nq, int radius,
                   collector *col)
{
    for (uint64_t r = 0; r < t->rows; r++) {
        const uint8_t *h = t->hashes + r * 32;
        int best = 257, bq = 0;
        for (int k = 0; k < nq; k++) {
            uint64_t q[4], x[4];
            load_words(queries[k].b, q);
            int d = xor_distance(q, h, x);
            if (d < best) {
                best = d;
                bq = k;
            }
        }
        if (best <= radius)
            collect(col, t->ids[r], best, bq);
    }
}

/* ---- POPCNT dispatch ---------------------------------------------------- */

typedef void search_fn(const idx_pdq_table *t, const ward_pdq *q, int nq, int r, collector *c);

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
#define IDX_DISPATCH 1
__attribute__((target("popcnt"))) static void mih_popcnt(const idx_pdq_table *t,
        const ward_pdq *q, int nq, int r, collector *c) { mih_all(t, q, nq, r, c); }
__attribute__((target("popcnt"))) static void brute_popcnt(const idx_pdq_table *t,
        const ward_pdq *q, int nq, int r, collector *c) { brute_all(t, q, nq, r, c); }
#endif
static void mih_plain(const idx_pdq_table *t, const ward_pdq *q, int nq, int r,
                      collector *c) { mih_all(t, q, nq, r, c); }
static void brute_plain(const idx_pdq_table *t, const ward_pdq *q, int nq, int r,
                        collector *c) { brute_all(t, q, nq, r, c); }

/* The copy of a search built for this CPU. */
static search_fn *pick(int mih)
{
#ifdef IDX_DISPATCH
    if (__builtin_cpu_supports("popcnt"))
        return mih ? mih_popcnt : brute_popcnt;
#endif
    return mih ? mih_plain : brute_plain;
}

/* ---- public entry points ------------------------------------------------ */

static int query_args_ok(const ward_index *ix, const ward_pdq *queries, int nq,
                         int radius, ward_pdq_match *out, size_t max)
{
    return ix && queries && nq > 0 && radius >= 0 && ix->pdq.rows > 0 && (out || max == 0);
}

/* Radii beyond 256 (every hash) are 256. */
static size_t run_query(const ward_index *ix, const ward_pdq *queries, int nq, int radius,
                        ward_pdq_match *out, size_t max, int mih)
{
    if (!query_args_ok(ix, queries, nq, radius, out, max))
        return 0;
    collector col = {out, max, 0};
    pick(mih)(&ix->pdq, queries, nq, radius > 256 ? 256 : radius, &col);
    return collect_finish(&col);
}

/* The public queries' arguments: a missing index, hashes, result array or
 * count is WARD_EINVAL, never an answer of 0 that reads as "no match". No
 * query (nq 0) or a negative radius finds nothing. */
static ward_status query_args(const ward_index *ix, const ward_pdq *queries, int nq,
                              ward_pdq_match *out, size_t max, size_t *found)
{
    if (!found)
        return WARD_EINVAL;
    *found = 0;
    return ix && nq >= 0 && (queries || nq == 0) && (out || max == 0) ? WARD_OK : WARD_EINVAL;
}

ward_status ward_index_query_pdq_brute(const ward_index *ix, const ward_pdq *queries, int nq,
                                       int radius, ward_pdq_match *out, size_t max,
                                       size_t *found)
{
    ward_status rc = query_args(ix, queries, nq, out, max, found);
    if (rc == WARD_OK)
        *found = run_query(ix, queries, nq, radius, out, max, 0);
    return rc;
}

size_t idx_query_pdq_mih(const ward_index *ix, const ward_pdq *queries, int nq,
                              int radius, ward_pdq_match *out, size_t max)
{
    return run_query(ix, queries, nq, radius, out, max, 1);
}

/* Probe when the model expects fewer random reads than a scan's worth of
 * rows (large radii and tiny indexes scan). */
ward_status ward_index_accelerate(ward_index *ix, uint64_t max_bytes, ward_error *err)
{
    if (!ix)
        return err_fail(err, WARD_EINVAL, "no index");
    if (ix->fast || ix->pdq.rows == 0)
        return WARD_OK;
    if (idx_fast_bytes(ix->pdq.rows) > max_bytes)
        return err_fail(err, WARD_ELIMIT, "an in-memory copy of the PDQ index of %llu entries "
                         "takes %llu MiB, over the %llu MiB allowed",
                         (unsigned long long)ix->pdq.rows,
                         (unsigned long long)(idx_fast_bytes(ix->pdq.rows) >> 20),
                         (unsigned long long)(max_bytes >> 20));
    return idx_fast_build(&ix->pdq, &ix->fast, err);
}

size_t idx_query_pdq_fast(const ward_index *ix, const ward_pdq *queries, int nq,
                               int radius, int simd, ward_pdq_match *out, size_t max)
{
    if (!query_args_ok(ix, queries, nq, radius, out, max) || !ix->fast ||
        !idx_fast_covers(radius > 256 ? 256 : radius))
        return (size_t)-1;
    collector col = {out, max, 0};
    idx_fast_query(ix->fast, &ix->pdq, queries, nq, radius > 256 ? 256 : radius, simd,
                   collect_cb, &col);
    return collect_finish(&col);
}

/* Up to this many queries go as one pipelined stream, as a single query
 * does (7.3 us a random query at 1M entries, whatever their number); more,
 * chunk by chunk in sorted order, where the tables stream through the
 * caches (retroactive matching over millions). Sorted was measured at 16.5
 * us a query for 4,097 queries, 11 for 100,000 and 7.2 for 400,000 (the
 * sorting's fixed cost spread thinner). */
#ifndef EACH_STREAM_MAX
#define EACH_STREAM_MAX 131072
#endif

int ward_index_query_pdq_each(const ward_index *ix, const ward_pdq *queries, size_t nq,
                              int radius, ward_pdq_each_cb cb, void *ctx)
{
    if (!ix || (!queries && nq) || !cb)
        return -1;
    if (radius < 0 || nq == 0 || ix->pdq.rows == 0)
        return 0;
    int r = radius > 256 ? 256 : radius;
    if (ix->fast && idx_fast_covers(r)) {
        if (nq > EACH_STREAM_MAX)
            return idx_fast_query_batch(ix->fast, &ix->pdq, queries, nq, r, cb, ctx);
        idx_fast_query_each(ix->fast, &ix->pdq, queries, nq, r, 1, cb, ctx);
        return 0;
    }
    ward_pdq_match m[64];
    for (size_t i = 0; i < nq; i++) {
        size_t n = 0;
        if (ward_index_query_pdq(ix, queries + i, 1, r, m, 64, &n) != WARD_OK)
            return -1;
        for (size_t k = 0; k < n && k < 64; k++)
            cb(ctx, i, m[k].entry_id, m[k].distance);
    }
    return 0;
}

static size_t query_pdq(const ward_index *ix, const ward_pdq *queries, int nq, int radius,
                        ward_pdq_match *out, size_t max)
{
    if (!query_args_ok(ix, queries, nq, radius, out, max))
        return 0;
    int r = radius > 256 ? 256 : radius;
    if (ix->fast && idx_fast_covers(r)) {
        collector col = {out, max, 0};
        idx_fast_query(ix->fast, &ix->pdq, queries, nq, r, 1, collect_cb, &col);
        return collect_finish(&col);
    }
    double rows = (double)ix->pdq.rows;
    int mih = idx_mih_cost(ix->pdq.m, rows, r) * IDX_SCAN_ROWS_PER_READ < rows;
    return run_query(ix, queries, nq, r, out, max, mih);
}

ward_status ward_index_query_pdq(const ward_index *ix, const ward_pdq *queries, int nq,
                                 int radius, ward_pdq_match *out, size_t max, size_t *found)
{
    ward_status rc = query_args(ix, queries, nq, out, max, found);
    if (rc == WARD_OK)
        *found = query_pdq(ix, queries, nq, radius, out, max);
    return rc;
}
