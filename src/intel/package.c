/*
 * Packages: what a force or hub receives about one subject. The JSON form
 * is the record of truth (each version is kept in package_versions); the
 * HTML page is printed from it. Lifecycle: created -> disseminated ->
 * accepted -> actioned -> outcome, every step logged with who and when.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int wi_grade_unverified(const char *grade)
{
    return !grade || !*grade || !strcmp(grade, "D") || !strcmp(grade, "E");
}

ward_status wi_package_json(ward_intel *in, int64_t package, strbuf *b, ward_error *err)
{
    ward_intel_package_view v;
    ward_status rc = ward_intel_package_view_get(in, package, &v, err);
    if (!rc)
        wi_package_view_json(&v, b);
    ward_intel_package_view_free(&v);
    return rc;
}

ward_status wi_package_event(ward_intel *in, int64_t package, const char *at, const char *state,
                             const char *who, const char *note, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "INSERT INTO package_events(package, at, state, by, note)"
                                   " VALUES(?,?,?,?,?)", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, package);
    wsql_bind_text(st, 2, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, state, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, note, -1, SQLITE_STATIC);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "package event");
    wsql_reset(st);
    return rc;
}

/* ---- lifecycle ---------------------------------------------------------- */

static const char *const states[] = {"created", "disseminated", "accepted", "actioned",
                                     "outcome", NULL};

static int state_index(const char *s)
{
    for (int i = 0; states[i]; i++)
        if (!strcmp(states[i], s))
            return i;
    return -1;
}

static ward_status package_state_of(ward_intel *in, int64_t package, char state[24],
                                    char holder[64], ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT state, holder FROM packages WHERE id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, package);
    if (wsql_step(st) == SQLITE_ROW) {
        snprintf(state, 24, "%s", wi_col(st, 0));
        snprintf(holder, 64, "%s", wi_col(st, 1));
    } else
        rc = err_fail(err, WARD_ENOTFOUND, "no package %lld", (long long)package);
    wsql_finalize(st);
    return rc;
}

/* The caller holds the write lock (wi_begin) from reading the package's
 * state to here, so that the move it checked is the move made: two
 * officers recording outcomes at once cannot both close one package. */
static ward_status set_state(ward_intel *in, int64_t package, const char *state,
                             const char *outcome, const char *reason, const char *holder,
                             const char *at, const char *who, const char *note, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "UPDATE packages SET state = ?, updated = ?,"
                                    " outcome = coalesce(?, outcome),"
                                    " outcome_reason = coalesce(?, outcome_reason),"
                                    " holder = coalesce(?, holder) WHERE id = ?", &st, err);
    if (!rc) {
        wsql_bind_text(st, 1, state, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, at, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
        wsql_bind_text(st, 4, reason, -1, SQLITE_STATIC);
        wsql_bind_text(st, 5, holder, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 6, package);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "package state");
        wsql_finalize(st);
    }
    if (!rc)
        rc = wi_package_event(in, package, at, holder ? "escalated" : outcome ? outcome : state,
                              who, note, err);
    return rc;
}

/* A subject that only a payment card identifies (grade E: its card is its
 * one value) is never actioned, nor arrested, charged or cautioned: the
 * card may be stolen (Operation Ore). WARD_EINVAL says so. */
static ward_status card_only_guard(ward_intel *in, int64_t package, const char *what,
                                   ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT s.grade, (SELECT count(*) FROM vals v JOIN"
                                    " subject_records sr ON sr.record = v.record WHERE"
                                    " sr.subject = p.subject AND v.field = 'card' AND"
                                    " v.status = 'ok') FROM packages p JOIN subjects s"
                                    " ON s.id = p.subject WHERE p.id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, package);
    int card_only = wsql_step(st) == SQLITE_ROW && !strcmp(wi_col(st, 0), "E") &&
                    wsql_column_int(st, 1) > 0;
    wsql_finalize(st);
    if (card_only)
        return err_fail(err, WARD_EINVAL, "package %lld: its subject is identified by a payment"
                         " card alone (grade E; the card may be stolen): it cannot be %s;"
                         " identify the person first", (long long)package, what);
    return WARD_OK;
}

static ward_status move_state(ward_intel *in, int64_t package, int want, const char *state,
                              const char *who, const char *note, time_t now, ward_error *err)
{
    char cur[24], holder[64], at[32];
    ward_status rc = package_state_of(in, package, cur, holder, err);
    if (rc)
        return rc;
    int have = state_index(cur);
    if (have < 0 || have >= want)
        return err_fail(err, WARD_EINVAL, "package %lld is %s: cannot move it to %s",
                         (long long)package, cur, state);
    if (want == 3 && (rc = card_only_guard(in, package, "actioned", err)))
        return rc;
    wi_time_str(now, at);
    return set_state(in, package, state, NULL, NULL, NULL, at, who, note, err);
}

ward_status ward_intel_package_state(ward_intel *in, int64_t package, const char *state,
                                     const char *who, const char *note, time_t now,
                                     ward_error *err)
{
    int want = state ? state_index(state) : -1;
    if (want < 1 || want > 3)
        return err_fail(err, WARD_EINVAL, "state must be disseminated, accepted or actioned"
                                           " (outcomes: 'ward intel outcome')");
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = move_state(in, package, want, state, who, note, now, err);
    return wi_end(in, rc, err);
}

static const char *const outcomes[] = {"arrest", "charge", "caution", "safeguarded", "nfa",
                                       "referred", NULL};

static ward_status close_package(ward_intel *in, int64_t package, const char *outcome,
                                 const char *who, const char *reason, time_t now,
                                 ward_error *err)
{
    char cur[24], holder[64], at[32];
    ward_status rc = package_state_of(in, package, cur, holder, err);
    if (rc)
        return rc;
    int have = state_index(cur);
    if (have < 0 || have >= 4)
        return err_fail(err, WARD_EINVAL, "package %lld is %s: no outcome can be added",
                         (long long)package, cur);
    if ((!strcmp(outcome, "arrest") || !strcmp(outcome, "charge") ||
         !strcmp(outcome, "caution")) &&
        (rc = card_only_guard(in, package, "given an arrest, charge or caution", err)))
        return rc;
    wi_time_str(now, at);
    return set_state(in, package, "outcome", outcome, reason, NULL, at, who, reason, err);
}

static ward_status escalate(ward_intel *in, int64_t package, const char *who,
                            const char *reason, time_t now, ward_error *err)
{
    char cur[24], holder[64], at[32];
    ward_status rc = package_state_of(in, package, cur, holder, err);
    if (rc)
        return rc;
    const char *hub = wi_hub_of_holder(&in->routing, holder);
    if (!hub || !strcmp(hub, holder))
        return err_fail(err, WARD_EINVAL, "package %lld is held by %s, not by a force",
                         (long long)package, holder);
    if (state_index(cur) < 0 || state_index(cur) >= 4)
        return err_fail(err, WARD_EINVAL, "package %lld is %s", (long long)package, cur);
    wi_time_str(now, at);
    char note[300];
    snprintf(note, sizeof note, "from %s to %s hub: %s", holder, hub, reason);
    return set_state(in, package, cur, NULL, NULL, hub, at, who, note, err);
}

ward_status ward_intel_outcome(ward_intel *in, int64_t package, const char *outcome,
                               const char *who, const char *reason, time_t now, ward_error *err)
{
    int ok = 0;
    for (int i = 0; outcome && outcomes[i]; i++)
        ok |= !strcmp(outcomes[i], outcome);
    if (!ok)
        return err_fail(err, WARD_EINVAL, "outcome must be arrest, charge, caution,"
                                           " safeguarded, nfa or referred");
    if ((!strcmp(outcome, "nfa") || !strcmp(outcome, "referred")) && (!reason || !*reason))
        return err_fail(err, WARD_EINVAL, "'%s' needs a reason", outcome);
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = close_package(in, package, outcome, who, reason, now, err);
    return wi_end(in, rc, err);
}

ward_status ward_intel_escalate(ward_intel *in, int64_t package, const char *who,
                                const char *reason, time_t now, ward_error *err)
{
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "an escalation needs a reason");
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = escalate(in, package, who, reason, now, err);
    return wi_end(in, rc, err);
}

/* ---- export -------------------------------------------------------------- */

ward_status ward_intel_package_export(ward_intel *in, int64_t package, const char *format,
                                      FILE *out, ward_error *err)
{
    int is_html = format && !strcasecmp(format, "html");
    if (format && !is_html && strcasecmp(format, "json"))
        return err_fail(err, WARD_EINVAL, "format must be json or html");
    /* The live view (lifecycle events after the last version are included). */
    ward_intel_package_view v;
    strbuf b = {0};
    ward_status rc = ward_intel_package_view_get(in, package, &v, err);
    if (!rc && !is_html) {
        wi_package_view_json(&v, &b);
        fprintf(out, "%s\n", b.s);
    } else if (!rc)
        wi_package_view_html(&v, out);
    ward_intel_package_view_free(&v);
    strbuf_free(&b);
    if (!rc && ferror(out))
        rc = err_fail(err, WARD_EIO, "cannot write the package");
    return rc;
}
