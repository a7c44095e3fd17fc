/*
 * Buffered input for the readers. Every byte read is also fed to SHA-256 so
 * that the import records the digest of exactly the file it read, in the same
 * pass. Lines are returned in place (no copy) and may be up to WX_MAX_LINE.
 */
#include "exchange/exchange.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (256u * 1024)

ward_status wx_in_open(wx_in *in, const char *path, ward_error *err)
{
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->path = path;
    in->err = err;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        return err_fail(err, WARD_EINVAL, "%s is a directory", path);
    }
    in->fd = fd;
    in->st_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    in->cap = CHUNK;
    in->buf = malloc(in->cap);
    in->sha = ward_digester_new(WARD_DIGEST_SHA256);
    if (!in->buf || !in->sha) {
        wx_in_close(in);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    return WARD_OK;
}

void wx_in_close(wx_in *in)
{
    if (in->fd >= 0)
        close(in->fd);
    in->fd = -1;
    free(in->buf);
    in->buf = NULL;
    ward_digester_free(in->sha);
    in->sha = NULL;
}

ward_status wx_in_fill(wx_in *in, size_t want)
{
    if (in->len - in->pos >= want || in->eof)
        return WARD_OK;
    if (in->pos) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->consumed += in->pos;
        in->len -= in->pos;
        in->pos = 0;
    }
    /* Keep one spare byte so that a last line can be NUL-terminated. */
    if (want + 1 > in->cap) {
        size_t cap = in->cap;
        while (cap < want + 1)
            cap *= 2;
        uint8_t *b = realloc(in->buf, cap);
        if (!b)
            return err_fail(in->err, WARD_ENOMEM, "out of memory");
        in->buf = b;
        in->cap = cap;
    }
    while (in->len < want && !in->eof) {
        ssize_t r = read(in->fd, in->buf + in->len, in->cap - 1 - in->len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return err_fail_errno(in->err, errno, "cannot read %s", in->path);
        }
        if (r == 0) {
            in->eof = 1;
            break;
        }
        ward_digester_update(in->sha, in->buf + in->len, (size_t)r);
        in->len += (size_t)r;
    }
    return WARD_OK;
}

int wx_in_getline(wx_in *in, char **line, size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        uint8_t *start = in->buf + in->pos;
        size_t avail = in->len - in->pos;
        uint8_t *nl = scanned < avail ? memchr(start + scanned, '\n', avail - scanned)
                                      : NULL;
        if (nl || (in->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - start) : avail;
            in->pos += nl ? n + 1 : n;
            /* The buffer grows in steps, so a line up to twice the limit
             * can arrive whole: it is still over the limit. */
            if (n > WX_MAX_LINE) {
                in->lineno++;
                *line = NULL;
                *len = 0;
                return 2;
            }
            if (n && start[n - 1] == '\r')
                n--;
            start[n] = 0;
            in->lineno++;
            *line = (char *)start;
            *len = n;
            return 1;
        }
        if (in->eof)
            return 0;
        scanned = avail;
        if (avail > WX_MAX_LINE) {
            /* Too long: skip to the end of the line. */
            in->pos = in->len;
            for (;;) {
                if (wx_in_fill(in, 1) != WARD_OK)
                    return -1;
                if (in->len == in->pos) {
                    break;
                }
                uint8_t *e = memchr(in->buf + in->pos, '\n', in->len - in->pos);
                if (e) {
                    in->pos = (size_t)(e - in->buf) + 1;
                    break;
                }
                in->pos = in->len;
            }
            in->lineno++;
            *line = NULL;
            *len = 0;
            return 2;
        }
        if (wx_in_fill(in, avail + (avail < CHUNK / 2 ? CHUNK / 2 : avail)) != WARD_OK)
            return -1;
    }
}

ward_status wx_in_finish(wx_in *in, char sha256_hex[65])
{
    for (;;) {
        in->pos = in->len;
        ward_status rc = wx_in_fill(in, 1);
        if (rc)
            return rc;
        if (in->len == in->pos)
            break;
    }
    ward_digests d;
    ward_digester_final(in->sha, &d);
    ward_hex(d.sha256, 32, sha256_hex);
    return WARD_OK;
}
