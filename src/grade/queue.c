/*
 * The grading queue: a scan's new images and videos, grouped so that each
 * picture is graded once, and ordered so that the likely relevant come first.
 *
 * Grouping is union-find over three relations: the same SHA-256; for
 * images, PDQ within opts.radius of any of the other item's 8 dihedral
 * hashes, found by multi-index hashing (search_pairs), where all pairs of
 * 100,000 items would be 4e10 comparisons; for videos, vPDQ matching both
 * ways (group_videos).
 */
#include "grade/grade_int.h"
#include "scan/jsonl.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ward/index.h> /* WARD_INDEX_PDQ_RADIUS */
#include <ward/matcher.h>
#include <ward/store.h>

void ward_grade_opts_default(ward_grade_opts *o)
{
    memset(o, 0, sizeof *o);
    o->radius = WARD_GRADE_GROUP_RADIUS;
    o->near_lo = WARD_INDEX_PDQ_RADIUS + 1;
    o->near_hi = 60;
}

/* ---- reading files.jsonl ------------------------------------------------ */

typedef struct load_ctx {
    ward_grade_queue *q;
    size_t cap;
    long line;
    int bad;                 /* a record the queue needs but cannot read */
    ward_error *err;
    /* Folders and containers that hold known or near material. */
    grade_strset beside;
} load_ctx;

static void copy_hex(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src && strlen(src) == cap - 1 ? src : "");
}

/* The folder (or container) a path lies in: up to the last '/' or "!/". */
static size_t folder_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) : 0;
}

/* A video's frames as the scan wrote them ("vpdq":[{"frame","timestamp",
 * "pdq","quality"}...], docs/scan.md). A frame that does not parse is a
 * damaged record: named by line, as a record without seq is. */
static int take_frames(load_ctx *c, yajl_val v, ward_grade_item *it)
{
    long bad = grade_frames(jv_get(v, "vpdq"), &it->vpdq);
    if (bad > 0)
        err_fail(c->err, WARD_EFORMAT, "files.jsonl line %ld: vpdq[%ld] has no valid pdq "
                  "or quality", c->line, bad - 1);
    else if (bad < 0)
        err_fail(c->err, WARD_ENOMEM, "out of memory");
    return bad ? (c->bad = 1) : 0;
}

static int take_item(load_ctx *c, yajl_val v, int video)
{
    ward_grade_queue *q = c->q;
    const char *path = jv_str(v, "path");
    long long seq = jv_int(v, "seq", -1);
    if (!path || seq < 0) {
        err_fail(c->err, WARD_EFORMAT, "files.jsonl line %ld: a new %s without seq or path",
                  c->line, video ? "video" : "image");
        c->bad = 1;
        return 1;
    }
    if (q->nitems == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        ward_grade_item *p = realloc(q->items, cap * sizeof *p);
        if (!p) return c->bad = 1, err_fail(c->err, WARD_ENOMEM, "out of memory"), 1;
        q->items = p;
        c->cap = cap;
    }
    ward_grade_item *it = &q->items[q->nitems];
    memset(it, 0, sizeof *it);
    it->seq = (uint64_t)seq;
    it->path = strdup(path);
    if (!it->path) return c->bad = 1, err_fail(c->err, WARD_ENOMEM, "out of memory"), 1;
    q->nitems++;
    copy_hex(it->md5, sizeof it->md5, jv_str(v, "md5"));
    copy_hex(it->sha1, sizeof it->sha1, jv_str(v, "sha1"));
    copy_hex(it->sha256, sizeof it->sha256, jv_str(v, "sha256"));
    const char *media = jv_str(v, "media");
    snprintf(it->media, sizeof it->media, "%s", media ? media : "");
    long long size = jv_int(v, "size", 0);
    it->size = size > 0 ? (uint64_t)size : 0;
    it->video = video;
    long long inode = jv_int(v, "inode", -1);
    if (inode >= 0) it->has_inode = 1, it->inode = (uint64_t)inode;
    const char *pdq = jv_str(v, "pdq");
    if (pdq && ward_pdq_from_hex(pdq, &it->pdq[0]) == WARD_OK) {
        it->npdq = 1;
        it->pdq_quality = (int)jv_int(v, "pdq_quality", 0);
        yajl_val dih = jv_get(v, "pdq_dihedral");
        if (dih && YAJL_IS_ARRAY(dih) && dih->u.array.len == WARD_DIH_COUNT - 1) {
            int ok = 1;
            for (size_t i = 0; i < dih->u.array.len && ok; i++) {
                const char *h = YAJL_GET_STRING(dih->u.array.values[i]);
                ok = h && ward_pdq_from_hex(h, &it->pdq[i + 1]) == WARD_OK;
            }
            if (ok) it->npdq = WARD_DIH_COUNT;
        }
    }
    if (video && take_frames(c, v, it) != 0) return 1;
    return 0;
}

static int each_record(void *ctx, yajl_val v)
{
    load_ctx *c = ctx;
    c->line++;
    const char *cls = jv_str(v, "class");
    if (!cls) return 0;
    if (!strcmp(cls, "new-image")) return take_item(c, v, 0);
    if (!strcmp(cls, "new-video")) return take_item(c, v, 1);
    if (!strcmp(cls, "known") || !strcmp(cls, "near")) {
        const char *path = jv_str(v, "path");
        if (path && grade_strset_add(&c->beside, path, folder_len(path)) < 0)
            return c->bad = 1, err_fail(c->err, WARD_ENOMEM, "out of memory"), 1;
    }
    return 0;
}

/* ---- grouping ------------------------------------------------------------ */

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    /* The root is the item that comes first, so a group's id (its first
     * seq) does not depend on the order of unions. */
    if (a < b) parent[b] = a;
    else if (b < a) parent[a] = b;
}

static const ward_grade_item *sort_items;
static int by_sha256(const void *a, const void *b)
{
    return strcmp(sort_items[*(const size_t *)a].sha256, sort_items[*(const size_t *)b].sha256);
}

static void group_exact(ward_grade_queue *q, size_t *parent, size_t *tmp)
{
    size_t n = 0;
    for (size_t i = 0; i < q->nitems; i++)
        if (q->items[i].sha256[0]) tmp[n++] = i;
    sort_items = q->items;
    qsort(tmp, n, sizeof *tmp, by_sha256);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(q->items[tmp[i]].sha256, q->items[tmp[i - 1]].sha256))
            uf_union(parent, tmp[i], tmp[i - 1]);
}

#define NCHUNK 16

/* The hashes searched: images' original hashes, or videos' frames, each
 * with the item it belongs to. */
typedef struct hashes {
    ward_pdq *h;
    uint32_t *owner;
    size_t n, cap;
} hashes;

static int hashes_add(hashes *s, const ward_pdq *h, size_t owner)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        ward_pdq *p = realloc(s->h, cap * sizeof *p);
        if (p) s->h = p;
        uint32_t *o = realloc(s->owner, cap * sizeof *o);
        if (o) s->owner = o;
        if (!p || !o) return -1;
        s->cap = cap;
    }
    s->h[s->n] = *h;
    s->owner[s->n++] = (uint32_t)owner;
    return 0;
}

static void hashes_free(hashes *s)
{
    free(s->h);
    free(s->owner);
}

/* One chunk's table: owners and their hashes, by chunk value. */
typedef struct mih {
    int c;            /* which chunk */
    uint32_t *start;  /* 65,537 offsets */
    uint32_t *ids;    /* owners */
    ward_pdq *hs;     /* their hashes, alongside: a bucket is read in order */
} mih;

static unsigned chunk_of(const ward_pdq *h, int c) { return (unsigned)h->b[2 * c] << 8 | h->b[2 * c + 1]; }

static void mih_free(mih *m)
{
    free(m->start);
    free(m->ids);
    free(m->hs);
}

static int mih_build(mih *m, const hashes *base, int c)
{
    size_t n = base->n ? base->n : 1;
    m->c = c;
    m->start = calloc(65537, sizeof *m->start);
    m->ids = malloc(n * sizeof *m->ids);
    m->hs = malloc(n * sizeof *m->hs);
    if (!m->start || !m->ids || !m->hs) return -1;
    uint32_t *st = m->start;
    for (size_t i = 0; i < base->n; i++) st[chunk_of(&base->h[i], c) + 1]++;
    for (unsigned v = 0; v < 65536; v++) st[v + 1] += st[v];
    for (size_t i = 0; i < base->n; i++) {
        uint32_t at = st[chunk_of(&base->h[i], c)]++;
        m->ids[at] = base->owner[i];
        m->hs[at] = base->h[i];
    }
    for (unsigned v = 65536; v > 0; v--) st[v] = st[v - 1]; /* undo the fill's shift */
    st[0] = 0;
    return 0;
}

/* Distance, or more than r as soon as it is sure: most candidates are
 * random pictures ~128 bits away, settled after the first half. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt")))
#endif
static int within(const ward_pdq *a, const ward_pdq *b, int r)
{
    uint64_t x[4], y[4];
    memcpy(x, a->b, 32);
    memcpy(y, b->b, 32);
    int d = __builtin_popcountll(x[0] ^ y[0]) + __builtin_popcountll(x[1] ^ y[1]);
    if (d > r) return 0;
    d += __builtin_popcountll(x[2] ^ y[2]) + __builtin_popcountll(x[3] ^ y[3]);
    return d <= r;
}

/* Called for every (query owner, base owner) pair with a hash within the
 * radius; non-zero stops the search (out of memory). */
typedef int (*pair_fn)(void *ctx, size_t a, size_t b);

static int probe(const mih *m, unsigned v, size_t i, const ward_pdq *h, int r, pair_fn fn,
                 void *ctx)
{
    for (uint32_t k = m->start[v]; k < m->start[v + 1]; k++)
        if (within(h, &m->hs[k], r) && fn(ctx, i, m->ids[k])) return -1;
    return 0;
}

/*
 * Every pair of a query hash and a base hash within `radius` bits, by
 * multi-index hashing: 16 chunks of 16 bits, each a counting-sort table of
 * its 65,536 values. Two hashes within r bits agree to within r/16 bits on
 * at least one chunk (pigeonhole), so probing every value that close to
 * each query chunk finds every candidate; each is then checked on all 256
 * bits. The store's index (src/index) is tuned for millions of entries
 * matched at one radius; here the set is the scan's own and is thrown away
 * after. A pair may be reported more than once (once per chunk it agrees on).
 */
static ward_status search_pairs(const hashes *base, const hashes *query, int radius, pair_fn fn,
                                void *ctx, ward_error *err)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (!__builtin_cpu_supports("popcnt"))
        return err_fail(err, WARD_EUNSUPPORTED, "this CPU has no popcnt instruction");
#endif
    int t = radius / NCHUNK; /* bits a chunk may differ by */
    if (t > 2) return err_fail(err, WARD_EINVAL, "grouping radius %d over %d", radius, 3 * NCHUNK - 1);
    if (!base->n || !query->n) return WARD_OK;
    /* Chunk by chunk, so one chunk's table stays in cache while every query
     * probes it (query by query, the 16 tables, 60 MB at 100,000 items,
     * would be fetched from memory at each probe), and only one is held. */
    for (int c = 0; c < NCHUNK; c++) {
        mih m = {0};
        if (mih_build(&m, base, c) < 0) {
            mih_free(&m);
            return err_fail(err, WARD_ENOMEM, "out of memory");
        }
        int stop = 0;
        for (size_t i = 0; i < query->n && !stop; i++) {
            const ward_pdq *h = &query->h[i];
            size_t who = query->owner[i];
            unsigned v = chunk_of(h, c);
            stop = probe(&m, v, who, h, radius, fn, ctx);
            for (int b1 = 0; b1 < 16 && t >= 1 && !stop; b1++) {
                stop = probe(&m, v ^ (1u << b1), who, h, radius, fn, ctx);
                for (int b2 = b1 + 1; b2 < 16 && t >= 2 && !stop; b2++)
                    stop = probe(&m, v ^ (1u << b1) ^ (1u << b2), who, h, radius, fn, ctx);
            }
        }
        mih_free(&m);
        if (stop) return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    return WARD_OK;
}

static int has_pdq(const ward_grade_item *it) { return it->npdq && !it->video; }

static int union_pair(void *ctx, size_t a, size_t b)
{
    uf_union(ctx, a, b);
    return 0;
}

/* Images: each one's 8 dihedral hashes against the others' originals. */
static ward_status group_near(ward_grade_queue *q, int radius, size_t *parent, ward_error *err)
{
    if (radius < 0) return WARD_OK;
    hashes base = {0}, query = {0};
    int oom = 0;
    for (size_t i = 0; i < q->nitems && !oom; i++) {
        const ward_grade_item *it = &q->items[i];
        if (!has_pdq(it)) continue;
        oom = hashes_add(&base, &it->pdq[0], i) < 0;
        for (int d = 0; d < it->npdq && !oom; d++) oom = hashes_add(&query, &it->pdq[d], i) < 0;
    }
    ward_status st = oom ? err_fail(err, WARD_ENOMEM, "out of memory")
                         : search_pairs(&base, &query, radius, union_pair, parent, err);
    hashes_free(&base);
    hashes_free(&query);
    return st;
}

/*
 * Videos by vPDQ. Two videos group when each one's good frames (quality at
 * least WARD_VPDQ_QUALITY) match the other's within WARD_VPDQ_DISTANCE at
 * least WARD_VPDQ_QUERY_PCT per cent both ways: the same video re-encoded,
 * resized or with a few frames changed. One way only (a clip cut from a
 * longer video) does not group: what the longer video shows beyond the
 * clip may grade differently. Only pairs that share at least one frame
 * within the distance (found as images' near duplicates are) are compared.
 */
typedef struct vpairs {
    uint64_t *v;      /* a << 32 | b, a < b */
    size_t n, cap;
} vpairs;

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort and drop repeats (every frame pair of two videos reports them). */
static void vpairs_unique(vpairs *p)
{
    if (!p->n) return;
    qsort(p->v, p->n, sizeof *p->v, by_u64);
    size_t w = 1;
    for (size_t k = 1; k < p->n; k++)
        if (p->v[k] != p->v[w - 1]) p->v[w++] = p->v[k];
    p->n = w;
}

static int add_vpair(void *ctx, size_t a, size_t b)
{
    vpairs *p = ctx;
    if (a == b) return 0;
    uint64_t key = (uint64_t)(a < b ? a : b) << 32 | (a < b ? b : a);
    if (p->n && p->v[p->n - 1] == key) return 0;
    if (p->n == p->cap && p->n >= 65536) vpairs_unique(p); /* before growing */
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        uint64_t *v = realloc(p->v, cap * sizeof *v);
        if (!v) return 1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = key;
    return 0;
}

static ward_status group_videos(ward_grade_queue *q, size_t *parent, ward_error *err)
{
    hashes frames = {0};
    vpairs pairs = {0};
    int oom = 0;
    for (size_t i = 0; i < q->nitems && !oom; i++) {
        const ward_vpdq *v = &q->items[i].vpdq;
        for (size_t f = 0; f < v->count && !oom; f++)
            if (v->frames[f].quality >= WARD_VPDQ_QUALITY)
                oom = hashes_add(&frames, &v->frames[f].hash, i) < 0;
    }
    ward_status st = oom ? err_fail(err, WARD_ENOMEM, "out of memory")
                         : search_pairs(&frames, &frames, WARD_VPDQ_DISTANCE, add_vpair, &pairs, err);
    hashes_free(&frames);
    if (st == WARD_OK) vpairs_unique(&pairs);
    ward_vpdq_match_opts mo;
    ward_vpdq_match_opts_default(&mo);
    mo.distance = WARD_VPDQ_DISTANCE;
    mo.quality = WARD_VPDQ_QUALITY;
    mo.query_pct = mo.compared_pct = WARD_VPDQ_QUERY_PCT; /* both ways */
    for (size_t k = 0; k < pairs.n && st == WARD_OK; k++) {
        size_t a = (size_t)(pairs.v[k] >> 32), b = (size_t)(pairs.v[k] & 0xffffffffu);
        if (uf_find(parent, a) == uf_find(parent, b)) continue;
        ward_vpdq_similarity sim;
        st = ward_vpdq_compare(&q->items[a].vpdq, &q->items[b].vpdq, &mo, &sim, err);
        if (st == WARD_OK && sim.is_match) uf_union(parent, a, b);
    }
    free(pairs.v);
    return st;
}

/* ---- ordering ------------------------------------------------------------ */

/* Is this store entry on an alert list? */
static int entry_is_alert(ward_matcher *m, uint64_t id)
{
    ward_entries *e = NULL;
    if (ward_matcher_entry(m, id, &e, NULL) != WARD_OK || !e) return 0;
    int alert = 0;
    for (size_t i = 0; i < e->count && !alert; i++)
        alert = e->v[i].list_kind == WARD_LIST_ALERT;
    ward_entries_free(e);
    return alert;
}

/* The nearest alert entry in the band to these hashes, if nearer than the
 * group has; `what` says whose hash it is ("PDQ", "video frame at 12.0 s"). */
static void near_band(ward_grade_group *g, ward_matcher *m, const ward_grade_opts *o,
                      const ward_pdq *h, int nh, const char *what)
{
    ward_pdq_match best[16];
    size_t n = 0;
    if (ward_matcher_near(m, h, nh, o->near_hi, best, 16, &n) != WARD_OK) n = 0;
    if (n > 16) n = 16;
    for (size_t j = 0; j < n; j++) {
        if (best[j].distance < o->near_lo) continue;
        if (g->reason == WARD_GRADE_NEAR_ALERT && g->near_distance <= best[j].distance) break;
        if (!entry_is_alert(m, best[j].entry_id)) continue;
        g->reason = WARD_GRADE_NEAR_ALERT;
        g->near_distance = best[j].distance;
        snprintf(g->why, sizeof g->why, "%s %d bits from an alert-list entry (outside the match radius)",
                 what, best[j].distance);
        break;
    }
}

static void reason_near(ward_grade_queue *q, ward_grade_group *g, ward_matcher *m,
                        const ward_grade_opts *o)
{
    for (size_t k = 0; k < g->count; k++) {
        const ward_grade_item *it = &q->items[q->members[g->first + k]];
        if (it->npdq) near_band(g, m, o, it->pdq, it->npdq, "PDQ");
        for (size_t f = 0; f < it->vpdq.count; f++) { /* a video: each good frame */
            const ward_vpdq_frame *fr = &it->vpdq.frames[f];
            if (fr->quality < WARD_VPDQ_QUALITY) continue;
            char what[64];
            snprintf(what, sizeof what, "video frame at %.1f s", fr->timestamp);
            near_band(g, m, o, &fr->hash, 1, what);
        }
    }
}

/* A member already an entry in the store (a verified grade taken in since
 * the scan, or a list imported since): said as a prompt, as a pending grade
 * is, and before it. */
static void prior_in_store(ward_grade_queue *q, ward_grade_group *g, ward_matcher *m)
{
    for (size_t k = 0; k < g->count && !g->prior[0]; k++) {
        const ward_grade_item *it = &q->items[q->members[g->first + k]];
        ward_digests d = {0};
        for (int i = 0; i < 32 && it->sha256[0]; i++) {
            unsigned v;
            if (sscanf(it->sha256 + 2 * i, "%2x", &v) != 1) break;
            d.sha256[i] = (uint8_t)v;
            if (i == 31) d.present = WARD_DIGEST_SHA256;
        }
        uint64_t id;
        size_t n = 0;
        ward_entries *e = NULL;
        if (!d.present || ward_matcher_exact(m, &d, &id, 1, &n) != WARD_OK || !n ||
            ward_matcher_entry(m, id, &e, NULL) != WARD_OK || !e)
            continue;
        if (e->count) {
            const ward_entry *x = &e->v[0];
            snprintf(g->prior, sizeof g->prior, "in list %s as %s %s%s", x->list,
                     x->scheme ? x->scheme : "", x->category ? x->category : "uncategorised",
                     x->tags && strstr(x->tags, "ward-grade-verified") ? ", verified by two graders"
                                                                       : "");
        }
        ward_entries_free(e);
    }
}

static void reason_beside(ward_grade_queue *q, ward_grade_group *g, grade_strset *beside)
{
    for (size_t k = 0; k < g->count; k++) {
        const char *p = q->items[q->members[g->first + k]].path;
        size_t len = folder_len(p);
        if (grade_strset_has(beside, p, len)) {
            g->reason = WARD_GRADE_BESIDE_KNOWN;
            int container = len >= 1 && p[len - 1] == '!';
            snprintf(g->why, sizeof g->why, "in the same %s as known material",
                     container ? "container" : "folder");
            return;
        }
    }
}

static int by_order(const void *a, const void *b)
{
    const ward_grade_group *x = a, *y = b;
    if (x->reason != y->reason) return x->reason < y->reason ? -1 : 1;
    if (x->reason == WARD_GRADE_NEAR_ALERT && x->near_distance != y->near_distance)
        return x->near_distance < y->near_distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static ward_status build_groups(ward_grade_queue *q, size_t *parent, ward_error *err)
{
    size_t n = q->nitems;
    size_t *count = calloc(n ? n : 1, sizeof *count);
    q->members = malloc((n ? n : 1) * sizeof *q->members);
    q->groups = calloc(n ? n : 1, sizeof *q->groups);
    if (!count || !q->members || !q->groups) {
        free(count);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    /* Roots are the smallest index of their group, so groups come out in
     * source order and each group's members are in source order too. */
    size_t *slot = count; /* root -> group index + 1, reused */
    for (size_t i = 0; i < n; i++) {
        size_t r = uf_find(parent, i);
        if (!slot[r]) {
            ward_grade_group *g = &q->groups[q->ngroups];
            g->id = q->items[r].seq;
            g->reason = WARD_GRADE_REST;
            snprintf(g->why, sizeof g->why, "new; nothing known nearby");
            slot[r] = ++q->ngroups;
        }
        q->groups[slot[r] - 1].count++;
    }
    size_t at = 0;
    for (size_t g = 0; g < q->ngroups; g++) {
        q->groups[g].first = at;
        at += q->groups[g].count;
        q->groups[g].count = 0;
    }
    for (size_t i = 0; i < n; i++) {
        ward_grade_group *g = &q->groups[slot[uf_find(parent, i)] - 1];
        q->members[g->first + g->count++] = i;
    }
    free(count);
    return WARD_OK;
}

static ward_status order_groups(ward_grade_queue *q, const ward_grade_opts *o,
                                grade_strset *beside)
{
    ward_matcher *m = NULL;
    /* No store, or no index yet: the band is simply not searched. */
    if (o->datadir && ward_matcher_open(o->datadir, o->store_url, &m, NULL) != WARD_OK)
        m = NULL;
    for (size_t g = 0; g < q->ngroups; g++) {
        if (m) reason_near(q, &q->groups[g], m, o);
        if (m) prior_in_store(q, &q->groups[g], m);
        if (q->groups[g].reason == WARD_GRADE_REST) reason_beside(q, &q->groups[g], beside);
    }
    if (m) ward_matcher_close(m);
    qsort(q->groups, q->ngroups, sizeof *q->groups, by_order);
    for (size_t g = 0; g < q->ngroups; g++)
        for (size_t k = 0; k < q->groups[g].count; k++)
            q->items[q->members[q->groups[g].first + k]].group = g;
    return WARD_OK;
}

/* ---- grades given elsewhere ----------------------------------------------- */

typedef struct prior {
    char sha256[65];
    char category[32], grader[64]; /* "projectvic 2" */
    char what[160];
} prior;

typedef struct prior_set {
    prior *v;
    size_t n, cap;
} prior_set;

/* A grade of the intake as a prompt (NULL out of memory). */
static prior *add_prior(prior_set *ps, const grade_vote *v)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        prior *p = realloc(ps->v, cap * sizeof *p);
        if (!p) return NULL;
        ps->v = p;
        ps->cap = cap;
    }
    prior *p = &ps->v[ps->n++];
    snprintf(p->sha256, sizeof p->sha256, "%s", v->sha256);
    snprintf(p->category, sizeof p->category, "%s %s", v->scheme, v->category);
    snprintf(p->grader, sizeof p->grader, "%s", v->grader);
    snprintf(p->what, sizeof p->what, "%s %s by %s (%s), awaiting a second grader", v->scheme,
             v->category, v->grader, v->unit);
    return p;
}

static int by_prior(const void *a, const void *b)
{
    return strcmp(((const prior *)a)->sha256, ((const prior *)b)->sha256);
}

/* Pre-fill each group with a grade one of its members has in the intake
 * (the store's grade_votes). No store there, or one this build cannot read
 * without migrating it: no prompts, as for a node that never took grades. */
static void fill_priors(ward_grade_queue *q, const char *datadir, const char *store_url)
{
    ward_store *s = NULL;
    grade_votes in = {0};
    prior_set ps = {0};
    if (grade_votes_open(datadir, store_url, 0, &s, NULL) == WARD_OK &&
        grade_votes_load(s, 0, &in, NULL) == WARD_OK)
        for (size_t i = 0; i < in.n && add_prior(&ps, &in.v[i]); i++) continue;
    ward_store_close(s);
    grade_votes_free(&in);
    if (!ps.n) {
        free(ps.v);
        return;
    }
    qsort(ps.v, ps.n, sizeof *ps.v, by_prior);
    /* Graders who differ on a picture: not "awaiting a second grader" but
     * in conflict, for review; every grade of it says so. */
    for (size_t a = 0, b; a < ps.n; a = b) {
        int differ = 0;
        for (b = a + 1; b < ps.n && !strcmp(ps.v[b].sha256, ps.v[a].sha256); b++)
            differ |= strcmp(ps.v[b].category, ps.v[a].category) != 0;
        if (!differ) continue;
        char what[160];
        int at = snprintf(what, sizeof what, "in conflict elsewhere, for review:");
        for (size_t k = a; k < b && at > 0 && (size_t)at < sizeof what; k++)
            at += snprintf(what + at, sizeof what - (size_t)at, " %s by %s;", ps.v[k].category,
                           ps.v[k].grader);
        for (size_t k = a; k < b; k++) snprintf(ps.v[k].what, sizeof ps.v[k].what, "%s", what);
    }
    for (size_t i = 0; i < q->nitems; i++) {
        prior key;
        snprintf(key.sha256, sizeof key.sha256, "%s", q->items[i].sha256);
        const prior *p = key.sha256[0] ? bsearch(&key, ps.v, ps.n, sizeof *ps.v, by_prior) : NULL;
        ward_grade_group *g = &q->groups[q->items[i].group];
        if (p && !g->prior[0]) snprintf(g->prior, sizeof g->prior, "%s", p->what);
    }
    free(ps.v);
}

ward_status ward_grade_queue_load(const char *report_dir, const ward_grade_opts *opts,
                                  ward_grade_queue **out, ward_error *err)
{
    ward_grade_opts dflt;
    if (!opts) ward_grade_opts_default(&dflt), opts = &dflt;
    *out = NULL;
    ward_grade_queue *q = calloc(1, sizeof *q);
    if (!q || !(q->report_dir = strdup(report_dir))) {
        free(q);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    load_ctx c = {.q = q, .err = err};
    char path[4096];
    snprintf(path, sizeof path, "%s/files.jsonl", report_dir);
    long badlines = 0;
    ward_status st = WARD_OK;
    if (jsonl_each(path, 0, each_record, &c, &badlines) < 0)
        st = err_fail_errno(err, errno, "cannot read %s", path);
    else if (c.bad)
        st = err ? err->status : WARD_EFORMAT;
    size_t *parent = NULL, *tmp = NULL;
    if (st == WARD_OK) {
        parent = malloc((q->nitems ? q->nitems : 1) * sizeof *parent);
        tmp = malloc((q->nitems ? q->nitems : 1) * sizeof *tmp);
        if (!parent || !tmp) st = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (st == WARD_OK) {
        for (size_t i = 0; i < q->nitems; i++) parent[i] = i;
        group_exact(q, parent, tmp);
        st = group_near(q, opts->radius, parent, err);
        if (st == WARD_OK) st = group_videos(q, parent, err);
    }
    if (st == WARD_OK) st = build_groups(q, parent, err);
    if (st == WARD_OK) st = order_groups(q, opts, &c.beside);
    if (st == WARD_OK && opts->datadir)
        fill_priors(q, opts->datadir, opts->store_url);
    free(parent);
    free(tmp);
    grade_strset_free(&c.beside);
    if (st != WARD_OK) {
        ward_grade_queue_free(q);
        return st;
    }
    *out = q;
    return WARD_OK;
}

void ward_grade_queue_free(ward_grade_queue *q)
{
    if (!q) return;
    for (size_t i = 0; i < q->nitems; i++) {
        free(q->items[i].path);
        ward_vpdq_free(&q->items[i].vpdq);
    }
    free(q->items);
    free(q->groups);
    free(q->members);
    free(q->report_dir);
    free(q);
}

const ward_grade_group *ward_grade_queue_find(const ward_grade_queue *q, uint64_t id)
{
    for (size_t g = 0; g < q->ngroups; g++)
        if (q->groups[g].id == id) return &q->groups[g];
    return NULL;
}
