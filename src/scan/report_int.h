/* Internal to the scan reports. */
#ifndef WARD_SCAN_REPORT_INT_H
#define WARD_SCAN_REPORT_INT_H

#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <ward/scan.h>

#include "util/escape.h"

/* Files per (known|near, list, category, series). */
typedef struct scan_tally {
    char list[128], category[64], label[128], series[128];
    int near;
    uint64_t files;
} scan_tally;

/* Everything the reports need, read back from the scan's outputs. */
typedef struct scan_totals {
    uint64_t files, bytes, unique, deleted, in_container, damaged_images;
    uint64_t counts[WARD_VERDICT_COUNT];
    uint64_t unreadable, limits, skipped;
    long damaged;
    scan_tally *tally;
    size_t ntally, captally;
    char state_text[65536];
    yajl_val state;            /* scan-state.json, parsed */
} scan_totals;

ward_status scan_totals_load(const char *dir, scan_totals *t, ward_error *err);
void scan_totals_free(scan_totals *t);

/* DFXML, VICS 2.0 case export, CASE/UCO JSON-LD, report.html (report_*.c). */
ward_status scan_write_extra_reports(const char *dir, const scan_totals *t, ward_error *err);

ward_status report_dfxml(const char *dir, const scan_totals *t, ward_error *err);
ward_status report_vics(const char *dir, const scan_totals *t, ward_error *err);
ward_status report_case(const char *dir, const scan_totals *t, ward_error *err);
ward_status report_html(const char *dir, const scan_totals *t, ward_error *err);

/* ---- helpers shared by the report writers (report_extra.c) ---------- */

#define REPORT_PATH_MAX 4200

/* A report is written to NAME.tmp and renamed over NAME only when complete,
 * so a failed run never leaves a truncated report that looks finished. */
typedef struct report_out {
    FILE *f;
    char path[REPORT_PATH_MAX], tmp[REPORT_PATH_MAX + 8];
} report_out;

ward_status report_open(report_out *o, const char *dir, const char *name, ward_error *err);
/* Commits (st == WARD_OK and every write succeeded) or removes the .tmp;
 * returns the final status. */
ward_status report_close(report_out *o, ward_status st, ward_error *err);

void report_path(char *buf, size_t cap, const char *dir, const char *name);

/* Calls fn for every record of DIR/files.jsonl or DIR/notices.jsonl, one
 * line in memory at a time. A missing notices.jsonl reads as empty. */
int report_each_file(const char *dir, int (*fn)(void *ctx, yajl_val v), void *ctx);
int report_each_notice(const char *dir, int (*fn)(void *ctx, yajl_val v), void *ctx);

/* Text for XML and HTML, in element content or a quoted attribute: & < > " '
 * become entities, control characters (not allowed in XML 1.0) \xNN. */
void report_markup(FILE *f, const char *s);

/* Scan start and end as "YYYY-MM-DDTHH:MM:SSZ" ("" when unknown). */
void report_scan_times(const char *dir, const scan_totals *t, char start[32], char end[32]);

/* 32 hex digits that name this scan: the SHA-256 of scan-state.json, so
 * the ids in the exports are stable when reports are written again. */
void report_scan_id(const scan_totals *t, char hex[33]);

const char *report_basename(const char *path);
/* "image/jpeg" for files.jsonl's "media", or NULL. */
const char *report_mime(const char *media);
/* The match a person should hear about first: the first alert-list match
 * that is not ignorable, else the first match; NULL when none. */
yajl_val report_main_match(yajl_val file);
/* One line on the verdict, for VICS Comments and CASE annotations. */
void report_describe(strbuf *b, yajl_val file);

/* A fixed-capacity set of strings with a number for each, for the few
 * thousand paths the HTML page lists (never for all files). */
typedef struct report_strset {
    char **key;
    uint32_t *val;
    size_t cap, n, max;
} report_strset;
int report_strset_init(report_strset *s, size_t max_keys);   /* 0, or -1: no memory */
void report_strset_free(report_strset *s);
/* The number kept for the first len bytes of k. Absent: NULL, or with add
 * a new entry holding 0 (NULL when full or out of memory). */
uint32_t *report_strset_at(report_strset *s, const char *k, size_t len, int add);

/* yajl generator writing straight to f; one JSON value per line is made
 * with yajl_gen_reset between values. */
yajl_gen report_gen_new(FILE *f);
void rj_str(yajl_gen g, const char *s);
void rj_kv(yajl_gen g, const char *key, const char *val);   /* skipped when val is NULL */
void rj_ki(yajl_gen g, const char *key, long long val);
void rj_ref(yajl_gen g, const char *id);                    /* {"@id": id} */

#endif
