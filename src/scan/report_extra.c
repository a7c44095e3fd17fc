/*
 * The exchange and presentation reports of a scan, written after summary.json,
 * summary.txt and files.csv from the same inputs (files.jsonl, notices.jsonl,
 * scan-state.json):
 *   dfxml.xml     Digital Forensics XML 1.x        (report_dfxml.c)
 *   vics.json     Project VIC VICS 2.0 case        (report_vics.c)
 *   case.jsonld   CASE/UCO 1.x JSON-LD             (report_case.c)
 *   report.html   one page for the officer         (report_html.c)
 * Every writer streams files.jsonl one record at a time: a scan may hold
 * millions of files, so no report holds more than one record (plus, for the
 * HTML page, its capped table) in memory. This file holds what they share.
 */
#include "scan/jsonl.h"
#include "scan/report_int.h"
#include "scan/scan_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ward/digest.h>

ward_status scan_write_extra_reports(const char *dir, const scan_totals *t, ward_error *err)
{
    ward_status st = report_dfxml(dir, t, err);
    if (st == WARD_OK) st = report_vics(dir, t, err);
    if (st == WARD_OK) st = report_case(dir, t, err);
    if (st == WARD_OK) st = report_html(dir, t, err);
    return st;
}

/* ---- output files ----------------------------------------------------- */

void report_path(char *buf, size_t cap, const char *dir, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

ward_status report_open(report_out *o, const char *dir, const char *name, ward_error *err)
{
    report_path(o->path, sizeof o->path, dir, name);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", o->path);
    o->f = fopen(o->tmp, "w");
    if (!o->f) return err_fail_errno(err, errno, "cannot write %s", o->tmp);
    return WARD_OK;
}

ward_status report_close(report_out *o, ward_status st, ward_error *err)
{
    if (!o->f) return st;
    int bad = ferror(o->f);
    int e = bad ? EIO : 0;
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    if (st == WARD_OK && !bad && rename(o->tmp, o->path) == 0) return WARD_OK;
    if (st == WARD_OK) st = err_fail_errno(err, e ? e : errno, "cannot write %s", o->path);
    unlink(o->tmp);
    return st;
}

int report_each_file(const char *dir, int (*fn)(void *ctx, yajl_val v), void *ctx)
{
    char path[REPORT_PATH_MAX];
    report_path(path, sizeof path, dir, SCAN_FILES);
    return jsonl_each(path, 0, fn, ctx, NULL);
}

int report_each_notice(const char *dir, int (*fn)(void *ctx, yajl_val v), void *ctx)
{
    char path[REPORT_PATH_MAX];
    report_path(path, sizeof path, dir, SCAN_NOTICES);
    int rc = jsonl_each(path, 0, fn, ctx, NULL);
    return rc < 0 ? 0 : rc;
}

/* ---- text ------------------------------------------------------------- */

/* U+FFFE and U+FFFF are not XML characters either. */
static int xml_nonchar(const unsigned char *p)
{
    return p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf);
}

void report_markup(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(f, "\\x%02x", *p);
            } else if (xml_nonchar(p)) {
                fprintf(f, "\\x%02x\\x%02x\\x%02x", p[0], p[1], p[2]);
                p += 2;
            } else {
                fputc(*p, f);
            }
        }
    }
}

const char *report_basename(const char *path)
{
    if (!path) return "";
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *report_mime(const char *media)
{
    static const char *const map[][2] = {
        {"jpeg", "image/jpeg"}, {"png", "image/png"},   {"gif", "image/gif"},
        {"webp", "image/webp"}, {"bmp", "image/bmp"},   {"tiff", "image/tiff"},
        {"heif", "image/heif"}, {"pnm", "image/x-portable-anymap"}};
    for (size_t i = 0; media && i < sizeof map / sizeof *map; i++)
        if (!strcmp(media, map[i][0])) return map[i][1];
    return NULL;
}

/* ---- the scan --------------------------------------------------------- */

static void utc(time_t t, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) out[0] = 0;
}

/* scan-state.json records how long the scan took, not when: it is written
 * last when the scan ends, so its mtime is the end and end - elapsed_s the
 * start (of the last run, for a resumed scan). Explicit "started" and
 * "finished" fields win if the engine ever writes them. */
void report_scan_times(const char *dir, const scan_totals *t, char start[32], char end[32])
{
    const char *s = jv_str(t->state, "started"), *e = jv_str(t->state, "finished");
    start[0] = end[0] = 0;
    if (s && e) {
        snprintf(start, 32, "%s", s);
        snprintf(end, 32, "%s", e);
        return;
    }
    char path[REPORT_PATH_MAX];
    struct stat st;
    report_path(path, sizeof path, dir, SCAN_STATE);
    if (stat(path, &st) != 0) return;
    yajl_val el = jv_get(t->state, "elapsed_s");
    double secs = YAJL_IS_DOUBLE(el) ? YAJL_GET_DOUBLE(el)
                  : YAJL_IS_INTEGER(el) ? (double)YAJL_GET_INTEGER(el) : 0;
    utc(st.st_mtime, end);
    utc(st.st_mtime - (time_t)(secs + 0.5), start);
}

void report_scan_id(const scan_totals *t, char hex[33])
{
    ward_digests d = {0};
    ward_digester *g = ward_digester_new(WARD_DIGEST_SHA256);
    if (g) {
        ward_digester_update(g, t->state_text, strlen(t->state_text));
        ward_digester_final(g, &d);
        ward_digester_free(g);
    }
    ward_hex(d.sha256, 16, hex);
    hex[32] = 0;
}

/* ---- verdicts --------------------------------------------------------- */

static int alerting(yajl_val m)
{
    const char *kind = jv_str(m, "list_kind"), *cc = jv_str(m, "category_class");
    return !(kind && strcmp(kind, "alert") != 0) && !(cc && !strcmp(cc, "ignorable"));
}

yajl_val report_main_match(yajl_val file)
{
    yajl_val m = jv_get(file, "matches");
    if (!YAJL_IS_ARRAY(m) || !m->u.array.len) return NULL;
    for (size_t i = 0; i < m->u.array.len; i++)
        if (alerting(m->u.array.values[i])) return m->u.array.values[i];
    return m->u.array.values[0];
}

static void add(strbuf *b, const char *s) { strbuf_add(b, s, strlen(s)); }

static void add_kv(strbuf *b, const char *label, const char *val)
{
    if (!val) return;
    add(b, label);
    add(b, val);
}

static void describe_match(strbuf *b, yajl_val m)
{
    char num[32];
    add_kv(b, "; list ", jv_str(m, "list"));
    add_kv(b, ", category ", jv_str(m, "category"));
    add_kv(b, " (", jv_str(m, "category_label"));
    if (jv_str(m, "category_label")) add(b, ")");
    add_kv(b, ", series ", jv_str(m, "series"));
    add_kv(b, ", by ", jv_str(m, "by"));
    snprintf(num, sizeof num, "%lld", jv_int(m, "distance", 0));
    if (jv_str(m, "by") && !strcmp(jv_str(m, "by"), "pdq")) add_kv(b, " distance ", num);
}

void report_describe(strbuf *b, yajl_val v)
{
    const char *cls = jv_str(v, "class");
    char num[32];
    b->len = 0;
    add(b, "ward: ");
    add(b, cls ? cls : "?");
    yajl_val m = report_main_match(v);
    if (m) describe_match(b, m);
    if (jv_str(v, "pdq")) {
        snprintf(num, sizeof num, "%lld", jv_int(v, "pdq_quality", -1));
        add_kv(b, "; PDQ quality ", num);
    }
    add_kv(b, "; duplicate of ", jv_str(v, "duplicate_of"));
    add_kv(b, "; error: ", jv_str(v, "error"));
    add_kv(b, "; image warning: ", jv_str(v, "image_warning"));
    if (jv_bool(v, "deleted")) add(b, "; deleted");
    if (!b->s) strbuf_add(b, "", 0);
}

/* ---- JSON output ------------------------------------------------------ */

static void gen_print(void *ctx, const char *s, size_t n) { fwrite(s, 1, n, ctx); }

yajl_gen report_gen_new(FILE *f)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g) yajl_gen_config(g, yajl_gen_print_callback, gen_print, f);
    return g;
}

void rj_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void rj_kv(yajl_gen g, const char *key, const char *val)
{
    if (!val) return;
    rj_str(g, key);
    rj_str(g, val);
}

void rj_ki(yajl_gen g, const char *key, long long val)
{
    rj_str(g, key);
    yajl_gen_integer(g, val);
}

void rj_ref(yajl_gen g, const char *id)
{
    yajl_gen_map_open(g);
    rj_kv(g, "@id", id);
    yajl_gen_map_close(g);
}

/* ---- string set ------------------------------------------------------- */

int report_strset_init(report_strset *s, size_t max_keys)
{
    memset(s, 0, sizeof *s);
    s->cap = 16;
    while (s->cap < 2 * max_keys) s->cap *= 2;
    s->max = max_keys;
    s->key = calloc(s->cap, sizeof *s->key);
    s->val = calloc(s->cap, sizeof *s->val);
    return s->key && s->val ? 0 : -1;
}

void report_strset_free(report_strset *s)
{
    for (size_t i = 0; s->key && i < s->cap; i++) free(s->key[i]);
    free(s->key);
    free(s->val);
    memset(s, 0, sizeof *s);
}

/* FNV-1a; open addressing with linear probing, never more than half full. */
uint32_t *report_strset_at(report_strset *s, const char *k, size_t len, int add)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)k[i]) * 16777619u;
    size_t i = h & (s->cap - 1);
    for (; s->key[i]; i = (i + 1) & (s->cap - 1))
        if (strncmp(s->key[i], k, len) == 0 && s->key[i][len] == 0) return &s->val[i];
    if (!add || s->n == s->max || !(s->key[i] = strndup(k, len))) return NULL;
    s->n++;
    s->val[i] = 0;
    return &s->val[i];
}
