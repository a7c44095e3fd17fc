/*
 * Writing a view: text, JSON lines, GraphML, GEXF (Gephi), an i2 Analyst's
 * Notebook-style CSV of entities and links, SVG (svg.c). Every writer shows
 * the same facts: nodes with their kind, key and refusal, edges with their
 * evidence, and another unit's subject as "held elsewhere, contact X" with
 * no evidence on its edges.
 */
#include "graph/graph_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <stdio.h>
#include <string.h>

int ward_graph_format_parse(const char *s)
{
    static const char *const names[] = {"text", "json", "graphml", "gexf", "i2", "svg"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

void wg_xml(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
            else
                fprintf(f, "&#xFFFD;");   /* no control bytes in XML 1.0 */
        }
}

/* A JSON string (ward's one JSON escaper, util/escape.h); *failed set
 * when it could not be built (no memory). */
static void json_str(FILE *f, const char *s, int *failed)
{
    if (!esc_json_fput(f, s))
        *failed = 1;
}

static int elsewhere(const ward_graph_view *v, size_t i)
{
    return v->mode[i] == WARD_GV_ELSEWHERE;
}

/* What a node says about itself, in one line. */
static void label(const ward_graph *g, const ward_graph_view *v, size_t i, char *out, size_t cap)
{
    const ward_graph_node *n = &g->node[v->nodes[i]];
    if (elsewhere(v, i))
        snprintf(out, cap, "%s: held elsewhere, contact %s", n->key,
                 *n->holder ? n->holder : "the national desk");
    else
        snprintf(out, cap, "%s", n->key);
}

/* Calls fn for each edge between two nodes of the view. */
typedef void (*edge_fn)(const ward_graph *g, const ward_graph_view *v, uint32_t e,
                        int redacted, FILE *f, void *ctx);
static void each_edge(const ward_graph *g, const ward_graph_view *v, edge_fn fn, FILE *f,
                      void *ctx)
{
    for (size_t i = 0; i < v->n; i++) {
        if (g->node[v->nodes[i]].kind != WARD_GN_SUBJECT)
            continue;
        const uint32_t *e;
        size_t k = ward_graph_edges_of(g, v->nodes[i], &e);
        for (size_t j = 0; j < k; j++)
            if (wg_view_pos(v, g->edge[e[j]].node) >= 0)
                fn(g, v, e[j], elsewhere(v, i), f, ctx);
    }
}

static void text_edge(const ward_graph *g, const ward_graph_view *v, uint32_t e, int red,
                      FILE *f, void *ctx)
{
    (void)v, (void)ctx;
    const ward_graph_edge *x = &g->edge[e];
    if (red)
        fprintf(f, "  %s -- %s %s  (another unit's record)\n", g->node[x->subject].key,
                ward_graph_kind_name(g->node[x->node].kind), g->node[x->node].key);
    else
        fprintf(f, "  %s -- %s %s  record %lld, %s, list %s, as received \"%s\", "
                   "confidence %.2f\n", g->node[x->subject].key,
                ward_graph_kind_name(g->node[x->node].kind), g->node[x->node].key,
                (long long)x->record, x->time, x->source, x->raw, x->confidence);
}

static void json_edge(const ward_graph *g, const ward_graph_view *v, uint32_t e, int red,
                      FILE *f, void *ctx)
{
    (void)v;
    int *failed = ctx;
    const ward_graph_edge *x = &g->edge[e];
    fputs("{\"type\":\"link\",\"subject\":", f);
    json_str(f, g->node[x->subject].key, failed);
    fprintf(f, ",\"kind\":\"%s\",\"value\":", ward_graph_kind_name(g->node[x->node].kind));
    json_str(f, g->node[x->node].key, failed);
    if (!red) {
        fprintf(f, ",\"record\":%lld,\"time\":", (long long)x->record);
        json_str(f, x->time, failed);
        fputs(",\"list\":", f);
        json_str(f, x->source, failed);
        fputs(",\"raw\":", f);
        json_str(f, x->raw, failed);
        fprintf(f, ",\"confidence\":%.2f", x->confidence);
    }
    fputs("}\n", f);
}

static void write_text(const ward_graph *g, const ward_graph_view *v, FILE *f)
{
    fprintf(f, "Links are referrals carrying the same value: evidence to weigh, not a "
               "finding that anyone knows anyone.\n");
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        char l[256];
        label(g, v, i, l, sizeof l);
        fprintf(f, "%-11s %s", ward_graph_kind_name(n->kind), l);
        if (n->kind == WARD_GN_SUBJECT && !elsewhere(v, i))
            fprintf(f, "  (held by %s, %u linked, component %d", *n->holder ? n->holder : "-",
                    n->degree, n->component);
        if (n->kind == WARD_GN_SUBJECT && !elsewhere(v, i) && n->community >= 0)
            fprintf(f, ", community %d", n->community);
        if (n->kind == WARD_GN_SUBJECT && !elsewhere(v, i))
            fputc(')', f);
        if (n->kind != WARD_GN_SUBJECT)
            fprintf(f, "  (%u records, %u subjects%s%s)", n->records, n->degree,
                    *n->holder ? ", force " : "", n->holder);
        if (n->refused)
            fprintf(f, "  REFUSED as a link: %s", n->refused);
        fputc('\n', f);
    }
    fprintf(f, "links:\n");
    each_edge(g, v, text_edge, f, NULL);
}

/* Returns 0 when a string could not be built. */
static int write_json(const ward_graph *g, const ward_graph_view *v, FILE *f)
{
    int failed = 0;
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        fprintf(f, "{\"type\":\"node\",\"kind\":\"%s\",\"key\":", ward_graph_kind_name(n->kind));
        json_str(f, n->key, &failed);
        if (elsewhere(v, i)) {
            fputs(",\"held_elsewhere\":true,\"contact\":", f);
            json_str(f, n->holder, &failed);
        } else if (n->kind == WARD_GN_SUBJECT) {
            fputs(",\"holder\":", f);
            json_str(f, n->holder, &failed);
            fprintf(f, ",\"linked\":%u,\"component\":%d,\"community\":%d", n->degree,
                    n->component, n->community);
        } else {
            fprintf(f, ",\"records\":%u,\"subjects\":%u", n->records, n->degree);
            if (*n->holder) {   /* an exhibit's or scan's owning force */
                fputs(",\"force\":", f);
                json_str(f, n->holder, &failed);
            }
        }
        if (v->dist[i] >= 0)
            fprintf(f, ",\"ring\":%d", v->dist[i]);
        if (n->refused) {
            fputs(",\"refused\":", f);
            json_str(f, n->refused, &failed);
        }
        fputs("}\n", f);
    }
    each_edge(g, v, json_edge, f, &failed);
    return !failed;
}

static void graphml_edge(const ward_graph *g, const ward_graph_view *v, uint32_t e, int red,
                         FILE *f, void *ctx)
{
    (void)ctx;
    const ward_graph_edge *x = &g->edge[e];
    fprintf(f, "<edge id=\"e%u\" source=\"n%ld\" target=\"n%ld\">", e,
            wg_view_pos(v, x->subject), wg_view_pos(v, x->node));
    if (!red) {
        fprintf(f, "<data key=\"record\">%lld</data><data key=\"time\">", (long long)x->record);
        wg_xml(f, x->time);
        fputs("</data><data key=\"list\">", f);
        wg_xml(f, x->source);
        fputs("</data><data key=\"raw\">", f);
        wg_xml(f, x->raw);
        fprintf(f, "</data><data key=\"confidence\">%.2f</data>", x->confidence);
    }
    fputs("</edge>\n", f);
}

static void write_graphml(const ward_graph *g, const ward_graph_view *v, FILE *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n", f);
    static const char *const nkeys[] = {"kind", "label", "holder", "refused", "elsewhere"};
    for (int i = 0; i < 5; i++)
        fprintf(f, "<key id=\"%s\" for=\"node\" attr.name=\"%s\" attr.type=\"string\"/>\n",
                nkeys[i], nkeys[i]);
    fputs("<key id=\"record\" for=\"edge\" attr.name=\"record\" attr.type=\"long\"/>\n"
          "<key id=\"time\" for=\"edge\" attr.name=\"time\" attr.type=\"string\"/>\n"
          "<key id=\"list\" for=\"edge\" attr.name=\"list\" attr.type=\"string\"/>\n"
          "<key id=\"raw\" for=\"edge\" attr.name=\"raw\" attr.type=\"string\"/>\n"
          "<key id=\"confidence\" for=\"edge\" attr.name=\"confidence\" attr.type=\"double\"/>\n"
          "<graph id=\"ward\" edgedefault=\"undirected\">\n", f);
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        char l[256];
        label(g, v, i, l, sizeof l);
        fprintf(f, "<node id=\"n%zu\"><data key=\"kind\">%s</data><data key=\"label\">", i,
                ward_graph_kind_name(n->kind));
        wg_xml(f, l);
        fputs("</data>", f);
        if (n->kind == WARD_GN_SUBJECT) {
            fputs("<data key=\"holder\">", f);
            wg_xml(f, n->holder);
            fputs("</data>", f);
        }
        if (elsewhere(v, i))
            fputs("<data key=\"elsewhere\">true</data>", f);
        if (n->refused) {
            fputs("<data key=\"refused\">", f);
            wg_xml(f, n->refused);
            fputs("</data>", f);
        }
        fputs("</node>\n", f);
    }
    each_edge(g, v, graphml_edge, f, NULL);
    fputs("</graph>\n</graphml>\n", f);
}

static void gexf_edge(const ward_graph *g, const ward_graph_view *v, uint32_t e, int red,
                      FILE *f, void *ctx)
{
    (void)ctx;
    const ward_graph_edge *x = &g->edge[e];
    fprintf(f, "<edge id=\"%u\" source=\"n%ld\" target=\"n%ld\" weight=\"%.2f\">", e,
            wg_view_pos(v, x->subject), wg_view_pos(v, x->node), x->confidence);
    if (!red) {
        fprintf(f, "<attvalues><attvalue for=\"record\" value=\"%lld\"/>"
                   "<attvalue for=\"time\" value=\"", (long long)x->record);
        wg_xml(f, x->time);
        fputs("\"/><attvalue for=\"list\" value=\"", f);
        wg_xml(f, x->source);
        fputs("\"/><attvalue for=\"raw\" value=\"", f);
        wg_xml(f, x->raw);
        fputs("\"/></attvalues>", f);
    }
    fputs("</edge>\n", f);
}

static void write_gexf(const ward_graph *g, const ward_graph_view *v, FILE *f)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
          "<meta><creator>ward</creator><description>Links are referrals carrying the same "
          "value, not findings</description></meta>\n"
          "<graph defaultedgetype=\"undirected\" mode=\"static\">\n"
          "<attributes class=\"node\"><attribute id=\"kind\" title=\"kind\" type=\"string\"/>"
          "<attribute id=\"holder\" title=\"holder\" type=\"string\"/>"
          "<attribute id=\"refused\" title=\"refused\" type=\"string\"/>"
          "<attribute id=\"elsewhere\" title=\"held elsewhere\" type=\"boolean\"/>"
          "<attribute id=\"community\" title=\"community\" type=\"integer\"/></attributes>\n"
          "<attributes class=\"edge\"><attribute id=\"record\" title=\"record\" type=\"long\"/>"
          "<attribute id=\"time\" title=\"time\" type=\"string\"/>"
          "<attribute id=\"list\" title=\"list\" type=\"string\"/>"
          "<attribute id=\"raw\" title=\"as received\" type=\"string\"/></attributes>\n"
          "<nodes>\n", f);
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        char l[256];
        label(g, v, i, l, sizeof l);
        fprintf(f, "<node id=\"n%zu\" label=\"", i);
        wg_xml(f, l);
        fprintf(f, "\"><attvalues><attvalue for=\"kind\" value=\"%s\"/>",
                ward_graph_kind_name(n->kind));
        if (n->kind == WARD_GN_SUBJECT) {
            fputs("<attvalue for=\"holder\" value=\"", f);
            wg_xml(f, n->holder);
            fprintf(f, "\"/><attvalue for=\"elsewhere\" value=\"%s\"/>",
                    elsewhere(v, i) ? "true" : "false");
            if (!elsewhere(v, i) && n->community >= 0)
                fprintf(f, "<attvalue for=\"community\" value=\"%d\"/>", n->community);
        }
        if (n->refused) {
            fputs("<attvalue for=\"refused\" value=\"", f);
            wg_xml(f, n->refused);
            fputs("\"/>", f);
        }
        fputs("</attvalues></node>\n", f);
    }
    fputs("</nodes>\n<edges>\n", f);
    each_edge(g, v, gexf_edge, f, NULL);
    fputs("</edges>\n</graph>\n</gexf>\n", f);
}

static void i2_edge(const ward_graph *g, const ward_graph_view *v, uint32_t e, int red,
                    FILE *f, void *ctx)
{
    int *failed = ctx;
    const ward_graph_edge *x = &g->edge[e];
    char from[32], to[32], rec[32] = "", conf[16] = "";
    snprintf(from, sizeof from, "n%ld", wg_view_pos(v, x->subject));
    snprintf(to, sizeof to, "n%ld", wg_view_pos(v, x->node));
    if (!red)
        snprintf(rec, sizeof rec, "%lld", (long long)x->record),
            snprintf(conf, sizeof conf, "%.2f", x->confidence);
    const char *cells[] = {"link", "", "", "", "", from, to,
                           ward_graph_kind_name(g->node[x->node].kind), rec,
                           red ? "" : x->time, red ? "" : x->source, red ? "" : x->raw, conf};
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
        if (i)
            fputc(',', f);
        if (!esc_csv_fput(f, cells[i]))
            *failed = 1;
    }
    fputs("\r\n", f);
}

/* Returns 0 when a cell could not be built. */
static int write_i2(const ward_graph *g, const ward_graph_view *v, FILE *f)
{
    int failed = 0;
    fputs("type,entity_id,entity_type,label,notes,link_from,link_to,link_type,record,"
          "date_time,source_list,value_as_received,confidence\r\n", f);
    for (size_t i = 0; i < v->n; i++) {
        const ward_graph_node *n = &g->node[v->nodes[i]];
        char id[32], l[256], notes[256] = "";
        snprintf(id, sizeof id, "n%zu", i);
        label(g, v, i, l, sizeof l);
        if (n->refused)
            snprintf(notes, sizeof notes, "refused as a link: %s", n->refused);
        else if (n->kind == WARD_GN_SUBJECT && !elsewhere(v, i))
            snprintf(notes, sizeof notes, "held by %s", *n->holder ? n->holder : "-");
        const char *cells[] = {"entity", id, ward_graph_kind_name(n->kind), l, notes};
        for (size_t c = 0; c < 5; c++) {
            if (c)
                fputc(',', f);
            if (!esc_csv_fput(f, cells[c]))
                failed = 1;
        }
        fputs(",,,,,,,,\r\n", f);
    }
    each_edge(g, v, i2_edge, f, &failed);
    return !failed;
}

ward_status ward_graph_write(const ward_graph *g, const ward_graph_view *v,
                             ward_graph_format fmt, FILE *out, ward_error *err)
{
    switch (fmt) {
    case WARD_GF_TEXT: write_text(g, v, out); break;
    case WARD_GF_JSON:
        if (!write_json(g, v, out))
            return err_fail(err, WARD_ENOMEM, "out of memory writing JSON");
        break;
    case WARD_GF_GRAPHML: write_graphml(g, v, out); break;
    case WARD_GF_GEXF: write_gexf(g, v, out); break;
    case WARD_GF_I2CSV:
        if (!write_i2(g, v, out))
            return err_fail(err, WARD_ENOMEM, "out of memory writing the i2 CSV");
        break;
    case WARD_GF_SVG: return wg_write_svg(g, v, out, err);
    default: return err_fail(err, WARD_EINVAL, "unknown graph format");
    }
    return ferror(out) ? err_fail(err, WARD_EIO, "write error") : WARD_OK;
}
