/* Internal helpers of the grade room. */
#ifndef WARD_GRADE_INT_H
#define WARD_GRADE_INT_H
#include <stddef.h>
#include <stdint.h>
#include <ward/grade.h>
#include <ward/store.h>
#include <ward/vpdq.h>
#include <yajl/yajl_tree.h>

/* A set of byte strings (open addressing; FNV-1a). */
typedef struct grade_strset {
    char **keys;
    size_t *lens;
    size_t cap, count;
} grade_strset;

/* 1 added, 0 already there, -1 out of memory. */
int grade_strset_add(grade_strset *s, const char *key, size_t len);
int grade_strset_has(const grade_strset *s, const char *key, size_t len);
void grade_strset_free(grade_strset *s);

/* Create DIR/grade (mode 0700: grades are case data). */
ward_status grade_mkdir(const char *report_dir, ward_error *err);
/* Now as UTC ISO 8601 with seconds, "2026-12-07T04:50:09Z". */
void grade_now(char out[32]);

/* A video's frames as ward writes them, {"frame","timestamp","pdq",
 * "quality"} (files.jsonl's "vpdq", a contribution's "ward:vPDQ"),
 * appended to out: 0, or 1 + the index of the first frame without a valid
 * pdq or quality (out then holds the frames before it); -1 out of memory. */
long grade_frames(yajl_val frames, ward_vpdq *out);

/* ---- the intake's grades, kept in the store (votes.c; migration 5) ---- */

typedef struct grade_vote {
    char sha256[65], md5[33], sha1[41], pdq[65];
    int pdq_quality;
    char scheme[16], category[16], series[64], grader[64], unit[64], time[32];
    char scan[65];     /* SHA-256 of the files.jsonl it was graded from, "" unknown */
    uint64_t import;   /* the imports row of the contribution it came in, 0 unknown */
    char *vpdq;        /* a video's good frames in vPDQ text form, else NULL */
    int promoted;      /* the picture is an entry already */
} grade_vote;

typedef struct grade_votes {
    grade_vote *v;
    size_t n, cap;
} grade_votes;

/* A new zeroed vote at the end; NULL when out of memory. */
grade_vote *grade_votes_add(grade_votes *in);
void grade_votes_free(grade_votes *in);

/* The store of datadir with the intake's grades. A node's
 * DATADIR/grade-intake.jsonl (the intake before migration 5) is moved into
 * it first, once, and renamed grade-intake.jsonl.imported; the store is
 * then opened read-write even when `write` is 0. */
ward_status grade_votes_open(const char *datadir, const char *store_url, int write, ward_store **s,
                             ward_error *err);
/* Each vote with a category kept (a later grade of the same picture and
 * grader replaces the earlier), each promoted one marked, in one
 * transaction; `taken` is now. */
ward_status grade_votes_put(ward_store *s, const grade_votes *in, ward_error *err);
/* Every vote (or only those of pictures not promoted yet), by picture, then
 * in the order taken in. */
ward_status grade_votes_load(ward_store *s, int unpromoted, grade_votes *out, ward_error *err);
#endif
