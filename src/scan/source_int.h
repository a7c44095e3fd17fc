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
    uint64_t spooled;       /* bytes in temporary files now (spool.c) */
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

/* Try the file `open_path` as a disk image, named `path` in the report;
 * 1 if it was one (and was read), 0 if not. claimed: the caller recognised
 * it as a disk image (a boot sector, a superblock...), so that nothing
 * readable in it is a notice, not a quiet "not a disk image". */
int src_disk_image(src_ctx *s, const char *open_path, const char *path, int depth, int claimed);

/* "VMDK", "VHD", "VHDX", "QCOW", "QCOW1", "VDI" from a file's first bytes
 * (a VHD needs its whole 512-byte footer copy, checksum valid), or NULL. */
const char *src_vdisk_format(const uint8_t *b, size_t n);
/* 1 when b (n >= 512) is a valid footer of a differencing VHD, one that needs its parent */
int src_vhd_differencing(const uint8_t *b, size_t n);
/* Whether a member whose first n bytes are `b` (of `size` bytes in all, 0
 * when not known yet) is a disk image to walk: E01, a virtual disk, or a
 * boot sector, partition table or superblock where one would be. */
int src_looks_like_disk(const uint8_t *b, size_t n, uint64_t size);
/* An E01 segment's number (1 for the .E01 itself), 0 if not EWF. */
int src_ewf_segment(const uint8_t *b, size_t n);

/* E01: hash the acquired media through libewf into it->acquired and
 * compare with the stored MD5/SHA-1; a mismatch or an unreadable media
 * stream is a notice. */
void src_ewf_check(src_ctx *s, const char *open_path, const char *path, int depth, ward_item *it);
int src_ewf_media(const char *open_path, ward_acquired *out, char *why, size_t cap);

/* A temporary copy of a member for TSK (spool.c). */
typedef struct spool {
    int fd;
    char tmp[4200];
    uint64_t len;
} spool;
/* 0 and an open spool, or -1 with a notice sent. */
int spool_open(src_ctx *s, spool *sp, const char *path, int depth);
/* -1 when the spool limit is hit or the write failed: a notice is sent
 * and the spool dropped (later writes do nothing). */
int spool_write(src_ctx *s, spool *sp, const uint8_t *b, size_t n, const char *path, int depth);
/* Walk the spooled disk image (checking an E01's media into `container`
 * when given), then delete it. */
void spool_walk(src_ctx *s, spool *sp, const char *path, int depth, ward_item *container);
void spool_drop(src_ctx *s, spool *sp);
/* A virtual disk TSK cannot read, through `qemu-img convert` to raw; 1 if walked. */
int src_vdisk_convert(src_ctx *s, const char *open_path, const char *fmt, const char *path, int depth);

#endif
