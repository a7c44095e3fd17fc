/*
 * Windows BMP. No Debian library decodes BMP on its own, and the format is
 * small, so it is read here: BITMAPCOREHEADER and BITMAPINFOHEADER (v1-v5),
 * 1/4/8-bit palettes, 16/24/32-bit, BI_RGB and BI_BITFIELDS. RLE-compressed
 * files are reported as unsupported. Every offset is checked against the
 * buffer before use.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Scale a masked channel value to 0..255. */
static uint8_t channel(uint32_t px, uint32_t mask)
{
    if (!mask) return 0;
    int shift = __builtin_ctz(mask);
    uint32_t max = mask >> shift;
    return (uint8_t)(((px & mask) >> shift) * 255u / max);
}

ward_status media_decode_bmp(const uint8_t *buf, size_t len, luma_sink *s,
                            ward_error *err)
{
    if (len < 26)
        return err_fail(err, WARD_EFORMAT, "BMP: truncated header");
    uint32_t data_off = le32(buf + 10), hsize = le32(buf + 14);
    int64_t w, h;
    int bpp, compression = 0, ncolors = 0, palette_entry = 4;
    if (hsize == 12) {
        w = le16(buf + 18); h = (int16_t)le16(buf + 20); bpp = le16(buf + 24);
        palette_entry = 3;
    } else if (hsize >= 40 && len >= 14 + 40) {
        w = (int32_t)le32(buf + 18); h = (int32_t)le32(buf + 22);
        bpp = le16(buf + 28); compression = (int)le32(buf + 30);
        ncolors = (int)le32(buf + 46);
    } else {
        return err_fail(err, WARD_EFORMAT, "BMP: unknown header size %u", hsize);
    }
    int top_down = h < 0;
    if (top_down) h = -h;
    if (w <= 0 || h <= 0 || w > 0x7fffffff || h > 0x7fffffff)
        return err_fail(err, WARD_EFORMAT, "BMP: bad size %lldx%lld", (long long)w, (long long)h);
    if ((uint64_t)w * (uint64_t)h > s->opts->max_pixels)
        return err_fail(err, WARD_ELIMIT, "image is %lldx%lld, over the limit of %llu pixels",
                         (long long)w, (long long)h, (unsigned long long)s->opts->max_pixels);
    if (compression != 0 && compression != 3)
        return err_fail(err, WARD_EUNSUPPORTED, "BMP: compression %d is not supported", compression);
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return err_fail(err, WARD_EFORMAT, "BMP: bad bit depth %d", bpp);

    uint32_t rmask = 0, gmask = 0, bmask = 0;
    if (bpp == 16) { rmask = 0x7c00; gmask = 0x03e0; bmask = 0x001f; }
    if (bpp == 32) { rmask = 0xff0000; gmask = 0xff00; bmask = 0xff; }
    if (compression == 3) {
        /* Masks follow a 40-byte header, or sit inside v2+ headers. */
        if (len < 14 + 40 + 12)
            return err_fail(err, WARD_EFORMAT, "BMP: truncated bit masks");
        rmask = le32(buf + 54); gmask = le32(buf + 58); bmask = le32(buf + 62);
    }
    const uint8_t *palette = NULL;
    if (bpp <= 8) {
        if (ncolors <= 0 || ncolors > (1 << bpp)) ncolors = 1 << bpp;
        size_t pal_off = 14 + (size_t)hsize;
        if (pal_off + (size_t)ncolors * palette_entry > len)
            return err_fail(err, WARD_EFORMAT, "BMP: truncated palette");
        palette = buf + pal_off;
    }
    size_t stride = (((size_t)w * bpp + 31) / 32) * 4;
    if (data_off > len || stride * (size_t)h > len - data_off)
        return err_fail(err, WARD_EFORMAT, "BMP: pixel data runs past end of file");

    ward_status st = sink_begin(s, (int)w, (int)h, (int)w, (int)h, err);
    if (st != WARD_OK)
        return st;
    uint8_t *rgb = malloc((size_t)w * 3);
    if (!rgb)
        return err_fail(err, WARD_ENOMEM, "out of memory decoding BMP");
    for (int y = 0; y < h; y++) {
        if (!sink_wants_row(s, y)) continue;
        int file_row = top_down ? y : (int)(h - 1 - y);
        const uint8_t *src = buf + data_off + (size_t)file_row * stride;
        for (int x = 0; x < w; x++) {
            uint8_t *o = rgb + 3 * x;
            if (bpp <= 8) {
                int idx = (src[(size_t)x * bpp / 8] >> (8 - bpp - (x * bpp) % 8)) & ((1 << bpp) - 1);
                if (idx >= ncolors) idx = 0;
                const uint8_t *c = palette + (size_t)idx * palette_entry;
                o[0] = c[2]; o[1] = c[1]; o[2] = c[0];
            } else if (bpp == 24) {
                const uint8_t *c = src + 3 * (size_t)x;
                o[0] = c[2]; o[1] = c[1]; o[2] = c[0];
            } else {
                uint32_t px = bpp == 16 ? le16(src + 2 * (size_t)x) : le32(src + 4 * (size_t)x);
                o[0] = channel(px, rmask); o[1] = channel(px, gmask); o[2] = channel(px, bmask);
            }
        }
        sink_row(s, y, rgb, SINK_RGB);
    }
    free(rgb);
    return WARD_OK;
}
