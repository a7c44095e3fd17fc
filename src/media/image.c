/*
 * Format sniffing and dispatch to the decoders, plus EXIF orientation.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <libexif/exif-data.h>
#include <stdlib.h>
#include <string.h>

void ward_decode_opts_default(ward_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_pixels = WARD_DEFAULT_MAX_PIXELS;
    o->max_side = WARD_REFERENCE_SIDE;
    o->jpeg_fast = 1;
}

static int is_heif_brand(const uint8_t *b)
{
    static const char *const brands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis",
                                         "mif1", "msf1", "avif", "avis"};
    for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
        if (memcmp(b, brands[i], 4) == 0)
            return 1;
    return 0;
}

/* Video containers, by their signatures (after images: HEIF shares ftyp). */
static ward_media_type sniff_video(const uint8_t *b, size_t n)
{
    if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0)
        return memcmp(b + 8, "qt  ", 4) == 0 ? WARD_MEDIA_MOV : WARD_MEDIA_MP4;
    if (n >= 8 && (memcmp(b + 4, "moov", 4) == 0 || memcmp(b + 4, "mdat", 4) == 0 ||
                   memcmp(b + 4, "wide", 4) == 0))
        return WARD_MEDIA_MOV; /* QuickTime before ftyp existed */
    if (n >= 4 && memcmp(b, "\x1a\x45\xdf\xa3", 4) == 0)
        return WARD_MEDIA_MATROSKA;
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "AVI ", 4) == 0)
        return WARD_MEDIA_AVI;
    if (n >= 377 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47)
        return WARD_MEDIA_MPEGTS;
    if (n >= 4 && memcmp(b, "\x00\x00\x01\xba", 4) == 0)
        return WARD_MEDIA_MPEGPS;
    if (n >= 4 && memcmp(b, "FLV\x01", 4) == 0)
        return WARD_MEDIA_FLV;
    return WARD_MEDIA_UNKNOWN;
}

ward_media_type ward_media_sniff(const uint8_t *b, size_t n)
{
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return WARD_MEDIA_JPEG;
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return WARD_MEDIA_PNG;
    if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
        return WARD_MEDIA_GIF;
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return WARD_MEDIA_WEBP;
    if (n >= 18 && b[0] == 'B' && b[1] == 'M') {
        uint32_t hsize = b[14] | b[15] << 8 | b[16] << 16 | (uint32_t)b[17] << 24;
        if (hsize == 12 || (hsize >= 40 && hsize <= 124))
            return WARD_MEDIA_BMP;
    }
    if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0 ||
                   memcmp(b, "II+\0", 4) == 0 || memcmp(b, "MM\0+", 4) == 0))
        return WARD_MEDIA_TIFF;
    if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0 && is_heif_brand(b + 8))
        return WARD_MEDIA_HEIF;
    if (n >= 3 && b[0] == 'P' && (b[1] == '2' || b[1] == '3' || b[1] == '5' || b[1] == '6') &&
        (b[2] == ' ' || b[2] == '\n' || b[2] == '\r' || b[2] == '\t' || b[2] == '#'))
        return WARD_MEDIA_PNM;
    return sniff_video(b, n);
}

const char *ward_media_type_name(ward_media_type t)
{
    switch (t) {
    case WARD_MEDIA_JPEG: return "jpeg";
    case WARD_MEDIA_PNG: return "png";
    case WARD_MEDIA_GIF: return "gif";
    case WARD_MEDIA_WEBP: return "webp";
    case WARD_MEDIA_BMP: return "bmp";
    case WARD_MEDIA_TIFF: return "tiff";
    case WARD_MEDIA_HEIF: return "heif";
    case WARD_MEDIA_PNM: return "pnm";
    case WARD_MEDIA_MP4: return "mp4";
    case WARD_MEDIA_MOV: return "mov";
    case WARD_MEDIA_MATROSKA: return "matroska";
    case WARD_MEDIA_AVI: return "avi";
    case WARD_MEDIA_MPEGTS: return "mpegts";
    case WARD_MEDIA_MPEGPS: return "mpegps";
    case WARD_MEDIA_FLV: return "flv";
    case WARD_MEDIA_UNKNOWN: break;
    }
    return "unknown";
}

int ward_media_is_image(ward_media_type t) { return t >= WARD_MEDIA_JPEG && t <= WARD_MEDIA_PNM; }

int ward_media_is_video(ward_media_type t) { return t >= WARD_MEDIA_MP4 && t <= WARD_MEDIA_FLV; }

int media_jpeg_exif_orientation(const uint8_t *buf, size_t len)
{
    /* Walk the marker segments before the first scan looking for APP1 Exif. */
    size_t p = 2;
    while (p + 4 <= len && buf[p] == 0xff) {
        int marker = buf[p + 1];
        if (marker == 0xd9 || marker == 0xda)
            break;
        size_t seglen = (size_t)buf[p + 2] << 8 | buf[p + 3];
        if (seglen < 2 || p + 2 + seglen > len)
            break;
        if (marker == 0xe1 && seglen >= 8 && memcmp(buf + p + 4, "Exif\0\0", 6) == 0) {
            ExifData *ed = exif_data_new_from_data(buf + p + 4, (unsigned)(seglen - 2));
            int orient = 0;
            if (ed) {
                ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
                if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1)
                    orient = exif_get_short(e->data, exif_data_get_byte_order(ed));
                exif_data_unref(ed);
            }
            return orient >= 1 && orient <= 8 ? orient : 0;
        }
        p += 2 + seglen;
    }
    return 0;
}

/* Rearrange the plane so that it shows the image upright. EXIF orientation n
 * says where row 0 / column 0 of the stored image belong when displayed. */
ward_status media_luma_orient(ward_luma *l, int orientation)
{
    if (orientation <= 1 || orientation > 8)
        return WARD_OK;
    int r = l->rows, c = l->cols;
    int swap = orientation >= 5;
    int nr = swap ? c : r, nc = swap ? r : c;
    float *dst = malloc(sizeof(float) * (size_t)r * c);
    if (!dst)
        return WARD_ENOMEM;
    for (int y = 0; y < nr; y++)
        for (int x = 0; x < nc; x++) {
            int sy, sx;
            switch (orientation) {
            case 2: sy = y; sx = c - 1 - x; break;               /* mirror horizontal */
            case 3: sy = r - 1 - y; sx = c - 1 - x; break;       /* rotate 180 */
            case 4: sy = r - 1 - y; sx = x; break;               /* mirror vertical */
            case 5: sy = x; sx = y; break;                       /* transpose */
            case 6: sy = r - 1 - x; sx = y; break;               /* rotate 90 CW */
            case 7: sy = r - 1 - x; sx = c - 1 - y; break;       /* transverse */
            default: sy = x; sx = c - 1 - y; break;              /* 8: rotate 270 CW */
            }
            dst[(size_t)y * nc + x] = l->px[(size_t)sy * c + sx];
        }
    free(l->px);
    l->px = dst;
    l->rows = nr;
    l->cols = nc;
    return WARD_OK;
}

typedef ward_status (*decode_fn)(const uint8_t *, size_t, luma_sink *, ward_error *);

static decode_fn decoder_for(ward_media_type t)
{
    switch (t) {
    case WARD_MEDIA_JPEG: return media_decode_jpeg;
    case WARD_MEDIA_PNG: return media_decode_png;
    case WARD_MEDIA_GIF: return media_decode_gif;
    case WARD_MEDIA_WEBP: return media_decode_webp;
    case WARD_MEDIA_BMP: return media_decode_bmp;
    case WARD_MEDIA_TIFF: return media_decode_tiff;
    case WARD_MEDIA_HEIF: return media_decode_heif;
    case WARD_MEDIA_PNM: return media_decode_pnm;
    default: break; /* unknown, or a video (video.c) */
    }
    return NULL;
}

ward_status ward_image_decode_luma(const uint8_t *buf, size_t len,
                                   const ward_decode_opts *opts, ward_luma *out,
                                   ward_error *err)
{
    ward_decode_opts defaults;
    if (!opts) {
        ward_decode_opts_default(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof *out);
    out->type = ward_media_sniff(buf, len);
    decode_fn decode = decoder_for(out->type);
    if (!decode)
        return err_fail(err, WARD_EUNSUPPORTED, "not an image format ward decodes");

    luma_sink sink = {.opts = opts, .out = out};
    ward_status st = decode(buf, len, &sink, err);
    if (st == WARD_OK && out->px && sink.next_out_row < out->rows)
        st = err_fail(err, WARD_EFORMAT, "%s: image data ends early",
                       ward_media_type_name(out->type));
    if (st == WARD_OK && !out->px)
        st = err_fail(err, WARD_EINTERNAL, "decoder produced no pixels");
    sink_free(&sink);
    if (st != WARD_OK) {
        free(out->px);
        out->px = NULL;
        return st;
    }
    if (out->type == WARD_MEDIA_JPEG)
        out->orientation = media_jpeg_exif_orientation(buf, len);
    if (opts->apply_orientation && out->orientation > 1 &&
        media_luma_orient(out, out->orientation) != WARD_OK) {
        ward_luma_free(out);
        return err_fail(err, WARD_ENOMEM, "out of memory applying orientation");
    }
    return WARD_OK;
}

void ward_luma_free(ward_luma *l)
{
    if (!l) return;
    free(l->px);
    l->px = NULL;
}
