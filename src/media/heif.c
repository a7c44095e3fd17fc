/*
 * HEIF/HEIC (and AVIF where libheif has a decoder) through libheif: the
 * primary image. HEIF's rotation/mirror properties are treated like EXIF
 * orientation: applied only when opts.apply_orientation is set.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <libheif/heif.h>

ward_status media_decode_heif(const uint8_t *buf, size_t len, luma_sink *s,
                             ward_error *err)
{
    struct heif_context *ctx = heif_context_alloc();
    struct heif_image_handle *handle = NULL;
    struct heif_image *img = NULL;
    struct heif_decoding_options *dopt = NULL;
    ward_status st = WARD_OK;
    if (!ctx)
        return err_fail(err, WARD_ENOMEM, "out of memory starting HEIF decoder");
    struct heif_error he = heif_context_read_from_memory_without_copy(ctx, buf, len, NULL);
    if (he.code != heif_error_Ok) { st = err_fail(err, WARD_EFORMAT, "HEIF: %s", he.message); goto done; }
    he = heif_context_get_primary_image_handle(ctx, &handle);
    if (he.code != heif_error_Ok) { st = err_fail(err, WARD_EFORMAT, "HEIF: %s", he.message); goto done; }
    int w = heif_image_handle_get_width(handle), h = heif_image_handle_get_height(handle);
    if (w <= 0 || h <= 0) { st = err_fail(err, WARD_EFORMAT, "HEIF: bad size %dx%d", w, h); goto done; }
    if ((uint64_t)w * (uint64_t)h > s->opts->max_pixels) {
        st = err_fail(err, WARD_ELIMIT, "image is %dx%d, over the limit of %llu pixels",
                       w, h, (unsigned long long)s->opts->max_pixels);
        goto done;
    }
    dopt = heif_decoding_options_alloc();
    if (dopt)
        dopt->ignore_transformations = !s->opts->apply_orientation;
    he = heif_decode_image(handle, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, dopt);
    if (he.code != heif_error_Ok) {
        st = err_fail(err, he.code == heif_error_Unsupported_feature ? WARD_EUNSUPPORTED : WARD_EFORMAT,
                       "HEIF: %s", he.message);
        goto done;
    }
    int stride = 0;
    const uint8_t *px = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    int iw = heif_image_get_width(img, heif_channel_interleaved);
    int ih = heif_image_get_height(img, heif_channel_interleaved);
    if (!px || iw <= 0 || ih <= 0) { st = err_fail(err, WARD_EFORMAT, "HEIF: no pixel data"); goto done; }
    st = sink_begin(s, iw, ih, iw, ih, err);
    if (st == WARD_OK)
        for (int y = 0; y < ih; y++)
            sink_row(s, y, px + (size_t)y * stride, SINK_RGB);
done:
    heif_decoding_options_free(dopt);
    heif_image_release(img);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    return st;
}
