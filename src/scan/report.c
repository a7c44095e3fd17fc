/*
 * Scan reports, all derived from files.jsonl, notices.jsonl and
 * scan-state.json, so an interrupted-and-resumed scan reports exactly as an
 * uninterrupted one:
 *   summary.json  counts by class, category and series; what was not
 *                 examined and why; what was matched against (reproducible)
 *   summary.txt   the same for a person
 *   files.csv     one row per file
 * Further formats (DFXML, VICS, CASE/UCO, HTML) are written by report_*.c
 * from the same inputs.
 */
#include "scan/jsonl.h"
#include "scan/report_int.h"
#include "scan/scan_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- aggregation ---------------------------------------------------- */

static scan_tally *tally_find(scan_totals *t, const char *list, const char *cat,
                              const char *label, const char *series, int near)
{
    for (size_t i = 0; i < t->ntally; i++) {
        scan_tally *x = &t->tally[i];
        if (x->near == near && !strcmp(x->list, list) && !strcmp(x->category, cat) &&
            !strcmp(x->series, series))
            return x;
    }
    if (t->ntally == t->captally) {
        size_t cap = t->captally ? t->captally * 2 : 16;
        scan_tally *p = realloc(t->tally, cap * sizeof *p);
        if (!p) return NULL;
        t->tally = p;
        t->captally = cap;
    }
    scan_tally *x = &t->tally[t->ntally++];
    memset(x, 0, sizeof *x);
    snprintf(x->list, sizeof x->list, "%s", list);
    snprintf(x->category, sizeof x->category, "%s", cat);
    snprintf(x->label, sizeof x->label, "%s", label);
    snprintf(x->series, sizeof x->series, "%s", series);
    x->near = near;
    return x;
}

static int tally_file(void *ctx, yajl_val v)
{
    scan_totals *t = ctx;
    const char *cls = jv_str(v, "class");
    int verdict = cls ? scan_verdict_parse(cls) : -1;
    if (verdict < 0) return 0;
    t->files++;
    t->counts[verdict]++;
    long long size = jv_int(v, "size", 0);
    if (size > 0) t->bytes += (uint64_t)size;
    if (!jv_get(v, "duplicate_of")) t->unique++;
    if (jv_bool(v, "deleted")) t->deleted++;
    if (jv_bool(v, "in_container")) t->in_container++;
    if (jv_get(v, "image_warning")) t->damaged_images++;
    yajl_val m = jv_get(v, "matches");
    if ((verdict == WARD_VERDICT_KNOWN || verdict == WARD_VERDICT_NEAR) && YAJL_IS_ARRAY(m)) {
        /* Count the file once per distinct (list, category, series) it hits. */
        for (size_t i = 0; i < m->u.array.len; i++) {
            yajl_val e = m->u.array.values[i];
            const char *kind = jv_str(e, "list_kind");
            if (kind && strcmp(kind, "alert") != 0) continue;
            const char *cc = jv_str(e, "category_class");
            if (cc && !strcmp(cc, "ignorable")) continue;
            const char *list = jv_str(e, "list"), *cat = jv_str(e, "category");
            const char *lab = jv_str(e, "category_label"), *ser = jv_str(e, "series");
            scan_tally *x = tally_find(t, list ? list : "", cat ? cat : "", lab ? lab : "",
                                       ser ? ser : "", verdict == WARD_VERDICT_NEAR);
            int seen = 0;
            for (size_t k = 0; k < i; k++) {
                yajl_val p = m->u.array.values[k];
                const char *pl = jv_str(p, "list"), *pc = jv_str(p, "category"), *ps = jv_str(p, "series");
                seen |= !strcmp(pl ? pl : "", list ? list : "") && !strcmp(pc ? pc : "", cat ? cat : "") &&
                        !strcmp(ps ? ps : "", ser ? ser : "");
            }
            if (x && !seen) x->files++;
        }
    }
    return 0;
}

static int tally_notice(void *ctx, yajl_val v)
{
    scan_totals *t = ctx;
    const char *kind = jv_str(v, "kind");
    if (kind && !strcmp(kind, "limit")) t->limits++;
    else if (kind && !strcmp(kind, "skipped")) t->skipped++;
    else t->unreadable++;
    return 0;
}

ward_status scan_totals_load(const char *dir, scan_totals *t, ward_error *err)
{
    char path[4200];
    memset(t, 0, sizeof *t);
    snprintf(path, sizeof path, "%s/%s", dir, SCAN_FILES);
    long bad = 0;
    if (jsonl_each(path, 0, tally_file, t, &bad) < 0)
        return err_fail(err, WARD_EIO, "cannot read %s", path);
    snprintf(path, sizeof path, "%s/%s", dir, SCAN_NOTICES);
    jsonl_each(path, 0, tally_notice, t, &bad);
    t->damaged = bad;
    snprintf(path, sizeof path, "%s/%s", dir, SCAN_STATE);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail(err, WARD_EIO, "cannot read %s", path);
    size_t n = fread(t->state_text, 1, sizeof t->state_text - 1, f);
    fclose(f);
    t->state_text[n] = 0;
    t->state = yajl_tree_parse(t->state_text, NULL, 0);
    if (!t->state)
        return err_fail(err, WARD_EFORMAT, "%s is damaged", path);
    return WARD_OK;
}

void scan_totals_free(scan_totals *t)
{
    free(t->tally);
    if (t->state) yajl_tree_free(t->state);
}

/* ---- summary.json ---------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    strbuf b = {0};
    esc_json_string(&b, s ? s : "", s ? strlen(s) : 0);
    fputs(b.s ? b.s : "\"\"", f);
    strbuf_free(&b);
}

typedef struct notice_ctx {
    FILE *f;
    int first;
} notice_ctx;

static int write_notice(void *ctx, yajl_val v)
{
    notice_ctx *c = ctx;
    fputs(c->first ? "\n    " : ",\n    ", c->f);
    c->first = 0;
    fputs("{\"path\":", c->f); json_str(c->f, jv_str(v, "path"));
    fputs(",\"kind\":", c->f); json_str(c->f, jv_str(v, "kind"));
    fputs(",\"reason\":", c->f); json_str(c->f, jv_str(v, "reason"));
    fputs("}", c->f);
    return 0;
}

static int write_error(void *ctx, yajl_val v)
{
    const char *cls = jv_str(v, "class");
    if (!cls || strcmp(cls, "error") != 0) return 0;
    notice_ctx *c = ctx;
    fputs(c->first ? "\n    " : ",\n    ", c->f);
    c->first = 0;
    fputs("{\"path\":", c->f); json_str(c->f, jv_str(v, "path"));
    fputs(",\"reason\":", c->f); json_str(c->f, jv_str(v, "error"));
    fputs("}", c->f);
    return 0;
}

static int cmp_tally(const void *a, const void *b)
{
    const scan_tally *x = a, *y = b;
    int c;
    if (x->near != y->near) return x->near - y->near;
    if ((c = strcmp(x->list, y->list))) return c;
    if ((c = strcmp(x->category, y->category))) return c;
    return strcmp(x->series, y->series);
}

static void state_field(FILE *f, const scan_totals *t, const char *key, const char *out_key)
{
    yajl_val v = jv_get(t->state, key);
    if (!v) return;
    fprintf(f, "  \"%s\": ", out_key);
    if (YAJL_IS_STRING(v)) json_str(f, YAJL_GET_STRING(v));
    else if (YAJL_IS_NUMBER(v)) fputs(YAJL_GET_NUMBER(v), f);
    else if (YAJL_IS_TRUE(v)) fputs("true", f);
    else if (YAJL_IS_FALSE(v)) fputs("false", f);
    else if (YAJL_IS_ARRAY(v)) {
        fputs("[", f);
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i) fputs(", ", f);
            json_str(f, YAJL_GET_STRING(v->u.array.values[i]));
        }
        fputs("]", f);
    } else if (YAJL_IS_OBJECT(v)) {
        fputs("{", f);
        for (size_t i = 0; i < v->u.object.len; i++) {
            yajl_val x = v->u.object.values[i];
            fprintf(f, "%s\"%s\": %s", i ? ", " : "", v->u.object.keys[i],
                    YAJL_IS_NUMBER(x) ? YAJL_GET_NUMBER(x) : "null");
        }
        fputs("}", f);
    }
    fputs(",\n", f);
}

static ward_status write_summary_json(const char *dir, scan_totals *t, ward_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) return err_fail_errno(err, errno, "cannot write %s", path);
    fputs("{\n", f);
    static const char *const keys[] = {"ward_version", "command", "sources", "data_dir",
                                       "store_revision", "index_entries", "index_sha256",
                                       "radius", "min_quality", "limits", "complete", "resumed",
                                       "elapsed_s"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        state_field(f, t, keys[i], keys[i]);
    fprintf(f, "  \"totals\": {\"files\": %" PRIu64 ", \"bytes\": %" PRIu64
               ", \"unique_files\": %" PRIu64 ", \"duplicates\": %" PRIu64
               ", \"deleted_files\": %" PRIu64 ", \"in_containers\": %" PRIu64
               ", \"damaged_images\": %" PRIu64 "},\n",
            t->files, t->bytes, t->unique, t->files - t->unique, t->deleted, t->in_container,
            t->damaged_images);
    fputs("  \"classes\": {", f);
    for (int v = 0; v < WARD_VERDICT_COUNT; v++)
        fprintf(f, "%s\"%s\": %" PRIu64, v ? ", " : "", ward_verdict_name((ward_verdict)v), t->counts[v]);
    fputs("},\n  \"categories\": [", f);
    if (t->ntally) /* qsort(NULL, 0, ...) is undefined behaviour */
        qsort(t->tally, t->ntally, sizeof *t->tally, cmp_tally);
    for (size_t i = 0; i < t->ntally; i++) {
        scan_tally *x = &t->tally[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        fprintf(f, "\"class\": \"%s\", \"list\": ", x->near ? "near" : "known");
        json_str(f, x->list);
        fputs(", \"category\": ", f); json_str(f, x->category);
        fputs(", \"label\": ", f); json_str(f, x->label);
        fputs(", \"series\": ", f); json_str(f, x->series);
        fprintf(f, ", \"files\": %" PRIu64 "}", x->files);
    }
    fprintf(f, "%s],\n", t->ntally ? "\n  " : "");
    fprintf(f, "  \"not_examined\": {\"unreadable\": %" PRIu64 ", \"limits_hit\": %" PRIu64
               ", \"skipped\": %" PRIu64 ", \"errors\": %" PRIu64 "},\n",
            t->unreadable, t->limits, t->skipped, t->counts[WARD_VERDICT_ERROR]);
    notice_ctx c = {f, 1};
    fputs("  \"notices\": [", f);
    snprintf(path, sizeof path, "%s/%s", dir, SCAN_NOTICES);
    jsonl_each(path, 0, write_notice, &c, NULL);
    fputs(c.first ? "],\n" : "\n  ],\n", f);
    c.first = 1;
    fputs("  \"file_errors\": [", f);
    snprintf(path, sizeof path, "%s/%s", dir, SCAN_FILES);
    jsonl_each(path, 0, write_error, &c, NULL);
    fputs(c.first ? "]\n}\n" : "\n  ]\n}\n", f);
    if (fclose(f) != 0) return err_fail_errno(err, errno, "cannot write summary.json");
    return WARD_OK;
}

/* ---- summary.txt ------------------------------------------------------ */

static ward_status write_summary_txt(const char *dir, scan_totals *t, ward_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) return err_fail_errno(err, errno, "cannot write %s", path);
    yajl_val src = jv_get(t->state, "sources");
    fputs("ward scan summary\n=================\n\nSources:\n", f);
    for (size_t i = 0; YAJL_IS_ARRAY(src) && i < src->u.array.len; i++)
        fprintf(f, "  %s\n", YAJL_GET_STRING(src->u.array.values[i]));
    const char *sha = jv_str(t->state, "index_sha256");
    fprintf(f, "Matched against: store revision %lld, %lld index entries (index sha256 %.16s...)\n",
            jv_int(t->state, "store_revision", 0), jv_int(t->state, "index_entries", 0),
            sha ? sha : "?");
    fprintf(f, "PDQ radius %lld, near-matching from quality %lld\n\n",
            jv_int(t->state, "radius", 0), jv_int(t->state, "min_quality", 0));
    fprintf(f, "Files: %" PRIu64 " (%.1f MB), %" PRIu64 " unique, %" PRIu64
               " inside archives or disk images, %" PRIu64 " deleted\n\n",
            t->files, t->bytes / 1e6, t->unique, t->in_container, t->deleted);
    static const char *const what[WARD_VERDICT_COUNT] = {
        "known (exact match on an alert list)", "near (PDQ match on an alert list)",
        "ignorable (known-good lists only)", "new images (need a person)",
        "new videos (need a person)",
        "other files", "could not be read or decoded"};
    for (int v = 0; v < WARD_VERDICT_COUNT; v++)
        fprintf(f, "  %-10s %8" PRIu64 "  %s\n", ward_verdict_name((ward_verdict)v), t->counts[v], what[v]);
    if (t->ntally) {
        fputs("\nBy list and category (files; nobody needs to view these):\n", f);
        fprintf(f, "  %-5s %-20s %-8s %-28s %s\n", "class", "list", "category", "label",
                "[series] files");
        for (size_t i = 0; i < t->ntally; i++) {
            scan_tally *x = &t->tally[i];
            fprintf(f, "  %-5s %-20s %-8s %-28s %s%s %" PRIu64 "\n", x->near ? "near" : "known",
                    x->list, x->category[0] ? x->category : "-", x->label,
                    x->series[0] ? "series " : "", x->series, x->files);
        }
    }
    fprintf(f, "\nNot examined: %" PRIu64 " unreadable, %" PRIu64 " stopped by a limit, %" PRIu64
               " skipped (symlinks, special files), %" PRIu64 " files with errors\n",
            t->unreadable, t->limits, t->skipped, t->counts[WARD_VERDICT_ERROR]);
    if (t->damaged_images)
        fprintf(f, "Damaged images decoded in part (image_warning in files.jsonl): %" PRIu64 "\n",
                t->damaged_images);
    fputs("(details in summary.json: notices, file_errors)\n", f);
    if (!jv_bool(t->state, "complete"))
        fputs("\nTHIS SCAN IS INCOMPLETE: resume it with 'ward scan --resume'.\n", f);
    if (fclose(f) != 0) return err_fail_errno(err, errno, "cannot write summary.txt");
    return WARD_OK;
}

/* ---- files.csv -------------------------------------------------------- */

static void csv(FILE *f, const char *s, int last)
{
    strbuf b = {0};
    esc_csv_field(&b, s ? s : "", s ? strlen(s) : 0);
    if (b.s) fputs(b.s, f);
    fputc(last ? '\n' : ',', f);
    strbuf_free(&b);
}

static void csv_num(FILE *f, yajl_val v, const char *key)
{
    yajl_val x = jv_get(v, key);
    if (x && YAJL_IS_NUMBER(x)) fputs(YAJL_GET_NUMBER(x), f);
    fputc(',', f);
}

static int write_csv_row(void *ctx, yajl_val v)
{
    FILE *f = ctx;
    csv_num(f, v, "seq");
    csv(f, jv_str(v, "path"), 0);
    csv(f, jv_str(v, "class"), 0);
    csv_num(f, v, "size");
    static const char *const keys[] = {"md5", "sha1", "sha256", "media"};
    for (int i = 0; i < 4; i++) csv(f, jv_str(v, keys[i]), 0);
    csv_num(f, v, "width");
    csv_num(f, v, "height");
    csv(f, jv_str(v, "pdq"), 0);
    csv_num(f, v, "pdq_quality");
    yajl_val m = jv_get(v, "matches");
    yajl_val e = YAJL_IS_ARRAY(m) && m->u.array.len ? m->u.array.values[0] : NULL;
    csv(f, jv_str(e, "list"), 0);
    csv(f, jv_str(e, "category"), 0);
    csv(f, jv_str(e, "series"), 0);
    csv(f, jv_str(e, "by"), 0);
    csv_num(f, e, "distance");
    csv(f, jv_str(v, "duplicate_of"), 0);
    csv(f, jv_bool(v, "deleted") ? "yes" : "", 0);
    csv(f, jv_bool(v, "in_container") ? "yes" : "", 0);
    csv(f, jv_str(v, "mtime"), 0);
    csv(f, jv_str(v, "error"), 1);
    return 0;
}

static ward_status write_files_csv(const char *dir, ward_error *err)
{
    char path[4200], in[4200];
    snprintf(path, sizeof path, "%s/files.csv", dir);
    snprintf(in, sizeof in, "%s/%s", dir, SCAN_FILES);
    FILE *f = fopen(path, "w");
    if (!f) return err_fail_errno(err, errno, "cannot write %s", path);
    fputs("seq,path,class,size,md5,sha1,sha256,media,width,height,pdq,pdq_quality,"
          "match_list,match_category,match_series,match_by,match_distance,duplicate_of,"
          "deleted,in_container,mtime,error\n", f);
    jsonl_each(in, 0, write_csv_row, f, NULL);
    if (fclose(f) != 0) return err_fail_errno(err, errno, "cannot write files.csv");
    return WARD_OK;
}

ward_status ward_scan_write_reports(const char *out_dir, ward_error *err)
{
    scan_totals t;
    ward_status st = scan_totals_load(out_dir, &t, err);
    if (st == WARD_OK) st = write_summary_json(out_dir, &t, err);
    if (st == WARD_OK) st = write_summary_txt(out_dir, &t, err);
    if (st == WARD_OK) st = write_files_csv(out_dir, err);
    if (st == WARD_OK) st = scan_write_extra_reports(out_dir, &t, err);
    scan_totals_free(&t);
    return st;
}
