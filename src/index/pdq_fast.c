/*
 * An in-memory copy of the PDQ multi-index for a server that answers many
 * radius queries (ward_index_accelerate).
 *
 * Why: at a million entries the file's search (pdq_query.c) is bound by
 * random reads: for a random query at radius 31 about 950 offsets, 700
 * buckets and 2,200 candidate hashes, each a DRAM (and, with 4 KiB pages,
 * a TLB) miss. Here each bucket entry carries 96 bits of its hash beside its
 * row number, so a candidate is rejected from the bucket itself: if those
 * bits alone differ from the query's in more than r places, the whole hash
 * does. A random candidate passes at radius 31 with probability ~4e-4; only
 * those that pass read the full hash. The copy uses 16 chunks of 16 bits
 * (word-aligned, so a chunk is a shift and a mask): at radius 31 each chunk
 * has threshold 1, so a query probes 16 x 17 buckets whose offsets (256 KiB
 * a chunk) stay in cache, and walks each bucket's ~rows/65536 entries as one
 * sequential read. The memory is 16 bytes per row per chunk (256 MiB at 1M
 * rows: 12 walked, 4 of row number), in huge pages where the kernel gives
 * them, which is why it is the caller's choice and has a budget.
 *
 * Answers are exactly the file search's: the same pigeonhole (the 16
 * thresholds sum to r + 1), the same de-duplication (a row is reported only
 * through the first chunk within its threshold, decided on the full hash),
 * the same rule for several queries and the same collector.
 */
#include "index/index_int.h"
#include "index/mih.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAST_CHUNKS 16
#define FAST_BITS 16
#define FAST_MAX_THR 2 /* radius <= 47; beyond, buckets multiply: use the file */

/* 12 bytes, not 16: a query walks ~4,000 of them, and that traffic is
 * what it waits for. The row number sits apart (rows[], same position),
 * read only for the few entries that pass. */
typedef struct fast_ent {
    uint32_t wlo, whi; /* word (c/4 + 1) % 4 of the hash */
    uint32_t h;        /* low half of word (c/4 + 2) % 4 */
} fast_ent;

struct idx_fast {
    uint32_t *off;      /* FAST_CHUNKS x (65536 + 1) */
    fast_ent *ents;     /* FAST_CHUNKS x rows, in the mapping */
    uint32_t *rows;     /* FAST_CHUNKS x rows, after ents in the mapping */
    size_t ents_bytes;  /* the mapping's length */
};

static inline unsigned fast_word(unsigned c) { return c / 4; }
static inline uint32_t fast_key(const uint64_t w[4], unsigned c)
{
    return (uint32_t)(w[c / 4] >> (16 * (c % 4))) & 0xffff;
}

size_t idx_fast_bytes(uint64_t rows)
{
    return (size_t)rows * FAST_CHUNKS * (sizeof(fast_ent) + sizeof(uint32_t)) +
           (size_t)FAST_CHUNKS * (65536 + 1) * sizeof(uint32_t);
}

void idx_fast_free(idx_fast *f)
{
    if (!f)
        return;
    if (f->ents)
        munmap(f->ents, f->ents_bytes);
    free(f->off);
    free(f);
}

/* Counting sort of the rows by each chunk's value: two sequential passes
 * over the hashes per chunk. */
static void fill_chunk(idx_fast *f, const idx_pdq_table *t, unsigned c, uint32_t *pos)
{
    uint32_t *off = f->off + (size_t)c * (65536 + 1);
    fast_ent *e = f->ents + (size_t)c * t->rows;
    uint32_t *rownum = f->rows + (size_t)c * t->rows;
    unsigned a = (fast_word(c) + 1) % 4, b = (fast_word(c) + 2) % 4;
    memset(off, 0, (65536 + 1) * sizeof *off);
    for (uint64_t r = 0; r < t->rows; r++) {
        uint64_t w[4];
        idx_hash_words(t->hashes + r * 32, w);
        off[fast_key(w, c) + 1]++;
    }
    for (unsigned v = 0; v < 65536; v++)
        off[v + 1] += off[v];
    memcpy(pos, off, 65536 * sizeof *pos);
    for (uint64_t r = 0; r < t->rows; r++) {
        uint64_t w[4];
        idx_hash_words(t->hashes + r * 32, w);
        uint32_t k = pos[fast_key(w, c)]++;
        e[k].wlo = (uint32_t)w[a];
        e[k].whi = (uint32_t)(w[a] >> 32);
        e[k].h = (uint32_t)w[b];
        rownum[k] = (uint32_t)r;
    }
}

ward_status idx_fast_build(const idx_pdq_table *t, idx_fast **out, ward_error *err)
{
    *out = NULL;
    idx_fast *f = calloc(1, sizeof *f);
    uint32_t *pos = malloc(65536 * sizeof *pos);
    if (f)
        f->off = malloc((size_t)FAST_CHUNKS * (65536 + 1) * sizeof *f->off);
    if (!f || !pos || !f->off) {
        free(pos);
        idx_fast_free(f);
        return ward_fail(err, WARD_ENOMEM, "out of memory for the in-memory index");
    }
    f->ents_bytes = (size_t)t->rows * FAST_CHUNKS * (sizeof(fast_ent) + sizeof(uint32_t));
    if (f->ents_bytes) {
        void *m = mmap(NULL, f->ents_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            free(pos);
            idx_fast_free(f);
            return ward_fail(err, WARD_ENOMEM, "out of memory for the in-memory index");
        }
        /* Random reads across hundreds of MiB: a TLB miss each with 4 KiB
         * pages. A hint only; without huge pages it is merely slower. */
        madvise(m, f->ents_bytes, MADV_HUGEPAGE);
        f->ents = m;
        f->rows = (uint32_t *)(f->ents + (size_t)t->rows * FAST_CHUNKS);
    }
    for (unsigned c = 0; c < FAST_CHUNKS; c++)
        fill_chunk(f, t, c, pos);
    free(pos);
    if (f->ents_bytes)
        mprotect(f->ents, f->ents_bytes, PROT_READ); /* shared by every query thread */
    *out = f;
    return WARD_OK;
}

int idx_fast_covers(int radius)
{
    int thr[FAST_CHUNKS];
    idx_thresholds(FAST_CHUNKS, radius, thr);
    return radius >= 0 && thr[0] <= FAST_MAX_THR;
}

/* ---- the search ---------------------------------------------------------- */

/* As in pdq_query.c: inlined into a copy built for POPCNT and a plain one
 * (the library targets baseline x86-64, where the builtin is a call). */
#define HOT static inline __attribute__((always_inline))

/* A bucket to walk: chunk and rows lo..hi of its entries. */
typedef struct span {
    uint32_t lo, hi;
    unsigned c;
} span;

#define SPAN_AHEAD 8 /* buckets prefetched ahead of the one walked */
#define SPAN_MAX (FAST_CHUNKS * 137) /* 137 = values within 2 bits of 16 */

typedef struct fsearch {
    const idx_fast *f;
    const idx_pdq_table *t;
    const ward_pdq *queries;
    int nq, qi, radius;
    int thr[FAST_CHUNKS];
    uint64_t q[4];
    idx_collect_fn collect;
    void *col;
} fsearch;

HOT int fast_seen_earlier(const fsearch *s, const uint64_t x[4], unsigned c)
{
    for (unsigned j = 0; j < c; j++)
        if (s->thr[j] >= 0 && __builtin_popcount(fast_key(x, j)) <= s->thr[j])
            return 1;
    return 0;
}

/* A row whose 96 bits passed: the full hash decides. */
HOT void fast_check(const fsearch *s, uint32_t row, unsigned c)
{
    const uint8_t *h = s->t->hashes + (size_t)row * 32;
    uint64_t w[4], x[4];
    idx_hash_words(h, w);
    int d = 0;
    for (int i = 0; i < 4; i++) {
        x[i] = s->q[i] ^ w[i];
        d += __builtin_popcountll(x[i]);
    }
    if (d > s->radius || fast_seen_earlier(s, x, c))
        return;
    for (int k = 0; k < s->nq && s->nq > 1; k++) {
        if (k == s->qi)
            continue;
        uint64_t qk[4];
        int dk = 0;
        idx_hash_words(s->queries[k].b, qk);
        for (int i = 0; i < 4; i++)
            dk += __builtin_popcountll(qk[i] ^ w[i]);
        if (dk < d || (dk == d && k < s->qi))
            return; /* query k reports it */
    }
    s->collect(s->col, s->t->ids[row], d, s->qi);
}

HOT void prefetch_span(const fsearch *s, const span *sp)
{
    const fast_ent *e = s->f->ents + (size_t)sp->c * s->t->rows;
    for (uint32_t k = sp->lo; k < sp->hi; k += 64 / sizeof *e)
        __builtin_prefetch(e + k);
    __builtin_prefetch(e + sp->hi - 1);
}

HOT void walk_span(const fsearch *s, const span *sp)
{
    unsigned c = sp->c;
    const fast_ent *e = s->f->ents + (size_t)c * s->t->rows;
    const uint32_t *rownum = s->f->rows + (size_t)c * s->t->rows;
    unsigned a = (fast_word(c) + 1) % 4, b = (fast_word(c) + 2) % 4;
    uint64_t qa = s->q[a];
    uint32_t qb = (uint32_t)s->q[b];
    for (uint32_t k = sp->lo; k < sp->hi; k++) {
        uint64_t w = e[k].wlo | (uint64_t)e[k].whi << 32;
        int d = __builtin_popcountll(w ^ qa) + __builtin_popcount(e[k].h ^ qb);
        if (d <= s->radius)
            fast_check(s, rownum[k], c);
    }
}

/* Every non-empty bucket within the chunks' thresholds of the query. */
HOT size_t gather(const fsearch *s, span *sp)
{
    size_t n = 0;
    for (unsigned c = 0; c < FAST_CHUNKS; c++) {
        if (s->thr[c] < 0)
            continue;
        const uint32_t *off = s->f->off + (size_t)c * (65536 + 1);
        uint32_t v = fast_key(s->q, c);
        uint32_t vals[137];
        size_t nv = 0;
        vals[nv++] = v;
        for (int k = 1; k <= s->thr[c]; k++)
            for (uint32_t m = (1u << k) - 1; m < 65536;) {
                vals[nv++] = v ^ m;
                uint32_t r = m + (m & -m);
                m = (((r ^ m) >> 2) >> __builtin_ctz(m)) | r;
            }
        for (size_t i = 0; i < nv; i++)
            __builtin_prefetch(off + vals[i]);
        for (size_t i = 0; i < nv; i++) {
            uint32_t lo = off[vals[i]], hi = off[vals[i] + 1];
            if (lo < hi)
                sp[n++] = (span){lo, hi, c};
        }
    }
    return n;
}

HOT void fast_all(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries, int nq,
                  int radius, idx_collect_fn collect, void *col)
{
    fsearch s = {.f = f, .t = t, .queries = queries, .nq = nq, .radius = radius,
                 .collect = collect, .col = col};
    idx_thresholds(FAST_CHUNKS, radius, s.thr);
    span sp[SPAN_MAX];
    for (int qi = 0; qi < nq; qi++) {
        s.qi = qi;
        idx_hash_words(queries[qi].b, s.q);
        size_t n = gather(&s, sp);
        for (size_t k = 0; k < n && k < SPAN_AHEAD; k++)
            prefetch_span(&s, &sp[k]);
        for (size_t k = 0; k < n; k++) {
            if (k + SPAN_AHEAD < n)
                prefetch_span(&s, &sp[k + SPAN_AHEAD]);
            walk_span(&s, &sp[k]);
        }
    }
}

/* ---- many independent queries at once ----------------------------------------
 *
 * A single query visits 16 x 17 buckets scattered over the whole copy, each
 * a cache miss. Many queries (retroactive matching: millions of sightings
 * against a change) go chunk by chunk instead: the queries sorted by the
 * chunk's value, then for each bit mask within the chunk's threshold every
 * query's bucket key ^ mask in that order. The buckets are then visited in
 * (nearly) ascending order, so the offsets and entries of one chunk stream
 * through the caches instead of missing them. Each (query, row) pair is
 * reported once, through the first chunk within its threshold, as above. */

/* A query as one chunk's walk needs it: the bits the bucket entries carry
 * travel with it in sorted order, so the walk never reads the query's hash
 * (a random read) except for a candidate. */
typedef struct bq {
    uint64_t qa;
    uint32_t qb, key, qi;
} bq;

HOT void batch_check(const idx_fast *f, const idx_pdq_table *t, const int *thr, int radius,
                     const uint64_t q[4], uint32_t qi, uint32_t row, unsigned c,
                     idx_batch_fn cb, void *ctx)
{
    (void)f;
    uint64_t w[4], x[4];
    idx_hash_words(t->hashes + (size_t)row * 32, w);
    int d = 0;
    for (int i = 0; i < 4; i++) {
        x[i] = q[i] ^ w[i];
        d += __builtin_popcountll(x[i]);
    }
    if (d > radius)
        return;
    for (unsigned j = 0; j < c; j++)
        if (thr[j] >= 0 && __builtin_popcount(fast_key(x, j)) <= thr[j])
            return;
    cb(ctx, qi, t->ids[row], d);
}

HOT void batch_all(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries,
                   size_t nq, int radius, bq *order, bq *tmp, uint32_t *count,
                   idx_batch_fn cb, void *ctx)
{
    int thr[FAST_CHUNKS];
    idx_thresholds(FAST_CHUNKS, radius, thr);
    for (unsigned c = 0; c < FAST_CHUNKS; c++) {
        if (thr[c] < 0)
            continue;
        /* counting sort of the queries by the chunk's value */
        memset(count, 0, 65537 * sizeof *count);
        unsigned a = (fast_word(c) + 1) % 4, b = (fast_word(c) + 2) % 4;
        for (size_t i = 0; i < nq; i++) {
            uint64_t w[4];
            idx_hash_words(queries[i].b, w);
            tmp[i] = (bq){w[a], (uint32_t)w[b], fast_key(w, c), (uint32_t)i};
            count[tmp[i].key + 1]++;
        }
        for (unsigned v = 0; v < 65536; v++)
            count[v + 1] += count[v];
        for (size_t i = 0; i < nq; i++)
            order[count[tmp[i].key]++] = tmp[i];
        const uint32_t *off = f->off + (size_t)c * (65536 + 1);
        const fast_ent *e = f->ents + (size_t)c * t->rows;
        const uint32_t *rownum = f->rows + (size_t)c * t->rows;
        /* every mask of at most thr[c] bits, the empty one first */
        uint32_t masks[137];
        size_t nm = 0;
        masks[nm++] = 0;
        for (int k = 1; k <= thr[c]; k++)
            for (uint32_t m = (1u << k) - 1; m < 65536;) {
                masks[nm++] = m;
                uint32_t r = m + (m & -m);
                m = (((r ^ m) >> 2) >> __builtin_ctz(m)) | r;
            }
        for (size_t mi = 0; mi < nm; mi++) {
            uint32_t m = masks[mi];
            for (size_t i = 0; i < nq; i++) {
                uint32_t v = order[i].key ^ m;
                uint32_t lo = off[v], hi = off[v + 1];
                uint64_t qa = order[i].qa;
                uint32_t qb = order[i].qb;
                for (uint32_t k = lo; k < hi; k++) {
                    uint64_t w = e[k].wlo | (uint64_t)e[k].whi << 32;
                    if (__builtin_popcountll(w ^ qa) + __builtin_popcount(e[k].h ^ qb) <=
                        radius) {
                        uint64_t q[4];
                        idx_hash_words(queries[order[i].qi].b, q);
                        batch_check(f, t, thr, radius, q, order[i].qi, rownum[k], c, cb, ctx);
                    }
                }
            }
        }
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
__attribute__((target("popcnt"))) static void batch_popcnt(const idx_fast *f,
        const idx_pdq_table *t, const ward_pdq *q, size_t nq, int radius, bq *order, bq *tmp,
        uint32_t *count, idx_batch_fn cb, void *ctx)
{
    batch_all(f, t, q, nq, radius, order, tmp, count, cb, ctx);
}
#endif
static void batch_plain(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *q, size_t nq,
                        int radius, bq *order, bq *tmp, uint32_t *count, idx_batch_fn cb,
                        void *ctx)
{
    batch_all(f, t, q, nq, radius, order, tmp, count, cb, ctx);
}

int idx_fast_query_batch(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries,
                         size_t nq, int radius, idx_batch_fn cb, void *ctx)
{
    if (nq > UINT32_MAX)
        return -1;
    bq *order = malloc((nq ? nq : 1) * sizeof *order), *tmp = malloc((nq ? nq : 1) * sizeof *tmp);
    uint32_t *count = malloc(65537 * sizeof *count);
    int rc = order && tmp && count ? 0 : -1;
    if (rc == 0) {
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
        if (__builtin_cpu_supports("popcnt"))
            batch_popcnt(f, t, queries, nq, radius, order, tmp, count, cb, ctx);
        else
#endif
            batch_plain(f, t, queries, nq, radius, order, tmp, count, cb, ctx);
    }
    free(order);
    free(tmp);
    free(count);
    return rc;
}

typedef void fast_fn(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *q, int nq,
                     int radius, idx_collect_fn collect, void *col);

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
__attribute__((target("popcnt"))) static void fast_popcnt(const idx_fast *f,
        const idx_pdq_table *t, const ward_pdq *q, int nq, int radius, idx_collect_fn collect,
        void *col) { fast_all(f, t, q, nq, radius, collect, col); }
#define FAST_DISPATCH 1
#endif
static void fast_plain(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *q, int nq,
                       int radius, idx_collect_fn collect, void *col)
{
    fast_all(f, t, q, nq, radius, collect, col);
}

void idx_fast_query(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries, int nq,
                    int radius, idx_collect_fn collect, void *col)
{
    fast_fn *fn = fast_plain;
#ifdef FAST_DISPATCH
    if (__builtin_cpu_supports("popcnt"))
        fn = fast_popcnt;
#endif
    fn(f, t, queries, nq, radius, collect, col);
}
