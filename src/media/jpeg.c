/*
 * JPEG through libjpeg-turbo.
 *
 * Fast path (opts.jpeg_fast, the default): ask libjpeg for the smallest DCT
 * scale M/8 whose output still covers the reference's 512x512 grid, and for
 * the grey (Y) channel only, so chroma is never inverse-transformed,
 * upsampled or colour-converted. JFIF's Y is 0.299 R + 0.587 G + 0.114 B,
 * the same weights PDQ uses, so the result differs from the reference's
 * RGB-then-luma only by rounding and by the scaled IDCT's averaging: a few
 * bits of PDQ at most (measured in tests/unit/test_pdq_reference.c).
 *
 * Full path: RGB at full size, exactly what the reference hasher decodes.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <stdio.h>
#include <jerror.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jerr_jmp {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    char warning[JMSG_LENGTH_MAX]; /* first warning, "" if none */
} jerr_jmp;

static void on_error_exit(j_common_ptr cinfo)
{
    jerr_jmp *e = (jerr_jmp *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

/* Warnings (e.g. premature end of data) are tolerated as the reference
 * tolerates them: libjpeg fills the missing part and decoding goes on. The
 * first one is kept: an examiner needs to know the image was damaged. */
static void on_output_message(j_common_ptr cinfo)
{
    jerr_jmp *e = (jerr_jmp *)cinfo->err;
    if (!e->warning[0])
        (*cinfo->err->format_message)(cinfo, e->warning);
}

/* Smallest M in 1..8 with ceil(dim*M/8) >= need for both sides. */
static int pick_scale(int w, int h, int need_w, int need_h)
{
    for (int m = 1; m < 8; m++) {
        long sw = ((long)w * m + 7) / 8, sh = ((long)h * m + 7) / 8;
        if (sw >= need_w && sh >= need_h)
            return m;
    }
    return 8;
}

/* Adobe CMYK JPEGs store inverted values; R = C*K/255 recovers RGB. */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, int n, int inverted)
{
    for (int i = 0; i < n; i++) {
        int c = in[4 * i], m = in[4 * i + 1], y = in[4 * i + 2], k = in[4 * i + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        out[3 * i] = (uint8_t)(c * k / 255);
        out[3 * i + 1] = (uint8_t)(m * k / 255);
        out[3 * i + 2] = (uint8_t)(y * k / 255);
    }
}

ward_status ward_decode_jpeg(const uint8_t *buf, size_t len, luma_sink *s,
                             ward_error *err)
{
    struct jpeg_decompress_struct cinfo;
    jerr_jmp jerr;
    /* volatile: modified after setjmp and read after a longjmp */
    uint8_t *volatile row = NULL;
    uint8_t *volatile rgb = NULL;
    ward_status st = WARD_OK;

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = on_error_exit;
    jerr.mgr.output_message = on_output_message;
    jerr.warning[0] = 0;
    if (setjmp(jerr.jump)) {
        st = ward_fail(err, WARD_EFORMAT, "JPEG: %s", jerr.message);
        goto done;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);

    int w = (int)cinfo.image_width, h = (int)cinfo.image_height;
    if ((uint64_t)w * (uint64_t)h > s->opts->max_pixels) {
        st = ward_fail(err, WARD_ELIMIT, "image is %dx%d, over the limit of %llu pixels",
                       w, h, (unsigned long long)s->opts->max_pixels);
        goto done;
    }
    /* Scale only where it saves work: images that already fit the grid are
     * decoded exactly as the reference decodes them (full size, RGB). */
    int scale = 8;
    if (s->opts->jpeg_fast) {
        int need_w, need_h;
        sink_target(s->opts, w, h, &need_w, &need_h);
        scale = pick_scale(w, h, need_w, need_h);
    }
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    enum sink_layout layout = SINK_RGB;
    if (cmyk) {
        cinfo.out_color_space = JCS_CMYK;
    } else if (cinfo.jpeg_color_space == JCS_GRAYSCALE ||
               (scale < 8 && cinfo.jpeg_color_space == JCS_YCbCr)) {
        cinfo.out_color_space = JCS_GRAYSCALE;
        layout = SINK_GREY;
    } else {
        cinfo.out_color_space = JCS_RGB;
    }
    cinfo.scale_num = (unsigned)scale;
    cinfo.scale_denom = 8;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);

    int ow = (int)cinfo.output_width, oh = (int)cinfo.output_height;
    st = sink_begin(s, w, h, ow, oh, err);
    if (st != WARD_OK)
        goto done;
    row = malloc((size_t)ow * (size_t)cinfo.output_components);
    if (cmyk)
        rgb = malloc((size_t)ow * 3);
    if (!row || (cmyk && !rgb)) {
        st = ward_fail(err, WARD_ENOMEM, "out of memory decoding JPEG");
        goto done;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        int y = (int)cinfo.output_scanline;
        JSAMPROW rp = row;
        jpeg_read_scanlines(&cinfo, &rp, 1);
        if (!sink_wants_row(s, y))
            continue;
        if (cmyk) {
            cmyk_to_rgb(row, rgb, ow, cinfo.saw_Adobe_marker);
            sink_row(s, y, rgb, SINK_RGB);
        } else {
            sink_row(s, y, row, layout);
        }
    }
    jpeg_finish_decompress(&cinfo);
    if (jerr.warning[0])
        snprintf(s->out->warning, sizeof s->out->warning, "JPEG: %s", jerr.warning);
done:
    jpeg_destroy_decompress(&cinfo);
    free(row);
    free(rgb);
    return st;
}
