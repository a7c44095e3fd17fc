/*
 * Internal interface between the format decoders and the luma sink.
 *
 * A decoder reports the image size with sink_begin (which enforces the pixel
 * limit and allocates the output), then hands over rows top to bottom with
 * sink_row. The sink keeps only the rows the nearest-neighbour grid needs and
 * converts them to float luma with the reference's coefficients.
 */
#ifndef WARD_MEDIA_DECODER_H
#define WARD_MEDIA_DECODER_H

#include <ward/media.h>

typedef struct luma_sink {
    const ward_decode_opts *opts;
    ward_luma *out;
    int src_w, src_h;      /* size of the rows the decoder delivers */
    int next_out_row;      /* first output row not yet written */
    int *col_map;          /* output column -> source column */
} luma_sink;

/* Pixel layouts a decoder may hand over. */
enum sink_layout {
    SINK_GREY = 1,   /* 1 byte/px */
    SINK_GREYA = 2,  /* grey + alpha; alpha ignored, as the reference does */
    SINK_RGB = 3,
    SINK_RGBA = 4,   /* alpha ignored */
    SINK_BGRA = 5    /* 4 bytes, B G R A */
};

/* width/height: the image's own size (checked against max_pixels).
 * deliver_w/deliver_h: the size of the rows that will arrive (differs only
 * when the decoder scales, e.g. JPEG DCT scaling). */
ward_status sink_begin(luma_sink *s, int width, int height, int deliver_w,
                       int deliver_h, ward_error *err);
void sink_row(luma_sink *s, int y, const uint8_t *row, enum sink_layout layout);
/* Whether row y is used (decoders that can skip rows may ask). */
int sink_wants_row(const luma_sink *s, int y);
void sink_free(luma_sink *s);

/* Output size for an image of w x h under opts (the reference's resize rule). */
void sink_target(const ward_decode_opts *opts, int w, int h, int *ow, int *oh);

ward_status media_decode_jpeg(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_png(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_gif(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_webp(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_bmp(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_tiff(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_heif(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);
ward_status media_decode_pnm(const uint8_t *buf, size_t len, luma_sink *s, ward_error *err);

/* EXIF orientation (1..8) in a JPEG's APP1 segment, or 0. */
int media_jpeg_exif_orientation(const uint8_t *buf, size_t len);
/* Rotate/flip a luma plane in place per EXIF orientation (needs rows*cols scratch). */
ward_status media_luma_orient(ward_luma *l, int orientation);

#endif
