/*
 * Victim identification on the platform side (issue 23, docs/serve.md):
 *
 * - every hit in a match answer that belongs to a series known to this
 *   store says so ("series_info": name, status, team, contact), so that a
 *   platform or unit is told the child is identified or safeguarded and no
 *   one re-opens an identification that is done;
 * - flood control: a hash of an alert entry hit by --flood-keys distinct
 *   API keys within --flood-hours is quarantined in the store (the same
 *   quarantine as the scans', `ward series quarantine`): its matches are
 *   still recorded as events, but the answer no longer says "alert" for it
 *   (blocking pauses) and alerts about it pause until a person releases or
 *   removes it.
 *
 * The series and quarantine are read from the store into a snapshot
 * (ward_victim_view) at start and at each reload tick: a hit costs a
 * binary search, never a query.
 */
#include "serve/handlers.h"
#include "util/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/store.h>
#include <ward/victim.h>

/* Flood control counts distinct API keys per hash in service.db, a write
 * under the event-recording lock. A key that hits the same hash again
 * within FLOOD_MEMO_S changes no key count, only the hit count: such
 * repeats are remembered here and added to the hit count at that key's
 * next write (a platform re-uploading one listed image all day costs one
 * write a minute, not one per upload). Direct-mapped: a collision only
 * means an extra write. */
#define FLOOD_MEMO_SLOTS 4096
#define FLOOD_MEMO_S 60.0

typedef struct flood_memo {
    uint64_t tag;    /* fnv1a of hash key and API key; 0: empty */
    double noted;    /* when last written */
    uint32_t pending; /* hits since, not yet written */
} flood_memo;

struct svc_victim {
    char *datadir;
    char *store_url;
    pthread_mutex_t memo_lock;
    flood_memo memo[FLOOD_MEMO_SLOTS];
    pthread_rwlock_t lock; /* guards view */
    ward_victim_view *view;
    char stamp[128];       /* of view (reload thread and quarantine() only) */
    pthread_mutex_t refresh; /* one refresh at a time */
    int flood_keys;
    double flood_hours;
};

svc_victim *svc_victim_new(const char *datadir, const char *store_url, int flood_keys,
                           double flood_hours)
{
    svc_victim *v = calloc(1, sizeof *v);
    if (!v || !(v->datadir = strdup(datadir)) ||
        (store_url && !(v->store_url = strdup(store_url)))) {
        if (v)
            free(v->datadir);
        free(v);
        return NULL;
    }
    pthread_rwlock_init(&v->lock, NULL);
    pthread_mutex_init(&v->refresh, NULL);
    pthread_mutex_init(&v->memo_lock, NULL);
    v->flood_keys = flood_keys;
    v->flood_hours = flood_hours;
    return v;
}

void svc_victim_free(svc_victim *v)
{
    if (!v)
        return;
    ward_victim_view_free(v->view);
    pthread_rwlock_destroy(&v->lock);
    pthread_mutex_destroy(&v->refresh);
    pthread_mutex_destroy(&v->memo_lock);
    free(v->datadir);
    free(v->store_url);
    free(v);
}

/* Read again only when the stamp moved: a reload tick then costs one
 * small query, not the series tables. */
ward_status svc_victim_refresh(svc_victim *v, ward_error *err)
{
    ward_store *s;
    ward_victim_view *view = NULL;
    char stamp[128] = "";
    pthread_mutex_lock(&v->refresh);
    ward_status rc = ward_store_open(v->datadir, v->store_url, WARD_STORE_READONLY, &s, err);
    if (rc == WARD_OK) {
        rc = ward_victim_view_stamp(s, stamp, err);
        if (rc == WARD_OK && (!v->view || strcmp(stamp, v->stamp) != 0))
            rc = ward_victim_view_load(s, &view, err);
        ward_store_close(s);
    }
    if (rc == WARD_OK && view) { /* else the snapshot we have stays */
        pthread_rwlock_wrlock(&v->lock);
        ward_victim_view *old = v->view;
        v->view = view;
        pthread_rwlock_unlock(&v->lock);
        ward_victim_view_free(old);
        memcpy(v->stamp, stamp, sizeof v->stamp);
    }
    pthread_mutex_unlock(&v->refresh);
    return rc;
}

static void hit_key(const ward_match_hit *h, char out[96])
{
    snprintf(out, 96, "%s:%s", h->kind, h->hash);
}

void svc_victim_emit(svc_ctx *ctx, yajl_gen g, const ward_match_hit *h)
{
    svc_victim *v = ctx ? ctx->victim : NULL;
    if (!v || !h->hash[0])
        return;
    char key[96];
    hit_key(h, key);
    pthread_rwlock_rdlock(&v->lock);
    const ward_series *s = ward_victim_view_series(v->view, h->kind, h->hash, h->series);
    if (s) {
        jw_key(g, "series_info");
        yajl_gen_map_open(g);
        jw_kv_str(g, "name", s->name);
        jw_kv_str(g, "status", ward_series_status_name(s->status));
        jw_kv_str(g, "team", s->team);
        jw_kv_str(g, "contact", s->contact);
        yajl_gen_map_close(g);
    }
    if (ward_victim_view_quarantined(v->view, key))
        jw_kv_bool(g, "quarantined", 1);
    pthread_rwlock_unlock(&v->lock);
}

static int is_alert(const ward_match_hit *h)
{
    return h->category_class && strcmp(h->category_class, "alert") == 0 && h->hash[0];
}

/* Quarantine the keys whose counts reached the threshold. */
static void quarantine(svc_ctx *ctx, const char *key_id, char (*keys)[96],
                       const svc_flood_count *c, size_t n)
{
    svc_victim *v = ctx->victim;
    ward_store *s = NULL;
    ward_error err;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].keys < (uint64_t)v->flood_keys)
            continue;
        pthread_rwlock_rdlock(&v->lock);
        int already = ward_victim_view_quarantined(v->view, keys[i]);
        pthread_rwlock_unlock(&v->lock);
        if (already)
            continue;
        if (!s && ward_store_open(v->datadir, v->store_url, 0, &s, &err) != WARD_OK) {
            svc_log_internal(ctx, "flood control: the store cannot be opened", err.message);
            return;
        }
        int added = 0;
        if (ward_quarantine_add(s, keys[i], c[i].keys, c[i].hits, NULL, NULL, &added, &err) !=
            WARD_OK) {
            svc_log_internal(ctx, "flood control: cannot quarantine", err.message);
            continue;
        }
        if (added) {
            char line[320];
            snprintf(line, sizeof line, "flood control: %s quarantined: hit by %llu API keys "
                     "(%llu hits) within %g hours, the last by key %s; matches are still "
                     "recorded, alert and blocking pause until a person releases or removes it "
                     "('ward series quarantine')", keys[i], (unsigned long long)c[i].keys,
                     (unsigned long long)c[i].hits, v->flood_hours, key_id);
            svc_log_message(ctx, "warning", line);
            any = 1;
        }
    }
    ward_store_close(s);
    if (any && svc_victim_refresh(v, &err) != WARD_OK)
        svc_log_internal(ctx, "flood control: cannot re-read the quarantine", err.message);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Whether hash key `hash` hit by key_id must be written now; *hits: the
 * hits to add when it is (this one and the repeats remembered). */
static int memo_due(svc_victim *v, const char *hash, const char *key_id, double now,
                    uint32_t *hits)
{
    uint64_t tag = fnv1a(fnv1a(1469598103934665603ull, hash) * 31, key_id) | 1;
    double memo_s = v->flood_hours * 3600 / 100 < FLOOD_MEMO_S ? v->flood_hours * 3600 / 100
                                                              : FLOOD_MEMO_S;
    pthread_mutex_lock(&v->memo_lock);
    flood_memo *m = &v->memo[tag % FLOOD_MEMO_SLOTS];
    int due = m->tag != tag || now - m->noted >= memo_s || now < m->noted;
    if (due) {
        *hits = (m->tag == tag ? m->pending : 0) + 1;
        *m = (flood_memo){tag, now, 0};
    } else {
        m->pending++;
    }
    pthread_mutex_unlock(&v->memo_lock);
    return due;
}

int svc_victim_screen(svc_ctx *ctx, const char *key_id, int count, ward_match_result *res)
{
    svc_victim *v = ctx->victim;
    if (!v || !res->alert || !res->count)
        return 0;
    char (*keys)[96] = calloc(res->count, sizeof *keys);
    char (*due)[96] = calloc(res->count, sizeof *due); /* to write (memo_due) */
    svc_flood_count *counts = calloc(res->count, sizeof *counts);
    const char **ptrs = calloc(res->count, sizeof *ptrs);
    uint32_t *adds = calloc(res->count, sizeof *adds);
    size_t n = 0, nd = 0;
    for (size_t i = 0; keys && due && counts && ptrs && adds && i < res->count; i++) {
        if (!is_alert(&res->hits[i]))
            continue;
        hit_key(&res->hits[i], keys[n]);
        size_t k = 0;
        while (k < n && strcmp(keys[k], keys[n]) != 0)
            k++;
        if (k == n) /* each hash once */
            n++;
    }
    double now = (double)time(NULL);
    for (size_t i = 0; count && v->flood_keys > 0 && key_id && *key_id && i < n; i++)
        if (memo_due(v, keys[i], key_id, now, &adds[nd])) {
            memcpy(due[nd], keys[i], sizeof due[nd]);
            ptrs[nd] = due[nd];
            nd++;
        }
    if (nd) {
        ward_error err;
        if (svc_flood_note(ctx->state, key_id, ptrs, adds, nd, now,
                           now - v->flood_hours * 3600, counts, &err) == WARD_OK)
            quarantine(ctx, key_id, due, counts, nd);
        else
            svc_log_internal(ctx, "flood control: cannot count", err.message);
    }
    /* Blocking pauses when every alert hit is quarantined. */
    size_t paused = 0;
    pthread_rwlock_rdlock(&v->lock);
    for (size_t i = 0; i < n; i++)
        paused += ward_victim_view_quarantined(v->view, keys[i]) != 0;
    pthread_rwlock_unlock(&v->lock);
    if (n && paused == n)
        res->alert = 0;
    free(keys);
    free(due);
    free(counts);
    free(ptrs);
    free(adds);
    return res->alert ? 0 : (int)paused;
}
