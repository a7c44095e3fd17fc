/*
 * ISP subscriber requests, part three: the providers' answers.
 *
 * An answer is intelligence from the provider, dated as the provider
 * dated it: it says who held an address at an instant, not who did
 * anything, and a shared household or an open Wi-Fi can stand behind it.
 * So a found subscriber is stored as a referral of its own (list
 * "isp:PROVIDER", every value as received beside its normal form), joined
 * by a recorded decision to the referral the request came from; the
 * resolver and the risk model then read it like any other, and the
 * subject still goes to a person. Each answer, whatever its outcome, is a
 * line of its subject's history saying what came back and what it changed.
 *
 * The file is checked whole before anything is written: a bad line is
 * refused with its place and field, and nothing of the file is stored.
 */
#include "intel/isp_int.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { A_REQUEST, A_OUTCOME, A_ANSWERED, A_REF, A_NAME, A_ADDRESS, A_POSTCODE, A_EMAIL,
       A_PHONE, A_NCOLS };
static const char *const answer_cols[A_NCOLS] = {"request", "outcome", "answered",
                                                 "provider_ref", "name", "address", "postcode",
                                                 "email", "phone"};
static const char *const outcomes[] = {"found", "no-trace", "not-retained", "wrong-zone"};

typedef struct answer {
    int line, outcome;
    int64_t request;
    char *v[A_NCOLS];
    char answered[16];          /* YYYY-MM-DD */
    /* filled in under the write lock */
    int64_t record, subject, answer_record;
    char provider[128], ip_raw[80], time_raw[160], grade_before[4];
    int band_before;
} answer;

typedef struct answers {
    answer *a;
    size_t n, cap;
} answers;

static void answers_free(answers *s)
{
    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < A_NCOLS; k++)
            free(s->a[i].v[k]);
    free(s->a);
}

/* "No trace", "no_trace", "NO-TRACE" -> index in outcomes, -1 if none. */
static int outcome_of(const char *s)
{
    char w[32];
    size_t n = 0;
    for (; *s && n < sizeof w - 1; s++)
        w[n++] = *s == ' ' || *s == '_' ? '-' : (char)tolower((unsigned char)*s);
    w[n] = 0;
    for (int i = 0; i < 4; i++)
        if (!strcmp(w, outcomes[i]))
            return i;
    return -1;
}

static ward_status bad(ward_error *err, const char *path, int line, const char *field,
                       const char *fmt, const char *v)
{
    char why[256];
    snprintf(why, sizeof why, fmt, v);
    return err_fail(err, WARD_EFORMAT, "%s:%d: field '%s': %s", path, line, field, why);
}

/* One line's fields, checked on their own (the store is asked later). */
static ward_status check_line(const char *path, answer *a, ward_error *err)
{
    char **v = a->v;
    char *end;
    long long id = strtoll(v[A_REQUEST], &end, 10);
    if (!*v[A_REQUEST] || *end || id <= 0)
        return bad(err, path, a->line, "request", "'%s' is not a request number",
                   v[A_REQUEST]);
    a->request = id;
    if ((a->outcome = outcome_of(v[A_OUTCOME])) < 0)
        return bad(err, path, a->line, "outcome",
                   "'%s' is not found, no-trace, not-retained or wrong-zone", v[A_OUTCOME]);
    wi_norm d;
    wi_norm_date(v[A_ANSWERED], &d);
    if (!*v[A_ANSWERED])
        return bad(err, path, a->line, "answered", "empty: give the provider's date%s", "");
    if (d.status != WI_OK)
        return err_fail(err, WARD_EFORMAT, "%s:%d: field 'answered': '%s': %s (write"
                         " YYYY-MM-DD)", path, a->line, v[A_ANSWERED], d.reason);
    snprintf(a->answered, sizeof a->answered, "%s", d.value);
    int found = a->outcome == 0;
    if (found && !*v[A_NAME] && !*v[A_ADDRESS])
        return bad(err, path, a->line, "name", "a found answer needs the subscriber's name or"
                   " address%s", "");
    for (int k = A_NAME; k < A_NCOLS && !found; k++)
        if (*v[k])
            return bad(err, path, a->line, answer_cols[k], "'%s': only a found answer names a"
                       " subscriber", v[k]);
    return WARD_OK;
}

typedef struct answer_read {
    const char *path;
    answers *s;
} answer_read;

static ward_status answer_line(void *ctx, int lineno, char **v, ward_error *err)
{
    answer_read *ar = ctx;
    answers *s = ar->s;
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 64;
        answer *a = realloc(s->a, c * sizeof *a);
        if (!a)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        s->a = a, s->cap = c;
    }
    answer *a = &s->a[s->n++];
    memset(a, 0, sizeof *a);
    a->line = lineno;
    for (int k = 0; k < A_NCOLS; k++)
        if (!(a->v[k] = strdup(v[k])))
            return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = check_line(ar->path, a, err);
    for (size_t j = 0; !rc && j + 1 < s->n; j++)
        if (s->a[j].request == a->request)
            rc = err_fail(err, WARD_EFORMAT, "%s:%d: field 'request': request %lld is"
                           " answered on line %d too", ar->path, lineno, (long long)a->request,
                           s->a[j].line);
    return rc;
}

static ward_status read_answers(const char *path, answers *s, ward_error *err)
{
    static const char *const required[] = {"request", "outcome", "answered", NULL};
    answer_read ar = {path, s};
    return wi_isp_read_csv(path, answer_cols, A_NCOLS, required, answer_line, &ar, err);
}

/* The subject's grade and band in force ("-", -1 when none). */
static ward_status standing(ward_intel *in, int64_t subject, char grade[4], int *band,
                            ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT coalesce(s.grade, '-'), (SELECT band FROM assessments"
                                   " WHERE subject = s.id ORDER BY id DESC LIMIT 1)"
                                   " FROM subjects s WHERE s.id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, subject);
    snprintf(grade, 4, "-");
    *band = -1;
    if (wsql_step(st) == SQLITE_ROW) {
        snprintf(grade, 4, "%s", wi_col(st, 0));
        if (wsql_column_type(st, 1) != SQLITE_NULL)
            *band = wsql_column_int(st, 1) & 3;
    }
    wsql_reset(st);
    return WARD_OK;
}

/* The request each answer is for, under the write lock: it must exist and
 * be unanswered. */
static ward_status look_up(ward_intel *in, const char *path, answer *a, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(
        in,
        "SELECT q.record, coalesce(sr.subject, q.subject), b.provider, q.ip_raw, q.time_raw,"
        " substr(b.created, 1, 10), (SELECT outcome FROM isp_answers WHERE request = q.id),"
        " q.same_as"
        " FROM isp_requests q JOIN isp_batches b ON b.id = q.batch"
        " LEFT JOIN subject_records sr ON sr.record = q.record WHERE q.id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, a->request);
    if (wsql_step(st) != SQLITE_ROW) {
        wsql_reset(st);
        return err_fail(err, WARD_EFORMAT, "%s:%d: field 'request': no request %lld", path,
                         a->line, (long long)a->request);
    }
    a->record = wsql_column_int64(st, 0);
    a->subject = wsql_column_int64(st, 1);
    snprintf(a->provider, sizeof a->provider, "%s", wi_col(st, 2));
    snprintf(a->ip_raw, sizeof a->ip_raw, "%s", wi_col(st, 3));
    snprintf(a->time_raw, sizeof a->time_raw, "%s", wi_col(st, 4));
    if (wsql_column_type(st, 7) != SQLITE_NULL)
        rc = err_fail(err, WARD_EFORMAT, "%s:%d: field 'request': request %lld was not sent:"
                       " it asks what request %lld asks", path, a->line, (long long)a->request,
                       (long long)wsql_column_int64(st, 7));
    else if (wsql_column_type(st, 6) != SQLITE_NULL)
        rc = err_fail(err, WARD_EFORMAT, "%s:%d: field 'request': request %lld was answered"
                       " already (%s)", path, a->line, (long long)a->request, wi_col(st, 6));
    else if (strcmp(a->answered, wi_col(st, 5)) < 0)
        rc = err_fail(err, WARD_EFORMAT, "%s:%d: field 'answered': %s is before the request"
                       " was made (%s)", path, a->line, a->v[A_ANSWERED], wi_col(st, 5));
    wsql_reset(st);
    return rc ? rc : standing(in, a->subject, a->grade_before, &a->band_before, err);
}

static void keep_messages(ward_intel_isp_answer_summary *sum, const ward_intel_ingest_summary *s)
{
    for (size_t i = 0; i < s->n_messages && sum->n_messages < WARD_INTEL_MESSAGES; i++)
        snprintf(sum->messages[sum->n_messages++], sizeof sum->messages[0], "%s",
                 s->messages[i]);
}

/* A found subscriber: a referral of its own, joined to the request's. */
static ward_status found(ward_intel *in, const char *path, answer *a, const char *who,
                         const char *at, time_t now, ward_intel_isp_answer_summary *sum,
                         ward_error *err)
{
    char source[160], ref[160];
    snprintf(source, sizeof source, "isp:%s", a->provider);
    snprintf(ref, sizeof ref, "%s", *a->v[A_REF] ? a->v[A_REF] : "");
    if (!*ref)
        snprintf(ref, sizeof ref, "ISP request %lld", (long long)a->request);
    wi_referral r = {.ref = ref, .reporter = a->provider, .name = a->v[A_NAME],
                     .address = a->v[A_ADDRESS], .postcode = a->v[A_POSTCODE]};
    if (*a->v[A_EMAIL])
        r.emails[r.n_emails++] = a->v[A_EMAIL];
    if (*a->v[A_PHONE])
        r.phones[r.n_phones++] = a->v[A_PHONE];
    snprintf(r.where, sizeof r.where, "%s:%d", path, a->line);
    ward_intel_ingest_opts o = {.source = source, .received = a->v[A_ANSWERED], .now = now};
    ward_intel_ingest_summary *s = malloc(sizeof *s);
    if (!s)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    int urgent;
    ward_status rc = wi_ingest_one(in, &r, &o, &a->answer_record, &urgent, s, err);
    keep_messages(sum, s);
    free(s);
    if (rc)
        return rc;
    wsql_stmt *st;
    if ((rc = wi_cached(in, "INSERT INTO link_decisions(rec_a, rec_b, kind, by, at, reason)"
                            " VALUES(?,?,'join',?,?,?)", &st, err)))
        return rc;
    char reason[300];
    snprintf(reason, sizeof reason, "%s's subscriber answer to ISP request %lld (%s at %s)",
             a->provider, (long long)a->request, a->ip_raw, a->time_raw);
    wsql_bind_int64(st, 1, a->record);
    wsql_bind_int64(st, 2, a->answer_record);
    wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "link decision");
    wsql_reset(st);
    return rc;
}

/* The provider suspects the time's zone: the time goes back to quarantine
 * (here and in every event that asked the same), so that nothing uses it
 * - no request, no link - until a person settles it ('ward intel clarify');
 * a time settled after the answer may be requested again. */
static ward_status requarantine(ward_intel *in, const answer *a, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(
        in,
        "UPDATE vals SET status = 'quarantined', norm = NULL, reason = ?2 WHERE field = 'ip_time'"
        " AND EXISTS (SELECT 1 FROM isp_requests q JOIN vals v ON v.id = q.ip_val"
        "  WHERE (q.id = ?1 OR q.same_as = ?1) AND v.record = vals.record AND v.grp = vals.grp)",
        &st, err);
    if (rc)
        return rc;
    char reason[192];
    snprintf(reason, sizeof reason, "%.100s suspected the wrong time zone (ISP request %lld):"
             " check the time and settle it", a->provider, (long long)a->request);
    wsql_bind_int64(st, 1, a->request);
    wsql_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "quarantine");
    wsql_reset(st);
    return rc;
}

static ward_status store(ward_intel *in, const char *path, answer *a, const char *who,
                         const char *at, time_t now, ward_intel_isp_answer_summary *sum,
                         ward_error *err)
{
    ward_status rc = a->outcome == 0   ? found(in, path, a, who, at, now, sum, err)
                     : a->outcome == 3 ? requarantine(in, a, err)
                                       : WARD_OK;
    wsql_stmt *st;
    if (rc || (rc = wi_cached(in, "INSERT INTO isp_answers(request, outcome, answered_raw,"
                                  " answered, received, by, source, status, provider_ref,"
                                  " record, file, line) VALUES(?,?,?,?,?,?,?,"
                                  "'intelligence',?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, a->request);
    wsql_bind_text(st, 2, outcomes[a->outcome], -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, a->v[A_ANSWERED], -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, a->answered, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 7, a->provider, -1, SQLITE_STATIC);
    if (*a->v[A_REF])
        wsql_bind_text(st, 8, a->v[A_REF], -1, SQLITE_STATIC);
    if (a->answer_record)
        wsql_bind_int64(st, 9, a->answer_record);
    wsql_bind_text(st, 10, path, -1, SQLITE_STATIC);
    wsql_bind_int(st, 11, a->line);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "isp answer");
    wsql_reset(st);
    sum->answers++;
    sum->found += a->outcome == 0, sum->no_trace += a->outcome == 1;
    sum->not_retained += a->outcome == 2, sum->wrong_zone += a->outcome == 3;
    return rc;
}

static const char *band_label(int b) { return b < 0 ? "none" : wi_band_labels[b & 3]; }

static ward_status history(ward_intel *in, const char *at, int64_t subject, const char *detail,
                           const char *who, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "INSERT INTO subject_history(at, action, subject, detail, by)"
                                   " VALUES(?, 'isp-answer', ?, ?, ?)", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 2, subject);
    wsql_bind_text(st, 3, detail, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, who, -1, SQLITE_STATIC);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "subject history");
    wsql_reset(st);
    return rc;
}

/* Other subjects whose events asked the same (address, port, time) hear
 * of the answer, but are not joined to the subscriber: a subscriber is an
 * account, which a household or a shared connection stands behind, and
 * whether two subjects are one person is for a person to decide. */
static ward_status tell_same(ward_intel *in, const answer *a, int64_t subject, const char *sid,
                             const char *who, const char *at, FILE *out, ward_error *err)
{
    static const char *const said[] = {"subscriber found", "no trace", "not retained",
                                       "wrong time zone suspected"};
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT DISTINCT coalesce(sr.subject, q.subject)"
                                    " FROM isp_requests q LEFT JOIN subject_records sr"
                                    " ON sr.record = q.record WHERE q.same_as = ? ORDER BY 1",
                                &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, a->request);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        int64_t other = wsql_column_int64(st, 0);
        if (other == subject)
            continue;
        char detail[600], oid[16];
        wi_subject_id(other, oid);
        snprintf(detail, sizeof detail, "ISP request %lld to %s (%s at %s), made for %s, asked"
                 " the same address, port and time as an event of this subject: %s; not"
                 " joined (a subscriber is an account, not a person): a person decides"
                 " ('ward intel join'); intelligence from %s, answered %s",
                 (long long)a->request, a->provider, a->ip_raw, a->time_raw, sid,
                 said[a->outcome], a->provider, a->v[A_ANSWERED]);
        rc = history(in, at, other, detail, who, err);
        if (!rc && out)
            fprintf(out, "%s: %s\n", oid, detail);
    }
    wsql_finalize(st);
    return rc;
}

/* After resolve and score: each answer as a line of its subject's
 * history, with what it changed. */
static ward_status tell(ward_intel *in, answer *a, const char *who, const char *at, FILE *out,
                        ward_error *err)
{
    int64_t subject = a->subject;
    int64_t now_of;
    char q[96];
    snprintf(q, sizeof q, "SELECT subject FROM subject_records WHERE record = %lld",
             (long long)a->record);
    ward_status rc = wi_query_int(in, q, NULL, a->subject, &now_of, err);
    if (rc)
        return rc;
    subject = now_of;
    char grade[4];
    int band;
    if ((rc = standing(in, subject, grade, &band, err)))
        return rc;
    char detail[700], sid[16];
    wi_subject_id(subject, sid);
    static const char *const said[] = {
        "subscriber found", "no trace", "not retained",
        "wrong time zone suspected: the time is quarantined again until a person settles it"
        " ('ward intel quarantine', 'clarify'); a settled time can be requested again"};
    int n = snprintf(detail, sizeof detail, "ISP request %lld to %s (%s at %s): %s",
                     (long long)a->request, a->provider, a->ip_raw, a->time_raw,
                     said[a->outcome]);
    if (a->outcome == 3)
        n += snprintf(detail + n, sizeof detail - (size_t)n, "; grade %s -> %s",
                      a->grade_before, grade);
    if (a->outcome == 0)
        n += snprintf(detail + n, sizeof detail - (size_t)n, " (%s%s%s), referral record %lld;"
                      " grade %s -> %s; band %s -> %s", a->v[A_NAME],
                      *a->v[A_NAME] && *a->v[A_ADDRESS] ? ", " : "", a->v[A_ADDRESS],
                      (long long)a->answer_record, a->grade_before, grade,
                      band_label(a->band_before), band_label(band));
    snprintf(detail + n, sizeof detail - (size_t)n, "; intelligence from %s, answered %s",
             a->provider, a->v[A_ANSWERED]);
    rc = history(in, at, subject, detail, who, err);
    if (!rc && out)
        fprintf(out, "%s: %s\n", sid, detail);
    return rc ? rc : tell_same(in, a, subject, sid, who, at, out, err);
}

ward_status ward_intel_isp_answers_import(ward_intel *in, const char *path, const char *who,
                                          time_t now, ward_intel_isp_answer_summary *sum,
                                          FILE *out, ward_error *err)
{
    memset(sum, 0, sizeof *sum);
    answers s = {0};
    char at[32];
    wi_time_str(now, at);
    ward_status rc = read_answers(path, &s, err);
    if (!rc)
        rc = wi_begin(in, err);
    else {
        answers_free(&s);
        return rc;
    }
    for (size_t i = 0; !rc && i < s.n; i++)
        rc = look_up(in, path, &s.a[i], err);
    for (size_t i = 0; !rc && i < s.n; i++)
        rc = store(in, path, &s.a[i], who, at, now, sum, err);
    if (!rc) {
        char detail[160];
        snprintf(detail, sizeof detail, "%llu answers: %llu found, %llu no trace, %llu not"
                 " retained, %llu wrong zone", (unsigned long long)sum->answers,
                 (unsigned long long)sum->found, (unsigned long long)sum->no_trace,
                 (unsigned long long)sum->not_retained, (unsigned long long)sum->wrong_zone);
        wi_audit(in, now, who, "isp.answers", path, detail);
    }
    if ((rc = wi_end(in, rc, err))) {
        answers_free(&s);
        return rc;
    }
    /* What the answers change: identities (grade), scores, packages. The
     * answers are stored already; should this fail, 'ward intel update'
     * does the same later. */
    if (sum->found || sum->wrong_zone) {
        ward_intel_route_summary rs;
        if (!(rc = ward_intel_resolve(in, now, who, NULL, err)) &&
            !(rc = ward_intel_score(in, now, NULL, err)))
            rc = ward_intel_route(in, now, &rs, err);
    }
    if (!rc && !(rc = wi_begin(in, err))) {
        for (size_t i = 0; !rc && i < s.n; i++)
            rc = tell(in, &s.a[i], who, at, out, err);
        rc = wi_end(in, rc, err);
    }
    answers_free(&s);
    return rc;
}
