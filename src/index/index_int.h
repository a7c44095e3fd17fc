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

struct ward_index {
    const uint8_t *map;
    size_t size;
    unsigned version;
    uint64_t entries;
    uint8_t content_sha256[32];
    idx_digest_table dig[IDX_NDIGEST];
    idx_pdq_table pdq;
};

/* For tests: always answer by multi-index probing, whatever the cost model
 * would choose, so that every threshold combination can be checked. */
size_t ward_idx_query_pdq_mih(const ward_index *ix, const ward_pdq *queries, int nq,
                              int radius, ward_pdq_match *out, size_t max);

/* For tests: build with m chunks (IDX_MIN_CHUNKS..IDX_MAX_CHUNKS) instead of
 * the cost model's choice; 0 restores the choice. */
void ward_idx_builder_set_chunks(ward_index_builder *b, unsigned m);

#endif
