/*
 * In-process matching with hot reload (match.h).
 *
 * The hash set in service is a snapshot: a ward_matcher (memory-mapped index
 * and the connection that checked it) plus a free list of read-only store
 * connections that threads borrow to read entry metadata. A snapshot is
 * reference counted; ward_match_reload swaps the pointer under a mutex, and
 * the old snapshot is freed by whichever thread drops its last reference.
 * Queries never wait for a reload: the index is built before the swap.
 */
#include <ward/match.h>
#include <ward/matcher.h>
#include "util/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Idle objects (store connections, hashers) that threads borrow and give
 * back; the owner of the stack supplies its lock. */
typedef struct ptr_stack {
    void **v;
    size_t n, cap;
} ptr_stack;

static void *stack_pop(ptr_stack *st, pthread_mutex_t *lock)
{
    pthread_mutex_lock(lock);
    void *p = st->n ? st->v[--st->n] : NULL;
    pthread_mutex_unlock(lock);
    return p;
}

/* 0, or -1 when out of memory (the caller then frees p itself). */
static int stack_push(ptr_stack *st, pthread_mutex_t *lock, void *p)
{
    int rc = 0;
    pthread_mutex_lock(lock);
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        void **v = realloc(st->v, cap * sizeof *v);
        if (v) {
            st->v = v;
            st->cap = cap;
        } else {
            rc = -1;
        }
    }
    if (rc == 0)
        st->v[st->n++] = p;
    pthread_mutex_unlock(lock);
    return rc;
}

typedef struct snapshot {
    ward_matcher *matcher;
    ward_matcher_info info;
    pthread_mutex_t lock; /* guards idle */
    ptr_stack idle;       /* read-only store connections (ward_store *) not in use */
    int refs;             /* guarded by ward_match.lock */
} snapshot;

struct ward_match {
    char *datadir;
    char *store_url; /* NULL: DATADIR/store.url, else SQLite in datadir */
    ward_match_opts opts;
    pthread_mutex_t lock;        /* guards cur, refs, reloads */
    pthread_mutex_t reload_lock; /* one reload at a time */
    snapshot *cur;
    uint64_t reloads;
    pthread_mutex_t hasher_lock;
    ptr_stack hashers;           /* idle ward_hasher * for uploads */
};

void ward_match_opts_default(ward_match_opts *o)
{
    o->radius = WARD_INDEX_PDQ_RADIUS;
    o->dihedral = 1;
    o->max_hits = 16;
    o->min_quality = WARD_INDEX_PDQ_MIN_QUALITY;
    o->max_pixels = 100u * 1000 * 1000;
    o->index_memory = 0;
}

/* ---- snapshots ----------------------------------------------------------- */

static void snapshot_free(snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->idle.n; i++)
        ward_store_close(s->idle.v[i]);
    free(s->idle.v);
    ward_matcher_close(s->matcher);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static ward_status snapshot_open(const char *datadir, const char *store_url, uint64_t index_memory,
                                 snapshot **out, ward_error *err)
{
    snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    s->refs = 1; /* the reference held by ward_match.cur */
    ward_status rc = ward_matcher_open(datadir, store_url, &s->matcher, err);
    if (rc != WARD_OK) {
        snapshot_free(s);
        return rc;
    }
    ward_matcher_get_info(s->matcher, &s->info);
    /* Built before the snapshot is swapped in, so queries never wait for
     * it. Over the budget (WARD_ELIMIT) or out of memory, the file's index
     * answers the same, only slower. */
    if (index_memory)
        (void)ward_matcher_accelerate(s->matcher, index_memory, NULL);
    *out = s;
    return WARD_OK;
}

static snapshot *snapshot_acquire(ward_match *m)
{
    pthread_mutex_lock(&m->lock);
    snapshot *s = m->cur;
    s->refs++;
    pthread_mutex_unlock(&m->lock);
    return s;
}

static void snapshot_release(ward_match *m, snapshot *s)
{
    pthread_mutex_lock(&m->lock);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&m->lock);
    if (last)
        snapshot_free(s);
}

/* A store connection of this snapshot's data directory for this thread's
 * exclusive use until conn_put. */
static ward_status conn_get(ward_match *m, snapshot *s, ward_store **out, ward_error *err)
{
    ward_store *c = stack_pop(&s->idle, &s->lock);
    if (c) {
        *out = c;
        return WARD_OK;
    }
    return ward_store_open(m->datadir, m->store_url, WARD_STORE_READONLY, out, err);
}

static void conn_put(snapshot *s, ward_store *c)
{
    if (stack_push(&s->idle, &s->lock, c) != 0)
        ward_store_close(c);
}

/* ---- open, close, reload -------------------------------------------------- */

ward_status ward_match_open(const char *datadir, const char *store_url, const ward_match_opts *opts,
                            ward_match **out, ward_error *err)
{
    ward_match *m = calloc(1, sizeof *m);
    if (!m || !(m->datadir = strdup(datadir)) ||
        (store_url && !(m->store_url = strdup(store_url)))) {
        if (m)
            free(m->datadir);
        free(m);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (opts)
        m->opts = *opts;
    else
        ward_match_opts_default(&m->opts);
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->reload_lock, NULL);
    pthread_mutex_init(&m->hasher_lock, NULL);
    ward_status rc = snapshot_open(datadir, store_url, m->opts.index_memory, &m->cur, err);
    if (rc != WARD_OK) {
        ward_match_close(m);
        return rc;
    }
    *out = m;
    return WARD_OK;
}

void ward_match_close(ward_match *m)
{
    if (!m)
        return;
    snapshot_free(m->cur); /* callers have finished their queries */
    for (size_t i = 0; i < m->hashers.n; i++)
        ward_hasher_free(m->hashers.v[i]);
    free(m->hashers.v);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->reload_lock);
    pthread_mutex_destroy(&m->hasher_lock);
    free(m->datadir);
    free(m->store_url);
    free(m);
}

static ward_status current_revision(ward_match *m, uint64_t *rev, ward_error *err)
{
    snapshot *s = snapshot_acquire(m);
    ward_store *c;
    ward_status rc = conn_get(m, s, &c, err);
    if (rc == WARD_OK) {
        rc = ward_store_revision(c, rev, err);
        conn_put(s, c);
    }
    snapshot_release(m, s);
    return rc;
}

ward_status ward_match_reload(ward_match *m, int *changed, ward_error *err)
{
    if (changed)
        *changed = 0;
    pthread_mutex_lock(&m->reload_lock);
    uint64_t rev = 0;
    ward_status rc = current_revision(m, &rev, err);
    snapshot *fresh = NULL;
    if (rc == WARD_OK && rev != m->cur->info.store_revision)
        rc = snapshot_open(m->datadir, m->store_url, m->opts.index_memory, &fresh, err);
    if (rc == WARD_OK && fresh) {
        pthread_mutex_lock(&m->lock);
        snapshot *old = m->cur;
        m->cur = fresh;
        m->reloads++;
        int last = --old->refs == 0;
        pthread_mutex_unlock(&m->lock);
        if (last)
            snapshot_free(old);
        if (changed)
            *changed = 1;
    }
    pthread_mutex_unlock(&m->reload_lock);
    return rc;
}

void ward_match_get_info(ward_match *m, ward_match_info *out)
{
    pthread_mutex_lock(&m->lock);
    out->store_revision = m->cur->info.store_revision;
    out->index_entries = m->cur->info.index_entries;
    memcpy(out->index_sha256, m->cur->info.index_sha256, sizeof out->index_sha256);
    out->reloads = m->reloads;
    pthread_mutex_unlock(&m->lock);
}

/* ---- results ------------------------------------------------------------ */

void ward_match_result_free(ward_match_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        ward_match_hit *h = &r->hits[i];
        free((char *)h->list);
        free((char *)h->category);
        free((char *)h->category_label);
        free((char *)h->category_class);
        free((char *)h->series);
        free((char *)h->media_id);
    }
    free(r->hits);
    memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

/* A candidate before its metadata is read. */
typedef struct candidate {
    uint64_t id;
    const char *kind;
    int distance, dihedral;
    int64_t frame;
    double timestamp;
} candidate;

typedef struct cand_list {
    candidate *v;
    size_t n, cap;
} cand_list;

/* Add or improve (lower distance) the candidate for entry c->id. */
static int cand_add(cand_list *l, const candidate *c)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].id == c->id) {
            if (c->distance < l->v[i].distance)
                l->v[i] = *c;
            return 0;
        }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        candidate *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *c;
    return 0;
}

static const char *kind_of_exact(const ward_entry *e, const ward_digests *q, char hash[65])
{
    for (int k = 0; k < 3; k++) {
        unsigned kind = ward_digest_kinds[k];
        char a[65], b[65];
        const char *name = ward_digest_hex(q, kind, a);
        if (name && ward_digest_hex(&e->digests, kind, b) && strcmp(a, b) == 0) {
            memcpy(hash, b, 65);
            return name;
        }
    }
    hash[0] = 0;
    return "digest";
}

/* Read each candidate's entry and fill the result; removed entries (taken
 * off a list after the snapshot's index was built) are dropped. */
static ward_status fill_hits(ward_store *c, const cand_list *cands, const ward_digests *q,
                             ward_match_result *out, ward_error *err)
{
    out->hits = cands->n ? calloc(cands->n, sizeof *out->hits) : NULL;
    if (cands->n && !out->hits)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    for (size_t i = 0; i < cands->n; i++) {
        ward_entries *es = NULL;
        ward_status rc = ward_store_get(c, cands->v[i].id, &es, err);
        if (rc == WARD_ENOTFOUND)
            continue;
        if (rc != WARD_OK)
            return rc;
        if (es->count == 0 || es->v[0].removed) {
            ward_entries_free(es);
            continue;
        }
        const ward_entry *e = &es->v[0];
        ward_match_hit *h = &out->hits[out->count++];
        int oom = 0;
        h->entry_id = e->id;
        h->distance = cands->v[i].distance;
        h->dihedral = cands->v[i].dihedral;
        h->frame = cands->v[i].frame;
        h->timestamp = cands->v[i].timestamp;
        if (strcmp(cands->v[i].kind, "pdq") == 0) {
            h->kind = "pdq";
            ward_pdq_to_hex(&e->pdq, h->hash);
        } else {
            h->kind = kind_of_exact(e, q, h->hash);
        }
        h->list = dup_or_null(e->list, &oom);
        h->category = dup_or_null(e->category, &oom);
        h->category_label = dup_or_null(e->category_label, &oom);
        h->category_class = dup_or_null(e->category_class, &oom);
        h->series = dup_or_null(e->series, &oom);
        h->media_id = dup_or_null(e->media_id, &oom);
        if (e->category_class && strcmp(e->category_class, WARD_CLASS_ALERT) == 0)
            out->alert = 1;
        ward_entries_free(es);
        if (oom)
            return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    return WARD_OK;
}

/* The store could not be read: hits from the index alone (match.h,
 * store_error). An exact hit's hash is the query's own digest. */
static ward_status index_only_hits(const cand_list *cands, const ward_digests *q,
                                   const ward_error *why, ward_match_result *out,
                                   ward_error *err)
{
    uint64_t rev = out->store_revision;
    ward_match_result_free(out);
    out->store_revision = rev;
    snprintf(out->store_error, sizeof out->store_error, "%s", why->message);
    out->hits = cands->n ? calloc(cands->n, sizeof *out->hits) : NULL;
    if (cands->n && !out->hits)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    for (size_t i = 0; i < cands->n; i++) {
        ward_match_hit *h = &out->hits[out->count++];
        h->entry_id = cands->v[i].id;
        h->distance = cands->v[i].distance;
        h->dihedral = cands->v[i].dihedral;
        h->frame = cands->v[i].frame;
        h->timestamp = cands->v[i].timestamp;
        h->kind = "pdq";
        for (int k = 0; strcmp(cands->v[i].kind, "pdq") && k < 3 && q; k++)
            if ((h->kind = ward_digest_hex(q, ward_digest_kinds[k], h->hash)))
                break;
        if (!h->kind)
            h->kind = "digest";
    }
    out->alert = out->count > 0;
    return WARD_OK;
}

/* ---- queries ------------------------------------------------------------ */

static void add_exact(const snapshot *s, const ward_digests *d, size_t max, cand_list *l,
                      int *oom)
{
    if (!d || !d->present)
        return;
    uint64_t ids[64];
    size_t n = 0; /* the arguments are ours: WARD_OK, or *found 0 */
    (void)ward_matcher_exact(s->matcher, d, ids, max < 64 ? max : 64, &n);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        candidate c = {.id = ids[i], .kind = "digest", .frame = -1};
        *oom |= cand_add(l, &c) != 0;
    }
}

static void add_near(const snapshot *s, const ward_pdq *q, int nq, int64_t frame, double ts,
                     const ward_match_opts *o, cand_list *l, int *oom)
{
    if (nq <= 0 || o->radius < 0)
        return;
    ward_pdq_match found[64];
    size_t max = o->max_hits < 64 ? o->max_hits : 64;
    size_t n = 0; /* the arguments are ours: WARD_OK, or *found 0 */
    (void)ward_matcher_near(s->matcher, q, nq, o->radius, found, max, &n);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        candidate c = {.id = found[i].entry_id, .kind = "pdq", .distance = found[i].distance,
                       .dihedral = found[i].query, .frame = frame, .timestamp = ts};
        *oom |= cand_add(l, &c) != 0;
    }
}

static int cmp_cand(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    int xe = strcmp(x->kind, "pdq") != 0, ye = strcmp(y->kind, "pdq") != 0;
    if (xe != ye)
        return ye - xe; /* exact first */
    if (x->distance != y->distance)
        return x->distance - y->distance;
    return (x->id > y->id) - (x->id < y->id);
}

typedef struct query {
    const ward_digests *digests;
    const ward_pdq *pdq;
    int npdq;
    const ward_vpdq *frames; /* video frames, or NULL */
} query;

static ward_status run_query(ward_match *m, const query *q, const ward_match_opts *o,
                             ward_match_result *out, ward_error *err)
{
    memset(out, 0, sizeof *out);
    snapshot *s = snapshot_acquire(m);
    out->store_revision = s->info.store_revision;
    cand_list l = {0};
    int oom = 0;
    add_exact(s, q->digests, o->max_hits, &l, &oom);
    add_near(s, q->pdq, q->npdq, -1, 0, o, &l, &oom);
    for (size_t i = 0; q->frames && i < q->frames->count; i++) {
        const ward_vpdq_frame *f = &q->frames->frames[i];
        if (f->quality >= o->min_quality)
            add_near(s, &f->hash, 1, f->frame_number, f->timestamp, o, &l, &oom);
    }
    ward_status rc = oom ? err_fail(err, WARD_ENOMEM, "out of memory") : WARD_OK;
    if (rc == WARD_OK && l.n) {
        qsort(l.v, l.n, sizeof *l.v, cmp_cand);
        if (l.n > o->max_hits)
            l.n = o->max_hits;
        ward_store *c;
        rc = conn_get(m, s, &c, err);
        if (rc == WARD_OK) {
            rc = fill_hits(c, &l, q->digests, out, err);
            conn_put(s, c);
        }
        /* The index alone still says what is known: answer from it rather
         * than fail the match (docs/deploy.md, a PostgreSQL server gone). */
        if (rc != WARD_OK && rc != WARD_ENOMEM)
            rc = index_only_hits(&l, q->digests, err, out, err);
    }
    free(l.v);
    snapshot_release(m, s);
    if (rc != WARD_OK)
        ward_match_result_free(out);
    return rc;
}

static const ward_match_opts *opts_or_default(ward_match *m, const ward_match_opts *o)
{
    return o ? o : &m->opts;
}

ward_status ward_match_hashes(ward_match *m, const ward_digests *d, const ward_pdq *pdq,
                              int npdq, const ward_match_opts *opts,
                              ward_match_result *out, ward_error *err)
{
    if (!m || !out)
        return err_fail(err, WARD_EINVAL, "ward_match_hashes: no matcher or no result");
    if (npdq < 0 || npdq > 8 || (npdq && !pdq))
        return err_fail(err, WARD_EINVAL, "between 0 and 8 PDQ hashes per query");
    query q = {.digests = d, .pdq = pdq, .npdq = npdq};
    return run_query(m, &q, opts_or_default(m, opts), out, err);
}

/* "md5:", "sha1:", "sha256:", "pdq:" or none. */
static const char *strip_prefix(const char *h, const char **kind)
{
    static const char *const names[] = {"md5", "sha1", "sha256", "pdq"};
    *kind = NULL;
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(h, names[i], n) == 0 && h[n] == ':') {
            *kind = names[i];
            return h + n + 1;
        }
    }
    return h;
}

ward_status ward_match_text(ward_match *m, const char *hash, const ward_match_opts *opts,
                            ward_match_result *out, ward_error *err)
{
    /* a bad argument is an error, never "no match" */
    if (!m || !hash || !out)
        return err_fail(err, WARD_EINVAL, "ward_match_text: no matcher, hash or result");
    const char *kind;
    const char *hex = strip_prefix(hash, &kind);
    size_t len = strlen(hex);
    ward_digests d = {0};
    ward_pdq pdq;
    int npdq = 0;
    int as_md5 = len == 32 && (!kind || !strcmp(kind, "md5"));
    int as_sha1 = len == 40 && (!kind || !strcmp(kind, "sha1"));
    int as_sha256 = len == 64 && (!kind || !strcmp(kind, "sha256"));
    int as_pdq = len == 64 && (!kind || !strcmp(kind, "pdq"));
    if (as_md5 && ward_unhex(hex, len, d.md5, 16) == WARD_OK)
        d.present = WARD_DIGEST_MD5;
    else if (as_sha1 && ward_unhex(hex, len, d.sha1, 20) == WARD_OK)
        d.present = WARD_DIGEST_SHA1;
    if (as_sha256 && ward_unhex(hex, len, d.sha256, 32) == WARD_OK)
        d.present = WARD_DIGEST_SHA256;
    if (as_pdq && ward_pdq_from_hex(hex, &pdq) == WARD_OK)
        npdq = 1;
    if (!d.present && !npdq)
        return err_fail(err, WARD_EFORMAT,
                         "'%.80s' is not a hash: expected hex of an MD5 (32 digits), SHA-1 (40), "
                         "SHA-256 or PDQ (64), optionally prefixed md5:, sha1:, sha256: or pdq:",
                         hash);
    query q = {.digests = &d, .pdq = npdq ? &pdq : NULL, .npdq = npdq};
    return run_query(m, &q, opts_or_default(m, opts), out, err);
}

/* ---- uploads ------------------------------------------------------------ */

static ward_hasher *hasher_get(ward_match *m)
{
    ward_hasher *h = stack_pop(&m->hashers, &m->hasher_lock);
    if (h)
        return h;
    ward_hash_opts ho;
    ward_hash_opts_default(&ho);
    ho.digests = WARD_DIGEST_MD5 | WARD_DIGEST_SHA1 | WARD_DIGEST_SHA256;
    ho.pdq = 1;
    ho.dihedral = 1;
    ho.decode.max_pixels = m->opts.max_pixels;
    return ward_hasher_new(&ho);
}

static void hasher_put(ward_match *m, ward_hasher *h)
{
    if (stack_push(&m->hashers, &m->hasher_lock, h) != 0)
        ward_hasher_free(h);
}

ward_status ward_match_bytes(ward_match *m, const uint8_t *buf, size_t len,
                             const ward_match_opts *opts, ward_match_result *out,
                             ward_file_hash *hashed, ward_error *err)
{
    if (!m || !out || (!buf && len))
        return err_fail(err, WARD_EINVAL, "ward_match_bytes: no matcher, bytes or result");
    const ward_match_opts *o = opts_or_default(m, opts);
    ward_hasher *h = hasher_get(m);
    if (!h)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_file_hash fh;
    memset(&fh, 0, sizeof fh);
    ward_status rc = ward_hasher_buffer(h, buf, len, &fh);
    hasher_put(m, h);
    if (rc != WARD_OK) {
        if (err)
            *err = fh.read_error;
        ward_file_hash_clear(&fh);
        return rc;
    }
    int npdq = 0;
    if (fh.has_pdq && fh.pdq.quality >= o->min_quality)
        npdq = o->dihedral ? fh.pdq.count : 1;
    query q = {.digests = &fh.digests, .pdq = fh.pdq.hash, .npdq = npdq,
               .frames = fh.has_video ? &fh.video : NULL};
    rc = run_query(m, &q, o, out, err);
    if (hashed && rc == WARD_OK)
        *hashed = fh; /* the caller owns it now */
    else
        ward_file_hash_clear(&fh);
    return rc;
}
