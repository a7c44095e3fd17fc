/*
 * Retention and review dates on subjects. Dates only put a subject before
 * a person: an open subject is reviewed a fixed interval after its last
 * change, a closed one (every package has an outcome) is kept for its
 * outcome's period. A person then keeps it, with a reason, or marks it for
 * disposal. Nothing here deletes anything: dispose.c carries out a standing
 * dispose decision when someone asks it to.
 */
#include "intel/intel_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* review_by never moves back: a keep decision may have pushed it beyond
 * what the last change alone gives. retain_until is the latest outcome's
 * time plus the longest period among the subject's outcomes; NULL while
 * any package is open. ?1 is one subject, or 0 for all. Retention
 * decisions themselves are not changes (they would push the review on by
 * themselves only through 'keep').
 *
 * The query finds the last change and, as a Julian day number, the end of
 * the longest retention; refresh() writes the dates from them, because
 * SQLite's date modifiers have no PostgreSQL spelling while julianday()
 * means the same on both. */
static const char refresh_sql[] =
    "WITH changed(subject, at) AS ("
    "  SELECT id, created FROM subjects"
    "  UNION ALL SELECT subject, at FROM assessments"
    "  UNION ALL SELECT subject, at FROM overrides"
    "  UNION ALL SELECT subject, at FROM subject_history WHERE action NOT LIKE 'retention%'"
    "  UNION ALL SELECT other, at FROM subject_history"
    "   WHERE other IS NOT NULL AND action NOT LIKE 'retention%'"
    "  UNION ALL SELECT p.subject, e.at FROM package_events e JOIN packages p ON p.id = e.package),"
    " last(subject, at) AS (SELECT subject, max(at) FROM changed"
    "  WHERE ?1 = 0 OR subject = ?1 GROUP BY subject),"
    " pk(subject, open, until) AS (SELECT subject, sum(outcome IS NULL),"
    "  max(julianday(updated) + CASE outcome WHEN 'arrest' THEN ?3"
    "   WHEN 'charge' THEN ?4 WHEN 'caution' THEN ?5 WHEN 'safeguarded' THEN ?6"
    "   WHEN 'nfa' THEN ?7 WHEN 'referred' THEN ?8 END)"
    "  FROM packages WHERE state != 'merged' AND (?1 = 0 OR subject = ?1) GROUP BY subject)"
    " SELECT s.id, s.review_by, s.retain_until, last.at, pk.open, pk.until FROM subjects s"
    " JOIN last ON last.subject = s.id LEFT JOIN pk ON pk.subject = s.id WHERE s.active = 1";

/* A Julian day number in wi_time_str's form. */
static void julian_str(double jd, char out[32])
{
    wi_time_str((time_t)llround((jd - 2440587.5) * 86400.0), out);
}

/* The dates one row of refresh_sql gives ("" for NULL); *changed when
 * they differ from the stored ones. */
static void new_dates(ward_intel *in, wsql_stmt *q, char review[32], char retain[32],
                      int *changed)
{
    const char *old_review = wi_col(q, 1), *old_retain = wi_col(q, 2);
    time_t last = wi_time_parse(wi_col(q, 3));
    review[0] = retain[0] = '\0';
    if (last >= 0) {
        wi_time_str(last + (time_t)in->retention.review_days * 86400, review);
        if (strcmp(old_review, review) > 0)
            snprintf(review, 32, "%s", old_review);
    }
    if (wsql_column_type(q, 4) != SQLITE_NULL && wsql_column_int64(q, 4) == 0 &&
        wsql_column_type(q, 5) != SQLITE_NULL)
        julian_str(wsql_column_double(q, 5), retain);
    *changed = strcmp(old_review, review) || strcmp(old_retain, retain);
}

static void bind_date(wsql_stmt *st, int i, const char *date)
{
    if (*date)
        wsql_bind_text(st, i, date, -1, SQLITE_TRANSIENT);
    else
        wsql_bind_null(st, i);
}

static ward_status refresh(ward_intel *in, int64_t subject, ward_error *err)
{
    wsql_stmt *q, *up;
    ward_status rc = wi_prepare(in, refresh_sql, &q, err);
    if (rc)
        return rc;
    if ((rc = wi_prepare(in, "UPDATE subjects SET review_by = ?, retain_until = ? WHERE id = ?",
                         &up, err))) {
        wsql_finalize(q);
        return rc;
    }
    wsql_bind_int64(q, 1, subject);
    wsql_bind_int(q, 2, in->retention.review_days);
    for (int o = 0; o < WI_N_OUTCOMES; o++)
        wsql_bind_int(q, 3 + o, in->retention.retain_days[o]);
    int step = SQLITE_DONE;
    while (!rc && (step = wsql_step(q)) == SQLITE_ROW) {
        char review[32], retain[32];
        int changed;
        new_dates(in, q, review, retain, &changed);
        if (!changed)
            continue;   /* most subjects, most times: no write */
        bind_date(up, 1, review);
        bind_date(up, 2, retain);
        wsql_bind_int64(up, 3, wsql_column_int64(q, 0));
        if (wsql_step(up) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "retention dates");
        wsql_reset(up);
    }
    if (!rc && step != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "retention dates");
    wsql_finalize(up);
    wsql_finalize(q);
    return rc;
}

/* refresh() reads the dates it then writes, so it runs under the write
 * lock: a keep decision committed between its read and its write would
 * otherwise lose the review date it set. Inside the caller's transaction
 * (a decision being recorded) the lock is already held. */
static ward_status refresh_locked(ward_intel *in, int64_t subject, ward_error *err)
{
    if (!wsql_get_autocommit(in->db))
        return refresh(in, subject, err);
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = refresh(in, subject, err);
    return wi_end(in, rc, err);
}

ward_status ward_intel_retention_refresh(ward_intel *in, ward_error *err)
{
    return refresh_locked(in, 0, err);
}

#define ROW_SQL                                                                            \
    "SELECT id, coalesce(review_by, ''), coalesce(retain_until, ''), retention, retention_by," \
    " retention_at, retention_reason FROM subjects WHERE active = 1"

/* A closed subject is held until both its retention period and any review
 * interval a 'keep' gave it have run out. */
static void read_row(wsql_stmt *st, time_t now, ward_intel_retention *r)
{
    memset(r, 0, sizeof *r);
    wi_subject_id(wsql_column_int64(st, 0), r->subject);
    snprintf(r->review_by, sizeof r->review_by, "%s", wi_col(st, 1));
    snprintf(r->retain_until, sizeof r->retain_until, "%s", wi_col(st, 2));
    r->closed = r->retain_until[0] != 0;
    const char *due = r->closed && strcmp(r->retain_until, r->review_by) > 0 ? r->retain_until
                                                                               : r->review_by;
    snprintf(r->due_at, sizeof r->due_at, "%s", due);
    snprintf(r->decision, sizeof r->decision, "%s", wi_col(st, 3));
    snprintf(r->decided_by, sizeof r->decided_by, "%s", wi_col(st, 4));
    snprintf(r->decided_at, sizeof r->decided_at, "%s", wi_col(st, 5));
    snprintf(r->reason, sizeof r->reason, "%s", wi_col(st, 6));
    r->marked = !strcmp(r->decision, "dispose");
    time_t t = wi_time_parse(due);
    r->due = !r->marked && t >= 0 && t <= now;
}

ward_status ward_intel_retention_get(ward_intel *in, const char *subject, time_t now,
                                     ward_intel_retention *r, ward_error *err)
{
    int64_t id = wi_subject_num(subject);
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    ward_status rc = refresh_locked(in, id, err);
    wsql_stmt *st;
    if (rc || (rc = wi_prepare(in, ROW_SQL " AND id = ?", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    int step = wsql_step(st);
    if (step == SQLITE_ROW)
        read_row(st, now, r);
    else
        rc = step == SQLITE_DONE
                 ? err_fail(err, WARD_ENOTFOUND, "no open subject %s", subject)
                 : wi_sqlfail(in, err, "retention");
    wsql_finalize(st);
    return rc;
}

static void json_str(FILE *out, const char *key, const char *val)
{
    strbuf b = {0};
    if (*val)
        esc_json_string(&b, val, strlen(val));
    fprintf(out, ",\"%s\":%.*s", key, b.s ? (int)b.len : 4, b.s ? b.s : "null");
    strbuf_free(&b);
}

static void print_json(FILE *out, const ward_intel_retention *r)
{
    fprintf(out, "{\"subject\":\"%s\",\"closed\":%s", r->subject, r->closed ? "true" : "false");
    json_str(out, "review_by", r->review_by);
    json_str(out, "retain_until", r->retain_until);
    json_str(out, "due_at", r->due_at);
    fprintf(out, ",\"due\":%s,\"marked_for_disposal\":%s", r->due ? "true" : "false",
            r->marked ? "true" : "false");
    json_str(out, "decision", r->decision);
    json_str(out, "decided_by", r->decided_by);
    json_str(out, "decided_at", r->decided_at);
    json_str(out, "reason", r->reason);
    fputc('}', out);
}

static void print_text(FILE *out, const ward_intel_retention *r)
{
    fprintf(out, "%s  %-6s  review by %-20s  retain until %-20s  %s", r->subject,
            r->closed ? "closed" : "open", r->review_by[0] ? r->review_by : "-",
            r->retain_until[0] ? r->retain_until : "-",
            r->marked ? "MARKED FOR DISPOSAL" : r->due ? "DUE" : "-");
    if (r->decision[0])
        fprintf(out, "  (last: %s by %s at %s: %s)", r->decision, r->decided_by, r->decided_at,
                r->reason);
    fputc('\n', out);
}

ward_status ward_intel_retention_list(ward_intel *in, time_t now, int due_only,
                                      ward_intel_output fmt, FILE *out, uint64_t *count,
                                      ward_error *err)
{
    *count = 0;
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = refresh(in, 0, err);
    if (!rc)
        rc = wi_commit(in, err);
    if (rc) {
        wi_rollback(in);
        return rc;
    }
    wsql_stmt *st;
    if ((rc = wi_prepare(in, ROW_SQL " ORDER BY id", &st, err)))
        return rc;
    int step;
    wi_list l;
    wi_list_begin(&l, out, fmt);
    while ((step = wsql_step(st)) == SQLITE_ROW) {
        ward_intel_retention r;
        read_row(st, now, &r);
        if (due_only && !r.due)
            continue;
        (*count)++;
        if (fmt) {
            wi_list_item(&l);
            print_json(out, &r);
            wi_list_item_end(&l);
        } else
            print_text(out, &r);
    }
    wi_list_end(&l);
    if (step != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "retention");
    wsql_finalize(st);
    if (!rc && ferror(out))
        rc = err_fail(err, WARD_EIO, "cannot write the retention list");
    return rc;
}

static ward_status record_decision(ward_intel *in, int64_t id, int keep, const char *who,
                                   const char *reason, time_t now, ward_error *err)
{
    ward_intel_retention r;
    char sid[16], at[32], review_by[32];
    wi_subject_id(id, sid);
    ward_status rc = ward_intel_retention_get(in, sid, now, &r, err);
    if (rc)
        return rc;
    wi_time_str(now, at);
    /* keep: the next review is one interval on from the later of now and
     * the review date already set. dispose leaves the dates as they were. */
    time_t from = wi_time_parse(r.review_by);
    if (from < now)
        from = now;
    wi_time_str(from + (time_t)in->retention.review_days * 86400, review_by);
    wsql_stmt *st;
    if ((rc = wi_prepare(in, "UPDATE subjects SET retention = ?2, retention_by = ?3,"
                             " retention_at = ?4, retention_reason = ?5,"
                             " review_by = CASE WHEN ?2 = 'keep' THEN ?6 ELSE review_by END"
                             " WHERE id = ?1", &st, err)))
        return rc;
    const char *what = keep ? "keep" : "dispose";
    wsql_bind_int64(st, 1, id);
    wsql_bind_text(st, 2, what, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, review_by, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "retention decision");
    wsql_finalize(st);
    if (rc || (rc = wi_prepare(in, "INSERT INTO subject_history(at, action, subject, detail, by)"
                                   " VALUES(?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, keep ? "retention keep" : "retention dispose", -1, SQLITE_STATIC);
    wsql_bind_int64(st, 3, id);
    wsql_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, who, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "subject history");
    wsql_finalize(st);
    if (!rc)
        wi_audit(in, now, who, keep ? "intel.retain.keep" : "intel.retain.dispose", sid, reason);
    return rc;
}

ward_status wi_decision_args(const char *what, const char *subject, const char *who,
                             const char *reason, int64_t *id, ward_error *err)
{
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "%s needs a written reason", what);
    if (!who || !*who)
        return err_fail(err, WARD_EINVAL, "%s needs the person taking it", what);
    if (!(*id = wi_subject_num(subject)))
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    return WARD_OK;
}

ward_status ward_intel_retain(ward_intel *in, const char *subject, int keep, const char *who,
                              const char *reason, time_t now, ward_error *err)
{
    int64_t id;
    ward_status rc = wi_decision_args("a retention decision", subject, who, reason, &id, err);
    if (!rc)
        rc = wi_begin(in, err);
    if (!rc)
        rc = record_decision(in, id, keep, who, reason, now, err);
    if (!rc)
        rc = wi_commit(in, err);
    if (rc)
        wi_rollback(in);
    return rc;
}
