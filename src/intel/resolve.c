/*
 * Identity: which records are the same person. Fellegi-Sunter record
 * linkage: two records are compared field by field; agreement on a field
 * adds log2(m/u), disagreement adds log2((1-m)/(1-u)), where m is the
 * chance that the same person's records agree and u the chance that two
 * different people's do (intel-resolve.conf). Pairs at or above the
 * threshold are linked and linked records form one subject.
 *
 * Only pairs that share an identifier are compared (blocking). An
 * identifier held by more records than the frequency cap (a carrier-grade
 * NAT address, a shared office mailbox) neither blocks nor scores: it
 * would otherwise glue strangers together. Quarantined and unusable values
 * are never read here (status 'ok' or 'resolved' only).
 *
 * Subject ids are stable: a new grouping keeps the id of the old subject
 * that most of its records had; merges and splits are written to
 * subject_history. An analyst's "keep apart" and "join" decisions
 * (link_decisions) are honoured on every run, which is how a wrong merge or
 * split is reversed.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct ident {
    int rec;          /* record index */
    int field;        /* WI_F_* */
    const char *val;  /* owned by the arena */
    time_t t;         /* IP events: when */
    int vid;          /* value id, by (field, val) */
} ident;

typedef struct rs {
    ward_intel *in;
    int64_t *rec_id;     /* index -> records.id */
    int64_t *batch;      /* index -> batch */
    int n;
    ident *id;
    size_t n_id, cap_id;
    int *freq;           /* vid -> distinct records holding it */
    int *names;          /* vid -> distinct names on the records holding it */
    char *shared;        /* vid -> too widely held to tell anyone apart */
    const char **rec_name; /* record index -> its first name value, or NULL */
    int n_vid;
    size_t *first;       /* rec index -> first ident (sorted by rec), n+1 entries */
    int *parent;
    uint64_t *pairs;
    size_t n_pairs, cap_pairs;
    uint64_t capped;     /* identifier groups refused by the frequency cap */
} rs;

static int find(int *p, int x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

static int rec_index(const rs *r, int64_t id)
{
    int lo = 0, hi = r->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (r->rec_id[mid] == id)
            return mid;
        if (r->rec_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static ward_status load_records(rs *r, ward_error *err)
{
    int64_t n;
    ward_status rc = wi_query_int(r->in, "SELECT count(*) FROM records", NULL, 0, &n, err);
    if (rc)
        return rc;
    r->n = (int)n;
    r->rec_id = malloc(sizeof *r->rec_id * (size_t)(n + 1));
    r->batch = malloc(sizeof *r->batch * (size_t)(n + 1));
    if (!r->rec_id || !r->batch)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    wsql_stmt *st;
    if ((rc = wi_prepare(r->in, "SELECT id, batch FROM records ORDER BY id", &st, err)))
        return rc;
    int k = 0;
    while (wsql_step(st) == SQLITE_ROW && k < r->n) {
        r->rec_id[k] = wsql_column_int64(st, 0);
        r->batch[k++] = wsql_column_int64(st, 1);
    }
    wsql_finalize(st);
    r->n = k;
    return WARD_OK;
}

static int push_ident(rs *r, int rec, int field, const char *val, time_t t)
{
    if (r->n_id == r->cap_id) {
        size_t cap = r->cap_id ? r->cap_id * 2 : 4096;
        ident *v = realloc(r->id, cap * sizeof *v);
        if (!v)
            return -1;
        r->id = v, r->cap_id = cap;
    }
    char *copy = strdup(val);
    if (!copy)
        return -1;
    r->id[r->n_id++] = (ident){rec, field, copy, t, 0};
    return 0;
}

static int field_of(const char *name)
{
    for (int f = 0; f < WI_NFIELDS; f++)
        if (!strcmp(name, wi_field_names[f]))
            return f;
    return -1;
}

static ward_status load_idents(rs *r, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        r->in,
        "SELECT record, field, norm FROM vals WHERE status IN ('ok','resolved') AND field IN"
        " ('email','phone','screen_name','name','dob','postcode') ORDER BY record, field, id",
        &st, err);
    if (rc)
        return rc;
    int idx = 0;
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        int64_t rec = wsql_column_int64(st, 0);
        while (idx < r->n && r->rec_id[idx] < rec)
            idx++;
        if (idx < r->n && r->rec_id[idx] == rec &&
            push_ident(r, idx, field_of(wi_col(st, 1)), wi_col(st, 2), 0))
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    wsql_finalize(st);
    if (rc)
        return rc;
    /* An IP event identifies only with a full timestamp and zone (its time
     * value ok or resolved by a person); behind CGNAT only with its port. */
    rc = wi_prepare(
        r->in,
        /* "|| ''" keeps SQLite off the status index: the (record, field)
         * index is the one that finds an event's parts. (SQLite's usual
         * unary '+' is not defined for text on PostgreSQL, nor is CROSS
         * JOIN ... ON: t's conditions are in the WHERE clause.) */
        "SELECT v.record, v.norm, p.norm, t.norm FROM vals v CROSS JOIN vals t"
        " LEFT JOIN vals p ON p.record = v.record AND p.grp = v.grp AND p.field = 'ip_port'"
        "  AND p.status || '' = 'ok'"
        " WHERE v.field = 'ip' AND v.status || '' = 'ok'"
        "  AND t.record = v.record AND t.grp = v.grp AND t.field = 'ip_time'"
        "  AND t.status || '' IN ('ok','resolved') ORDER BY v.record, v.id",
        &st, err);
    if (rc)
        return rc;
    idx = 0;
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        int64_t rec = wsql_column_int64(st, 0);
        const char *ip = wi_col(st, 1), *port = wi_col(st, 2);
        char key[128];
        if (wi_ip_is_cgnat(ip) && !*port)
            continue;
        snprintf(key, sizeof key, wi_ip_is_cgnat(ip) ? "%s port %s" : "%s", ip, port);
        while (idx < r->n && r->rec_id[idx] < rec)
            idx++;
        if (idx < r->n && r->rec_id[idx] == rec &&
            push_ident(r, idx, WI_F_IP, key, wi_norm_time_t(wi_col(st, 3))))
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    wsql_finalize(st);
    return rc;
}

static int cmp_value(const void *a, const void *b)
{
    const ident *x = a, *y = b;
    if (x->field != y->field)
        return x->field - y->field;
    int c = strcmp(x->val, y->val);
    return c ? c : x->rec - y->rec;
}

static int cmp_rec(const void *a, const void *b)
{
    const ident *x = a, *y = b;
    if (x->rec != y->rec)
        return x->rec - y->rec;
    return x->field - y->field;
}

static int push_pair(rs *r, int a, int b)
{
    if (a == b)
        return 0;
    if (a > b) {
        int t = a;
        a = b, b = t;
    }
    if (r->n_pairs == r->cap_pairs) {
        size_t cap = r->cap_pairs ? r->cap_pairs * 2 : 4096;
        uint64_t *v = realloc(r->pairs, cap * sizeof *v);
        if (!v)
            return -1;
        r->pairs = v, r->cap_pairs = cap;
    }
    r->pairs[r->n_pairs++] = (uint64_t)a << 32 | (uint32_t)b;
    return 0;
}

/* Distinct names among the records of one group, counting no further
 * than limit + 1. */
static int distinct_names(const rs *r, size_t from, size_t to, int limit)
{
    const char *seen[64];
    int n = 0;
    for (size_t i = from; i < to && n <= limit && n < 64; i++) {
        const char *name = r->rec_name[r->id[i].rec];
        int dup = !name;
        for (int k = 0; k < n && !dup; k++)
            dup = !strcmp(seen[k], name);
        if (!dup)
            seen[n++] = name;
    }
    return n;
}

/* Value ids and frequencies; candidate pairs from every group of records
 * sharing a blocking identifier that is not shared. An identifier is
 * shared when more records hold it than the frequency cap, or records
 * under more different names than shared_names (an office mailbox): the
 * same person appearing many times under one name is not sharing. */
static ward_status block(rs *r, ward_error *err)
{
    r->rec_name = calloc((size_t)r->n + 1, sizeof *r->rec_name);
    for (size_t i = 0; r->rec_name && i < r->n_id; i++)
        if (r->id[i].field == WI_F_NAME && !r->rec_name[r->id[i].rec])
            r->rec_name[r->id[i].rec] = r->id[i].val;
    wi_sort(r->id, r->n_id, sizeof *r->id, cmp_value);
    r->freq = calloc(r->n_id + 1, sizeof *r->freq);
    r->names = calloc(r->n_id + 1, sizeof *r->names);
    r->shared = calloc(r->n_id + 1, 1);
    if (!r->freq || !r->names || !r->shared || !r->rec_name)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    const wi_resolve_model *m = &r->in->resolve;
    size_t i = 0;
    r->n_vid = 0;
    while (i < r->n_id) {
        size_t j = i;
        int distinct = 0;
        while (j < r->n_id && r->id[j].field == r->id[i].field &&
               !strcmp(r->id[j].val, r->id[i].val)) {
            if (j == i || r->id[j].rec != r->id[j - 1].rec)
                distinct++;
            r->id[j].vid = r->n_vid;
            j++;
        }
        int f = r->id[i].field, v = r->n_vid++;
        int blocking = f == WI_F_EMAIL || f == WI_F_PHONE || f == WI_F_SCREEN || f == WI_F_IP;
        r->freq[v] = distinct;
        r->names[v] = distinct_names(r, i, j, m->shared_names);
        r->shared[v] = blocking && (distinct > m->frequency_cap || r->names[v] > m->shared_names);
        if (r->shared[v])
            r->capped++;
        else if (blocking)
            for (size_t a = i; a < j; a++)
                for (size_t b = a + 1; b < j; b++)
                    if (push_pair(r, r->id[a].rec, r->id[b].rec))
                        return err_fail(err, WARD_ENOMEM, "out of memory");
        i = j;
    }
    return WARD_OK;
}

typedef struct namedob {
    int rec, name, dob;
} namedob;

static int cmp_nd(const void *a, const void *b)
{
    const namedob *x = a, *y = b;
    if (x->name != y->name)
        return x->name - y->name;
    if (x->dob != y->dob)
        return x->dob - y->dob;
    return x->rec - y->rec;
}

/* Records sharing name and date of birth are compared too, even with no
 * shared identifier: that is how a bulk list without emails still links. */
static ward_status block_name_dob(rs *r, ward_error *err)
{
    namedob *v = malloc(sizeof *v * (size_t)(r->n + 1));
    if (!v)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    size_t k = 0;
    for (int rec = 0; rec < r->n; rec++) {
        int name = -1, dob = -1;
        for (size_t i = r->first[rec]; i < r->first[rec + 1]; i++) {
            if (r->id[i].field == WI_F_NAME && name < 0)
                name = r->id[i].vid;
            if (r->id[i].field == WI_F_DOB && dob < 0)
                dob = r->id[i].vid;
        }
        if (name >= 0 && dob >= 0)
            v[k++] = (namedob){rec, name, dob};
    }
    wi_sort(v, k, sizeof *v, cmp_nd);
    ward_status rc = WARD_OK;
    for (size_t i = 0, j; i < k && !rc; i = j) {
        for (j = i; j < k && v[j].name == v[i].name && v[j].dob == v[i].dob; j++)
            ;
        if ((int)(j - i) > r->in->resolve.frequency_cap) {
            r->capped++;
            continue;
        }
        for (size_t a = i; a < j && !rc; a++)
            for (size_t b = a + 1; b < j && !rc; b++)
                if (push_pair(r, v[a].rec, v[b].rec))
                    rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    free(v);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Same surname and first initial: not agreement, not disagreement. */
static int name_compatible(const char *a, const char *b)
{
    const char *la = strrchr(a, ' '), *lb = strrchr(b, ' ');
    la = la ? la + 1 : a, lb = lb ? lb + 1 : b;
    return a[0] == b[0] && !strcmp(la, lb);
}

/* The Fellegi-Sunter total of records a and b. */
static double pair_weight(const rs *r, int a, int b)
{
    const wi_resolve_model *m = &r->in->resolve;
    double total = 0;
    time_t window = (time_t)m->ip_window_hours * 3600;
    for (int f = 0; f < WI_NFIELDS; f++) {
        int has_a = 0, has_b = 0, agree = 0, neutral = 0, agree_vid = -1;
        for (size_t i = r->first[a]; i < r->first[a + 1]; i++) {
            const ident *x = &r->id[i];
            if (x->field != f || r->shared[x->vid])
                continue;   /* a shared value says nothing either way */
            has_a = 1;
            for (size_t j = r->first[b]; j < r->first[b + 1]; j++) {
                const ident *y = &r->id[j];
                if (y->field != f || r->shared[y->vid])
                    continue;
                has_b = 1;
                if (x->vid == y->vid) {
                    if (f == WI_F_IP && llabs((long long)(x->t - y->t)) > window)
                        neutral = 1;   /* same address, another time: maybe reassigned */
                    else
                        agree = 1, agree_vid = x->vid;
                } else if (f == WI_F_NAME && name_compatible(x->val, y->val))
                    neutral = 1;
            }
        }
        if (!has_a || !has_b)
            continue;
        if (agree) {
            /* A value seen under k different names is k times as likely
             * to be shared by chance. */
            int holders = r->names[agree_vid];
            double u = fmin(0.5, m->u[f] * (holders > 1 ? holders : 1));
            total += log2(m->m[f] / u);
        } else if (!neutral)
            total += log2((1 - m->m[f]) / (1 - m->u[f]));
    }
    return total;
}

typedef struct scored {
    double w;
    int a, b;
} scored;

static int cmp_scored(const void *x, const void *y)
{
    const scored *p = x, *q = y;
    return p->w > q->w ? -1 : p->w < q->w ? 1 : (p->a - q->a) ? p->a - q->a : p->b - q->b;
}

typedef struct decision {
    int a, b, join;
} decision;

static ward_status load_decisions(rs *r, decision **out, size_t *n, ward_error *err)
{
    wsql_stmt *st;
    *out = NULL, *n = 0;
    ward_status rc = wi_prepare(r->in, "SELECT rec_a, rec_b, kind FROM link_decisions ORDER BY id",
                                &st, err);
    if (rc)
        return rc;
    size_t cap = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        int a = rec_index(r, wsql_column_int64(st, 0));
        int b = rec_index(r, wsql_column_int64(st, 1));
        if (a < 0 || b < 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            decision *v = realloc(*out, cap * sizeof *v);
            if (!v) {
                wsql_finalize(st);
                return err_fail(err, WARD_ENOMEM, "out of memory");
            }
            *out = v;
        }
        (*out)[(*n)++] = (decision){a, b, !strcmp(wi_col(st, 2), "join")};
    }
    wsql_finalize(st);
    return WARD_OK;
}

/* Would joining roots ra and rb put two kept-apart records together? */
static int kept_apart(rs *r, const decision *d, size_t n, int ra, int rb)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i].join)
            continue;
        int x = find(r->parent, d[i].a), y = find(r->parent, d[i].b);
        if ((x == ra && y == rb) || (x == rb && y == ra))
            return 1;
    }
    return 0;
}

/* A group of records that agree on card, name and address: its records'
 * indexes, ascending. */
typedef struct card_group {
    const int *rec;
    size_t n;
} card_group;

/* Groups in the order of their records (the first record, then the next):
 * an order every store of the same referrals agrees on. */
static int cmp_card_group(const void *x, const void *y)
{
    const card_group *a = x, *b = y;
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (a->rec[i] != b->rec[i])
            return a->rec[i] < b->rec[i] ? -1 : 1;
    return a->n < b->n ? -1 : a->n > b->n;
}

/* The groups of the card query's rows (grouped by key, records ascending
 * in each), in the order of cmp_card_group; *rec holds their records. */
static ward_status card_groups(rs *r, wsql_stmt *st, int **rec, card_group **out,
                               size_t *ngroups, ward_error *err)
{
    struct { int rec, first; } *row = NULL;
    size_t n = 0, cap = 0, ng = 0;
    char key[512] = "";
    ward_status rc = WARD_OK;
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        int i = rec_index(r, wsql_column_int64(st, 0));
        char k[512];
        snprintf(k, sizeof k, "%s|%s|%s", wi_col(st, 1), wi_col(st, 2), wi_col(st, 3));
        if (i < 0)
            continue;
        if (n == cap) {
            void *v = realloc(row, (cap = cap ? cap * 2 : 64) * sizeof *row);
            if (!v) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            row = v;
        }
        row[n].rec = i;
        row[n].first = !n || strcmp(k, key) != 0;
        ng += (size_t)row[n++].first;
        memcpy(key, k, sizeof key);
    }
    *rec = rc || !n ? NULL : malloc(n * sizeof **rec);
    card_group *g = *rec ? malloc(ng * sizeof *g) : NULL;
    if (!rc && n && !g)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    for (size_t j = 0, k = 0; g && j < n; j++) {
        (*rec)[j] = row[j].rec;
        if (row[j].first)
            g[k++] = (card_group){*rec + j, 0};
        g[k - 1].n++;
    }
    if (g)
        wi_sort(g, ng, sizeof *g, cmp_card_group);
    free(row);
    *out = g;
    *ngroups = g ? ng : 0;
    return rc;
}

/* Card + name + billing address are one person (issue 17): records that
 * agree on all three are linked, unless a person kept them apart. A card
 * alone, or with a name, links no one: stolen cards were used under many
 * names (card.c raises those). Address is free text: compared case-blind.
 *
 * With a keep-apart decision the group joined first can win (A+B, then
 * C+D refused, or the other way), so the groups are taken in the order of
 * their records, not of the card's keyed hash: that key is drawn at random
 * for each store, and the same referrals and decisions made different
 * subjects in two stores (and in a store and its replay). */
static ward_status card_links(rs *r, const decision *d, size_t nd, ward_error *err)
{
    wsql_stmt *st;
    int any;
    ward_status rc = wi_has_cards(r->in, &any, err);
    if (rc || !any)
        return rc;
    rc = wi_prepare(
        r->in,
        "SELECT c.record, c.norm, n.norm, lower(a.norm) FROM vals c JOIN vals n"
        " ON n.record = c.record AND n.field = 'name' AND n.status || '' IN ('ok','resolved')"
        " JOIN vals a ON a.record = c.record AND a.field = 'address'"
        "  AND a.status || '' IN ('ok','resolved')"
        " WHERE c.field = 'card' AND c.status || '' = 'ok' ORDER BY 2, 3, 4, 1", &st, err);
    if (rc)
        return rc;
    int *rec;
    card_group *g;
    size_t ng;
    rc = card_groups(r, st, &rec, &g, &ng, err);
    wsql_finalize(st);
    for (size_t k = 0; k < ng; k++)
        for (size_t j = 1; j < g[k].n; j++) {
            int x = find(r->parent, g[k].rec[j - 1]), y = find(r->parent, g[k].rec[j]);
            if (x != y && !(nd && kept_apart(r, d, nd, x, y)))
                r->parent[x > y ? x : y] = x < y ? x : y;
        }
    free(g);
    free(rec);
    return rc;
}

static ward_status link(rs *r, ward_error *err)
{
    wi_sort(r->pairs, r->n_pairs, sizeof *r->pairs, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < r->n_pairs; i++)
        if (!u || r->pairs[i] != r->pairs[u - 1])
            r->pairs[u++] = r->pairs[i];
    r->n_pairs = u;
    scored *s = malloc(sizeof *s * (u + 1));
    r->parent = malloc(sizeof *r->parent * (size_t)(r->n + 1));
    if (!s || !r->parent) {
        free(s);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    size_t ns = 0;
    for (size_t i = 0; i < u; i++) {
        int a = (int)(r->pairs[i] >> 32), b = (int)(uint32_t)r->pairs[i];
        double w = pair_weight(r, a, b);
        if (w >= r->in->resolve.threshold)
            s[ns++] = (scored){w, a, b};
    }
    wi_sort(s, ns, sizeof *s, cmp_scored);
    for (int i = 0; i < r->n; i++)
        r->parent[i] = i;
    decision *d;
    size_t nd;
    ward_status rc = load_decisions(r, &d, &nd, err);
    for (size_t i = 0; !rc && i < nd; i++)
        if (d[i].join) {
            int x = find(r->parent, d[i].a), y = find(r->parent, d[i].b);
            if (x != y && !kept_apart(r, d, nd, x, y))
                r->parent[x > y ? x : y] = x < y ? x : y;
        }
    if (!rc)
        rc = card_links(r, d, nd, err);
    /* Strongest links first, so a keep-apart decision blocks the weakest. */
    for (size_t i = 0; !rc && i < ns; i++) {
        int x = find(r->parent, s[i].a), y = find(r->parent, s[i].b);
        if (x != y && !(nd && kept_apart(r, d, nd, x, y)))
            r->parent[x > y ? x : y] = x < y ? x : y;
    }
    free(d);
    free(s);
    return rc;
}

/* ---- stable subject ids ---------------------------------------------- */

typedef struct claim {
    int root;
    int64_t old;   /* old subject */
    int count;
} claim;

static int cmp_claim_root(const void *x, const void *y)
{
    const claim *p = x, *q = y;
    if (p->root != q->root)
        return p->root - q->root;
    return p->old < q->old ? -1 : p->old > q->old;
}

static int cmp_claim_best(const void *x, const void *y)
{
    const claim *p = x, *q = y;
    if (p->count != q->count)
        return q->count - p->count;
    if (p->old != q->old)
        return p->old < q->old ? -1 : 1;
    return p->root - q->root;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static ward_status history(ward_intel *in, const char *at, const char *who, const char *action,
                           int64_t subject, int64_t other, const char *detail, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "INSERT INTO subject_history(at, action, subject, other,"
                                    " detail, by) VALUES(?,?,?,?,?,?)", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, action, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 3, subject);
    if (other)
        wsql_bind_int64(st, 4, other);
    wsql_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, who, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "subject history");
    wsql_finalize(st);
    return rc;
}

typedef struct assign_ctx {
    rs *r;
    int64_t *old;        /* rec index -> old subject, 0 none */
    int64_t *subject;    /* root -> new subject id, 0 unassigned */
    const char *at, *who;
    ward_intel_resolve_summary *sum;
    int64_t next_subject;   /* 0 until the first new subject */
} assign_ctx;

static ward_status load_old(assign_ctx *c, ward_error *err)
{
    rs *r = c->r;
    wsql_stmt *st;
    ward_status rc = wi_prepare(r->in, "SELECT record, subject FROM subject_records", &st, err);
    if (rc)
        return rc;
    while (wsql_step(st) == SQLITE_ROW) {
        int i = rec_index(r, wsql_column_int64(st, 0));
        if (i >= 0)
            c->old[i] = wsql_column_int64(st, 1);
    }
    wsql_finalize(st);
    return WARD_OK;
}

static ward_status new_subject(assign_ctx *c, int64_t *id, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (!c->next_subject)
        rc = wi_next_id(c->r->in, "subjects", &c->next_subject, err);
    if (!rc)
        rc = wi_cached(c->r->in, "INSERT INTO subjects(id, created) VALUES(?, ?)", &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, c->next_subject);
    wsql_bind_text(st, 2, c->at, -1, SQLITE_STATIC);
    if (wsql_step(st) == SQLITE_DONE)
        *id = c->next_subject++;
    else
        rc = wi_sqlfail(c->r->in, err, "new subject");
    wsql_reset(st);
    c->sum->created++;
    return rc;
}

/* Give each new cluster an id: the old subject most of it had (each old
 * subject to one cluster only), else a new one; then record what merged
 * and what split. */
static ward_status assign_ids(assign_ctx *c, ward_error *err)
{
    rs *r = c->r;
    claim *cl = malloc(sizeof *cl * (size_t)(r->n + 1));
    int64_t *olds = malloc(sizeof *olds * (size_t)(r->n + 1));
    if (!cl || !olds) {
        free(cl), free(olds);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    size_t n = 0, no = 0;
    for (int i = 0; i < r->n; i++)
        if (c->old[i]) {
            cl[n++] = (claim){find(r->parent, i), c->old[i], 1};
            olds[no++] = c->old[i];
        }
    wi_sort(cl, n, sizeof *cl, cmp_claim_root);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m && cl[m - 1].root == cl[i].root && cl[m - 1].old == cl[i].old)
            cl[m - 1].count++;
        else
            cl[m++] = cl[i];
    wi_sort(olds, no, sizeof *olds, cmp_i64);
    size_t nu = 0;
    for (size_t i = 0; i < no; i++)
        if (!nu || olds[i] != olds[nu - 1])
            olds[nu++] = olds[i];
    /* olds[] now lists old subjects; taken[k] says whether olds[k] is kept */
    char *taken = calloc(nu + 1, 1);
    wi_sort(cl, m, sizeof *cl, cmp_claim_best);
    ward_status rc = taken ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
    for (size_t i = 0; i < m && !rc; i++) {
        int64_t *k = bsearch(&cl[i].old, olds, nu, sizeof *olds, cmp_i64);
        if (c->subject[cl[i].root] || taken[k - olds])
            continue;
        c->subject[cl[i].root] = cl[i].old;
        taken[k - olds] = 1;
    }
    for (int i = 0; i < r->n && !rc; i++)
        if (find(r->parent, i) == i && !c->subject[i])
            rc = new_subject(c, &c->subject[i], err);
    /* What happened to each old subject's records? */
    for (size_t i = 0; i < m && !rc; i++) {
        int64_t now_id = c->subject[cl[i].root], old = cl[i].old;
        if (now_id == old)
            continue;
        int64_t *k = bsearch(&old, olds, nu, sizeof *olds, cmp_i64);
        char detail[160];
        if (!taken[k - olds]) {
            snprintf(detail, sizeof detail, "S%06lld merged into S%06lld (%d records)",
                     (long long)old, (long long)now_id, cl[i].count);
            rc = history(r->in, c->at, c->who, "merge", now_id, old, detail, err);
            c->sum->merged++;
        } else {
            snprintf(detail, sizeof detail, "%d records split from S%06lld to S%06lld",
                     cl[i].count, (long long)old, (long long)now_id);
            rc = history(r->in, c->at, c->who, "split", now_id, old, detail, err);
            c->sum->split++;
        }
    }
    /* Old subjects that kept nothing are retired (never reused). */
    for (size_t k = 0; k < nu && !rc; k++)
        if (!taken[k]) {
            char sql[96];
            snprintf(sql, sizeof sql, "UPDATE subjects SET active = 0 WHERE id = %lld",
                     (long long)olds[k]);
            rc = wi_exec(r->in, sql, err);
        }
    free(taken), free(cl), free(olds);
    return rc;
}

static ward_status write_membership(assign_ctx *c, ward_error *err)
{
    rs *r = c->r;
    wsql_stmt *st;
    ward_status rc = wi_prepare(r->in, "INSERT INTO subject_records(record, subject) VALUES(?,?)"
                                       " ON CONFLICT(record) DO UPDATE"
                                       " SET subject = excluded.subject", &st, err);
    for (int i = 0; i < r->n && !rc; i++) {
        int64_t s = c->subject[find(r->parent, i)];
        if (s == c->old[i])
            continue;
        wsql_bind_int64(st, 1, r->rec_id[i]);
        wsql_bind_int64(st, 2, s);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(r->in, err, "subject records");
        wsql_reset(st);
    }
    wsql_finalize(st);
    if (!rc)
        rc = wi_exec(r->in, "UPDATE subjects SET active = 1 WHERE id IN"
                            " (SELECT DISTINCT subject FROM subject_records)", err);
    return rc;
}

/* ---- attribution grade ------------------------------------------------ */

typedef struct evidence {
    int name, dob, postcode, direct, ip, shared, sources;
    int64_t last_batch;
} evidence;

static void grade(const evidence *e, int doubtful, int cgnat, char *g, char *why, size_t cap)
{
    strbuf b = {0};
    if (e->name)
        strbuf_addf(&b, "name; ");
    if (e->dob)
        strbuf_addf(&b, "date of birth; ");
    if (e->postcode)
        strbuf_addf(&b, "postcode; ");
    if (e->direct)
        strbuf_addf(&b, "%d direct identifier%s (email/phone/screen name); ", e->direct,
                         e->direct > 1 ? "s" : "");
    if (e->ip == 1)
        strbuf_addf(&b, "single IP event; ");
    else if (e->ip > 1)
        strbuf_addf(&b, "%d IP events; ", e->ip);
    if (e->shared)
        strbuf_addf(&b, "%d shared identifier%s not used; ", e->shared,
                         e->shared > 1 ? "s" : "");
    if (cgnat)
        strbuf_addf(&b, "CGNAT range, no port; ");
    if (doubtful)
        strbuf_addf(&b, "%d quarantined/unusable value%s not used; ", doubtful,
                         doubtful > 1 ? "s" : "");
    if (e->sources > 1)
        strbuf_addf(&b, "%d independent sources; ", e->sources);
    if (e->name && e->dob && e->direct && e->sources > 1)
        *g = 'A';
    else if (e->name && (e->dob || e->postcode) && (e->direct || e->ip))
        *g = 'B';
    else if (e->direct || (e->name && e->dob) || e->ip > 1)
        *g = 'C';
    else if (e->ip || e->name)
        *g = 'D';
    else
        *g = 'E';
    if (*g == 'E')
        strbuf_addf(&b, "nothing usable identifies this subject; ");
    snprintf(why, cap, "%.*s", b.len > 2 ? (int)b.len - 2 : 0, b.s ? b.s : "");
    strbuf_free(&b);
}

static ward_status write_grades(assign_ctx *c, ward_error *err)
{
    rs *r = c->r;
    evidence *ev = calloc((size_t)r->n + 1, sizeof *ev);
    if (!ev)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    /* seen[vid]: the last subject root that counted this value, so a value
     * repeated across a subject's records counts once. */
    int *seen = malloc(sizeof *seen * ((size_t)r->n_vid + 1));
    if (!seen) {
        free(ev);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    for (int v = 0; v < r->n_vid; v++)
        seen[v] = -1;
    for (int i = 0; i < r->n; i++) {
        int root = find(r->parent, i);
        evidence *e = &ev[root];
        if (e->last_batch != r->batch[i])
            e->sources++, e->last_batch = r->batch[i];   /* approximate: batches interleave */
        for (size_t k = r->first[i]; k < r->first[i + 1]; k++) {
            const ident *x = &r->id[k];
            if (seen[x->vid] == root)
                continue;
            seen[x->vid] = root;
            if (r->shared[x->vid]) {
                e->shared++;
                continue;
            }
            e->name |= x->field == WI_F_NAME, e->dob |= x->field == WI_F_DOB;
            e->postcode |= x->field == WI_F_POSTCODE;
            e->direct += x->field == WI_F_EMAIL || x->field == WI_F_PHONE ||
                         x->field == WI_F_SCREEN;
            e->ip += x->field == WI_F_IP;
        }
    }
    free(seen);
    /* Doubtful values per subject, from the database. */
    wsql_stmt *q, *st;
    ward_status rc = wi_prepare(
        r->in,
        "SELECT sr.subject, count(*), sum(v.reason LIKE 'CGNAT%') FROM vals v"
        " JOIN subject_records sr ON sr.record = v.record"
        " WHERE v.status IN ('quarantined','unusable') GROUP BY sr.subject", &q, err);
    if (rc) {
        free(ev);
        return rc;
    }
    if ((rc = wi_prepare(r->in, "UPDATE subjects SET grade = ?, grade_reasons = ? WHERE id = ?",
                         &st, err))) {
        wsql_finalize(q);
        free(ev);
        return rc;
    }
    /* subject id -> root */
    int64_t maxid = 0;
    for (int i = 0; i < r->n; i++)
        if (c->subject[i] > maxid)
            maxid = c->subject[i];
    int *doubt = calloc((size_t)maxid + 2, sizeof *doubt), *cg = calloc((size_t)maxid + 2, sizeof *cg);
    while (doubt && cg && wsql_step(q) == SQLITE_ROW) {
        int64_t s = wsql_column_int64(q, 0);
        if (s > 0 && s <= maxid)
            doubt[s] = wsql_column_int(q, 1), cg[s] = wsql_column_int(q, 2);
    }
    wsql_finalize(q);
    if (!doubt || !cg)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    for (int i = 0; i < r->n && !rc; i++) {
        if (find(r->parent, i) != i)
            continue;
        int64_t s = c->subject[i];
        char g, why[512];
        grade(&ev[i], doubt[s], cg[s], &g, why, sizeof why);
        char gs[2] = {g, 0};
        wsql_bind_text(st, 1, gs, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 2, why, -1, SQLITE_TRANSIENT);
        wsql_bind_int64(st, 3, s);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(r->in, err, "grade");
        wsql_reset(st);
    }
    wsql_finalize(st);
    free(doubt), free(cg), free(ev);
    return rc;
}

static void rs_free(rs *r)
{
    for (size_t i = 0; i < r->n_id; i++)
        free((char *)r->id[i].val);
    free(r->id), free(r->rec_id), free(r->batch), free(r->freq), free(r->first);
    free(r->names), free(r->shared), free(r->rec_name);
    free(r->parent), free(r->pairs);
}

static ward_status index_by_record(rs *r, ward_error *err)
{
    wi_sort(r->id, r->n_id, sizeof *r->id, cmp_rec);
    r->first = calloc((size_t)r->n + 2, sizeof *r->first);
    if (!r->first)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    size_t k = 0;
    for (int i = 0; i <= r->n; i++) {
        while (k < r->n_id && r->id[k].rec < i)
            k++;
        r->first[i] = k;
    }
    return WARD_OK;
}

ward_status ward_intel_resolve(ward_intel *in, time_t now, const char *who,
                               ward_intel_resolve_summary *sum, ward_error *err)
{
    ward_intel_resolve_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    rs r = {.in = in};
    char at[32];
    wi_time_str(now, at);
    ward_status rc = wi_begin(in, err);
    if (rc)
        return rc;
    rc = load_records(&r, err);
    if (!rc)
        rc = load_idents(&r, err);
    if (!rc)
        rc = block(&r, err);
    if (!rc)
        rc = index_by_record(&r, err);
    if (!rc)
        rc = block_name_dob(&r, err);
    if (!rc)
        rc = link(&r, err);
    assign_ctx c = {.r = &r, .at = at, .who = who, .sum = sum};
    c.old = calloc((size_t)r.n + 1, sizeof *c.old);
    c.subject = calloc((size_t)r.n + 1, sizeof *c.subject);
    if (!rc && (!c.old || !c.subject))
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (!rc)
        rc = load_old(&c, err);
    if (!rc)
        rc = assign_ids(&c, err);
    if (!rc)
        rc = write_membership(&c, err);
    if (!rc)
        rc = write_grades(&c, err);
    uint64_t cards = 0;   /* possibly stolen or shared cards (card.c) */
    if (!rc)
        rc = wi_cards_shared(in, at, &cards, err);
    if (!rc) {
        sum->records = (uint64_t)r.n;
        for (int i = 0; i < r.n; i++)
            sum->subjects += find(r.parent, i) == i;
        sum->links_refused_by_cap = r.capped;
        wi_audit(in, now, who, "resolve", NULL, NULL);
        rc = wi_commit(in, err);
    }
    if (rc)
        wi_rollback(in);
    else
        wi_analyze(in, "subjects, subject_records, subject_history");
    free(c.old), free(c.subject);
    rs_free(&r);
    return rc;
}

/* ---- analyst decisions ------------------------------------------------ */

static ward_status record_decision(ward_intel *in, int64_t a, int64_t b, const char *kind,
                                   const char *who, const char *reason, time_t now,
                                   ward_error *err)
{
    int64_t n;
    char q[96];
    snprintf(q, sizeof q, "SELECT count(*) FROM records WHERE id IN (%lld, %lld)", (long long)a,
             (long long)b);
    ward_status rc = wi_query_int(in, q, NULL, 0, &n, err);
    if (rc)
        return rc;
    if (n != 2)
        return err_fail(err, WARD_ENOTFOUND, "no record %lld or %lld", (long long)a,
                         (long long)b);
    wsql_stmt *st;
    char at[32];
    wi_time_str(now, at);
    if ((rc = wi_prepare(in, "INSERT INTO link_decisions(rec_a, rec_b, kind, by, at, reason)"
                             " VALUES(?,?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, a);
    wsql_bind_int64(st, 2, b);
    wsql_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, reason, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "link decision");
    wsql_finalize(st);
    return rc;
}

static ward_status decide(ward_intel *in, int64_t a, int64_t b, const char *kind,
                          const char *who, const char *reason, time_t now, ward_error *err)
{
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "a reason is required");
    if (a == b)
        return err_fail(err, WARD_EINVAL, "two different records are needed");
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = record_decision(in, a, b, kind, who, reason, now, err);
    return wi_end(in, rc, err);
}

ward_status ward_intel_keep_apart(ward_intel *in, int64_t a, int64_t b, const char *who,
                                  const char *reason, time_t now, ward_error *err)
{
    return decide(in, a, b, "apart", who, reason, now, err);
}

ward_status ward_intel_join(ward_intel *in, int64_t a, int64_t b, const char *who,
                            const char *reason, time_t now, ward_error *err)
{
    return decide(in, a, b, "join", who, reason, now, err);
}

/* ---- evaluation against ground truth ----------------------------------- */

/* The truth file's columns: named in its header line when id_col or
 * person_col is given, else the generator's two headerless columns. A
 * line that does not fit is refused, naming it: a truth file read the
 * wrong way would report a precision that means nothing. */
static ward_status truth_load(ward_intel *in, FILE *f, const char *path, const char *id_col,
                              const char *person_col, int64_t *rows, ward_error *err)
{
    wsql_stmt *st = NULL;
    ward_status rc = wi_prepare(in, "INSERT INTO truth VALUES(?,?)"
                                    " ON CONFLICT(ref) DO UPDATE SET entity = excluded.entity",
                                &st, err);
    char *line = NULL;
    size_t cap = 0;
    int named = id_col || person_col, ci = 0, cp = 1, width = 2, lineno = 0;
    while (!rc && getline(&line, &cap, f) > 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *fl[64];
        int n = wi_csv_fields(line, fl, 64);
        if (named && lineno == 1) {
            ci = cp = -1, width = n;
            for (int i = 0; i < n; i++) {
                if (!strcasecmp(wi_trim(fl[i]), id_col ? id_col : "ref"))
                    ci = i;
                if (!strcasecmp(wi_trim(fl[i]), person_col ? person_col : "entity"))
                    cp = i;
            }
            if (ci < 0 || cp < 0)
                rc = err_fail(err, WARD_EFORMAT, "%s:1: no column '%s' in the header", path,
                               ci < 0 ? (id_col ? id_col : "ref")
                                      : (person_col ? person_col : "entity"));
            continue;
        }
        if (n == 1 && !*wi_trim(fl[0]))
            continue;   /* a blank line */
        if (n != width) {
            rc = err_fail(err, WARD_EFORMAT, "%s:%d: %d columns where %d were expected%s", path,
                           lineno, n, width, named ? "" : " (ref,entity; name the columns of"
                           " a wider file with --id-column and --person-column)");
            break;
        }
        wsql_bind_text(st, 1, wi_trim(fl[ci]), -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 2, wi_trim(fl[cp]), -1, SQLITE_TRANSIENT);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "truth");
        wsql_reset(st);
        (*rows)++;
    }
    free(line);
    wsql_finalize(st);
    return rc;
}

ward_status ward_intel_evaluate(ward_intel *in, const char *truth_path, double *precision,
                                double *recall, ward_error *err)
{
    return ward_intel_evaluate_columns(in, truth_path, NULL, NULL, precision, recall, err);
}

ward_status ward_intel_evaluate_columns(ward_intel *in, const char *truth_path,
                                        const char *id_col, const char *person_col,
                                        double *precision, double *recall, ward_error *err)
{
    FILE *f = fopen(truth_path, "r");
    if (!f)
        return err_fail(err, WARD_EIO, "cannot read %s", truth_path);
    ward_status rc = wi_exec(in, "CREATE TEMP TABLE IF NOT EXISTS truth(ref TEXT PRIMARY KEY,"
                                 " entity TEXT); DELETE FROM truth; BEGIN", err);
    int64_t rows = 0, matched = 0;
    if (!rc) {
        rc = truth_load(in, f, truth_path, id_col, person_col, &rows, err);
        ward_status c = wi_exec(in, rc ? "ROLLBACK" : "COMMIT", err);
        rc = rc ? rc : c;
    }
    fclose(f);
    if (!rc)
        rc = wi_query_int(in, "SELECT count(*) FROM records r JOIN truth t ON t.ref = r.ref"
                              " JOIN subject_records s ON s.record = r.id", NULL, 0, &matched,
                          err);
    if (!rc && !matched)
        rc = err_fail(err, WARD_EFORMAT, "%s: none of its %lld refs names a resolved record"
                       " (wrong column? run 'ward intel update'?)", truth_path,
                       (long long)rows);
    int64_t tp = 0, pred = 0, truth = 0;
    static const char j[] = " FROM records r JOIN truth t ON t.ref = r.ref"
                            " JOIN subject_records s ON s.record = r.id";
    char q[512];
    snprintf(q, sizeof q, "SELECT coalesce(sum(n*(n-1)/2),0) FROM (SELECT count(*) n%s"
                          " GROUP BY s.subject, t.entity) AS g", j);
    if (!rc)
        rc = wi_query_int(in, q, NULL, 0, &tp, err);
    snprintf(q, sizeof q, "SELECT coalesce(sum(n*(n-1)/2),0) FROM (SELECT count(*) n%s"
                          " GROUP BY s.subject) AS g", j);
    if (!rc)
        rc = wi_query_int(in, q, NULL, 0, &pred, err);
    snprintf(q, sizeof q, "SELECT coalesce(sum(n*(n-1)/2),0) FROM (SELECT count(*) n%s"
                          " GROUP BY t.entity) AS g", j);
    if (!rc)
        rc = wi_query_int(in, q, NULL, 0, &truth, err);
    *precision = pred ? (double)tp / (double)pred : 1.0;
    *recall = truth ? (double)tp / (double)truth : 1.0;
    return rc;
}
