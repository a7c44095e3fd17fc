/*
 * KPIs as a typed view (issue 19 item 2): backlog and age by holder and
 * band, time to action, lists worked, Very High on unverified identities,
 * outcomes and the model's validation, read once into ward_intel_kpis and
 * rendered from it as text or JSON here and as charts by the web page.
 * A new family of figures (the ISP subscriber requests of issue 17 item 7)
 * adds an array to the struct, a reader below, and a section to each
 * renderer.
 */
#include "intel/isp_int.h" /* and intel_int.h */
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text column ("" for SQL NULL: every KPI row names its holder, list or
 * outcome). */
static ward_status text_of(wsql_stmt *st, int i, char **out, ward_error *err)
{
    int oom = 0;
    *out = wi_col_dup(st, i, &oom);
    if (!*out && !oom)
        *out = strdup("");
    return *out ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
}

/* One more zeroed row of an array, or WARD_ENOMEM. */
#define NEXT(arr, n, cap, row, err)                                                         \
    (((row) = wi_push((void **)&(arr), &(n), &(cap), sizeof *(row))) != NULL                \
         ? WARD_OK : err_fail((err), WARD_ENOMEM, "out of memory"))

static ward_status read_backlog(ward_intel *in, const char *at, ward_intel_kpis *k,
                                ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT holder, band, count(*), avg(julianday(?1) - julianday(created)),"
        " max(julianday(?1) - julianday(created)), sum(deadline < ?1) FROM packages"
        " WHERE state IN ('created','disseminated','accepted') GROUP BY holder, band"
        " ORDER BY holder, band", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    size_t cap = 0;
    ward_intel_kpi_backlog *b;
    while (!rc && wsql_step(st) == SQLITE_ROW &&
           !(rc = NEXT(k->backlog, k->n_backlog, cap, b, err))) {
        b->band = wsql_column_int(st, 1) & 3;
        b->band_label = wi_band_labels[b->band];
        b->open = wsql_column_int(st, 2);
        b->mean_age_days = wsql_column_double(st, 3);
        b->oldest_days = wsql_column_double(st, 4);
        b->overdue = wsql_column_int(st, 5);
        rc = text_of(st, 0, &b->holder, err);
    }
    ward_status q = wi_query_done(in, st, err);
    return rc ? rc : q;
}

/* Consistency: the same band should be actioned as fast everywhere. */
static ward_status read_action(ward_intel *in, ward_intel_kpis *k, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT p.band, p.holder, count(*),"
                                    " avg((julianday(e.at) - julianday(p.created)) * 24),"
                                    " max((julianday(e.at) - julianday(p.created)) * 24)"
                                    " FROM packages p JOIN package_events e ON e.id ="
                                    " (SELECT min(id) FROM package_events WHERE package = p.id"
                                    " AND state = 'actioned') GROUP BY p.band, p.holder"
                                    " ORDER BY p.band, p.holder", &st, err);
    if (rc)
        return rc;
    size_t cap = 0;
    ward_intel_kpi_action *a;
    while (!rc && wsql_step(st) == SQLITE_ROW &&
           !(rc = NEXT(k->time_to_action, k->n_time_to_action, cap, a, err))) {
        a->band = wsql_column_int(st, 0) & 3;
        a->band_label = wi_band_labels[a->band];
        a->actioned = wsql_column_int(st, 2);
        a->mean_hours = wsql_column_double(st, 3);
        a->max_hours = wsql_column_double(st, 4);
        rc = text_of(st, 1, &a->holder, err);
    }
    ward_status q = wi_query_done(in, st, err);
    return rc ? rc : q;
}

/* Lists worked top to bottom: share of each list's subjects actioned or
 * closed, overall and in its highest bands. */
static ward_status read_lists(ward_intel *in, ward_intel_kpis *k, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT b.source, count(DISTINCT s.subject),"
        " count(DISTINCT CASE WHEN p.state IN ('actioned','outcome') THEN s.subject END),"
        " count(DISTINCT CASE WHEN p.band <= 1 THEN s.subject END),"
        " count(DISTINCT CASE WHEN p.band <= 1 AND p.state IN ('actioned','outcome')"
        "  THEN s.subject END)"
        " FROM batches b JOIN records r ON r.batch = b.id JOIN subject_records s"
        " ON s.record = r.id LEFT JOIN packages p ON p.id = (SELECT max(id) FROM packages"
        " WHERE subject = s.subject AND state != 'merged') GROUP BY b.source"
        " ORDER BY b.source", &st, err);
    if (rc)
        return rc;
    size_t cap = 0;
    ward_intel_kpi_list *l;
    while (!rc && wsql_step(st) == SQLITE_ROW && !(rc = NEXT(k->lists, k->n_lists, cap, l, err))) {
        l->subjects = wsql_column_int(st, 1);
        l->worked = wsql_column_int(st, 2);
        l->high_or_above = wsql_column_int(st, 3);
        l->high_or_above_worked = wsql_column_int(st, 4);
        rc = text_of(st, 0, &l->list, err);
    }
    ward_status q = wi_query_done(in, st, err);
    return rc ? rc : q;
}

/* Urgency on an identity nobody verified: kept fast, but counted, so that
 * a unit sees how often it is asked to act before it can know who; then
 * the outcomes recorded. */
static ward_status read_unverified_outcomes(ward_intel *in, ward_intel_kpis *k,
                                            ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT count(*), count(CASE WHEN p.state NOT IN ('outcome',"
                                    " 'merged') THEN 1 END) FROM packages p JOIN subjects s"
                                    " ON s.id = p.subject WHERE p.band = 0 AND p.state != 'merged'"
                                    " AND (s.grade IS NULL OR s.grade IN ('D', 'E'))", &st, err);
    if (rc)
        return rc;
    if (wsql_step(st) == SQLITE_ROW)
        k->very_high_unverified = wsql_column_int(st, 0),
        k->very_high_unverified_open = wsql_column_int(st, 1);
    if ((rc = wi_query_done(in, st, err)))
        return rc;
    if ((rc = wi_prepare(in, "SELECT outcome, count(*) FROM packages WHERE outcome IS NOT NULL"
                             " GROUP BY outcome ORDER BY 2 DESC, 1", &st, err)))
        return rc;
    size_t cap = 0;
    ward_intel_kpi_outcome *o;
    while (!rc && wsql_step(st) == SQLITE_ROW &&
           !(rc = NEXT(k->outcomes, k->n_outcomes, cap, o, err))) {
        o->count = wsql_column_int(st, 1);
        rc = text_of(st, 0, &o->outcome, err);
    }
    ward_status q = wi_query_done(in, st, err);
    return rc ? rc : q;
}

ward_status ward_intel_kpis_get(ward_intel *in, time_t now, ward_intel_kpis *k,
                                ward_error *err)
{
    memset(k, 0, sizeof *k);
    char at[32];
    wi_time_str(now, at);
    ward_status rc = read_backlog(in, at, k, err);
    if (!rc)
        rc = read_action(in, k, err);
    if (!rc)
        rc = read_lists(in, k, err);
    if (!rc)
        rc = read_unverified_outcomes(in, k, err);
    if (!rc) /* ISP requests by provider (isp_report.c) */
        rc = wi_isp_kpi_read(in, at, k, err);
    if (!rc)
        rc = wi_validation_get(in, &k->validation, err);
    return rc;
}

void ward_intel_kpis_free(ward_intel_kpis *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n_backlog; i++)
        free(k->backlog[i].holder);
    for (size_t i = 0; i < k->n_time_to_action; i++)
        free(k->time_to_action[i].holder);
    for (size_t i = 0; i < k->n_lists; i++)
        free(k->lists[i].list);
    for (size_t i = 0; i < k->n_outcomes; i++)
        free(k->outcomes[i].outcome);
    for (size_t i = 0; i < k->n_isp; i++)
        free(k->isp[i].provider);
    free(k->backlog), free(k->time_to_action), free(k->lists), free(k->outcomes), free(k->isp);
    memset(k, 0, sizeof *k);
}

static void render_json(const ward_intel *in, const ward_intel_kpis *k, FILE *out)
{
    fputs("{\"backlog\":[", out);
    for (size_t i = 0; i < k->n_backlog; i++) {
        const ward_intel_kpi_backlog *b = &k->backlog[i];
        fprintf(out, "%s{\"holder\":", i ? "," : "");
        wi_jstr(out, b->holder);
        fprintf(out, ",\"band\":\"%s\",\"open\":%d,\"mean_age_days\":%.1f,"
                     "\"oldest_days\":%.1f,\"overdue\":%d}", b->band_label, b->open,
                b->mean_age_days, b->oldest_days, b->overdue);
    }
    fputs("],\"time_to_action\":[", out);
    for (size_t i = 0; i < k->n_time_to_action; i++) {
        const ward_intel_kpi_action *a = &k->time_to_action[i];
        fprintf(out, "%s{\"band\":\"%s\",\"holder\":", i ? "," : "", a->band_label);
        wi_jstr(out, a->holder);
        fprintf(out, ",\"actioned\":%d,\"mean_hours\":%.1f,\"max_hours\":%.1f}", a->actioned,
                a->mean_hours, a->max_hours);
    }
    fputs("],\"lists\":[", out);
    for (size_t i = 0; i < k->n_lists; i++) {
        const ward_intel_kpi_list *l = &k->lists[i];
        fprintf(out, "%s{\"list\":", i ? "," : "");
        wi_jstr(out, l->list);
        fprintf(out, ",\"subjects\":%d,\"worked\":%d,\"high_or_above\":%d,"
                     "\"high_or_above_worked\":%d}", l->subjects, l->worked, l->high_or_above,
                l->high_or_above_worked);
    }
    fprintf(out, "],\"very_high_unverified\":{\"packages\":%d,\"open\":%d",
            k->very_high_unverified, k->very_high_unverified_open);
    fputs("},\"outcomes\":{", out);
    for (size_t i = 0; i < k->n_outcomes; i++)
        fprintf(out, "%s\"%s\":%d", i ? "," : "", k->outcomes[i].outcome, k->outcomes[i].count);
    fputs("},\"isp\":[", out);
    wi_isp_kpi_render(k, 1, out);
    fputs("],\"validation\":", out);
    wi_validation_render(in, &k->validation, 1, out);
    fputs("}\n", out);
}

static void render_text(const ward_intel *in, const ward_intel_kpis *k, FILE *out)
{
    fputs("Backlog (open packages) by holder and band:\n", out);
    for (size_t i = 0; i < k->n_backlog; i++) {
        const ward_intel_kpi_backlog *b = &k->backlog[i];
        fprintf(out, "  %-28s %-9s %5d open, mean age %5.1f d, oldest %5.1f d, %d overdue\n",
                b->holder, b->band_label, b->open, b->mean_age_days, b->oldest_days,
                b->overdue);
    }
    fputs("Time to action (hours) by band and holder:\n", out);
    for (size_t i = 0; i < k->n_time_to_action; i++) {
        const ward_intel_kpi_action *a = &k->time_to_action[i];
        fprintf(out, "  %-9s %-28s %4d actioned, mean %6.1f h, max %6.1f h\n", a->band_label,
                a->holder, a->actioned, a->mean_hours, a->max_hours);
    }
    fputs("Lists worked (actioned or closed):\n", out);
    for (size_t i = 0; i < k->n_lists; i++) {
        const ward_intel_kpi_list *l = &k->lists[i];
        fprintf(out, "  %-20s %5d/%-5d subjects (%5.1f%%); Very High/High %d/%d\n", l->list,
                l->worked, l->subjects, l->subjects ? 100.0 * l->worked / l->subjects : 0.0,
                l->high_or_above_worked, l->high_or_above);
    }
    fprintf(out, "Very High on an unverified identity (grade D/E): %d packages, %d open\n",
            k->very_high_unverified, k->very_high_unverified_open);
    fputs("Outcomes:\n", out);
    for (size_t i = 0; i < k->n_outcomes; i++)
        fprintf(out, "  %-12s %d\n", k->outcomes[i].outcome, k->outcomes[i].count);
    wi_isp_kpi_render(k, 0, out);
    wi_validation_render(in, &k->validation, 0, out);
}

ward_status ward_intel_kpi(ward_intel *in, time_t now, int json, FILE *out, ward_error *err)
{
    ward_intel_kpis *k = malloc(sizeof *k);
    if (!k)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = ward_intel_kpis_get(in, now, k, err);
    if (!rc)
        (json ? render_json : render_text)(in, k, out);
    ward_intel_kpis_free(k);
    free(k);
    if (!rc && ferror(out))
        rc = err_fail(err, WARD_EIO, "cannot write the output");
    return rc;
}
