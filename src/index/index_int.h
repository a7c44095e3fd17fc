/* The opened index: pointers into the read-only mapping, nothing else.
 * Shared by reader.c (open, digests, verify) and pdq_query.c. */
#ifndef WARD_INDEX_INT_H
#define WARD_INDEX_INT_H

#include <ward/index.h>
#include "index/format.h"

typedef struct idx_digest_table {
    uint64_t count;
    unsigned bits;
    unsigned dlen, rec_size;
    const uint32_t *dir;   /* 2^bits + 1 positions */
    const uint8_t *recs;   /* count * rec_size bytes */
} idx_digest_table;

typedef struct idx_pdq_table {
    uint64_t rows;
    unsigned m;                                /* chunks */
    unsigned start[IDX_MAX_CHUNKS], width[IDX_MAX_CHUNKS];
    const uint64_t *ids;                       /* entry id of each row */
    const uint8_t *hashes;                     /* 32 bytes per row */
    const uint32_t *off[IDX_MAX_CHUNKS];       /* 2^width + 1 each */
    const uint32_t *row[IDX_MAX_CHUNKS];       /* rows each */
} idx_pdq_table;

/* The in-memory copy of the PDQ tables (pdq_fast.c, ward_index_accelerate). */
typedef struct idx_fast idx_fast;
typedef void (*idx_collect_fn)(void *col, uint64_t id, int distance, int query);
/* Bytes a copy of rows rows takes. */
size_t idx_fast_bytes(uint64_t rows);
ward_status idx_fast_build(const struct idx_pdq_table *t, idx_fast **out, ward_error *err);
void idx_fast_free(idx_fast *f);
/* Whether the copy answers this radius (up to 47; larger ones use the file). */
int idx_fast_covers(int radius);
/* The multi-index search of pdq_query.c over the copy: each match once, to
 * collect, with the same choice of query as there. simd: use AVX2 where the
 * CPU has it (0: the portable code, for tests). */
void idx_fast_query(const idx_fast *f, const struct idx_pdq_table *t, const ward_pdq *queries,
                    int nq, int radius, int simd, idx_collect_fn collect, void *col);
/* Many independent queries, chunk by chunk (ward_index_query_pdq_each);
 * -1 when out of memory (nothing reported). */
typedef void (*idx_batch_fn)(void *ctx, size_t query, uint64_t id, int distance);
int idx_fast_query_batch(const idx_fast *f, const struct idx_pdq_table *t,
                         const ward_pdq *queries, size_t nq, int radius, idx_batch_fn cb,
                         void *ctx);
/* Independent queries as one pipelined stream of steps, as a single query
 * goes (ward_index_query_pdq_each, up to EACH_STREAM_MAX of them): cb for
 * each pair of a query and a row within radius, each once. */
void idx_fast_query_each(const idx_fast *f, const struct idx_pdq_table *t,
                         const ward_pdq *queries, size_t nq, int radius, int simd,
                         idx_batch_fn cb, void *ctx);

struct ward_index {
    const uint8_t *map;
    size_t size;
    unsigned version;
    uint64_t entries;
    uint8_t content_sha256[32];
    idx_digest_table dig[IDX_NDIGEST];
    idx_pdq_table pdq;
    idx_fast *fast;    /* NULL unless ward_index_accelerate */
};

/* For tests: always answer by multi-index probing, whatever the cost model
 * would choose, so that every threshold combination can be checked. */
size_t idx_query_pdq_mih(const ward_index *ix, const ward_pdq *queries, int nq,
                              int radius, ward_pdq_match *out, size_t max);

/* For tests: through the in-memory copy with its portable code (simd 0) or
 * AVX2 where the CPU has it (1); (size_t)-1 without a copy covering radius. */
size_t idx_query_pdq_fast(const ward_index *ix, const ward_pdq *queries, int nq,
                               int radius, int simd, ward_pdq_match *out, size_t max);

/* For tests: build with m chunks (IDX_MIN_CHUNKS..IDX_MAX_CHUNKS) instead of
 * the cost model's choice; 0 restores the choice. */
void idx_builder_set_chunks(ward_index_builder *b, unsigned m);

#endif
