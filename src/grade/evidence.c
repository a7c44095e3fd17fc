/*
 * Re-reading one item from the evidence for the grading view.
 *
 * The record's path says where the item is: a host file, or a member
 * ("outer.zip!/dir/a.jpg", "disk.E01!/p1@2048/Users/a.jpg") that the source
 * layer reads again from the outermost container, read-only, stopping at
 * the member; a file of a disk image is read by the inode the scan recorded
 * (ward_source_read_inode), not found by name. The bytes are hashed and compared with the record's SHA-256
 * before anything decodes them: the examiner grades what the scan saw, and
 * a file that changed or vanished since is said to have, never shown.
 */
#include "grade/grade_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jpeglib.h> /* after stdio.h */
#include <setjmp.h>
#include <ward/digest.h>
#include <ward/media.h>
#include <ward/source.h>
#include <ward/thumb.h>
#include <ward/video.h>

#define MAX_ITEM_BYTES (512ull << 20) /* an image larger is not shown */

static ward_status read_host(const char *path, uint8_t **buf, size_t *len, ward_error *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? err_fail(err, WARD_ENOTFOUND, "missing: %s is gone", path)
                               : err_fail_errno(err, errno, "cannot open %s", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MAX_ITEM_BYTES) {
        close(fd);
        return err_fail(err, WARD_ELIMIT, "%s is not a regular file under 512 MiB", path);
    }
    uint8_t *p = malloc(sb.st_size ? (size_t)sb.st_size : 1);
    if (!p) {
        close(fd);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, p + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    *buf = p;
    *len = got;
    return WARD_OK;
}

typedef struct member_ctx {
    const char *want;
    uint8_t *data;
    size_t len;
    int found, too_large;
} member_ctx;

static int on_member(void *ctx, ward_item *item)
{
    member_ctx *m = ctx;
    if (strcmp(item->path, m->want) != 0) {
        free(item->data);
        return 0;
    }
    m->found = 1;
    if (item->kind == WARD_ITEM_DATA) {
        m->data = item->data;
        m->len = (size_t)item->len;
    } else {
        free(item->data);
        m->too_large = item->kind == WARD_ITEM_DIGESTED;
    }
    return 1;
}

static ward_status read_member(const ward_grade_item *it, const char *path,
                               const char *spool_dir, uint8_t **buf, size_t *len,
                               ward_error *err)
{
    const char *bang = strstr(path, "!/");
    char *root = strndup(path, (size_t)(bang - path));
    if (!root) return err_fail(err, WARD_ENOMEM, "out of memory");
    /* A file of a disk image on the host is read by its inode: by path, a
     * deleted file and a live one of the same name (or two of one name)
     * would both give whichever the walk meets first. Deeper (an image in
     * an archive, spooled by the scan) and images TSK does not open itself
     * are read by path. */
    if (it->has_inode && !strstr(bang + 2, "!/")) {
        ward_status st = ward_source_read_inode(root, bang + 2, it->inode, MAX_ITEM_BYTES, buf, len,
                                                err);
        if (st != WARD_EUNSUPPORTED) {
            free(root);
            return st;
        }
    }
    ward_source_opts o;
    ward_source_opts_default(&o);
    o.spool_dir = spool_dir;
    member_ctx m = {.want = path};
    ward_error e;
    ward_status st = ward_source_read(root, &o, on_member, &m, &e);
    free(root);
    if (m.data) {
        *buf = m.data;
        *len = m.len;
        return WARD_OK;
    }
    if (m.too_large) return err_fail(err, WARD_ELIMIT, "%s is too large to show", path);
    if (st != WARD_OK && !m.found) return err_fail(err, WARD_ENOTFOUND, "missing: %s", e.message);
    return err_fail(err, WARD_ENOTFOUND, "missing: %s is no longer in its container", path);
}

/* Read the item's bytes as the scan saw them, or say why not. */
static ward_status read_verified(const ward_grade_item *it, const char *spool_dir,
                                 uint8_t **buf, size_t *len, ward_error *err)
{
    if (!it->sha256[0])
        return err_fail(err, WARD_EFORMAT, "the record of %s has no SHA-256 to verify", it->path);
    strbuf raw = {0};
    if (!esc_unescape_name(&raw, it->path, strlen(it->path)) || !raw.s)
        return err_fail(err, WARD_EFORMAT, "cannot unescape the path %s", it->path);
    ward_status st = strstr(raw.s, "!/") ? read_member(it, raw.s, spool_dir, buf, len, err)
                                         : read_host(raw.s, buf, len, err);
    strbuf_free(&raw);
    if (st != WARD_OK) return st;
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    if (!d) {
        free(*buf);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_digester_update(d, *buf, *len);
    ward_digests got;
    ward_digester_final(d, &got);
    ward_digester_free(d);
    char hex[65];
    ward_digest_hex(&got, WARD_DIGEST_SHA256, hex);
    if (strcmp(hex, it->sha256) != 0) {
        free(*buf);
        *buf = NULL;
        return err_fail(err, WARD_EFORMAT, "digest mismatch: %s changed since the scan", it->path);
    }
    return WARD_OK;
}

typedef struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} jerr;

static void on_jpeg_error(j_common_ptr c) { longjmp(((jerr *)c->err)->jump, 1); }

static ward_status encode_jpeg(const ward_thumb *t, uint8_t **out, size_t *len, ward_error *err)
{
    struct jpeg_compress_struct c;
    jerr je;
    unsigned char *mem = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = on_jpeg_error;
    if (setjmp(je.jump)) {
        jpeg_destroy_compress(&c);
        free(mem);
        return err_fail(err, WARD_EINTERNAL, "JPEG encoding failed");
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &size);
    c.image_width = (JDIMENSION)t->cols;
    c.image_height = (JDIMENSION)t->rows;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 80, TRUE);
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < t->rows; y++) {
        JSAMPROW row = t->px + (size_t)y * (size_t)t->cols;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *out = mem;
    *len = size;
    return WARD_OK;
}

/* ---- videos: a strip of sampled frames ------------------------------------ */

#define STRIP_FRAMES 6

static ward_status open_video(const uint8_t *buf, size_t n, double interval, ward_video **v,
                              ward_error *err)
{
    ward_video_opts o;
    ward_video_opts_default(&o);
    o.interval = interval;
    o.max_frames = STRIP_FRAMES;
    o.max_wall = 20;
    return ward_video_open_buffer(buf, n, &o, v, err);
}

/* Frames side by side, each at most `side` pixels, black between. */
static ward_status tile(ward_thumb *t, int nt, ward_thumb *out, ward_error *err)
{
    int rows = 0, cols = 0;
    for (int i = 0; i < nt; i++) {
        if (t[i].rows > rows) rows = t[i].rows;
        cols += t[i].cols + (i ? 4 : 0);
    }
    out->rows = rows;
    out->cols = cols;
    out->px = calloc((size_t)rows * (size_t)cols, 1);
    if (!out->px) return err_fail(err, WARD_ENOMEM, "out of memory");
    int x = 0;
    for (int i = 0; i < nt; i++) {
        for (int y = 0; y < t[i].rows; y++)
            memcpy(out->px + (size_t)y * (size_t)cols + (size_t)x,
                   t[i].px + (size_t)y * (size_t)t[i].cols, (size_t)t[i].cols);
        x += t[i].cols + 4;
    }
    return WARD_OK;
}

static ward_status video_strip(const uint8_t *buf, size_t n, int side, ward_thumb *out,
                               ward_error *err)
{
    ward_video *v = NULL;
    ward_status st = open_video(buf, n, 1.0, &v, err);
    if (st != WARD_OK) return st;
    ward_video_info info;
    ward_video_get_info(v, &info);
    if (info.duration > STRIP_FRAMES) { /* spread the samples over the whole video */
        ward_video_close(v);
        if ((st = open_video(buf, n, info.duration / STRIP_FRAMES, &v, err)) != WARD_OK) return st;
    }
    ward_thumb t[STRIP_FRAMES];
    int nt = 0, eof = 0;
    while (nt < STRIP_FRAMES && st == WARD_OK) {
        ward_video_frame f;
        st = ward_video_next(v, &f, &eof, err);
        if (st != WARD_OK || eof) break;
        st = ward_thumb_make(&f.luma, side, 0, &t[nt], err);
        if (st == WARD_OK) nt++;
    }
    ward_video_close(v);
    if (nt == 0 && st == WARD_OK) st = err_fail(err, WARD_EFORMAT, "no frame could be decoded");
    if (nt > 0) st = tile(t, nt, out, err); /* a damaged tail still shows the frames before */
    for (int i = 0; i < nt; i++) ward_thumb_free(&t[i]);
    return st;
}

ward_status ward_grade_item_thumb(const ward_grade_item *it, int max_side,
                                  const char *spool_dir, uint8_t **jpeg,
                                  size_t *len, ward_error *err)
{
    *jpeg = NULL;
    *len = 0;
    if (max_side < 16 || max_side > 512) max_side = 256;
    uint8_t *buf = NULL;
    size_t n = 0;
    ward_status st = read_verified(it, spool_dir, &buf, &n, err);
    if (st != WARD_OK) return st;
    ward_thumb t;
    if (ward_media_is_video(ward_media_sniff(buf, n < 400 ? n : 400))) {
        st = video_strip(buf, n, max_side / 2, &t, err);
        free(buf);
        if (st != WARD_OK) return st;
    } else {
        ward_decode_opts o;
        ward_decode_opts_default(&o);
        ward_luma luma;
        st = ward_image_decode_luma(buf, n, &o, &luma, err);
        free(buf);
        if (st != WARD_OK) return st;
        st = ward_thumb_make(&luma, max_side, 0, &t, err);
        ward_luma_free(&luma);
        if (st != WARD_OK) return st;
    }
    st = encode_jpeg(&t, jpeg, len, err);
    ward_thumb_free(&t);
    return st;
}
