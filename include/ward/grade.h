/*
 * grade.h -- grade once: an examiner grades a scan's new images, and the
 * grades go back to the hash set.
 *
 * After `ward scan --out DIR`, the records of class new-image and new-video
 * in DIR/files.jsonl are what a person must still look at. This module
 *
 *   1. groups them before anyone looks (ward_grade_queue_load): exact
 *      duplicates (same SHA-256) and PDQ near duplicates within a radius,
 *      with the 8 dihedral variants, so a re-encoded, mirrored or resized
 *      copy lands in the group of its original and one decision grades all;
 *      videos whose vPDQ frames match both ways (at least 80% of each one's
 *      good frames within 31 bits of a frame of the other: the same video
 *      re-encoded or resized) group the same way;
 *   2. orders the groups without any classifier: groups near an alert entry
 *      but outside the scan's match radius first, then groups in the same
 *      folder or container as known material, then the rest, each with the
 *      reason in words;
 *   3. keeps the decisions in an append-only log, DIR/grade/grades.jsonl
 *      (ward_grade_log_*): who graded which group how and when, undo, and
 *      the examiner's exposure (items revealed, minutes). Reopening the log
 *      replays it, so grading resumes where it stopped;
 *   4. re-reads an item from the evidence through its record, verifying its
 *      SHA-256 before anything is decoded (ward_grade_item_thumb); a missing
 *      or changed item is reported as such and never shown;
 *   5. exports the grades as a VICS 2.0 contribution (ward_grade_export_vics)
 *      that `ward db import --format vics` reads.
 *
 * Nothing here uploads anything: the evidence and the pictures stay on the
 * examiner's workstation; a contribution carries hashes and grades only.
 */
#ifndef WARD_GRADE_H
#define WARD_GRADE_H

#include <stddef.h>
#include <stdint.h>
#include <ward/index.h> /* WARD_INDEX_PDQ_RADIUS */
#include <ward/pdq.h>
#include <ward/vpdq.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* ---- the queue ---------------------------------------------------------- */

/* Why a group comes where it does (most likely relevant first). */
typedef enum ward_grade_reason {
    WARD_GRADE_NEAR_ALERT = 0, /* PDQ within [near_lo, near_hi] bits of an alert entry */
    WARD_GRADE_BESIDE_KNOWN,   /* same folder or container as known/near material */
    WARD_GRADE_REST            /* nothing points at it */
} ward_grade_reason;

typedef struct ward_grade_item {
    uint64_t seq;          /* the files.jsonl record's seq */
    char *path;            /* as in files.jsonl (ward's reversible escapes) */
    char md5[33], sha1[41], sha256[65]; /* lower-case hex, "" if absent */
    char media[16];        /* "jpeg", "mp4", ... */
    uint64_t size;
    int video;             /* class new-video */
    int npdq;              /* 0, 1 (original only) or 8 (dihedral) */
    ward_pdq pdq[8];
    int pdq_quality;
    ward_vpdq vpdq;        /* videos: the frames the scan hashed (files.jsonl
                              "vpdq"); empty for images */
    int has_inode;         /* a file in a disk image with its "inode" recorded */
    uint64_t inode;        /* its file-system metadata address: it is re-read by it */
    size_t group;          /* index into queue->groups */
} ward_grade_item;

typedef struct ward_grade_group {
    uint64_t id;           /* the smallest seq of its members: stable on reload */
    size_t first, count;   /* its items: queue->members[first .. first+count) */
    ward_grade_reason reason;
    int near_distance;     /* WARD_GRADE_NEAR_ALERT: bits to the nearest alert entry */
    char why[160];         /* the reason in words */
    /* A grade a member already has elsewhere, in words: an entry of the
     * store of opts.datadir ("in list graded as projectvic 1, verified by
     * two graders"), else a grade in its intake awaiting a second grader
     * ("projectvic 1 by alice (Unit 7), awaiting a second grader"); "" if
     * none. A prompt, not a decision. */
    char prior[160];
} ward_grade_group;

typedef struct ward_grade_queue {
    ward_grade_item *items;  /* in files.jsonl order */
    size_t nitems;
    ward_grade_group *groups;/* in review order */
    size_t ngroups;
    size_t *members;         /* item indices, grouped */
    char *report_dir;
} ward_grade_queue;

/* Default PDQ radius for grouping new images: ThreatExchange's match
 * radius. Up to 47 is accepted, at about 8 times the cost above 31. */
#define WARD_GRADE_GROUP_RADIUS WARD_INDEX_PDQ_RADIUS

typedef struct ward_grade_opts {
    int radius;            /* PDQ bits within which two new images group (default 31, at most 47) */
    int near_lo, near_hi;  /* "near an alert entry" band (default 32..60) */
    const char *datadir;   /* store whose index is searched for the band and
                              whose grade intake pre-fills `prior`; NULL: skip */
    const char *store_url; /* that store when datadir has no store.url
                              (NULL: SQLite in datadir; store.h) */
} ward_grade_opts;

void ward_grade_opts_default(ward_grade_opts *o);

/* Read DIR/files.jsonl, group and order its new images and videos.
 * WARD_EIO when files.jsonl cannot be read, WARD_EFORMAT for a record
 * without seq or path (named by line). */
ward_status ward_grade_queue_load(const char *report_dir, const ward_grade_opts *o,
                                  ward_grade_queue **out, ward_error *err);
void ward_grade_queue_free(ward_grade_queue *q);
/* The group with this id, or NULL. */
const ward_grade_group *ward_grade_queue_find(const ward_grade_queue *q, uint64_t id);

/* ---- the log of decisions ---------------------------------------------- */

typedef struct ward_grade_decision {
    uint64_t group;        /* group id */
    char category[16];     /* "A", "B", "C" (uk) or "0".."4" (projectvic), or "not-relevant" */
    char series[64];       /* "" if none */
    int identifiable;      /* the victim may be identifiable */
    char grader[64];
    char time[32];         /* UTC ISO 8601 */
} ward_grade_decision;

typedef struct ward_grade_exposure {
    uint64_t revealed;     /* items shown unblurred */
    double minutes;        /* time spent in grading sessions */
} ward_grade_exposure;

typedef struct ward_grade_log ward_grade_log;

/* Open (creating) DIR/grade/grades.jsonl and replay it. `scheme` is "uk" or
 * "projectvic", or NULL for the log's own (uk for a new log); a log
 * started under one scheme refuses the other (WARD_EINVAL). A damaged last line (a crash mid-write) is ignored;
 * any other bad line is WARD_EFORMAT naming it. */
ward_status ward_grade_log_open(const char *report_dir, const char *scheme,
                                ward_grade_log **out, ward_error *err);
void ward_grade_log_close(ward_grade_log *g);
const char *ward_grade_log_scheme(const ward_grade_log *g);
/* Whether `category` is a grade of the log's scheme (or "not-relevant"). */
int ward_grade_category_valid(const char *scheme, const char *category);

/* Grade a group (replacing an earlier grade of it). Appended and flushed
 * before it returns. */
ward_status ward_grade_log_set(ward_grade_log *g, const ward_grade_decision *d,
                               ward_error *err);
/* Undo `grader`'s last decision still in force; *group gets its id, 0 if
 * there was none. */
ward_status ward_grade_log_undo(ward_grade_log *g, const char *grader, uint64_t *group,
                                ward_error *err);
/* The decision in force for a group, or NULL. */
const ward_grade_decision *ward_grade_log_get(const ward_grade_log *g, uint64_t group);
size_t ward_grade_log_count(const ward_grade_log *g);

/* Exposure: an item was shown unblurred to `grader`; a session of
 * `minutes` ended. */
ward_status ward_grade_log_reveal(ward_grade_log *g, const char *grader, uint64_t seq,
                                  ward_error *err);
ward_status ward_grade_log_session(ward_grade_log *g, const char *grader, double minutes,
                                   ward_error *err);
void ward_grade_log_exposure(const ward_grade_log *g, const char *grader,
                             ward_grade_exposure *out);

/* ---- evidence ---------------------------------------------------------- */

/* Re-read an item from the evidence (a host file, a member of an archive
 * read through the source layer by its path, or a file of a disk image by
 * its inode, so that a deleted file and a live one of the same name are
 * each read as themselves; a disk image inside an archive is copied to a
 * temporary file in spool_dir first, as the scan did: NULL, P_tmpdir),
 * verify its SHA-256, decode
 * it and make a greyscale thumbnail of at most max_side pixels, encoded as
 * JPEG into *jpeg (malloc'd, *len bytes). The thumbnail is not blurred here:
 * the page blurs it until the examiner reveals it. A video gives a strip of
 * up to 6 frames sampled across its length, each at most max_side/2.
 * WARD_ENOTFOUND: the item is gone; WARD_EFORMAT with "digest mismatch":
 * the bytes changed (nothing was decoded); WARD_EUNSUPPORTED: not an image
 * or video ward decodes. */
ward_status ward_grade_item_thumb(const ward_grade_item *it, int max_side,
                                  const char *spool_dir, uint8_t **jpeg, size_t *len,
                                  ward_error *err);

/* ---- contribution ------------------------------------------------------ */

/* Write a VICS 2.0 contribution of every graded, relevant group's items to
 * `path` (atomically): MD5, SHA1, SHA256, PDQ, Category (Project VIC code;
 * UK grades as "Category": null with the grade in "ward:Grade"), Series,
 * VictimIdentified, and the grader, unit and time in "ward:Grader",
 * "ward:Unit", "ward:GradedAt" and Comments; a video's vPDQ frames in
 * "ward:vPDQ". The case names the scan by the SHA-256 of its files.jsonl
 * ("ward:ScanFilesSHA256"), never by path. *count gets the Media written. */
ward_status ward_grade_export_vics(const ward_grade_queue *q, const ward_grade_log *g,
                                   const char *unit, const char *path, size_t *count,
                                   ward_error *err);

/* ---- intake on the national node: the two-person rule ------------------ */

/* Two graders must agree before a grade makes an alert entry. */
#define WARD_GRADE_VERIFIERS 2

typedef struct ward_grade_intake_summary {
    size_t grades;     /* grades read from the contributions */
    size_t promoted;   /* pictures verified now and imported into the list */
    size_t pending;    /* pictures waiting for another grader */
    size_t conflicts;  /* pictures with different grades (never promoted) */
    uint64_t import_id;/* the store import that added them (provenance), 0 if none */
} ward_grade_intake_summary;

/* Read contributions (ward_grade_export_vics files) into the store's grade
 * intake (the table grade_votes of the store of datadir, migration 5: on a
 * store shared by several nodes their grades meet; a node's
 * DATADIR/grade-intake.jsonl from before is moved in once), each file
 * recorded in the store's imports (ward_store_log_intake: path, SHA-256,
 * grades held) and named by its import beside each of its grades with the
 * scan it was graded from, then import every picture that `verifiers`
 * different graders gave the same grade, and nobody another, into `list`
 * (created with the grades' scheme) through the store's import, which
 * records the provenance; graders, units, times and the imports of their
 * contributions go in each entry's tags ("graded by alice (Unit 7, TIME,
 * import 3)"). A verified video's frames of quality >= 50 (its
 * "ward:vPDQ") become PDQ entries too, tagged video-frame, whose media id
 * is the video's SHA-256, as a vPDQ list's frames are: a later scan
 * matches another encoding of it. A picture is promoted once. WARD_EFORMAT
 * names a file that is not a contribution, a Media without SHA256, grader
 * or grade, or a vPDQ frame without a valid pdq or quality. */
ward_status ward_grade_intake(const char *datadir, const char *store_url, const char *list,
                              int verifiers, const char *const *files, size_t nfiles,
                              ward_grade_intake_summary *sum, ward_error *err);

/* Whether a file is a contribution written by ward_grade_export_vics (its
 * first 4 KiB say "ward:Contribution":true), for `ward db import`. */
int ward_grade_is_contribution(const char *path);

/* Each grade of each picture graded differently by different graders,
 * grouped by picture, with the store import of the contribution it came in
 * (0 for grades taken in before imports were recorded); *count gets the
 * number of pictures. */
typedef void (*ward_grade_conflict_fn)(void *ctx, const char *sha256, const char *scheme,
                                       const char *category, const char *grader,
                                       const char *unit, const char *time,
                                       uint64_t import_id);
ward_status ward_grade_conflicts(const char *datadir, const char *store_url,
                                 ward_grade_conflict_fn fn, void *ctx, size_t *count,
                                 ward_error *err);

/* ---- the grading view -------------------------------------------------- */

typedef struct ward_grade_serve_opts {
    int port;              /* 0: any free port */
    const char *grader;
    int break_minutes;     /* remind after this many minutes (default 20; 0 never) */
    int max_side;          /* thumbnail size (default 256) */
    const char *spool_dir; /* ward_grade_item_thumb's (NULL: P_tmpdir) */
    /* Called once listening with the URL (http://127.0.0.1:PORT/?t=TOKEN). */
    void (*on_ready)(void *ctx, const char *url);
    void *ctx;
    volatile int *stop;    /* serve until *stop is set */
} ward_grade_serve_opts;

/* Serve the grading page on 127.0.0.1 only, with a one-time random token
 * every request must carry. Returns when *stop is set. */
ward_status ward_grade_serve(const ward_grade_queue *q, ward_grade_log *g,
                             const ward_grade_serve_opts *o, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
