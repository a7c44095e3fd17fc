/*
 * Retroactive matching: when the store gains entries (an import, a release
 * pull), the register's earlier sightings that were not known (new or near
 * files of checked scans) are matched again, against the new entries only,
 * and each unit is told of its new hits.
 *
 * The new entries are those above a watermark (victim_meta
 * 'rematched_entry', the highest entry id already rematched; migration 4
 * starts it at the entries of the day). They are built into an in-memory
 * sized ward index (a temporary file, mapped), so that each sighting costs
 * one binary search per digest and one multi-index PDQ query, whatever the
 * size of the change; the sightings are read once, in id order (paged on
 * PostgreSQL).
 */
#include "victim/victim_int.h"
#include "util/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ward/index.h>

void ward_victim_rematch_opts_default(ward_victim_rematch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->radius = WARD_INDEX_PDQ_RADIUS;
    o->since_entry = -1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = n < 1 ? 1 : n > WARD_VICTIM_MAX_THREADS ? WARD_VICTIM_MAX_THREADS : (int)n;
    o->now = time(NULL);
}

static ward_status meta_get(ward_store *s, const char *key, int64_t *v, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_find_row(s, "SELECT value FROM victim_meta WHERE key = ?", key, &st,
                                  "reading victim_meta", err);
    if (rc == WARD_ENOTFOUND) {
        *v = 0;
        return WARD_OK;
    }
    if (rc)
        return rc;
    *v = strtoll(vt_col(st, 0), NULL, 10);
    wsql_finalize(st);
    return WARD_OK;
}

static ward_status meta_set(ward_store *s, const char *key, int64_t v, ward_error *err)
{
    wsql_stmt *st;
    char val[24];
    snprintf(val, sizeof val, "%lld", (long long)v);
    ward_status rc = wst_prepare(s,
                                 "INSERT INTO victim_meta(key, value) VALUES (?, ?)"
                                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                 &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, val, -1, SQLITE_TRANSIENT);
    int r = wsql_step(st);
    rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, "writing victim_meta");
    wsql_finalize(st);
    return rc;
}

/* ---- the new entries as an index ----------------------------------------------- */

typedef struct build {
    ward_index_builder *b;
    int64_t last;
    uint64_t n;
    ward_status rc;
    ward_error *err;
} build;

static int add_entry(void *ctx, wsql_stmt *st)
{
    build *b = ctx;
    ward_digests d = {0};
    ward_pdq pdq;
    const void *x;
    int has_pdq = 0;
    if ((x = wst_blob(st, 1, 16)))
        memcpy(d.md5, x, 16), d.present |= WARD_DIGEST_MD5;
    if ((x = wst_blob(st, 2, 20)))
        memcpy(d.sha1, x, 20), d.present |= WARD_DIGEST_SHA1;
    if ((x = wst_blob(st, 3, 32)))
        memcpy(d.sha256, x, 32), d.present |= WARD_DIGEST_SHA256;
    if ((x = wst_blob(st, 4, 32)))
        memcpy(pdq.b, x, 32), has_pdq = 1;
    b->last = wsql_column_int64(st, 0);
    b->n++;
    b->rc = ward_index_builder_add(b->b, (uint64_t)b->last, &d, has_pdq ? &pdq : NULL, b->err);
    return b->rc != WARD_OK;
}

static ward_status new_entries(ward_store *s, int64_t after, const char *path, build *b,
                               ward_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT e.id, e.md5, e.sha1, e.sha256, e.pdq FROM entries e JOIN lists l"
             " ON l.id = e.list_id WHERE e.id > ?1 AND e.removed_id IS NULL"
             " AND l.kind = 'alert' ORDER BY e.id%s",
             wst_page_limit(s));
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    /* keyset pages start after the watermark: the first bind is `after` */
    wsql_int64 from = after;
    wsql_bind_int64(st, 1, from);
    b->last = after;
    b->err = err;
    rc = WARD_OK;
    for (;;) {
        uint64_t before = b->n;
        int r;
        while ((r = wsql_step(st)) == SQLITE_ROW)
            if (add_entry(b, st))
                break;
        if (b->rc) {
            rc = b->rc;
            break;
        }
        if (r != SQLITE_DONE) {
            rc = wst_sqlfail(s, err, r, "reading new entries");
            break;
        }
        wsql_reset(st);
        if (!wst_pg(s) || b->n - before < WST_PAGE_ROWS)
            break;
        wsql_bind_int64(st, 1, b->last);
    }
    wsql_finalize(st);
    if (rc == WARD_OK && b->n)
        rc = ward_index_builder_write(b->b, path, err);
    return rc;
}

/* ---- the sightings ----------------------------------------------------------- */

typedef struct hit {
    int64_t sighting;
    uint64_t entry;
    int distance;
} hit;

/* PDQ queries wait in a batch and are answered by the worker threads
 * together, each thread its share in one ward_index_query_pdq_each: the
 * index's chunks are then walked in sorted order, streaming through the
 * caches, where one query at a time costs some hundred random reads. The
 * larger the batch, the denser that walk (52 bytes a query: 13 MiB). The
 * digests are one binary search each, answered as the rows are read. */
#define BATCH 262144

/* The most memory the in-memory PDQ copy of a change may take: ~256 bytes
 * an entry, so 1 GiB holds a change of some four million entries. */
#define ACCEL_BYTES ((uint64_t)1 << 30)

typedef struct query {
    int64_t sighting;
    uint32_t off, n;           /* its PDQs in the batch's pool */
} query;

typedef struct walk walk;

typedef struct worker {
    walk *w;
    size_t from, to;           /* queries of the batch */
    hit *v;
    size_t n, cap;
    int nomem;
    pthread_t tid;
} worker;

struct walk {
    const ward_index *ix;
    int radius, threads;
    hit *v;
    size_t n, cap;
    uint64_t seen;
    int nomem;
    query *q;
    size_t nq;
    ward_pdq *pool;
    uint32_t *owner;           /* the query of each PDQ in the pool */
    size_t npool, cap_pool, cap_owner;
    worker wk[WARD_VICTIM_MAX_THREADS];
};

static int parse_hex(wsql_stmt *st, int col, uint8_t *out, size_t n)
{
    const char *t = wst_text(st, col);
    return t && strlen(t) == 2 * n && ward_unhex(t, 2 * n, out, n) == WARD_OK;
}

static int keep_hit(hit **v, size_t *n, size_t *cap, int64_t sighting, uint64_t entry,
                    int distance)
{
    hit *nv = wst_grow(*v, cap, *n, sizeof **v);
    if (!nv)
        return 1;
    *v = nv;
    nv[(*n)++] = (hit){sighting, entry, distance};
    return 0;
}

static void got_pdq(void *ctx, size_t pdq, uint64_t entry, int distance)
{
    worker *k = ctx;
    walk *w = k->w;
    const query *q = &w->q[w->owner[w->q[k->from].off + pdq]];
    k->nomem |= keep_hit(&k->v, &k->n, &k->cap, q->sighting, entry, distance);
}

/* The worker's queries' PDQs (a contiguous run of the pool) in one batch
 * search: every match, the best per sighting kept after the sort. */
static void *work(void *arg)
{
    worker *k = arg;
    walk *w = k->w;
    if (k->from >= k->to)
        return NULL;
    size_t first = w->q[k->from].off, end = w->q[k->to - 1].off + w->q[k->to - 1].n;
    if (ward_index_query_pdq_each(w->ix, w->pool + first, end - first, w->radius, got_pdq, k))
        k->nomem = 1;
    return NULL;
}

/* Answer the batch's queries; their hits join w's in sighting order. */
static void run_batch(walk *w)
{
    int t = w->threads;
    if ((size_t)t > w->nq)
        t = w->nq ? (int)w->nq : 1;
    size_t per = (w->nq + (size_t)t - 1) / (size_t)t;
    for (int i = 0; i < t; i++) {
        worker *k = &w->wk[i];
        k->w = w, k->n = 0;
        k->from = (size_t)i * per;
        k->to = k->from + per < w->nq ? k->from + per : w->nq;
        if (i && pthread_create(&k->tid, NULL, work, k))
            k->tid = 0, work(k);   /* no thread: do it here */
    }
    work(&w->wk[0]);
    for (int i = 0; i < t; i++) {
        worker *k = &w->wk[i];
        if (i && k->tid)
            pthread_join(k->tid, NULL);
        for (size_t j = 0; j < k->n && !w->nomem; j++)
            w->nomem |= keep_hit(&w->v, &w->n, &w->cap, k->v[j].sighting, k->v[j].entry,
                                 k->v[j].distance);
        w->nomem |= k->nomem;
        k->tid = 0;
    }
    w->nq = w->npool = 0;
}

static int match_sighting(void *ctx, wsql_stmt *st)
{
    walk *w = ctx;
    w->seen++;
    int64_t id = wsql_column_int64(st, 0);
    static const unsigned kind[3] = {WARD_DIGEST_SHA256, WARD_DIGEST_SHA1, WARD_DIGEST_MD5};
    static const size_t len[3] = {32, 20, 16};
    uint8_t d[32];
    for (int k = 0; k < 3; k++) {
        uint64_t e;
        size_t n = 0;
        if (parse_hex(st, 1 + k, d, len[k]) &&
            ward_index_lookup_digest(w->ix, kind[k], d, &e, 1, &n) == WARD_OK && n)
            return w->nomem = keep_hit(&w->v, &w->n, &w->cap, id, e, 0);
    }
    const char *pdqs = wst_text(st, 4);
    if (!pdqs || !*pdqs || w->radius < 0)
        return 0;
    if (!w->q && !(w->q = malloc(BATCH * sizeof *w->q)))
        return w->nomem = 1;
    uint32_t off = (uint32_t)w->npool, nq = 0;
    for (const char *p = pdqs; *p && nq < 64;) {
        char hex[65];
        size_t k = strcspn(p, " ");
        ward_pdq *pool = wst_grow(w->pool, &w->cap_pool, w->npool, sizeof *pool);
        if (pool)
            w->pool = pool;
        uint32_t *owner = pool ? wst_grow(w->owner, &w->cap_owner, w->npool, sizeof *owner) : NULL;
        if (!owner)
            return w->nomem = 1;
        w->owner = owner;
        owner[w->npool] = (uint32_t)w->nq;
        if (k == 64) {
            memcpy(hex, p, 64);
            hex[64] = 0;
            if (ward_pdq_from_hex(hex, &pool[w->npool]) == WARD_OK)
                w->npool++, nq++;
        }
        p += k + (p[k] == ' ');
    }
    if (nq)
        w->q[w->nq++] = (query){id, off, nq};
    /* a batch is bounded by its PDQs too (a video brings up to 64) */
    if (w->nq == BATCH || w->npool >= BATCH)
        run_batch(w);
    return w->nomem;
}

/* By sighting, then best first (distance, entry): the first of each
 * sighting is the one told. */
static int by_sighting(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->sighting != y->sighting)
        return x->sighting < y->sighting ? -1 : 1;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return (x->entry > y->entry) - (x->entry < y->entry);
}

/* One hit per sighting (a sighting's frames may match several entries). */
static size_t best_per_sighting(hit *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || v[k - 1].sighting != v[i].sighting)
            v[k++] = v[i];
    return k;
}

static void walk_free(walk *w)
{
    free(w->v), free(w->q), free(w->pool), free(w->owner);
    for (int i = 0; i < WARD_VICTIM_MAX_THREADS; i++)
        free(w->wk[i].v);
}

/* ---- telling the units ------------------------------------------------------------ */

static ward_status tell(ward_store *s, const ward_victim_rematch_opts *o, const hit *h,
                        const char *at, ward_victim_rematch_cb cb, void *ctx, int *stop,
                        ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
                                 "SELECT unit, case_ref, scan, sha256, sha1, md5, class"
                                 " FROM sightings WHERE id = ?",
                                 &st, err);
    if (rc)
        return rc;
    wsql_bind_int64(st, 1, h->sighting);
    int r = wsql_step(st);
    if (r != SQLITE_ROW) {
        rc = r == SQLITE_DONE ? err_fail(err, WARD_EINTERNAL, "sighting vanished")
                              : wst_sqlfail(s, err, r, "reading a sighting");
        wsql_finalize(st);
        return rc;
    }
    char unit[201], case_ref[201], scan[65], key[128], klass[16];
    ward_victim_hash vh = {0};
    vt_copy(unit, sizeof unit, st, 0), vt_copy(case_ref, sizeof case_ref, st, 1);
    vt_copy(scan, sizeof scan, st, 2), vt_copy(vh.sha256, sizeof vh.sha256, st, 3);
    vt_copy(vh.sha1, sizeof vh.sha1, st, 4), vt_copy(vh.md5, sizeof vh.md5, st, 5);
    vt_copy(klass, sizeof klass, st, 6);
    wsql_finalize(st);
    vt_hash_key(&vh, key, sizeof key);
    ward_entries *es = NULL;
    char list[201] = "?", cat[64] = "uncategorised", series[201] = "";
    if ((rc = ward_store_get(s, h->entry, &es, err)))
        return rc;
    if (es->count) {
        snprintf(list, sizeof list, "%s", es->v[0].list);
        if (es->v[0].category)
            snprintf(cat, sizeof cat, "%s", es->v[0].category);
        if (es->v[0].series)
            snprintf(series, sizeof series, "%s", es->v[0].series);
    }
    ward_entries_free(es);
    char msg[1024];
    snprintf(msg, sizeof msg,
             "retroactive match: %s (%s in your case %s, scan %.16s) now matches list '%s' "
             "category %s%s%s%s (%s)",
             key, klass, case_ref, scan, list, cat, *series ? ", series '" : "", series,
             *series ? "'" : "", h->distance ? "PDQ near" : "same digest");
    if (cb && !*stop) {
        ward_victim_retro_hit rh = {unit, case_ref, scan, key, list, cat, h->distance, msg};
        *stop = cb(ctx, &rh);
    }
    (void)o;
    return vt_alert(s, at, unit, "normal", "retro-match", 0, key, msg, "open", err);
}

ward_status ward_victim_rematch(ward_store *s, const ward_victim_rematch_opts *opts,
                                ward_victim_rematch_cb cb, void *ctx,
                                ward_victim_rematch_summary *sum, ward_error *err)
{
    ward_victim_rematch_opts dflt;
    ward_victim_rematch_summary dummy;
    if (!opts)
        ward_victim_rematch_opts_default(&dflt), opts = &dflt;
    if (!sum)
        sum = &dummy;
    memset(sum, 0, sizeof *sum);
    int64_t after = opts->since_entry;
    ward_status rc = after >= 0 ? WARD_OK : meta_get(s, "rematched_entry", &after, err);
    if (rc)
        return rc;
    sum->from_entry = (uint64_t)after;
    char at[32];
    struct tm tm;
    gmtime_r(&opts->now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    /* series named by the new entries (VICS Series, VictimIdentified) */
    if ((rc = vt_adopt(s, after, at, &sum->adopted, &sum->told, err)))
        return rc;
    /* nothing registered that could become known: the watermark just moves
     * on (an import into a store without sightings costs nothing more) */
    int64_t any = 0, top = 0;
    if ((rc = wst_query_int(s, "SELECT count(*) FROM (SELECT id FROM sightings"
                               " WHERE class <> 'known' LIMIT 1) x", &any, err)))
        return rc;
    if (!any) {
        if ((rc = wst_query_int(s, "SELECT coalesce(max(id), 0) FROM entries", &top, err)))
            return rc;
        sum->to_entry = (uint64_t)(top > after ? top : after);
        if (opts->since_entry >= 0 || top <= after)
            return WARD_OK;
        if ((rc = vt_begin(s, err)))
            return rc;
        return vt_end(s, meta_set(s, "rematched_entry", top, err), err);
    }
    const char *tmp = opts->tmp_dir;
    char path[4096];
    snprintf(path, sizeof path, "%s/ward-rematch-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
    int fd = mkstemp(path);
    if (fd < 0)
        return err_fail_errno(err, errno, "%s", path);
    close(fd);
    build b = {ward_index_builder_new(), 0, 0, WARD_OK, err};
    ward_index *ix = NULL;
    walk w = {0};
    w.radius = opts->radius;
    w.threads = opts->threads < 1 ? 1
                : opts->threads > WARD_VICTIM_MAX_THREADS ? WARD_VICTIM_MAX_THREADS
                                                          : opts->threads;
    if (!b.b)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    /* one snapshot: the entries and the sightings as of the same moment */
    if (rc == WARD_OK && (rc = wst_exec(s, "BEGIN", err)) == WARD_OK) {
        rc = new_entries(s, after, path, &b, err);
        sum->new_entries = b.n;
        sum->to_entry = (uint64_t)b.last;
        if (rc == WARD_OK && b.n && (rc = ward_index_open(path, &ix, err)) == WARD_OK) {
            /* Every sighting with a PDQ is a radius query: the in-memory
             * copy (pdq_fast.c) rejects most candidates from the bucket
             * itself, several times cheaper per query than the file's
             * search. A change too large for the budget searches the file
             * (same answers). */
            ward_error e2 = {0};
            (void)ward_index_accelerate(ix, ACCEL_BYTES, &e2); /* refused: the file */
            w.ix = ix;
            char sql[256];
            snprintf(sql, sizeof sql,
                     "SELECT id, sha256, sha1, md5, pdq FROM sightings WHERE id > ?1"
                     " AND class <> 'known' ORDER BY id%s",
                     wst_page_limit(s));
            wsql_stmt *st;
            if ((rc = wst_prepare(s, sql, &st, err)) == WARD_OK)
                rc = wst_each_page(s, st, 1, match_sighting, &w, "reading sightings", err);
            if (rc == WARD_OK && w.nq)
                run_batch(&w);
            if (rc == WARD_OK && w.nomem)
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
        }
        wsql_exec(s->db, "COMMIT", NULL, NULL, NULL);
    }
    ward_index_close(ix);
    ward_index_builder_free(b.b);
    unlink(path);
    sum->sightings = w.seen;
    if (w.n) {
        qsort(w.v, w.n, sizeof *w.v, by_sighting);   /* alerts in register order */
        w.n = best_per_sighting(w.v, w.n);
    }
    sum->hits = w.n;
    if (rc == WARD_OK && b.n && (rc = vt_begin(s, err)) == WARD_OK) {
        int stop = 0;
        for (size_t i = 0; rc == WARD_OK && i < w.n; i++)
            rc = tell(s, opts, &w.v[i], at, cb, ctx, &stop, err);
        sum->alerts = rc == WARD_OK ? w.n : 0;
        /* the watermark moves only when rematching from it */
        if (rc == WARD_OK && opts->since_entry < 0)
            rc = meta_set(s, "rematched_entry", b.last, err);
        rc = vt_end(s, rc, err);
    }
    walk_free(&w);
    return rc;
}
