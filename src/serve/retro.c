/*
 * Retroactive matching of recorded platform events (issue 23 item 5, the
 * platform side): when the store gains entries (ward db import, ward
 * release pull, ward series rematch), the hashes of the match events in
 * service.db are matched against the new entries only, and each new hit is
 * an alert in the store to the platform's key ("key:ID"), so that the
 * platform learns that an upload it sent earlier is now known.
 *
 * An event keeps the hashes that matched an alert entry (a batch) or all
 * the upload's hashes (an upload): digests and PDQ, never the file.
 */
#include "serve/serve_int.h"
#include "store/sql.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/store.h>
#include <ward/victim.h>

typedef struct ev_hash {
    int64_t event;
    char key_id[24];
} ev_hash;

typedef struct collect {
    char **hashes;        /* "kind:hex" */
    ev_hash *owner;
    size_t n, cap;
    uint64_t events;
    int nomem;
} collect;

static int push(collect *c, int64_t event, const char *key_id, const char *kind,
                const char *hex)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        char **h = realloc(c->hashes, cap * sizeof *h);
        if (h)
            c->hashes = h;
        ev_hash *o = h ? realloc(c->owner, cap * sizeof *o) : NULL;
        if (!o)
            return c->nomem = 1;
        c->owner = o;
        c->cap = cap;
    }
    size_t len = strlen(kind) + strlen(hex) + 2;
    if (!(c->hashes[c->n] = malloc(len)))
        return c->nomem = 1;
    snprintf(c->hashes[c->n], len, "%s:%s", kind, hex);
    c->owner[c->n].event = event;
    snprintf(c->owner[c->n].key_id, sizeof c->owner[c->n].key_id, "%s", key_id ? key_id : "");
    c->n++;
    return 0;
}

/* An upload's {"kind", "hash"}, or a batch's {"hash", "as_sent"}: the kind
 * from the prefix sent, else from the length (64 hex digits: SHA-256 and
 * PDQ both, as the match tried them). */
static int one_hash(collect *c, int64_t id, const char *key_id, yajl_val v)
{
    const char *hex = jv_str(v, "hash"), *kind = jv_str(v, "kind");
    if (!hex)
        return 0;
    if (kind)
        return push(c, id, key_id, kind, hex);
    const char *sent = jv_str(v, "as_sent"), *colon = sent ? strchr(sent, ':') : NULL;
    char prefix[8] = "";
    if (colon && (size_t)(colon - sent) < sizeof prefix) {
        for (size_t i = 0; sent + i < colon; i++)
            prefix[i] = (char)(sent[i] | 0x20);
        prefix[colon - sent] = 0;
        return push(c, id, key_id, prefix, hex);
    }
    size_t len = strlen(hex);
    if (len == 32)
        return push(c, id, key_id, "md5", hex);
    if (len == 40)
        return push(c, id, key_id, "sha1", hex);
    if (len == 64)
        return push(c, id, key_id, "sha256", hex) || push(c, id, key_id, "pdq", hex);
    return 0;
}

static int take_event(void *ctx, int64_t id, const char *key_id, const char *hashes_json)
{
    collect *c = ctx;
    char ebuf[64];
    c->events++;
    yajl_val v = hashes_json ? yajl_tree_parse(hashes_json, ebuf, sizeof ebuf) : NULL;
    for (size_t i = 0; v && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++)
        if (one_hash(c, id, key_id, v->u.array.values[i]))
            break;
    yajl_tree_free(v);
    return c->nomem;
}

typedef struct tell_ctx {
    collect *c;
    ward_store *store;
    ward_status rc;
    ward_error *err;
} tell_ctx;

static int tell(void *ctx, const ward_victim_hash_hit *h)
{
    tell_ctx *t = ctx;
    const ev_hash *o = &t->c->owner[h->index];
    char unit[40], msg[640];
    snprintf(unit, sizeof unit, "key:%s", o->key_id);
    snprintf(msg, sizeof msg,
             "retroactive match: %s of your match event %lld now matches list '%s' "
             "category %s%s%s%s (%s)", h->hash, (long long)o->event, h->list,
             h->category ? h->category : "uncategorised", h->series ? ", series '" : "",
             h->series ? h->series : "", h->series ? "'" : "",
             h->distance ? "PDQ near" : "same digest");
    t->rc = ward_victim_alert_add(t->store, unit, "normal", "retro-match-platform", h->hash, msg,
                                  t->err);
    return t->rc != WARD_OK;
}

/* Whether datadir has a service store to read (SQLite: the file exists;
 * PostgreSQL: the store names a server, whose schema svc_open finds or
 * makes). */
static int has_service(const char *datadir, const char *store_url)
{
    wsql_target t;
    ward_error err;
    if (wsql_resolve(datadir, store_url, "service", "service.db", &t, &err) != WARD_OK)
        return 0;
    return t.backend != WSQL_SQLITE || access(t.sqlite_path, F_OK) == 0;
}

ward_status ward_serve_rematch_events(const char *datadir, const char *store_url,
                                      const char *key_file, struct ward_store *store, int64_t after,
                                      int64_t upto, int radius, uint64_t *events, uint64_t *hits,
                                      ward_error *err)
{
    *events = *hits = 0;
    if (!has_service(datadir, store_url) || (upto && upto <= after))
        return WARD_OK;
    svc_state *s;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc != WARD_OK)
        return rc;
    collect c = {0};
    rc = svc_events_each_hashes(s, take_event, &c, err);
    svc_close(s);
    if (rc == WARD_OK && c.nomem)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    *events = c.events;
    tell_ctx t = {&c, store, WARD_OK, err};
    if (rc == WARD_OK && c.n) {
        rc = ward_victim_rematch_hashes(store, after, upto, radius, (const char *const *)c.hashes,
                                        c.n, tell, &t, hits, err);
        if (rc == WARD_OK)
            rc = t.rc;
    }
    for (size_t i = 0; i < c.n; i++)
        free(c.hashes[i]);
    free(c.hashes);
    free(c.owner);
    return rc;
}
