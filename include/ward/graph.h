/*
 * graph.h -- link analysis: who is connected to whom, and on what evidence.
 *
 * The graph is built in memory from the stores ward already has (no graph
 * server): every resolved subject of the intelligence store and every
 * identifier and file its referral records carry (e-mail, phone, screen
 * name, IP event, file hash, hash-set series from the hash-set store hits).
 * It also reads payment cards (masked only), chat rooms or groups named in
 * referrals, and from the casework tables the exhibits linked to subjects
 * and the scans attached to them, with the series those scans found.
 * Nodes are subjects and identifiers; an edge joins a subject to an
 * identifier one of its records carries, with that record, the value as
 * received, when (the IP event's time, else the incident's, else the
 * list's arrival), the list it came on and a confidence.
 *
 * Two subjects are linked when they hold the same identifier, exactly as
 * the resolver would compare them: an identifier the resolver refuses to
 * link people through (an address in a CGNAT range without a port, an IP
 * event without a settled time, a value held by more records than the
 * frequency cap, a mailbox used under more names than shared_names) is a
 * node marked `refused` with the reason, and never links two subjects; IP
 * events of two subjects link them only within ip_window_hours. The
 * subject-to-subject links (the projection) carry the identifiers behind
 * them, so every answer can show its evidence.
 *
 * Suspicion is not guilt: a link is two referrals carrying the same value,
 * never a finding that two people know each other. Every answer says what
 * it rests on.
 *
 * Questions: neighbours to depth N, who shares identifiers or material,
 * connected components, communities (Louvain, deterministic for a seed),
 * key players (degree, Brandes betweenness within the component),
 * the shortest path between two subjects with the evidence on each hop, and
 * how a component grew over time. Views (a subset of nodes, with another
 * unit's subjects reduced to "held elsewhere, contact X") are written as
 * text, JSON lines, GraphML, GEXF, an i2 Analyst's Notebook-style CSV of
 * entities and links, or a server-rendered SVG.
 *
 * A graph is immutable after ward_graph_finish; queries may run from
 * several threads. Node indices are stable for the graph's life.
 */
#ifndef WARD_GRAPH_H
#define WARD_GRAPH_H

#include <stdint.h>
#include <stdio.h>
#include <ward/casework.h>
#include <ward/intel.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_graph_kind {
    WARD_GN_SUBJECT = 0, WARD_GN_EMAIL, WARD_GN_PHONE, WARD_GN_SCREEN, WARD_GN_IP,
    WARD_GN_CHAT, WARD_GN_HASH, WARD_GN_SERIES, WARD_GN_CARD, WARD_GN_EXHIBIT, WARD_GN_SCAN,
    WARD_GN_NKINDS
} ward_graph_kind;

/* "subject", "email", "phone", "screen_name", "ip", "chat_room", "file_hash",
 * "series", "card", "exhibit", "scan". */
const char *ward_graph_kind_name(ward_graph_kind k);

typedef struct ward_graph_node {
    ward_graph_kind kind;
    const char *key;        /* subject: "S000123"; identifier: its normalised value;
                             * card: masked, with a short fingerprint of its keyed
                             * hash ("453914******6467 #3f9a0c21d4e7"), never the
                             * full number; exhibit: its reference; scan: "REF scan
                             * TIME" */
    const char *holder;     /* subject: the unit holding its package ("" none);
                             * exhibit, scan: the owning force; else "" */
    const char *refused;    /* non-NULL: links no one, and why */
    uint32_t records;       /* distinct records carrying it (subjects: their records) */
    int32_t component;      /* subjects: connected component (by size, largest 0); else -1 */
    int32_t community;      /* subjects: after ward_graph_communities; else -1 */
    uint32_t degree;        /* subjects: subjects linked; identifiers: subjects holding it */
} ward_graph_node;

typedef struct ward_graph_edge {
    uint32_t subject, node;  /* a subject and an identifier it holds */
    int64_t record;
    const char *raw;         /* the value as received */
    const char *time;        /* as stored (UTC ISO for IP events and incidents) */
    const char *source;      /* the list */
    double confidence;       /* 0..1: how firmly the record ties the value (docs/graph.md) */
} ward_graph_edge;

typedef struct ward_graph ward_graph;

/* Limits a built graph applies; 0 fields take the resolver's defaults. */
typedef struct ward_graph_limits {
    int frequency_cap, shared_names, ip_window_hours;
} ward_graph_limits;

/* From the intelligence store: subjects, link values and hash-set series
 * hits, the resolver's limits. *unresolved: records not in a subject (not
 * examined; run 'ward intel update'). */
ward_status ward_graph_build(ward_intel *in, ward_graph **out, uint64_t *unresolved,
                             ward_error *err);

/* Building by hand (tests, other sources such as exhibits): new, add
 * every subject (in ascending subject order; WARD_EINVAL otherwise), then
 * links (ward_intel_link's fields; strings are copied; a link to a subject
 * not added is ignored, as is a field that links nothing), then finish,
 * after which the graph answers questions and takes nothing more. */
ward_status ward_graph_new(const ward_graph_limits *lim, ward_graph **out, ward_error *err);
ward_status ward_graph_add_subject(ward_graph *g, int64_t subject, const char *id,
                                   const char *holder, ward_error *err);
ward_status ward_graph_add_link(ward_graph *g, const ward_intel_link *l, ward_error *err);
/* An exhibit (src/casework) as a node of its subject (none: ignored), and
 * a scan attached to it (summary: the summary.json text ward exhibit
 * attach-scan stored) as a node of the same subject, with an edge to each
 * series the scan found (known: confidence 0.5, near: 0.35). Exhibits and
 * scans belong to one subject each: they show what is held, never link. A
 * summary that is not JSON is WARD_EFORMAT naming the exhibit. */
ward_status ward_graph_add_exhibit(ward_graph *g, const ward_exhibit *ex,
                                   ward_error *err);
ward_status ward_graph_add_scan(ward_graph *g, const ward_exhibit *ex, const char *at,
                                const char *by, const char *summary, ward_error *err);
ward_status ward_graph_finish(ward_graph *g, ward_error *err);
void ward_graph_free(ward_graph *g);

size_t ward_graph_node_count(const ward_graph *g);
size_t ward_graph_edge_count(const ward_graph *g);
size_t ward_graph_component_count(const ward_graph *g);
const ward_graph_node *ward_graph_node_at(const ward_graph *g, uint32_t i);
const ward_graph_edge *ward_graph_edge_at(const ward_graph *g, uint32_t i);
/* A node by kind and key ("S000123" for a subject); -1 if none. */
int64_t ward_graph_find(const ward_graph *g, ward_graph_kind kind, const char *key);
/* The edges touching node i (indices into the edge list), by record. */
size_t ward_graph_edges_of(const ward_graph *g, uint32_t i, const uint32_t **edges);
/* Subjects linked to subject i (projection), with the number of
 * identifiers they share: n entries. */
size_t ward_graph_linked(const ward_graph *g, uint32_t i, const uint32_t **subjects,
                         const uint32_t **weights);
/* Identifiers subjects a and b share that link them (not refused, IP events
 * within the window): up to cap node indices into out; returns how many. */
size_t ward_graph_shared(const ward_graph *g, uint32_t a, uint32_t b, uint32_t *out,
                         size_t cap);

/* ---- questions ---------------------------------------------------------- */

/* Subjects within `depth` links of subject `s` (s itself at 0), in order of
 * distance then index: nodes[k] at dist[k], reached from via[k] (the
 * subject before it on a shortest path; s's own is s). Caller frees the
 * three arrays with free(). max: stop after this many (0: no limit). */
ward_status ward_graph_neighbours(const ward_graph *g, uint32_t s, int depth, size_t max,
                                  uint32_t **nodes, int **dist, uint32_t **via, size_t *n,
                                  ward_error *err);
/* Shortest chain of subjects from a to b (a first, b last; caller frees);
 * *n = 0 when they are not connected. */
ward_status ward_graph_path(const ward_graph *g, uint32_t a, uint32_t b, uint32_t **path,
                            size_t *n, ward_error *err);
/* Louvain modularity communities on the projection (weights: identifiers
 * shared), visiting subjects in an order drawn from `seed`; ties keep a
 * subject where it is, else take the smallest community: deterministic
 * for a seed.
 * Sets each subject's community (numbered by size, largest 0). Returns the
 * number of communities in *n. */
ward_status ward_graph_communities(ward_graph *g, uint64_t seed, size_t *n, ward_error *err);

typedef struct ward_graph_player {
    uint32_t node;
    uint32_t degree;          /* subjects linked */
    double betweenness;       /* Brandes, unweighted, within the component, normalised 0..1 */
} ward_graph_player;
/* Key players of component c, by betweenness then degree: up to `top`
 * (caller frees *out). Components over 4,000 subjects are estimated from
 * 256 evenly spread sources: *sampled says how many were used (0: exact). */
ward_status ward_graph_key_players(const ward_graph *g, int32_t c, size_t top,
                                   ward_graph_player **out, size_t *n, size_t *sampled,
                                   ward_error *err);
/* How component c grew: one JSON line (json) or text line per day an edge
 * first appeared: {"date","subjects","identifiers","links"} cumulative. */
ward_status ward_graph_growth(const ward_graph *g, int32_t c, int json, FILE *out,
                              ward_error *err);

/* ---- views and output ----------------------------------------------------- */

enum { WARD_GV_SHOW = 1, WARD_GV_ELSEWHERE = 2 };

/* A set of nodes to show. dist: hops from the centre for an ego view
 * (radial layout), -1 otherwise. mode: WARD_GV_SHOW, or WARD_GV_ELSEWHERE
 * for another unit's subject: only its id and the unit to contact are
 * written, and edges to it carry neither record, value as received, time
 * nor list. */
typedef struct ward_graph_view {
    uint32_t *nodes;
    int *dist;
    unsigned char *mode;
    size_t n;
    int64_t centre;          /* -1: none */
} ward_graph_view;

/* Subject s and its neighbours to `depth` (at most max subjects), every
 * identifier linking two of them, and s's own identifiers (refused ones
 * included, marked). */
ward_status ward_graph_ego(const ward_graph *g, uint32_t s, int depth, size_t max,
                           ward_graph_view *v, ward_error *err);
/* Component c's subjects and linking identifiers (at most max subjects). */
ward_status ward_graph_component_view(const ward_graph *g, int32_t c, size_t max,
                                      ward_graph_view *v, ward_error *err);
/* Compartments: covers(ctx, holder) says whether the viewer may see a
 * subject held by `holder`. Other subjects become WARD_GV_ELSEWHERE when
 * linked to an identifier one of the viewer's subjects holds, and are
 * dropped otherwise, as are identifiers none of the viewer's subjects
 * holds, and exhibits and scans of a force the viewer does not cover.
 * Identifiers are never followed through another unit's subject. */
void ward_graph_view_restrict(const ward_graph *g, ward_graph_view *v,
                              int (*covers)(void *ctx, const char *holder), void *ctx);
void ward_graph_view_free(ward_graph_view *v);

typedef enum ward_graph_format {
    WARD_GF_TEXT = 0, WARD_GF_JSON, WARD_GF_GRAPHML, WARD_GF_GEXF, WARD_GF_I2CSV, WARD_GF_SVG
} ward_graph_format;
/* "text", "json", "graphml", "gexf", "i2", "svg"; -1 if unknown. */
int ward_graph_format_parse(const char *s);
/* The view's nodes and the edges among them. i2: entities then links, one
 * CSV (a "type" column says which); cells beginning = + - @ tab or CR are
 * prefixed with ' (OWASP CSV injection). SVG: deterministic layout (radial
 * around the centre, else force-directed from a fixed seed). */
ward_status ward_graph_write(const ward_graph *g, const ward_graph_view *v,
                             ward_graph_format f, FILE *out, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
