/*
 * match.h -- in-process matching for platforms: "is this upload known?"
 *
 * A ward_match is what `ward serve` answers /v1/match with, packaged for a
 * program that wants the same answers without HTTP: open it on a data
 * directory, give it a digest, a PDQ hash or the bytes of an upload, and get
 * back every hash-set entry it matches with list, category, class, series
 * and distance. examples/embed.c is a complete program.
 *
 * Threads: every function may be called from any number of threads at once.
 * Inside, the hash set is held as a snapshot (the memory-mapped index plus
 * read-only store connections); ward_match_reload swaps in a new snapshot
 * when the store has changed (a release pulled, a list imported) while
 * queries in flight finish on the old one, so no request is dropped or sees
 * half of each.
 *
 * The index is rebuilt from the store when it is stale, like a scan does;
 * the data directory must therefore be writable by the opener.
 */
#ifndef WARD_MATCH_H
#define WARD_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include <ward/filehash.h>
#include <ward/store.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_match ward_match;

typedef struct ward_match_opts {
    int radius;          /* PDQ Hamming radius, 0..256 (default 31) */
    int dihedral;        /* uploads: also match rotations/mirrors (default 1) */
    size_t max_hits;     /* per query (default 16) */
    int min_quality;     /* uploads: PDQ below this quality is not used for
                            near matching (default 50, as Meta advises) */
    uint64_t max_pixels; /* uploads: decode limit (default 100 Mpx) */
    uint64_t index_memory; /* bytes for an in-memory copy of the PDQ index
                              (ward_index_accelerate), made for each
                              snapshot; larger indexes, and 0, search the
                              file (default 0; ward serve: 1 GiB) */
} ward_match_opts;
void ward_match_opts_default(ward_match_opts *opts);

/* One matched entry. Strings are owned by the ward_match_result. */
typedef struct ward_match_hit {
    uint64_t entry_id;
    const char *kind;           /* "md5", "sha1", "sha256" or "pdq" */
    int distance;               /* 0 for digests; Hamming distance for PDQ */
    int dihedral;               /* uploads: which rotation/mirror matched */
    int64_t frame;              /* videos: frame number that matched, else -1 */
    double timestamp;           /* videos: its time in seconds */
    const char *list;
    const char *category;       /* NULL: uncategorised */
    const char *category_label;
    const char *category_class; /* "alert", "ignorable", "unknown" or NULL */
    const char *series;         /* NULL: none */
    const char *media_id;       /* NULL: none */
    char hash[65];              /* the entry's hash of that kind, lower hex */
} ward_match_hit;

typedef struct ward_match_result {
    size_t count;
    ward_match_hit *hits;       /* exact hits first, then PDQ by distance */
    int alert;                  /* some hit has class "alert" */
    uint64_t store_revision;    /* the snapshot that answered */
    /* Not "": the hash-set store could not be read (a PostgreSQL server
     * gone away), so the hits come from the index alone: entry id, kind,
     * distance and (exact hits) the hash, list and category NULL, and
     * alert set, so that nothing known passes unseen. The store's message,
     * for the operator's log, not for clients. */
    char store_error[256];
    void *priv_;                /* string storage; do not touch */
} ward_match_result;
void ward_match_result_free(ward_match_result *r);

/* Open on a data directory (WARD_ENOTFOUND if it holds no store);
 * store_url as for ward_store_open (store.h). */
ward_status ward_match_open(const char *datadir, const char *store_url, const ward_match_opts *opts,
                            ward_match **out, ward_error *err);
void ward_match_close(ward_match *m);

/*
 * If the store changed since the current snapshot was taken, build a new one
 * and swap it in; *changed (may be NULL) says whether it did. Safe while
 * queries run. On failure the old snapshot stays in service.
 */
ward_status ward_match_reload(ward_match *m, int *changed, ward_error *err);

/* What the current snapshot matches against. */
typedef struct ward_match_info {
    uint64_t store_revision;
    uint64_t index_entries;
    char index_sha256[65];
    uint64_t reloads;           /* snapshots swapped in since open */
} ward_match_info;
void ward_match_get_info(ward_match *m, ward_match_info *out);

/*
 * Match one hash given as text: hex of an MD5 (32), SHA-1 (40), SHA-256 or
 * PDQ (64), optionally prefixed "md5:", "sha1:", "sha256:" or "pdq:". An
 * unprefixed 64-digit value is tried as both SHA-256 and PDQ. A malformed
 * value is WARD_EFORMAT with the reason in err.
 */
ward_status ward_match_text(ward_match *m, const char *hash, const ward_match_opts *opts,
                            ward_match_result *out, ward_error *err);

/* Match already-computed digests and PDQ hashes (pdq may be NULL, npdq 0). */
ward_status ward_match_hashes(ward_match *m, const ward_digests *d, const ward_pdq *pdq,
                              int npdq, const ward_match_opts *opts,
                              ward_match_result *out, ward_error *err);

/*
 * Hash the bytes of an upload (MD5, SHA-1, SHA-256; PDQ of an image; vPDQ of
 * a video's sampled frames) and match them. `hashed` (may be NULL) receives
 * what was computed; release it with ward_file_hash_clear. A file that is
 * not a decodable image is still matched by its digests (hashed->image_*
 * says why there is no PDQ).
 */
ward_status ward_match_bytes(ward_match *m, const uint8_t *buf, size_t len,
                             const ward_match_opts *opts, ward_match_result *out,
                             ward_file_hash *hashed, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
