/* Rebuilding the scan's running state from the files.jsonl prefix that a
 * checkpoint vouches for. */
#include "scan/jsonl.h"
#include "scan/scan_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <string.h>
#include <ward/digest.h>

typedef struct replay {
    ward_scan_progress *p;
    dup_table *dups;
    strbuf raw;  /* unescaped path: the engine keys duplicates by raw name */
} replay;

static int on_record(void *ctx, yajl_val v)
{
    replay *r = ctx;
    const char *cls = jv_str(v, "class");
    int verdict = cls ? scan_verdict_parse(cls) : -1;
    if (verdict < 0)
        return 0;
    r->p->files++;
    r->p->counts[verdict]++;
    long long size = jv_int(v, "size", 0);
    r->p->bytes += (uint64_t)(size > 0 ? size : 0);
    if (!jv_bool(v, "in_container"))
        r->p->host_bytes_done += (uint64_t)(size > 0 ? size : 0);
    uint8_t key[32] = {0};
    const char *hex = jv_str(v, "sha256");
    int ok = hex && ward_unhex(hex, strlen(hex), key, 32) == WARD_OK;
    if (!ok && (hex = jv_str(v, "sha1"))) ok = ward_unhex(hex, strlen(hex), key, 20) == WARD_OK;
    if (!ok && (hex = jv_str(v, "md5"))) ok = ward_unhex(hex, strlen(hex), key, 16) == WARD_OK;
    const char *path = jv_str(v, "path");
    if (ok && path && !jv_get(v, "duplicate_of") &&
        esc_unescape_name(&r->raw, path, strlen(path)))
        dup_check(r->dups, key, r->raw.s);
    return 0;
}

ward_status scan_replay_files(const char *path, uint64_t offset, ward_scan_progress *p,
                              dup_table *dups, ward_error *err)
{
    replay r = {p, dups, {0}};
    long bad = 0;
    if (offset == 0)
        return WARD_OK;
    int rc = jsonl_each(path, (long)offset, on_record, &r, &bad);
    strbuf_free(&r.raw);
    if (rc < 0)
        return err_fail(err, WARD_EIO, "cannot read %s to resume", path);
    if (bad)
        return err_fail(err, WARD_EFORMAT, "%s: %ld damaged lines before the checkpoint", path, bad);
    return WARD_OK;
}
