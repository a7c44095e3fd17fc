/* Internal to the scan reports. */
#ifndef WARD_SCAN_REPORT_INT_H
#define WARD_SCAN_REPORT_INT_H

#include <stdint.h>
#include <yajl/yajl_tree.h>
#include <ward/scan.h>

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

#endif
