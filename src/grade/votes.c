/*
 * The intake's grades in the hash-set store (tables grade_votes and
 * grade_promoted, store migration 5), so that on a store shared by several
 * nodes (PostgreSQL) the grades taken in on one node meet those taken in on
 * another. Written through wsql: the same statements run on SQLite and
 * PostgreSQL. Writes here leave the store revision alone: it names a state
 * of the hash sets, which a grade waiting for a second grader does not
 * change (the promotion is an ordinary import, which moves it).
 *
 * Before migration 5 each node kept its grades in DATADIR/grade-intake.jsonl.
 * grade_votes_open moves such a file into the store once (in one
 * transaction; a later grade there replaces an earlier one of the same
 * picture and grader, as it did in the file) and renames it
 * grade-intake.jsonl.imported, kept for the record. Moving is idempotent: a
 * crash between the commit and the rename moves the same grades again.
 */
#include "grade/grade_int.h"
#include "scan/jsonl.h"
#include "store/store_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEGACY "grade-intake.jsonl"

grade_vote *grade_votes_add(grade_votes *in)
{
    grade_vote *p = wst_grow(in->v, &in->cap, in->n, sizeof *p);
    if (!p) return NULL;
    in->v = p;
    memset(&p[in->n], 0, sizeof *p);
    return &p[in->n++];
}

void grade_votes_free(grade_votes *in)
{
    for (size_t i = 0; i < in->n; i++) free(in->v[i].vpdq);
    free(in->v);
    memset(in, 0, sizeof *in);
}

/* BEGIN IMMEDIATE (on PostgreSQL an advisory lock: nodes' writers queue)
 * without the revision bump of wst_begin; end() commits or rolls back. */
static ward_status begin(ward_store *s, ward_error *err)
{
    if (s->readonly) return err_fail(err, WARD_EINVAL, "%s: store is open read-only", s->path);
    return wst_exec(s, "BEGIN IMMEDIATE", err);
}

static ward_status end(ward_store *s, ward_status rc, ward_error *err)
{
    if (rc == WARD_OK) rc = wst_exec(s, "COMMIT", err);
    if (rc && !wsql_get_autocommit(s->db)) wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static ward_status step_done(ward_store *s, wsql_stmt *st, const char *what, ward_error *err)
{
    int r = wsql_step(st);
    wsql_reset(st);
    return r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, what);
}

/* An import id bound where the row may be gone (a moved file naming
 * another store's import): NULL rather than a foreign-key failure. */
#define IMPORT_OR_NULL "(SELECT id FROM imports WHERE id = ?)"

static ward_status put_vote(ward_store *s, wsql_stmt *st, const grade_vote *v, const char *now,
                            ward_error *err)
{
    const char *text[] = {v->sha256, v->grader, v->md5,      v->sha1,     v->pdq,
                          v->scheme, v->category, v->series, v->unit,     v->time,
                          v->scan};
    int i = 1;
    for (size_t k = 0; k < 5; k++) wsql_bind_text(st, i++, text[k], -1, SQLITE_STATIC);
    wsql_bind_int(st, i++, v->pdq_quality);
    if (v->vpdq) wsql_bind_text(st, i++, v->vpdq, -1, SQLITE_STATIC);
    else wsql_bind_null(st, i++);
    for (size_t k = 5; k < 11; k++) wsql_bind_text(st, i++, text[k], -1, SQLITE_STATIC);
    wsql_bind_int64(st, i++, (wsql_int64)v->import);
    wsql_bind_text(st, i, now, -1, SQLITE_STATIC);
    return step_done(s, st, "keeping a grade", err);
}

static ward_status put_promoted(ward_store *s, wsql_stmt *st, const grade_vote *v,
                                const char *now, ward_error *err)
{
    wsql_bind_text(st, 1, v->sha256, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 2, (wsql_int64)v->import);
    wsql_bind_text(st, 3, now, -1, SQLITE_STATIC);
    return step_done(s, st, "marking a picture promoted", err);
}

ward_status grade_votes_put(ward_store *s, const grade_votes *in, ward_error *err)
{
    char now[32];
    wst_now(now);
    wsql_stmt *vote = NULL, *prom = NULL;
    ward_status rc = begin(s, err);
    if (rc) return rc;
    if (!(rc = wst_prepare(s,
                           "INSERT INTO grade_votes(sha256, grader, md5, sha1, pdq, pdq_quality,"
                           " vpdq, scheme, category, series, unit, graded_at, scan, import_id,"
                           " taken) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " IMPORT_OR_NULL
                           ", ?) ON CONFLICT(sha256, grader) DO UPDATE SET md5 = excluded.md5,"
                           " sha1 = excluded.sha1, pdq = excluded.pdq,"
                           " pdq_quality = excluded.pdq_quality, vpdq = excluded.vpdq,"
                           " scheme = excluded.scheme, category = excluded.category,"
                           " series = excluded.series, unit = excluded.unit,"
                           " graded_at = excluded.graded_at, scan = excluded.scan,"
                           " import_id = excluded.import_id, taken = excluded.taken",
                           &vote, err)) &&
        !(rc = wst_prepare(s,
                           "INSERT OR IGNORE INTO grade_promoted(sha256, import_id, at)"
                           " VALUES(?, " IMPORT_OR_NULL ", ?)",
                           &prom, err)))
        for (size_t i = 0; i < in->n && rc == WARD_OK; i++) {
            const grade_vote *v = &in->v[i];
            if (v->category[0]) rc = put_vote(s, vote, v, now, err);
            if (rc == WARD_OK && v->promoted) rc = put_promoted(s, prom, v, now, err);
        }
    wsql_finalize(vote);
    wsql_finalize(prom);
    return end(s, rc, err);
}

static void copy_col(char *dst, size_t cap, wsql_stmt *st, int i)
{
    const char *v = wst_text(st, i);
    snprintf(dst, cap, "%s", v ? v : "");
}

static int fill_vote(void *ctx, wsql_stmt *st, void *elem)
{
    (void)ctx;
    grade_vote *v = elem;
    memset(v, 0, sizeof *v);
    copy_col(v->sha256, sizeof v->sha256, st, 0);
    copy_col(v->grader, sizeof v->grader, st, 1);
    copy_col(v->md5, sizeof v->md5, st, 2);
    copy_col(v->sha1, sizeof v->sha1, st, 3);
    copy_col(v->pdq, sizeof v->pdq, st, 4);
    v->pdq_quality = wsql_column_int(st, 5);
    copy_col(v->scheme, sizeof v->scheme, st, 6);
    copy_col(v->category, sizeof v->category, st, 7);
    copy_col(v->series, sizeof v->series, st, 8);
    copy_col(v->unit, sizeof v->unit, st, 9);
    copy_col(v->time, sizeof v->time, st, 10);
    copy_col(v->scan, sizeof v->scan, st, 11);
    v->import = (uint64_t)wsql_column_int64(st, 12);
    const char *vpdq = wst_text(st, 13);
    if (vpdq && !(v->vpdq = strdup(vpdq))) return 1;
    v->promoted = wsql_column_int(st, 14);
    return 0;
}

ward_status grade_votes_load(ward_store *s, int unpromoted, grade_votes *out, ward_error *err)
{
    memset(out, 0, sizeof *out);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT v.sha256, v.grader, v.md5, v.sha1, v.pdq, v.pdq_quality, v.scheme,"
             " v.category, v.series, v.unit, v.graded_at, v.scan, coalesce(v.import_id, 0),"
             " v.vpdq, CASE WHEN p.sha256 IS NULL THEN 0 ELSE 1 END"
             " FROM grade_votes v LEFT JOIN grade_promoted p ON p.sha256 = v.sha256"
             "%s ORDER BY v.sha256, v.id",
             unpromoted ? " WHERE p.sha256 IS NULL" : "");
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc) return rc;
    wst_rows rows = {.size = sizeof(grade_vote)};
    rc = wst_keep_rows(s, st, &rows, fill_vote, NULL, "reading the grade intake", err);
    out->v = rows.v;
    out->n = rows.n;
    out->cap = rows.cap;
    return rc;
}

/* ---- the per-node file of before migration 5 ---------------------------- */

/* One line of the file: a grade, or {"sha256","grader","promoted":true}. */
static int legacy_line(void *ctx, yajl_val o)
{
    const char *sha = jv_str(o, "sha256"), *grader = jv_str(o, "grader");
    if (!sha || !grader) return 0;
    grade_vote *v = grade_votes_add(ctx);
    if (!v) return 1;
    snprintf(v->sha256, sizeof v->sha256, "%s", sha);
    snprintf(v->grader, sizeof v->grader, "%s", grader);
    if (jv_bool(o, "promoted")) {
        v->promoted = 1;
        return 0;
    }
#define COPY(f, key) snprintf(v->f, sizeof v->f, "%s", jv_str(o, key) ? jv_str(o, key) : "")
    COPY(md5, "md5");
    COPY(sha1, "sha1");
    COPY(pdq, "pdq");
    COPY(scheme, "scheme");
    COPY(category, "category");
    COPY(series, "series");
    COPY(unit, "unit");
    COPY(time, "time");
    COPY(scan, "scan");
#undef COPY
    v->pdq_quality = (int)jv_int(o, "pdq_quality", 0);
    long long imp = jv_int(o, "import", 0);
    v->import = imp > 0 ? (uint64_t)imp : 0;
    return 0;
}

static ward_status move_legacy(ward_store *s, const char *path, ward_error *err)
{
    grade_votes in = {0};
    long bad = 0;
    ward_status rc = WARD_OK;
    if (jsonl_each(path, 0, legacy_line, &in, &bad) < 0)
        rc = errno == ENOENT ? WARD_OK : err_fail_errno(err, errno, "cannot read %s", path);
    else if (bad)
        rc = err_fail(err, WARD_EFORMAT, "%s: %ld lines are not JSON; nothing moved into the "
                       "store", path, bad);
    else if (!(rc = grade_votes_put(s, &in, err))) {
        char done[4200];
        snprintf(done, sizeof done, "%s.imported", path);
        if (rename(path, done) != 0 && errno != ENOENT) /* ENOENT: another process moved it */
            rc = err_fail_errno(err, errno, "%s moved into the store, but cannot rename it to %s",
                                 path, done);
    }
    grade_votes_free(&in);
    return rc;
}

ward_status grade_votes_open(const char *datadir, const char *store_url, int write, ward_store **s,
                             ward_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" LEGACY, datadir);
    int legacy = access(path, F_OK) == 0;
    ward_status rc =
        ward_store_open(datadir, store_url, write || legacy ? 0 : WARD_STORE_READONLY, s, err);
    if (rc == WARD_OK && legacy && (rc = move_legacy(*s, path, err))) {
        ward_store_close(*s);
        *s = NULL;
    }
    return rc;
}
