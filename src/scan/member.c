/*
 * Reading one member of a container, whatever the container. Small members
 * are buffered and handed over whole; large ones are digested as they stream
 * and handed over as digests. Members that are themselves containers are
 * opened (from the buffer) before they are handed over.
 */
#include "scan/source_int.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (256 * 1024)

/* Whether `total` bytes read of a member pass opts.max_member; if so the
 * LIMIT notice is sent and the caller stops reading it. */
static int over_max_member(src_ctx *s, const char *path, int depth, uint64_t total)
{
    if (total <= s->opts->max_member)
        return 0;
    src_notice(s, WARD_ITEM_LIMIT, path, depth, "member over %llu bytes, not read to the end",
               (unsigned long long)s->opts->max_member);
    return 1;
}

/* Read the rest of the member into the digester (and the spool, when
 * one is open); 0 ok, -1 error/limit (with a notice already sent). */
static int stream_rest(src_ctx *s, const char *path, member_read_fn rd, void *rctx,
                       int depth, budget *b, uint8_t *chunk, uint64_t *total, spool *sp)
{
    for (;;) {
        const char *why = NULL;
        ssize_t n = rd(rctx, chunk, CHUNK, &why);
        if (n < 0) {
            src_notice(s, WARD_ITEM_ERROR, path, depth, "read failed after %llu bytes: %s",
                       (unsigned long long)*total, why ? why : "unknown error");
            return -1;
        }
        if (n == 0)
            return 0;
        *total += (uint64_t)n;
        if (b && (uint64_t)n > b->left) {
            b->exceeded = 1;
            return -1;
        }
        if (b) b->left -= (uint64_t)n;
        if (over_max_member(s, path, depth, *total))
            return -1;
        ward_digester_update(s->dg, chunk, (size_t)n);
        spool_write(s, sp, chunk, (size_t)n, path, depth);
    }
}

/* A disk image inside a container: worth a spool? Past the nesting depth
 * it is named in a limit notice instead. */
static int disk_member(src_ctx *s, const uint8_t *buf, size_t len, uint64_t size,
                       const char *path, int depth)
{
    if (!s->opts->open_disk_images || !src_looks_like_disk(buf, len, size))
        return 0;
    if (depth >= s->opts->max_depth) {
        src_notice(s, WARD_ITEM_LIMIT, path, depth,
                   "nesting depth %d reached, disk image not walked", s->opts->max_depth);
        return 0;
    }
    return 1;
}

static void open_nested(src_ctx *s, const uint8_t *buf, size_t len, const char *path, int depth)
{
    ward_container_type t = ward_container_sniff(buf, len);
    if (t != WARD_CONTAINER_ARCHIVE && t != WARD_CONTAINER_COMPRESSED)
        return;
    if (depth >= s->opts->max_depth) {
        src_notice(s, WARD_ITEM_LIMIT, path, depth, "nesting depth %d reached, archive not opened",
                   s->opts->max_depth);
        return;
    }
    src_archive_mem(s, buf, len, path, depth);
}

void src_member(src_ctx *s, const char *path, uint64_t declared, member_read_fn rd,
                void *rctx, int depth, const ward_item *proto, budget *b)
{
    size_t cap = declared && declared <= s->opts->max_buffer ? (size_t)declared + 1 : CHUNK;
    if (b && cap > b->left + 1)
        cap = (size_t)b->left + 1;   /* never trust a declared size past the budget */
    if (cap < 4096) cap = 4096;
    uint8_t *buf = malloc(cap);
    if (!buf) { s->fatal = WARD_ENOMEM; s->stop = 1; return; }
    size_t len = 0;
    uint64_t total = 0;
    int big = 0;
    for (;;) {
        if (len == cap) {
            if (cap > s->opts->max_buffer) { big = 1; break; }
            size_t ncap = cap * 2;
            uint8_t *p = realloc(buf, ncap);
            if (!p) { free(buf); s->fatal = WARD_ENOMEM; s->stop = 1; return; }
            buf = p;
            cap = ncap;
        }
        const char *why = NULL;
        ssize_t n = rd(rctx, buf + len, cap - len, &why);
        if (n < 0) {
            src_notice(s, WARD_ITEM_ERROR, path, depth, "read failed after %llu bytes: %s",
                       (unsigned long long)len, why ? why : "unknown error");
            free(buf);
            return;
        }
        if (n == 0)
            break;
        if (b && (uint64_t)n > b->left) { b->exceeded = 1; free(buf); return; }
        if (b) b->left -= (uint64_t)n;
        len += (size_t)n;
        /* Checked here too: a max_member below max_buffer used to be
         * ignored, as only streamed members were measured against it. */
        if (over_max_member(s, path, depth, len)) { free(buf); return; }
    }
    total = len;
    ward_item it = *proto;
    it.path = (char *)path;
    it.depth = depth;
    it.message[0] = 0;
    if (big) {
        if (!s->dg && !(s->dg = ward_digester_new(s->opts->digests ? s->opts->digests : WARD_DIGEST_ALL))) {
            free(buf); s->fatal = WARD_ENOMEM; s->stop = 1; return;
        }
        ward_digester_update(s->dg, buf, len);
        spool sp = {.fd = -1};
        if (disk_member(s, buf, len, declared, path, depth) && spool_open(s, &sp, path, depth) == 0)
            spool_write(s, &sp, buf, len, path, depth);
        int rc = stream_rest(s, path, rd, rctx, depth, b, buf, &total, &sp);
        free(buf);
        ward_digester_final(s->dg, &it.digests);
        if (rc != 0) {
            spool_drop(s, &sp);
            return;
        }
        spool_walk(s, &sp, path, depth, &it);
        it.kind = WARD_ITEM_DIGESTED;
        it.len = total;
        src_emit(s, &it);
        return;
    }
    if (disk_member(s, buf, len, len, path, depth)) {
        spool sp;
        if (spool_open(s, &sp, path, depth) == 0 && spool_write(s, &sp, buf, len, path, depth) == 0)
            spool_walk(s, &sp, path, depth, &it);
    } else {
        open_nested(s, buf, len, path, depth);
    }
    it.kind = WARD_ITEM_DATA;
    it.data = buf;
    it.len = len;
    src_emit(s, &it);
}
