/*
 * What people read: subject lists and details, packages, the 'query'
 * answers, KPIs, alerts, feedback to the originating agency and the triage
 * report. All write to the caller's FILE; none changes anything except
 * ward_intel_clarify (a person settling a quarantined value).
 */
#include "intel/isp_int.h"   /* and intel_int.h */
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define jstr wi_jstr

void wi_jstr(FILE *out, const char *s)
{
    strbuf b = {0};
    esc_json_string(&b, s ? s : "", s ? strlen(s) : 0);
    fwrite(b.s, 1, b.len, out);
    strbuf_free(&b);
}

void wi_list_begin(wi_list *l, FILE *out, ward_intel_output fmt)
{
    *l = (wi_list){.out = out, .fmt = fmt};
    if (fmt == WARD_INTEL_OUT_JSON)
        fputc('[', out);
}

void wi_list_item(wi_list *l)
{
    if (l->fmt == WARD_INTEL_OUT_JSON)
        fputs(l->n ? ",\n" : "\n", l->out);
    l->n++;
}

void wi_list_item_end(wi_list *l)
{
    if (l->fmt == WARD_INTEL_OUT_JSONL)
        fputc('\n', l->out);
}

void wi_list_end(wi_list *l)
{
    if (l->fmt == WARD_INTEL_OUT_JSON)
        fputs(l->n ? "\n]\n" : "]\n", l->out);
}

#define done wi_done

ward_status wi_query_done(ward_intel *in, wsql_stmt *st, ward_error *err)
{
    int bad = wsql_errcode(in->db) != SQLITE_OK && wsql_errcode(in->db) != SQLITE_DONE &&
              wsql_errcode(in->db) != SQLITE_ROW;
    wsql_finalize(st);
    return bad ? wi_sqlfail(in, err, "query") : WARD_OK;
}

ward_status wi_done(ward_intel *in, wsql_stmt *st, FILE *out, ward_error *err)
{
    ward_status rc = wi_query_done(in, st, err);
    if (rc)
        return rc;
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}

/* The first factor names of a factor text, comma-separated. */
static void top_factors(const char *text, int max, char *out, size_t cap)
{
    out[0] = 0;
    for (int n = 0; text && *text && n < max; n++) {
        const char *bar = strchr(text, '|');
        if (!bar)
            break;
        if (n)
            strncat(out, ", ", cap - strlen(out) - 1);
        strncat(out, text, (size_t)(bar - text) < cap - strlen(out) - 1
                               ? (size_t)(bar - text) : cap - strlen(out) - 1);
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!out[0])
        snprintf(out, cap, "no risk factors");
}

#define SUBJECT_ROWS \
    "SELECT s.id, s.grade, coalesce(s.grade_reasons,''), a.band, a.score, a.deadline," \
    " a.factors, o.band, o.deadline, coalesce(p.holder, 'not routed'), coalesce(p.state, '-')," \
    " (SELECT count(*) FROM subject_records WHERE subject = s.id), p.id" \
    " FROM subjects s JOIN assessments a ON a.id = (SELECT max(id) FROM assessments" \
    "  WHERE subject = s.id)" \
    " LEFT JOIN overrides o ON o.id = (SELECT max(id) FROM overrides WHERE subject = s.id)" \
    " LEFT JOIN packages p ON p.id = (SELECT max(id) FROM packages WHERE subject = s.id" \
    "  AND state != 'merged')" \
    " WHERE s.active = 1"

ward_status ward_intel_subjects(ward_intel *in, const char *band, ward_intel_output fmt,
                                FILE *out, ward_error *err)
{
    int want = -1;
    if (band && (want = wi_band_parse(band)) < 0)
        return err_fail(err, WARD_EINVAL, "band must be very-high, high, medium or low");
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, SUBJECT_ROWS " AND (?1 < 0 OR coalesce(o.band, a.band) = ?1)"
                                    " ORDER BY coalesce(o.band, a.band), a.score DESC, s.id",
                                &st, err);
    if (rc)
        return rc;
    wsql_bind_int(st, 1, want);
    wi_list l;
    wi_list_begin(&l, out, fmt);
    while (wsql_step(st) == SQLITE_ROW) {
        char sid[16], tops[200];
        wi_subject_id(wsql_column_int64(st, 0), sid);
        int mb = wsql_column_int(st, 3) & 3;
        int ob = wsql_column_type(st, 7) == SQLITE_NULL ? -1 : wsql_column_int(st, 7) & 3;
        int eff = ob >= 0 ? ob : mb;
        const char *deadline = ob >= 0 ? wi_col(st, 8) : wi_col(st, 5);
        top_factors(wi_col(st, 6), 3, tops, sizeof tops);
        if (fmt) {
            wi_list_item(&l);
            fprintf(out, "{\"subject\":\"%s\",\"band\":\"%s\",\"model_band\":\"%s\","
                         "\"overridden\":%s,\"score\":%.1f,\"deadline\":\"%s\",\"grade\":",
                    sid, wi_band_labels[eff], wi_band_labels[mb], ob >= 0 ? "true" : "false",
                    wsql_column_double(st, 4), deadline);
            jstr(out, wi_col(st, 1));
            fputs(",\"grade_reasons\":", out);
            jstr(out, wi_col(st, 2));
            fputs(",\"holder\":", out);
            jstr(out, wi_col(st, 9));
            fprintf(out, ",\"state\":\"%s\",\"referrals\":%d,\"package\":%lld,\"factors\":",
                    wi_col(st, 10), wsql_column_int(st, 11),
                    (long long)wsql_column_int64(st, 12));
            jstr(out, tops);
            fputc('}', out);
            wi_list_item_end(&l);
        } else
            fprintf(out, "%s  %-9s%s score %5.1f  due %s  grade %s  %-28s %-12s %d ref  %s\n",
                    sid, wi_band_labels[eff], ob >= 0 ? "*" : " ", wsql_column_double(st, 4),
                    deadline, wi_col(st, 1), wi_col(st, 9), wi_col(st, 10),
                    wsql_column_int(st, 11), tops);
    }
    wi_list_end(&l);
    return done(in, st, out, err);
}

static void factor_lines(FILE *out, const char *text)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        char line[512], empty[1] = "", *f[7];
        snprintf(line, sizeof line, "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
        char *tok = line;
        for (int i = 0; i < 7; i++) {   /* name|group|weight|status|source|date|value */
            f[i] = tok ? tok : empty;
            tok = tok ? strchr(tok, '|') : NULL;
            if (tok)
                *tok++ = 0;
        }
        fprintf(out, "    %-24s %-11s +%-5s %-12s source: %s; date: %s; %s\n", f[0], f[1], f[2],
                f[3], f[4], f[5], f[6]);
        p = nl ? nl + 1 : NULL;
    }
}

static ward_status tombstone(const ward_intel_disposal *d, int json, FILE *out,
                             ward_error *err)
{
    if (json) {
        fprintf(out, "{\"subject\":\"%s\",\"disposed\":", d->subject);
        jstr(out, d->at);
        fputs(",\"by\":", out);
        jstr(out, d->by);
        fputs(",\"reason\":", out);
        jstr(out, d->reason);
        fputs(",\"removed\":", out);
        jstr(out, d->removed);
        fputs("}\n", out);
    } else
        fprintf(out, "%s  disposed of %s by %s: %s\n  removed %s\n", d->subject, d->at, d->by,
                d->reason, d->removed);
    return ferror(out) ? err_fail(err, WARD_EIO, "cannot write the output") : WARD_OK;
}

ward_status wi_subject_package(ward_intel *in, const char *subject, int64_t *package,
                               ward_error *err)
{
    int64_t id = wi_subject_num(subject), active;
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    char q[160];
    snprintf(q, sizeof q, "SELECT active FROM subjects WHERE id = %lld", (long long)id);
    ward_status rc = wi_query_int(in, q, NULL, -1, &active, err);
    if (!rc && active < 0)
        rc = err_fail(err, WARD_ENOTFOUND, "no subject %s", subject);
    snprintf(q, sizeof q, "SELECT max(id) FROM packages WHERE subject = %lld", (long long)id);
    if (!rc)
        rc = wi_query_int(in, q, NULL, 0, package, err);
    if (!rc && !*package)
        rc = err_fail(err, WARD_ENOTFOUND, "%s has no package yet: run 'ward intel route'",
                       subject);
    return rc;
}

ward_status ward_intel_subject_show(ward_intel *in, const char *subject, int json, FILE *out,
                                    ward_error *err)
{
    int64_t id = wi_subject_num(subject);
    if (!id)
        return err_fail(err, WARD_EINVAL, "'%s' is not a subject id (S000123)", subject);
    int64_t pkg, active;
    char q[160];
    snprintf(q, sizeof q, "SELECT active FROM subjects WHERE id = %lld", (long long)id);
    ward_status rc = wi_query_int(in, q, NULL, -1, &active, err);
    if (!rc && active < 0)
        rc = err_fail(err, WARD_ENOTFOUND, "no subject %s", subject);
    if (rc)
        return rc;
    if (!active) {   /* a tombstone has nothing else to show */
        ward_intel_disposal d;
        ward_error ignore;
        if (ward_intel_disposal_get(in, subject, &d, &ignore) == WARD_OK)
            return tombstone(&d, json, out, err);
    }
    snprintf(q, sizeof q, "SELECT max(id) FROM packages WHERE subject = %lld", (long long)id);
    if ((rc = wi_query_int(in, q, NULL, 0, &pkg, err)))
        return rc;
    if (json) {
        if (!pkg)
            return err_fail(err, WARD_ENOTFOUND, "%s has no package yet: run 'ward intel route'",
                             subject);
        return ward_intel_package_export(in, pkg, "json", out, err);
    }
    char sid[16];
    wi_subject_id(id, sid);
    wsql_stmt *st;
    if ((rc = wi_prepare(in, "SELECT grade, grade_reasons, created FROM subjects WHERE id = ?",
                         &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    if (wsql_step(st) == SQLITE_ROW)
        fprintf(out, "%s%s  created %s\n  attribution grade %s: %s\n", sid,
                active ? "" : " (merged into another subject)", wi_col(st, 2), wi_col(st, 0),
                wi_col(st, 1));
    wsql_finalize(st);
    int mb;
    double score;
    char deadline[32];
    int band = wi_subject_band(in, id, &mb, &score, deadline);
    if (mb >= 0)
        fprintf(out, "  band %s (model: %s, score %.1f), action by %s\n", wi_band_labels[band],
                wi_band_labels[mb], score, deadline);
    if ((rc = wi_prepare(in, "SELECT at, by, band, reason FROM overrides WHERE subject = ?"
                             " ORDER BY id", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    while (wsql_step(st) == SQLITE_ROW)
        fprintf(out, "  override %s by %s: %s, because: %s\n", wi_col(st, 0), wi_col(st, 1),
                wi_band_labels[wsql_column_int(st, 2) & 3], wi_col(st, 3));
    wsql_finalize(st);
    if ((rc = wi_prepare(in, "SELECT at, band, score, factors, changes FROM assessments WHERE"
                             " subject = ? ORDER BY id", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    fputs("  assessments:\n", out);
    int last = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        fprintf(out, "   %s %s score %.1f: %s\n", wi_col(st, 0),
                wi_band_labels[wsql_column_int(st, 1) & 3], wsql_column_double(st, 2),
                wi_col(st, 4));
        last = 1;
    }
    wsql_reset(st);
    if (last) {   /* the factors of the latest */
        wsql_stmt *f;
        if (!wi_prepare(in, "SELECT factors FROM assessments WHERE subject = ? ORDER BY id DESC"
                            " LIMIT 1", &f, NULL)) {
            wsql_bind_int64(f, 1, id);
            if (wsql_step(f) == SQLITE_ROW) {
                fputs("  factors (weight after evidential status):\n", out);
                factor_lines(out, wi_col(f, 0));
            }
            wsql_finalize(f);
        }
    }
    wsql_finalize(st);
    if ((rc = wi_prepare(in, "SELECT at, action, detail FROM subject_history WHERE subject = ?"
                             " OR other = ? ORDER BY id", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    wsql_bind_int64(st, 2, id);
    while (wsql_step(st) == SQLITE_ROW)
        fprintf(out, "  %s %s: %s\n", wi_col(st, 0), wi_col(st, 1), wi_col(st, 2));
    wsql_finalize(st);
    if ((rc = wi_prepare(in, "SELECT r.id, r.ref, b.source, r.locator FROM subject_records sr"
                             " JOIN records r ON r.id = sr.record JOIN batches b ON b.id = r.batch"
                             " WHERE sr.subject = ? ORDER BY r.id", &st, err)))
        return rc;
    wsql_stmt *v;
    if ((rc = wi_prepare(in, "SELECT field, raw, coalesce(norm, ''), status, coalesce(reason, '')"
                             " FROM vals WHERE record = ? ORDER BY id", &v, err))) {
        wsql_finalize(st);
        return rc;
    }
    wsql_bind_int64(st, 1, id);
    fputs("  referrals:\n", out);
    while (wsql_step(st) == SQLITE_ROW) {
        fprintf(out, "   record %lld  %s from %s (%s)\n", (long long)wsql_column_int64(st, 0),
                wi_col(st, 1), wi_col(st, 2), wi_col(st, 3));
        wsql_bind_int64(v, 1, wsql_column_int64(st, 0));
        while (wsql_step(v) == SQLITE_ROW) {
            int ok = !strcmp(wi_col(v, 3), "ok");
            fprintf(out, "     %-14s %-40s %s%s%s%s\n", wi_col(v, 0), wi_col(v, 1),
                    ok ? "-> " : "", ok ? wi_col(v, 2) : wi_col(v, 3), ok ? "" : ": ",
                    ok ? "" : wi_col(v, 4));
        }
        wsql_reset(v);
    }
    wsql_finalize(v);
    return done(in, st, out, err);
}

/* ---- query ------------------------------------------------------------ */

typedef struct tally {
    char key[64];
    uint64_t n;
} tally;

static void count(tally *t, size_t *n, size_t cap, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].key, key)) {
            t[i].n++;
            return;
        }
    if (*n < cap) {
        snprintf(t[*n].key, sizeof t[*n].key, "%s", key);
        t[(*n)++].n = 1;
    }
}

static int cmp_tally(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The force of a subject's postcode area (also when a hub holds it). */
static void force_of(ward_intel *in, wsql_stmt *pc, int64_t subject, const char *holder,
                     char out[64])
{
    snprintf(out, 64, "%s", holder);
    wsql_bind_int64(pc, 1, subject);
    if (wsql_step(pc) == SQLITE_ROW) {
        char area[8];
        wi_postcode_area(wi_col(pc, 0), area);
        const wi_area *a = wi_area_find(&in->routing, area);
        if (a)
            snprintf(out, 64, "%s", a->force);
    }
    wsql_reset(pc);
}

ward_status ward_intel_query(ward_intel *in, const char *source, const char *factor,
                             const char *by, int json, FILE *out, ward_error *err)
{
    if (by && strcmp(by, "force") && strcmp(by, "hub") && strcmp(by, "band"))
        return err_fail(err, WARD_EINVAL, "--by must be force, hub or band");
    if (factor && !wi_factor_find(&in->risk, factor))
        return err_fail(err, WARD_EINVAL, "'%s' is not a factor of the risk model", factor);
    if (source) {
        int64_t n;
        ward_status rc = wi_query_int(in, "SELECT count(*) FROM batches WHERE source = ?", source,
                                      0, &n, err);
        if (rc)
            return rc;
        if (!n)
            return err_fail(err, WARD_ENOTFOUND, "no list named '%s'", source);
    }
    wsql_stmt *st, *pc;
    ward_status rc = wi_prepare(
        in,
        "SELECT s.id, coalesce(p.holder, 'not routed'), coalesce(o.band, a.band, 3) FROM subjects s"
        " LEFT JOIN packages p ON p.id = (SELECT max(id) FROM packages WHERE subject = s.id"
        "  AND state != 'merged')"
        " LEFT JOIN assessments a ON a.id = (SELECT max(id) FROM assessments WHERE subject = s.id)"
        " LEFT JOIN overrides o ON o.id = (SELECT max(id) FROM overrides WHERE subject = s.id)"
        " WHERE s.active = 1"
        " AND (CAST(?1 AS TEXT) IS NULL OR s.id IN (SELECT sr.subject FROM subject_records sr"
        "  JOIN records r ON r.id = sr.record JOIN batches b ON b.id = r.batch"
        "  WHERE b.source = ?1))"
        " AND (CAST(?2 AS TEXT) IS NULL OR s.id IN (SELECT sr.subject FROM factors f"
        "  JOIN subject_records sr ON sr.record = f.record WHERE f.factor = ?2"
        "  UNION SELECT subject FROM factors WHERE factor = ?2))", &st, err);
    if (rc)
        return rc;
    if ((rc = wi_prepare(in, "SELECT v.norm FROM vals v JOIN subject_records sr ON sr.record ="
                             " v.record WHERE sr.subject = ? AND v.field = 'postcode' AND"
                             " v.status IN ('ok','resolved') ORDER BY v.id LIMIT 1", &pc, err))) {
        wsql_finalize(st);
        return rc;
    }
    wsql_bind_text(st, 1, source, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, factor, -1, SQLITE_STATIC);
    tally t[128];
    size_t n = 0;
    uint64_t total = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        char key[64];
        const char *holder = wi_col(st, 1);
        total++;
        if (!by)
            continue;
        if (!strcmp(by, "band"))
            snprintf(key, sizeof key, "%s", wi_band_labels[wsql_column_int(st, 2) & 3]);
        else if (!strcmp(by, "hub")) {
            const char *hub = wi_hub_of_holder(&in->routing, holder);
            snprintf(key, sizeof key, "%s", hub ? hub : holder);
        } else
            force_of(in, pc, wsql_column_int64(st, 0), holder, key);
        count(t, &n, 128, key);
    }
    wsql_finalize(pc);
    wi_sort(t, n, sizeof *t, cmp_tally);
    if (json) {
        fprintf(out, "{\"list\":");
        jstr(out, source ? source : "all");
        fprintf(out, ",\"factor\":");
        jstr(out, factor ? factor : "any");
        fprintf(out, ",\"subjects\":%llu,\"by\":{", (unsigned long long)total);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? "," : "", out);
            jstr(out, t[i].key);
            fprintf(out, ":%llu", (unsigned long long)t[i].n);
        }
        fputs("}}\n", out);
    } else {
        fprintf(out, "%llu subjects on %s%s%s%s\n", (unsigned long long)total,
                source ? "list " : "all lists", source ? source : "", factor ? " with " : "",
                factor ? factor : "");
        for (size_t i = 0; i < n; i++)
            fprintf(out, "  %6llu  %s\n", (unsigned long long)t[i].n, t[i].key);
    }
    return done(in, st, out, err);
}

ward_status ward_intel_feedback(ward_intel *in, const char *source, FILE *out, ward_error *err)
{
    if (!source)
        return err_fail(err, WARD_EINVAL, "feedback is for one list: name its source");
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT r.ref, coalesce(p.state, 'not routed'), coalesce(p.outcome, ''),"
        " coalesce(p.outcome_reason, ''), coalesce(p.holder, '') FROM records r"
        " JOIN batches b ON b.id = r.batch AND b.source = ?"
        " JOIN subject_records sr ON sr.record = r.id"
        " LEFT JOIN packages p ON p.id = (SELECT max(id) FROM packages WHERE subject = sr.subject"
        "  AND state != 'merged') ORDER BY r.id", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, source, -1, SQLITE_STATIC);
    fprintf(out, "Feedback to the originator of list '%s'\n", source);
    fputs("Per referral: where it went and what came of it.\n", out);
    tally t[32];
    size_t n = 0;
    uint64_t total = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        total++;
        const char *oc = wi_col(st, 2);
        count(t, &n, 32, *oc ? oc : wi_col(st, 1));
        fprintf(out, "  %-16s %-12s %-12s %s%s%s\n", wi_col(st, 0), wi_col(st, 1),
                *oc ? oc : "-", wi_col(st, 4), *wi_col(st, 3) ? ": " : "", wi_col(st, 3));
    }
    wi_sort(t, n, sizeof *t, cmp_tally);
    fprintf(out, "Summary: %llu referrals\n", (unsigned long long)total);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %6llu  %s\n", (unsigned long long)t[i].n, t[i].key);
    return done(in, st, out, err);
}

/* ---- quarantine --------------------------------------------------------- */

ward_status ward_intel_quarantine_list(ward_intel *in, FILE *out, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT v.id, r.locator, v.field, v.raw, v.reason FROM vals v"
                                    " JOIN records r ON r.id = v.record WHERE v.status ="
                                    " 'quarantined' ORDER BY v.id", &st, err);
    if (rc)
        return rc;
    while (wsql_step(st) == SQLITE_ROW)
        fprintf(out, "%8lld  %s: %s '%s': %s\n", (long long)wsql_column_int64(st, 0),
                wi_col(st, 1), wi_col(st, 2), wi_col(st, 3), wi_col(st, 4));
    return done(in, st, out, err);
}

/* The value must still be quarantined when the answer lands: read and
 * written under one write lock, so two people settling it at once cannot
 * both succeed. */
static ward_status settle_value(ward_intel *in, int64_t value_id, const char *normalised,
                                const char *who, const char *reason, time_t now, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT field, status FROM vals WHERE id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, value_id);
    char field[32] = "", status[16] = "";
    if (wsql_step(st) == SQLITE_ROW) {
        snprintf(field, sizeof field, "%s", wi_col(st, 0));
        snprintf(status, sizeof status, "%s", wi_col(st, 1));
    }
    wsql_finalize(st);
    if (!field[0])
        return err_fail(err, WARD_ENOTFOUND, "no value %lld", (long long)value_id);
    if (strcmp(status, "quarantined"))
        return err_fail(err, WARD_EINVAL, "value %lld is %s, not quarantined", (long long)value_id,
                         status);
    /* A card number is never stored in full, and its keyed hash is made
     * at intake: a corrected number comes in a corrected list. */
    if (!strcmp(field, "card"))
        return err_fail(err, WARD_EINVAL, "value %lld is a card number: ingest the corrected"
                         " number from its source (a card is never stored in full)",
                         (long long)value_id);
    /* The person's answer must itself be unambiguous. */
    wi_norm n;
    if (!strcmp(field, "ip_time") || !strcmp(field, "incident_time"))
        wi_norm_time(normalised, NULL, &n);
    else if (!strcmp(field, "dob"))
        wi_norm_date(normalised, &n);
    else if (!strcmp(field, "phone"))
        wi_norm_phone(normalised, &n);
    else
        n = (wi_norm){.status = WI_OK}, snprintf(n.value, sizeof n.value, "%s", normalised);
    if (n.status != WI_OK)
        return err_fail(err, WARD_EINVAL, "'%s' is still not usable: %s", normalised, n.reason);
    char at[32];
    wi_time_str(now, at);
    if ((rc = wi_prepare(in, "UPDATE vals SET norm = ?, status = 'resolved', resolved_by = ?,"
                             " resolved_at = ?, resolved_reason = ? WHERE id = ?", &st, err)))
        return rc;
    wsql_bind_text(st, 1, n.value, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 5, value_id);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "clarify");
    wsql_finalize(st);
    return rc;
}

ward_status ward_intel_clarify(ward_intel *in, int64_t value_id, const char *normalised,
                               const char *who, const char *reason, time_t now, ward_error *err)
{
    if (!reason || !*reason || !normalised || !*normalised)
        return err_fail(err, WARD_EINVAL, "a clarified value and a reason are required");
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = settle_value(in, value_id, normalised, who, reason, now, err);
    return wi_end(in, rc, err);
}

/* ---- the triage report ------------------------------------------------------- */

ward_status ward_intel_report(ward_intel *in, time_t now, FILE *out, ward_error *err)
{
    int64_t records, subjects, quarantined, unusable, packages;
    ward_status rc = wi_query_int(in, "SELECT count(*) FROM records", NULL, 0, &records, err);
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM subjects WHERE active = 1", NULL, 0,
                          &subjects, err);
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM vals WHERE status = 'quarantined'", NULL, 0,
                          &quarantined, err);
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM vals WHERE status = 'unusable'", NULL, 0,
                          &unusable, err);
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM packages", NULL, 0, &packages, err);
    if (rc)
        return rc;
    char at[32];
    wi_time_str(now, at);
    fprintf(out, "WARD INTEL TRIAGE REPORT  %s\n", at);
    fprintf(out, "Bands order the work; they are not findings of guilt. A person reviews each.\n\n");
    fprintf(out, "%lld referrals -> %lld subjects, %lld packages; %lld values quarantined for a"
                 " person, %lld IP values unusable for identification.\n",
            (long long)records, (long long)subjects, (long long)packages, (long long)quarantined,
            (long long)unusable);
    wsql_stmt *st;
    if ((rc = wi_prepare(in, SUBJECT_ROWS " ORDER BY coalesce(o.band, a.band), a.score DESC, s.id",
                         &st, err)))
        return rc;
    int cur = -1, shown = 0, in_band[WI_NBANDS] = {0};
    while (wsql_step(st) == SQLITE_ROW) {
        int eff = wsql_column_type(st, 7) == SQLITE_NULL ? wsql_column_int(st, 3) & 3
                                                            : wsql_column_int(st, 7) & 3;
        in_band[eff]++;
        if (eff != cur) {
            cur = eff, shown = 0;
            fprintf(out, "\n== %s (act within %d h) ==\n", wi_band_labels[eff],
                    in->risk.band_hours[eff]);
        }
        if (shown++ >= 10)
            continue;
        char sid[16], tops[300];
        wi_subject_id(wsql_column_int64(st, 0), sid);
        top_factors(wi_col(st, 6), 4, tops, sizeof tops);
        fprintf(out, "  %s score %5.1f%s grade %s -> %s\n      why: %s\n      identity: %s\n",
                sid, wsql_column_double(st, 4),
                wsql_column_type(st, 7) == SQLITE_NULL ? "" : " (analyst override)",
                wi_col(st, 1), wi_col(st, 9), tops, wi_col(st, 2));
    }
    wsql_finalize(st);
    fputs("\nSubjects per band:", out);
    for (int b = 0; b < WI_NBANDS; b++)
        fprintf(out, "  %s %d", wi_band_labels[b], in_band[b]);
    fputs("\n\nRouting:\n", out);
    if ((rc = wi_prepare(in, "SELECT holder, count(*) FROM packages WHERE state != 'merged'"
                             " GROUP BY holder ORDER BY 2 DESC, 1", &st, err)))
        return rc;
    while (wsql_step(st) == SQLITE_ROW)
        fprintf(out, "  %6d  %s\n", wsql_column_int(st, 1), wi_col(st, 0));
    wsql_finalize(st);
    fputs("\nQuarantined values (a person must settle these; never used to identify):\n", out);
    if ((rc = wi_prepare(in, "SELECT r.locator, v.field, v.raw, v.reason, v.id FROM vals v"
                             " JOIN records r ON r.id = v.record WHERE v.status = 'quarantined'"
                             " ORDER BY v.id LIMIT 15", &st, err)))
        return rc;
    while (wsql_step(st) == SQLITE_ROW)
        fprintf(out, "  [%lld] %s: %s '%s': %s\n", (long long)wsql_column_int64(st, 4),
                wi_col(st, 0), wi_col(st, 1), wi_col(st, 2), wi_col(st, 3));
    if (quarantined > 15)
        fprintf(out, "  ... and %lld more ('ward intel quarantine')\n", (long long)quarantined - 15);
    wsql_finalize(st);
    uint64_t alerts = 0;
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        rc = ward_intel_alerts(in, now, 0, null, &alerts, err);
        fclose(null);
    }
    fprintf(out, "\nAlerts (deconfliction, closed subjects, overdue): %llu ('ward intel alerts')\n",
            (unsigned long long)alerts);
    return rc ? rc : ferror(out) ? err_fail(err, WARD_EIO, "cannot write the report") : WARD_OK;
}
