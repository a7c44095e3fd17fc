/*
 * Exports: VICS 2.0 JSON (yajl generator, one Media per line), hashdeep,
 * CSV and PDQ text. All stream entries from one read snapshot of the store.
 * What each format cannot hold is listed in docs/formats.md.
 */
#include "exchange/exchange.h"
#include "store/store_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define VICS2_CONTEXT \
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"

const char *wx_entry_hex(const ward_entry *e, int kind, char buf[65])
{
    if (e->hex_text[kind])
        return e->hex_text[kind];
    const uint8_t *b = kind == WX_MD5      ? e->digests.md5
                       : kind == WX_SHA1   ? e->digests.sha1
                       : kind == WX_SHA256 ? e->digests.sha256
                                           : e->pdq.b;
    ward_hex(b, wx_kind_bytes[kind], buf);
    return buf;
}

static int has(const ward_entry *e, int kind)
{
    return kind == WX_PDQ ? e->has_pdq : !!(e->digests.present & (1u << kind));
}

typedef struct ectx {
    FILE *out;
    ward_hashset_format fmt;
    yajl_gen g;
    uint64_t written, skipped;
    int first;
    char video[256];          /* vpdq: the video whose frames are being written */
    unsigned hd_cols;         /* hashdeep: the digest columns written */
    uint64_t hd_count[3];     /* hashdeep, first pass: entries with each digest */
} ectx;

/* ---- vPDQ: the frames of video lists, a "# video" line before each ---- */

static int vpdq_entry(ectx *x, const ward_entry *e)
{
    if (!e->has_pdq || !e->media_id || !e->tags || !strstr(e->tags, "video-frame"))
        return 0;
    if (strcmp(x->video, e->media_id) != 0) {
        snprintf(x->video, sizeof x->video, "%s", e->media_id);
        fprintf(x->out, "# %s\n", e->media_id);
    }
    /* Frame number and time travel in the name the vPDQ import gave the
     * entry ("<video> frame N at T s"). */
    long long frame = 0;
    double t = 0;
    const char *at = e->name ? strstr(e->name, " frame ") : NULL;
    if (at) sscanf(at, " frame %lld at %lf s", &frame, &t);
    char hex[65];
    ward_pdq_to_hex(&e->pdq, hex);
    fprintf(x->out, "%lld,%d,%s,%.3f\n", frame, e->pdq_quality < 0 ? 0 : e->pdq_quality, hex, t);
    return 1;
}

/* ---- VICS 2.0 --------------------------------------------------------- */

static void gen_print(void *ctx, const char *s, size_t n) { fwrite(s, 1, n, ctx); }

static void gstr(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Whether s is a decimal integer JSON writes back as the same text. */
static int is_integer(const char *s)
{
    size_t n = strlen(s), i = s[0] == '-';
    int ok = n > i && n - i <= 18 && (s[i] != '0' || n - i == 1);
    for (size_t k = i; ok && k < n; k++)
        ok = s[k] >= '0' && s[k] <= '9';
    return ok;
}

static const char *upper_hex(const ward_entry *e, int k, char hex[65])
{
    const char *t = wx_entry_hex(e, k, hex); /* hex, or the original text */
    if (t != hex)
        snprintf(hex, 65, "%s", t);
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    return hex;
}

/* A JSON number if the text is one (an integer), else a string: values
 * read as numbers go back as numbers. */
static void gnum_or_str(yajl_gen g, const char *s)
{
    size_t n = strlen(s);
    if (is_integer(s))
        yajl_gen_number(g, s, n);
    else
        gstr(g, s);
}

/* "key": "value", only when the entry has the value. */
static void gstr_kv(yajl_gen g, const char *key, const char *value)
{
    if (value) {
        gstr(g, key);
        gstr(g, value);
    }
}

static void vics_entry(ectx *x, const ward_entry *e)
{
    yajl_gen g = x->g;
    char hex[65];
    yajl_gen_reset(g, x->first ? "\n" : ",\n");
    x->first = 0;
    yajl_gen_map_open(g);
    /* Consumers recognise a VICS set by MD5 + an integer MediaID: an id
     * that is not a plain integer (or none) gives the entry's store id, and
     * the source's own id goes as WardMediaID (null: none), which ward
     * reads back as the media_id. */
    gstr(g, "MediaID");
    if (e->media_id && is_integer(e->media_id)) {
        gnum_or_str(g, e->media_id);
    } else {
        yajl_gen_integer(g, (long long)e->id);
        gstr(g, "WardMediaID");
        if (e->media_id)
            gstr(g, e->media_id);
        else
            yajl_gen_null(g);
    }
    gstr(g, "Category");
    if (e->category)
        gnum_or_str(g, e->category);
    else
        yajl_gen_null(g);
    /* MD5 and SHA1 in upper case, as Project VIC sets write them; the
     * store keeps each digest's original text. */
    static const char *const keys[3] = {"MD5", "SHA1", "SHA256"};
    for (int k = 0; k < 3; k++)
        gstr_kv(g, keys[k], !has(e, k) ? NULL : k < 2 ? upper_hex(e, k, hex)
                                                      : wx_entry_hex(e, k, hex));
    if (e->has_pdq) {
        gstr(g, "AlternativeHashes");
        yajl_gen_array_open(g);
        yajl_gen_map_open(g);
        gstr_kv(g, "HashName", "PDQ");
        gstr_kv(g, "HashValue", wx_entry_hex(e, WX_PDQ, hex));
        if (e->pdq_quality >= 0) {
            gstr(g, "Quality");
            yajl_gen_integer(g, e->pdq_quality);
        }
        yajl_gen_map_close(g);
        yajl_gen_array_close(g);
    }
    gstr_kv(g, "Name", e->name);
    if (e->size >= 0) {
        gstr(g, "MediaSize");
        yajl_gen_integer(g, e->size);
    }
    gstr_kv(g, "Series", e->series);
    /* VICS flags as strings, as real sets and Clees4All write them and
     * IPED reads them (nextTextValue: a JSON boolean reads as null). */
    if (e->victim_identified >= 0)
        gstr_kv(g, "VictimIdentified", e->victim_identified ? "true" : "false");
    gstr_kv(g, "IsPrecategorized", e->category != NULL ? "true" : "false");
    gstr_kv(g, "DateUpdated", e->updated);
    gstr_kv(g, "FirstSeen", e->first_seen);
    if (e->tags) {
        gstr(g, "Tags");
        yajl_gen_array_open(g);
        const char *p = e->tags;
        while (*p) {
            const char *sc = strchr(p, ';');
            size_t n = sc ? (size_t)(sc - p) : strlen(p);
            yajl_gen_string(g, (const unsigned char *)p, n);
            p += n + (sc ? 1 : 0);
        }
        yajl_gen_array_close(g);
    }
    yajl_gen_map_close(g);
}

/* ---- hashdeep --------------------------------------------------------- */

/* hashdeep has no escaping: the name is the rest of the line. */
static void put_name_line(FILE *out, const char *name)
{
    for (const char *p = name; p && *p; p++)
        fputc(*p == '\n' || *p == '\r' ? '?' : *p, out);
}

/* hashdeep refuses a line with an empty digest field ("Invalid sha1 hash")
 * and reads one column line per file, so the columns are the digests the
 * exported entries have, found by a first pass over the same snapshot: a
 * list made with the same digests throughout (ward hash, hashdeep) goes out
 * exactly as hashdeep writes it. A mixed list still writes an empty field
 * where an entry lacks a column (ward reads it back; hashdeep skips that
 * line, saying so). */
static int hashdeep_count(void *ctx, const ward_entry *e)
{
    ectx *x = ctx;
    for (int k = 0; k < 3; k++)
        x->hd_count[k] += has(e, k);
    return 0;
}

static unsigned hashdeep_columns(const ectx *x)
{
    unsigned cols = 0;
    for (int k = 0; k < 3; k++)
        if (x->hd_count[k])
            cols |= 1u << k;
    return cols ? cols : WARD_DIGEST_ALL; /* nothing to write: the usual columns */
}

static void hashdeep_entry(ectx *x, const ward_entry *e)
{
    char hex[65];
    if (e->size >= 0)
        fprintf(x->out, "%lld", (long long)e->size);
    for (int k = 0; k < 3; k++)
        if (x->hd_cols & (1u << k))
            fprintf(x->out, ",%s", has(e, k) ? wx_entry_hex(e, k, hex) : "");
    fputc(',', x->out);
    put_name_line(x->out, e->name);
    fputc('\n', x->out);
}

/* ---- CSV ---------------------------------------------------------------- */

/* One field through the shared writer (quoting, formula guard). */
static void csv_field(FILE *out, const char *s, int last)
{
    if (s) {
        strbuf b = {0};
        esc_csv_field(&b, s, strlen(s));
        if (b.s) fwrite(b.s, 1, b.len, out);
        strbuf_free(&b);
    }
    fputs(last ? "\r\n" : ",", out);
}

static const char CSV_HEADER[] =
    "md5,sha1,sha256,pdq,quality,category,series,victim_identified,tags,first_seen,"
    "updated,name,size,media_id,list\r\n";

static void csv_entry(ectx *x, const ward_entry *e)
{
    char hex[65], num[32];
    for (int k = 0; k < 4; k++)
        csv_field(x->out, has(e, k) ? wx_entry_hex(e, k, hex) : NULL, 0);
    snprintf(num, sizeof num, "%d", e->pdq_quality);
    csv_field(x->out, e->pdq_quality >= 0 ? num : NULL, 0);
    csv_field(x->out, e->category, 0);
    csv_field(x->out, e->series, 0);
    csv_field(x->out, e->victim_identified < 0 ? NULL
                      : e->victim_identified ? "true"
                                             : "false",
              0);
    csv_field(x->out, e->tags, 0);
    csv_field(x->out, e->first_seen, 0);
    csv_field(x->out, e->updated, 0);
    csv_field(x->out, e->name, 0);
    snprintf(num, sizeof num, "%lld", (long long)e->size);
    csv_field(x->out, e->size >= 0 ? num : NULL, 0);
    csv_field(x->out, e->media_id, 0);
    csv_field(x->out, e->list, 1);
}

/* ---- PDQ ----------------------------------------------------------------- */

static void pdq_entry(ectx *x, const ward_entry *e)
{
    char hex[65];
    fputs(wx_entry_hex(e, WX_PDQ, hex), x->out);
    if (e->pdq_quality >= 0 || e->name) {
        fputc(',', x->out);
        if (e->pdq_quality >= 0)
            fprintf(x->out, "%d", e->pdq_quality);
    }
    if (e->name) {
        fputc(',', x->out);
        put_name_line(x->out, e->name);
    }
    fputc('\n', x->out);
}

static int each(void *ctx, const ward_entry *e)
{
    ectx *x = ctx;
    switch (x->fmt) {
    case WARD_FMT_VICS:
        vics_entry(x, e);
        break;
    case WARD_FMT_HASHDEEP:
        if (!(e->digests.present & WARD_DIGEST_ALL)) {
            x->skipped++;
            return 0;
        }
        hashdeep_entry(x, e);
        break;
    case WARD_FMT_CSV:
        csv_entry(x, e);
        break;
    case WARD_FMT_PDQ:
        if (!e->has_pdq) {
            x->skipped++;
            return 0;
        }
        pdq_entry(x, e);
        break;
    case WARD_FMT_VPDQ:
        if (!vpdq_entry(x, e)) {
            x->skipped++;
            return 0;
        }
        break;
    default:
        return 1;
    }
    x->written++;
    return ferror(x->out) ? 1 : 0;
}

ward_status ward_store_export(ward_store *s, FILE *out, ward_hashset_format format,
                              const ward_export_opts *opts, uint64_t *written,
                              uint64_t *skipped, ward_error *err)
{
    err_clear(err);
    if (!s || !out)
        return err_fail(err, WARD_EINVAL, "ward_store_export: store and output required");
    if (format != WARD_FMT_VICS && format != WARD_FMT_HASHDEEP && format != WARD_FMT_CSV &&
        format != WARD_FMT_PDQ && format != WARD_FMT_VPDQ)
        return err_fail(err, WARD_EUNSUPPORTED,
                         "ward writes vics, hashdeep, csv, pdq and vpdq, not %s",
                         ward_hashset_format_name(format));
    ward_export_opts none = {0};
    if (!opts)
        opts = &none;
    ectx x = {.out = out, .fmt = format, .first = 1};
    ward_status rc = wst_begin(s, 0, err);
    if (rc)
        return rc;
    uint64_t revision = 0;
    if ((rc = ward_store_revision(s, &revision, err))) {
        wst_rollback(s);
        return rc;
    }
    switch (format) {
    case WARD_FMT_VICS:
        if (!(x.g = yajl_gen_alloc(NULL))) {
            wst_rollback(s);
            return err_fail(err, WARD_ENOMEM, "out of memory");
        }
        yajl_gen_config(x.g, yajl_gen_print_callback, gen_print, out);
        fputs("{\"@odata.context\":\"" VICS2_CONTEXT "\",\"value\":[", out);
        break;
    case WARD_FMT_HASHDEEP:
        /* hashdeep's own comment lines say where and how the list was
         * made; ward says which store state it is. */
        if ((rc = wst_each_entry(s, opts->list, opts->category, hashdeep_count, &x, err))) {
            wst_rollback(s);
            return rc;
        }
        x.hd_cols = hashdeep_columns(&x);
        fprintf(out, "%%%%%%%% HASHDEEP-1.0\n%%%%%%%% size");
        for (int k = 0; k < 3; k++)
            if (x.hd_cols & (1u << k))
                fprintf(out, ",%s", k == 0 ? "md5" : k == 1 ? "sha1" : "sha256");
        fprintf(out,
                ",filename\n"
                "## Invoked from: ward %s store export\n"
                "## $ list=%s category=%s store-revision=%llu\n"
                "##\n",
                WARD_VERSION_STRING, opts->list ? opts->list : "(all)",
                opts->category ? opts->category : "(all)", (unsigned long long)revision);
        break;
    case WARD_FMT_CSV:
        fputs(CSV_HEADER, out);
        break;
    default:
        break;
    }
    rc = wst_each_entry(s, opts->list, opts->category, each, &x, err);
    wst_rollback(s);
    if (rc == WARD_OK && format == WARD_FMT_VICS)
        fputs(x.first ? "]}\n" : "\n]}\n", out);
    if (x.g)
        yajl_gen_free(x.g);
    if (rc == WARD_OK && (fflush(out) != 0 || ferror(out)))
        rc = err_fail_errno(err, errno ? errno : EIO, "cannot write the export");
    if (written)
        *written = x.written;
    if (skipped)
        *skipped = x.skipped;
    return rc;
}
