/*
 * Building the graph: nodes by (kind, key) in an open-addressing table,
 * subject-to-identifier edges with their evidence, then (finish) which
 * identifiers are refused by the resolver's limits, the adjacency lists,
 * the subject projection and the connected components.
 */
#include "graph/graph_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char *const kind_names[WARD_GN_NKINDS] = {
    "subject", "email", "phone", "screen_name", "ip", "chat_room", "file_hash", "series",
    "card", "exhibit", "scan"};

const char *ward_graph_kind_name(ward_graph_kind k)
{
    return (unsigned)k < WARD_GN_NKINDS ? kind_names[k] : "unknown";
}

static int kind_of_field(const char *field)
{
    static const struct { const char *field; ward_graph_kind k; } map[] = {
        {"email", WARD_GN_EMAIL}, {"phone", WARD_GN_PHONE}, {"screen_name", WARD_GN_SCREEN},
        {"ip", WARD_GN_IP}, {"chat_room", WARD_GN_CHAT}, {"file_hash", WARD_GN_HASH},
        {"series", WARD_GN_SERIES}, {"card", WARD_GN_CARD}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(field, map[i].field))
            return (int)map[i].k;
    return -1;
}

void wg_set_error_oom(ward_error *err)
{
    err_fail(err, WARD_ENOMEM, "out of memory building the graph");
}

char *wg_strdup(ward_graph *g, const char *s)
{
    size_t n = strlen(s) + 1;
    if (!g->arena || g->arena->cap - g->arena->used < n) {
        size_t cap = n > 1u << 20 ? n : 1u << 20;
        wg_chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = g->arena, c->used = 0, c->cap = cap;
        g->arena = c;
    }
    char *p = g->arena->data + g->arena->used;
    memcpy(p, s, n);
    g->arena->used += n;
    return p;
}

time_t wg_time(const char *s)
{
    struct tm tm = {0};
    int n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3)
        return -1;
    if (s[n] == 'T' || s[n] == ' ')
        sscanf(s + n + 1, "%2d:%2d:%2d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    tm.tm_year -= 1900, tm.tm_mon -= 1;
    return timegm(&tm);
}

/* FNV-1a of kind and key. */
static uint64_t hash_key(int kind, const char *key)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static int grow_table(ward_graph *g)
{
    size_t n = g->n_slot ? g->n_slot * 2 : 1024;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < g->n_node; i++) {
        size_t k = hash_key(g->node[i].kind, g->node[i].key) & (n - 1);
        while (s[k])
            k = (k + 1) & (n - 1);
        s[k] = (uint32_t)i + 1;
    }
    free(g->slot);
    g->slot = s, g->n_slot = n;
    return 0;
}

int64_t ward_graph_find(const ward_graph *g, ward_graph_kind kind, const char *key)
{
    if (!g->n_slot)
        return -1;
    size_t k = hash_key(kind, key) & (g->n_slot - 1);
    for (; g->slot[k]; k = (k + 1) & (g->n_slot - 1)) {
        const ward_graph_node *n = &g->node[g->slot[k] - 1];
        if (n->kind == kind && !strcmp(n->key, key))
            return g->slot[k] - 1;
    }
    return -1;
}

/* The node (kind, key), created if new; -1 when out of memory. */
static int64_t node_get(ward_graph *g, ward_graph_kind kind, const char *key)
{
    int64_t i = ward_graph_find(g, kind, key);
    if (i >= 0)
        return i;
    if ((g->n_node + 1) * 2 > g->n_slot && grow_table(g))
        return -1;
    if (g->n_node == g->cap_node) {
        size_t cap = g->cap_node ? g->cap_node * 2 : 1024;
        ward_graph_node *v = realloc(g->node, cap * sizeof *v);
        int64_t *s = v ? realloc(g->subject_num, cap * sizeof *s) : NULL;
        if (v)
            g->node = v;
        if (!s)
            return -1;
        g->subject_num = s, g->cap_node = cap;
    }
    char *k = wg_strdup(g, key);
    if (!k)
        return -1;
    i = (int64_t)g->n_node++;
    g->node[i] = (ward_graph_node){kind, k, "", NULL, 0, -1, -1, 0};
    g->subject_num[i] = 0;
    size_t s = hash_key(kind, key) & (g->n_slot - 1);
    while (g->slot[s])
        s = (s + 1) & (g->n_slot - 1);
    g->slot[s] = (uint32_t)i + 1;
    return i;
}

ward_status ward_graph_new(const ward_graph_limits *lim, ward_graph **out, ward_error *err)
{
    ward_graph *g = calloc(1, sizeof *g);
    if (!g) {
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    g->lim = (ward_graph_limits){50, 3, 72};   /* intel-resolve.conf's defaults */
    if (lim && lim->frequency_cap > 0)
        g->lim.frequency_cap = lim->frequency_cap;
    if (lim && lim->shared_names > 0)
        g->lim.shared_names = lim->shared_names;
    if (lim && lim->ip_window_hours > 0)
        g->lim.ip_window_hours = lim->ip_window_hours;
    *out = g;
    return WARD_OK;
}

ward_status ward_graph_add_subject(ward_graph *g, int64_t subject, const char *id,
                                   const char *holder, ward_error *err)
{
    /* subject_node() finds subjects by binary search over the first nodes */
    if (g->finished || (g->n_node && (g->node[g->n_node - 1].kind != WARD_GN_SUBJECT ||
                                      g->subject_num[g->n_node - 1] >= subject)))
        return err_fail(err, WARD_EINVAL, "graph: subjects are added first, in ascending "
                                           "order, before finishing (%s)", id);
    int64_t i = node_get(g, WARD_GN_SUBJECT, id);
    char *h = i >= 0 ? wg_strdup(g, holder ? holder : "") : NULL;
    if (!h) {
        wg_set_error_oom(err);
        return WARD_ENOMEM;
    }
    g->node[i].holder = h;
    g->subject_num[i] = subject;
    return WARD_OK;
}

/* A subject number -> node: subjects are added in id order before links,
 * so a binary search over the subject nodes finds it. */
static int64_t subject_node(const ward_graph *g, int64_t num)
{
    size_t lo = 0, hi = g->n_node;
    while (lo < hi) {   /* subjects are the first nodes, ascending numbers */
        size_t mid = (lo + hi) / 2;
        if (g->node[mid].kind != WARD_GN_SUBJECT || g->subject_num[mid] > num)
            hi = mid;
        else if (g->subject_num[mid] < num)
            lo = mid + 1;
        else
            return (int64_t)mid;
    }
    return -1;
}

/* Edges from a person's clarification, or an IP event (an address at a
 * time, maybe reassigned later), tie a value less firmly than a value
 * stated in the referral; a series is shared material, not a shared file. */
static double confidence(ward_graph_kind k, int by_person)
{
    double c = k == WARD_GN_IP ? 0.7 : k == WARD_GN_SERIES ? 0.5 : 1.0;
    return by_person ? c * 0.9 : c;
}

/* Lists repeat from one edge to the next: one copy while they do. */
static const char *intern_source(ward_graph *g, const char *s)
{
    if (!g->last_source || strcmp(g->last_source, s))
        g->last_source = wg_strdup(g, s);
    return g->last_source;
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

/* One piece of evidence: subject node s holds (kind, key), as `raw` on
 * record `record`, at `time`, on list `source`. */
typedef struct wg_evidence {
    ward_graph_kind kind;
    const char *key, *raw, *time, *source, *refused, *name, *holder;
    int64_t record;
    double confidence;
} wg_evidence;

static ward_status add_edge(ward_graph *g, int64_t s, const wg_evidence *x, ward_error *err)
{
    int64_t n = node_get(g, x->kind, x->key);
    if (n < 0)
        goto oom;
    if (x->refused && !g->node[n].refused && !(g->node[n].refused = wg_strdup(g, x->refused)))
        goto oom;
    if (x->holder && !*g->node[n].holder && !(g->node[n].holder = wg_strdup(g, x->holder)))
        goto oom;
    if (g->n_edge == g->cap_edge) {
        size_t cap = g->cap_edge ? g->cap_edge * 2 : 4096;
        ward_graph_edge *e = realloc(g->edge, cap * sizeof *e);
        time_t *t = e ? realloc(g->edge_t, cap * sizeof *t) : NULL;
        uint64_t *nm = t ? realloc(g->edge_name, cap * sizeof *nm) : NULL;
        if (e)
            g->edge = e;
        if (t)
            g->edge_t = t;
        if (!nm)
            goto oom;
        g->edge_name = nm, g->cap_edge = cap;
    }
    const char *raw = !strcmp(x->raw, x->key) ? g->node[n].key : wg_strdup(g, x->raw);
    const char *time = wg_strdup(g, x->time ? x->time : "");
    const char *src = intern_source(g, x->source ? x->source : "");
    if (!raw || !time || !src)
        goto oom;
    g->edge_t[g->n_edge] = wg_time(time);
    g->edge_name[g->n_edge] = x->name && *x->name ? name_hash(x->name) : 0;
    g->edge[g->n_edge++] = (ward_graph_edge){(uint32_t)s, (uint32_t)n, x->record, raw, time,
                                             src, x->confidence};
    return WARD_OK;
oom:
    wg_set_error_oom(err);
    return WARD_ENOMEM;
}

/* A card is shown masked (the value as received: intake never stores
 * more), told apart from another card with the same first 6 and last 4
 * digits by the first 12 hex digits of its keyed hash, which say nothing
 * of the number without the store's key. */
static void card_key(const ward_intel_link *l, char *out, size_t cap)
{
    const char *h = strncmp(l->value, "hmac-sha256:", 12) ? NULL : l->value + 12;
    if (h && strlen(h) >= 12)
        snprintf(out, cap, "%s #%.12s", l->raw, h);
    else
        snprintf(out, cap, "%s", l->raw);
}

ward_status ward_graph_add_link(ward_graph *g, const ward_intel_link *l, ward_error *err)
{
    if (g->finished)
        return err_fail(err, WARD_EINVAL, "graph: finished; nothing can be added");
    int kind = kind_of_field(l->field);
    if (kind < 0)
        return WARD_OK;   /* not a linking field */
    int64_t s = subject_node(g, l->subject);
    if (s < 0)
        return WARD_OK;   /* an inactive subject's record: nothing to show */
    const char *key = *l->value ? l->value : l->raw;
    char buf[256];
    if (l->refused && kind == WARD_GN_IP) {
        /* An unusable event is its own node per address, apart from usable
         * events at the same address. */
        snprintf(buf, sizeof buf, "%s (unusable)", key);
        key = buf;
    } else if (kind == WARD_GN_CARD)
        card_key(l, buf, sizeof buf), key = buf;
    wg_evidence x = {(ward_graph_kind)kind, key, l->raw, l->time, l->source, l->refused,
                     l->name, NULL, l->record, confidence((ward_graph_kind)kind, l->by_person)};
    return add_edge(g, s, &x, err);
}

static ward_status need_open(const ward_graph *g, ward_error *err)
{
    return g->finished ? err_fail(err, WARD_EINVAL, "graph: finished; nothing can be added")
                       : WARD_OK;
}

ward_status ward_graph_add_exhibit(ward_graph *g, const ward_exhibit *ex, ward_error *err)
{
    ward_status rc = need_open(g, err);
    int64_t s = rc || !ex->subject[0] ? -1 : ward_graph_find(g, WARD_GN_SUBJECT, ex->subject);
    if (s < 0)
        return rc;   /* not linked to an active subject: nothing to show */
    char raw[300];
    snprintf(raw, sizeof raw, "%s: %s", ex->kind, ex->description);
    wg_evidence x = {WARD_GN_EXHIBIT, ex->ref, raw, ex->seized_raw, "exhibit register",
                     NULL, NULL, ex->force, 0, 1.0};
    return add_edge(g, s, &x, err);
}

/* The string at key k of object o; "" if none. */
static const char *jtext(yajl_val o, const char *k)
{
    yajl_val v = yajl_tree_get(o, (const char *[]){k, NULL}, yajl_t_string);
    const char *t = v ? YAJL_GET_STRING(v) : NULL;
    return t ? t : "";
}

/* "known 3, near 1, new_image 2, ..." from the summary's classes. */
static void scan_counts(yajl_val sum, char *out, size_t cap)
{
    yajl_val c = yajl_tree_get(sum, (const char *[]){"classes", NULL}, yajl_t_object);
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; c && i < c->u.object.len && k < cap; i++) {
        yajl_val v = c->u.object.values[i];
        k += (size_t)snprintf(out + k, cap - k, "%s%s %s", i ? ", " : "", c->u.object.keys[i],
                              YAJL_IS_NUMBER(v) ? YAJL_GET_NUMBER(v) : "?");
    }
}

ward_status ward_graph_add_scan(ward_graph *g, const ward_exhibit *ex, const char *at,
                                const char *by, const char *summary, ward_error *err)
{
    ward_status rc = need_open(g, err);
    int64_t s = rc || !ex->subject[0] ? -1 : ward_graph_find(g, WARD_GN_SUBJECT, ex->subject);
    if (s < 0)
        return rc;
    yajl_val sum = yajl_tree_parse(summary, NULL, 0);
    if (!sum || !YAJL_IS_OBJECT(sum)) {
        yajl_tree_free(sum);
        return err_fail(err, WARD_EFORMAT, "exhibit %s: the scan attached at %s has no "
                                            "readable summary", ex->ref, at);
    }
    char key[160], counts[300], source[200];
    snprintf(key, sizeof key, "%s scan %s", ex->ref, at);
    scan_counts(sum, counts, sizeof counts);
    snprintf(source, sizeof source, "exhibit %s, scan by %s", ex->ref, by);
    wg_evidence x = {WARD_GN_SCAN, key, counts, at, source, NULL, NULL, ex->force, 0, 1.0};
    rc = add_edge(g, s, &x, err);
    /* the series it found: shared material, as a referral's hash-set hits */
    yajl_val cats = yajl_tree_get(sum, (const char *[]){"categories", NULL}, yajl_t_array);
    for (size_t i = 0; !rc && cats && i < cats->u.array.len; i++) {
        yajl_val c = cats->u.array.values[i];
        const char *series = jtext(c, "series");
        if (!*series)
            continue;
        int near = !strcmp(jtext(c, "class"), "near");
        char raw[300];
        snprintf(raw, sizeof raw, "%s match on list %s", near ? "near (PDQ)" : "known",
                 jtext(c, "list"));
        wg_evidence sx = {WARD_GN_SERIES, series, raw, at, source, NULL, NULL, NULL, 0,
                          near ? 0.35 : 0.5};
        rc = add_edge(g, s, &sx, err);
    }
    yajl_tree_free(sum);
    return rc;
}

static int add_subject_cb(void *ctx, int64_t subject, const char *id, const char *holder,
                          const char *created)
{
    (void)created;
    return ward_graph_add_subject(ctx, subject, id, holder, NULL) != WARD_OK;
}

static int add_link_cb(void *ctx, const ward_intel_link *l)
{
    return ward_graph_add_link(ctx, l, NULL) != WARD_OK;
}

typedef struct casework_ctx {
    ward_graph *g;
    ward_error *err;
    ward_status rc;
} casework_ctx;

static int add_exhibit_cb(void *ctx, const ward_exhibit *ex)
{
    casework_ctx *c = ctx;
    return (c->rc = ward_graph_add_exhibit(c->g, ex, c->err)) != WARD_OK;
}

static int add_scan_cb(void *ctx, const ward_exhibit *ex, const char *at, const char *by,
                       const char *summary)
{
    casework_ctx *c = ctx;
    return (c->rc = ward_graph_add_scan(c->g, ex, at, by, summary, c->err)) != WARD_OK;
}

/* Exhibits and their scans (casework's tables in the same store). */
static ward_status add_casework(ward_intel *in, ward_graph *g, ward_error *err)
{
    casework_ctx c = {g, err, WARD_OK};
    ward_exhibit_filter all = {NULL, NULL, -1};
    ward_status rc = ward_exhibit_each(in, &all, add_exhibit_cb, &c, err);
    if (!rc && !c.rc)
        rc = ward_exhibit_scan_each(in, add_scan_cb, &c, err);
    return c.rc ? c.rc : rc;
}

ward_status ward_graph_build(ward_intel *in, ward_graph **out, uint64_t *unresolved,
                             ward_error *err)
{
    ward_graph_limits lim;
    ward_intel_link_limits(in, &lim.frequency_cap, &lim.shared_names, &lim.ip_window_hours);
    ward_graph *g = NULL;
    ward_status rc = ward_graph_new(&lim, &g, err);
    if (rc)
        return rc;
    /* The callbacks fail only when out of memory; intel reports that. */
    rc = ward_intel_link_subjects(in, add_subject_cb, g, err);
    if (!rc)
        rc = ward_intel_links(in, add_link_cb, g, unresolved, err);
    if (!rc)
        rc = add_casework(in, g, err);
    if (!rc)
        rc = ward_graph_finish(g, err);
    if (rc)
        ward_graph_free(g);
    else
        *out = g;
    return rc;
}

void ward_graph_free(ward_graph *g)
{
    if (!g)
        return;
    while (g->arena) {
        wg_chunk *c = g->arena;
        g->arena = c->next;
        free(c);
    }
    free(g->node), free(g->subject_num), free(g->edge), free(g->edge_t), free(g->edge_name);
    free(g->slot), free(g->adj_first), free(g->adj), free(g->pj_first), free(g->pj);
    free(g->pj_w);
    free(g);
}

size_t ward_graph_node_count(const ward_graph *g) { return g->n_node; }
size_t ward_graph_edge_count(const ward_graph *g) { return g->n_edge; }
size_t ward_graph_component_count(const ward_graph *g) { return g->n_component; }
const ward_graph_node *ward_graph_node_at(const ward_graph *g, uint32_t i)
{
    return i < g->n_node ? &g->node[i] : NULL;
}
const ward_graph_edge *ward_graph_edge_at(const ward_graph *g, uint32_t i)
{
    return i < g->n_edge ? &g->edge[i] : NULL;
}
