/*
 * Multi-index hashing arithmetic shared by the builder (which picks the
 * number of chunks a file uses) and the query (which picks between probing
 * and a plain scan). See pdq_query.c for the search itself.
 *
 * Cost unit: one random memory read. On the machines we measured, DRAM plus
 * TLB misses make a random 32-byte read cost ~12 ns even with deep
 * prefetching, while a sequential scan compares a stored hash every ~2.3 ns:
 * one random read is worth about 4-5 rows of scan (IDX_SCAN_ROWS_PER_READ).
 */
#ifndef WARD_INDEX_MIH_H
#define WARD_INDEX_MIH_H

#include "index/format.h"

/* The radius `ward scan` uses by default; the builder tunes files for it.
 * Other radii are answered exactly, just not at the modelled optimum. */
#define IDX_DESIGN_RADIUS 31
#define IDX_SCAN_ROWS_PER_READ 4.0

/*
 * Per-chunk thresholds for radius r over m chunks. If every chunk c of x
 * differed from the query's by more than t_c bits, x would be at least
 * sum(t_c + 1) away; so with sum(t_c + 1) = r + 1 any x within r has some
 * chunk within its threshold (generalised pigeonhole). The r + 1 units are
 * spread evenly; the extra ones go to the first chunks, which are also the
 * wider ones (fewer rows per bucket). t_c = -1: chunk c is not probed.
 */
static inline void idx_thresholds(unsigned m, int r, int *thr)
{
    int base = (r + 1) / (int)m, extra = (r + 1) % (int)m;
    for (unsigned c = 0; c < m; c++)
        thr[c] = base - 1 + ((int)c < extra);
}

/* Values within t bits of a w-bit value: sum of C(w, k) for k <= t. */
static inline double idx_ball(unsigned w, int t)
{
    double sum = 0, term = 1;
    for (int k = 0; k <= t && k <= (int)w; k++) {
        sum += term;
        term = term * (double)(w - (unsigned)k) / (double)(k + 1);
    }
    return sum;
}

/* Expected random reads for one query hash: per probed bucket, the offsets
 * entry, the first row number when the bucket is not empty, and one hash per
 * row in it (rows spread uniformly over the 2^w buckets). */
static inline double idx_mih_cost(unsigned m, double rows, int r)
{
    int thr[IDX_MAX_CHUNKS];
    idx_thresholds(m, r, thr);
    double cost = 0;
    for (unsigned c = 0; c < m; c++) {
        if (thr[c] < 0)
            continue;
        double per = rows / (double)((uint64_t)1 << idx_chunk_width(m, c));
        cost += idx_ball(idx_chunk_width(m, c), thr[c]) * (1.0 + (per < 1 ? per : 1) + per);
    }
    return cost;
}

#endif
