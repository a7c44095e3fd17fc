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
#include <yajl/yajl_tree.h>

static void js(ward_strbuf *b, const char *key, const char *val)
{
    if (key)
        ward_strbuf_addf(b, "\"%s\":", key);
    if (val)
        ward_json_string(b, val, strlen(val));
    else
        ward_strbuf_add(b, "null", 4);
}

static void js_col(ward_strbuf *b, const char *key, wsql_stmt *st, int i)
{
    int type = wsql_column_type(st, i);
    if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
        ward_strbuf_addf(b, "\"%s\":%s", key, wi_col(st, i));
        return;
    }
    js(b, key, type == SQLITE_NULL ? NULL : wi_col(st, i));
}

/* The row as {"names[0]": column 0, ...}. */
static void row_object(ward_strbuf *b, wsql_stmt *st, const char *const *names, int n)
{
    ward_strbuf_add(b, "{", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            ward_strbuf_add(b, ",", 1);
        js_col(b, names[i], st, i);
    }
    ward_strbuf_add(b, "}", 1);
}

/* "key":[row, ...], for every row of `sql` with ?1 = id. */
static ward_status rows_json(ward_intel *in, const char *sql, int64_t id, const char *key,
                             const char *const *names, int n, ward_strbuf *b, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, sql, &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, id);
    ward_strbuf_addf(b, "\"%s\":[", key);
    for (int k = 0; wsql_step(st) == SQLITE_ROW; k++) {
        if (k)
            ward_strbuf_add(b, ",", 1);
        row_object(b, st, names, n);
    }
    ward_strbuf_add(b, "]", 1);
    wsql_reset(st);
    return WARD_OK;
}

static ward_status referrals_json(ward_intel *in, int64_t subject, ward_strbuf *b,
                                  ward_error *err)
{
    static const char *const rec_names[] = {"record", "ref", "source", "locator", "typology",
                                            "urgent", "international"};
    static const char *const val_names[] = {"id", "field", "raw", "normalised", "status",
                                            "reason", "resolved_by"};
    wsql_stmt *r;
    ward_status rc = wi_cached(in, "SELECT r.id, r.ref, b.source, r.locator, r.typology,"
                                   " r.urgent, r.international FROM subject_records sr"
                                   " JOIN records r ON r.id = sr.record JOIN batches b"
                                   " ON b.id = r.batch WHERE sr.subject = ? ORDER BY r.id",
                               &r, err);
    if (rc)
        return rc;
    wsql_bind_int64(r, 1, subject);
    ward_strbuf_addf(b, "\"referrals\":[");
    for (int n = 0; !rc && wsql_step(r) == SQLITE_ROW; n++) {
        if (n)
            ward_strbuf_add(b, ",", 1);
        row_object(b, r, rec_names, 7);
        b->len--;   /* reopen the object for its values */
        ward_strbuf_add(b, ",", 1);
        rc = rows_json(in, "SELECT id, field, raw, norm, status, reason, resolved_by FROM vals"
                           " WHERE record = ?1 ORDER BY id", wsql_column_int64(r, 0),
                       "values", val_names, 7, b, err);
        ward_strbuf_add(b, "}", 1);
    }
    ward_strbuf_add(b, "],", 2);
    wsql_reset(r);
    return rc;
}

static ward_status evidence_json(ward_intel *in, int64_t subject, ward_strbuf *b,
                                 ward_error *err)
{
    static const char *const names[] = {"hash", "list", "category", "class", "series"};
    ward_status rc = rows_json(in, "SELECT v.norm, h.list, h.category, h.class, h.series"
                                   " FROM subject_records sr JOIN vals v ON v.record = sr.record"
                                   " AND v.field = 'file_hash' LEFT JOIN file_hits h"
                                   " ON h.val = v.id WHERE sr.subject = ?1 ORDER BY v.id,"
                                   " coalesce(h.list, ''), coalesce(h.category, ''),"
                                   " coalesce(h.class, ''), coalesce(h.series, '')",
                               subject, "evidence", names, 5, b, err);
    ward_strbuf_add(b, ",", 1);
    /* the subject's exhibits (src/casework): what was seized, where it
     * stands, and whether a scan found material a person must grade */
    static const char *const ex_names[] = {"ref", "kind", "status", "needs_grading",
                                           "last_scan"};
    if (!rc)
        rc = rows_json(in, "SELECT e.ref, e.kind, CASE e.status WHEN 0 THEN 'seized'"
                           " WHEN 1 THEN 'awaiting-acquisition' WHEN 2 THEN 'acquired'"
                           " WHEN 3 THEN 'triaged' WHEN 4 THEN 'full-examination'"
                           " WHEN 5 THEN 'reported' WHEN 6 THEN 'returned' ELSE 'destroyed' END,"
                           " CASE WHEN e.needs_grading = 1 THEN 'yes' ELSE 'no' END,"
                           " (SELECT max(x.at) FROM exhibit_scans x WHERE x.exhibit = e.id)"
                           " FROM exhibits e WHERE e.subject = ?1 ORDER BY e.ref",
                       subject, "exhibits", ex_names, 5, b, err);
    ward_strbuf_add(b, ",", 1);
    return rc;
}

static void factors_json(ward_strbuf *b, const char *text)
{
    static const char *const keys[7] = {"factor", "group", "weight", "status", "source", "date",
                                        "value"};
    ward_strbuf_addf(b, "\"factors\":[");
    int n = 0;
    for (const char *p = text; p && *p; n++) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        ward_strbuf_addf(b, "%s{", n ? "," : "");
        for (int i = 0; i < 7; i++) {
            const char *bar = memchr(p, '|', (size_t)(end - p));
            const char *fe = bar && i < 6 ? bar : end;
            ward_strbuf_addf(b, "%s\"%s\":", i ? "," : "", keys[i]);
            if (i == 2)
                ward_strbuf_add(b, p, (size_t)(fe - p));
            else
                ward_json_string(b, p, (size_t)(fe - p));
            p = fe < end ? fe + 1 : end;
        }
        ward_strbuf_add(b, "}", 1);
        p = nl ? nl + 1 : NULL;
    }
    ward_strbuf_add(b, "],", 2);
}

static ward_status assessment_json(ward_intel *in, int64_t subject, ward_strbuf *b,
                                   ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT at, score, band, deadline, factors, changes FROM"
                                   " assessments WHERE subject = ? ORDER BY id DESC LIMIT 1",
                               &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, subject);
    ward_strbuf_addf(b, "\"assessment\":");
    if (wsql_step(st) == SQLITE_ROW) {
        ward_strbuf_addf(b, "{\"band\":\"%s\",\"score\":%.1f,",
                         wi_band_labels[wsql_column_int(st, 2) & 3],
                         wsql_column_double(st, 1));
        js_col(b, "at", st, 0), ward_strbuf_add(b, ",", 1);
        js_col(b, "deadline", st, 3), ward_strbuf_add(b, ",", 1);
        factors_json(b, wi_col(st, 4));
        js_col(b, "changes", st, 5), ward_strbuf_add(b, "},", 2);
    } else
        ward_strbuf_addf(b, "null,");
    wsql_reset(st);
    if ((rc = wi_cached(in, "SELECT band, at, by, reason, deadline FROM overrides WHERE"
                            " subject = ? ORDER BY id DESC LIMIT 1", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, subject);
    ward_strbuf_addf(b, "\"override\":");
    if (wsql_step(st) == SQLITE_ROW) {
        ward_strbuf_addf(b, "{\"band\":\"%s\",", wi_band_labels[wsql_column_int(st, 0) & 3]);
        js_col(b, "at", st, 1), ward_strbuf_add(b, ",", 1);
        js_col(b, "by", st, 2), ward_strbuf_add(b, ",", 1);
        js_col(b, "reason", st, 3), ward_strbuf_add(b, ",", 1);
        js_col(b, "deadline", st, 4), ward_strbuf_add(b, "},", 2);
    } else
        ward_strbuf_addf(b, "null,");
    wsql_reset(st);
    return WARD_OK;
}

static ward_status history_json(ward_intel *in, int64_t package, ward_strbuf *b,
                                ward_error *err)
{
    static const char *const names[] = {"at", "state", "by", "note"};
    return rows_json(in, "SELECT at, state, by, note FROM package_events WHERE package = ?1"
                         " ORDER BY id", package, "lifecycle", names, 4, b, err);
}

int wi_grade_unverified(const char *grade)
{
    return !grade || !*grade || !strcmp(grade, "D") || !strcmp(grade, "E");
}

/* "identity_unverified", the notice, and the checklist: on an unverified
 * identity, verification comes first, before anything done to a person. */
static void checklist_json(const char *grade, ward_strbuf *b)
{
    int unverified = wi_grade_unverified(grade);
    ward_strbuf_addf(b, "\"identity_unverified\":%s,", unverified ? "true" : "false");
    if (unverified)
        js(b, "notice", WI_UNVERIFIED_NOTICE), ward_strbuf_add(b, ",", 1);
    ward_strbuf_addf(b, "\"checklist\":[");
    if (unverified) {
        char first[200];
        snprintf(first, sizeof first, "Verify the identity (attribution grade %s) with the "
                 "holders of its identifiers before any action against a person",
                 grade && *grade ? grade : "none");
        ward_json_string(b, first, strlen(first));
        ward_strbuf_add(b, ",", 1);
    }
    static const char *const rest[] = {
        "Safeguard any child at risk first, within the deadline",
        "Check each factor's source, date and status (fact, intelligence, assumption)",
        "Deconflict with the holder and other units before acting",
        "Record the outcome"};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) {
        if (i)
            ward_strbuf_add(b, ",", 1);
        ward_json_string(b, rest[i], strlen(rest[i]));
    }
    ward_strbuf_add(b, "],", 2);
}

ward_status wi_package_json(ward_intel *in, int64_t package, ward_strbuf *b, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT p.subject, p.version, p.holder, p.route_reason,"
                                   " p.state, p.created, p.updated, p.deadline, p.outcome,"
                                   " p.outcome_reason, s.grade, s.grade_reasons FROM packages p"
                                   " JOIN subjects s ON s.id = p.subject WHERE p.id = ?",
                               &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, package);
    if (wsql_step(st) != SQLITE_ROW) {
        wsql_reset(st);
        return ward_fail(err, WARD_ENOTFOUND, "no package %lld", (long long)package);
    }
    int64_t subject = wsql_column_int64(st, 0);
    char sid[16];
    wi_subject_id(subject, sid);
    ward_strbuf_addf(b, "{\"package\":%lld,\"version\":%d,\"subject\":\"%s\",",
                     (long long)package, wsql_column_int(st, 1), sid);
    static const char *const keys[] = {NULL, NULL, "holder", "route_reason", "state", "created",
                                       "updated", "deadline", "outcome", "outcome_reason"};
    for (int i = 2; i <= 9; i++)
        js_col(b, keys[i], st, i), ward_strbuf_add(b, ",", 1);
    ward_strbuf_addf(b, "\"attribution\":{");
    js_col(b, "grade", st, 10), ward_strbuf_add(b, ",", 1);
    js_col(b, "reasons", st, 11), ward_strbuf_add(b, "},", 2);
    checklist_json(wi_col(st, 10), b);
    wsql_reset(st);
    js(b, "caveat", "Intelligence for assessment by a person, not evidence of guilt. The band "
                    "orders work; every factor shows its source, date and status.");
    ward_strbuf_add(b, ",", 1);
    rc = assessment_json(in, subject, b, err);
    if (!rc)
        rc = referrals_json(in, subject, b, err);
    if (!rc)
        rc = evidence_json(in, subject, b, err);
    if (!rc)
        rc = history_json(in, package, b, err);
    ward_strbuf_add(b, "}", 1);
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
        rc = ward_fail(err, WARD_ENOTFOUND, "no package %lld", (long long)package);
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
        return ward_fail(err, WARD_EINVAL, "package %lld: its subject is identified by a payment"
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
        return ward_fail(err, WARD_EINVAL, "package %lld is %s: cannot move it to %s",
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
        return ward_fail(err, WARD_EINVAL, "state must be disseminated, accepted or actioned"
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
        return ward_fail(err, WARD_EINVAL, "package %lld is %s: no outcome can be added",
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
        return ward_fail(err, WARD_EINVAL, "package %lld is held by %s, not by a force",
                         (long long)package, holder);
    if (state_index(cur) < 0 || state_index(cur) >= 4)
        return ward_fail(err, WARD_EINVAL, "package %lld is %s", (long long)package, cur);
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
        return ward_fail(err, WARD_EINVAL, "outcome must be arrest, charge, caution,"
                                           " safeguarded, nfa or referred");
    if ((!strcmp(outcome, "nfa") || !strcmp(outcome, "referred")) && (!reason || !*reason))
        return ward_fail(err, WARD_EINVAL, "'%s' needs a reason", outcome);
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = close_package(in, package, outcome, who, reason, now, err);
    return wi_end(in, rc, err);
}

ward_status ward_intel_escalate(ward_intel *in, int64_t package, const char *who,
                                const char *reason, time_t now, ward_error *err)
{
    if (!reason || !*reason)
        return ward_fail(err, WARD_EINVAL, "an escalation needs a reason");
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = escalate(in, package, who, reason, now, err);
    return wi_end(in, rc, err);
}

/* ---- export -------------------------------------------------------------- */

static void html_text(FILE *out, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
}

static const char *jtext(yajl_val obj, const char *key)
{
    const char *path[2] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_any);
    if (!v)
        return "";
    if (YAJL_IS_STRING(v))
        return YAJL_GET_STRING(v);
    if (YAJL_IS_NUMBER(v))
        return YAJL_GET_NUMBER(v);
    return YAJL_IS_TRUE(v) ? "yes" : "";
}

static yajl_val jarr(yajl_val obj, const char *key)
{
    const char *path[2] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_array);
}

/* One table row per element of arr, a cell per key, each escaped. */
static void html_rows(FILE *out, yajl_val arr, const char *const *keys, int nkeys)
{
    for (size_t i = 0; arr && i < arr->u.array.len; i++) {
        fputs("<tr>", out);
        for (int k = 0; k < nkeys; k++) {
            fputs("<td>", out);
            html_text(out, jtext(arr->u.array.values[i], keys[k]));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
}

static void html_row(FILE *out, const char *k, const char *v)
{
    fputs("<tr><th>", out);
    html_text(out, k);
    fputs("</th><td>", out);
    html_text(out, v);
    fputs("</td></tr>\n", out);
}

static void html(FILE *out, yajl_val p)
{
    const char *path_a[] = {"assessment", NULL}, *path_o[] = {"override", NULL},
               *path_g[] = {"attribution", NULL};
    yajl_val a = yajl_tree_get(p, path_a, yajl_t_object);
    yajl_val o = yajl_tree_get(p, path_o, yajl_t_object);
    yajl_val g = yajl_tree_get(p, path_g, yajl_t_object);
    fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Package %s v%s"
                 "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
                 "table{border-collapse:collapse;width:100%%}th,td{border:1px solid #999;"
                 "padding:2px 6px;text-align:left;vertical-align:top}"
                 ".caveat{border:2px solid #000;padding:6px}"
                 "@media print{a{color:#000}}</style></head><body>\n",
            jtext(p, "package"), jtext(p, "version"));
    fprintf(out, "<h1>Intelligence package %s (version %s): subject ", jtext(p, "package"),
            jtext(p, "version"));
    html_text(out, jtext(p, "subject"));
    fputs("</h1>\n<p class=\"caveat\">", out);
    html_text(out, jtext(p, "caveat"));
    fputs("</p>\n", out);
    if (*jtext(p, "notice")) {
        fputs("<p class=\"caveat\"><strong>", out);
        html_text(out, jtext(p, "notice"));
        fputs("</strong></p>\n", out);
    }
    yajl_val cl = jarr(p, "checklist");
    fputs("<h2>Checklist</h2><ol>\n", out);
    for (size_t i = 0; cl && i < cl->u.array.len; i++) {
        fputs("<li>", out);
        html_text(out, YAJL_IS_STRING(cl->u.array.values[i]) ? cl->u.array.values[i]->u.string
                                                              : "");
        fputs("</li>\n", out);
    }
    fputs("</ol>\n<h2>Routing and status</h2><table>\n", out);
    static const char *const keys[] = {"holder", "route_reason", "state", "created", "updated",
                                       "deadline", "outcome", "outcome_reason", NULL};
    for (int i = 0; keys[i]; i++)
        html_row(out, keys[i], jtext(p, keys[i]));
    html_row(out, "attribution grade", jtext(g, "grade"));
    html_row(out, "attribution reasons", jtext(g, "reasons"));
    fputs("</table>\n<h2>Assessment</h2><table>\n", out);
    html_row(out, "band (model)", jtext(a, "band"));
    html_row(out, "score", jtext(a, "score"));
    html_row(out, "assessed", jtext(a, "at"));
    html_row(out, "what changed", jtext(a, "changes"));
    if (o) {
        html_row(out, "band (analyst override)", jtext(o, "band"));
        html_row(out, "override reason", jtext(o, "reason"));
        html_row(out, "override by", jtext(o, "by"));
    }
    fputs("</table>\n<h3>Factors</h3><table><tr><th>factor</th><th>group</th><th>weight</th>"
          "<th>status</th><th>source</th><th>date</th><th>detail</th></tr>\n", out);
    yajl_val fs = jarr(a, "factors");
    static const char *const fk[] = {"factor", "group", "weight", "status", "source", "date",
                                     "value"};
    for (size_t i = 0; fs && i < fs->u.array.len; i++) {
        fputs("<tr>", out);
        for (int k = 0; k < 7; k++) {
            fputs("<td>", out);
            html_text(out, jtext(fs->u.array.values[i], fk[k]));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n<h2>Referrals</h2>\n", out);
    yajl_val rs = jarr(p, "referrals");
    for (size_t i = 0; rs && i < rs->u.array.len; i++) {
        yajl_val r = rs->u.array.values[i];
        fputs("<h3>", out);
        html_text(out, jtext(r, "ref"));
        fputs(" from ", out);
        html_text(out, jtext(r, "source"));
        fputs(" (", out);
        html_text(out, jtext(r, "locator"));
        fputs(")</h3>\n<table><tr><th>field</th><th>as received</th><th>normalised</th>"
              "<th>status</th></tr>\n", out);
        yajl_val vs = jarr(r, "values");
        for (size_t k = 0; vs && k < vs->u.array.len; k++) {
            yajl_val v = vs->u.array.values[k];
            static const char *const vk[] = {"field", "raw", "normalised"};
            fputs("<tr>", out);
            for (int j = 0; j < 3; j++) {
                fputs("<td>", out);
                html_text(out, jtext(v, vk[j]));
                fputs("</td>", out);
            }
            fputs("<td>", out);
            html_text(out, jtext(v, "status"));
            if (*jtext(v, "reason")) {
                fputs(": ", out);
                html_text(out, jtext(v, "reason"));
            }
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    static const char *const ek[] = {"hash", "list", "category", "series"};
    fputs("<h2>Evidence references</h2><table><tr><th>hash</th><th>list</th><th>category</th>"
          "<th>series</th></tr>\n", out);
    html_rows(out, jarr(p, "evidence"), ek, 4);
    static const char *const xk[] = {"ref", "kind", "status", "needs_grading", "last_scan"};
    fputs("</table>\n<h2>Exhibits</h2><table><tr><th>exhibit</th><th>kind</th><th>status</th>"
          "<th>needs grading</th><th>last scan</th></tr>\n", out);
    html_rows(out, jarr(p, "exhibits"), xk, 5);
    static const char *const lk[] = {"at", "state", "by", "note"};
    fputs("</table>\n<h2>Lifecycle</h2><table><tr><th>when</th><th>state</th><th>by</th>"
          "<th>note</th></tr>\n", out);
    html_rows(out, jarr(p, "lifecycle"), lk, 4);
    fputs("</table>\n</body></html>\n", out);
}

ward_status ward_intel_package_export(ward_intel *in, int64_t package, const char *format,
                                      FILE *out, ward_error *err)
{
    int is_html = format && !strcasecmp(format, "html");
    if (format && !is_html && strcasecmp(format, "json"))
        return ward_fail(err, WARD_EINVAL, "format must be json or html");
    /* The live view (lifecycle events after the last version are included). */
    ward_strbuf b = {0};
    ward_status rc = wi_package_json(in, package, &b, err);
    if (!rc && !is_html)
        fprintf(out, "%s\n", b.s);
    else if (!rc) {
        char ebuf[128];
        yajl_val p = yajl_tree_parse(b.s, ebuf, sizeof ebuf);
        if (!p)
            rc = ward_fail(err, WARD_EINTERNAL, "package JSON did not parse: %s", ebuf);
        else
            html(out, p);
        yajl_tree_free(p);
    }
    ward_strbuf_free(&b);
    if (!rc && ferror(out))
        rc = ward_fail(err, WARD_EIO, "cannot write the package");
    return rc;
}
