/*
 * Release manifests. A manifest is two lines:
 *     {"format":"ward-release/1","list":...}          the body, JSON
 *     ed25519 <key id> <base64 signature of the body line>
 * The signature covers the body's exact bytes (without its newline), so no
 * JSON canonicalisation is needed to verify it: parse only what verified.
 */
#include "release/rel_int.h"
#include "util/error.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

static const char FORMAT[] = "ward-release/1";

void rel_manifest_free(rel_manifest *m)
{
    if (!m)
        return;
    free(m->categories_json);
    free(m->sources_json);
    m->categories_json = m->sources_json = NULL;
}

static void gs(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gkv(yajl_gen g, const char *k, const char *v)
{
    gs(g, k);
    gs(g, v);
}

static void gki(yajl_gen g, const char *k, uint64_t v)
{
    gs(g, k);
    yajl_gen_integer(g, (long long)v);
}

/* Embedded JSON (already valid: we wrote it) as raw bytes. */
static void graw(yajl_gen g, const char *k, const char *json)
{
    gs(g, k);
    yajl_gen_number(g, json, strlen(json));
}

ward_status rel_manifest_sign(const rel_manifest *m, const ward_seckey *key, char **text,
                              size_t *n, ward_error *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    yajl_gen_map_open(g);
    gkv(g, "format", FORMAT);
    gkv(g, "list", m->list);
    gki(g, "version", m->version);
    gs(g, "parent");
    if (m->parent)
        yajl_gen_integer(g, (long long)m->parent);
    else
        yajl_gen_null(g);
    gkv(g, "created", m->created);
    graw(g, "sources", m->sources_json ? m->sources_json : "[]");
    gkv(g, "scheme", m->scheme);
    gkv(g, "kind", m->kind);
    gki(g, "entries", m->entries);
    graw(g, "categories", m->categories_json ? m->categories_json : "{}");
    gki(g, "conflicts", m->conflicts);
    gs(g, "full");
    yajl_gen_map_open(g);
    gkv(g, "sha256", m->full_sha256);
    gki(g, "bytes", m->full_bytes);
    yajl_gen_map_close(g);
    if (m->delta_from) {
        gs(g, "delta");
        yajl_gen_map_open(g);
        gki(g, "from", m->delta_from);
        gkv(g, "sha256", m->delta_sha256);
        gki(g, "bytes", m->delta_bytes);
        gki(g, "added", m->delta_added);
        gki(g, "removed", m->delta_removed);
        yajl_gen_map_close(g);
    }
    if (m->series_sha256[0]) {
        /* Optional member: a reader that predates it ignores it and reads
         * the release as before, so the format stays ward-release/1. */
        gs(g, "series");
        yajl_gen_map_open(g);
        gkv(g, "sha256", m->series_sha256);
        gki(g, "bytes", m->series_bytes);
        yajl_gen_map_close(g);
    }
    gkv(g, "key", key->pub.id);
    yajl_gen_map_close(g);
    const unsigned char *body;
    size_t blen;
    yajl_gen_get_buf(g, &body, &blen);
    uint8_t sig[WARD_KEY_SIG_BYTES];
    ward_key_sign(key, body, blen, sig);
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    char *out = rel_fmt("%.*s\ned25519 %s %s\n", (int)blen, (const char *)body, key->pub.id, b64);
    yajl_gen_free(g);
    if (!out)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    *text = out;
    *n = strlen(out);
    return WARD_OK;
}

static const char *jstr(yajl_val v, const char *a, const char *b)
{
    const char *path[] = {a, b, NULL};
    yajl_val x = yajl_tree_get(v, path, yajl_t_string);
    return x ? YAJL_GET_STRING(x) : NULL;
}

static int juint(yajl_val v, const char *a, const char *b, uint64_t *out)
{
    const char *path[] = {a, b, NULL};
    yajl_val x = yajl_tree_get(v, path, yajl_t_number);
    if (!x || !YAJL_IS_INTEGER(x) || YAJL_GET_INTEGER(x) < 0)
        return -1;
    *out = (uint64_t)YAJL_GET_INTEGER(x);
    return 0;
}

static int copy(char *dst, size_t cap, const char *src)
{
    if (!src || strlen(src) >= cap)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* The raw JSON text of member k of the body (an array or object we only
 * pass on): found by re-serialising it. */
static char *member_json(yajl_val v, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val x = yajl_tree_get(v, path, yajl_t_any);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    if (x && YAJL_IS_OBJECT(x)) {
        yajl_gen_map_open(g);
        for (size_t i = 0; i < x->u.object.len; i++) {
            gs(g, x->u.object.keys[i]);
            yajl_val c = x->u.object.values[i];
            yajl_gen_integer(g, YAJL_IS_INTEGER(c) ? YAJL_GET_INTEGER(c) : 0);
        }
        yajl_gen_map_close(g);
    } else {
        yajl_gen_array_open(g);
        for (size_t i = 0; x && YAJL_IS_ARRAY(x) && i < x->u.array.len; i++)
            if (YAJL_IS_STRING(x->u.array.values[i]))
                gs(g, YAJL_GET_STRING(x->u.array.values[i]));
        yajl_gen_array_close(g);
    }
    const unsigned char *buf;
    size_t n;
    yajl_gen_get_buf(g, &buf, &n);
    char *s = strndup((const char *)buf, n);
    yajl_gen_free(g);
    return s;
}

static ward_status parse_body(yajl_val v, rel_manifest *m, ward_error *err)
{
    const char *fmt = jstr(v, "format", NULL);
    if (!fmt || strcmp(fmt, FORMAT) != 0)
        return err_fail(err, WARD_EUNSUPPORTED, "manifest format '%s' is not %s",
                         fmt ? fmt : "(none)", FORMAT);
    const char *path[] = {"parent", NULL};
    yajl_val parent = yajl_tree_get(v, path, yajl_t_any);
    m->parent = 0;
    if (parent && !YAJL_IS_NULL(parent) && juint(v, "parent", NULL, &m->parent))
        return err_fail(err, WARD_EFORMAT, "manifest: bad parent");
    if (copy(m->list, sizeof m->list, jstr(v, "list", NULL)) ||
        juint(v, "version", NULL, &m->version) || m->version == 0 ||
        copy(m->created, sizeof m->created, jstr(v, "created", NULL)) ||
        copy(m->scheme, sizeof m->scheme, jstr(v, "scheme", NULL)) ||
        copy(m->kind, sizeof m->kind, jstr(v, "kind", NULL)) ||
        juint(v, "entries", NULL, &m->entries) ||
        juint(v, "conflicts", NULL, &m->conflicts) ||
        copy(m->full_sha256, sizeof m->full_sha256, jstr(v, "full", "sha256")) ||
        strlen(m->full_sha256) != 64 || juint(v, "full", "bytes", &m->full_bytes) ||
        copy(m->key_id, sizeof m->key_id, jstr(v, "key", NULL)))
        return err_fail(err, WARD_EFORMAT, "manifest: a required field is missing or bad");
    m->delta_from = 0;
    if (juint(v, "delta", "from", &m->delta_from) == 0 &&
        (copy(m->delta_sha256, sizeof m->delta_sha256, jstr(v, "delta", "sha256")) ||
         juint(v, "delta", "bytes", &m->delta_bytes) ||
         juint(v, "delta", "added", &m->delta_added) ||
         juint(v, "delta", "removed", &m->delta_removed)))
        return err_fail(err, WARD_EFORMAT, "manifest: bad delta");
    m->series_sha256[0] = 0;
    m->series_bytes = 0;
    const char *spath[] = {"series", NULL};
    if (yajl_tree_get(v, spath, yajl_t_any) &&
        (copy(m->series_sha256, sizeof m->series_sha256, jstr(v, "series", "sha256")) ||
         strlen(m->series_sha256) != 64 || juint(v, "series", "bytes", &m->series_bytes)))
        return err_fail(err, WARD_EFORMAT, "manifest: bad series");
    m->categories_json = member_json(v, "categories");
    m->sources_json = member_json(v, "sources");
    if (!m->categories_json || !m->sources_json)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    return WARD_OK;
}

ward_status rel_manifest_parse(const char *text, size_t n, const ward_pubkey *key,
                               rel_manifest *m, ward_error *err)
{
    memset(m, 0, sizeof *m);
    const char *nl = memchr(text, '\n', n);
    if (!nl)
        return err_fail(err, WARD_EFORMAT, "manifest is truncated (no signature line)");
    size_t blen = (size_t)(nl - text);
    char alg[16], id[40], b64[128];
    if (sscanf(nl + 1, "%15s %39s %127s", alg, id, b64) != 3 || strcmp(alg, "ed25519") != 0)
        return err_fail(err, WARD_EFORMAT, "manifest has no ed25519 signature line");
    if (key) {
        uint8_t sig[WARD_KEY_SIG_BYTES];
        size_t slen = 0;
        if (sodium_init() < 0 ||
            sodium_base642bin(sig, sizeof sig, b64, strlen(b64), NULL, &slen, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 || slen != sizeof sig)
            return err_fail(err, WARD_EFORMAT, "manifest signature is not valid base64");
        if (strcmp(id, key->id) != 0)
            return err_fail(err, WARD_EFORMAT,
                             "manifest is signed by key %s, not by the trusted key %s", id,
                             key->id);
        if (!ward_key_verify(key, text, blen, sig))
            return err_fail(err, WARD_EFORMAT,
                             "manifest signature does not verify with key %s: the manifest "
                             "was altered or not signed by that key", key->id);
    }
    char *body = strndup(text, blen);
    if (!body)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    char ebuf[128];
    yajl_val v = yajl_tree_parse(body, ebuf, sizeof ebuf);
    free(body);
    if (!v || !YAJL_IS_OBJECT(v)) {
        yajl_tree_free(v);
        return err_fail(err, WARD_EFORMAT, "manifest body is not a JSON object");
    }
    ward_status rc = parse_body(v, m, err);
    yajl_tree_free(v);
    if (rc == WARD_OK && strcmp(m->key_id, id) != 0)
        rc = err_fail(err, WARD_EFORMAT, "manifest names key %s but is signed by %s",
                       m->key_id, id);
    if (rc)
        rel_manifest_free(m);
    return rc;
}

ward_status rel_manifest_load(const char *path, const ward_pubkey *key, rel_manifest *m,
                              ward_error *err)
{
    char *text;
    size_t n;
    ward_status rc = rel_read_file(path, 1 << 20, &text, &n, err);
    if (rc)
        return rc;
    rc = rel_manifest_parse(text, n, key, m, err);
    free(text);
    return rc;
}
