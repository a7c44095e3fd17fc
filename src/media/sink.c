/*
 * The luma sink: nearest-neighbour resampling to the reference grid plus the
 * reference's float luma (0.299 R + 0.587 G + 0.114 B, summed in that order).
 *
 * Mapping: output column x takes source column floor(x * W / ow), the same
 * index CImg's nearest-neighbour resize uses in the reference hasher.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

void sink_target(const ward_decode_opts *opts, int w, int h, int *ow, int *oh)
{
    if (opts->max_side > 0 && (w > opts->max_side || h > opts->max_side)) {
        *ow = opts->max_side;
        *oh = opts->max_side;
    } else {
        *ow = w;
        *oh = h;
    }
}

ward_status sink_begin(luma_sink *s, int width, int height, int deliver_w,
                       int deliver_h, ward_error *err)
{
    if (width <= 0 || height <= 0 || deliver_w <= 0 || deliver_h <= 0)
        return err_fail(err, WARD_EFORMAT, "image has no pixels (%dx%d)", width, height);
    if ((uint64_t)width * (uint64_t)height > s->opts->max_pixels)
        return err_fail(err, WARD_ELIMIT,
                         "image is %dx%d, over the limit of %llu pixels", width,
                         height, (unsigned long long)s->opts->max_pixels);
    int ow, oh;
    sink_target(s->opts, deliver_w, deliver_h, &ow, &oh);
    /* A decoder that scaled may deliver slightly more than the target; the
     * grid is then taken from the delivered rows. */
    s->out->width = width;
    s->out->height = height;
    s->out->cols = ow;
    s->out->rows = oh;
    s->src_w = deliver_w;
    s->src_h = deliver_h;
    s->next_out_row = 0;
    s->out->px = malloc(sizeof(float) * (size_t)ow * (size_t)oh);
    s->col_map = malloc(sizeof(int) * (size_t)ow);
    if (!s->out->px || !s->col_map) {
        sink_free(s);
        free(s->out->px);
        s->out->px = NULL;
        return err_fail(err, WARD_ENOMEM, "out of memory for %dx%d luma plane", ow, oh);
    }
    for (int x = 0; x < ow; x++)
        s->col_map[x] = (int)((int64_t)x * deliver_w / ow);
    return WARD_OK;
}

static int src_row_of(const luma_sink *s, int out_row)
{
    return (int)((int64_t)out_row * s->src_h / s->out->rows);
}

int sink_wants_row(const luma_sink *s, int y)
{
    return s->next_out_row < s->out->rows && src_row_of(s, s->next_out_row) == y;
}

static void convert_row(const luma_sink *s, const uint8_t *row,
                        enum sink_layout layout, float *dst)
{
    const float cr = 0.299f, cg = 0.587f, cb = 0.114f;
    const int *map = s->col_map;
    int n = s->out->cols;
    switch (layout) {
    case SINK_GREY:
        for (int x = 0; x < n; x++) dst[x] = (float)row[map[x]];
        break;
    case SINK_GREYA:
        for (int x = 0; x < n; x++) dst[x] = (float)row[2 * map[x]];
        break;
    case SINK_RGB:
        for (int x = 0; x < n; x++) {
            const uint8_t *p = row + 3 * map[x];
            dst[x] = cr * p[0] + cg * p[1] + cb * p[2];
        }
        break;
    case SINK_RGBA:
        for (int x = 0; x < n; x++) {
            const uint8_t *p = row + 4 * map[x];
            dst[x] = cr * p[0] + cg * p[1] + cb * p[2];
        }
        break;
    case SINK_BGRA:
        for (int x = 0; x < n; x++) {
            const uint8_t *p = row + 4 * map[x];
            dst[x] = cr * p[2] + cg * p[1] + cb * p[0];
        }
        break;
    }
}

void sink_row(luma_sink *s, int y, const uint8_t *row, enum sink_layout layout)
{
    float *first = NULL;
    while (sink_wants_row(s, y)) {
        float *dst = s->out->px + (size_t)s->next_out_row * s->out->cols;
        if (first)
            memcpy(dst, first, sizeof(float) * (size_t)s->out->cols);
        else
            convert_row(s, row, layout, dst);
        first = dst;
        s->next_out_row++;
    }
}

void sink_free(luma_sink *s)
{
    free(s->col_map);
    s->col_map = NULL;
}
