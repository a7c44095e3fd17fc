/*
 * The KPI dashboard: backlog by holder and band, time to action by holder,
 * list completion, drawn as inline SVG on the server (no script, no chart
 * library). Backlog and time to action are limited to the user's
 * compartment; list completion is counts only and shown to every analyst.
 */
#include "web/web.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/intel.h>

static const char *const band_labels[4] = {"Very High", "High", "Medium", "Low"};
static const char *const band_fill[4] = {"#a40000", "#e06000", "#f3c623", "#9fb0c6"};

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

static void lists_chart(web_page *w, const ward_intel_kpis *k)
{
    int h = 20 + (int)k->n_lists * 24;
    html_f(&w->out, "<svg role=\"img\" aria-label=\"List completion\" width=\"900\" "
                    "height=\"%d\" viewBox=\"0 0 900 %d\">", h, h);
    for (size_t i = 0; i < k->n_lists; i++) {
        const ward_intel_kpi_list *l = &k->lists[i];
        double all = l->subjects, done = l->worked;
        double top = l->high_or_above, topw = l->high_or_above_worked;
        int y = 10 + (int)i * 24;
        double pct = all > 0 ? done / all : 0;
        html_f(&w->out, "<text x=\"4\" y=\"%d\">%s</text><rect x=\"210\" y=\"%d\" width=\"400\""
                        " height=\"16\" fill=\"#e3e6ea\"/><rect x=\"210\" y=\"%d\" width=\"%.1f\""
                        " height=\"16\" fill=\"#2d5fb3\"/><text x=\"616\" y=\"%d\">%g/%g "
                        "(%.1f%%); high+ %g/%g</text>", y + 12, l->list, y, y,
               pct * 400, y + 12, done, all, pct * 100, topw, top);
    }
    html_f(&w->out, "</svg>");
}

/* A figure that may be undefined for the sample (NAN): "-" then. */
static void figure(web_page *w, double v, const char *fmt, double scale)
{
    if (isfinite(v))
        strbuf_addf(&w->out, fmt, v * scale);   /* a number only */
    else
        html_f(&w->out, "-");
}

/* ISP subscriber requests per provider (ward intel isp): how quickly each
 * provider answers and how often it finds no trace. Counts only, shown to
 * every analyst like list completion. */
static void isp_table(web_page *w, const ward_intel_kpis *k)
{
    html_f(&w->out, "<h2>ISP subscriber requests by provider</h2>");
    if (!k->n_isp) {
        html_f(&w->out, "<p class=\"muted\">No request made yet.</p>");
        return;
    }
    html_f(&w->out, "<table><tr><th>Provider</th><th>Requests</th><th>Answered</th>"
                    "<th>On time</th><th>Mean days to answer</th><th>Outstanding</th>"
                    "<th>Overdue</th><th>Found</th><th>No trace</th><th>No-trace rate</th>"
                    "<th>Not retained</th><th>Wrong zone suspected</th></tr>");
    for (size_t i = 0; i < k->n_isp; i++) {
        const ward_intel_kpi_isp *x = &k->isp[i];
        html_f(&w->out, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>", x->provider,
               x->requests, x->answered, x->on_time);
        figure(w, x->mean_days, "%.1f", 1);
        html_f(&w->out, "</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>", x->outstanding,
               x->overdue, x->found, x->no_trace);
        figure(w, x->no_trace_rate, "%.0f%%", 100);
        html_f(&w->out, "</td><td>%d</td><td>%d</td></tr>", x->not_retained, x->wrong_zone);
    }
    html_f(&w->out, "</table>");
}

/* The risk model checked against recorded outcomes (ward intel validate):
 * counts only, shown to every analyst like list completion. */
static void validation(web_page *w, const ward_intel_validation *v)
{
    html_f(&w->out, "<h2>Risk model validation (closed packages with an outcome)</h2>");
    html_f(&w->out, "<p>%g cases: %g confirmed the risk, %g did not.%r</p>", (double)v->n,
           (double)v->positives, (double)(v->n - v->positives),
           v->small_sample
               ? " <strong>Sample too small: fewer than 10 outcomes of one kind; the AUC and"
                 " calibration are not reliable yet.</strong>" : "");
    html_f(&w->out, "<table><tr><th>Model band</th><th>n</th><th>Confirmed</th><th>Rate</th>"
                    "<th>95% CI (Wilson)</th></tr>");
    for (int b = 0; b < 4; b++) {
        html_f(&w->out, "<tr><td>%s</td><td>%g</td><td>%g</td><td>", band_labels[b],
               (double)v->band_n[b], (double)v->band_pos[b]);
        figure(w, v->band_n[b] ? (double)v->band_pos[b] / (double)v->band_n[b] : NAN, "%.1f%%",
               100);
        html_f(&w->out, "</td><td>");
        figure(w, v->band_lo[b], "%.1f%%", 100);
        html_f(&w->out, " to ");
        figure(w, v->band_hi[b], "%.1f%%", 100);
        html_f(&w->out, "</td></tr>");
    }
    html_f(&w->out, "</table><p>AUC of the score: ");
    figure(w, v->auc, "%.3f", 1);
    if (isfinite(v->auc_lo)) {
        html_f(&w->out, " (95% CI ");
        figure(w, v->auc_lo, "%.3f", 1);
        html_f(&w->out, " to ");
        figure(w, v->auc_hi, "%.3f", 1);
        html_f(&w->out, ")");
    }
    html_f(&w->out, ". Calibration: Brier score ");
    figure(w, v->brier, "%.3f", 1);
    if (v->groups) {
        strbuf_addf(&w->out, ", Hosmer-Lemeshow chi2 %.2f (df %d), p ", v->hl_chi2,
                         v->hl_df);
        figure(w, v->hl_p, "%.3f", 1);
    }
    html_f(&w->out, ". Bands %s.</p>",
           v->ordered ? "are ordered: each confirms less often than the one above"
                      : "are NOT ordered: a lower band confirmed more often; review the model");
}

void web_kpi(web_page *w)
{
    ward_error err;
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    ward_intel_kpis *k = malloc(sizeof *k);
    ward_status rc = k ? ward_intel_kpis_get(in, (time_t)w->now, k, &err) : WARD_ENOMEM;
    if (rc) {
        if (rc == WARD_ENOMEM && !k)
            snprintf(err.message, sizeof err.message, "out of memory");
        if (k)
            ward_intel_kpis_free(k);
        free(k);
        ward_intel_close(in);
        page_unavailable(w, &err);
        return;
    }
    row backlog[MAXROWS], action[MAXROWS];
    int nb = 0, na = 0;
    for (size_t i = 0; i < k->n_backlog; i++) {
        const ward_intel_kpi_backlog *x = &k->backlog[i];
        int r = web_covers(w, in, x->holder) ? row_index(backlog, &nb, x->holder) : -1;
        if (r >= 0)
            backlog[r].v[x->band] += x->open;
    }
    for (size_t i = 0; i < k->n_time_to_action; i++) {
        const ward_intel_kpi_action *x = &k->time_to_action[i];
        int r = web_covers(w, in, x->holder) ? row_index(action, &na, x->holder) : -1;
        if (r >= 0) {
            action[r].v[x->band] = x->mean_hours;
            action[r].max[x->band] = x->max_hours;
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
    lists_chart(w, k);
    isp_table(w, k);
    validation(w, &k->validation);
    ward_intel_kpis_free(k);
    free(k);
    ward_intel_close(in);
    page_end(w, 200);
}
