/*
 * The SVG network view, rendered on the server: no script, no external
 * resource, the same picture for the same graph every time. An ego view is
 * laid out radially (the subject in the middle, identifiers and subjects on
 * rings by hops); any other view by Fruchterman-Reingold force-directed
 * placement from a fixed seed.
 */
#include "graph/graph_int.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 960.0
#define H 760.0
#define MAX_SVG_NODES 600   /* beyond this a picture says nothing: export instead */

static void radial(const ward_graph_view *v, double *x, double *y)
{
    int rings = 0;
    for (size_t i = 0; i < v->n; i++)
        rings = v->dist[i] > rings ? v->dist[i] : rings;
    double step = (fmin(W, H) / 2 - 60) / (rings ? rings : 1);
    for (int r = 0; r <= rings; r++) {
        size_t on = 0, k = 0;
        for (size_t i = 0; i < v->n; i++)
            on += v->dist[i] == r;
        for (size_t i = 0; i < v->n; i++) {
            if (v->dist[i] != r)
                continue;
            /* rings turned by the golden angle: rings of one node each
             * spread around the centre instead of lining up */
            double a = 2 * M_PI * (double)k / (double)on + r * 2.39996;
            x[i] = W / 2 + (r ? r * step : 0) * cos(a);
            y[i] = H / 2 + (r ? r * step : 0) * sin(a);
            k++;
        }
    }
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static void force(const ward_graph *g, const ward_graph_view *v, double *x, double *y)
{
    size_t n = v->n;
    uint64_t seed = 25;
    for (size_t i = 0; i < n; i++) {
        x[i] = 60 + (double)(lcg(&seed) % 1000) / 1000.0 * (W - 120);
        y[i] = 60 + (double)(lcg(&seed) % 1000) / 1000.0 * (H - 120);
    }
    double k = sqrt((W - 120) * (H - 120) / (double)(n ? n : 1)) * 0.8, t = W / 10;
    double *dx = calloc(n, sizeof *dx), *dy = calloc(n, sizeof *dy);
    if (!dx || !dy) {
        free(dx), free(dy);
        return;   /* the random placement stands */
    }
    for (int it = 0; it < 200; it++) {
        memset(dx, 0, n * sizeof *dx), memset(dy, 0, n * sizeof *dy);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                double ex = x[i] - x[j], ey = y[i] - y[j], d = sqrt(ex * ex + ey * ey) + 0.01;
                double f = k * k / d;
                dx[i] += ex / d * f, dy[i] += ey / d * f;
                dx[j] -= ex / d * f, dy[j] -= ey / d * f;
            }
        for (size_t i = 0; i < n; i++) {
            if (g->node[v->nodes[i]].kind != WARD_GN_SUBJECT)
                continue;
            const uint32_t *e;
            size_t m = ward_graph_edges_of(g, v->nodes[i], &e);
            for (size_t q = 0; q < m; q++) {
                long j = wg_view_pos(v, g->edge[e[q]].node);
                if (j < 0)
                    continue;
                double ex = x[i] - x[j], ey = y[i] - y[j], d = sqrt(ex * ex + ey * ey) + 0.01;
                double f = d * d / k;
                dx[i] -= ex / d * f, dy[i] -= ey / d * f;
                dx[j] += ex / d * f, dy[j] += ey / d * f;
            }
        }
        for (size_t i = 0; i < n; i++) {
            double d = sqrt(dx[i] * dx[i] + dy[i] * dy[i]) + 0.01;
            x[i] = fmin(W - 40, fmax(40, x[i] + dx[i] / d * fmin(d, t)));
            y[i] = fmin(H - 40, fmax(40, y[i] + dy[i] / d * fmin(d, t)));
        }
        t *= 0.97;
    }
    free(dx), free(dy);
}

static const char *const palette[] = {"#1f77b4", "#2ca02c", "#9467bd", "#8c564b",
                                      "#e377c2", "#17becf", "#bcbd22", "#ff7f0e"};

ward_status wg_write_svg(const ward_graph *g, const ward_graph_view *v, FILE *f,
                         ward_error *err)
{
    if (v->n > MAX_SVG_NODES)
        return err_fail(err, WARD_ELIMIT,
                         "%zu nodes are too many to draw (at most %d): use an export format "
                         "or a smaller depth", v->n, MAX_SVG_NODES);
    double *x = calloc(v->n + 1, sizeof *x), *y = calloc(v->n + 1, sizeof *y);
    if (!x || !y) {
        free(x), free(y);
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    int ego = v->centre >= 0;
    for (size_t i = 0; ego && i < v->n; i++)
        ego = v->dist[i] >= 0;
    if (ego)
        radial(v, x, y);
    else
        force(g, v, x, y);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
               "width=\"%.0f\" height=\"%.0f\" role=\"img\" class=\"graph\" "
               "font-family=\"sans-serif\" font-size=\"11\">\n"
               "<title>Links between referrals: evidence to weigh, not findings</title>\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n", W, H, W, H);
    /* edges first, under the nodes; each carries its evidence as a tooltip */
    for (size_t i = 0; i < v->n; i++) {
        if (g->node[v->nodes[i]].kind != WARD_GN_SUBJECT)
            continue;
        const uint32_t *e;
        size_t m = ward_graph_edges_of(g, v->nodes[i], &e);
        for (size_t q = 0; q < m; q++) {
            const ward_graph_edge *ed = &g->edge[e[q]];
            long j = wg_view_pos(v, ed->node);
            if (j < 0)
                continue;
            int red = v->mode[i] == WARD_GV_ELSEWHERE, refused = !!g->node[ed->node].refused;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                       "stroke-width=\"%.1f\"%s><title>", x[i], y[i], x[j], y[j],
                    refused ? "#d62728" : "#999", 0.6 + ed->confidence * 1.4,
                    refused || red ? " stroke-dasharray=\"4 3\"" : "");
            if (red)
                fputs("another unit's record: ask them", f);
            else {
                fprintf(f, "record %lld, ", (long long)ed->record);
                wg_xml(f, ed->time);
                fputs(", list ", f);
                wg_xml(f, ed->source);
                fputs(", as received: ", f);
                wg_xml(f, ed->raw);
                fprintf(f, ", confidence %.2f", ed->confidence);
            }
            fputs("</title></line>\n", f);
        }
    }
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        int other = v->mode[i] == WARD_GV_ELSEWHERE;
        fprintf(f, "<g class=\"node %s%s%s\" data-key=\"", ward_graph_kind_name(n->kind),
                other ? " elsewhere" : "", n->refused ? " refused" : "");
        wg_xml(f, n->key);
        fputs("\">", f);
        if (n->kind == WARD_GN_SUBJECT)
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"#333\"%s/>",
                    x[i], y[i], (int64_t)v->nodes[i] == v->centre ? 14 : 10,
                    other ? "#ddd" : n->community >= 0 ? palette[n->community % 8] : "#1f77b4",
                    other ? " stroke-dasharray=\"3 2\"" : "");
        else
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\" "
                       "stroke=\"#333\"/>", x[i] - 5, y[i] - 5, n->refused ? "#fdd" : "#ffe8a0");
        int left = x[i] > W * 0.6;   /* labels run towards the middle, not off the edge */
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s>", x[i] + (left ? -13 : 13), y[i] + 4,
                left ? " text-anchor=\"end\"" : "");
        if (other) {
            wg_xml(f, n->key);
            fputs(": held elsewhere, contact ", f);
            wg_xml(f, *n->holder ? n->holder : "the national desk");
        } else {
            wg_xml(f, n->key);
            if (n->refused) {   /* the reason in full is the node's tooltip */
                fputs(" \xe2\x80\x94 not a link</text><title>", f);
                wg_xml(f, n->refused);
                fputs("</title></g>\n", f);
                continue;
            }
        }
        fputs("</text></g>\n", f);
    }
    fprintf(f, "<g font-size=\"12\"><circle cx=\"20\" cy=\"%.0f\" r=\"6\" fill=\"#1f77b4\"/>"
               "<text x=\"32\" y=\"%.0f\">subject (colour: community)</text>"
               "<rect x=\"215\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"#ffe8a0\" "
               "stroke=\"#333\"/><text x=\"232\" y=\"%.0f\">identifier or file</text>"
               "<rect x=\"360\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"#fdd\" "
               "stroke=\"#333\"/><text x=\"377\" y=\"%.0f\">refused: links no one</text>"
               "<circle cx=\"540\" cy=\"%.0f\" r=\"6\" fill=\"#ddd\" stroke=\"#333\" "
               "stroke-dasharray=\"3 2\"/><text x=\"552\" y=\"%.0f\">another unit's subject"
               "</text></g>\n</svg>\n",
            H - 16, H - 12, H - 21, H - 12, H - 21, H - 12, H - 16, H - 12);
    free(x), free(y);
    return ferror(f) ? err_fail(err, WARD_EIO, "write error") : WARD_OK;
}
