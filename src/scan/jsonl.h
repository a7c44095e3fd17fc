/* Reading ward's own JSON-lines outputs back (resume, reports). */
#ifndef WARD_SCAN_JSONL_H
#define WARD_SCAN_JSONL_H
#include <stdio.h>
#include <yajl/yajl_tree.h>

/* Calls fn for each parsed line of `path` up to `limit` bytes (0: all).
 * Lines that do not parse are counted in *bad. Returns -1 if unreadable. */
int jsonl_each(const char *path, long limit, int (*fn)(void *ctx, yajl_val v), void *ctx,
               long *bad);
const char *jv_str(yajl_val obj, const char *key);
long long jv_int(yajl_val obj, const char *key, long long dflt);
int jv_bool(yajl_val obj, const char *key);
yajl_val jv_get(yajl_val obj, const char *key);
#endif
