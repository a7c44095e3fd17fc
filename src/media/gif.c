/*
 * GIF through giflib: the first frame, drawn on the logical screen filled
 * with the background colour (what a viewer shows first). Only the records
 * up to the first image are read, so a long animation costs nothing extra.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <gif_lib.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_reader {
    const uint8_t *buf;
    size_t len, pos;
} mem_reader;

static int read_mem(GifFileType *gif, GifByteType *out, int n)
{
    mem_reader *r = gif->UserData;
    size_t avail = r->len - r->pos;
    size_t take = (size_t)n < avail ? (size_t)n : avail;
    memcpy(out, r->buf + r->pos, take);
    r->pos += take;
    return (int)take;
}

static ward_status gif_fail(ward_error *err, int code)
{
    const char *msg = GifErrorString(code);
    return err_fail(err, WARD_EFORMAT, "GIF: %s", msg ? msg : "decoding failed");
}

/* Rows of an interlaced frame arrive in four passes: 0,8,16.. then 4,12..
 * then 2,6,10.. then 1,3,5.. */
static int interlaced_row(int i, int h)
{
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int p = 0; p < 4; p++) {
        int n = (h - start[p] + step[p] - 1) / step[p];
        if (h <= start[p]) n = 0;
        if (i < n) return start[p] + i * step[p];
        i -= n;
    }
    return h - 1;
}

static ward_status draw_first_frame(GifFileType *gif, luma_sink *s, ward_error *err)
{
    int sw = gif->SWidth, sh = gif->SHeight;
    if (DGifGetImageDesc(gif) == GIF_ERROR)
        return gif_fail(err, gif->Error);
    GifImageDesc *d = &gif->Image;
    /* Some files declare a 0x0 screen; the frame then defines the canvas. */
    if (sw <= 0 || sh <= 0) { sw = d->Left + d->Width; sh = d->Top + d->Height; }
    ColorMapObject *cmap = d->ColorMap ? d->ColorMap : gif->SColorMap;
    if (!cmap)
        return err_fail(err, WARD_EFORMAT, "GIF: no colour map");
    ward_status st = sink_begin(s, sw, sh, sw, sh, err);
    if (st != WARD_OK)
        return st;
    if ((uint64_t)d->Width * (uint64_t)d->Height > s->opts->max_pixels ||
        d->Width <= 0 || d->Height <= 0)
        return err_fail(err, WARD_EFORMAT, "GIF: bad frame size %dx%d", d->Width, d->Height);

    uint8_t *canvas = malloc((size_t)sw * sh);
    GifPixelType *line = malloc((size_t)d->Width);
    if (!canvas || !line) {
        free(canvas); free(line);
        return err_fail(err, WARD_ENOMEM, "out of memory decoding GIF");
    }
    int bg = gif->SBackGroundColor < cmap->ColorCount ? gif->SBackGroundColor : 0;
    memset(canvas, bg, (size_t)sw * sh);
    for (int i = 0; i < d->Height; i++) {
        if (DGifGetLine(gif, line, d->Width) == GIF_ERROR) {
            /* A truncated frame keeps the rows it had, as viewers show it. */
            break;
        }
        int y = d->Top + (d->Interlace ? interlaced_row(i, d->Height) : i);
        if (y < 0 || y >= sh) continue;
        for (int x = 0; x < d->Width; x++) {
            int cx = d->Left + x;
            if (cx >= 0 && cx < sw)
                canvas[(size_t)y * sw + cx] = line[x];
        }
    }
    uint8_t *rgb = malloc((size_t)sw * 3);
    if (!rgb) {
        free(canvas); free(line);
        return err_fail(err, WARD_ENOMEM, "out of memory decoding GIF");
    }
    for (int y = 0; y < sh; y++) {
        if (!sink_wants_row(s, y)) continue;
        for (int x = 0; x < sw; x++) {
            int idx = canvas[(size_t)y * sw + x];
            GifColorType c = idx < cmap->ColorCount ? cmap->Colors[idx] : cmap->Colors[0];
            rgb[3 * x] = c.Red; rgb[3 * x + 1] = c.Green; rgb[3 * x + 2] = c.Blue;
        }
        sink_row(s, y, rgb, SINK_RGB);
    }
    free(rgb); free(canvas); free(line);
    return WARD_OK;
}

ward_status media_decode_gif(const uint8_t *buf, size_t len, luma_sink *s,
                            ward_error *err)
{
    mem_reader reader = {buf, len, 0};
    int code = 0;
    GifFileType *gif = DGifOpen(&reader, read_mem, &code);
    if (!gif)
        return gif_fail(err, code);
    if ((uint64_t)gif->SWidth * (uint64_t)gif->SHeight > s->opts->max_pixels) {
        ward_status st = err_fail(err, WARD_ELIMIT, "image is %dx%d, over the limit of %llu pixels",
                                   gif->SWidth, gif->SHeight,
                                   (unsigned long long)s->opts->max_pixels);
        DGifCloseFile(gif, &code);
        return st;
    }
    ward_status st = err_fail(err, WARD_EFORMAT, "GIF: no image in file");
    GifRecordType rec;
    for (;;) {
        if (DGifGetRecordType(gif, &rec) == GIF_ERROR) { st = gif_fail(err, gif->Error); break; }
        if (rec == IMAGE_DESC_RECORD_TYPE) { st = draw_first_frame(gif, s, err); break; }
        if (rec == TERMINATE_RECORD_TYPE) break;
        if (rec == EXTENSION_RECORD_TYPE) {
            int ext; GifByteType *data;
            if (DGifGetExtension(gif, &ext, &data) == GIF_ERROR) { st = gif_fail(err, gif->Error); break; }
            while (data) {
                if (DGifGetExtensionNext(gif, &data) == GIF_ERROR) { st = gif_fail(err, gif->Error); goto out; }
            }
        }
    }
out:
    DGifCloseFile(gif, &code);
    return st;
}
