/*
 * One read per file. Blocks go to the digests as they arrive; if the first
 * block sniffs as an image (and PDQ is wanted), the blocks are also kept so
 * the decoder can run on the same bytes once the file is complete.
 */
#include <ward/filehash.h>
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK (256 * 1024) /* fits L2 while three digests pass over it */

struct ward_hasher {
    ward_hash_opts opts;
    ward_digester *digester;   /* NULL when no digests are wanted */
    uint8_t *block;            /* READ_BLOCK bytes */
    uint8_t *image;            /* whole-file buffer for images, grown on demand */
    size_t image_cap;
    float *scratch;            /* PDQ working plane */
    size_t scratch_cap;
};

void ward_hash_opts_default(ward_hash_opts *o)
{
    memset(o, 0, sizeof *o); /* hooks and any field added later start off */
    o->digests = WARD_DIGEST_ALL;
    o->pdq = 1;
    ward_decode_opts_default(&o->decode);
    o->max_image_bytes = 1ull << 30;
    o->video = 1;
    ward_vpdq_opts_default(&o->vpdq);
}

void ward_file_hash_clear(ward_file_hash *r)
{
    ward_vpdq_free(&r->video);
    r->has_video = 0;
}

/* Sample a video from an fd (fd >= 0) or a buffer: vPDQ per frame. */
static void hash_video(ward_hasher *h, int fd, const uint8_t *buf, size_t len,
                       ward_file_hash *out)
{
    out->has_video = 1;
    out->video_status = fd >= 0
        ? ward_vpdq_hash_fd(fd, &h->opts.vpdq, &out->video, &out->video_info, &out->video_error)
        : ward_vpdq_hash_buffer(buf, len, &h->opts.vpdq, &out->video, &out->video_info,
                                &out->video_error);
}

static int wants_video(ward_hasher *h, const ward_file_hash *out)
{
    return h->opts.pdq && h->opts.video && ward_media_is_video(out->media);
}

/* An animated GIF (its looping extension, NETSCAPE2.0 or ANIMEXTS1.0, sits
 * before the second frame) is also sampled as a video: its first frame is
 * not the whole picture. Single-frame GIFs (icons, by the thousand) are not. */
static void maybe_animated(ward_hasher *h, const uint8_t *buf, size_t len, ward_file_hash *out)
{
    size_t n = len < 4096 ? len : 4096;
    if (!h->opts.video || out->media != WARD_MEDIA_GIF || out->image_status != WARD_OK ||
        (!memmem(buf, n, "NETSCAPE2.0", 11) && !memmem(buf, n, "ANIMEXTS1.0", 11)))
        return;
    hash_video(h, -1, buf, len, out);
}

/* The caller's gate, asked once the digests are final. */
static int gate_allows(ward_hasher *h, ward_file_hash *out)
{
    if (!h->opts.want_pdq || h->opts.want_pdq(h->opts.want_pdq_ctx, &out->digests))
        return 1;
    out->pdq_skipped = 1;
    return 0;
}

ward_hasher *ward_hasher_new(const ward_hash_opts *opts)
{
    ward_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->opts = *opts;
    h->block = malloc(READ_BLOCK);
    if (!h->block || (opts->digests && !(h->digester = ward_digester_new(opts->digests)))) {
        ward_hasher_free(h);
        return NULL;
    }
    return h;
}

void ward_hasher_free(ward_hasher *h)
{
    if (!h)
        return;
    ward_digester_free(h->digester);
    free(h->block);
    free(h->image);
    free(h->scratch);
    free(h);
}

static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    size_t n = *cap ? *cap : 1 << 20;
    while (n < need)
        n *= 2;
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return 0;
    *buf = p;
    *cap = n;
    return 1;
}

/* Decode and PDQ-hash an image held in memory; fills out->image_* and pdq. */
static void hash_image(ward_hasher *h, const uint8_t *buf, size_t len, ward_file_hash *out)
{
    ward_luma luma;
    out->image_status = ward_image_decode_luma(buf, len, &h->opts.decode, &luma,
                                               &out->image_error);
    if (out->image_status != WARD_OK)
        return;
    out->width = luma.width;
    out->height = luma.height;
    out->orientation = luma.orientation;
    memcpy(out->image_warning, luma.warning, sizeof out->image_warning);
    if (h->opts.on_image)
        h->opts.on_image(h->opts.on_image_ctx, &luma);
    size_t need = (size_t)luma.rows * luma.cols;
    if (need > h->scratch_cap) {
        float *p = realloc(h->scratch, need * sizeof(float));
        if (!p) {
            ward_luma_free(&luma);
            out->image_status = err_fail(&out->image_error, WARD_ENOMEM, "out of memory for PDQ");
            return;
        }
        h->scratch = p;
        h->scratch_cap = need;
    }
    /* An image under 5x5 (a tracking pixel, an icon) decodes fine but has no
     * PDQ. That is a property of the image, not a failure: status stays OK,
     * has_pdq stays 0 and the message says why. */
    if (ward_pdq_from_luma(luma.px, h->scratch, luma.rows, luma.cols,
                           h->opts.dihedral, &out->pdq) == WARD_OK)
        out->has_pdq = 1;
    else
        snprintf(out->image_error.message, sizeof out->image_error.message,
                 "image is %dx%d, smaller than PDQ's %dx%d minimum", luma.width,
                 luma.height, WARD_PDQ_MIN_DIM, WARD_PDQ_MIN_DIM);
    ward_luma_free(&luma);
}

static void begin(ward_file_hash *out)
{
    memset(out, 0, sizeof *out);
}

ward_status ward_hasher_buffer(ward_hasher *h, const uint8_t *buf, size_t len,
                               ward_file_hash *out)
{
    begin(out);
    out->size = len;
    if (h->digester) {
        ward_digester_update(h->digester, buf, len);
        ward_digester_final(h->digester, &out->digests);
    }
    out->media = ward_media_sniff(buf, len);
    if (h->opts.pdq && ward_media_is_image(out->media) && gate_allows(h, out)) {
        hash_image(h, buf, len, out);
        maybe_animated(h, buf, len, out);
    } else if (wants_video(h, out) && gate_allows(h, out)) {
        hash_video(h, -1, buf, len, out);
    }
    return WARD_OK;
}

static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

ward_status ward_hasher_fd(ward_hasher *h, int fd, ward_file_hash *out)
{
    begin(out);
    struct stat st;
    uint64_t size_hint = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        size_hint = (uint64_t)st.st_size;
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    int keep = -1; /* -1: undecided until the first block is sniffed */
    size_t kept = 0;
    for (;;) {
        ssize_t n = read_full(fd, h->block, READ_BLOCK);
        if (n < 0) {
            out->read_status = err_fail_errno(&out->read_error, errno,
                                               "read failed at byte %llu",
                                               (unsigned long long)out->size);
            if (h->digester)
                ward_digester_reset(h->digester);
            return out->read_status;
        }
        if (keep < 0) {
            out->media = ward_media_sniff(h->block, (size_t)n);
            keep = h->opts.pdq && ward_media_is_image(out->media) &&
                   size_hint <= h->opts.max_image_bytes;
            if (keep && size_hint && !reserve(&h->image, &h->image_cap, size_hint))
                keep = 0;
        }
        if (n == 0)
            break;
        if (h->digester)
            ward_digester_update(h->digester, h->block, (size_t)n);
        if (keep) {
            if (kept + (size_t)n > h->opts.max_image_bytes ||
                !reserve(&h->image, &h->image_cap, kept + (size_t)n)) {
                keep = 0; /* too big to decode: digests only */
                out->image_status = err_fail(&out->image_error, WARD_ELIMIT,
                                              "image file over %llu bytes is not decoded",
                                              (unsigned long long)h->opts.max_image_bytes);
            } else {
                memcpy(h->image + kept, h->block, (size_t)n);
                kept += (size_t)n;
            }
        }
        out->size += (uint64_t)n;
        if ((size_t)n < READ_BLOCK)
            break;
    }
    if (h->digester)
        ward_digester_final(h->digester, &out->digests);
    if (keep == 1) {
        if (gate_allows(h, out)) {
            hash_image(h, h->image, kept, out);
            maybe_animated(h, h->image, kept, out);
        }
    }
    else if (h->opts.pdq && ward_media_is_image(out->media) && out->image_status == WARD_OK)
        out->image_status = err_fail(&out->image_error, WARD_ELIMIT,
                                      "image file over %llu bytes is not decoded",
                                      (unsigned long long)h->opts.max_image_bytes);
    else if (wants_video(h, out) && size_hint && gate_allows(h, out))
        hash_video(h, fd, NULL, 0, out); /* regular files only: it seeks */
    return WARD_OK;
}
