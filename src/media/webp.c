/* WebP through libwebp (lossy, lossless, with or without alpha; alpha ignored). */
#include "media/decoder.h"
#include "util/error.h"

#include <webp/decode.h>

ward_status media_decode_webp(const uint8_t *buf, size_t len, luma_sink *s,
                             ward_error *err)
{
    WebPBitstreamFeatures f;
    if (WebPGetFeatures(buf, len, &f) != VP8_STATUS_OK)
        return err_fail(err, WARD_EFORMAT, "WebP: bad header");
    if (f.has_animation)
        return err_fail(err, WARD_EUNSUPPORTED, "WebP: animated WebP is not decoded");
    if ((uint64_t)f.width * (uint64_t)f.height > s->opts->max_pixels)
        return err_fail(err, WARD_ELIMIT, "image is %dx%d, over the limit of %llu pixels",
                         f.width, f.height, (unsigned long long)s->opts->max_pixels);
    int w = 0, h = 0;
    uint8_t *rgb = WebPDecodeRGB(buf, len, &w, &h);
    if (!rgb)
        return err_fail(err, WARD_EFORMAT, "WebP: corrupt image data");
    ward_status st = sink_begin(s, w, h, w, h, err);
    if (st == WARD_OK)
        for (int y = 0; y < h; y++)
            sink_row(s, y, rgb + (size_t)y * w * 3, SINK_RGB);
    WebPFree(rgb);
    return st;
}
