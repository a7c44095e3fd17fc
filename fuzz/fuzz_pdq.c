/*
 * Fuzz target: PDQ on decoded pixel buffers. Every decoder ends in the same
 * place -- the luma sink (resampling to the reference grid, RGB -> luma),
 * EXIF-style orientation, then ward_pdq_from_luma -- so this feeds that
 * path arbitrary sizes, pixel layouts and pixels without any file format
 * in the way. A 6-byte header picks the shape, the rest are the pixels:
 *   [0..1] width-1, [2..3] height-1 (little-endian, low 12 bits: 1..4096),
 *   [4] layout (bits 0-2), dihedral (bit 3), max_side 0/512/64 (bits 4-5),
 *   [5] orientation 0..8
 * Rows are taken from the pixels cyclically, so a huge declared size with
 * few bytes still runs (bounded by max_pixels, as a decoder would be).
 */
#include "media/decoder.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ward/pdq.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes per pixel of each sink layout. */
static int layout_bytes(enum sink_layout l)
{
    switch (l) {
    case SINK_GREY: return 1;
    case SINK_GREYA: return 2;
    case SINK_RGB: return 3;
    default: return 4;
    }
}

static void hash_plane(ward_luma *l, int orientation, int dihedral)
{
    if (orientation && media_luma_orient(l, orientation) != WARD_OK)
        return;
    float *scratch = malloc(sizeof(float) * (size_t)l->rows * (size_t)l->cols);
    if (!scratch)
        return;
    ward_pdq_result r;
    (void)ward_pdq_from_luma(l->px, scratch, l->rows, l->cols, dihedral, &r);
    free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7)
        return 0;
    int width = 1 + ((data[0] | data[1] << 8) & 0xfff);
    int height = 1 + ((data[2] | data[3] << 8) & 0xfff);
    enum sink_layout layout = (enum sink_layout)(1 + (data[4] & 7) % 5);
    int dihedral = (data[4] >> 3) & 1;
    static const int sides[4] = {0, WARD_REFERENCE_SIDE, 64, WARD_REFERENCE_SIDE};
    int orientation = data[5] % 9;
    const uint8_t *px = data + 6;
    size_t npx = size - 6;

    ward_decode_opts opts;
    ward_decode_opts_default(&opts);
    opts.max_side = sides[(data[4] >> 4) & 3];
    /* Keep inputs cheap so the fuzzer explores (the limit path runs too):
     * unresampled planes are hashed at full size, so they get less. */
    opts.max_pixels = opts.max_side ? 1u << 21 : 1u << 18;
    ward_luma luma;
    memset(&luma, 0, sizeof luma);
    luma_sink sink = {.opts = &opts, .out = &luma};
    ward_error err;
    if (sink_begin(&sink, width, height, width, height, &err) != WARD_OK)
        return 0;

    /* One source row at a time, filled cyclically from the pixel bytes. */
    size_t row_bytes = (size_t)width * (size_t)layout_bytes(layout);
    uint8_t *row = malloc(row_bytes);
    if (!row) {
        sink_free(&sink);
        ward_luma_free(&luma);
        return 0;
    }
    size_t at = 0;
    for (int y = 0; y < height; y++) {
        if (!sink_wants_row(&sink, y))
            continue;
        for (size_t i = 0; i < row_bytes;) {
            size_t n = npx - at < row_bytes - i ? npx - at : row_bytes - i;
            memcpy(row + i, px + at, n);
            i += n;
            at = (at + n) % npx;
        }
        sink_row(&sink, y, row, layout);
    }
    free(row);
    sink_free(&sink);
    hash_plane(&luma, orientation, dihedral);
    ward_luma_free(&luma);
    return 0;
}
