/*
 * TIFF through libtiff's RGBA interface, which handles every photometric
 * interpretation, bit depth and compression libtiff knows. First directory
 * only. Read from memory through a client-I/O shim; never written.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

typedef struct mem_tiff {
    const uint8_t *buf;
    toff_t len, pos;
    char message[200];
} mem_tiff;

static tmsize_t t_read(thandle_t h, void *out, tmsize_t n)
{
    mem_tiff *m = (mem_tiff *)h;
    if (n < 0 || m->pos >= m->len) return 0;
    toff_t take = (toff_t)n < m->len - m->pos ? (toff_t)n : m->len - m->pos;
    memcpy(out, m->buf + m->pos, take);
    m->pos += take;
    return (tmsize_t)take;
}
static tmsize_t t_write(thandle_t h, void *in, tmsize_t n) { (void)h; (void)in; (void)n; return -1; }
static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
    mem_tiff *m = (mem_tiff *)h;
    toff_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    m->pos = base + off;
    return m->pos;
}
static int t_close(thandle_t h) { (void)h; return 0; }
static toff_t t_size(thandle_t h) { return ((mem_tiff *)h)->len; }
static int t_map(thandle_t h, void **base, toff_t *size) { (void)h; (void)base; (void)size; return 0; }
static void t_unmap(thandle_t h, void *base, toff_t size) { (void)h; (void)base; (void)size; }

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    mem_tiff *m = user;
    (void)tif;
    if (m && !m->message[0]) vsnprintf(m->message, sizeof m->message, fmt, ap);
    (void)module;
    return 1;
}
static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;
}

ward_status media_decode_tiff(const uint8_t *buf, size_t len, luma_sink *s,
                             ward_error *err)
{
    mem_tiff m = {buf, len, 0, {0}};
    TIFFOpenOptions *oo = TIFFOpenOptionsAlloc();
    if (!oo) return err_fail(err, WARD_ENOMEM, "out of memory starting TIFF decoder");
    TIFFOpenOptionsSetErrorHandlerExtR(oo, on_error, &m);
    TIFFOpenOptionsSetWarningHandlerExtR(oo, on_warning, &m);
    TIFF *tif = TIFFClientOpenExt("memory", "rm", (thandle_t)&m, t_read, t_write,
                                  t_seek, t_close, t_size, t_map, t_unmap, oo);
    TIFFOpenOptionsFree(oo);
    if (!tif)
        return err_fail(err, WARD_EFORMAT, "TIFF: %s", m.message[0] ? m.message : "cannot open");
    uint32_t w = 0, h = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    ward_status st;
    if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff) {
        st = err_fail(err, WARD_EFORMAT, "TIFF: bad size %ux%u", w, h);
    } else if ((uint64_t)w * h > s->opts->max_pixels) {
        st = err_fail(err, WARD_ELIMIT, "image is %ux%u, over the limit of %llu pixels",
                       w, h, (unsigned long long)s->opts->max_pixels);
    } else {
        uint32_t *raster = malloc(sizeof(uint32_t) * (size_t)w * h);
        if (!raster) {
            st = err_fail(err, WARD_ENOMEM, "out of memory decoding TIFF");
        } else if (!TIFFReadRGBAImageOriented(tif, w, h, raster, ORIENTATION_TOPLEFT, 0)) {
            st = err_fail(err, WARD_EFORMAT, "TIFF: %s", m.message[0] ? m.message : "cannot decode");
        } else if ((st = sink_begin(s, (int)w, (int)h, (int)w, (int)h, err)) == WARD_OK) {
            /* libtiff packs A B G R from high to low byte: R is the low byte,
             * so in little-endian memory the bytes are R G B A. */
            for (uint32_t y = 0; y < h; y++)
                sink_row(s, (int)y, (const uint8_t *)(raster + (size_t)y * w), SINK_RGBA);
        }
        free(raster);
    }
    TIFFClose(tif);
    return st;
}
