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
