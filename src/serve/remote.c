/*
 * Federated lookup over the match API (remote.h), with libcurl.
 */
#include <ward/remote.h>
#include "serve/serve_int.h"
#include "util/error.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct body {
    char *s;
    size_t len;
    size_t limit;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    body *b = arg;
    size_t add = size * n;
    if (b->len + add > b->limit)
        return 0; /* a reply this large is not a match answer: abort */
    char *s = realloc(b->s, b->len + add + 1);
    if (!s)
        return 0;
    memcpy(s + b->len, p, add);
    b->s = s;
    b->len += add;
    s[b->len] = 0;
    return add;
}

static char *request_json(const char *const *hashes, size_t n, int radius)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_map_open(g);
    jw_key(g, "hashes");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++)
        jw_str(g, hashes[i]);
    yajl_gen_array_close(g);
    if (radius >= 0)
        jw_kv_int(g, "radius", radius);
    jw_kv_bool(g, "record_event", 0);
    yajl_gen_map_close(g);
    char *s = jw_take(g, NULL);
    yajl_gen_free(g);
    return s;
}

static ward_status post(const char *url, const char *json, const ward_remote_opts *o, body *out,
                        long *status, ward_error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return err_fail(err, WARD_ENOMEM, "cannot start libcurl");
    char full[2048], auth[256];
    size_t ul = strlen(url);
    snprintf(full, sizeof full, "%.*s/v1/match", (int)(ul && url[ul - 1] == '/' ? ul - 1 : ul), url);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->api_key);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, auth);
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (o->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return err_fail(err, WARD_EIO, "%s: %s", full, cerr[0] ? cerr : curl_easy_strerror(rc));
    return WARD_OK;
}

static ward_status peer_refused(yajl_val root, long status, ward_error *err)
{
    yajl_val e = jv_get(root, "error");
    return err_fail(err, WARD_EINVAL, "peer refused the lookup (HTTP %ld): %s", status,
                     jv_str(e, "message") ? jv_str(e, "message") : "no reason given");
}

static int deliver(yajl_val result, int (*cb)(void *, const char *, const ward_remote_hit *),
                   void *ctx)
{
    const char *q = jv_str(result, "hash");
    yajl_val m = jv_get(result, "matches");
    if (!q || !m || !YAJL_IS_ARRAY(m))
        return -1;
    if (m->u.array.len == 0)
        return cb(ctx, q, NULL) ? 1 : 0;
    for (size_t i = 0; i < m->u.array.len; i++) {
        yajl_val v = m->u.array.values[i];
        yajl_val d = jv_get(v, "distance");
        ward_remote_hit hit = {
            .list = jv_str(v, "list"), .category = jv_str(v, "category"),
            .category_label = jv_str(v, "category_label"), .category_class = jv_str(v, "class"),
            .series = jv_str(v, "series"), .kind = jv_str(v, "kind"), .hash = jv_str(v, "hash"),
            .distance = d && YAJL_IS_INTEGER(d) ? (int)YAJL_GET_INTEGER(d) : 0};
        if (cb(ctx, q, &hit))
            return 1;
    }
    return 0;
}

ward_status ward_remote_lookup(const char *url, const char *const *hashes, size_t n,
                               const ward_remote_opts *o,
                               int (*cb)(void *ctx, const char *query, const ward_remote_hit *hit),
                               void *ctx, ward_error *err)
{
    if (!o || !o->api_key || !*o->api_key)
        return err_fail(err, WARD_EINVAL, "a remote lookup needs the peer's API key");
    char *json = request_json(hashes, n, o->radius);
    if (!json)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    body b = {.limit = 64u << 20};
    long status = 0;
    ward_status rc = post(url, json, o, &b, &status, err);
    free(json);
    char ebuf[128];
    /* A hostile peer must not crash us with a deeply nested reply. */
    int shallow = b.s && jw_depth_ok(b.s, b.len, SVC_JSON_MAX_DEPTH);
    yajl_val root = rc == WARD_OK && shallow ? yajl_tree_parse(b.s, ebuf, sizeof ebuf) : NULL;
    if (rc == WARD_OK && !root)
        rc = err_fail(err, WARD_EFORMAT, "%s answered HTTP %ld with something that is not "
                       "ward's JSON", url, status);
    else if (rc == WARD_OK && status != 200)
        rc = peer_refused(root, status, err);
    yajl_val results = rc == WARD_OK ? jv_get(root, "results") : NULL;
    if (rc == WARD_OK && (!results || !YAJL_IS_ARRAY(results)))
        rc = err_fail(err, WARD_EFORMAT, "%s: the reply has no results", url);
    for (size_t i = 0; rc == WARD_OK && i < results->u.array.len; i++) {
        int r = deliver(results->u.array.values[i], cb, ctx);
        if (r < 0)
            rc = err_fail(err, WARD_EFORMAT, "%s: result %zu is malformed", url, i);
        if (r)
            break;
    }
    yajl_tree_free(root);
    free(b.s);
    return rc;
}
