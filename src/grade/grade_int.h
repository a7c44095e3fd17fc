/* Internal helpers of the grade room. */
#ifndef WARD_GRADE_INT_H
#define WARD_GRADE_INT_H
#include <stddef.h>
#include <ward/grade.h>

/* A set of byte strings (open addressing; FNV-1a). */
typedef struct grade_strset {
    char **keys;
    size_t *lens;
    size_t cap, count;
} grade_strset;

/* 1 added, 0 already there, -1 out of memory. */
int grade_strset_add(grade_strset *s, const char *key, size_t len);
int grade_strset_has(const grade_strset *s, const char *key, size_t len);
void grade_strset_free(grade_strset *s);

/* Create DIR/grade (mode 0700: grades are case data). */
ward_status grade_mkdir(const char *report_dir, ward_error *err);
/* Now as UTC ISO 8601 with seconds, "2026-12-07T04:50:09Z". */
void grade_now(char out[32]);
#endif
