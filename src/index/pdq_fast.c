/*
 * An in-memory copy of the PDQ multi-index for a server that answers many
 * radius queries (ward_index_accelerate).
 *
 * Why: at a million entries the file's search (pdq_query.c) is bound by
 * random reads: for a random query at radius 31 about 950 offsets, 700
 * buckets and 2,200 candidate hashes, each a DRAM (and, with 4 KiB pages,
 * a TLB) miss. Most queries a platform sends match nothing, so what counts
 * is how few cache lines it takes to prove that.
 *
 * Paired chunks. The hash is cut into 16 chunks of 16 bits (word-aligned:
 * a chunk is a shift and a mask), taken in 8 pairs (2i, 2i + 1). The
 * pigeonhole is applied to the pairs: with per-pair thresholds T_i whose
 * T_i + 1 sum to r + 1 (idx_thresholds over 8), any x within r of the query
 * has a pair i with d_2i + d_2i+1 <= T_i. Of that pair, one half is within
 * floor(T_i / 2) of the query, and its sibling within T_i minus that. So
 * chunk c is probed for the values within t = floor(T_i / 2) bits of the
 * query's (at radius 31: T = 3, t = 1, 16 x 17 buckets), and a bucket entry
 * is a candidate only if its sibling chunk c ^ 1 is within T - d_c bits:
 * about 0.3% of them (~14 of the ~4,150 a random query walks at 1M). Each
 * bucket entry is therefore only the sibling's 16 bits (2 bytes: a bucket
 * of ~15 rows at 1M is 30 bytes, and the buckets of v ^ 1, v ^ 2, v ^ 4 lie
 * beside it), with the row number apart (rows[], same position), read only
 * for candidates. This reads the same buckets as plain 16-bit multi-index
 * hashing with threshold 1, but a sixth of the bytes of the previous copy,
 * which carried 96 bits per entry (12 bytes) to reject candidates in place:
 * ~620 cache lines per random query instead of ~1,250.
 *
 * Memory: 6 bytes per row per chunk (96 MiB at 1M rows) plus 4 MiB of
 * offsets, in huge pages where the kernel gives them, which is why it is
 * the caller's choice and has a budget.
 *
 * Answers are exactly the file search's: every x within r is found through
 * some chunk where it "qualifies" (d_c <= t and d_c + d_sibling <= T of its
 * pair), and it is reported only through the first such chunk, decided on
 * the full hash (the bucket filter is only a prefilter); the same rule for
 * several queries and the same collector.
 */
#include "index/index_int.h"
#include "index/mih.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAST_CHUNKS 16
#define FAST_PAIRS 8
#define FAST_MAX_THR 2 /* probe radius per chunk; radius <= 47. Beyond, use the file */

struct idx_fast {
    uint32_t *off;      /* FAST_CHUNKS x (65536 + 1), after sib in the mapping */
    uint16_t *sib;      /* FAST_CHUNKS x rows: chunk c ^ 1 of the row, in the mapping */
    uint32_t *rows;     /* FAST_CHUNKS x rows, before sib in the mapping */
    size_t map_bytes;   /* the mapping's length */
};

static inline uint32_t fast_key(const uint64_t w[4], unsigned c)
{
    return (uint32_t)(w[c / 4] >> (16 * (c % 4))) & 0xffff;
}

size_t idx_fast_bytes(uint64_t rows)
{
    return (size_t)rows * FAST_CHUNKS * (sizeof(uint16_t) + sizeof(uint32_t)) + 32 +
           (size_t)FAST_CHUNKS * (65536 + 1) * sizeof(uint32_t);
}

void idx_fast_free(idx_fast *f)
{
    if (!f)
        return;
    if (f->rows)
        munmap(f->rows, f->map_bytes);
    free(f);
}

/* Counting sort of the rows by each chunk's value: two sequential passes
 * over the hashes per chunk. */
static void fill_chunk(idx_fast *f, const idx_pdq_table *t, unsigned c, uint32_t *pos)
{
    uint32_t *off = f->off + (size_t)c * (65536 + 1);
    uint16_t *sib = f->sib + (size_t)c * t->rows;
    uint32_t *rownum = f->rows + (size_t)c * t->rows;
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
        sib[k] = (uint16_t)fast_key(w, c ^ 1);
        rownum[k] = (uint32_t)r;
    }
}

ward_status idx_fast_build(const idx_pdq_table *t, idx_fast **out, ward_error *err)
{
    *out = NULL;
    idx_fast *f = calloc(1, sizeof *f);
    uint32_t *pos = malloc(65536 * sizeof *pos);
    if (!f || !pos) {
        free(pos);
        idx_fast_free(f);
        return err_fail(err, WARD_ENOMEM, "out of memory for the in-memory index");
    }
    /* rows, sib (+ 32: walk_avx2 reads whole blocks of 16 entries), then
     * the offsets: one mapping, so that the offsets' 4 MiB, about 225
     * random reads a query, are in huge pages too (a malloc'd block was in
     * 4 KiB pages: a TLB miss for most of those reads, and under a
     * hypervisor a two-level page walk each). */
    size_t entries = (size_t)t->rows * FAST_CHUNKS * (sizeof(uint16_t) + sizeof(uint32_t)) + 32;
    f->map_bytes = entries + (size_t)FAST_CHUNKS * (65536 + 1) * sizeof(uint32_t);
    void *m = mmap(NULL, f->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                   0);
    if (m == MAP_FAILED) {
        free(pos);
        idx_fast_free(f);
        return err_fail(err, WARD_ENOMEM, "out of memory for the in-memory index");
    }
    /* Random reads across ~100 MiB: a TLB miss each with 4 KiB pages.
     * A hint only; without huge pages it is merely slower. */
    madvise(m, f->map_bytes, MADV_HUGEPAGE);
    f->rows = m;
    f->sib = (uint16_t *)(f->rows + (size_t)t->rows * FAST_CHUNKS);
    f->off = (uint32_t *)((char *)m + entries); /* entries is a multiple of 4 */
    for (unsigned c = 0; c < FAST_CHUNKS; c++)
        fill_chunk(f, t, c, pos);
    free(pos);
    mprotect(f->rows, f->map_bytes, PROT_READ); /* shared by every query thread */
    *out = f;
    return WARD_OK;
}

/* Per-pair thresholds T (idx_thresholds over the 8 pairs) and the probe
 * radius of each chunk, floor(T / 2); -1: not probed. */
static void fast_thresholds(int radius, int pair[FAST_PAIRS], int probe[FAST_CHUNKS])
{
    idx_thresholds(FAST_PAIRS, radius, pair);
    for (unsigned c = 0; c < FAST_CHUNKS; c++)
        probe[c] = pair[c / 2] < 0 ? -1 : pair[c / 2] / 2;
}

int idx_fast_covers(int radius)
{
    int pair[FAST_PAIRS], probe[FAST_CHUNKS];
    if (radius < 0)
        return 0;
    fast_thresholds(radius, pair, probe);
    return probe[0] <= FAST_MAX_THR;
}

/* ---- the search ---------------------------------------------------------- */

/* As in pdq_query.c: inlined into a copy built for POPCNT and a plain one
 * (the library targets baseline x86-64, where the builtin is a call). */
#define HOT static inline __attribute__((always_inline))

/*
 * The search is a few hundred independent cache-line reads (at 1M rows,
 * for a random query: ~225 lines of offsets, ~370 of entries, 2 per
 * candidate), and instructions count as much as the reads: an earlier
 * version, which kept a ring of spans, merged neighbouring buckets and
 * counted lines in flight, ran about 67,000 instructions a query
 * (callgrind) and was bound by them, not by memory (which gives a random
 * line every 3-4 ns here when enough are asked for at once). So the
 * (query, chunk) steps go in blocks of STEPS, each in three flat passes:
 * - fill: the probe values of each step, their offsets prefetched;
 * - resolve: the offsets read, the lines of each bucket prefetched;
 * - walk: each bucket's sibling chunks filtered (AVX2, 16 at a time), the
 *   few that pass queued as candidates, whose row numbers and then hashes
 *   are fetched in groups (flush_candidates) before the full hash decides.
 * Three blocks are in the pipeline (fast_all): one is filled, the one
 * filled before is resolved, the one before that walked, so each pass's
 * reads were asked for two blocks earlier. About 30,000 instructions a
 * random query; a block's size matters little (1 to 16 steps measured
 * within the noise). Several queries (a batch, ward_index_query_pdq_each)
 * are one stream of steps.
 */
#ifndef STEPS
#define STEPS 4 /* (query, chunk) steps per block */
#endif
#define BLOCK (STEPS * VALS_MAX) /* probes per block, at most */
#define VALS_MAX 137 /* values within 2 bits of 16 */
#define CANDS 64     /* candidates checked together */

/* A (query, chunk) step of a block: the chunk's value v in the query and
 * its sibling chunk qs; its probes are the block's val[first..first + n),
 * each bucket's rows lo..hi once resolved. */
typedef struct step {
    uint32_t qi;
    uint16_t v, qs;
    uint8_t c, n;
    uint16_t first;
} step;

typedef struct block {
    unsigned nsteps, nprobes;
    step st[STEPS];
    uint32_t val[BLOCK], lo[BLOCK], hi[BLOCK];
} block;

typedef struct fsearch {
    const idx_fast *f;
    const idx_pdq_table *t;
    const ward_pdq *queries;
    size_t nq;
    int radius;
    int simd; /* walk buckets with AVX2 (walk_avx2) */
    int pair[FAST_PAIRS], probe[FAST_CHUNKS];
    idx_collect_fn collect; /* one answer for all queries (idx_fast_query), */
    idx_batch_fn each;      /* or each query's own (idx_fast_query_each) */
    void *col;
    size_t next_q;          /* fill's place: query, */
    unsigned next_c;        /* chunk */
    uint64_t q[4];          /* and that query's words */
    uint32_t cand[CANDS];   /* positions in their chunk's table */
    uint32_t cand_q[CANDS];
    uint8_t cand_c[CANDS];
    unsigned ncand;
} fsearch;

/* Whether x (the query XOR a stored hash) is found through chunk c: within
 * its probe radius there, and the pair within its threshold. */
HOT int fast_qualifies(const fsearch *s, const uint64_t x[4], unsigned c)
{
    if (s->probe[c] < 0)
        return 0;
    int dc = __builtin_popcount(fast_key(x, c));
    return dc <= s->probe[c] && dc + __builtin_popcount(fast_key(x, c ^ 1)) <= s->pair[c / 2];
}

/* A candidate row of query qi found through chunk c: the full hash
 * decides, and the row is reported only through the first chunk it
 * qualifies in; for one answer to all queries, only by the query nearest
 * to it (the lowest on a tie). */
HOT void fast_check(const fsearch *s, uint32_t row, unsigned c, uint32_t qi)
{
    const uint8_t *h = s->t->hashes + (size_t)row * 32;
    uint64_t q[4], w[4], x[4];
    idx_hash_words(s->queries[qi].b, q);
    idx_hash_words(h, w);
    int d = 0;
    for (int i = 0; i < 4; i++) {
        x[i] = q[i] ^ w[i];
        d += __builtin_popcountll(x[i]);
    }
    if (d > s->radius || !fast_qualifies(s, x, c))
        return;
    for (unsigned j = 0; j < c; j++)
        if (fast_qualifies(s, x, j))
            return; /* reported through chunk j */
    if (s->each) {
        s->each(s->col, qi, s->t->ids[row], d);
        return;
    }
    for (size_t k = 0; k < s->nq && s->nq > 1; k++) {
        if (k == qi)
            continue;
        uint64_t qk[4];
        int dk = 0;
        idx_hash_words(s->queries[k].b, qk);
        for (int i = 0; i < 4; i++)
            dk += __builtin_popcountll(qk[i] ^ w[i]);
        if (dk < d || (dk == d && k < qi))
            return; /* query k reports it */
    }
    s->collect(s->col, s->t->ids[row], d, (int)qi);
}

/* Check the queued candidates: three passes, so that the row numbers and
 * then the hashes of all of them are in flight together. Not inlined into
 * the walks: their loops keep their values in registers. */
__attribute__((noinline)) static void flush_candidates(fsearch *s)
{
    const uint32_t *rows = s->f->rows;
    size_t n = (size_t)s->t->rows;
    for (unsigned i = 0; i < s->ncand; i++)
        __builtin_prefetch(rows + s->cand_c[i] * n + s->cand[i]);
    for (unsigned i = 0; i < s->ncand; i++) {
        s->cand[i] = rows[s->cand_c[i] * n + s->cand[i]];
        __builtin_prefetch(s->t->hashes + (size_t)s->cand[i] * 32);
    }
    for (unsigned i = 0; i < s->ncand; i++)
        fast_check(s, s->cand[i], s->cand_c[i], s->cand_q[i]);
    s->ncand = 0;
}

HOT void add_candidate(fsearch *s, uint32_t k, unsigned c, uint32_t qi)
{
    if (s->ncand == CANDS)
        flush_candidates(s);
    s->cand[s->ncand] = k;
    s->cand_q[s->ncand] = qi;
    s->cand_c[s->ncand++] = (uint8_t)c;
}

/* The limit on a bucket entry's sibling chunk: the pair's threshold less
 * the bits the probe value differs in. */
HOT int probe_limit(const fsearch *s, const step *st, uint32_t val)
{
    return s->pair[st->c / 2] - __builtin_popcount(val ^ st->v);
}

HOT void walk_plain(fsearch *s, const block *b)
{
    for (unsigned j = 0; j < b->nsteps; j++) {
        const step *st = &b->st[j];
        const uint16_t *sib = s->f->sib + (size_t)st->c * s->t->rows;
        for (unsigned i = st->first; i < st->first + st->n; i++) {
            int lim = probe_limit(s, st, b->val[i]);
            for (uint32_t k = b->lo[i]; k < b->hi[i]; k++)
                if (__builtin_popcount((uint32_t)(sib[k] ^ st->qs)) <= lim)
                    add_candidate(s, k, st->c, st->qi);
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FAST_AVX2 1
#define HITS 32 /* groups of 16 entries with a lane that passed, per drain */

/* The lanes that passed in each group (two mask bits per lane), as
 * candidates of the step's query and chunk. Apart from the walk, so that
 * its loop keeps its constants in registers. */
__attribute__((noinline)) static void drain_hits(fsearch *s, const step *st,
                                                 const uint32_t *hk, const uint32_t *hp,
                                                 unsigned n)
{
    for (unsigned h = 0; h < n; h++)
        for (uint32_t pass = hp[h]; pass; pass &= pass - 1) {
            uint32_t lane = (uint32_t)__builtin_ctz(pass) / 2;
            pass &= pass - 1; /* the lane's second bit */
            add_candidate(s, hk[h] + lane, st->c, st->qi);
        }
}

/*
 * The same filter 16 entries at a time: XOR with the query's sibling
 * chunk, popcount of each 16-bit lane by nibble lookup, compare with the
 * limit. A group with a lane that passed (one in ten or so) is noted and
 * its lanes become candidates after the step (drain_hits). A load may
 * read up to 15 entries past the bucket (the mapping is padded for the
 * last one); their lanes are masked off.
 */
__attribute__((target("avx2,popcnt"), noinline)) static void walk_avx2(fsearch *s,
                                                                      const block *b)
{
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i nib = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi8(1);
    uint32_t hk[HITS], hp[HITS];
    for (unsigned j = 0; j < b->nsteps; j++) {
        const step *st = &b->st[j];
        const uint16_t *sib = s->f->sib + (size_t)st->c * s->t->rows;
        const __m256i qs = _mm256_set1_epi16((short)st->qs);
        unsigned nh = 0;
        for (unsigned i = st->first; i < st->first + st->n; i++) {
            const __m256i lim = _mm256_set1_epi16((short)probe_limit(s, st, b->val[i]));
            uint32_t hi = b->hi[i];
            for (uint32_t k = b->lo[i]; k < hi; k += 16) {
                __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(sib + k)), qs);
                __m256i n = _mm256_add_epi8(
                    _mm256_shuffle_epi8(lut, _mm256_and_si256(x, nib)),
                    _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)));
                __m256i d = _mm256_maddubs_epi16(n, ones); /* bytes summed per lane */
                /* two mask bits per lane: set where d > lim (rejected) */
                uint32_t pass = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi16(d, lim));
                uint32_t left = hi - k < 16 ? hi - k : 16;
                pass &= (uint32_t)((1ull << (2 * left)) - 1);
                hk[nh] = k, hp[nh] = pass;
                nh += pass != 0;
                if (nh == HITS) {
                    drain_hits(s, st, hk, hp, nh);
                    nh = 0;
                }
            }
        }
        drain_hits(s, st, hk, hp, nh);
    }
}
#endif

/* Values within thr bits of the chunk value v: v, then those one bit away,
 * then two (Gosper's hack over the masks). */
HOT size_t probe_values(uint32_t v, int thr, uint32_t *vals)
{
    size_t n = 0;
    vals[n++] = v;
    if (thr == 1) { /* radius 31, the usual: the loop below, unrolled */
        for (unsigned k = 0; k < 16; k++)
            vals[n++] = v ^ (1u << k);
        return n;
    }
    for (int k = 1; k <= thr; k++)
        for (uint32_t m = (1u << k) - 1; m < 65536;) {
            vals[n++] = v ^ m;
            uint32_t r = m + (m & -m);
            m = (((r ^ m) >> 2) >> __builtin_ctz(m)) | r;
        }
    return n;
}

/* Fill a block with the probes of the next (query, chunk) steps, their
 * offsets prefetched. */
HOT void fill_block(fsearch *s, block *b)
{
    b->nsteps = b->nprobes = 0;
    while (s->next_q < s->nq && b->nsteps < STEPS) {
        unsigned c = s->next_c;
        if (c == 0)
            idx_hash_words(s->queries[s->next_q].b, s->q);
        if (s->probe[c] >= 0) {
            step *st = &b->st[b->nsteps++];
            uint32_t *val = b->val + b->nprobes;
            const uint32_t *off = s->f->off + (size_t)c * (65536 + 1);
            *st = (step){(uint32_t)s->next_q, (uint16_t)fast_key(s->q, c),
                         (uint16_t)fast_key(s->q, c ^ 1), (uint8_t)c, 0,
                         (uint16_t)b->nprobes};
            size_t nv = probe_values(st->v, s->probe[c], val);
            for (size_t i = 0; i < nv; i++)
                __builtin_prefetch(off + val[i]);
            st->n = (uint8_t)nv;
            b->nprobes += (unsigned)nv;
        }
        if (++s->next_c == FAST_CHUNKS)
            s->next_c = 0, s->next_q++;
    }
}

/* Read the block's offsets (in flight since fill) and prefetch each
 * bucket's lines: its first and last (a bucket is about 30 bytes at 1M
 * rows) and, for the big bucket of a cluster of similar hashes, up to
 * BIG_LINES between (the rest streams). */
#define BIG_LINES 8
HOT void resolve_block(const fsearch *s, block *b)
{
    for (unsigned j = 0; j < b->nsteps; j++) {
        const step *st = &b->st[j];
        const uint32_t *off = s->f->off + (size_t)st->c * (65536 + 1);
        const uint16_t *sib = s->f->sib + (size_t)st->c * s->t->rows;
        for (unsigned i = st->first; i < st->first + st->n; i++) {
            uint32_t lo = off[b->val[i]], hi = off[b->val[i] + 1];
            b->lo[i] = lo, b->hi[i] = hi;
            __builtin_prefetch(sib + lo);
            __builtin_prefetch(sib + hi);
            for (uint32_t k = lo + 32; k < hi && k < lo + 32 * BIG_LINES; k += 32)
                __builtin_prefetch(sib + k);
        }
    }
}

HOT void walk_block(fsearch *s, const block *b)
{
#ifdef FAST_AVX2
    if (s->simd) {
        walk_avx2(s, b);
        return;
    }
#endif
    walk_plain(s, b);
}

HOT void fast_all(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries, size_t nq,
                  int radius, int simd, idx_collect_fn collect, idx_batch_fn each, void *col)
{
    fsearch s = {.f = f, .t = t, .queries = queries, .nq = nq, .radius = radius,
                 .simd = simd, .collect = collect, .each = each, .col = col};
    block blk[3]; /* walked, resolved, filled */
    fast_thresholds(radius, s.pair, s.probe);
    fill_block(&s, &blk[0]);
    resolve_block(&s, &blk[0]);
    fill_block(&s, &blk[1]);
    for (unsigned cur = 0; blk[cur].nsteps; cur = (cur + 1) % 3) {
        unsigned next = (cur + 1) % 3;
        fill_block(&s, &blk[(cur + 2) % 3]);
        if (blk[next].nsteps)
            resolve_block(&s, &blk[next]);
        walk_block(&s, &blk[cur]);
    }
    flush_candidates(&s);
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

/* A query as one chunk's walk needs it: its key in the chunk and the
 * sibling chunk the bucket entries are compared with travel with it in
 * sorted order, so the walk never reads the query's hash (a random read)
 * except for a candidate. */
typedef struct bq {
    uint32_t key, qi;
    uint16_t qs;
} bq;

/* Whether x (a query XOR a stored hash) qualifies in chunk c (as
 * fast_qualifies, from the thresholds alone). */
HOT int batch_qualifies(const int *pair, const int *probe, const uint64_t x[4], unsigned c)
{
    if (probe[c] < 0)
        return 0;
    int dc = __builtin_popcount(fast_key(x, c));
    return dc <= probe[c] && dc + __builtin_popcount(fast_key(x, c ^ 1)) <= pair[c / 2];
}

/* A candidate row of query qi found through chunk c: the full hash
 * decides, and the pair is reported only through the first chunk it
 * qualifies in. */
HOT void batch_check(const idx_pdq_table *t, const int *pair, const int *probe, int radius,
                     const ward_pdq *query, uint32_t qi, uint32_t row, unsigned c,
                     idx_batch_fn cb, void *ctx)
{
    uint64_t q[4], w[4], x[4];
    idx_hash_words(query->b, q);
    idx_hash_words(t->hashes + (size_t)row * 32, w);
    int d = 0;
    for (int i = 0; i < 4; i++) {
        x[i] = q[i] ^ w[i];
        d += __builtin_popcountll(x[i]);
    }
    if (d > radius || !batch_qualifies(pair, probe, x, c))
        return;
    for (unsigned j = 0; j < c; j++)
        if (batch_qualifies(pair, probe, x, j))
            return;
    cb(ctx, qi, t->ids[row], d);
}

HOT void batch_all(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries,
                   size_t nq, int radius, bq *order, bq *tmp, uint32_t *count,
                   idx_batch_fn cb, void *ctx)
{
    int pair[FAST_PAIRS], probe[FAST_CHUNKS];
    fast_thresholds(radius, pair, probe);
    for (unsigned c = 0; c < FAST_CHUNKS; c++) {
        if (probe[c] < 0)
            continue;
        /* counting sort of the queries by the chunk's value */
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < nq; i++) {
            uint64_t w[4];
            idx_hash_words(queries[i].b, w);
            tmp[i] = (bq){fast_key(w, c), (uint32_t)i, (uint16_t)fast_key(w, c ^ 1)};
            count[tmp[i].key + 1]++;
        }
        for (unsigned v = 0; v < 65536; v++)
            count[v + 1] += count[v];
        for (size_t i = 0; i < nq; i++)
            order[count[tmp[i].key]++] = tmp[i];
        const uint32_t *off = f->off + (size_t)c * (65536 + 1);
        const uint16_t *sib = f->sib + (size_t)c * t->rows;
        const uint32_t *rownum = f->rows + (size_t)c * t->rows;
        /* every mask of at most probe[c] bits, the empty one first */
        uint32_t masks[VALS_MAX];
        size_t nm = probe_values(0, probe[c], masks);
        for (size_t mi = 0; mi < nm; mi++) {
            uint32_t m = masks[mi];
            int lim = pair[c / 2] - __builtin_popcount(m);
            for (size_t i = 0; i < nq; i++) {
                uint32_t v = order[i].key ^ m;
                uint32_t lo = off[v], hi = off[v + 1];
                uint16_t qs = order[i].qs;
                for (uint32_t k = lo; k < hi; k++)
                    if (__builtin_popcount((uint32_t)(sib[k] ^ qs)) <= lim)
                        batch_check(t, pair, probe, radius, &queries[order[i].qi],
                                    order[i].qi, rownum[k], c, cb, ctx);
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

typedef void fast_fn(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *q, size_t nq,
                     int radius, int simd, idx_collect_fn collect, idx_batch_fn each, void *col);

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__POPCNT__)
__attribute__((target("popcnt"))) static void fast_popcnt(const idx_fast *f,
        const idx_pdq_table *t, const ward_pdq *q, size_t nq, int radius, int simd,
        idx_collect_fn collect, idx_batch_fn each, void *col)
{
    fast_all(f, t, q, nq, radius, simd, collect, each, col);
}
#define FAST_DISPATCH 1
#endif
static void fast_plain(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *q, size_t nq,
                       int radius, int simd, idx_collect_fn collect, idx_batch_fn each,
                       void *col)
{
    fast_all(f, t, q, nq, radius, simd, collect, each, col);
}

static void fast_run(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries,
                     size_t nq, int radius, int simd, idx_collect_fn collect, idx_batch_fn each,
                     void *col)
{
    fast_fn *fn = fast_plain;
#ifdef FAST_DISPATCH
    if (__builtin_cpu_supports("popcnt"))
        fn = fast_popcnt;
#endif
#ifdef FAST_AVX2
    simd = simd && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#else
    simd = 0;
#endif
    fn(f, t, queries, nq, radius, simd, collect, each, col);
}

/* simd: 1 for AVX2 where the CPU has it, 0 for the portable walk (the
 * tests check both against brute force). */
void idx_fast_query(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries, int nq,
                    int radius, int simd, idx_collect_fn collect, void *col)
{
    fast_run(f, t, queries, nq > 0 ? (size_t)nq : 0, radius, simd, collect, NULL, col);
}

void idx_fast_query_each(const idx_fast *f, const idx_pdq_table *t, const ward_pdq *queries,
                         size_t nq, int radius, int simd, idx_batch_fn cb, void *ctx)
{
    fast_run(f, t, queries, nq, radius, simd, NULL, cb, ctx);
}
