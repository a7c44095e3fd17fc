/*
 * media.h -- recognise and decode images into what PDQ hashes.
 *
 * The format is sniffed from the bytes, never from the file name. Decoding
 * produces a float luminance plane the way Meta's reference hasher sees the
 * image: images with a side over 512 px are resampled nearest-neighbour to
 * 512x512 (the reference CLI does this), smaller ones are kept as they are.
 * JPEGs are decoded with libjpeg-turbo's DCT scaling straight to the smallest
 * size that still covers that 512x512 grid, and from the luma channel alone.
 *
 * Every decoder checks the declared dimensions against opts.max_pixels before
 * allocating anything sized by them.
 */
#ifndef WARD_MEDIA_H
#define WARD_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_media_type {
    WARD_MEDIA_UNKNOWN = 0,
    WARD_MEDIA_JPEG,
    WARD_MEDIA_PNG,
    WARD_MEDIA_GIF,
    WARD_MEDIA_WEBP,
    WARD_MEDIA_BMP,
    WARD_MEDIA_TIFF,
    WARD_MEDIA_HEIF,
    WARD_MEDIA_PNM,
    /* videos, hashed frame by frame (video.h, vpdq.h) */
    WARD_MEDIA_MP4,        /* ISO base media: MP4, 3GP, M4V (not HEIF) */
    WARD_MEDIA_MOV,        /* QuickTime */
    WARD_MEDIA_MATROSKA,   /* MKV, WebM */
    WARD_MEDIA_AVI,
    WARD_MEDIA_MPEGTS,
    WARD_MEDIA_MPEGPS,
    WARD_MEDIA_FLV
} ward_media_type;

/* Format of the first bytes of a file (400 are enough: MPEG-TS needs three
 * packet sync bytes; the others 16). */
ward_media_type ward_media_sniff(const uint8_t *buf, size_t len);
/* "jpeg", "png", ..., "mp4", "matroska", ... or "unknown". */
const char *ward_media_type_name(ward_media_type type);
/* Whether ward can decode this type into a PDQ hash. */
int ward_media_is_image(ward_media_type type);
/* Whether this is a video container ward samples frames from. */
int ward_media_is_video(ward_media_type type);

#define WARD_DEFAULT_MAX_PIXELS 100000000ull /* 100 Mpx */
#define WARD_REFERENCE_SIDE 512

typedef struct ward_decode_opts {
    uint64_t max_pixels;   /* refuse images with more (width*height) pixels */
    int apply_orientation; /* apply EXIF orientation / HEIF irot+imir */
    int max_side;          /* resample to max_side^2 if a side exceeds it; 0: never */
    int jpeg_fast;         /* JPEG: DCT-scaled, luma-only decode (default 1) */
} ward_decode_opts;

void ward_decode_opts_default(ward_decode_opts *opts);

typedef struct ward_luma {
    float *px;             /* rows x cols, row-major, 0..255 */
    int rows, cols;
    int width, height;     /* the image's own size as stored */
    ward_media_type type;
    int orientation;       /* EXIF orientation found (1..8), 0 if none */
    /* Decoded, but the data was damaged (e.g. a truncated JPEG whose
     * missing rows the decoder filled): the first warning, else "". */
    char warning[96];
} ward_luma;

/* Decode an image held in memory. On success *out owns px (ward_luma_free).
 * Errors: WARD_EFORMAT (corrupt), WARD_EUNSUPPORTED (not an image ward
 * decodes, or an unsupported variant), WARD_ELIMIT (over max_pixels),
 * WARD_ENOMEM. */
ward_status ward_image_decode_luma(const uint8_t *buf, size_t len,
                                   const ward_decode_opts *opts, ward_luma *out,
                                   ward_error *err);
void ward_luma_free(ward_luma *luma);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
