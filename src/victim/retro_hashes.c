/*
 * Retroactive matching of hashes kept elsewhere -- the match service's
 * recorded platform events (service.db) -- against the entries a store
 * gained: the sibling of retro.c, which does the same for the register's
 * sightings. The caller owns its hashes and tells its own people; this
 * file only answers which new entries they match.
 *
 * The hashes are few (a review queue's events, not ten million sightings):
 * digests are binary-searched, and each new entry's PDQ is compared with
 * every PDQ asked about, one pass over the new entries.
 */
#include "victim/victim_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/digest.h>
#include <ward/index.h>
#include <ward/pdq.h>

typedef struct rh_digest {
    uint8_t v[32];
    size_t len;     /* 16 md5, 20 sha1, 32 sha256 */
    size_t index;
} rh_digest;

typedef struct rh {
    rh_digest *d;
    size_t nd;
    ward_pdq *p;
    size_t *pidx, np;
    int radius;
    const char *const *hashes;
    ward_victim_hash_hit_cb cb;
    void *ctx;
    ward_store *s;
    uint64_t hits;
    int stop;
    ward_status rc;
    ward_error *err;
} rh;

static int cmp_digest(const void *a, const void *b)
{
    const rh_digest *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->v, y->v, x->len);
}

static int hexval(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != n * 2)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The entry's list, category and series, and the caller told. */
static int tell(rh *r, uint64_t entry, size_t index, const char *kind, int distance)
{
    ward_entries *es = NULL;
    if ((r->rc = ward_store_get(r->s, entry, &es, r->err)) != WARD_OK)
        return 1;
    ward_victim_hash_hit h = {index, r->hashes[index], entry, kind, "?", NULL, NULL, distance};
    if (es->count) {
        h.list = es->v[0].list;
        h.category = es->v[0].category;
        h.series = es->v[0].series;
    }
    r->hits++;
    if (r->cb && !r->stop)
        r->stop = r->cb(r->ctx, &h);
    ward_entries_free(es);
    return r->stop;
}

static int digest_hits(rh *r, uint64_t entry, const void *blob, size_t len, const char *kind)
{
    if (!blob || !r->nd)
        return 0;
    rh_digest k = {{0}, len, 0};
    memcpy(k.v, blob, len);
    rh_digest *f = bsearch(&k, r->d, r->nd, sizeof *r->d, cmp_digest);
    if (!f)
        return 0;
    while (f > r->d && cmp_digest(f - 1, &k) == 0)
        f--;
    for (; f < r->d + r->nd && cmp_digest(f, &k) == 0; f++)
        if (tell(r, entry, f->index, kind, 0))
            return 1;
    return 0;
}

static int entry_row(void *ctx, wsql_stmt *st)
{
    rh *r = ctx;
    uint64_t id = (uint64_t)wsql_column_int64(st, 0);
    if (digest_hits(r, id, wst_blob(st, 1, 16), 16, "md5") ||
        digest_hits(r, id, wst_blob(st, 2, 20), 20, "sha1") ||
        digest_hits(r, id, wst_blob(st, 3, 32), 32, "sha256"))
        return 1;
    const void *x = wst_blob(st, 4, 32);
    if (!x || !r->np)
        return 0;
    ward_pdq p;
    memcpy(p.b, x, 32);
    for (size_t i = 0; i < r->np; i++) {
        int d = ward_pdq_distance(&p, &r->p[i]);
        if (d <= r->radius && tell(r, id, r->pidx[i], "pdq", d))
            return 1;
    }
    return 0;
}

ward_status ward_victim_rematch_hashes(ward_store *s, int64_t after, int64_t upto, int radius,
                                       const char *const *hashes, size_t n,
                                       ward_victim_hash_hit_cb cb, void *ctx, uint64_t *hits,
                                       ward_error *err)
{
    rh r = {0};
    r.radius = radius < 0 ? WARD_INDEX_PDQ_RADIUS : radius;
    r.hashes = hashes, r.cb = cb, r.ctx = ctx, r.s = s, r.err = err;
    if (hits)
        *hits = 0;
    if (!n)
        return WARD_OK;
    r.d = calloc(n, sizeof *r.d);
    r.p = calloc(n, sizeof *r.p);
    r.pidx = calloc(n, sizeof *r.pidx);
    if (!r.d || !r.p || !r.pidx) {
        free(r.d), free(r.p), free(r.pidx);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *h = hashes[i], *colon = strchr(h, ':');
        if (!colon)
            continue;
        size_t klen = (size_t)(colon - h);
        const char *hex = colon + 1;
        rh_digest *d = &r.d[r.nd];
        if (klen == 3 && !strncmp(h, "md5", 3) && !hexval(hex, d->v, 16))
            d->len = 16;
        else if (klen == 4 && !strncmp(h, "sha1", 4) && !hexval(hex, d->v, 20))
            d->len = 20;
        else if (klen == 6 && !strncmp(h, "sha256", 6) && !hexval(hex, d->v, 32))
            d->len = 32;
        else if (klen == 3 && !strncmp(h, "pdq", 3) && !hexval(hex, r.p[r.np].b, 32))
            r.pidx[r.np++] = i;
        if (d->len)
            d->index = i, r.nd++;
    }
    if (r.nd > 1)
        qsort(r.d, r.nd, sizeof *r.d, cmp_digest);
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, "SELECT e.id, e.md5, e.sha1, e.sha256, e.pdq FROM entries e"
                                    " JOIN lists l ON l.id = e.list_id WHERE e.id > ?1"
                                    " AND (?2 = 0 OR e.id <= ?2) AND e.removed_id IS NULL"
                                    " AND l.kind = 'alert' ORDER BY e.id", &st, err);
    if (rc == WARD_OK) {
        wsql_bind_int64(st, 1, after);
        wsql_bind_int64(st, 2, upto);
        rc = wst_each_row(s, st, entry_row, &r, "reading new entries", err);
    }
    if (rc == WARD_OK)
        rc = r.rc;
    if (hits)
        *hits = r.hits;
    free(r.d), free(r.p), free(r.pidx);
    return rc;
}

ward_status ward_victim_alert_add(ward_store *s, const char *unit, const char *priority,
                                  const char *kind, const char *hash, const char *message,
                                  ward_error *err)
{
    char now[32];
    wst_now(now);
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    return vt_end(s, vt_alert(s, now, unit, priority, kind, 0, hash, message, "open", err), err);
}
