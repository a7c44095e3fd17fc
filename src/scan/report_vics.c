/*
 * vics.json: the scan as a Project VIC VICS 2.0 case, for Griffeye-style
 * review tools and for hash-set exchange ("ward db import --format vics"
 * reads it back). OData JSON:
 *   {"@odata.context": ".../DataModels/2.0.xml/CUSTOM/$metadata#Cases",
 *    "value": [{"CaseID": ..., "SourceApplicationName": "ward", ...,
 *               "Media": [ one Media per file, one per line ],
 *               "TotalMediaFiles": n, "TotalPrecategorized": k}]}
 * Field names follow the VICS writers in the wild and src/exchange (which
 * reads them): MediaID, Category, MD5, SHA1, SHA256, MediaSize,
 * RelativeFilePath, FileName, MimeType, IsPrecategorized,
 * PrecategorizationSource, Series, VictimIdentified, Comments, MediaFiles
 * [{MD5, FileName, FilePath, Created, Written, Accessed, Deleted,
 * Unallocated}], AlternativeHashes [{HashName "PDQ", HashValue, Quality}].
 * No PhotoDNA: ward does not compute it. MD5 is always there: ward scan
 * computes it whatever -c says, as VICS consumers key Media on MD5 (with
 * MediaID). The case says it is a scan's export ("WardExport": "case") and
 * each Media carries the scan's verdict ("WardClass"): imported as a hash
 * set it would make every file of the case known, system files included,
 * so ward db import refuses it unless told which verdicts to take
 * (--case-verdicts). Files are not copied into the export, so
 * RelativeFilePath is the path below the scanned source, not a path to a
 * file beside vics.json.
 */
#include "scan/jsonl.h"
#include "scan/report_int.h"
#include "util/error.h"

#include <ctype.h>
#include <string.h>
#include <ward/ward.h>

#define VICS_CONTEXT \
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Cases"

typedef struct vics {
    yajl_gen g;
    yajl_val sources;
    uint64_t media, precategorized;
    strbuf text;
} vics;

/* VICS tools write digests in upper case; files.jsonl keeps lower case, so
 * only this export changes it. */
static void rj_hex_upper(yajl_gen g, const char *key, const char *hex)
{
    char up[129];
    size_t n = hex ? strlen(hex) : 0;
    if (!hex) return;
    if (n >= sizeof up) n = sizeof up - 1;
    for (size_t i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)hex[i]);
    rj_str(g, key);
    yajl_gen_string(g, (const unsigned char *)up, n);
}

/* A number when the text is a small decimal integer (Project VIC codes
 * are numbers), else a string, as src/exchange/export.c writes it. */
static void rj_code(yajl_gen g, const char *s)
{
    size_t n = strlen(s);
    int ok = n > 0 && n <= 18 && (s[0] != '0' || n == 1);
    for (size_t i = 0; ok && i < n; i++) ok = isdigit((unsigned char)s[i]);
    if (ok) yajl_gen_number(g, s, n);
    else rj_str(g, s);
}

/* The match whose Project VIC category this file carries: an exact one
 * first (an alert category before others), else a PDQ (near) one, whose
 * category is what the file was matched as (the Comments and files.jsonl
 * say it was near, at what distance). */
static yajl_val vic_match(yajl_val v)
{
    yajl_val m = jv_get(v, "matches"), pick[2] = {NULL, NULL};
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; YAJL_IS_ARRAY(m) && i < m->u.array.len; i++) {
            yajl_val e = m->u.array.values[i];
            const char *by = jv_str(e, "by"), *scheme = jv_str(e, "scheme");
            const char *cc = jv_str(e, "category_class");
            int near = by && !strcmp(by, "pdq");
            if (near != pass || !scheme || strcmp(scheme, "projectvic") != 0 ||
                !jv_str(e, "category"))
                continue;
            if (cc && !strcmp(cc, "alert")) return e;
            if (!pick[pass]) pick[pass] = e;
        }
    return pick[0] ? pick[0] : pick[1];
}

/* Path below the source it was found in ("sub/a.jpg"); members of a source
 * that is itself an archive keep the archive's name ("x.zip!/a.jpg"). */
static const char *relative_path(const vics *c, const char *path)
{
    for (size_t i = 0; YAJL_IS_ARRAY(c->sources) && i < c->sources->u.array.len; i++) {
        const char *s = YAJL_GET_STRING(c->sources->u.array.values[i]);
        if (!s) continue;
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '/') n--; /* "/ev/" is "/ev", "/" is "" */
        if (strncmp(path, s, n) != 0) continue;
        if (path[n] == '/') return path + n + 1;
        if (path[n] == '!' || path[n] == 0) return report_basename(s);
    }
    return path;
}

static void write_media_file(yajl_gen g, yajl_val v)
{
    rj_str(g, "MediaFiles");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    rj_hex_upper(g, "MD5", jv_str(v, "md5"));
    rj_kv(g, "FileName", report_basename(jv_str(v, "path")));
    rj_kv(g, "FilePath", jv_str(v, "path"));
    rj_kv(g, "Created", jv_str(v, "crtime"));
    rj_kv(g, "Written", jv_str(v, "mtime"));
    rj_kv(g, "Accessed", jv_str(v, "atime"));
    /* Both flags, as VICS consumers read them: ward does not carve, so a
     * file is in unallocated space exactly when its entry is deleted (the
     * file system's unallocated name/metadata, as dfxml.xml's unalloc). */
    rj_kv(g, "Deleted", jv_bool(v, "deleted") ? "true" : "false");
    rj_kv(g, "Unallocated", jv_bool(v, "deleted") ? "true" : "false");
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
}

/* Category, IsPrecategorized and what came with the list entry. */
static void write_category(vics *c, yajl_val v)
{
    yajl_gen g = c->g;
    yajl_val m = vic_match(v);
    const char *cls = jv_str(v, "class");
    int pre = m || (cls && !strcmp(cls, "known"));
    rj_str(g, "Category");
    if (m) rj_code(g, jv_str(m, "category"));
    else yajl_gen_null(g);
    /* Flags as strings, as VICS sets and writers (Clees4All) have them and
     * IPED reads them (docs/formats.md). */
    rj_kv(g, "IsPrecategorized", pre ? "true" : "false");
    yajl_val x = m ? m : (pre ? report_main_match(v) : NULL);
    rj_kv(g, "PrecategorizationSource", x ? jv_str(x, "list") : NULL);
    rj_kv(g, "Series", x ? jv_str(x, "series") : NULL);
    yajl_val vi = x ? jv_get(x, "victim_identified") : NULL;
    if (YAJL_IS_TRUE(vi) || YAJL_IS_FALSE(vi))
        rj_kv(g, "VictimIdentified", YAJL_IS_TRUE(vi) ? "true" : "false");
    c->precategorized += pre;
}

static int write_media(void *ctx, yajl_val v)
{
    vics *c = ctx;
    yajl_gen g = c->g;
    const char *path = jv_str(v, "path");
    /* A record without any digest cannot be a VICS Media (it has no key). */
    if (!path || (!jv_str(v, "md5") && !jv_str(v, "sha1") && !jv_str(v, "sha256"))) return 0;
    yajl_gen_reset(g, c->media ? ",\n" : "\n");
    yajl_gen_map_open(g);
    rj_ki(g, "MediaID", jv_int(v, "seq", 0) + 1);
    write_category(c, v);
    rj_hex_upper(g, "MD5", jv_str(v, "md5"));
    rj_hex_upper(g, "SHA1", jv_str(v, "sha1"));
    rj_hex_upper(g, "SHA256", jv_str(v, "sha256"));
    if (jv_str(v, "pdq")) {
        rj_str(g, "AlternativeHashes");
        yajl_gen_array_open(g);
        yajl_gen_map_open(g);
        rj_kv(g, "HashName", "PDQ");
        rj_kv(g, "HashValue", jv_str(v, "pdq"));
        if (jv_get(v, "pdq_quality")) rj_ki(g, "Quality", jv_int(v, "pdq_quality", 0));
        yajl_gen_map_close(g);
        yajl_gen_array_close(g);
    }
    rj_kv(g, "WardClass", jv_str(v, "class"));
    if (jv_get(v, "size")) rj_ki(g, "MediaSize", jv_int(v, "size", 0));
    rj_kv(g, "RelativeFilePath", relative_path(c, path));
    rj_kv(g, "FileName", report_basename(path));
    rj_kv(g, "MimeType", report_mime(jv_str(v, "media")));
    report_describe(&c->text, v);
    rj_kv(g, "Comments", c->text.s);
    write_media_file(g, v);
    yajl_gen_map_close(g);
    c->media++;
    return 0;
}

/* VICS case ids are GUIDs in braces; this one is the scan id, so writing
 * the reports again gives the same case. */
static void case_guid(const scan_totals *t, char out[40])
{
    char h[33];
    report_scan_id(t, h);
    for (int i = 0; i < 32; i++) h[i] = (char)toupper((unsigned char)h[i]);
    snprintf(out, 40, "{%.8s-%.4s-%.4s-%.4s-%.12s}", h, h + 8, h + 12, h + 16, h + 20);
}

static void write_case_head(FILE *f, const scan_totals *t)
{
    char guid[40];
    const char *ver = jv_str(t->state, "ward_version");
    case_guid(t, guid);
    fprintf(f, "{\"@odata.context\":\"%s\",\n\"value\":[{\"CaseID\":\"%s\","
               "\"SourceApplicationName\":\"ward\",\"WardExport\":\"case\","
               "\"SourceApplicationVersion\":",
            VICS_CONTEXT, guid);
    strbuf b = {0};
    esc_json_string(&b, ver ? ver : ward_version(), strlen(ver ? ver : ward_version()));
    fputs(b.s ? b.s : "\"\"", f);
    strbuf_free(&b);
    fputs(",\"Media\":[", f);
}

ward_status report_vics(const char *dir, const scan_totals *t, ward_error *err)
{
    report_out o;
    ward_status st = report_open(&o, dir, "vics.json", err);
    if (st != WARD_OK) return st;
    vics c = {.g = report_gen_new(o.f), .sources = jv_get(t->state, "sources")};
    if (!c.g) return report_close(&o, err_fail(err, WARD_ENOMEM, "out of memory"), err);
    write_case_head(o.f, t);
    report_each_file(dir, write_media, &c);
    yajl_gen_free(c.g);
    strbuf_free(&c.text);
    fprintf(o.f, "\n],\"TotalMediaFiles\":%llu,\"TotalPrecategorized\":%llu}]}\n",
            (unsigned long long)c.media, (unsigned long long)c.precategorized);
    return report_close(&o, st, err);
}
