/*
 * Thumbnails from a decoded luma plane: area-average shrink, box blur,
 * greyscale JPEG. See include/ward/thumb.h for why they look as they do.
 */
#include "util/error.h"

#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h> /* after stdio.h: it uses FILE and size_t */
#include <string.h>
#include <ward/thumb.h>

/* Each output pixel is the mean of the source rectangle it covers. */
static void shrink(const ward_luma *l, ward_thumb *t)
{
    for (int y = 0; y < t->rows; y++) {
        int y0 = (int)((long)y * l->rows / t->rows);
        int y1 = (int)((long)(y + 1) * l->rows / t->rows);
        if (y1 <= y0) y1 = y0 + 1;
        for (int x = 0; x < t->cols; x++) {
            int x0 = (int)((long)x * l->cols / t->cols);
            int x1 = (int)((long)(x + 1) * l->cols / t->cols);
            if (x1 <= x0) x1 = x0 + 1;
            double sum = 0;
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++)
                    sum += l->px[(size_t)yy * l->cols + xx];
            double v = sum / ((double)(y1 - y0) * (x1 - x0));
            t->px[(size_t)y * t->cols + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
        }
    }
}

/* One horizontal then one vertical box pass of radius r, edges clamped. */
static void box_pass(uint8_t *px, uint8_t *tmp, int rows, int cols, int r)
{
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            int sum = 0, n = 0;
            for (int k = x - r; k <= x + r; k++, n++)
                sum += px[(size_t)y * cols + (k < 0 ? 0 : k >= cols ? cols - 1 : k)];
            tmp[(size_t)y * cols + x] = (uint8_t)(sum / n);
        }
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            int sum = 0, n = 0;
            for (int k = y - r; k <= y + r; k++, n++)
                sum += tmp[(size_t)(k < 0 ? 0 : k >= rows ? rows - 1 : k) * cols + x];
            px[(size_t)y * cols + x] = (uint8_t)(sum / n);
        }
}

ward_status ward_thumb_make(const ward_luma *l, int max_side, int blur, ward_thumb *out,
                            ward_error *err)
{
    memset(out, 0, sizeof *out);
    if (!l || !l->px || l->rows < 1 || l->cols < 1 || max_side < 16 || max_side > 512 ||
        blur < 0)
        return err_fail(err, WARD_EINVAL, "bad thumbnail request");
    int big = l->rows > l->cols ? l->rows : l->cols;
    int side = big < max_side ? big : max_side;
    out->rows = l->rows * side / big > 0 ? l->rows * side / big : 1;
    out->cols = l->cols * side / big > 0 ? l->cols * side / big : 1;
    size_t n = (size_t)out->rows * out->cols;
    out->px = malloc(n);
    uint8_t *tmp = blur ? malloc(n) : NULL;
    if (!out->px || (blur && !tmp)) {
        free(tmp);
        ward_thumb_free(out);
        return err_fail(err, WARD_ENOMEM, "out of memory for a thumbnail");
    }
    shrink(l, out);
    for (int i = 0; blur && i < 3; i++)
        box_pass(out->px, tmp, out->rows, out->cols, blur);
    free(tmp);
    return WARD_OK;
}

typedef struct thumb_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} thumb_err;

static void on_error(j_common_ptr c) { longjmp(((thumb_err *)c->err)->jump, 1); }

ward_status ward_thumb_write_jpeg(const ward_thumb *t, const char *path, ward_error *err)
{
    FILE *volatile f = fopen(path, "wb");
    if (!f)
        return err_fail_errno(err, errno, "cannot write %s", path);
    struct jpeg_compress_struct c;
    thumb_err je;
    c.err = jpeg_std_error(&je.mgr);
    je.mgr.error_exit = on_error;
    if (setjmp(je.jump)) {
        jpeg_destroy_compress(&c);
        fclose(f);
        return err_fail(err, WARD_EIO, "cannot encode %s", path);
    }
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)t->cols;
    c.image_height = (JDIMENSION)t->rows;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 75, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = t->px + (size_t)c.next_scanline * t->cols;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    if (fclose(f) != 0)
        return err_fail_errno(err, errno, "cannot write %s", path);
    return WARD_OK;
}

void ward_thumb_free(ward_thumb *t)
{
    free(t->px);
    t->px = NULL;
}
