/*
 * The KPI dashboard: backlog by holder and band, time to action by holder,
 * list completion, drawn as inline SVG on the server (no script, no chart
 * library). Backlog and time to action are limited to the user's
 * compartment; list completion is counts only and shown to every analyst.
 */
#include "web/web.h"
#include "scan/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/intel.h>

static const char *const band_labels[4] = {"Very High", "High", "Medium", "Low"};
static const char *const band_fill[4] = {"#a40000", "#e06000", "#f3c623", "#9fb0c6"};

static int band_of(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, band_labels[i]))
            return i;
    return 3;
}

#define MAXROWS 64

typedef struct row {
    char holder[64];
    double v[4];      /* per band */
    double max[4];
} row;

static int row_index(row *rows, int *n, const char *holder)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(rows[i].holder, holder))
            return i;
    if (*n == MAXROWS)
        return -1;
    memset(&rows[*n], 0, sizeof rows[*n]);
    snprintf(rows[*n].holder, sizeof rows[*n].holder, "%s", holder);
    return (*n)++;
}

static void legend(web_page *w, int y)
{
    for (int b = 0; b < 4; b++)
        html_f(&w->out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%d\">%s</text>", 220 + b * 100, y, band_fill[b],
               234 + b * 100, y + 9, band_labels[b]);
}

/* Horizontal stacked bars: a row per holder, a segment per band. */
static void backlog_chart(web_page *w, row *rows, int n)
{
    double most = 1;
    for (int i = 0; i < n; i++) {
        double t = rows[i].v[0] + rows[i].v[1] + rows[i].v[2] + rows[i].v[3];
        most = t > most ? t : most;
    }
    int h = 40 + n * 24;
    html_f(&w->out, "<svg role=\"img\" aria-label=\"Open packages by holder and band\" "
                    "width=\"900\" height=\"%d\" viewBox=\"0 0 900 %d\">", h, h);
    legend(w, 8);
    for (int i = 0; i < n; i++) {
        int y = 30 + i * 24;
        double x = 210, total = 0;
        html_f(&w->out, "<text x=\"4\" y=\"%d\">%s</text>", y + 13, rows[i].holder);
        for (int b = 0; b < 4; b++) {
            double wd = rows[i].v[b] / most * 460;
            if (wd > 0)
                html_f(&w->out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" "
                                "fill=\"%s\"><title>%s %s: %g</title></rect>", x, y, wd,
                       band_fill[b], rows[i].holder, band_labels[b], rows[i].v[b]);
            x += wd;
            total += rows[i].v[b];
        }
        html_f(&w->out, "<text x=\"%.1f\" y=\"%d\">%g</text>", x + 6, y + 13, total);
    }
    html_f(&w->out, "</svg>");
}

/* Mean hours to action per holder and band as bars, the slowest as a tick. */
static void action_chart(web_page *w, row *rows, int n)
{
    double most = 1;
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 4; b++)
            most = rows[i].max[b] > most ? rows[i].max[b] : most;
    int h = 40 + n * 4 * 12 + n * 8;
    html_f(&w->out, "<svg role=\"img\" aria-label=\"Hours to action by holder and band\" "
                    "width=\"900\" height=\"%d\" viewBox=\"0 0 900 %d\">", h, h);
    legend(w, 8);
    int y = 30;
    for (int i = 0; i < n; i++, y += 8) {
        html_f(&w->out, "<text x=\"4\" y=\"%d\">%s</text>", y + 10, rows[i].holder);
        for (int b = 0; b < 4; b++, y += 12) {
            if (rows[i].max[b] <= 0)
                continue;
            double wd = rows[i].v[b] / most * 420, mx = 210 + rows[i].max[b] / most * 420;
            html_f(&w->out, "<rect x=\"210\" y=\"%d\" width=\"%.1f\" height=\"9\" fill=\"%s\">"
                            "<title>%s %s: mean %.1f h</title></rect>"
                            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#1b1f24\"/>"
                            "<text x=\"%.1f\" y=\"%d\">%.1f h (max %.1f)</text>", y, wd,
                   band_fill[b], rows[i].holder, band_labels[b], rows[i].v[b], mx, mx, y - 1,
                   y + 10, mx + 6, y + 8, rows[i].v[b], rows[i].max[b]);
        }
    }
    html_f(&w->out, "</svg>");
}

static void lists_chart(web_page *w, yajl_val lists)
{
    size_t n = YAJL_IS_ARRAY(lists) ? lists->u.array.len : 0;
    int h = 20 + (int)n * 24;
    html_f(&w->out, "<svg role=\"img\" aria-label=\"List completion\" width=\"900\" "
                    "height=\"%d\" viewBox=\"0 0 900 %d\">", h, h);
    for (size_t i = 0; i < n; i++) {
        yajl_val l = lists->u.array.values[i];
        double all = web_jnum(l, "subjects"), done = web_jnum(l, "worked");
        double top = web_jnum(l, "high_or_above"), topw = web_jnum(l, "high_or_above_worked");
        int y = 10 + (int)i * 24;
        double pct = all > 0 ? done / all : 0;
        html_f(&w->out, "<text x=\"4\" y=\"%d\">%s</text><rect x=\"210\" y=\"%d\" width=\"400\""
                        " height=\"16\" fill=\"#e3e6ea\"/><rect x=\"210\" y=\"%d\" width=\"%.1f\""
                        " height=\"16\" fill=\"#2d5fb3\"/><text x=\"616\" y=\"%d\">%g/%g "
                        "(%.1f%%); high+ %g/%g</text>", y + 12, web_jstr(l, "list"), y, y,
               pct * 400, y + 12, done, all, pct * 100, topw, top);
    }
    html_f(&w->out, "</svg>");
}

/* A figure that may be null (undefined for the sample): "-" then. */
static void figure(web_page *w, yajl_val v, const char *fmt, double scale)
{
    if (YAJL_IS_NUMBER(v))
        ward_strbuf_addf(&w->out, fmt, YAJL_GET_DOUBLE(v) * scale);   /* a number only */
    else
        html_f(&w->out, "-");
}

/* ISP subscriber requests per provider (ward intel isp): how quickly each
 * provider answers and how often it finds no trace. Counts only, shown to
 * every analyst like list completion. */
static void isp_table(web_page *w, yajl_val a)
{
    html_f(&w->out, "<h2>ISP subscriber requests by provider</h2>");
    if (!YAJL_IS_ARRAY(a) || !a->u.array.len) {
        html_f(&w->out, "<p class=\"muted\">No request made yet.</p>");
        return;
    }
    html_f(&w->out, "<table><tr><th>Provider</th><th>Requests</th><th>Answered</th>"
                    "<th>On time</th><th>Mean days to answer</th><th>Outstanding</th>"
                    "<th>Overdue</th><th>Found</th><th>No trace</th><th>No-trace rate</th>"
                    "<th>Not retained</th><th>Wrong zone suspected</th></tr>");
    for (size_t i = 0; i < a->u.array.len; i++) {
        yajl_val x = a->u.array.values[i];
        html_f(&w->out, "<tr><td>%s</td><td>%g</td><td>%g</td><td>%g</td><td>",
               web_jstr(x, "provider"), web_jnum(x, "requests"), web_jnum(x, "answered"),
               web_jnum(x, "on_time"));
        figure(w, jv_get(x, "mean_days"), "%.1f", 1);
        html_f(&w->out, "</td><td>%g</td><td>%g</td><td>%g</td><td>%g</td><td>",
               web_jnum(x, "outstanding"), web_jnum(x, "overdue"), web_jnum(x, "found"),
               web_jnum(x, "no_trace"));
        figure(w, jv_get(x, "no_trace_rate"), "%.0f%%", 100);
        html_f(&w->out, "</td><td>%g</td><td>%g</td></tr>", web_jnum(x, "not_retained"),
               web_jnum(x, "wrong_zone"));
    }
    html_f(&w->out, "</table>");
}

/* The risk model checked against recorded outcomes (ward intel validate):
 * counts only, shown to every analyst like list completion. */
static void validation(web_page *w, yajl_val v)
{
    html_f(&w->out, "<h2>Risk model validation (closed packages with an outcome)</h2>");
    if (!v || !YAJL_IS_OBJECT(v)) {
        html_f(&w->out, "<p class=\"muted\">Not available.</p>");
        return;
    }
    html_f(&w->out, "<p>%g cases: %g confirmed the risk, %g did not.%r</p>",
           web_jnum(v, "cases"), web_jnum(v, "confirmed"), web_jnum(v, "not_confirmed"),
           jv_get(v, "small_sample") && YAJL_IS_TRUE(jv_get(v, "small_sample"))
               ? " <strong>Sample too small: fewer than 10 outcomes of one kind; the AUC and"
                 " calibration are not reliable yet.</strong>" : "");
    html_f(&w->out, "<table><tr><th>Model band</th><th>n</th><th>Confirmed</th><th>Rate</th>"
                    "<th>95% CI (Wilson)</th></tr>");
    yajl_val b = jv_get(v, "bands");
    for (size_t i = 0; YAJL_IS_ARRAY(b) && i < b->u.array.len; i++) {
        yajl_val x = b->u.array.values[i], ci = jv_get(x, "ci95");
        html_f(&w->out, "<tr><td>%s</td><td>%g</td><td>%g</td><td>", web_jstr(x, "band"),
               web_jnum(x, "n"), web_jnum(x, "confirmed"));
        figure(w, jv_get(x, "rate"), "%.1f%%", 100);
        html_f(&w->out, "</td><td>");
        if (YAJL_IS_ARRAY(ci) && ci->u.array.len == 2) {
            figure(w, ci->u.array.values[0], "%.1f%%", 100);
            html_f(&w->out, " to ");
            figure(w, ci->u.array.values[1], "%.1f%%", 100);
        }
        html_f(&w->out, "</td></tr>");
    }
    html_f(&w->out, "</table><p>AUC of the score: ");
    figure(w, jv_get(v, "auc"), "%.3f", 1);
    yajl_val ci = jv_get(v, "auc_ci95"), cal = jv_get(v, "calibration");
    if (YAJL_IS_ARRAY(ci) && ci->u.array.len == 2 && YAJL_IS_NUMBER(ci->u.array.values[0])) {
        html_f(&w->out, " (95% CI ");
        figure(w, ci->u.array.values[0], "%.3f", 1);
        html_f(&w->out, " to ");
        figure(w, ci->u.array.values[1], "%.3f", 1);
        html_f(&w->out, ")");
    }
    yajl_val hl = cal ? jv_get(cal, "hosmer_lemeshow") : NULL;
    html_f(&w->out, ". Calibration: Brier score ");
    figure(w, cal ? jv_get(cal, "brier") : NULL, "%.3f", 1);
    if (hl && YAJL_IS_OBJECT(hl)) {
        ward_strbuf_addf(&w->out, ", Hosmer-Lemeshow chi2 %.2f (df %g), p ",
                         web_jnum(hl, "chi2"), web_jnum(hl, "df"));
        figure(w, jv_get(hl, "p"), "%.3f", 1);
    }
    html_f(&w->out, ". Bands %s.</p>",
           YAJL_IS_TRUE(jv_get(v, "ordered")) ? "are ordered: each confirms less often than the"
                                                " one above"
                                              : "are NOT ordered: a lower band confirmed more"
                                                " often; review the model");
}

void web_kpi(web_page *w)
{
    ward_intel *in = NULL;
    ward_error err;
    if (ward_intel_open_keyed(w->ctx->opts.datadir, w->ctx->opts.intel_key_file, &in,
                              &err) != WARD_OK) {
        page_unavailable(w, &err);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ward_status rc = f ? ward_intel_kpi(in, (time_t)w->now, 1, f, &err) : WARD_ENOMEM;
    if (f)
        fclose(f);
    yajl_val k = rc == WARD_OK && text ? yajl_tree_parse(text, NULL, 0) : NULL;
    free(text);
    row backlog[MAXROWS], action[MAXROWS];
    int nb = 0, na = 0;
    yajl_val a = k ? jv_get(k, "backlog") : NULL;
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++) {
        yajl_val x = a->u.array.values[i];
        int r = web_covers(w, in, web_jstr(x, "holder")) ? row_index(backlog, &nb, web_jstr(x, "holder"))
                                                    : -1;
        if (r >= 0)
            backlog[r].v[band_of(web_jstr(x, "band"))] += web_jnum(x, "open");
    }
    a = k ? jv_get(k, "time_to_action") : NULL;
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++) {
        yajl_val x = a->u.array.values[i];
        int r = web_covers(w, in, web_jstr(x, "holder")) ? row_index(action, &na, web_jstr(x, "holder"))
                                                    : -1;
        if (r >= 0) {
            int b = band_of(web_jstr(x, "band"));
            action[r].v[b] = web_jnum(x, "mean_hours");
            action[r].max[b] = web_jnum(x, "max_hours");
        }
    }
    page_begin(w, "KPIs");
    html_f(&w->out, "<h2>Backlog: open packages by holder and band</h2>");
    backlog_chart(w, backlog, nb);
    html_f(&w->out, "<h2>Time to action (hours from package to actioned)</h2>");
    if (na)
        action_chart(w, action, na);
    else
        html_f(&w->out, "<p class=\"muted\">No package actioned yet.</p>");
    html_f(&w->out, "<h2>List completion (subjects actioned or closed)</h2>");
    lists_chart(w, k ? jv_get(k, "lists") : NULL);
    isp_table(w, k ? jv_get(k, "isp") : NULL);
    validation(w, k ? jv_get(k, "validation") : NULL);
    if (k)
        yajl_tree_free(k);
    ward_intel_close(in);
    page_end(w, 200);
}
