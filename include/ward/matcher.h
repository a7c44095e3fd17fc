/*
 * matcher.h -- "is this known?" over a data directory.
 *
 * A matcher joins the hash-set store (<data>/ward.db, the meaning of each
 * entry) and its index (<data>/index.wdx, memory-mapped, for speed). The
 * index is derived data: ward_matcher_open rebuilds it when the store has
 * changed since it was built (its revision is kept in <data>/index.rev), so
 * a scan never matches against a stale index.
 *
 * Threads: ward_matcher_exact and ward_matcher_near are safe from any number
 * of threads at once; ward_matcher_entry uses the store's single connection
 * and must stay on one thread (the one that opened the matcher).
 */
#ifndef WARD_MATCHER_H
#define WARD_MATCHER_H

#include <stddef.h>
#include <stdint.h>
#include <ward/digest.h>
#include <ward/index.h>
#include <ward/pdq.h>
#include <ward/store.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_matcher ward_matcher;

/* Open the store and its index, (re)building the index if stale.
 * WARD_ENOTFOUND if the data directory holds no store. store_url as for
 * ward_store_open (store.h). */
ward_status ward_matcher_open(const char *datadir, const char *store_url, ward_matcher **out,
                              ward_error *err);
void ward_matcher_close(ward_matcher *m);

/* Build <data>/index.wdx from the store now (what `ward db index` runs). */
ward_status ward_matcher_build_index(ward_store *store, const char *datadir,
                                     uint64_t *entries, ward_error *err);

/* Entry ids whose MD5, SHA-1 or SHA-256 equals one of `d`'s digests,
 * de-duplicated. *found gets the count (only `max` are written).
 * WARD_EINVAL (and *found 0) for a NULL m, d or found, or ids NULL with
 * max > 0. */
ward_status ward_matcher_exact(const ward_matcher *m, const ward_digests *d, uint64_t *ids,
                               size_t max, size_t *found);
/* ward_index_accelerate on the index: for a process that answers many
 * near queries (ward serve); before the matcher is shared. */
ward_status ward_matcher_accelerate(ward_matcher *m, uint64_t max_bytes, ward_error *err);
/* As ward_index_query_pdq (WARD_EINVAL also for a NULL m). */
ward_status ward_matcher_near(const ward_matcher *m, const ward_pdq *queries, int nq, int radius,
                              ward_pdq_match *out, size_t max, size_t *found);
/* The entry (list, category, series, provenance ...); owner thread only. */
ward_status ward_matcher_entry(ward_matcher *m, uint64_t id, ward_entries **out,
                               ward_error *err);

/* Frames of a known video (entries of `list` sharing `media_id`); owner
 * thread only, like ward_matcher_entry. */
ward_status ward_matcher_video_frames(ward_matcher *m, const char *list, const char *media_id,
                                      uint64_t *frames, ward_error *err);

/* What was matched against, for reports. */
typedef struct ward_matcher_info {
    uint64_t store_revision;
    uint64_t index_entries;
    char index_sha256[65];  /* SHA-256 of the index content, recorded at build
                               time: names the exact hash set matched against */
} ward_matcher_info;
void ward_matcher_get_info(const ward_matcher *m, ward_matcher_info *out);
ward_store *ward_matcher_store(ward_matcher *m);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
