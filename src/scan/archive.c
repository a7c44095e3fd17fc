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

static void walk_archive(src_ctx *s, struct archive *a, uint64_t compressed,
                         const char *path, int depth)
{
    budget b = {.left = compressed * s->opts->max_ratio + SLACK};
    struct archive_entry *e;
    int rc;
    while (!s->stop && (rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        if (rc == ARCHIVE_FATAL) {
            src_notice(s, WARD_ITEM_ERROR, path, depth, "archive unreadable: %s",
                       archive_error_string(a));
            return;
        }
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
            if (s->stop) return;
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
            return;
        }
    }
}

static struct archive *new_reader(void)
{
    struct archive *a = archive_read_new();
    if (!a) return NULL;
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    /* Raw bids lowest, so real formats win; it catches bare .gz/.xz files. */
    archive_read_support_format_raw(a);
    return a;
}

void src_archive_mem(src_ctx *s, const uint8_t *buf, size_t len, const char *path, int depth)
{
    struct archive *a = new_reader();
    if (!a) { s->fatal = WARD_ENOMEM; s->stop = 1; return; }
    if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
        src_notice(s, WARD_ITEM_ERROR, path, depth, "archive unreadable: %s", archive_error_string(a));
    else
        walk_archive(s, a, len, path, depth);
    archive_read_free(a);
}

void src_archive_fd(src_ctx *s, int fd, uint64_t compressed, const char *path, int depth)
{
    int dupfd = dup(fd); /* archive_read_open_fd does not close, but be independent of the caller */
    if (dupfd < 0) return;
    lseek(dupfd, 0, SEEK_SET);
    struct archive *a = new_reader();
    if (!a) { close(dupfd); s->fatal = WARD_ENOMEM; s->stop = 1; return; }
    if (archive_read_open_fd(a, dupfd, 1 << 20) != ARCHIVE_OK)
        src_notice(s, WARD_ITEM_ERROR, path, depth, "archive unreadable: %s", archive_error_string(a));
    else
        walk_archive(s, a, compressed, path, depth);
    archive_read_free(a);
    close(dupfd);
}
