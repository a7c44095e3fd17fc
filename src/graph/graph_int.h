/* Internal state shared by the graph room's files. */
#ifndef WARD_GRAPH_INT_H
#define WARD_GRAPH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <ward/graph.h>

/* Strings live in chunks that never move (nodes and edges point into them). */
typedef struct wg_chunk {
    struct wg_chunk *next;
    size_t used, cap;
    char data[];
} wg_chunk;

struct ward_graph {
    ward_graph_limits lim;
    wg_chunk *arena;
    ward_graph_node *node;
    size_t n_node, cap_node;
    int64_t *subject_num;        /* node -> intel subject number (subjects), else 0 */
    ward_graph_edge *edge;
    time_t *edge_t;              /* edge -> seconds (-1 if unparsed) */
    uint64_t *edge_name;         /* edge -> hash of its record's name (0: none) */
    const char *last_source;
    size_t n_edge, cap_edge;
    uint32_t *slot;              /* open-addressing table of node index + 1 */
    size_t n_slot;
    /* after finish: */
    uint32_t *adj_first, *adj;   /* CSR: node -> edge indices */
    uint32_t *pj_first, *pj, *pj_w;   /* projection CSR: subject -> subjects, weights */
    size_t n_component;
    int finished;
};

char *wg_strdup(ward_graph *g, const char *s);
void wg_set_error_oom(ward_error *err);
/* Unix seconds of "YYYY-MM-DD[THH:MM:SS[Z]]"; -1 if not that. */
time_t wg_time(const char *s);
/* The subjects of component c, by index (caller frees). */
uint32_t *wg_component_subjects(const ward_graph *g, int32_t c, size_t *n);
/* Whether edges e and f of one identifier link their subjects. */
int wg_edges_link(const ward_graph *g, uint32_t e, uint32_t f);
/* Text as XML (and HTML) text or attribute value: & < > " ' escaped,
 * control bytes other than tab replaced (XML 1.0 has none). */
void wg_xml(FILE *f, const char *s);
/* The SVG writer (svg.c). */
ward_status wg_write_svg(const ward_graph *g, const ward_graph_view *v, FILE *out,
                         ward_error *err);
/* Whether node i is in the view, and its position there (-1). */
long wg_view_pos(const ward_graph_view *v, uint32_t i);

#endif
