/*
 * PNG through libpng. Palette and low bit depths are expanded, 16-bit is
 * reduced to 8, alpha is dropped (the reference hashes colour channels and
 * ignores alpha). Non-interlaced images stream row by row; interlaced ones
 * need the whole image, which the pixel limit has already bounded.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_reader {
    const uint8_t *buf;
    size_t len, pos;
} mem_reader;

typedef struct png_err {
    char message[200];
} png_err;

static void read_mem(png_structp png, png_bytep out, png_size_t n)
{
    mem_reader *r = png_get_io_ptr(png);
    if (n > r->len - r->pos)
        png_error(png, "truncated file");
    memcpy(out, r->buf + r->pos, n);
    r->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_err *e = png_get_error_ptr(png);
    snprintf(e->message, sizeof e->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

ward_status media_decode_png(const uint8_t *buf, size_t len, luma_sink *s,
                            ward_error *err)
{
    mem_reader reader = {buf, len, 0};
    png_err perr = {{0}};
    uint8_t *volatile image = NULL;
    png_bytep *volatile rows = NULL; /* freed at done: png_read_image may longjmp */
    ward_status st = WARD_OK;
    png_infop info = NULL;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &perr,
                                             on_error, on_warning);
    if (!png || !(info = png_create_info_struct(png))) {
        png_destroy_read_struct(&png, NULL, NULL);
        return err_fail(err, WARD_ENOMEM, "out of memory starting PNG decoder");
    }
    if (setjmp(png_jmpbuf(png))) {
        st = err_fail(err, WARD_EFORMAT, "PNG: %s", perr.message);
        goto done;
    }
    /* Decoding is for hashing: checksum errors in ancillary chunks are not a
     * reason to give up on the pixels. */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    png_set_read_fn(png, &reader, read_mem);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((uint64_t)w * h > s->opts->max_pixels || w > 0x7fffffff || h > 0x7fffffff) {
        st = err_fail(err, WARD_ELIMIT, "image is %ux%u, over the limit of %llu pixels",
                       (unsigned)w, (unsigned)h, (unsigned long long)s->opts->max_pixels);
        goto done;
    }
    int color = png_get_color_type(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    enum sink_layout layout = channels == 1 ? SINK_GREY : SINK_RGB;
    size_t rowbytes = png_get_rowbytes(png, info);
    st = sink_begin(s, (int)w, (int)h, (int)w, (int)h, err);
    if (st != WARD_OK)
        goto done;
    if (passes == 1) {
        image = malloc(rowbytes);
        if (!image) { st = err_fail(err, WARD_ENOMEM, "out of memory decoding PNG"); goto done; }
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, image, NULL);
            sink_row(s, (int)y, image, layout);
        }
    } else {
        image = malloc(rowbytes * h);
        rows = malloc(sizeof(png_bytep) * h);
        if (!image || !rows) {
            st = err_fail(err, WARD_ENOMEM, "out of memory decoding PNG");
            goto done;
        }
        for (png_uint_32 y = 0; y < h; y++)
            rows[y] = image + (size_t)y * rowbytes;
        png_read_image(png, rows);
        for (png_uint_32 y = 0; y < h; y++)
            sink_row(s, (int)y, image + (size_t)y * rowbytes, layout);
    }
done:
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    free(image);
    return st;
}
