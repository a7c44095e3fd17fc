#include <ward/hashout.h>
#include "exchange/videojson.h"
#include "util/error.h"
#include "util/escape.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct ward_hashout {
    FILE *out;
    ward_hashout_opts opts;
    strbuf name;  /* escaped path */
    const char *raw;   /* the path as given, bytes as on disk */
    strbuf line;  /* record being built */
    int failed;
};

static const struct { unsigned bit; const char *name; size_t len; } digest_cols[] = {
    {WARD_DIGEST_MD5, "md5", 16},
    {WARD_DIGEST_SHA1, "sha1", 20},
    {WARD_DIGEST_SHA256, "sha256", 32},
};

static const uint8_t *digest_bytes(const ward_digests *d, unsigned bit)
{
    return bit == WARD_DIGEST_MD5 ? d->md5 : bit == WARD_DIGEST_SHA1 ? d->sha1 : d->sha256;
}

ward_status ward_out_format_parse(const char *name, ward_out_format *fmt)
{
    static const struct { const char *name; ward_out_format fmt; } names[] = {
        {"text", WARD_OUT_TEXT}, {"jsonl", WARD_OUT_JSONL}, {"csv", WARD_OUT_CSV},
        {"hashdeep", WARD_OUT_HASHDEEP}, {"pdq-text", WARD_OUT_PDQ_TEXT},
        {"pdq", WARD_OUT_PDQ_TEXT},      {"vpdq", WARD_OUT_VPDQ}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i].name) == 0) {
            *fmt = names[i].fmt;
            return WARD_OK;
        }
    return WARD_EINVAL;
}

static int add(ward_hashout *w, const char *s) { return strbuf_add(&w->line, s, strlen(s)); }

#define add_fmt(w, ...) strbuf_addf(&(w)->line, __VA_ARGS__)

static void write_header(ward_hashout *w)
{
    const ward_hashout_opts *o = &w->opts;
    if (o->format == WARD_OUT_CSV) {
        fputs("path,size", w->out);
        for (size_t i = 0; i < 3; i++)
            if (o->digests & digest_cols[i].bit)
                fprintf(w->out, ",%s", digest_cols[i].name);
        fputs(",media,width,height", w->out);
        if (o->pdq)
            fputs(",pdq,pdq_quality", w->out);
        fputs(",error\n", w->out);
    } else if (o->format == WARD_OUT_HASHDEEP) {
        fputs("%%%% HASHDEEP-1.0\n%%%% size", w->out);
        for (size_t i = 0; i < 3; i++)
            if (o->digests & digest_cols[i].bit)
                fprintf(w->out, ",%s", digest_cols[i].name);
        fputs(",filename\n", w->out);
        fprintf(w->out, "## Invoked from: %s\n", o->cwd ? o->cwd : "");
        fprintf(w->out, "## $ %s\n##\n", o->command ? o->command : "ward hash");
    }
}

ward_hashout *ward_hashout_new(FILE *out, const ward_hashout_opts *opts)
{
    ward_hashout *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    w->opts = *opts;
    write_header(w);
    return w;
}

static const char *error_text(const ward_file_hash *r)
{
    if (r->read_status != WARD_OK)
        return r->read_error.message;
    if (ward_media_is_image(r->media) && (r->image_status != WARD_OK || !r->has_pdq))
        return r->image_error.message;
    return "";
}

static void hex_of(const uint8_t *b, size_t n, char *out) { ward_hex(b, n, out); }

/* A video: its properties, then one line per kept frame (vPDQ). */
static void video_text(ward_hashout *w, const ward_file_hash *r)
{
    const ward_video_info *vi = &r->video_info;
    char hex[65];
    add_fmt(w, "  video   %s %s %dx%d, %.1f s, %" PRIu64 " frames sampled, %zu kept\n",
            ward_media_type_name(r->media), vi->codec, vi->width, vi->height, vi->duration,
            vi->frames_sampled, r->video.count);
    if (r->video_status != WARD_OK)
        add_fmt(w, "  error   video: %s\n", r->video_error.message);
    for (size_t f = 0; f < r->video.count; f++) {
        ward_pdq_to_hex(&r->video.frames[f].hash, hex);
        add_fmt(w, "  %7.3fs %s  quality %d\n", r->video.frames[f].timestamp, hex,
                r->video.frames[f].quality);
    }
}

/* JSON: "video" properties and "vpdq" frames (ward scan writes the same). */
void wx_video_json(strbuf *b, const ward_file_hash *r)
{
    const ward_video_info *vi = &r->video_info;
    char hex[65];
    strbuf_addf(b, ",\"video\":{\"codec\":");
    esc_json_string(b, vi->codec, strlen(vi->codec));
    strbuf_addf(b, ",\"width\":%d,\"height\":%d,\"duration\":%.3f,\"frames_sampled\":%" PRIu64
                        ",\"frames_kept\":%zu,\"partial\":%s}",
                     vi->width, vi->height, vi->duration, vi->frames_sampled, r->video.count,
                     vi->partial || r->video_status != WARD_OK ? "true" : "false");
    const char *key = r->video_status != WARD_OK ? "video_error" : vi->warning[0] ? "video_warning" : NULL;
    const char *msg = r->video_status != WARD_OK ? r->video_error.message : vi->warning;
    if (key) {
        strbuf_addf(b, ",\"%s\":", key);
        esc_json_string(b, msg, strlen(msg));
    }
    strbuf_addf(b, ",\"vpdq\":[");
    for (size_t f = 0; f < r->video.count; f++) {
        const ward_vpdq_frame *fr = &r->video.frames[f];
        ward_pdq_to_hex(&fr->hash, hex);
        strbuf_addf(b, "%s{\"frame\":%" PRId64 ",\"timestamp\":%.3f,\"pdq\":\"%s\",\"quality\":%d}",
                         f ? "," : "", fr->frame_number, fr->timestamp, hex, fr->quality);
    }
    strbuf_addf(b, "]");
}

static void record_text(ward_hashout *w, const ward_file_hash *r)
{
    char hex[65];
    add(w, w->name.s);
    add(w, "\n");
    if (r->read_status != WARD_OK) {
        add_fmt(w, "  error   %s\n", r->read_error.message);
        return;
    }
    add_fmt(w, "  size    %" PRIu64 "\n", r->size);
    for (size_t i = 0; i < 3; i++)
        if (w->opts.digests & digest_cols[i].bit) {
            hex_of(digest_bytes(&r->digests, digest_cols[i].bit), digest_cols[i].len, hex);
            add_fmt(w, "  %-7s %s\n", digest_cols[i].name, hex);
        }
    if (r->has_video)
        video_text(w, r);
    if (!ward_media_is_image(r->media) || !w->opts.pdq)
        return;
    if (r->image_status == WARD_OK)
        add_fmt(w, "  image   %s %dx%d\n", ward_media_type_name(r->media), r->width, r->height);
    if (r->has_pdq) {
        for (int d = 0; d < r->pdq.count; d++) {
            ward_pdq_to_hex(&r->pdq.hash[d], hex);
            if (d == 0)
                add_fmt(w, "  pdq     %s  quality %d\n", hex, r->pdq.quality);
            else
                add_fmt(w, "  %-7s %s\n", ward_dihedral_name(d), hex);
        }
    } else if (r->image_status == WARD_OK) {
        add_fmt(w, "  pdq     none: %s\n", r->image_error.message);
    } else {
        add_fmt(w, "  image   %s, not decoded: %s\n", ward_media_type_name(r->media),
                r->image_error.message);
    }
    if (r->image_warning[0])
        add_fmt(w, "  warning %s\n", r->image_warning);
}

static void json_key_str(ward_hashout *w, const char *key, const char *val)
{
    add_fmt(w, ",\"%s\":", key);
    esc_json_string(&w->line, val, strlen(val));
}

static void record_jsonl(ward_hashout *w, const ward_file_hash *r)
{
    char hex[65];
    add(w, "{\"path\":");
    esc_json_string(&w->line, w->name.s, w->name.len);
    if (r->read_status != WARD_OK) {
        json_key_str(w, "error", r->read_error.message);
        add(w, "}\n");
        return;
    }
    add_fmt(w, ",\"size\":%" PRIu64, r->size);
    for (size_t i = 0; i < 3; i++)
        if (w->opts.digests & digest_cols[i].bit) {
            hex_of(digest_bytes(&r->digests, digest_cols[i].bit), digest_cols[i].len, hex);
            json_key_str(w, digest_cols[i].name, hex);
        }
    json_key_str(w, "media", ward_media_type_name(r->media));
    if (ward_media_is_image(r->media) && w->opts.pdq) {
        if (r->width)
            add_fmt(w, ",\"width\":%d,\"height\":%d", r->width, r->height);
        if (r->orientation)
            add_fmt(w, ",\"exif_orientation\":%d", r->orientation);
        if (r->has_pdq) {
            ward_pdq_to_hex(&r->pdq.hash[0], hex);
            json_key_str(w, "pdq", hex);
            add_fmt(w, ",\"pdq_quality\":%d", r->pdq.quality);
            if (r->pdq.count > 1) {
                add(w, ",\"pdq_dihedral\":{");
                for (int d = 0; d < r->pdq.count; d++) {
                    ward_pdq_to_hex(&r->pdq.hash[d], hex);
                    add_fmt(w, "%s\"%s\":\"%s\"", d ? "," : "", ward_dihedral_name(d), hex);
                }
                add(w, "}");
            }
        } else {
            json_key_str(w, r->image_status == WARD_OK ? "pdq_note" : "image_error",
                         r->image_error.message);
        }
        if (r->image_warning[0])
            json_key_str(w, "image_warning", r->image_warning);
    }
    if (r->has_video)
        wx_video_json(&w->line, r);
    add(w, "}\n");
}

static void record_csv(ward_hashout *w, const ward_file_hash *r)
{
    char hex[65];
    esc_csv_field(&w->line, w->name.s, w->name.len);
    int ok = r->read_status == WARD_OK;
    if (ok) add_fmt(w, ",%" PRIu64, r->size);
    else add(w, ",");
    for (size_t i = 0; i < 3; i++)
        if (w->opts.digests & digest_cols[i].bit) {
            add(w, ",");
            if (ok) {
                hex_of(digest_bytes(&r->digests, digest_cols[i].bit), digest_cols[i].len, hex);
                add(w, hex);
            }
        }
    add_fmt(w, ",%s", ok ? ward_media_type_name(r->media) : "");
    if (r->width) add_fmt(w, ",%d,%d", r->width, r->height);
    else add(w, ",,");
    if (w->opts.pdq) {
        if (r->has_pdq) {
            ward_pdq_to_hex(&r->pdq.hash[0], hex);
            add_fmt(w, ",%s,%d", hex, r->pdq.quality);
        } else {
            add(w, ",,");
        }
    }
    add(w, ",");
    const char *e = w->opts.pdq || r->read_status != WARD_OK ? error_text(r) : "";
    esc_csv_field(&w->line, e, strlen(e));
    add(w, "\n");
}

static void record_hashdeep(ward_hashout *w, const ward_file_hash *r)
{
    char hex[65];
    if (r->read_status != WARD_OK)
        return;
    add_fmt(w, "%" PRIu64, r->size);
    for (size_t i = 0; i < 3; i++)
        if (w->opts.digests & digest_cols[i].bit) {
            hex_of(digest_bytes(&r->digests, digest_cols[i].bit), digest_cols[i].len, hex);
            add_fmt(w, ",%s", hex);
        }
    add(w, ",");
    /* hashdeep writes names as raw bytes (backslashes, commas, invalid
     * UTF-8 as they are), and its audit compares them byte for byte. Only
     * a line break cannot be written raw: that name gets ward's escapes
     * (hashdeep then reports the file; ward hash warns). */
    add(w, strpbrk(w->raw, "\n\r") ? w->name.s : w->raw);
    add(w, "\n");
}

static void record_pdq_text(ward_hashout *w, const ward_file_hash *r)
{
    char hex[65];
    if (!r->has_pdq)
        return;
    for (int d = 0; d < r->pdq.count; d++) {
        ward_pdq_to_hex(&r->pdq.hash[d], hex);
        add(w, hex);
        add(w, ",");
    }
    add_fmt(w, "%d,", r->pdq.quality);
    add(w, w->name.s);
    add(w, "\n");
}

/* One video's frames in vPDQ's text form (vpdq/cpp/io/vpdqio.cpp: every
 * line is frame,quality,hash,seconds and nothing else, or the reference
 * tools refuse the file), after a comment naming it if asked. */
static void record_vpdq(ward_hashout *w, const ward_file_hash *r)
{
    char hex[65];
    if (!r->has_video)
        return;
    if (w->opts.vpdq_names) {
        add(w, "# ");
        add(w, w->name.s);
        add(w, "\n");
    }
    for (size_t f = 0; f < r->video.count; f++) {
        const ward_vpdq_frame *fr = &r->video.frames[f];
        ward_pdq_to_hex(&fr->hash, hex);
        add_fmt(w, "%" PRId64 ",%d,%s,%.3f\n", fr->frame_number, fr->quality, hex, fr->timestamp);
    }
}

ward_status ward_hashout_record(ward_hashout *w, const char *path, const ward_file_hash *r)
{
    w->line.len = 0;
    w->raw = path;
    if (!esc_name(&w->name, path, strlen(path)) || !strbuf_add(&w->line, "", 0))
        return WARD_ENOMEM;
    switch (w->opts.format) {
    case WARD_OUT_TEXT: record_text(w, r); break;
    case WARD_OUT_JSONL: record_jsonl(w, r); break;
    case WARD_OUT_CSV: record_csv(w, r); break;
    case WARD_OUT_HASHDEEP: record_hashdeep(w, r); break;
    case WARD_OUT_PDQ_TEXT: record_pdq_text(w, r); break;
    case WARD_OUT_VPDQ: record_vpdq(w, r); break;
    }
    if (w->line.len && fwrite(w->line.s, 1, w->line.len, w->out) != w->line.len)
        w->failed = 1;
    return w->failed ? WARD_EIO : WARD_OK;
}

ward_status ward_hashout_finish(ward_hashout *w)
{
    if (!w)
        return WARD_OK;
    int failed = w->failed || fflush(w->out) != 0 || ferror(w->out);
    strbuf_free(&w->name);
    strbuf_free(&w->line);
    free(w);
    return failed ? WARD_EIO : WARD_OK;
}
