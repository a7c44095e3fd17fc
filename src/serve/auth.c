/*
 * API keys and per-key rate limits.
 *
 * A token is "wk_<id>_<secret>": the id finds the key, the secret proves it.
 * service.db keeps only SHA-256(secret): the secret is 32 random bytes, so a
 * slow password hash would add nothing but latency to every request. Live
 * keys are cached in memory and re-read at each reload tick (a revocation
 * takes effect within the reload interval) and on an unknown id when
 * service.db was changed by another process since (svc_data_version:
 * SQLite's data_version, no disk read; on PostgreSQL a stamp of the keys
 * table), so a new key works at once and random tokens cannot turn into a
 * database load.
 *
 * Rate limits are token buckets per key: `rate` tokens a second up to
 * `burst`; a request takes one.
 */
#include "serve/serve_int.h"
#include "util/error.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ward/digest.h>

static const char *const scope_names[] = {"match", "submit", "review", "admin", "lookup"};

ward_status ward_scopes_parse(const char *text, unsigned *scopes, ward_error *err)
{
    *scopes = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",");
        unsigned bit = 0;
        for (int i = 0; i < 5; i++)
            if (strlen(scope_names[i]) == n && strncmp(p, scope_names[i], n) == 0)
                bit = 1u << i;
        if (n == 3 && strncmp(p, "all", 3) == 0)
            bit = 0x1f;
        if (!bit)
            return err_fail(err, WARD_EINVAL,
                             "unknown scope '%.*s' (scopes: match, submit, review, admin, lookup, all)",
                             (int)n, p);
        *scopes |= bit;
        p += n + (p[n] == ',');
    }
    if (!*scopes)
        return err_fail(err, WARD_EINVAL, "no scope given");
    return WARD_OK;
}

const char *ward_scopes_format(unsigned scopes, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < 5; i++)
        if (scopes & (1u << i))
            used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s%s",
                                     used ? "," : "", scope_names[i]);
    return buf;
}

static void secret_digest(const char *secret, uint8_t out[32])
{
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    ward_digests dg = {0};
    if (d) {
        ward_digester_update(d, secret, strlen(secret));
        ward_digester_final(d, &dg);
    }
    ward_digester_free(d);
    memcpy(out, dg.sha256, 32);
}

/* "wk_<id>_<secret>" -> id and secret; 0 on success. */
static int split_token(const char *token, char id[24], const char **secret)
{
    if (strncmp(token, "wk_", 3) != 0)
        return -1;
    const char *us = strchr(token + 3, '_');
    if (!us || us - (token + 3) >= 24 || us == token + 3 || !us[1])
        return -1;
    memcpy(id, token + 3, (size_t)(us - (token + 3)));
    id[us - (token + 3)] = 0;
    *secret = us + 1;
    return 0;
}

ward_status ward_apikey_create(const char *datadir, const char *store_url, const char *key_file,
                               const char *name, unsigned scopes, double rate, double burst,
                               const char *who, char token[WARD_APIKEY_TOKEN_MAX], ward_error *err)
{
    if (!name || !*name || !scopes || !(rate >= 0.001) || !(burst >= 1))
        return err_fail(err, WARD_EINVAL,
                         "a key needs a name, a scope, a rate of at least 0.001/s and a burst >= 1");
    if (sodium_init() < 0)
        return err_fail(err, WARD_EINTERNAL, "libsodium failed to initialise");
    uint8_t idb[4], sec[32];
    randombytes_buf(idb, sizeof idb);
    randombytes_buf(sec, sizeof sec);
    char id[24] = "k", idhex[9], sechex[65];
    ward_hex(idb, 4, idhex);
    ward_hex(sec, 32, sechex);
    strcat(id, idhex);
    uint8_t sha[32];
    secret_digest(sechex, sha);
    svc_state *s;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc != WARD_OK)
        return rc;
    rc = svc_key_create(s, id, name, sha, scopes, rate, burst, who, err);
    svc_close(s);
    if (rc == WARD_OK)
        snprintf(token, WARD_APIKEY_TOKEN_MAX, "wk_%s_%s", id, sechex);
    sodium_memzero(sec, sizeof sec);
    sodium_memzero(sechex, sizeof sechex);
    return rc;
}

ward_status ward_apikey_list(const char *datadir, const char *store_url, const char *key_file,
                             int (*cb)(void *ctx, const ward_apikey *key), void *ctx,
                             ward_error *err)
{
    svc_state *s = NULL;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc == WARD_OK)
        rc = svc_keys_each(s, cb, ctx, err);
    svc_close(s);
    return rc;
}

ward_status ward_apikey_revoke(const char *datadir, const char *store_url, const char *key_file,
                               const char *id, const char *who, const char *reason, ward_error *err)
{
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "a revocation needs a reason");
    svc_state *s = NULL;
    ward_status rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (rc == WARD_OK)
        rc = svc_key_revoke(s, id, who, reason, err);
    svc_close(s);
    return rc;
}

/* ---- the server's cache ------------------------------------------------------ */

typedef struct bucket {
    double tokens;
    double last; /* monotonic seconds */
} bucket;

struct svc_auth {
    svc_state *state;
    pthread_mutex_t lock;
    svc_key *keys;
    bucket *buckets;
    size_t n;
    int64_t data_version; /* of service.db when the keys were read */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

svc_auth *svc_auth_new(svc_state *state)
{
    svc_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->state = state;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void svc_auth_free(svc_auth *a)
{
    if (!a)
        return;
    free(a->keys);
    free(a->buckets);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* Keep the bucket of a key that survives a refresh. */
static double old_tokens(const svc_auth *a, const svc_key *k, double now, double *last)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->keys[i].id, k->id) == 0) {
            *last = a->buckets[i].last;
            return a->buckets[i].tokens;
        }
    *last = now;
    return k->burst;
}

ward_status svc_auth_refresh(svc_auth *a, ward_error *err)
{
    svc_key *keys;
    size_t n;
    int64_t version = svc_data_version(a->state);
    ward_status rc = svc_keys_load(a->state, &keys, &n, err);
    if (rc != WARD_OK)
        return rc;
    bucket *b = n ? calloc(n, sizeof *b) : NULL;
    if (n && !b) {
        free(keys);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&a->lock);
    double now = mono_now();
    for (size_t i = 0; i < n; i++)
        b[i].tokens = old_tokens(a, &keys[i], now, &b[i].last);
    free(a->keys);
    free(a->buckets);
    a->keys = keys;
    a->buckets = b;
    a->n = n;
    a->data_version = version;
    pthread_mutex_unlock(&a->lock);
    return WARD_OK;
}

static long find_key(const svc_auth *a, const char *id)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->keys[i].id, id) == 0)
            return (long)i;
    return -1;
}

svc_auth_result svc_auth_check(svc_auth *a, const char *token, unsigned scope, char key_id[24],
                               unsigned *scopes, double *retry_after_s)
{
    const char *secret;
    key_id[0] = 0;
    if (!token || !*token)
        return AUTH_MISSING;
    if (split_token(token, key_id, &secret) != 0)
        return AUTH_BAD;
    uint8_t sha[32];
    secret_digest(secret, sha);
    /* Read before taking a->lock: the state connection may be busy for a
     * while, and auth must not queue every request behind it. */
    pthread_mutex_lock(&a->lock);
    long i = find_key(a, key_id);
    int64_t seen = a->data_version;
    pthread_mutex_unlock(&a->lock);
    if (i < 0 && svc_data_version(a->state) != seen)
        (void)svc_auth_refresh(a, NULL); /* a key added since the last tick; else the old list */
    pthread_mutex_lock(&a->lock);
    i = find_key(a, key_id);
    svc_auth_result r = AUTH_OK;
    if (i < 0 || sodium_memcmp(a->keys[i].secret_sha256, sha, 32) != 0) {
        r = AUTH_BAD;
    } else if (!(a->keys[i].scopes & scope)) {
        *scopes = a->keys[i].scopes;
        r = AUTH_SCOPE;
    } else {
        bucket *b = &a->buckets[i];
        double now = mono_now();
        b->tokens += (now - b->last) * a->keys[i].rate;
        if (b->tokens > a->keys[i].burst)
            b->tokens = a->keys[i].burst;
        b->last = now;
        *scopes = a->keys[i].scopes;
        if (b->tokens >= 1.0) {
            b->tokens -= 1.0;
        } else {
            r = AUTH_RATE;
            *retry_after_s = (1.0 - b->tokens) / a->keys[i].rate;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return r;
}
