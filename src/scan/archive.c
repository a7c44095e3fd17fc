/*
 * Archives through libarchive, streamed: zip, tar (any compression), 7z, rar,
 * cpio, iso9660 and bare gzip/bzip2/xz/zstd streams. Nothing is extracted to
 * disk. Each archive gets an expansion budget of max_ratio times its own
 * size (plus 1 MiB of slack for tiny archives): a zip bomb hits the budget,
 * is reported once, and the scan moves on.
 */
#include "scan/source_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLACK (1ull << 20)

typedef struct member_reader {
    struct archive *a;
} member_reader;

static ssize_t read_member(void *rctx, uint8_t *buf, size_t n, const char **why)
{
    member_reader *r = rctx;
    la_ssize_t got = archive_read_data(r->a, buf, n);
    if (got < 0) {
        *why = archive_error_string(r->a);
        return -1;
    }
    return (ssize_t)got;
}

/* Display name of the single member of a bare compressed stream: the
 * container's name without its compression suffix. */
static const char *raw_member_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, cap, "%s", base);
    static const char *const suffixes[] = {".gz", ".tgz", ".bz2", ".xz", ".zst", ".Z"};
    size_t n = strlen(out);
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(out + n - k, suffixes[i]) == 0) {
            out[n - k] = 0;
            return out;
        }
    }
    return "data";
}

/* Walks the members; returns how many headers were read (-1 when the
 * archive turned out unreadable or a limit stopped it). */
static int walk_archive(src_ctx *s, struct archive *a, uint64_t compressed,
                        const char *path, int depth)
{
    budget b = {.left = compressed * s->opts->max_ratio + SLACK};
    struct archive_entry *e;
    int rc, headers = 0;
    while (!s->stop && (rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        if (rc == ARCHIVE_FATAL) {
            src_notice(s, WARD_ITEM_ERROR, path, depth, "archive unreadable: %s",
                       archive_error_string(a));
            return -1;
        }
        headers++;
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        char rawname[256];
        const char *name = archive_format(a) == ARCHIVE_FORMAT_RAW
                               ? raw_member_name(path, rawname, sizeof rawname)
                               : archive_entry_pathname_utf8(e);
        if (!name) name = archive_entry_pathname(e);
        if (!name) name = "(unnamed)";
        char *mpath = src_member_path(s, path, name, depth + 1);
        if (!mpath) {
            if (s->stop) return -1;
            continue;
        }
        ward_item proto = {
            .mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0,
            .atime = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : 0,
            .ctime = archive_entry_ctime_is_set(e) ? archive_entry_ctime(e) : 0,
            .crtime = archive_entry_birthtime_is_set(e) ? archive_entry_birthtime(e) : 0};
        member_reader r = {a};
        uint64_t declared = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0;
        if (archive_entry_is_encrypted(e)) {
            src_notice(s, WARD_ITEM_ERROR, mpath, depth + 1, "encrypted member, not readable without the password");
        } else {
            src_member(s, mpath, declared, read_member, &r, depth + 1, &proto, &b);
        }
        free(mpath);
        if (b.exceeded) {
            src_notice(s, WARD_ITEM_LIMIT, path, depth,
                       "expansion over %llux the archive's size (zip bomb?); rest not read",
                       (unsigned long long)s->opts->max_ratio);
            return -1;
        }
    }
    return headers;
}

/* raw_only: the decompressed stream is one member, whatever it starts
 * with (see read_archive). */
static struct archive *new_reader(int raw_only)
{
    struct archive *a = archive_read_new();
    if (!a) return NULL;
    archive_read_support_filter_all(a);
    if (!raw_only)
        archive_read_support_format_all(a);
    /* Raw bids lowest, so real formats win; it catches bare .gz/.xz files. */
    archive_read_support_format_raw(a);
    return a;
}

/* Where an archive comes from: a buffer, or a descriptor read from 0. */
typedef struct archive_src {
    const uint8_t *buf;
    size_t len;
    int fd;
} archive_src;

/* One pass over the archive; returns walk_archive's count, and sets
 * *retry_raw when a compressed stream decoded as a tar with no header at
 * all. libarchive bids "tar" on any stream that starts with a zero block
 * (the tar end marker), so a gzipped disk image or a file that begins with
 * 512 zero bytes used to read as an empty archive: nothing yielded, nothing
 * said. Such a stream is then read again as one member. */
static void read_archive(src_ctx *s, const archive_src *src, uint64_t compressed,
                         const char *path, int depth, int raw_only, int *retry_raw)
{
    int dupfd = -1;
    struct archive *a = new_reader(raw_only);
    if (!a) { s->fatal = WARD_ENOMEM; s->stop = 1; return; }
    int rc;
    if (src->buf) {
        rc = archive_read_open_memory(a, src->buf, src->len);
    } else {
        /* archive_read_open_fd does not close; a dup keeps the caller's offset */
        if ((dupfd = dup(src->fd)) < 0) { archive_read_free(a); return; }
        lseek(dupfd, 0, SEEK_SET);
        rc = archive_read_open_fd(a, dupfd, 1 << 20);
    }
    if (rc != ARCHIVE_OK) {
        src_notice(s, WARD_ITEM_ERROR, path, depth, "archive unreadable: %s", archive_error_string(a));
    } else {
        int headers = walk_archive(s, a, compressed, path, depth);
        *retry_raw = !raw_only && headers == 0 && !s->stop && archive_filter_count(a) > 1 &&
                     archive_format(a) != ARCHIVE_FORMAT_RAW &&
                     (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR;
    }
    archive_read_free(a);
    if (dupfd >= 0) close(dupfd);
}

static void open_archive(src_ctx *s, const archive_src *src, uint64_t compressed,
                         const char *path, int depth)
{
    int retry_raw = 0;
    read_archive(s, src, compressed, path, depth, 0, &retry_raw);
    if (retry_raw)
        read_archive(s, src, compressed, path, depth, 1, &retry_raw);
}

void src_archive_mem(src_ctx *s, const uint8_t *buf, size_t len, const char *path, int depth)
{
    archive_src src = {.buf = buf, .len = len, .fd = -1};
    open_archive(s, &src, len, path, depth);
}

void src_archive_fd(src_ctx *s, int fd, uint64_t compressed, const char *path, int depth)
{
    archive_src src = {.fd = fd};
    open_archive(s, &src, compressed, path, depth);
}
