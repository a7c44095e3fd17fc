/*
 * index.h -- "is this known?" for millions of hash-set entries.
 *
 * An index is one file, written once by a builder and then memory-mapped
 * read-only by any number of readers (`ward scan`, `ward serve`). Opening it
 * maps the file and checks the header and section bounds; nothing is loaded
 * into the heap, so a 10M-entry index opens in about a millisecond and its
 * pages are shared by every process that maps it.
 *
 * Two kinds of question:
 *   - exact: which entries have this MD5 / SHA-1 / SHA-256? O(1): one
 *     directory read and one short contiguous run of records.
 *   - near: which entries have a PDQ hash within Hamming distance r of any of
 *     these query hashes (one, or the 8 dihedral variants of an image)?
 *     Multi-index hashing, exact: the same answer as comparing against every
 *     stored hash, never an approximation (see docs/index.md).
 *
 * Thread safety: an opened ward_index is never written to, so any number of
 * threads may query it concurrently without locks. Queries allocate nothing;
 * their scratch lives on the stack or in the caller's output arrays.
 * A builder is single-threaded (its write uses worker threads internally).
 *
 * Index files are replaced, never modified: the writer creates a temporary
 * file beside the target and renames it into place, so readers that already
 * mapped the old file keep a consistent view until they close it.
 */
#ifndef WARD_INDEX_H
#define WARD_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <ward/digest.h>
#include <ward/pdq.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_index ward_index;
typedef struct ward_index_builder ward_index_builder;

/* The one source of ward's two PDQ matching defaults: the radius within
 * which an image is "near" when none is configured (ThreatExchange's), and
 * the quality below which an image is not near-matched at all (Meta's
 * recommendation; a flat or tiny image's hash says little). `ward scan`,
 * `ward serve`, the match library and grading all start from these. */
#define WARD_INDEX_PDQ_RADIUS 31
#define WARD_INDEX_PDQ_MIN_QUALITY 50

/* Current on-disk format version (header field); see docs/index.md. */
#define WARD_INDEX_FORMAT_VERSION 1

/* ---- building ---------------------------------------------------------- */

/* NULL on allocation failure. */
ward_index_builder *ward_index_builder_new(void);
void ward_index_builder_free(ward_index_builder *b);

/*
 * Add one entry. entry_id: the store's row id; it must be unique across the
 * builder (ward_index_builder_write refuses duplicates with WARD_EINVAL).
 * Every digest whose bit is set in d->present (MD5, SHA1, SHA256; other bits
 * are ignored) is indexed; d and pdq may each be NULL. An entry with neither
 * is counted but can never be found. At most 2^32-2 entries (WARD_ELIMIT).
 */
ward_status ward_index_builder_add(ward_index_builder *b, uint64_t entry_id,
                                   const ward_digests *d, const ward_pdq *pdq,
                                   ward_error *err);

/*
 * Sort, build and write the index to `path` atomically: a temporary file in
 * the same directory, fsync, rename over `path`, fsync of the directory.
 * The output depends only on the set of entries added, not on their order,
 * so the same set always produces the same bytes (and content digest).
 * The builder stays usable (more adds, another write).
 */
ward_status ward_index_builder_write(ward_index_builder *b, const char *path,
                                     ward_error *err);

/* ---- reading ------------------------------------------------------------ */

/* Map and validate. WARD_EFORMAT for a truncated or corrupt file,
 * WARD_EUNSUPPORTED for a newer format version, WARD_EIO if unreadable. */
ward_status ward_index_open(const char *path, ward_index **out, ward_error *err);
void ward_index_close(ward_index *ix);

/* Number of entries (adds) the index was built from. */
uint64_t ward_index_count(const ward_index *ix);

/*
 * All entry ids whose digest of kind `algo` (exactly one of WARD_DIGEST_MD5,
 * _SHA1, _SHA256) equals `digest` (16, 20 or 32 bytes), in ascending order.
 * *found gets the number found, which may exceed max; only the first max
 * are written to ids (ids may be NULL when max is 0). WARD_EINVAL (and
 * *found 0), never an empty answer, for a NULL ix, digest or found, ids
 * NULL with max > 0, or an unknown algo. No ward_error: the lookups are the
 * matching's hot path, and the only failure is the caller's.
 */
ward_status ward_index_lookup_digest(const ward_index *ix, unsigned algo, const uint8_t *digest,
                                     uint64_t *ids, size_t max, size_t *found);

typedef struct ward_pdq_match {
    uint64_t entry_id;
    int distance;
    int query; /* index into queries[] that gave the best distance (the lowest
                  such index on a tie) */
} ward_pdq_match;

/*
 * Every entry whose PDQ hash is within `radius` (inclusive; 0..256, larger is
 * clamped, negative finds nothing) of ANY of the nq query hashes, each entry
 * once with its best distance, sorted by distance then entry_id. *found
 * gets the total count, which may exceed max; then out holds the max best
 * ones. Exact: no false negatives, no false positives. WARD_EINVAL (and
 * *found 0) for a NULL ix or found, nq < 0, queries NULL with nq > 0, or
 * out NULL with max > 0; nq 0 finds nothing.
 */
ward_status ward_index_query_pdq(const ward_index *ix, const ward_pdq *queries, int nq,
                                 int radius, ward_pdq_match *out, size_t max, size_t *found);

/*
 * Many independent queries at once (retroactive matching: millions of
 * sightings against a change): cb(ctx, query, entry_id, distance) for every
 * pair of a query and an entry within `radius`, each pair once, in no
 * particular order. With the in-memory copy (ward_index_accelerate), up to
 * 131,072 queries go as one pipelined stream, as a single query does; more
 * go chunk by chunk in sorted order, so the tables stream through the
 * caches instead of missing them on every probe. Without the copy, each
 * query is a ward_index_query_pdq (at most 64 matches each). Calls on one index
 * may run in parallel (after ward_index_accelerate). 0, or -1 when out of
 * memory (nothing reported) or given no index or callback.
 */
typedef void (*ward_pdq_each_cb)(void *ctx, size_t query, uint64_t entry_id, int distance);
int ward_index_query_pdq_each(const ward_index *ix, const ward_pdq *queries, size_t nq,
                              int radius, ward_pdq_each_cb cb, void *ctx);

/*
 * Make ward_index_query_pdq faster for a process that answers many queries
 * (ward serve): an in-memory copy of the PDQ tables, 16 chunks of 16 bits
 * taken in pairs, whose bucket entries carry their sibling chunk, so most
 * candidates are rejected without reading their hash (docs/index.md).
 * Answers are unchanged. It takes about 96 bytes per entry plus 4 MiB (96
 * MiB at a million) and a few tenths of a second per million to build;
 * WARD_ELIMIT, and the index
 * as it was, when that is over max_bytes. Call before sharing the index
 * between threads; radii above 47 still search the file.
 */
ward_status ward_index_accelerate(ward_index *ix, uint64_t max_bytes, ward_error *err);

/* Same contract as ward_index_query_pdq by comparing against every stored
 * hash. The reference the tests and benchmarks check the index against. */
ward_status ward_index_query_pdq_brute(const ward_index *ix, const ward_pdq *queries, int nq,
                                       int radius, ward_pdq_match *out, size_t max,
                                       size_t *found);

/* ---- reporting and checking --------------------------------------------- */

typedef struct ward_index_info {
    unsigned version;          /* format version of the file */
    uint64_t file_size;        /* bytes */
    uint64_t entries;          /* as ward_index_count */
    uint64_t md5, sha1, sha256;/* indexed digests of each kind */
    uint64_t pdq;              /* indexed PDQ hashes */
    unsigned pdq_chunks;       /* multi-index chunks the file uses */
    /* SHA-256 of everything after the header, recorded at build time. Since
     * the bytes depend only on the entry set, this names the hash set a scan
     * was matched against; put it in reports. */
    uint8_t content_sha256[32];
} ward_index_info;

void ward_index_get_info(const ward_index *ix, ward_index_info *out);

/*
 * Full check, O(file size) (about a second per GB): recompute the content
 * digest and check every structural invariant the queries rely on (directory
 * and bucket bounds, sort order, every PDQ row filed under its own chunk
 * values). open() only checks the header and section bounds, so that opening
 * stays instant; queries bounds-check what they read and never crash on a
 * corrupt file, but only verify() proves the answers are right.
 * WARD_OK or WARD_EFORMAT naming the first problem.
 */
ward_status ward_index_verify(const ward_index *ix, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
