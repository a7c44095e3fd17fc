/*
 * Source dispatch: walk the host tree, and for every regular file decide from
 * its first bytes whether it is also a container to open.
 */
#include "scan/source_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ward/walk.h>

void ward_source_opts_default(ward_source_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_depth = 5;
    o->max_ratio = 100;
    o->max_member = 4ull << 30;
    o->max_buffer = 64ull << 20;
    o->max_path = 4096;
    o->open_archives = 1;
    o->open_disk_images = 1;
    o->digests = WARD_DIGEST_ALL;
    o->max_spool = 4ull << 30;
}

ward_container_type ward_container_sniff(const uint8_t *b, size_t n)
{
    if (n >= 8 && memcmp(b, "EVF\x09\x0d\x0a\xff\x00", 8) == 0) return WARD_CONTAINER_EWF;
    if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) return WARD_CONTAINER_ARCHIVE;
    if (n >= 4 && memcmp(b, "PK\x05\x06", 4) == 0) return WARD_CONTAINER_ARCHIVE; /* empty zip */
    if (n >= 6 && memcmp(b, "7z\xbc\xaf\x27\x1c", 6) == 0) return WARD_CONTAINER_ARCHIVE;
    if (n >= 6 && memcmp(b, "Rar!\x1a\x07", 6) == 0) return WARD_CONTAINER_ARCHIVE;
    if (n >= 262 && memcmp(b + 257, "ustar", 5) == 0) return WARD_CONTAINER_ARCHIVE;
    if (n >= 6 && (memcmp(b, "070707", 6) == 0 || memcmp(b, "070701", 6) == 0)) return WARD_CONTAINER_ARCHIVE;
    if (n >= 32774 && memcmp(b + 32769, "CD001", 5) == 0) return WARD_CONTAINER_ARCHIVE;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return WARD_CONTAINER_COMPRESSED;
    if (n >= 3 && memcmp(b, "BZh", 3) == 0) return WARD_CONTAINER_COMPRESSED;
    if (n >= 6 && memcmp(b, "\xfd" "7zXZ\x00", 6) == 0) return WARD_CONTAINER_COMPRESSED;
    if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0) return WARD_CONTAINER_COMPRESSED;
    if (src_vdisk_format(b, n)) return WARD_CONTAINER_VDISK;
    return WARD_CONTAINER_NONE;
}

/* A VHD footer: the cookie "conectix" and, at offset 64, the one's
 * complement of the sum of the footer's other bytes (Microsoft's VHD
 * specification). The cookie alone is eight printable bytes that a tar
 * member's name can begin with; taken for a VHD, such a tar went to
 * libvhdi, which refused it, and TSK leaked its handle. */
static int vhd_footer_valid(const uint8_t *b, size_t n)
{
    if (n < 512 || memcmp(b, "conectix", 8) != 0)
        return 0;
    uint32_t sum = 0;
    for (size_t i = 0; i < 512; i++)
        if (i < 64 || i >= 68)
            sum += b[i];
    uint32_t stored = (uint32_t)b[64] << 24 | (uint32_t)b[65] << 16 | (uint32_t)b[66] << 8 | b[67];
    return stored == ~sum;
}

int src_vhd_differencing(const uint8_t *b, size_t n)
{
    /* disk type, big-endian at offset 60: 2 fixed, 3 dynamic, 4 differencing */
    return vhd_footer_valid(b, n) && b[60] == 0 && b[61] == 0 && b[62] == 0 && b[63] == 4;
}

const char *src_vdisk_format(const uint8_t *b, size_t n)
{
    if (n >= 4 && memcmp(b, "KDMV", 4) == 0) return "VMDK";           /* sparse extent */
    if (vhd_footer_valid(b, n)) return "VHD";                         /* dynamic: footer copy first */
    if (n >= 8 && memcmp(b, "vhdxfile", 8) == 0) return "VHDX";
    if (n >= 8 && memcmp(b, "QFI\xfb\x00\x00\x00", 7) == 0) return b[7] == 1 ? "QCOW1" : "QCOW";
    if (n >= 68 && memcmp(b + 64, "\x7f\x10\xda\xbe", 4) == 0) return "VDI";
    return NULL;
}

void src_emit(src_ctx *s, ward_item *item)
{
    if (s->stop) {
        free(item->data);
        return;
    }
    s->stop = s->fn(s->ctx, item);
}

void src_notice(src_ctx *s, ward_item_kind kind, const char *path, int depth,
                const char *fmt, ...)
{
    ward_item it = {.kind = kind, .path = (char *)path, .depth = depth};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it.message, sizeof it.message, fmt, ap);
    va_end(ap);
    src_emit(s, &it);
}

char *src_member_path(src_ctx *s, const char *parent, const char *name, int depth)
{
    size_t len = strlen(parent) + 2 + strlen(name);
    if ((int)len > s->opts->max_path) {
        src_notice(s, WARD_ITEM_LIMIT, parent, depth,
                   "member path of %zu bytes over the %d-byte limit, not read", len,
                   s->opts->max_path);
        return NULL;
    }
    char *p = malloc(len + 1);
    if (!p) {
        s->fatal = WARD_ENOMEM;
        s->stop = 1;
        return NULL;
    }
    snprintf(p, len + 1, "%s!/%s", parent, name);
    return p;
}

/* A boot sector, partition table or file-system superblock where one
 * would be: worth handing a file found inside a folder to TSK. (A file the
 * user names directly is always tried.) size 0: not known yet (a member
 * streaming past). */
static int looks_like_volume(const uint8_t *b, size_t n, uint64_t size)
{
    if ((size && (size % 512 != 0 || size < 64 * 1024)) || n < 2048)
        return 0;
    return (b[510] == 0x55 && b[511] == 0xaa) ||           /* MBR, FAT, NTFS boot sector */
           memcmp(b + 512, "EFI PART", 8) == 0 ||          /* GPT */
           (b[1080] == 0x53 && b[1081] == 0xef) ||          /* ext2/3/4 */
           memcmp(b + 1024, "H+", 2) == 0 || memcmp(b + 1024, "HX", 2) == 0 || /* HFS+ */
           memcmp(b + 32, "NXSB", 4) == 0 ||               /* APFS container */
           memcmp(b, "XFSB", 4) == 0;
}

int src_looks_like_disk(const uint8_t *b, size_t n, uint64_t size)
{
    ward_container_type t = ward_container_sniff(b, n);
    /* a later segment of a split E01 is read with the first (if it can be) */
    if (t == WARD_CONTAINER_EWF && src_ewf_segment(b, n) > 1)
        return 0;
    return t == WARD_CONTAINER_EWF || t == WARD_CONTAINER_VDISK ||
           (t == WARD_CONTAINER_NONE && looks_like_volume(b, n, size));
}

int src_ewf_segment(const uint8_t *b, size_t n)
{
    return n >= 11 && ward_container_sniff(b, n) == WARD_CONTAINER_EWF ? b[9] | b[10] << 8 : 0;
}

/* Container check for a host file: read its first bytes. *volume is set
 * when an unrecognised file looks like a disk image, *segment to an E01's
 * segment number. */
static ward_container_type sniff_fd(int fd, uint64_t size, int *volume, int *segment)
{
    uint8_t head[32776];
    ssize_t n = pread(fd, head, sizeof head, 0);
    *volume = n > 0 && looks_like_volume(head, (size_t)n, size);
    *segment = n > 0 ? src_ewf_segment(head, (size_t)n) : 0;
    return n > 0 ? ward_container_sniff(head, (size_t)n) : WARD_CONTAINER_NONE;
}

/* A later segment of a split E01 (.E02, .E03, ...) is read with the first
 * one, which libewf finds it from: walking it too would list every file of
 * the image once per segment. Only when the first segment is not beside it
 * is it worth a word. */
static int later_segment(src_ctx *s, const char *path, int segment)
{
    if (segment <= 1)
        return 0;
    size_t n = strlen(path);
    char *first = strdup(path);
    int found = 0;
    if (first && n > 4 && first[n - 4] == '.') {
        static const char *const ext[] = {"E01", "e01", "Ex01", "ex01"};
        first[n - 3] = 0;
        char buf[4200];
        for (size_t i = 0; i < 4 && !found; i++) {
            snprintf(buf, sizeof buf, "%s%s", first, ext[i]);
            found = access(buf, F_OK) == 0;
        }
    }
    free(first);
    if (!found)
        src_notice(s, WARD_ITEM_ERROR, path, 0,
                   "segment %d of an E01 whose first segment is not beside it: not walked",
                   segment);
    return 1;
}

static void host_file(src_ctx *s, const char *path, const struct stat *st, int is_root)
{
    ward_item it = {.kind = WARD_ITEM_FILE, .path = (char *)path, .fs_path = (char *)path,
                    .len = (uint64_t)st->st_size, .mtime = st->st_mtime,
                    .atime = st->st_atime, .ctime = st->st_ctime};
    int fd = -1;
    if ((S_ISREG(st->st_mode) || S_ISBLK(st->st_mode)) &&
        (s->opts->open_archives || s->opts->open_disk_images))
        fd = ward_open_evidence(path); /* on failure the worker reports it for the file */
    int volume = 0, segment = 0;
    ward_container_type t = fd >= 0 ? sniff_fd(fd, (uint64_t)st->st_size, &volume, &segment)
                                    : WARD_CONTAINER_NONE;
    int disk = s->opts->open_disk_images &&
               (t == WARD_CONTAINER_EWF || t == WARD_CONTAINER_VDISK ||
                ((is_root || volume) && t == WARD_CONTAINER_NONE));
    /* The acquired media's digests go in the E01's own record, which comes
     * before the records of the files inside. */
    if (disk && t == WARD_CONTAINER_EWF && later_segment(s, path, segment))
        disk = 0;
    if (disk && t == WARD_CONTAINER_EWF)
        src_ewf_check(s, path, path, 0, &it);
    src_emit(s, &it);
    if (s->stop || fd < 0) {
        if (fd >= 0) close(fd);
        return;
    }
    if ((t == WARD_CONTAINER_ARCHIVE || t == WARD_CONTAINER_COMPRESSED) && s->opts->open_archives) {
        if (s->opts->max_depth < 1)
            src_notice(s, WARD_ITEM_LIMIT, path, 0, "nesting depth %d reached, archive not opened",
                       s->opts->max_depth);
        else
            src_archive_fd(s, fd, (uint64_t)st->st_size, path, 0);
    } else if (disk) {
        src_disk_image(s, path, path, 0, volume || t != WARD_CONTAINER_NONE);
    }
    close(fd);
}

static int on_walk(void *ctx, const char *path, const struct stat *st,
                   ward_walk_event ev, const ward_error *err)
{
    src_ctx *s = ctx;
    switch (ev) {
    case WARD_WALK_FILE: host_file(s, path, st, 0); break;
    case WARD_WALK_ERROR: src_notice(s, WARD_ITEM_ERROR, path, 0, "%s", err->message); break;
    case WARD_WALK_SYMLINK: src_notice(s, WARD_ITEM_SKIPPED, path, 0, "symbolic link, not followed"); break;
    case WARD_WALK_SPECIAL: src_notice(s, WARD_ITEM_SKIPPED, path, 0, "special file, not read"); break;
    case WARD_WALK_CYCLE: src_notice(s, WARD_ITEM_SKIPPED, path, 0, "directory cycle, not followed"); break;
    }
    return s->stop;
}

ward_status ward_source_read(const char *root, const ward_source_opts *opts,
                             ward_item_fn fn, void *ctx, ward_error *err)
{
    ward_source_opts defaults;
    if (!opts) {
        ward_source_opts_default(&defaults);
        opts = &defaults;
    }
    src_ctx s = {.opts = opts, .fn = fn, .ctx = ctx};
    struct stat st;
    ward_status rc = WARD_OK;
    if (stat(root, &st) != 0) {
        src_notice(&s, WARD_ITEM_ERROR, root, 0, "cannot stat: %s", strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        /* A single file named by the user: it may be a disk image. */
        host_file(&s, root, &st, 1);
    } else {
        ward_walk_opts w = {.follow_symlinks = opts->follow_symlinks};
        rc = ward_walk(root, &w, on_walk, &s, NULL);
    }
    ward_digester_free(s.dg);
    if (rc == WARD_OK && s.fatal != WARD_OK)
        rc = s.fatal;
    if (rc != WARD_OK)
        return err_fail(err, rc, "%s: %s while reading the source", root, ward_status_str(rc));
    return WARD_OK;
}
