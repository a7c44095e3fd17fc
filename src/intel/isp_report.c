/*
 * ISP subscriber requests, part two: what is read out of them. The batch
 * list, a batch as the provider receives it (CSV, JSON, printable HTML),
 * per-provider timeliness and no-trace rates for the KPIs, and overdue
 * batches as alerts.
 */
#include "intel/isp_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

ward_status ward_intel_isp_batches(ward_intel *in, time_t now, ward_intel_output fmt,
                                   FILE *out, ward_error *err)
{
    char at[32];
    wi_time_str(now, at);
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT b.id, b.provider, b.created, b.due, b.requests, count(a.id), b.legal_basis,"
        " coalesce(b.created_by, '') FROM isp_batches b"
        " LEFT JOIN isp_requests q ON q.batch = b.id LEFT JOIN isp_answers a ON a.request = q.id"
        " GROUP BY b.id, b.provider, b.created, b.due, b.requests, b.legal_basis, b.created_by"
        " ORDER BY b.id", &st, err);
    if (rc)
        return rc;
    wi_list l; /* --json one array, --jsonl a line each, as every list */
    if (fmt != WARD_INTEL_OUT_TEXT)
        wi_list_begin(&l, out, fmt);
    while (wsql_step(st) == SQLITE_ROW) {
        int requests = wsql_column_int(st, 4), answered = wsql_column_int(st, 5);
        int overdue = answered < requests && strcmp(wi_col(st, 3), at) < 0;
        if (fmt != WARD_INTEL_OUT_TEXT) {
            wi_list_item(&l);
            fprintf(out, "{\"batch\":%lld,\"provider\":", (long long)wsql_column_int64(st, 0));
            wi_jstr(out, wi_col(st, 1));
            fprintf(out, ",\"created\":\"%s\",\"due\":\"%s\",\"requests\":%d,\"answered\":%d,"
                         "\"overdue\":%s,\"legal_basis\":", wi_col(st, 2), wi_col(st, 3),
                    requests, answered, overdue ? "true" : "false");
            wi_jstr(out, wi_col(st, 6));
            fputs(",\"by\":", out);
            wi_jstr(out, wi_col(st, 7));
            fputc('}', out);
            wi_list_item_end(&l);
        } else
            fprintf(out, "%4lld  %-24s %3d request%s %3d answered  created %s  due %s%s\n",
                    (long long)wsql_column_int64(st, 0), wi_col(st, 1), requests,
                    requests == 1 ? ", " : "s,", answered, wi_col(st, 2), wi_col(st, 3),
                    overdue ? "  OVERDUE" : "");
    }
    if (fmt != WARD_INTEL_OUT_TEXT)
        wi_list_end(&l);
    return wi_done(in, st, out, err);
}

/* ---- a batch as the provider receives it ------------------------------------ */

enum { X_ID, X_IP_RAW, X_IP, X_PORT, X_TIME_RAW, X_TIME_UTC, X_PREFIX, X_ASN, X_SETTLED };

static const char *const csv_head[] = {"request", "provider", "asn", "ip", "ip_normalised",
                                       "port", "time_as_received", "time_utc", "time_note",
                                       "legal_basis", "due"};

/* The time's note: a zone settled by an analyst is said, not hidden. */
static const char *time_note(wsql_stmt *st)
{
    return *wi_col(st, X_SETTLED) ? "time zone settled by an analyst" : "";
}

static void html_text(FILE *out, const char *s)
{
    strbuf b = {0};
    if (esc_html_text(&b, s, strlen(s), 0) && b.s)
        fwrite(b.s, 1, b.len, out);
    strbuf_free(&b);
}

static void html_head(FILE *out, int64_t batch, const char *provider, const char *basis,
                      const char *created, const char *due, int n)
{
    fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Subscriber"
                 " request batch %lld</title>\n<style>body{font-family:sans-serif;max-width:"
                 "60em;margin:auto}table{border-collapse:collapse;width:100%%}th,td{border:1px"
                 " solid #999;padding:2px 6px;text-align:left;vertical-align:top}"
                 "td.id{font-family:monospace}@media print{a{color:#000}}</style></head><body>\n"
                 "<h1>Subscriber request batch %lld to ", (long long)batch, (long long)batch);
    html_text(out, provider);
    fputs("</h1>\n<table><tr><th>Legal basis</th><td>", out);
    html_text(out, basis);
    fprintf(out, "</td></tr><tr><th>Made</th><td>%s</td></tr><tr><th>Answer by</th><td>%s"
                 "</td></tr><tr><th>Requests</th><td>%d</td></tr></table>\n", created, due, n);
    fputs("<p>For each request: the subscriber who held the address (with the port, where"
          " given) at the time shown. Each time is as it was received, with its UTC"
          " equivalent beside it; please answer against the UTC time. Answer per request"
          " number: found (name and address), no trace, not retained, or wrong time zone"
          " suspected.</p>\n<table><tr><th>Request</th><th>IP address</th><th>Port</th>"
          "<th>Time as received</th><th>Time (UTC)</th><th>ASN</th></tr>\n", out);
}

ward_status ward_intel_isp_export(ward_intel *in, int64_t batch, const char *format,
                                  FILE *out, ward_error *err)
{
    int csv = !strcmp(format, "csv"), json = !strcmp(format, "json");
    if (!csv && !json && strcmp(format, "html"))
        return err_fail(err, WARD_EINVAL, "format must be csv, json or html");
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT provider, legal_basis, created, due, requests FROM"
                                    " isp_batches WHERE id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, batch);
    if (wsql_step(st) != SQLITE_ROW) {
        wsql_finalize(st);
        return err_fail(err, WARD_ENOTFOUND, "no request batch %lld", (long long)batch);
    }
    char provider[256], basis[512], created[32], due[32];
    snprintf(provider, sizeof provider, "%s", wi_col(st, 0));
    snprintf(basis, sizeof basis, "%s", wi_col(st, 1));
    snprintf(created, sizeof created, "%s", wi_col(st, 2));
    snprintf(due, sizeof due, "%s", wi_col(st, 3));
    int n = wsql_column_int(st, 4);
    wsql_finalize(st);
    if ((rc = wi_prepare(in, "SELECT id, ip_raw, ip, coalesce(port_raw, ''), time_raw, time_utc,"
                             " prefix, coalesce(asn, ''), coalesce(time_settled_by, '')"
                             " FROM isp_requests WHERE batch = ? AND same_as IS NULL ORDER BY id",
                             &st, err)))
        return rc;
    wsql_bind_int64(st, 1, batch);
    if (csv)
        for (size_t k = 0; k < sizeof csv_head / sizeof *csv_head; k++)
            fprintf(out, "%s%s", k ? "," : "", csv_head[k]);
    else if (json) {
        fprintf(out, "{\"batch\":%lld,\"provider\":", (long long)batch);
        wi_jstr(out, provider);
        fputs(",\"legal_basis\":", out);
        wi_jstr(out, basis);
        fprintf(out, ",\"created\":\"%s\",\"due\":\"%s\",\"requests\":[", created, due);
    } else
        html_head(out, batch, provider, basis, created, due, n);
    if (csv)
        fputc('\n', out);
    for (int i = 0; wsql_step(st) == SQLITE_ROW; i++) {
        long long id = (long long)wsql_column_int64(st, X_ID);
        if (csv) {
            const char *f[] = {NULL, provider, wi_col(st, X_ASN), wi_col(st, X_IP_RAW),
                               wi_col(st, X_IP), wi_col(st, X_PORT), wi_col(st, X_TIME_RAW),
                               wi_col(st, X_TIME_UTC), time_note(st), basis, due};
            fprintf(out, "%lld", id);
            for (size_t k = 1; k < sizeof f / sizeof *f; k++) {
                fputc(',', out);
                esc_csv_fput(out, f[k]);
            }
            fputc('\n', out);
        } else if (json) {
            static const char *const keys[] = {"ip", "ip_normalised", "port",
                                               "time_as_received", "time_utc", "range", "asn"};
            fprintf(out, "%s{\"request\":%lld", i ? "," : "", id);
            for (int k = 0; k < 7; k++) {
                fprintf(out, ",\"%s\":", keys[k]);
                wi_jstr(out, wi_col(st, X_IP_RAW + k));
            }
            fputs(",\"time_note\":", out);
            wi_jstr(out, time_note(st));
            fputc('}', out);
        } else {
            fprintf(out, "<tr><td class=\"id\">%lld</td><td class=\"id\">", id);
            html_text(out, wi_col(st, X_IP_RAW));
            if (strcmp(wi_col(st, X_IP_RAW), wi_col(st, X_IP))) {
                fputs(" (", out);
                html_text(out, wi_col(st, X_IP));
                fputc(')', out);
            }
            fputs("</td><td class=\"id\">", out);
            html_text(out, wi_col(st, X_PORT));
            fputs("</td><td class=\"id\">", out);
            html_text(out, wi_col(st, X_TIME_RAW));
            if (*time_note(st))
                fprintf(out, " (%s)", time_note(st));
            fprintf(out, "</td><td class=\"id\">%s</td><td>", wi_col(st, X_TIME_UTC));
            html_text(out, wi_col(st, X_ASN));
            fputs("</td></tr>\n", out);
        }
    }
    if (json)
        fputs("]}\n", out);
    else if (!csv)
        fputs("</table>\n</body></html>\n", out);
    return wi_done(in, st, out, err);
}

/* ---- KPIs and alerts ---------------------------------------------------------- */

ward_status wi_isp_kpi_read(ward_intel *in, const char *at, ward_intel_kpis *k,
                           ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT b.provider, count(q.id), count(a.id),"
        " sum(CASE WHEN a.id IS NULL AND b.due < ?1 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN a.answered <= substr(b.due, 1, 10) THEN 1 ELSE 0 END),"
        " avg(julianday(a.answered) - julianday(substr(b.created, 1, 10))),"
        " sum(CASE WHEN a.outcome = 'found' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN a.outcome = 'no-trace' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN a.outcome = 'not-retained' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN a.outcome = 'wrong-zone' THEN 1 ELSE 0 END)"
        " FROM isp_batches b JOIN isp_requests q ON q.batch = b.id AND q.same_as IS NULL"
        " LEFT JOIN isp_answers a ON a.request = q.id GROUP BY b.provider ORDER BY b.provider",
        &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    size_t cap = 0;
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        ward_intel_kpi_isp *r = wi_push((void **)&k->isp, &k->n_isp, &cap, sizeof *r);
        if (!r || !(r->provider = strdup(wi_col(st, 0)))) {
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
        r->requests = wsql_column_int(st, 1);
        r->answered = wsql_column_int(st, 2);
        r->outstanding = r->requests - r->answered;
        r->overdue = wsql_column_int(st, 3);
        r->on_time = wsql_column_int(st, 4);
        r->mean_days = wsql_column_type(st, 5) != SQLITE_NULL ? wsql_column_double(st, 5) : NAN;
        r->found = wsql_column_int(st, 6);
        r->no_trace = wsql_column_int(st, 7);
        r->not_retained = wsql_column_int(st, 8);
        r->wrong_zone = wsql_column_int(st, 9);
        r->no_trace_rate = r->answered ? (double)r->no_trace / r->answered : NAN;
    }
    if (rc) {
        wsql_finalize(st);
        return rc;
    }
    return wi_query_done(in, st, err);
}

void wi_isp_kpi_render(const ward_intel_kpis *k, int json, FILE *out)
{
    if (!json)
        fputs("ISP subscriber requests by provider (answers: on time, mean days; outcomes):\n",
              out);
    for (size_t i = 0; i < k->n_isp; i++) {
        const ward_intel_kpi_isp *r = &k->isp[i];
        if (json) {
            fprintf(out, "%s{\"provider\":", i ? "," : "");
            wi_jstr(out, r->provider);
            fprintf(out, ",\"requests\":%d,\"answered\":%d,\"outstanding\":%d,\"overdue\":%d,"
                         "\"on_time\":%d,\"mean_days\":", r->requests, r->answered,
                    r->outstanding, r->overdue, r->on_time);
            if (!isnan(r->mean_days))
                fprintf(out, "%.1f", r->mean_days);
            else
                fputs("null", out);
            fprintf(out, ",\"found\":%d,\"no_trace\":%d,\"not_retained\":%d,\"wrong_zone\":%d,"
                         "\"no_trace_rate\":", r->found, r->no_trace, r->not_retained,
                    r->wrong_zone);
            if (!isnan(r->no_trace_rate))
                fprintf(out, "%.3f}", r->no_trace_rate);
            else
                fputs("null}", out);
        } else {
            fprintf(out, "  %-24s %4d requests, %4d answered (%d on time, mean ", r->provider,
                    r->requests, r->answered, r->on_time);
            if (!isnan(r->mean_days))
                fprintf(out, "%.1f d", r->mean_days);
            else
                fputs("-", out);
            fprintf(out, "), %d outstanding, %d overdue; found %d, no trace %d", r->outstanding,
                    r->overdue, r->found, r->no_trace);
            if (r->answered)
                fprintf(out, " (%.0f%%)", 100.0 * r->no_trace_rate);
            fprintf(out, ", not retained %d, wrong zone %d\n", r->not_retained, r->wrong_zone);
        }
    }
    if (!k->n_isp && !json)
        fputs("  none made yet\n", out);
}

ward_status wi_isp_alerts(ward_intel *in, const char *at, wi_alert_fn add, void *ctx,
                          ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT b.id, b.provider, b.due, coalesce(b.created_by, ''), count(q.id),"
        " julianday(?1) - julianday(b.due) FROM isp_batches b"
        " JOIN isp_requests q ON q.batch = b.id AND q.same_as IS NULL"
        " LEFT JOIN isp_answers a ON a.request = q.id WHERE a.id IS NULL AND b.due < ?1"
        " GROUP BY b.id, b.provider, b.due, b.created_by ORDER BY b.due, b.id", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        char text[400];
        int left = wsql_column_int(st, 4);
        snprintf(text, sizeof text, "ISP request batch %lld to %s: %d request%s unanswered,"
                 " due %s, passed %.0f d ago: chase the provider",
                 (long long)wsql_column_int64(st, 0), wi_col(st, 1), left, left == 1 ? "" : "s",
                 wi_col(st, 2), wsql_column_double(st, 5));
        rc = add(ctx, at, "isp-overdue", wi_col(st, 3), text, err);
    }
    if (rc) {
        wsql_finalize(st);
        return rc;
    }
    return wi_query_done(in, st, err);
}
