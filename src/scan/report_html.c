/*
 * report.html: one self-contained page for the officer in the case. Inline
 * CSS only: no scripts, no external resources (a Content-Security-Policy
 * meta tag forbids them, so even a mistake here cannot make the page fetch
 * anything), and it is written as well-formed XHTML-compatible HTML so XML
 * tools can check it.
 *
 * The page NEVER shows known or near material: those files appear only as
 * counts by list and category. The only paths it prints are of new images
 * (which a person must review) and of what could not be examined, and not
 * even those when they lie inside an archive or disk image that is itself
 * known or near (the path would name it). The only pictures are the
 * engine's thumbnails of new images (written with --thumbnails, reduced and,
 * unless --thumbnails=clear, blurred by the engine), embedded as data: URIs,
 * never linked.
 */
#include "scan/jsonl.h"
#include "scan/report_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ward/ward.h>

/* Rows per table: enough to work through, few enough for a browser. */
#define HTML_MAX_ROWS 5000
#define THUMB_MAX_BYTES (512 * 1024)

typedef struct newimg {
    char *path, *thumb, *media;
    long long size, width, height, quality;
    uint64_t dups;
} newimg;

typedef struct exam {
    char *path, *what, *why;
} exam;

/* The page is built in three steps so that nothing known or near can slip
 * in: collect the rows (capped), vet them (is any row inside an archive or
 * disk image that is itself known or near? is a source such a file?), then
 * write, leaving out what failed the vetting. */
typedef struct html {
    FILE *f;
    const char *dir;
    const scan_totals *t;
    newimg *img;
    size_t nimg;
    uint64_t img_more, img_held;      /* past the cap / withheld */
    exam *ex;
    size_t nex;
    uint64_t ex_more, ex_held;
    report_strset byimg;              /* new-image path -> row + 1 */
    report_strset vet;                /* containers of listed paths, sources -> 1: known/near */
    int source_held;
} html;

static const char *const CLASS_TEXT[WARD_VERDICT_COUNT] = {
    "known: exact match on an alert list", "near: PDQ match on an alert list",
    "ignorable: on known-good lists only", "new images: need a person",
    "new videos: need a person",
    "other files", "could not be read or decoded"};

/* As report_markup, but a character that is invisible or reorders text
 * shows as its marker (util/escape.h), as on the web application's pages. */
static void esc(FILE *f, const char *s)
{
    strbuf run = {0};
    size_t n = s ? strlen(s) : 0, k;
    char mark[WARD_MARK_MAX];
    for (size_t i = 0; i < n; i += k) {
        /* C0 controls stay report_markup's \xNN, as in the other reports */
        if ((k = esc_invisible_mark(s + i, n - i, 0, mark)) <= 1) {
            k = 1;
            strbuf_add(&run, s + i, 1);
            continue;
        }
        report_markup(f, run.s);
        run.len = 0;
        if (run.s)
            run.s[0] = 0;
        fputs(mark, f);
    }
    report_markup(f, run.s);
    strbuf_free(&run);
}

/* ---- step 1: collect the rows ----------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void add_exam(html *h, const char *path, const char *what, const char *why)
{
    if (!path) return;
    if (h->nex == HTML_MAX_ROWS) {
        h->ex_more++;
        return;
    }
    exam *e = &h->ex[h->nex];
    if (!(e->path = strdup(path))) return; /* out of memory: the row is left out */
    e->what = dup_or_null(what);
    e->why = dup_or_null(why);
    h->nex++;
}

static int take_notice(void *ctx, yajl_val v)
{
    const char *kind = jv_str(v, "kind");
    add_exam(ctx, jv_str(v, "path"), kind && kind[0] ? kind : "unreadable", jv_str(v, "reason"));
    return 0;
}

static void add_image(html *h, yajl_val v, const char *path)
{
    newimg *r = &h->img[h->nimg];
    uint32_t *slot = report_strset_at(&h->byimg, path, strlen(path), 1);
    if (!slot || *slot || !(r->path = strdup(path))) return; /* a repeat, or no memory */
    r->thumb = dup_or_null(jv_str(v, "thumbnail"));
    r->media = dup_or_null(jv_str(v, "media"));
    r->size = jv_int(v, "size", -1);
    r->width = jv_int(v, "width", -1);
    r->height = jv_int(v, "height", -1);
    r->quality = jv_int(v, "pdq_quality", -1);
    *slot = (uint32_t)++h->nimg;
}

/* Duplicates always come after the first file with the same content
 * (files.jsonl is in source order and duplicate_of names an earlier file),
 * so one pass lists the different new images and counts their copies. */
static void take_image(html *h, yajl_val v, const char *path)
{
    const char *first = jv_str(v, "duplicate_of");
    if (first) {
        uint32_t *row = report_strset_at(&h->byimg, first, strlen(first), 0);
        if (row && *row) h->img[*row - 1].dups++;
    } else if (h->nimg == HTML_MAX_ROWS) {
        h->img_more++;
    } else {
        add_image(h, v, path);
    }
}

/* Only files that carry no match at all are listed: error and new-image
 * records never do, and a hand-edited files.jsonl cannot change that. */
static int take_file(void *ctx, yajl_val v)
{
    html *h = ctx;
    const char *cls = jv_str(v, "class"), *path = jv_str(v, "path");
    if (!cls || !path || jv_get(v, "matches")) return 0;
    if (!strcmp(cls, "error")) add_exam(h, path, "file error", jv_str(v, "error"));
    else if (!strcmp(cls, "new-image") || !strcmp(cls, "new-video")) take_image(h, v, path);
    return 0;
}

/* ---- step 2: vet them ------------------------------------------------- */

/* Calls fn for each container around path: "a.zip" and "a.zip!/b.tar" for
 * "a.zip!/b.tar!/c.jpg". */
static int each_container(const char *path, int (*fn)(html *, const char *, size_t), html *h)
{
    int n = 0;
    for (const char *p = path; (p = strstr(p, "!/")) != NULL; p += 2)
        n += fn(h, path, (size_t)(p - path));
    return n;
}

static int count_one(html *h, const char *k, size_t len)
{
    (void)h; (void)k; (void)len;
    return 1;
}

static int add_vet(html *h, const char *k, size_t len)
{
    report_strset_at(&h->vet, k, len, 1);
    return 0;
}

/* A container or source that is not in the set (no memory) counts as known:
 * when in doubt, leave it out. */
static int is_held(html *h, const char *k, size_t len)
{
    uint32_t *flag = report_strset_at(&h->vet, k, len, 0);
    return !flag || *flag;
}

static int mark_known(void *ctx, yajl_val v)
{
    html *h = ctx;
    const char *cls = jv_str(v, "class"), *path = jv_str(v, "path");
    if (!cls || !path || (strcmp(cls, "known") != 0 && strcmp(cls, "near") != 0)) return 0;
    uint32_t *flag = report_strset_at(&h->vet, path, strlen(path), 0);
    if (flag) *flag = 1;
    return 0;
}

static int vet(html *h)
{
    yajl_val src = jv_get(h->t->state, "sources");
    size_t nsrc = YAJL_IS_ARRAY(src) ? src->u.array.len : 0, n = nsrc;
    for (size_t i = 0; i < h->nimg; i++) n += (size_t)each_container(h->img[i].path, count_one, h);
    for (size_t i = 0; i < h->nex; i++) n += (size_t)each_container(h->ex[i].path, count_one, h);
    if (report_strset_init(&h->vet, n) != 0) return -1;
    for (size_t i = 0; i < nsrc; i++) {
        const char *s = YAJL_GET_STRING(src->u.array.values[i]);
        if (s) add_vet(h, s, strlen(s));
    }
    for (size_t i = 0; i < h->nimg; i++) each_container(h->img[i].path, add_vet, h);
    for (size_t i = 0; i < h->nex; i++) each_container(h->ex[i].path, add_vet, h);
    /* Most scans find nothing known or near: then there is nothing to mark. */
    if (h->t->counts[WARD_VERDICT_KNOWN] || h->t->counts[WARD_VERDICT_NEAR])
        report_each_file(h->dir, mark_known, h);
    return 0;
}

/* ---- page frame ------------------------------------------------------- */

static void write_head(FILE *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "img-src data:; style-src 'unsafe-inline'\"/>\n"
          "<meta name=\"referrer\" content=\"no-referrer\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<title>ward scan report</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;"
          "padding:0 1em}\n"
          "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\n"
          "table{border-collapse:collapse;font-size:.9em;margin:.5em 0}\n"
          "th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\n"
          "th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
          ".path{font-family:monospace,monospace;word-break:break-all}\n"
          ".chart td{border:none}.barcell{width:24em}\n"
          ".bar{height:1em;min-width:1px;background:#4a6fa5}\n"
          ".c-known{background:#b03a2e}.c-near{background:#d68910}"
          ".c-ignorable{background:#7f8c8d}.c-new-image{background:#2e86c1}"
          ".c-new-video{background:#1f618d}"
          ".c-other{background:#aab7b8}.c-error{background:#6c3483}\n"
          ".notice{border:1px solid #b03a2e;background:#fdf2f0;padding:.6em}\n"
          ".note{color:#555}img.thumb{width:64px;height:64px;object-fit:contain}\n"
          ".cp{font:.85em monospace;color:#a40000;background:#fde8e8;border:1px solid #e8b4b4}\n"
          "td,p,li{overflow-wrap:anywhere}\n"
          "</style>\n</head>\n<body>\n", f);
}

static void meta_row(FILE *f, const char *name, const char *value)
{
    if (!value) return;
    fprintf(f, "<tr><th>%s</th><td>", name);
    esc(f, value);
    fputs("</td></tr>\n", f);
}

static void meta_num(FILE *f, const char *name, const scan_totals *t, const char *key)
{
    char num[32];
    yajl_val v = jv_get(t->state, key);
    if (!v || !YAJL_IS_INTEGER(v)) return;
    snprintf(num, sizeof num, "%lld", YAJL_GET_INTEGER(v));
    meta_row(f, name, num);
}

/* A source that is itself a known or near file (a single picture or an
 * archive on a list) is not named, and neither is the command naming it. */
static void write_sources(html *h)
{
    yajl_val src = jv_get(h->t->state, "sources");
    fputs("<tr><th>Sources</th><td>", h->f);
    for (size_t i = 0; YAJL_IS_ARRAY(src) && i < src->u.array.len; i++) {
        const char *s = YAJL_GET_STRING(src->u.array.values[i]);
        int held = !s || is_held(h, s, strlen(s));
        fputs(i ? "<br/><span class=\"path\">" : "<span class=\"path\">", h->f);
        if (held) fputs("(not named: a known or near file)", h->f);
        else esc(h->f, s);
        fputs("</span>", h->f);
        h->source_held |= held;
    }
    fputs("</td></tr>\n", h->f);
}

static void write_header(html *h)
{
    char start[32], end[32], now[32], span[80];
    FILE *f = h->f;
    const scan_totals *t = h->t;
    time_t tn = time(NULL);
    struct tm tm;
    report_scan_times(h->dir, t, start, end);
    if (!gmtime_r(&tn, &tm) || !strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm)) now[0] = 0;
    snprintf(span, sizeof span, "%s to %s", start, end);
    fputs("<h1>ward scan report</h1>\n<p class=\"notice\">This page never shows known or near "
          "material: such files are counted by list and category only. It lists the new "
          "images that need a person, and what could not be examined.</p>\n", f);
    if (!jv_bool(t->state, "complete"))
        fputs("<p class=\"notice\"><strong>This scan is incomplete</strong>: resume it with "
              "<code>ward scan --resume</code>.</p>\n", f);
    fputs("<table class=\"meta\">\n", f);
    write_sources(h);
    meta_row(f, "Scan", start[0] ? span : NULL);
    meta_row(f, "Report written", now[0] ? now : NULL);
    meta_row(f, "ward version", jv_str(t->state, "ward_version"));
    meta_num(f, "Store revision", t, "store_revision");
    meta_num(f, "Index entries", t, "index_entries");
    meta_row(f, "Index SHA-256", jv_str(t->state, "index_sha256"));
    meta_num(f, "PDQ radius", t, "radius");
    meta_num(f, "Near-matching from PDQ quality", t, "min_quality");
    meta_row(f, "Command", h->source_held ? NULL : jv_str(t->state, "command"));
    fputs("</table>\n", f);
}

/* ---- totals and charts ------------------------------------------------ */

static void total_row(FILE *f, const char *name, uint64_t n)
{
    fprintf(f, "<tr><th>%s</th><td class=\"n\">%" PRIu64 "</td></tr>\n", name, n);
}

static void write_totals(FILE *f, const scan_totals *t)
{
    fputs("<h2>Totals</h2>\n<table>\n", f);
    total_row(f, "Files", t->files);
    fprintf(f, "<tr><th>Bytes</th><td class=\"n\">%" PRIu64 " (%.1f MB)</td></tr>\n", t->bytes,
            t->bytes / 1e6);
    total_row(f, "Unique contents", t->unique);
    total_row(f, "Duplicates", t->files - t->unique);
    total_row(f, "Inside archives or disk images", t->in_container);
    total_row(f, "Deleted (recovered from disk images)", t->deleted);
    total_row(f, "Damaged images decoded in part", t->damaged_images);
    total_row(f, "Not examined: unreadable", t->unreadable);
    total_row(f, "Not examined: stopped by a limit", t->limits);
    total_row(f, "Not examined: skipped (links, special files)", t->skipped);
    fputs("</table>\n", f);
}

/* One chart row: label, count, a bar scaled to the largest count. */
static void bar_row(FILE *f, const char *css, const char *label, uint64_t n, uint64_t max)
{
    double pct = max ? 100.0 * (double)n / (double)max : 0;
    fputs("<tr><td>", f);
    esc(f, label);
    fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"barcell\">", n);
    if (n) fprintf(f, "<div class=\"bar %s\" style=\"width:%.1f%%\"></div>", css, pct);
    fputs("</td></tr>\n", f);
}

static void write_classes(FILE *f, const scan_totals *t)
{
    uint64_t max = 0;
    char css[32];
    for (int v = 0; v < WARD_VERDICT_COUNT; v++)
        if (t->counts[v] > max) max = t->counts[v];
    fputs("<h2>Files by class</h2>\n<table class=\"chart\">\n", f);
    for (int v = 0; v < WARD_VERDICT_COUNT; v++) {
        snprintf(css, sizeof css, "c-%s", ward_verdict_name((ward_verdict)v));
        bar_row(f, css, CLASS_TEXT[v], t->counts[v], max);
    }
    fputs("</table>\n", f);
}

static void tally_label(const scan_tally *x, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s, list %s, category %s%s%s%s%s%s", x->near ? "near" : "known",
             x->list, x->category[0] ? x->category : "none", x->label[0] ? " (" : "", x->label,
             x->label[0] ? ")" : "", x->series[0] ? ", series " : "", x->series);
}

static void write_categories(FILE *f, const scan_totals *t)
{
    uint64_t max = 0;
    char label[640];
    fputs("<h2>Known and near files by list and category</h2>\n", f);
    if (!t->ntally) {
        fputs("<p>No known or near files.</p>\n", f);
        return;
    }
    fputs("<p class=\"note\">Counts only. Nobody needs to view these files; a file on "
          "several lists is counted once on each.</p>\n<table class=\"chart\">\n", f);
    for (size_t i = 0; i < t->ntally; i++)
        if (t->tally[i].files > max) max = t->tally[i].files;
    for (size_t i = 0; i < t->ntally; i++) {
        tally_label(&t->tally[i], label, sizeof label);
        bar_row(f, t->tally[i].near ? "c-near" : "c-known", label, t->tally[i].files, max);
    }
    fputs("</table>\n", f);
}

/* ---- step 3: write ---------------------------------------------------- */

static void exam_row(html *h, const exam *e)
{
    if (each_container(e->path, is_held, h)) {
        h->ex_held++;
        return;
    }
    fputs("<tr><td class=\"path\">", h->f);
    esc(h->f, e->path);
    fputs("</td><td>", h->f);
    esc(h->f, e->what);
    fputs("</td><td>", h->f);
    esc(h->f, e->why);
    fputs("</td></tr>\n", h->f);
}

static void held_note(FILE *f, uint64_t held)
{
    if (held)
        fprintf(f, "<p class=\"note\">%" PRIu64 " not listed because they are inside an "
                   "archive or disk image that is itself known or near.</p>\n", held);
}

static void write_not_examined(html *h)
{
    FILE *f = h->f;
    fputs("<h2>Not examined</h2>\n<table>\n<tr><th>Path</th><th>What</th><th>Why</th></tr>\n", f);
    for (size_t i = 0; i < h->nex; i++) exam_row(h, &h->ex[i]);
    if (!h->nex) fputs("<tr><td colspan=\"3\">Everything was examined.</td></tr>\n", f);
    fputs("</table>\n", f);
    if (h->ex_more)
        fprintf(f, "<p class=\"note\">%" PRIu64 " more not listed here: see summary.json "
                   "(notices, file_errors).</p>\n", h->ex_more);
    held_note(f, h->ex_held);
}

/* Only what the engine writes: "thumbs/" and a plain file name. */
static int thumb_name_ok(const char *rel)
{
    if (!rel || strncmp(rel, "thumbs/", 7) != 0 || !rel[7] || rel[7] == '.') return 0;
    for (const char *p = rel + 7; *p; p++)
        if (!(*p == '.' || *p == '_' || *p == '-' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return 0;
    return 1;
}

/* The thumbnail's bytes if it is a plain JPEG file of sensible size. */
static unsigned char *read_thumb(const char *dir, const char *rel, size_t *len)
{
    char path[REPORT_PATH_MAX];
    struct stat st;
    report_path(path, sizeof path, dir, rel);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return NULL;
    unsigned char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 3 &&
        st.st_size <= THUMB_MAX_BYTES && (buf = malloc((size_t)st.st_size))) {
        *len = (size_t)st.st_size;
        if (read(fd, buf, *len) != (ssize_t)*len || buf[0] != 0xff || buf[1] != 0xd8 ||
            buf[2] != 0xff) {
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

static void embed_thumb(FILE *f, const char *dir, const char *rel)
{
    size_t len = 0;
    unsigned char *jpg = thumb_name_ok(rel) ? read_thumb(dir, rel, &len) : NULL;
    if (!jpg) return;
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(cap);
    if (b64) {
        sodium_bin2base64(b64, cap, jpg, len, sodium_base64_VARIANT_ORIGINAL);
        fprintf(f, "<img class=\"thumb\" alt=\"thumbnail\" src=\"data:image/jpeg;base64,%s\"/>",
                b64);
    }
    free(b64);
    free(jpg);
}

static void num_cell(FILE *f, long long v)
{
    if (v >= 0) fprintf(f, "<td class=\"n\">%lld</td>", v);
    else fputs("<td></td>", f);
}

static void image_row(html *h, const newimg *r, uint64_t nth)
{
    FILE *f = h->f;
    fprintf(f, "<tr><td class=\"n\">%" PRIu64 "</td><td>", nth);
    if (r->thumb) embed_thumb(f, h->dir, r->thumb);
    fputs("</td><td class=\"path\">", f);
    esc(f, r->path);
    fputs("</td>", f);
    num_cell(f, r->size);
    if (r->width >= 0 && r->height >= 0)
        fprintf(f, "<td class=\"n\">%lld &#215; %lld</td>", r->width, r->height);
    else
        fputs("<td></td>", f);
    fputs("<td>", f);
    esc(f, r->media);
    fputs("</td>", f);
    num_cell(f, r->quality);
    fprintf(f, "<td class=\"n\">%" PRIu64 "</td></tr>\n", r->dups);
}

static void write_new_images(html *h)
{
    FILE *f = h->f;
    uint64_t listed = 0;
    fputs("<h2>New images and videos for review</h2>\n", f);
    if (!h->nimg) {
        fputs("<p>No new images.</p>\n", f);
        return;
    }
    fputs("<p class=\"note\">Each different picture once; Duplicates counts its other copies "
          "(files.csv lists them by duplicate_of).</p>\n<table>\n<tr><th>#</th><th>Thumbnail"
          "</th><th>Path</th><th>Bytes</th><th>Pixels</th><th>Type</th><th>PDQ quality</th>"
          "<th>Duplicates</th></tr>\n", f);
    for (size_t i = 0; i < h->nimg; i++) {
        if (each_container(h->img[i].path, is_held, h)) h->img_held++;
        else image_row(h, &h->img[i], ++listed);
    }
    fputs("</table>\n", f);
    if (h->img_more)
        fprintf(f, "<p class=\"note\">%" PRIu64 " more new images not listed here: see "
                   "files.csv (class new-image).</p>\n", h->img_more);
    held_note(f, h->img_held);
}

/* ---- the page --------------------------------------------------------- */

static void free_html(html *h)
{
    for (size_t i = 0; h->img && i < h->nimg; i++) {
        free(h->img[i].path);
        free(h->img[i].thumb);
        free(h->img[i].media);
    }
    for (size_t i = 0; h->ex && i < h->nex; i++) {
        free(h->ex[i].path);
        free(h->ex[i].what);
        free(h->ex[i].why);
    }
    free(h->img);
    free(h->ex);
    report_strset_free(&h->byimg);
    report_strset_free(&h->vet);
}

static int collect(html *h)
{
    h->img = calloc(HTML_MAX_ROWS, sizeof *h->img);
    h->ex = calloc(HTML_MAX_ROWS, sizeof *h->ex);
    if (!h->img || !h->ex || report_strset_init(&h->byimg, HTML_MAX_ROWS) != 0) return -1;
    report_each_notice(h->dir, take_notice, h);
    report_each_file(h->dir, take_file, h);
    return vet(h);
}

static void write_page(html *h)
{
    write_head(h->f);
    write_header(h);
    write_totals(h->f, h->t);
    write_classes(h->f, h->t);
    write_categories(h->f, h->t);
    write_not_examined(h);
    write_new_images(h);
    fputs("<p class=\"note\">Written by ward. Details for tools: summary.json, files.jsonl, "
          "files.csv, dfxml.xml, vics.json, case.jsonld.</p>\n</body>\n</html>\n", h->f);
}

ward_status report_html(const char *dir, const scan_totals *t, ward_error *err)
{
    report_out o;
    ward_status st = report_open(&o, dir, "report.html", err);
    if (st != WARD_OK) return st;
    html h = {.f = o.f, .dir = dir, .t = t};
    if (collect(&h) != 0) st = err_fail(err, WARD_ENOMEM, "out of memory");
    else write_page(&h);
    free_html(&h);
    return report_close(&o, st, err);
}
