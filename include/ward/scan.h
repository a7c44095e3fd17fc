/*
 * scan.h -- triage of seized media against the hash sets.
 *
 * ward_scan_run reads each source (directory, file, archive, disk image; see
 * source.h), hashes every file once, looks its digests up in the store's
 * index and, for images not known exactly, its 8 dihedral PDQ hashes within
 * a Hamming radius. Every file gets one verdict:
 *
 *   known      an exact digest is on an alert list (list, category, series)
 *   near       a PDQ within the radius of an alert-list entry (distance)
 *   ignorable  an exact digest is only on known-good lists (e.g. NSRL)
 *   new-image  an image not matched: needs a person
 *   new-video  a video none of whose frames matched: needs a person
 *   other      not an image, not matched
 *   error      could not be read or decoded (the reason is kept)
 *
 * Output goes to opts.out_dir as it happens: files.jsonl (one record per file,
 * in the deterministic order of the sources), notices.jsonl (what was not
 * examined and why) and a checkpoint. A scan killed at any point resumes
 * with opts.resume and yields the same files.jsonl as an uninterrupted run,
 * without re-hashing what was done. Reports (summary.json, summary.txt,
 * files.csv, ...) are written from those files at the end.
 */
#ifndef WARD_SCAN_H
#define WARD_SCAN_H

#include <signal.h>
#include <stdint.h>
#include <ward/filehash.h>
#include <ward/source.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_verdict {
    WARD_VERDICT_KNOWN = 0,
    WARD_VERDICT_NEAR,
    WARD_VERDICT_IGNORABLE,
    WARD_VERDICT_NEW_IMAGE,
    WARD_VERDICT_NEW_VIDEO,
    WARD_VERDICT_OTHER,
    WARD_VERDICT_ERROR,
    WARD_VERDICT_COUNT
} ward_verdict;

const char *ward_verdict_name(ward_verdict v);

enum { WARD_THUMBS_BLURRED = 1, WARD_THUMBS_CLEAR = 2 };

typedef struct ward_scan_progress {
    uint64_t files, bytes, notices;
    uint64_t counts[WARD_VERDICT_COUNT];
    uint64_t host_bytes_total;   /* size of the host files to read (0: unknown) */
    uint64_t host_bytes_done;
    double elapsed;              /* seconds */
    int resumed;                 /* files skipped because a checkpoint had them */
} ward_scan_progress;

typedef struct ward_scan_opts {
    const char *data_dir;        /* the store and its index */
    const char *store_url;       /* the store when data_dir has no store.url
                                    (NULL: SQLite in data_dir; store.h) */
    const char *out_dir;         /* reports; created if missing */
    int threads;                 /* workers (default: all cores) */
    int radius;                  /* PDQ Hamming radius (default 31) */
    int min_quality;             /* no near-matching below this PDQ quality (50) */
    int resume;                  /* continue from out_dir's checkpoint */
    int pdq;                     /* decode images for PDQ (default 1); 0: digests only */
    double checkpoint_s;         /* seconds between checkpoints (default 2) */
    int thumbnails;              /* thumbs/ of new images: 0 none (default),
                                    WARD_THUMBS_BLURRED, WARD_THUMBS_CLEAR */
    ward_source_opts source;
    ward_hash_opts hash;         /* digests, decode limits (PDQ is always on) */
    const char *command;         /* recorded in summary.json */
    /* Called on the calling thread about 4 times a second, and at the end. */
    void (*progress)(void *ctx, const ward_scan_progress *p);
    void *progress_ctx;
    /* Set to non-zero (e.g. from a signal handler) to stop with a checkpoint. */
    volatile sig_atomic_t *interrupt;
} ward_scan_opts;

void ward_scan_opts_default(ward_scan_opts *opts);

typedef struct ward_scan_result {
    ward_scan_progress totals;
    int interrupted;             /* stopped early; resume to finish */
} ward_scan_result;

/* Scan the sources. WARD_OK also when interrupted (see result). Errors:
 * WARD_ENOTFOUND (no store), WARD_EINVAL (resume with other sources or
 * options than the checkpoint's), WARD_EIO (cannot write out_dir). */
ward_status ward_scan_run(const char *const *sources, int nsources,
                          const ward_scan_opts *opts, ward_scan_result *result,
                          ward_error *err);

/* Write the reports in out_dir from files.jsonl, notices.jsonl and
 * scan-state.json (ward_scan_run calls this at the end of a complete scan). */
ward_status ward_scan_write_reports(const char *out_dir, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
