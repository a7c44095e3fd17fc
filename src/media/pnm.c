/*
 * Netpbm grey and colour maps: P2/P5 (PGM) and P3/P6 (PPM), maxval up to
 * 65535 (scaled to 8 bits). The PDQ test vectors are binary P5/P6 at
 * maxval 255, whose bytes reach the luma sink unchanged.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <ctype.h>
#include <stdlib.h>

typedef struct cursor {
    const uint8_t *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end) {
        if (*c->p == '#') {
            while (c->p < c->end && *c->p != '\n') c->p++;
        } else if (isspace(*c->p)) {
            c->p++;
        } else {
            break;
        }
    }
}

static long read_uint(cursor *c)
{
    skip_space(c);
    long v = 0;
    int digits = 0;
    while (c->p < c->end && isdigit(*c->p) && v < 100000000) {
        v = v * 10 + (*c->p++ - '0');
        digits++;
    }
    return digits ? v : -1;
}

ward_status media_decode_pnm(const uint8_t *buf, size_t len, luma_sink *s,
                            ward_error *err)
{
    if (len < 3 || buf[0] != 'P')
        return err_fail(err, WARD_EFORMAT, "PNM: bad magic");
    int kind = buf[1] - '0';
    if (kind != 2 && kind != 3 && kind != 5 && kind != 6)
        return err_fail(err, WARD_EUNSUPPORTED, "PNM: P%c is not supported", buf[1]);
    cursor c = {buf + 2, buf + len};
    long w = read_uint(&c), h = read_uint(&c), maxval = read_uint(&c);
    if (w <= 0 || h <= 0 || maxval <= 0 || maxval > 65535)
        return err_fail(err, WARD_EFORMAT, "PNM: bad header");
    if ((uint64_t)w * (uint64_t)h > s->opts->max_pixels)
        return err_fail(err, WARD_ELIMIT, "image is %ldx%ld, over the limit of %llu pixels",
                         w, h, (unsigned long long)s->opts->max_pixels);
    int channels = (kind == 3 || kind == 6) ? 3 : 1;
    int binary = kind >= 5;
    int bytes = maxval > 255 ? 2 : 1;
    if (binary) {
        if (c.p >= c.end || !isspace(*c.p))
            return err_fail(err, WARD_EFORMAT, "PNM: bad header");
        c.p++; /* exactly one whitespace byte before binary data */
        if ((size_t)(c.end - c.p) < (size_t)w * h * channels * bytes)
            return err_fail(err, WARD_EFORMAT, "PNM: truncated pixel data");
    }
    ward_status st = sink_begin(s, (int)w, (int)h, (int)w, (int)h, err);
    if (st != WARD_OK)
        return st;
    uint8_t *row = malloc((size_t)w * channels);
    if (!row)
        return err_fail(err, WARD_ENOMEM, "out of memory decoding PNM");
    for (long y = 0; y < h; y++) {
        for (long i = 0; i < w * channels; i++) {
            long v;
            if (!binary) {
                v = read_uint(&c);
                if (v < 0) { free(row); return err_fail(err, WARD_EFORMAT, "PNM: truncated pixel data"); }
            } else if (bytes == 2) {
                v = c.p[0] << 8 | c.p[1];
                c.p += 2;
            } else {
                v = *c.p++;
            }
            if (v > maxval) v = maxval;
            row[i] = (uint8_t)(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
        }
        sink_row(s, (int)y, row, channels == 3 ? SINK_RGB : SINK_GREY);
    }
    free(row);
    return WARD_OK;
}
