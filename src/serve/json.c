/*
 * Small helpers over yajl's generator and tree for the service's JSON. The
 * service never re-types a client's strings: jw_value copies them byte for
 * byte, so an IP address or a timestamp with its zone comes back as sent.
 */
#include "serve/serve_int.h"

#include <stdlib.h>
#include <string.h>

void jw_str(yajl_gen g, const char *s)
{
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}

void jw_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void jw_kv_str(yajl_gen g, const char *k, const char *v)
{
    jw_key(g, k);
    jw_str(g, v);
}

void jw_kv_int(yajl_gen g, const char *k, long long v)
{
    jw_key(g, k);
    yajl_gen_integer(g, v);
}

void jw_kv_bool(yajl_gen g, const char *k, int v)
{
    jw_key(g, k);
    yajl_gen_bool(g, v != 0);
}

void jw_value(yajl_gen g, yajl_val v)
{
    if (!v) {
        yajl_gen_null(g);
    } else if (YAJL_IS_STRING(v)) {
        jw_str(g, v->u.string);
    } else if (YAJL_IS_NUMBER(v)) {
        /* r keeps the number's text as it was written */
        yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    } else if (YAJL_IS_OBJECT(v)) {
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            jw_key(g, v->u.object.keys[i]);
            jw_value(g, v->u.object.values[i]);
        }
        yajl_gen_map_close(g);
    } else if (YAJL_IS_ARRAY(v)) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            jw_value(g, v->u.array.values[i]);
        yajl_gen_array_close(g);
    } else if (YAJL_IS_TRUE(v)) {
        yajl_gen_bool(g, 1);
    } else if (YAJL_IS_FALSE(v)) {
        yajl_gen_bool(g, 0);
    } else {
        yajl_gen_null(g);
    }
}

char *jw_value_text(yajl_val v)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    jw_value(g, v);
    char *s = jw_take(g, NULL);
    yajl_gen_free(g);
    return s;
}

char *jw_take(yajl_gen g, size_t *len)
{
    const unsigned char *buf;
    size_t n;
    yajl_gen_get_buf(g, &buf, &n);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, buf, n);
        out[n] = 0;
    }
    if (len)
        *len = n;
    yajl_gen_clear(g);
    return out;
}

int jw_depth_ok(const char *text, size_t len, int max_depth)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++; /* skip the escaped character */
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

/* ---- strict reading: a walk over the text with yajl's event parser ------------
 *
 * yajl's tree keeps strings as C strings, so a "\u0000" inside one cuts it
 * there, and it keeps both members of a duplicated key (readers then see
 * the first). Request bodies are therefore walked once more as events,
 * where each string comes with its length and each key can be compared
 * with its siblings: jw_check refuses NUL where it would cut a value and
 * any duplicate key; jw_copy_at copies a value with its strings byte for
 * byte (yajl_gen writes a NUL back as \u0000). */

#include <yajl/yajl_parse.h>

#define JW_PATH_MAX 1024

typedef struct jw_walk {
    char path[JW_PATH_MAX];     /* JSON pointer of the current value */
    size_t plen;
    int depth;
    size_t open_len[SVC_JSON_MAX_DEPTH + 2];  /* path length at each open container */
    long index[SVC_JSON_MAX_DEPTH + 2];       /* next element of an array, -1: a map */
    uint64_t serial[SVC_JSON_MAX_DEPTH + 2];  /* which map, for the key set */
    uint64_t maps;
    /* jw_check */
    const char *nul_ok;         /* strings under this pointer may hold NUL */
    uint64_t *seen;             /* open-addressed set of (map serial, key hash) */
    size_t seen_cap, seen_n;
    char msg[256];
    /* jw_copy_at */
    yajl_gen g;
    const char *want;
    int copying;                /* depth at which the copied container opened, 0: none */
    int found;
} jw_walk;

static void path_set(jw_walk *w, size_t at, const char *seg, size_t n)
{
    w->plen = at;
    if (at + 1 + n >= sizeof w->path) { /* too long to name: stop at the prefix */
        w->path[at] = 0;
        return;
    }
    w->path[at] = '/';
    memcpy(w->path + at + 1, seg, n);
    w->plen = at + 1 + n;
    w->path[w->plen] = 0;
}

/* Before a value: its path (array elements get their index). */
static void value_begins(jw_walk *w)
{
    if (w->depth > 0 && w->index[w->depth] >= 0) {
        char num[24];
        int n = snprintf(num, sizeof num, "%ld", w->index[w->depth]++);
        path_set(w, w->open_len[w->depth], num, (size_t)n);
    }
}

static int copy_here(jw_walk *w)
{
    return w->want && !w->copying && !w->found && strcmp(w->path, w->want) == 0;
}

static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static int scalar(jw_walk *w, int (*emit)(jw_walk *w, const void *a, size_t n), const void *a,
                  size_t n)
{
    value_begins(w);
    if (w->copying || copy_here(w)) {
        emit(w, a, n);
        if (!w->copying)
            w->found = 1;
    }
    return 1;
}

static int emit_null(jw_walk *w, const void *a, size_t n) { return yajl_gen_null(w->g); }
static int emit_bool(jw_walk *w, const void *a, size_t n) { return yajl_gen_bool(w->g, (int)n); }
static int emit_num(jw_walk *w, const void *a, size_t n) { return yajl_gen_number(w->g, a, n); }

static int on_null(void *c) { return scalar(c, emit_null, NULL, 0); }
static int on_bool(void *c, int b) { return scalar(c, emit_bool, NULL, (size_t)(b != 0)); }
static int on_number(void *c, const char *s, size_t n) { return scalar(c, emit_num, s, n); }

static int on_string(void *c, const unsigned char *s, size_t n)
{
    jw_walk *w = c;
    value_begins(w);
    if (w->nul_ok && memchr(s, 0, n) && !under(w->path, w->nul_ok)) {
        snprintf(w->msg, sizeof w->msg, "%s: holds U+0000 (NUL), which no hash, id or name "
                 "may contain", w->plen ? w->path : "/");
        return 0;
    }
    if (w->copying || copy_here(w)) {
        yajl_gen_string(w->g, s, n);
        if (!w->copying)
            w->found = 1;
    }
    return 1;
}

static int container_open(jw_walk *w, int map)
{
    value_begins(w);
    if (w->depth > SVC_JSON_MAX_DEPTH) {
        snprintf(w->msg, sizeof w->msg, "JSON nested deeper than %d levels", SVC_JSON_MAX_DEPTH);
        return 0;
    }
    if (copy_here(w))
        w->copying = w->depth + 1;
    if (w->copying)
        map ? yajl_gen_map_open(w->g) : yajl_gen_array_open(w->g);
    w->depth++;
    w->open_len[w->depth] = w->plen;
    w->index[w->depth] = map ? -1 : 0;
    w->serial[w->depth] = ++w->maps;
    return 1;
}

static int container_close(jw_walk *w, int map)
{
    if (w->copying)
        map ? yajl_gen_map_close(w->g) : yajl_gen_array_close(w->g);
    if (w->copying == w->depth) {
        w->copying = 0;
        w->found = 1;
    }
    w->plen = w->open_len[w->depth];
    w->path[w->plen] = 0;
    w->depth--;
    return 1;
}

static int on_start_map(void *c) { return container_open(c, 1); }
static int on_end_map(void *c) { return container_close(c, 1); }
static int on_start_array(void *c) { return container_open(c, 0); }
static int on_end_array(void *c) { return container_close(c, 0); }

/* FNV-1a of a key, mixed with its map's serial. */
static uint64_t key_hash(uint64_t serial, const unsigned char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ (serial * 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* Whether the key was seen in the same map; adds it. A 64-bit hash stands
 * for the key: a false "duplicate" needs a collision no client can aim at
 * without knowing the serials, and costs only a 400. -1: out of memory. */
static int key_seen(jw_walk *w, uint64_t h)
{
    if (w->seen_n * 2 >= w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap * 2 : 64;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < w->seen_cap; i++)
            for (size_t j = w->seen[i] % cap; w->seen[i]; j = (j + 1) % cap)
                if (!t[j]) {
                    t[j] = w->seen[i];
                    break;
                }
        free(w->seen);
        w->seen = t;
        w->seen_cap = cap;
    }
    for (size_t j = h % w->seen_cap;; j = (j + 1) % w->seen_cap) {
        if (w->seen[j] == h)
            return 1;
        if (!w->seen[j]) {
            w->seen[j] = h;
            w->seen_n++;
            return 0;
        }
    }
}

static int on_map_key(void *c, const unsigned char *s, size_t n)
{
    jw_walk *w = c;
    path_set(w, w->open_len[w->depth], (const char *)s, n);
    if (w->nul_ok) {
        const char *at = w->open_len[w->depth] ? w->path : "";
        char parent[JW_PATH_MAX];
        snprintf(parent, sizeof parent, "%.*s", (int)w->open_len[w->depth], at);
        if (memchr(s, 0, n)) {
            snprintf(w->msg, sizeof w->msg, "%s: a key holds U+0000 (NUL)",
                     parent[0] ? parent : "/");
            return 0;
        }
        int dup = key_seen(w, key_hash(w->serial[w->depth], s, n));
        if (dup) {
            snprintf(w->msg, sizeof w->msg, dup < 0 ? "out of memory"
                     : "%s: duplicate key \"%.*s\" (each key may appear once)",
                     parent[0] ? parent : "/", (int)(n > 64 ? 64 : n), (const char *)s);
            return 0;
        }
    }
    if (w->copying)
        yajl_gen_string(w->g, s, n);
    return 1;
}

static const yajl_callbacks walk_callbacks = {
    on_null, on_bool, NULL, NULL, on_number, on_string, on_start_map, on_map_key, on_end_map,
    on_start_array, on_end_array};

static int walk(jw_walk *w, const char *text, size_t len)
{
    yajl_handle h = yajl_alloc(&walk_callbacks, NULL, w);
    if (!h)
        return -1;
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st == yajl_status_error && !w->msg[0])
        snprintf(w->msg, sizeof w->msg, "not valid JSON");
    yajl_free(h);
    return st == yajl_status_ok ? 0 : -1;
}

int jw_check(const char *text, size_t len, const char *nul_ok_under, char *msg, size_t cap)
{
    jw_walk *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    w->nul_ok = nul_ok_under ? nul_ok_under : "\x01"; /* a pointer no path equals */
    int rc = walk(w, text, len);
    if (rc != 0)
        snprintf(msg, cap, "%s", w->msg[0] ? w->msg : "out of memory");
    free(w->seen);
    free(w);
    return rc;
}

int jw_copy_at(yajl_gen g, const char *text, size_t len, const char *pointer)
{
    jw_walk *w = calloc(1, sizeof *w);
    if (!w) {
        yajl_gen_null(g);
        return 0;
    }
    w->g = g;
    w->want = pointer;
    walk(w, text, len);
    int found = w->found;
    if (!found && !w->copying)
        yajl_gen_null(g);
    free(w);
    return found;
}

char *jw_text_at(const char *text, size_t len, const char *pointer)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    char *s = jw_copy_at(g, text, len, pointer) ? jw_take(g, NULL) : NULL;
    yajl_gen_free(g);
    return s;
}
