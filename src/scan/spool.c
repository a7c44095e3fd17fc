/*
 * Spooling: the one place the scan writes evidence to disk. The Sleuth Kit
 * needs random access to a disk image, and a member of an archive (a
 * fat.raw in a zip, the disk.raw of a disk.raw.gz, an E01 in a tar) is a
 * stream; so such a member is copied to a temporary file in
 * opts.spool_dir ($TMPDIR, else /tmp), walked, and deleted. A virtual
 * machine's disk in a format TSK does not read (QCOW, VHDX, VDI) is
 * converted to a temporary raw image by `qemu-img convert` when qemu-img is
 * installed. opts.max_spool bounds the bytes spooled at any one time (the
 * nested spools of an image inside an image count together): a disk image
 * over it is hashed as a file, not walked, and a limit notice says so.
 */
#include "scan/source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *spool_dir(const src_ctx *s)
{
    /* no $TMPDIR here: libward never reads the environment (the CLI
     * passes it as spool_dir) */
    if (s->opts->spool_dir && s->opts->spool_dir[0]) return s->opts->spool_dir;
    return P_tmpdir;
}

/* The temporary file keeps the member's extension: libewf finds an E01's
 * segments by it. */
static int make_temp(const src_ctx *s, const char *name, char *out, size_t cap)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    char ext[16] = "";
    if (dot && strlen(dot) < sizeof ext && !strchr(dot, '!'))
        snprintf(ext, sizeof ext, "%s", dot);
    int n = snprintf(out, cap, "%s/ward-spool-XXXXXX%s", spool_dir(s), ext);
    if (n < 0 || (size_t)n >= cap) return -1;
    return mkstemps(out, (int)strlen(ext));
}

int spool_open(src_ctx *s, spool *sp, const char *path, int depth)
{
    memset(sp, 0, sizeof *sp);
    sp->fd = -1;
    if (s->opts->max_spool == 0) {
        src_notice(s, WARD_ITEM_LIMIT, path, depth,
                   "disk image inside a container, not walked (--max-spool 0)");
        return -1;
    }
    sp->fd = make_temp(s, path, sp->tmp, sizeof sp->tmp);
    if (sp->fd < 0) {
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "disk image inside a container, not walked: cannot create a temporary "
                   "file in %s: %s", spool_dir(s), strerror(errno));
        return -1;
    }
    return 0;
}

void spool_drop(src_ctx *s, spool *sp)
{
    if (sp->fd >= 0) {
        close(sp->fd);
        unlink(sp->tmp);
        sp->fd = -1;
    }
    s->spooled -= sp->len;
    sp->len = 0;
}

static int over_spool(src_ctx *s, uint64_t more)
{
    return s->spooled + more > s->opts->max_spool;
}

int spool_write(src_ctx *s, spool *sp, const uint8_t *b, size_t n, const char *path, int depth)
{
    if (sp->fd < 0)
        return -1;
    if (over_spool(s, n)) {
        src_notice(s, WARD_ITEM_LIMIT, path, depth,
                   "disk image inside a container over the %llu-byte spool limit "
                   "(--max-spool), not walked", (unsigned long long)s->opts->max_spool);
        spool_drop(s, sp);
        return -1;
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = write(sp->fd, b + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            src_notice(s, WARD_ITEM_ERROR, path, depth,
                       "disk image inside a container, not walked: cannot spool to %s: %s",
                       spool_dir(s), w < 0 ? strerror(errno) : "short write");
            spool_drop(s, sp);
            return -1;
        }
        off += (size_t)w;
        sp->len += (uint64_t)w;
        s->spooled += (uint64_t)w;
    }
    return 0;
}

void spool_walk(src_ctx *s, spool *sp, const char *path, int depth, ward_item *container)
{
    if (sp->fd < 0)
        return;
    uint8_t head[8];
    if (container && pread(sp->fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
        ward_container_sniff(head, sizeof head) == WARD_CONTAINER_EWF)
        src_ewf_check(s, sp->tmp, path, depth, container);
    src_disk_image(s, sp->tmp, path, depth, 1);
    spool_drop(s, sp);
}

/* Runs argv, its output to /dev/null (or out_file); returns the exit
 * status, or -1 when it could not run or ran past `limit_s` seconds (then
 * it is killed: a hostile image must not hold the scan for ever). */
static int run_quiet(char *const argv[], const char *out_file, int limit_s)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file ? out_file : "/dev/null",
                                     O_WRONLY | O_TRUNC | (out_file ? O_CREAT : 0), 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int st;
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (long waited = 0;; waited += 20) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return -1;
        if (waited >= limit_s * 1000L) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
            return -1;
        }
        nanosleep(&tick, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The virtual size qemu-img reports ("virtual-size": N in its JSON).
 * *refers is set when the image names another file (a backing file, an
 * external data file): converting it would read the examiner's own
 * files into the evidence, so it is refused. */
static int vdisk_size(const char *open_path, const char *fmt, const char *info, uint64_t *size,
                      int *refers)
{
    char *argv[] = {"qemu-img", "info", "--output=json", "-f", (char *)fmt, (char *)open_path, NULL};
    if (run_quiet(argv, info, 60) != 0) return -1;
    FILE *f = fopen(info, "r");
    if (!f) return -1;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    *refers = strstr(buf, "\"backing-filename\"") || strstr(buf, "\"full-backing-filename\"") ||
              strstr(buf, "\"data-file\"");
    const char *k = strstr(buf, "\"virtual-size\":");
    return k && sscanf(k + 15, " %llu", (unsigned long long *)size) == 1 ? 0 : -1;
}

int src_vdisk_convert(src_ctx *s, const char *open_path, const char *fmt, const char *path, int depth)
{
    /* qemu-img's names for the formats src_vdisk_format names */
    const char *qfmt = !strcmp(fmt, "QCOW") ? "qcow2" : !strcmp(fmt, "QCOW1") ? "qcow"
                     : !strcmp(fmt, "VHDX") ? "vhdx" : !strcmp(fmt, "VDI") ? "vdi"
                     : !strcmp(fmt, "VMDK") ? "vmdk" : !strcmp(fmt, "VHD") ? "vpc" : NULL;
    char info[4200], raw[4200];
    int fd = qfmt ? make_temp(s, "x.json", info, sizeof info) : -1;
    if (fd >= 0) close(fd);
    uint64_t size = 0;
    int refers = 0;
    if (fd < 0 || vdisk_size(open_path, qfmt, info, &size, &refers) != 0) {
        if (fd >= 0) unlink(info);
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "%s disk image: The Sleuth Kit cannot read this format and qemu-img "
                   "(Debian: qemu-utils) %s; not examined", fmt,
                   qfmt ? "is not installed or cannot read it" : "does not know it");
        return 0;
    }
    unlink(info);
    if (refers) {
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "%s disk image that refers to another file (a backing or data file): "
                   "not converted, not examined; scan the image it depends on with it", fmt);
        return 0;
    }
    if (over_spool(s, size)) {
        src_notice(s, WARD_ITEM_LIMIT, path, depth,
                   "%s disk image of %llu bytes over the %llu-byte spool limit (--max-spool), "
                   "not converted or walked", fmt, (unsigned long long)size,
                   (unsigned long long)(s->opts->max_spool - s->spooled));
        return 0;
    }
    if ((fd = make_temp(s, "x.raw", raw, sizeof raw)) < 0) {
        src_notice(s, WARD_ITEM_ERROR, path, depth, "%s disk image not walked: cannot create a "
                   "temporary file in %s: %s", fmt, spool_dir(s), strerror(errno));
        return 0;
    }
    close(fd);
    char *argv[] = {"qemu-img", "convert", "-f", (char *)qfmt, "-O", "raw",
                    (char *)open_path, raw, NULL};
    s->spooled += size;
    /* an hour, or a minute per 2 GiB if that is longer */
    int limit = 3600 + (int)(size >> 31) * 60;
    int ok = run_quiet(argv, NULL, limit) == 0;
    if (!ok)
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "%s disk image: qemu-img could not convert it within %d s (damaged?); "
                   "not examined", fmt, limit);
    else
        src_disk_image(s, raw, path, depth, 1);
    unlink(raw);
    s->spooled -= size;
    return ok;
}
