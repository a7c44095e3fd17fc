/*
 * JPEG through libjpeg-turbo.
 *
 * Fast path (opts.jpeg_fast, the default): ask libjpeg for the smallest DCT
 * scale M/8 whose output still covers the reference's 512x512 grid, and for
 * the grey (Y) channel only, so chroma is never inverse-transformed,
 * upsampled or colour-converted. JFIF's Y is 0.299 R + 0.587 G + 0.114 B,
 * the same weights PDQ uses, so the result differs from the reference's
 * RGB-then-luma only by rounding and by the scaled IDCT's averaging: a few
 * bits of PDQ at most (measured in tests/unit/test_pdq_reference.c).
 *
 * Progressive YCbCr JPEGs on the fast path: a progressive AC scan holds one
 * component, and libjpeg entropy-decodes every scan of the file even when
 * the output is grey and never uses chroma. So before libjpeg sees the bytes,
 * the chroma (Cb/Cr) AC scans are cut out of the stream (plan_chroma_drop):
 * each is a whole SOS segment plus its entropy-coded data, up to the next
 * marker, and what remains is a valid progressive JPEG whose luma
 * coefficients, and so whose grey output, are exactly those of the original
 * (checked on the benchmark photos: identical PDQs). Only a damaged file can
 * decode differently: a broken chroma scan no longer fails the decode, and
 * libjpeg treats a file cut short inside a chroma scan slightly differently.
 * The buffer is never copied or modified; libjpeg reads the kept byte ranges
 * through a source manager. libjpeg's own reading of the header must agree
 * (progressive, YCbCr, the same components and size, decoded to grey) or the
 * file is read again, whole. --full-decode never takes this path.
 *
 * Full path: RGB at full size, exactly what the reference hasher decodes.
 */
#include "media/decoder.h"
#include "util/error.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jerror.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jerr_jmp {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    char warning[JMSG_LENGTH_MAX]; /* first warning, "" if none */
} jerr_jmp;

static void on_error_exit(j_common_ptr cinfo)
{
    jerr_jmp *e = (jerr_jmp *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

/* Warnings (e.g. premature end of data) are tolerated as the reference
 * tolerates them: libjpeg fills the missing part and decoding goes on. The
 * first one is kept: an examiner needs to know the image was damaged. */
static void on_output_message(j_common_ptr cinfo)
{
    jerr_jmp *e = (jerr_jmp *)cinfo->err;
    if (!e->warning[0])
        (*cinfo->err->format_message)(cinfo, e->warning);
}

/* Smallest M in 1..8 with ceil(dim*M/8) >= need for both sides. */
static int pick_scale(int w, int h, int need_w, int need_h)
{
    for (int m = 1; m < 8; m++) {
        long sw = ((long)w * m + 7) / 8, sh = ((long)h * m + 7) / 8;
        if (sw >= need_w && sh >= need_h)
            return m;
    }
    return 8;
}

/* Adobe CMYK JPEGs store inverted values; R = C*K/255 recovers RGB. */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, int n, int inverted)
{
    for (int i = 0; i < n; i++) {
        int c = in[4 * i], m = in[4 * i + 1], y = in[4 * i + 2], k = in[4 * i + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        out[3 * i] = (uint8_t)(c * k / 255);
        out[3 * i + 1] = (uint8_t)(m * k / 255);
        out[3 * i + 2] = (uint8_t)(y * k / 255);
    }
}

/* ---- Dropping the chroma scans of progressive YCbCr JPEGs ------------------ */

/* At most this many scans are dropped; scans after that are kept (libjpeg's
 * own progression has 4 chroma AC scans; other encoders use a few more). */
enum { MAX_DROPS = 64 };

typedef struct scan_plan {
    size_t off[MAX_DROPS + 1], len[MAX_DROPS + 1]; /* byte ranges kept */
    int nkeep;
    int width, height;  /* from the frame header */
    int ids[3];         /* component ids, luma first */
} scan_plan;

/* Offset of the marker that ends entropy-coded data starting at j (<= len),
 * or len if none does. 0xFF 0x00 is a stuffed data byte, 0xFF 0xD0-0xD7 a
 * restart marker inside the scan, 0xFF 0xFF a fill byte before a marker: the
 * rules libjpeg's entropy decoder and marker reader apply. */
static size_t entropy_end(const uint8_t *b, size_t len, size_t j)
{
    while (j < len) {
        const uint8_t *q = memchr(b + j, 0xff, len - j);
        if (!q)
            return len;
        size_t k = (size_t)(q - b);
        if (k + 1 >= len)
            return len;
        uint8_t n = b[k + 1];
        if (n == 0x00 || (n >= 0xd0 && n <= 0xd7))
            j = k + 2;
        else if (n == 0xff)
            j = k + 1;
        else
            return k;
    }
    return len;
}

/* Walks the marker segments of a JPEG in memory. Returns 1, with the byte
 * ranges to keep in *pl, when the file is a progressive (SOF2) 3-component
 * image whose colour space libjpeg will take as YCbCr (JFIF; or Adobe
 * transform other than 0; or else component ids other than 'R','G','B';
 * libjpeg's rules, checked again after its jpeg_read_header), the fast path
 * will scale it, and at least one AC scan holds chroma only. Never drops
 * anything before the first scan, and only AC scans of the frame's second or
 * third component. Anything it does not understand (a truncated segment,
 * bytes where a marker should be, a second frame) ends the walk: the rest of
 * the file is kept as it is, or nothing is dropped at all. */
static int plan_chroma_drop(const uint8_t *b, size_t len, const ward_decode_opts *opts,
                            scan_plan *pl)
{
    int have_sof = 0, jfif = 0, adobe = -1, scans = 0, drops = 0;
    size_t p = 2, cursor = 0;

    pl->nkeep = 0;
    if (len < 4 || b[0] != 0xff || b[1] != 0xd8)
        return 0;
    while (p + 1 < len && b[p] == 0xff) {
        int m = b[p + 1];
        if (m == 0xff) {                    /* fill byte */
            p++;
            continue;
        }
        if (m == 0xd9)                      /* EOI */
            break;
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) { /* no length: TEM, RSTn */
            p += 2;
            continue;
        }
        if (p + 4 > len)
            break;
        size_t seglen = (size_t)b[p + 2] << 8 | b[p + 3];
        if (seglen < 2 || seglen > len - p - 2)
            break;
        const uint8_t *d = b + p + 4;
        size_t n = seglen - 2;
        if (m == 0xe0 && n >= 14 && memcmp(d, "JFIF", 5) == 0) {
            jfif = 1;
        } else if (m == 0xee && n >= 12 && memcmp(d, "Adobe", 5) == 0) {
            adobe = d[11];
        } else if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (have_sof || m != 0xc2 || n < 15 || d[5] != 3)
                return 0;   /* not progressive Huffman with 3 components */
            have_sof = 1;
            pl->height = d[1] << 8 | d[2];
            pl->width = d[3] << 8 | d[4];
            for (int c = 0; c < 3; c++)
                pl->ids[c] = d[6 + 3 * c];
            if (pl->ids[0] == pl->ids[1] || pl->ids[0] == pl->ids[2] ||
                pl->ids[1] == pl->ids[2])
                return 0;
            int ycc = jfif ? 1
                    : adobe >= 0 ? adobe != 0
                    : !(pl->ids[0] == 'R' && pl->ids[1] == 'G' && pl->ids[2] == 'B');
            if (!ycc || pl->width == 0 || pl->height == 0 ||
                (uint64_t)pl->width * (uint64_t)pl->height > opts->max_pixels)
                return 0;
            int need_w, need_h;   /* only where the decode will be scaled, to grey */
            sink_target(opts, pl->width, pl->height, &need_w, &need_h);
            if (pick_scale(pl->width, pl->height, need_w, need_h) == 8)
                return 0;
        } else if (m == 0xda) {
            if (!have_sof || n < 1)
                return 0;
            int ns = d[0];
            if (ns < 1 || ns > 4 || n != (size_t)(1 + 2 * ns + 3))
                return 0;   /* libjpeg would stop at this scan header */
            int chroma_only = 1;
            for (int c = 0; c < ns; c++) {
                int id = d[1 + 2 * c];
                if (id != pl->ids[1] && id != pl->ids[2])
                    chroma_only = 0;
            }
            /* Chroma DC scans are kept: they are small, and libjpeg's block
             * smoothing of an incomplete (truncated) luma plane only runs
             * when every component's DC is known. */
            int drop = chroma_only && d[1 + 2 * ns] != 0;   /* Ss > 0: AC */
            size_t end = entropy_end(b, len, p + 2 + seglen);
            if (drop && scans == 0)
                return 0;   /* libjpeg reads the header up to the first scan */
            scans++;
            if (drop) {
                if (drops == MAX_DROPS)
                    break;
                pl->off[pl->nkeep] = cursor;
                pl->len[pl->nkeep] = p - cursor;
                pl->nkeep++;
                cursor = end;
                drops++;
            }
            p = end;
            continue;
        }
        p += 2 + seglen;
    }
    if (!drops)
        return 0;
    pl->off[pl->nkeep] = cursor;
    pl->len[pl->nkeep] = len - cursor;
    pl->nkeep++;
    return 1;
}

/* A source manager over the kept ranges of the buffer; at the end of them it
 * behaves as jpeg_mem_src does (a warning and a fake EOI marker). */
typedef struct ranges_src {
    struct jpeg_source_mgr pub;
    const uint8_t *buf;
    const scan_plan *plan;
    int next;
} ranges_src;

static void ranges_init(j_decompress_ptr cinfo) { (void)cinfo; }
static void ranges_term(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean ranges_fill(j_decompress_ptr cinfo)
{
    static const JOCTET fake_eoi[2] = {0xff, JPEG_EOI};
    ranges_src *src = (ranges_src *)cinfo->src;
    while (src->next < src->plan->nkeep) {
        int i = src->next++;
        if (src->plan->len[i] > 0) {
            src->pub.next_input_byte = src->buf + src->plan->off[i];
            src->pub.bytes_in_buffer = src->plan->len[i];
            return TRUE;
        }
    }
    WARNMS(cinfo, JWRN_JPEG_EOF);
    src->pub.next_input_byte = fake_eoi;
    src->pub.bytes_in_buffer = 2;
    return TRUE;
}

static void ranges_skip(j_decompress_ptr cinfo, long num_bytes)
{
    struct jpeg_source_mgr *src = cinfo->src;
    if (num_bytes <= 0)
        return;
    while (num_bytes > (long)src->bytes_in_buffer) {
        num_bytes -= (long)src->bytes_in_buffer;
        (void)ranges_fill(cinfo);
    }
    src->next_input_byte += (size_t)num_bytes;
    src->bytes_in_buffer -= (size_t)num_bytes;
}

static void ranges_src_set(j_decompress_ptr cinfo, ranges_src *src,
                           const uint8_t *buf, const scan_plan *plan)
{
    memset(src, 0, sizeof *src);
    src->pub.init_source = ranges_init;
    src->pub.fill_input_buffer = ranges_fill;
    src->pub.skip_input_data = ranges_skip;
    src->pub.resync_to_restart = jpeg_resync_to_restart;
    src->pub.term_source = ranges_term;
    src->buf = buf;
    src->plan = plan;
    cinfo->src = &src->pub;
}

/* ---- Decoding --------------------------------------------------------------- */

ward_status media_decode_jpeg(const uint8_t *buf, size_t len, luma_sink *s,
                             ward_error *err)
{
    struct jpeg_decompress_struct cinfo;
    jerr_jmp jerr;
    /* volatile: modified after setjmp and read after a longjmp */
    uint8_t *volatile row = NULL;
    uint8_t *volatile rgb = NULL;
    ward_status st = WARD_OK;
    scan_plan plan;
    ranges_src src;

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = on_error_exit;
    jerr.mgr.output_message = on_output_message;
    jerr.warning[0] = 0;
    if (setjmp(jerr.jump)) {
        st = err_fail(err, WARD_EFORMAT, "JPEG: %s", jerr.message);
        goto done;
    }
    jpeg_create_decompress(&cinfo);
    int filtered = s->opts->jpeg_fast && plan_chroma_drop(buf, len, s->opts, &plan);
    int w, h, scale, cmyk;
    enum sink_layout layout;
    for (;;) {
        if (filtered)
            ranges_src_set(&cinfo, &src, buf, &plan);
        else
            jpeg_mem_src(&cinfo, buf, (unsigned long)len);
        jpeg_read_header(&cinfo, TRUE);

        w = (int)cinfo.image_width, h = (int)cinfo.image_height;
        if ((uint64_t)w * (uint64_t)h > s->opts->max_pixels) {
            st = err_fail(err, WARD_ELIMIT, "image is %dx%d, over the limit of %llu pixels",
                           w, h, (unsigned long long)s->opts->max_pixels);
            goto done;
        }
        /* Scale only where it saves work: images that already fit the grid
         * are decoded exactly as the reference decodes them (full size, RGB). */
        scale = 8;
        if (s->opts->jpeg_fast) {
            int need_w, need_h;
            sink_target(s->opts, w, h, &need_w, &need_h);
            scale = pick_scale(w, h, need_w, need_h);
        }
        cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
        layout = SINK_RGB;
        if (cmyk) {
            cinfo.out_color_space = JCS_CMYK;
        } else if (cinfo.jpeg_color_space == JCS_GRAYSCALE ||
                   (scale < 8 && cinfo.jpeg_color_space == JCS_YCbCr)) {
            cinfo.out_color_space = JCS_GRAYSCALE;
            layout = SINK_GREY;
        } else {
            cinfo.out_color_space = JCS_RGB;
        }
        /* Chroma scans were dropped: only right if libjpeg sees the image
         * as the walk did and decodes luma alone. Otherwise read it again,
         * whole. */
        if (filtered &&
            !(cinfo.progressive_mode && cinfo.num_components == 3 &&
              cinfo.jpeg_color_space == JCS_YCbCr && layout == SINK_GREY &&
              w == plan.width && h == plan.height &&
              cinfo.comp_info[0].component_id == plan.ids[0] &&
              cinfo.comp_info[1].component_id == plan.ids[1] &&
              cinfo.comp_info[2].component_id == plan.ids[2])) {
            jpeg_destroy_decompress(&cinfo);
            jpeg_create_decompress(&cinfo);
            filtered = 0;
            continue;
        }
        break;
    }
    cinfo.scale_num = (unsigned)scale;
    cinfo.scale_denom = 8;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);

    int ow = (int)cinfo.output_width, oh = (int)cinfo.output_height;
    st = sink_begin(s, w, h, ow, oh, err);
    if (st != WARD_OK)
        goto done;
    row = malloc((size_t)ow * (size_t)cinfo.output_components);
    if (cmyk)
        rgb = malloc((size_t)ow * 3);
    if (!row || (cmyk && !rgb)) {
        st = err_fail(err, WARD_ENOMEM, "out of memory decoding JPEG");
        goto done;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        int y = (int)cinfo.output_scanline;
        JSAMPROW rp = row;
        jpeg_read_scanlines(&cinfo, &rp, 1);
        if (!sink_wants_row(s, y))
            continue;
        if (cmyk) {
            cmyk_to_rgb(row, rgb, ow, cinfo.saw_Adobe_marker);
            sink_row(s, y, rgb, SINK_RGB);
        } else {
            sink_row(s, y, row, layout);
        }
    }
    jpeg_finish_decompress(&cinfo);
    if (jerr.warning[0])
        snprintf(s->out->warning, sizeof s->out->warning, "JPEG: %s", jerr.warning);
done:
    jpeg_destroy_decompress(&cinfo);
    free(row);
    free(rgb);
    return st;
}
