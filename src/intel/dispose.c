/*
 * Disposal: deleting a subject's personal data once a person has decided
 * it is no longer to be kept. retention.c records the decision; this file
 * carries it out, in one transaction, and leaves a tombstone.
 *
 * What goes: the referral records that made up the subject with every
 * value (as received and normalised), their file-hash hits, factors,
 * assessments, overrides, packages with their versions and lifecycle
 * events, alerts naming the subject or its packages, and the analysts'
 * link decisions about its records. The same goes for subjects merged into
 * it earlier (retired, their packages closed as 'merged' but still holding
 * snapshots of the same records).
 *
 * What stays: the subjects row (active 0, with when, by whom, why and the
 * counts removed), so ids stay stable and are never reused; the subject's
 * history of decisions; the audit trail; batches with their counts. A
 * later referral about the same person is a new record the resolver has
 * never seen with no old subject to claim, so it becomes a new subject.
 *
 * Deleted content must not linger in the file: the transaction runs with
 * secure_delete on (freed cells and pages are zeroed), and the WAL is
 * checkpointed and truncated afterwards so that neither intel.db nor
 * intel.db-wal holds an old copy of a page.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

/* gone: the subject ?1 and every retired subject merged into it, however
 * long ago (merges chain); recs: their records. */
#define GONE_CTE                                                                      \
    "WITH RECURSIVE gone(s) AS (SELECT CAST(?1 AS INTEGER) UNION SELECT h.other"    \
    "  FROM subject_history h JOIN gone ON h.subject = gone.s"                      \
    "  JOIN subjects x ON x.id = h.other"                                           \
    "  WHERE h.action = 'merge' AND x.active = 0 AND x.disposed IS NULL),"           \
    " recs(r) AS (SELECT record FROM subject_records"                               \
    "  WHERE subject IN (SELECT s FROM gone)),"                                     \
    " pkgs(p) AS (SELECT id FROM packages WHERE subject IN (SELECT s FROM gone)) "

/* Table by table, in an order that leaves no row pointing at a deleted
 * one (vals and records before subject_records, which recs is read from). */
static const struct {
    const char *what, *table, *where;
} parts[] = {
    {"referral records", "records", "id IN (SELECT r FROM recs)"},
    {"values (as received and normalised)", "vals", "record IN (SELECT r FROM recs)"},
    {"file-hash hits", "file_hits", "record IN (SELECT r FROM recs)"},
    {"link decisions", "link_decisions", "rec_a IN (SELECT r FROM recs) OR rec_b IN (SELECT r FROM recs)"},
    {"risk factors", "factors", "subject IN (SELECT s FROM gone) OR record IN (SELECT r FROM recs)"},
    {"assessments", "assessments", "subject IN (SELECT s FROM gone)"},
    {"overrides", "overrides", "subject IN (SELECT s FROM gone)"},
    {"alerts", "alerts", "subject IN (SELECT s FROM gone) OR package IN (SELECT p FROM pkgs)"},
    {"package events", "package_events", "package IN (SELECT p FROM pkgs)"},
    {"package versions", "package_versions", "package IN (SELECT p FROM pkgs)"},
    {"packages", "packages", "id IN (SELECT p FROM pkgs)"},
    {"subject memberships", "subject_records", "subject IN (SELECT s FROM gone)"},
    /* the report room's rows about these records (schema 7, src/report):
     * a public report's answers as given, and the duty queue's entries
     * with their checklist, whose details name people too */
    {"public-form answers", "public_reports", "record IN (SELECT r FROM recs)"},
    {"duty steps", "duty_steps", "duty IN (SELECT id FROM duty WHERE record IN (SELECT r FROM recs))"},
    {"duty entries", "duty", "record IN (SELECT r FROM recs)"},
    /* ISP subscriber requests about its IP events and their answers
     * (schema 8, isp.c): what was asked about whom */
    {"ISP answers", "isp_answers", "request IN (SELECT id FROM isp_requests WHERE subject IN"
     " (SELECT s FROM gone) OR record IN (SELECT r FROM recs))"},
    {"ISP requests", "isp_requests", "subject IN (SELECT s FROM gone) OR record IN"
     " (SELECT r FROM recs)"},
};
#define N_PARTS (sizeof parts / sizeof *parts)

/* The deletions run in the order below: rows that name records first,
 * records after their values, memberships last. */
static const int delete_order[N_PARTS] = {15, 16, 2, 3, 4, 12, 13, 14, 1, 0, 5, 6, 7, 8, 9, 10,
                                           11};

/* count: SELECT count(*); else DELETE. *n the rows counted or deleted. */
static ward_status part(ward_intel *in, size_t i, int64_t id, int count, int64_t *n,
                        ward_error *err)
{
    char sql[1024];
    snprintf(sql, sizeof sql, GONE_CTE "%s FROM %s WHERE %s",
             count ? "SELECT count(*)" : "DELETE", parts[i].table, parts[i].where);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, sql, &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    int step = wsql_step(st);
    if (count && step == SQLITE_ROW)
        *n = wsql_column_int64(st, 0);
    else if (!count && step == SQLITE_DONE)
        *n = wsql_changes(in->db);
    else
        rc = wi_sqlfail(in, err, count ? "disposal preview" : "disposal");
    wsql_finalize(st);
    return rc;
}

ward_status ward_intel_disposal_preview(ward_intel *in, const char *subject, FILE *out,
                                        ward_error *err)
{
    int64_t id = wi_subject_num(subject);
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    fprintf(out, "a disposal of %s would remove:\n", subject);
    for (size_t i = 0; i < N_PARTS; i++) {
        int64_t n = 0;
        ward_status rc = part(in, i, id, 1, &n, err);
        if (rc)
            return rc;
        fprintf(out, "  %8lld %s\n", (long long)n, parts[i].what);
    }
    fputs("the audit trail, the subject's history of decisions and a tombstone would be kept;"
          " nothing has been deleted\n", out);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the preview") : WARD_OK;
}

/* The latest change to the subject other than a retention decision: a new
 * referral (its batch's intake time), an assessment, an override, a merge
 * or split, a package event. "" if none. */
static const char last_change_sql[] =
    "SELECT max(at) FROM ("
    " SELECT b.ingested AS at FROM subject_records sr JOIN records r ON r.id = sr.record"
    "  JOIN batches b ON b.id = r.batch WHERE sr.subject = ?1"
    " UNION ALL SELECT at FROM assessments WHERE subject = ?1"
    " UNION ALL SELECT at FROM overrides WHERE subject = ?1"
    " UNION ALL SELECT at FROM subject_history WHERE (subject = ?1 OR other = ?1)"
    "  AND action NOT LIKE 'retention%'"
    " UNION ALL SELECT e.at FROM package_events e JOIN packages p ON p.id = e.package"
    "  WHERE p.subject = ?1) AS changes";

/* Disposal carries out a decision only while it still stands: the latest
 * decision is dispose (a later keep replaces it) and nothing about the
 * subject changed after it was taken (a new referral or assessment is
 * something the person deciding did not see). */
ward_status ward_intel_disposal_check(ward_intel *in, const char *subject, ward_error *err)
{
    int64_t id = wi_subject_num(subject);
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT active, disposed, coalesce(retention, ''),"
                                    " coalesce(retention_at, '') FROM subjects WHERE id = ?",
                                &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    char decision[16] = "", at[32] = "", changed[32] = "";
    int step = wsql_step(st), active = 0, disposed = 0;
    if (step == SQLITE_ROW) {
        active = wsql_column_int(st, 0);
        disposed = wsql_column_type(st, 1) != SQLITE_NULL;
        snprintf(decision, sizeof decision, "%s", wi_col(st, 2));
        snprintf(at, sizeof at, "%s", wi_col(st, 3));
    }
    wsql_finalize(st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? err_fail(err, WARD_ENOTFOUND, "no subject %s", subject)
                                   : wi_sqlfail(in, err, "disposal");
    if (disposed)
        return err_fail(err, WARD_ENOTFOUND, "%s was disposed of already", subject);
    if (!active)
        return err_fail(err, WARD_EINVAL, "%s was merged into another subject: decide on"
                         " that one", subject);
    if (strcmp(decision, "dispose"))
        return err_fail(err, WARD_EINVAL, "%s is not marked for disposal (latest decision:"
                         " %s): 'ward intel retain %s --dispose --reason ...' first", subject,
                         decision[0] ? decision : "none", subject);
    if ((rc = wi_prepare(in, last_change_sql, &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    if (wsql_step(st) == SQLITE_ROW)
        snprintf(changed, sizeof changed, "%s", wi_col(st, 0));
    else
        rc = wi_sqlfail(in, err, "disposal");
    wsql_finalize(st);
    if (!rc && strcmp(changed, at) > 0)
        rc = err_fail(err, WARD_EINVAL, "%s changed at %s, after it was marked for disposal at"
                       " %s: a person must decide again", subject, changed, at);
    return rc;
}

static ward_status tombstone(ward_intel *in, int64_t id, const ward_intel_disposal *d,
                             ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in, GONE_CTE "UPDATE subjects SET active = 0, disposed = ?2, disposed_by = ?3,"
                     " disposed_reason = ?4, disposed_removed = ?5, grade = NULL,"
                     " grade_reasons = NULL, review_by = NULL, retain_until = NULL"
                     " WHERE id IN (SELECT s FROM gone)", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    wsql_bind_text(st, 2, d->at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, d->by, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, d->reason, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, d->removed, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "tombstone");
    wsql_finalize(st);
    if (rc || (rc = wi_prepare(in, "INSERT INTO subject_history(at, action, subject, detail, by)"
                                   " VALUES(?,'disposal',?,?,?)", &st, err)))
        return rc;
    char detail[900];
    snprintf(detail, sizeof detail, "%s; removed %s", d->reason, d->removed);
    wsql_bind_text(st, 1, d->at, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 2, id);
    wsql_bind_text(st, 3, detail, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 4, d->by, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "subject history");
    wsql_finalize(st);
    return rc;
}

static ward_status delete_all(ward_intel *in, int64_t id, ward_intel_disposal *d,
                              ward_error *err)
{
    int64_t n[N_PARTS] = {0};
    ward_status rc = WARD_OK;
    for (size_t k = 0; k < N_PARTS && !rc; k++)
        rc = part(in, (size_t)delete_order[k], id, 0, &n[delete_order[k]], err);
    size_t len = 0;
    for (size_t i = 0; i < N_PARTS && !rc && len < sizeof d->removed; i++)
        len += (size_t)snprintf(d->removed + len, sizeof d->removed - len, "%s%lld %s",
                                i ? ", " : "", (long long)n[i], parts[i].what);
    return rc;
}

ward_status ward_intel_dispose(ward_intel *in, const char *subject, const char *who,
                               const char *reason, time_t now, ward_intel_disposal *d,
                               ward_error *err)
{
    memset(d, 0, sizeof *d);
    int64_t id;
    ward_status rc = wi_decision_args("a disposal", subject, who, reason, &id, err);
    if (rc)
        return rc;
    wi_subject_id(id, d->subject);
    wi_time_str(now, d->at);
    snprintf(d->by, sizeof d->by, "%s", who);
    snprintf(d->reason, sizeof d->reason, "%s", reason);
    int64_t secure = 0;
    int lite = wsql_sqlite(in->db) != NULL; /* secure_delete is SQLite's */
    if (lite && ((rc = wi_query_int(in, "PRAGMA secure_delete", NULL, 0, &secure, err)) ||
                 (rc = wi_exec(in, "PRAGMA secure_delete = ON", err))))
        return rc;
    rc = wi_begin(in, err);
    if (!rc)
        rc = ward_intel_disposal_check(in, d->subject, err);
    if (!rc)
        rc = delete_all(in, id, d, err);
    if (!rc)
        rc = tombstone(in, id, d, err);
    if (!rc) {
        /* The audit row names the subject and counts only: what was
         * removed must not survive in the trail of its removal. */
        wi_audit(in, now, who, "intel.dispose", d->subject, d->removed);
        rc = wi_commit(in, err);
    }
    if (rc)
        wi_rollback(in);
    if (!rc && wsql_sqlite(in->db)) {
        int log = -1, done = -1;
        d->file_cleared = sqlite3_wal_checkpoint_v2(wsql_sqlite(in->db), NULL,
                                                    SQLITE_CHECKPOINT_TRUNCATE, &log,
                                                    &done) == SQLITE_OK;
    }
    /* On PostgreSQL the deleted row versions stay in the server's pages
     * until VACUUM reuses them: file_cleared stays 0 and says so. */
    char restore[48];   /* as it was: 0, 1 or 2 (FAST) */
    snprintf(restore, sizeof restore, "PRAGMA secure_delete = %lld", (long long)secure);
    if (lite)
        wsql_exec(in->db, restore, NULL, NULL, NULL);
    return rc;
}

ward_status ward_intel_disposal_get(ward_intel *in, const char *subject, ward_intel_disposal *d,
                                    ward_error *err)
{
    memset(d, 0, sizeof *d);
    int64_t id = wi_subject_num(subject);
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT disposed, disposed_by, disposed_reason,"
                                    " disposed_removed FROM subjects WHERE id = ?"
                                    " AND disposed IS NOT NULL", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    int step = wsql_step(st);
    if (step == SQLITE_ROW) {
        wi_subject_id(id, d->subject);
        snprintf(d->at, sizeof d->at, "%s", wi_col(st, 0));
        snprintf(d->by, sizeof d->by, "%s", wi_col(st, 1));
        snprintf(d->reason, sizeof d->reason, "%s", wi_col(st, 2));
        snprintf(d->removed, sizeof d->removed, "%s", wi_col(st, 3));
    } else
        rc = step == SQLITE_DONE ? err_fail(err, WARD_ENOTFOUND, "%s was not disposed of",
                                             subject)
                                 : wi_sqlfail(in, err, "tombstone");
    wsql_finalize(st);
    return rc;
}
