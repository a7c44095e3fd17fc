/*
 * A package as a typed view (issue 19 item 2): the subject, its referrals
 * with every value as received and normalised, evidence and exhibits, the
 * assessment and override, routing and lifecycle, read once into
 * ward_intel_package_view. The package JSON (the record of truth that
 * package_versions keeps), its printable HTML page and the web pages are
 * all rendered from it.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char caveat[] = "Intelligence for assessment by a person, not evidence of guilt. "
                             "The band orders work; every factor shows its source, date and "
                             "status.";
static const char *const checklist_rest[] = {
    "Safeguard any child at risk first, within the deadline",
    "Check each factor's source, date and status (fact, intelligence, assumption)",
    "Deconflict with the holder and other units before acting",
    "Record the outcome"};

/* ---- reading ----------------------------------------------------------------- */

typedef struct reader {
    int oom;
} reader;

static char *col(reader *r, wsql_stmt *st, int i) { return wi_col_dup(st, i, &r->oom); }

static char *dup_n(reader *r, const char *s, size_t n)
{
    char *d = strndup(s, n);
    r->oom |= !d;
    return d;
}

/* One more zeroed element of an array whose count is *n; NULL when out of
 * memory. The capacity is the count rounded up as wi_push grows it. */
static void *push(reader *r, void **items, size_t *n, size_t size)
{
    size_t cap = *n;
    if (cap > 16) {   /* wi_push doubles from 16 */
        size_t c = 16;
        while (c < cap)
            c *= 2;
        cap = c;
    } else
        cap = *items ? 16 : 0;
    void *e = wi_push(items, n, &cap, size);
    r->oom |= !e;
    return e;
}

static ward_status head(ward_intel *in, reader *r, ward_intel_package_view *v, int64_t *subject,
                        ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT p.subject, p.version, p.holder, p.route_reason,"
                                   " p.state, p.created, p.updated, p.deadline, p.outcome,"
                                   " p.outcome_reason, s.grade, s.grade_reasons FROM packages p"
                                   " JOIN subjects s ON s.id = p.subject WHERE p.id = ?",
                               &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, v->package);
    if (wsql_step(st) != SQLITE_ROW) {
        wsql_reset(st);
        return err_fail(err, WARD_ENOTFOUND, "no package %lld", (long long)v->package);
    }
    *subject = wsql_column_int64(st, 0);
    wi_subject_id(*subject, v->subject);
    v->version = wsql_column_int(st, 1);
    v->holder = col(r, st, 2), v->route_reason = col(r, st, 3), v->state = col(r, st, 4);
    v->created = col(r, st, 5), v->updated = col(r, st, 6), v->deadline = col(r, st, 7);
    v->outcome = col(r, st, 8), v->outcome_reason = col(r, st, 9);
    v->grade = col(r, st, 10), v->grade_reasons = col(r, st, 11);
    wsql_reset(st);
    /* on an unverified identity, verification comes first, before anything
     * done to a person */
    v->identity_unverified = wi_grade_unverified(v->grade);
    v->caveat = caveat;
    if (v->identity_unverified) {
        char first[200];
        v->notice = WI_UNVERIFIED_NOTICE;
        snprintf(first, sizeof first, "Verify the identity (attribution grade %s) with the "
                 "holders of its identifiers before any action against a person",
                 v->grade && *v->grade ? v->grade : "none");
        v->checklist_first = dup_n(r, first, strlen(first));
        v->checklist[v->n_checklist++] = v->checklist_first;
    }
    for (size_t i = 0; i < sizeof checklist_rest / sizeof *checklist_rest; i++)
        v->checklist[v->n_checklist++] = checklist_rest[i];
    return WARD_OK;
}

/* "name|group|weight|status|source|date|value" lines (risk.c). */
static void factors(reader *r, ward_intel_package_view *v, const char *text)
{
    for (const char *p = text; p && *p && !r->oom;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        ward_intel_factor_view *f = push(r, (void **)&v->assessment.factors,
                                         &v->assessment.n_factors, sizeof *f);
        if (!f)
            return;
        char **field[7] = {&f->factor, &f->group, NULL, &f->status, &f->source, &f->date,
                           &f->value};
        for (int i = 0; i < 7; i++) {
            const char *bar = memchr(p, '|', (size_t)(end - p));
            const char *fe = bar && i < 6 ? bar : end;
            if (field[i])
                *field[i] = dup_n(r, p, (size_t)(fe - p));
            else
                f->weight = strtod(p, NULL);
            p = fe < end ? fe + 1 : end;
        }
        p = nl ? nl + 1 : NULL;
    }
}

static ward_status assessment(ward_intel *in, reader *r, ward_intel_package_view *v,
                              int64_t subject, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT at, score, band, deadline, factors, changes FROM"
                                   " assessments WHERE subject = ? ORDER BY id DESC LIMIT 1",
                               &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, subject);
    if (wsql_step(st) == SQLITE_ROW) {
        v->has_assessment = 1;
        v->assessment.band = wi_band_labels[wsql_column_int(st, 2) & 3];
        v->assessment.score = wsql_column_double(st, 1);
        v->assessment.at = col(r, st, 0);
        v->assessment.deadline = col(r, st, 3);
        factors(r, v, wi_col(st, 4));
        v->assessment.changes = col(r, st, 5);
    }
    wsql_reset(st);
    if ((rc = wi_cached(in, "SELECT band, at, by, reason, deadline FROM overrides WHERE"
                            " subject = ? ORDER BY id DESC LIMIT 1", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, subject);
    if (wsql_step(st) == SQLITE_ROW) {
        v->has_override = 1;
        v->override.band = wi_band_labels[wsql_column_int(st, 0) & 3];
        v->override.at = col(r, st, 1), v->override.by = col(r, st, 2);
        v->override.reason = col(r, st, 3), v->override.deadline = col(r, st, 4);
    }
    wsql_reset(st);
    return WARD_OK;
}

static ward_status values(ward_intel *in, reader *r, ward_intel_referral_view *ref,
                          ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT id, field, raw, norm, status, reason, resolved_by"
                                   " FROM vals WHERE record = ?1 ORDER BY id", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, ref->record);
    while (!r->oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_value_view *x = push(r, (void **)&ref->values, &ref->n_values, sizeof *x);
        if (!x)
            break;
        x->id = wsql_column_int64(st, 0);
        x->field = col(r, st, 1), x->raw = col(r, st, 2), x->normalised = col(r, st, 3);
        x->status = col(r, st, 4), x->reason = col(r, st, 5), x->resolved_by = col(r, st, 6);
    }
    wsql_reset(st);
    return WARD_OK;
}

static ward_status referrals(ward_intel *in, reader *r, ward_intel_package_view *v,
                             int64_t subject, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT r.id, r.ref, b.source, r.locator, r.typology,"
                                    " r.urgent, r.international FROM subject_records sr"
                                    " JOIN records r ON r.id = sr.record JOIN batches b"
                                    " ON b.id = r.batch WHERE sr.subject = ? ORDER BY r.id",
                                &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, subject);
    while (!rc && !r->oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_referral_view *x = push(r, (void **)&v->referrals, &v->n_referrals,
                                           sizeof *x);
        if (!x)
            break;
        x->record = wsql_column_int64(st, 0);
        x->ref = col(r, st, 1), x->source = col(r, st, 2), x->locator = col(r, st, 3);
        x->typology = col(r, st, 4), x->urgent = col(r, st, 5);
        x->international = wsql_column_int(st, 6);
        rc = values(in, r, x, err);
    }
    ward_status q = wi_query_done(in, st, err);
    return rc ? rc : q;
}

static ward_status evidence(ward_intel *in, reader *r, ward_intel_package_view *v,
                            int64_t subject, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT v.norm, h.list, h.category, h.class, h.series"
                                   " FROM subject_records sr JOIN vals v ON v.record = sr.record"
                                   " AND v.field = 'file_hash' LEFT JOIN file_hits h"
                                   " ON h.val = v.id WHERE sr.subject = ?1 ORDER BY v.id,"
                                   " coalesce(h.list, ''), coalesce(h.category, ''),"
                                   " coalesce(h.class, ''), coalesce(h.series, '')", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, subject);
    while (!r->oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_evidence_view *x = push(r, (void **)&v->evidence, &v->n_evidence, sizeof *x);
        if (!x)
            break;
        x->hash = col(r, st, 0), x->list = col(r, st, 1), x->category = col(r, st, 2);
        x->klass = col(r, st, 3), x->series = col(r, st, 4);
    }
    wsql_reset(st);
    /* the subject's exhibits (src/casework): what was seized, where it
     * stands, and whether a scan found material a person must grade */
    if ((rc = wi_cached(in, "SELECT e.ref, e.kind, CASE e.status WHEN 0 THEN 'seized'"
                            " WHEN 1 THEN 'awaiting-acquisition' WHEN 2 THEN 'acquired'"
                            " WHEN 3 THEN 'triaged' WHEN 4 THEN 'full-examination'"
                            " WHEN 5 THEN 'reported' WHEN 6 THEN 'returned' ELSE 'destroyed' END,"
                            " CASE WHEN e.needs_grading = 1 THEN 'yes' ELSE 'no' END,"
                            " (SELECT max(x.at) FROM exhibit_scans x WHERE x.exhibit = e.id)"
                            " FROM exhibits e WHERE e.subject = ?1 ORDER BY e.ref", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, subject);
    while (!r->oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_exhibit_view *x = push(r, (void **)&v->exhibits, &v->n_exhibits, sizeof *x);
        if (!x)
            break;
        x->ref = col(r, st, 0), x->kind = col(r, st, 1), x->status = col(r, st, 2);
        x->needs_grading = col(r, st, 3), x->last_scan = col(r, st, 4);
    }
    wsql_reset(st);
    return WARD_OK;
}

static ward_status lifecycle(ward_intel *in, reader *r, ward_intel_package_view *v,
                             ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(in, "SELECT at, state, by, note FROM package_events"
                                   " WHERE package = ?1 ORDER BY id", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, v->package);
    while (!r->oom && wsql_step(st) == SQLITE_ROW) {
        ward_intel_event_view *x = push(r, (void **)&v->lifecycle, &v->n_lifecycle, sizeof *x);
        if (!x)
            break;
        x->at = col(r, st, 0), x->state = col(r, st, 1), x->by = col(r, st, 2);
        x->note = col(r, st, 3);
    }
    wsql_reset(st);
    return WARD_OK;
}

ward_status ward_intel_package_view_get(ward_intel *in, int64_t package,
                                        ward_intel_package_view *v, ward_error *err)
{
    memset(v, 0, sizeof *v);
    v->package = package;
    reader r = {0};
    int64_t subject = 0;
    ward_status rc = head(in, &r, v, &subject, err);
    if (!rc)
        rc = assessment(in, &r, v, subject, err);
    if (!rc)
        rc = referrals(in, &r, v, subject, err);
    if (!rc)
        rc = evidence(in, &r, v, subject, err);
    if (!rc)
        rc = lifecycle(in, &r, v, err);
    if (!rc && r.oom)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

ward_status ward_intel_subject_view_get(ward_intel *in, const char *subject,
                                        ward_intel_package_view *v, ward_error *err)
{
    memset(v, 0, sizeof *v);
    int64_t pkg;
    ward_status rc = wi_subject_package(in, subject, &pkg, err);
    return rc ? rc : ward_intel_package_view_get(in, pkg, v, err);
}

void ward_intel_package_view_free(ward_intel_package_view *v)
{
    if (!v)
        return;
    free(v->holder), free(v->route_reason), free(v->state), free(v->created);
    free(v->updated), free(v->deadline), free(v->outcome), free(v->outcome_reason);
    free(v->grade), free(v->grade_reasons), free(v->checklist_first);
    for (size_t i = 0; i < v->assessment.n_factors; i++) {
        ward_intel_factor_view *f = &v->assessment.factors[i];
        free(f->factor), free(f->group), free(f->status), free(f->source), free(f->date);
        free(f->value);
    }
    free(v->assessment.factors);
    free(v->assessment.at), free(v->assessment.deadline), free(v->assessment.changes);
    free(v->override.at), free(v->override.by), free(v->override.reason);
    free(v->override.deadline);
    for (size_t i = 0; i < v->n_referrals; i++) {
        ward_intel_referral_view *x = &v->referrals[i];
        for (size_t k = 0; k < x->n_values; k++) {
            ward_intel_value_view *y = &x->values[k];
            free(y->field), free(y->raw), free(y->normalised), free(y->status);
            free(y->reason), free(y->resolved_by);
        }
        free(x->values);
        free(x->ref), free(x->source), free(x->locator), free(x->typology), free(x->urgent);
    }
    free(v->referrals);
    for (size_t i = 0; i < v->n_evidence; i++) {
        ward_intel_evidence_view *x = &v->evidence[i];
        free(x->hash), free(x->list), free(x->category), free(x->klass), free(x->series);
    }
    free(v->evidence);
    for (size_t i = 0; i < v->n_exhibits; i++) {
        ward_intel_exhibit_view *x = &v->exhibits[i];
        free(x->ref), free(x->kind), free(x->status), free(x->needs_grading);
        free(x->last_scan);
    }
    free(v->exhibits);
    for (size_t i = 0; i < v->n_lifecycle; i++) {
        ward_intel_event_view *x = &v->lifecycle[i];
        free(x->at), free(x->state), free(x->by), free(x->note);
    }
    free(v->lifecycle);
    memset(v, 0, sizeof *v);
}

/* ---- JSON ----------------------------------------------------------------------- */

/* "key":"value" or "key":null, with a leading comma unless first. */
static void js(strbuf *b, const char *key, const char *val, int first)
{
    strbuf_addf(b, "%s\"%s\":", first ? "" : ",", key);
    if (val)
        esc_json_string(b, val, strlen(val));
    else
        strbuf_add(b, "null", 4);
}

static void json_referrals(strbuf *b, const ward_intel_package_view *v)
{
    strbuf_add(b, "\"referrals\":[", 13);
    for (size_t i = 0; i < v->n_referrals; i++) {
        const ward_intel_referral_view *r = &v->referrals[i];
        strbuf_addf(b, "%s{\"record\":%lld", i ? "," : "", (long long)r->record);
        js(b, "ref", r->ref, 0), js(b, "source", r->source, 0), js(b, "locator", r->locator, 0);
        js(b, "typology", r->typology, 0), js(b, "urgent", r->urgent, 0);
        strbuf_addf(b, ",\"international\":%d,\"values\":[", r->international);
        for (size_t k = 0; k < r->n_values; k++) {
            const ward_intel_value_view *x = &r->values[k];
            strbuf_addf(b, "%s{\"id\":%lld", k ? "," : "", (long long)x->id);
            js(b, "field", x->field, 0), js(b, "raw", x->raw, 0);
            js(b, "normalised", x->normalised, 0), js(b, "status", x->status, 0);
            js(b, "reason", x->reason, 0), js(b, "resolved_by", x->resolved_by, 0);
            strbuf_add(b, "}", 1);
        }
        strbuf_add(b, "]}", 2);
    }
    strbuf_add(b, "],", 2);
}

static void json_assessment(strbuf *b, const ward_intel_package_view *v)
{
    strbuf_addf(b, "\"assessment\":");
    if (v->has_assessment) {
        strbuf_addf(b, "{\"band\":\"%s\",\"score\":%.1f,", v->assessment.band,
                         v->assessment.score);
        js(b, "at", v->assessment.at, 1), js(b, "deadline", v->assessment.deadline, 0);
        strbuf_add(b, ",\"factors\":[", 12);
        for (size_t i = 0; i < v->assessment.n_factors; i++) {
            const ward_intel_factor_view *f = &v->assessment.factors[i];
            strbuf_add(b, i ? ",{" : "{", i ? 2 : 1);
            js(b, "factor", f->factor, 1), js(b, "group", f->group, 0);
            strbuf_addf(b, ",\"weight\":%.1f", f->weight);
            js(b, "status", f->status, 0), js(b, "source", f->source, 0);
            js(b, "date", f->date, 0), js(b, "value", f->value, 0);
            strbuf_add(b, "}", 1);
        }
        strbuf_add(b, "],", 2);
        js(b, "changes", v->assessment.changes, 1);
        strbuf_add(b, "},", 2);
    } else
        strbuf_addf(b, "null,");
    strbuf_addf(b, "\"override\":");
    if (v->has_override) {
        strbuf_addf(b, "{\"band\":\"%s\"", v->override.band);
        js(b, "at", v->override.at, 0), js(b, "by", v->override.by, 0);
        js(b, "reason", v->override.reason, 0), js(b, "deadline", v->override.deadline, 0);
        strbuf_add(b, "},", 2);
    } else
        strbuf_addf(b, "null,");
}

void wi_package_view_json(const ward_intel_package_view *v, strbuf *b)
{
    strbuf_addf(b, "{\"package\":%lld,\"version\":%d,\"subject\":\"%s\",",
                     (long long)v->package, v->version, v->subject);
    js(b, "holder", v->holder, 1), js(b, "route_reason", v->route_reason, 0);
    js(b, "state", v->state, 0), js(b, "created", v->created, 0);
    js(b, "updated", v->updated, 0), js(b, "deadline", v->deadline, 0);
    js(b, "outcome", v->outcome, 0), js(b, "outcome_reason", v->outcome_reason, 0);
    strbuf_add(b, ",\"attribution\":{", 16);
    js(b, "grade", v->grade, 1), js(b, "reasons", v->grade_reasons, 0);
    strbuf_addf(b, "},\"identity_unverified\":%s,",
                     v->identity_unverified ? "true" : "false");
    if (v->notice)
        js(b, "notice", v->notice, 1), strbuf_add(b, ",", 1);
    strbuf_addf(b, "\"checklist\":[");
    for (size_t i = 0; i < v->n_checklist; i++) {
        if (i)
            strbuf_add(b, ",", 1);
        esc_json_string(b, v->checklist[i], strlen(v->checklist[i]));
    }
    strbuf_add(b, "],", 2);
    js(b, "caveat", v->caveat, 1);
    strbuf_add(b, ",", 1);
    json_assessment(b, v);
    json_referrals(b, v);
    strbuf_add(b, "\"evidence\":[", 12);
    for (size_t i = 0; i < v->n_evidence; i++) {
        const ward_intel_evidence_view *x = &v->evidence[i];
        strbuf_add(b, i ? ",{" : "{", i ? 2 : 1);
        js(b, "hash", x->hash, 1), js(b, "list", x->list, 0), js(b, "category", x->category, 0);
        js(b, "class", x->klass, 0), js(b, "series", x->series, 0);
        strbuf_add(b, "}", 1);
    }
    strbuf_add(b, "],\"exhibits\":[", 14);
    for (size_t i = 0; i < v->n_exhibits; i++) {
        const ward_intel_exhibit_view *x = &v->exhibits[i];
        strbuf_add(b, i ? ",{" : "{", i ? 2 : 1);
        js(b, "ref", x->ref, 1), js(b, "kind", x->kind, 0), js(b, "status", x->status, 0);
        js(b, "needs_grading", x->needs_grading, 0), js(b, "last_scan", x->last_scan, 0);
        strbuf_add(b, "}", 1);
    }
    strbuf_add(b, "],\"lifecycle\":[", 15);
    for (size_t i = 0; i < v->n_lifecycle; i++) {
        const ward_intel_event_view *x = &v->lifecycle[i];
        strbuf_add(b, i ? ",{" : "{", i ? 2 : 1);
        js(b, "at", x->at, 1), js(b, "state", x->state, 0), js(b, "by", x->by, 0);
        js(b, "note", x->note, 0);
        strbuf_add(b, "}", 1);
    }
    strbuf_add(b, "]}", 2);
}

/* ---- HTML (a page to print to PDF) ---------------------------------------------- */

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

/* A table row of n cells, each escaped (NULL: empty). */
static void html_cells(FILE *out, const char *const *cells, int n)
{
    fputs("<tr>", out);
    for (int k = 0; k < n; k++) {
        fputs("<td>", out);
        html_text(out, cells[k]);
        fputs("</td>", out);
    }
    fputs("</tr>\n", out);
}

static void html_row(FILE *out, const char *k, const char *v)
{
    fputs("<tr><th>", out);
    html_text(out, k);
    fputs("</th><td>", out);
    html_text(out, v);
    fputs("</td></tr>\n", out);
}

static void html_assessment(FILE *out, const ward_intel_package_view *v)
{
    char score[32] = "";
    if (v->has_assessment)
        snprintf(score, sizeof score, "%.1f", v->assessment.score);
    fputs("</table>\n<h2>Assessment</h2><table>\n", out);
    html_row(out, "band (model)", v->has_assessment ? v->assessment.band : NULL);
    html_row(out, "score", score);
    html_row(out, "assessed", v->assessment.at);
    html_row(out, "what changed", v->assessment.changes);
    if (v->has_override) {
        html_row(out, "band (analyst override)", v->override.band);
        html_row(out, "override reason", v->override.reason);
        html_row(out, "override by", v->override.by);
    }
    fputs("</table>\n<h3>Factors</h3><table><tr><th>factor</th><th>group</th><th>weight</th>"
          "<th>status</th><th>source</th><th>date</th><th>detail</th></tr>\n", out);
    for (size_t i = 0; i < v->assessment.n_factors; i++) {
        const ward_intel_factor_view *f = &v->assessment.factors[i];
        char w[32];
        snprintf(w, sizeof w, "%.1f", f->weight);
        const char *cells[] = {f->factor, f->group, w, f->status, f->source, f->date, f->value};
        html_cells(out, cells, 7);
    }
}

static void html_referrals(FILE *out, const ward_intel_package_view *v)
{
    fputs("</table>\n<h2>Referrals</h2>\n", out);
    for (size_t i = 0; i < v->n_referrals; i++) {
        const ward_intel_referral_view *r = &v->referrals[i];
        fputs("<h3>", out);
        html_text(out, r->ref);
        fputs(" from ", out);
        html_text(out, r->source);
        fputs(" (", out);
        html_text(out, r->locator);
        fputs(")</h3>\n<table><tr><th>field</th><th>as received</th><th>normalised</th>"
              "<th>status</th></tr>\n", out);
        for (size_t k = 0; k < r->n_values; k++) {
            const ward_intel_value_view *x = &r->values[k];
            const char *cells[] = {x->field, x->raw, x->normalised};
            fputs("<tr>", out);
            for (int j = 0; j < 3; j++) {
                fputs("<td>", out);
                html_text(out, cells[j]);
                fputs("</td>", out);
            }
            fputs("<td>", out);
            html_text(out, x->status);
            if (x->reason && *x->reason) {
                fputs(": ", out);
                html_text(out, x->reason);
            }
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n", out);
    }
}

void wi_package_view_html(const ward_intel_package_view *v, FILE *out)
{
    fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Package %lld v%d"
                 "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
                 "table{border-collapse:collapse;width:100%%}th,td{border:1px solid #999;"
                 "padding:2px 6px;text-align:left;vertical-align:top}"
                 ".caveat{border:2px solid #000;padding:6px}"
                 "@media print{a{color:#000}}</style></head><body>\n",
            (long long)v->package, v->version);
    fprintf(out, "<h1>Intelligence package %lld (version %d): subject ", (long long)v->package,
            v->version);
    html_text(out, v->subject);
    fputs("</h1>\n<p class=\"caveat\">", out);
    html_text(out, v->caveat);
    fputs("</p>\n", out);
    if (v->notice) {
        fputs("<p class=\"caveat\"><strong>", out);
        html_text(out, v->notice);
        fputs("</strong></p>\n", out);
    }
    fputs("<h2>Checklist</h2><ol>\n", out);
    for (size_t i = 0; i < v->n_checklist; i++) {
        fputs("<li>", out);
        html_text(out, v->checklist[i]);
        fputs("</li>\n", out);
    }
    fputs("</ol>\n<h2>Routing and status</h2><table>\n", out);
    html_row(out, "holder", v->holder);
    html_row(out, "route_reason", v->route_reason);
    html_row(out, "state", v->state);
    html_row(out, "created", v->created);
    html_row(out, "updated", v->updated);
    html_row(out, "deadline", v->deadline);
    html_row(out, "outcome", v->outcome);
    html_row(out, "outcome_reason", v->outcome_reason);
    html_row(out, "attribution grade", v->grade);
    html_row(out, "attribution reasons", v->grade_reasons);
    html_assessment(out, v);
    html_referrals(out, v);
    fputs("<h2>Evidence references</h2><table><tr><th>hash</th><th>list</th><th>category</th>"
          "<th>series</th></tr>\n", out);
    for (size_t i = 0; i < v->n_evidence; i++) {
        const ward_intel_evidence_view *x = &v->evidence[i];
        const char *cells[] = {x->hash, x->list, x->category, x->series};
        html_cells(out, cells, 4);
    }
    fputs("</table>\n<h2>Exhibits</h2><table><tr><th>exhibit</th><th>kind</th><th>status</th>"
          "<th>needs grading</th><th>last scan</th></tr>\n", out);
    for (size_t i = 0; i < v->n_exhibits; i++) {
        const ward_intel_exhibit_view *x = &v->exhibits[i];
        const char *cells[] = {x->ref, x->kind, x->status, x->needs_grading, x->last_scan};
        html_cells(out, cells, 5);
    }
    fputs("</table>\n<h2>Lifecycle</h2><table><tr><th>when</th><th>state</th><th>by</th>"
          "<th>note</th></tr>\n", out);
    for (size_t i = 0; i < v->n_lifecycle; i++) {
        const ward_intel_event_view *x = &v->lifecycle[i];
        const char *cells[] = {x->at, x->state, x->by, x->note};
        html_cells(out, cells, 4);
    }
    fputs("</table>\n</body></html>\n", out);
}
