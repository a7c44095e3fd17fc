#include "scan/jsonl.h"

#include <stdlib.h>
#include <string.h>

yajl_val jv_get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return obj ? yajl_tree_get(obj, path, yajl_t_any) : NULL;
}

const char *jv_str(yajl_val obj, const char *key)
{
    yajl_val v = jv_get(obj, key);
    return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

long long jv_int(yajl_val obj, const char *key, long long dflt)
{
    yajl_val v = jv_get(obj, key);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : dflt;
}

int jv_bool(yajl_val obj, const char *key) { return YAJL_IS_TRUE(jv_get(obj, key)); }

int jsonl_each(const char *path, long limit, int (*fn)(void *ctx, yajl_val v), void *ctx,
               long *bad)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long pos = 0;
    int rc = 0;
    while ((limit == 0 || pos < limit) && (n = getline(&line, &cap, f)) > 0) {
        pos += n;
        if (limit && pos > limit)
            break; /* a partial line past the checkpoint */
        yajl_val v = yajl_tree_parse(line, NULL, 0);
        if (!v) {
            if (bad) (*bad)++;
            continue;
        }
        rc = fn(ctx, v);
        yajl_tree_free(v);
        if (rc) break;
    }
    free(line);
    fclose(f);
    return rc;
}
