/*
 * File helpers for releases: every file a reader may see is written whole
 * through a temporary name and a rename, so a publisher killed mid-way never
 * serves half a file and a subscriber never trusts one.
 */
#include "release/rel_int.h"
#include "util/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/digest.h>

char *rel_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

ward_status rel_close_synced(FILE *f, const char *path, ward_error *err)
{
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    return bad ? err_fail_errno(err, e ? e : EIO, "cannot write %s", path) : WARD_OK;
}

ward_status rel_write_atomic(const char *path, const void *data, size_t n, int mode,
                             ward_error *err)
{
    char *tmp = rel_fmt("%s.tmp", path);
    if (!tmp)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = WARD_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        rc = err_fail_errno(err, errno, "cannot create %s", tmp);
        if (fd >= 0)
            close(fd);
    } else {
        fwrite(data, 1, n, f);
        rc = rel_close_synced(f, tmp, err);
    }
    if (rc == WARD_OK && rename(tmp, path) != 0)
        rc = err_fail_errno(err, errno, "cannot rename %s", tmp);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

ward_status rel_read_file(const char *path, size_t max, char **data, size_t *n,
                          ward_error *err)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? err_fail(err, WARD_ENOTFOUND, "%s: no such file", path)
                               : err_fail_errno(err, errno, "cannot open %s", path);
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    size_t got = fread(buf, 1, max + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got > max) {
        free(buf);
        return bad ? err_fail_errno(err, EIO, "cannot read %s", path)
                   : err_fail(err, WARD_ELIMIT, "%s: larger than %zu bytes", path, max);
    }
    buf[got] = 0;
    *data = buf;
    if (n)
        *n = got;
    return WARD_OK;
}

ward_status rel_sha256_file(const char *path, char hex[65], uint64_t *size, ward_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_fail_errno(err, errno, "cannot open %s", path);
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    char *buf = malloc(1 << 20);
    if (!d || !buf) {
        fclose(f);
        free(buf);
        ward_digester_free(d);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    uint64_t total = 0;
    size_t got;
    while ((got = fread(buf, 1, 1 << 20, f)) > 0) {
        ward_digester_update(d, buf, got);
        total += got;
    }
    ward_status rc = ferror(f) ? err_fail_errno(err, EIO, "cannot read %s", path) : WARD_OK;
    fclose(f);
    ward_digests out;
    ward_digester_final(d, &out);
    ward_digester_free(d);
    free(buf);
    ward_hex(out.sha256, 32, hex);
    if (size)
        *size = total;
    return rc;
}

void rel_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = rel_fmt("%s/%s", dir, e->d_name);
        if (p)
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

int rel_each_name(const char *dir, rel_name_fn fn, void *ctx)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort), stop = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (!stop && strcmp(name, ".") && strcmp(name, ".."))
            stop = fn(ctx, dir, name);
        free(names[i]);
    }
    free(names);
    return stop;
}

int rel_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int rel_valid_name(const char *name, size_t n)
{
    if (n == 0 || n > 100 || name[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
