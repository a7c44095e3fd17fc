/* Internal: shared machinery of the source readers (source.c, archive.c, disk.c). */
#ifndef WARD_SCAN_SOURCE_INT_H
#define WARD_SCAN_SOURCE_INT_H

#include <stdarg.h>
#include <sys/types.h>
#include <ward/source.h>

typedef struct src_ctx {
    const ward_source_opts *opts;
    ward_item_fn fn;
    void *ctx;
    int stop;               /* the callback asked to stop */
    ward_digester *dg;      /* for members too big to buffer; created lazily */
    ward_status fatal;      /* WARD_ENOMEM aborts the whole source */
} src_ctx;

/* Expansion budget of one container: bytes it may still produce. */
typedef struct budget {
    uint64_t left;
    int exceeded;
} budget;

/* Reads up to n bytes of the current member; 0 at its end, -1 on error
 * (then *why holds a message). */
typedef ssize_t (*member_read_fn)(void *rctx, uint8_t *buf, size_t n, const char **why);

void src_emit(src_ctx *s, ward_item *item);
void src_notice(src_ctx *s, ward_item_kind kind, const char *path, int depth,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "parent!/name", or NULL (and a LIMIT notice) when over max_path. */
char *src_member_path(src_ctx *s, const char *parent, const char *name, int depth);

/* Read one member to its end and yield it (DATA, or DIGESTED when large),
 * opening it first as a container if it is one. `proto` carries times and
 * the deleted flag. `b` may be NULL (no expansion budget, e.g. disk files). */
void src_member(src_ctx *s, const char *path, uint64_t declared, member_read_fn rd,
                void *rctx, int depth, const ward_item *proto, budget *b);

/* Open `buf` (len bytes) or file descriptor `fd` as an archive and yield its
 * members at depth+1. `compressed` sizes the expansion budget. */
void src_archive_mem(src_ctx *s, const uint8_t *buf, size_t len, const char *path, int depth);
void src_archive_fd(src_ctx *s, int fd, uint64_t compressed, const char *path, int depth);

/* Try `path` as a disk image; 1 if it was one (and was read), 0 if not. */
int src_disk_image(src_ctx *s, const char *path, int depth);

#endif
