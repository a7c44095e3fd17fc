/* Helpers shared by the unit tests (header-only; each test is one program). */
#ifndef WARD_TESTUTIL_H
#define WARD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ftw.h>
#include <cmocka.h>

#include "cli/store_env.h"

/* The store_url the tests pass to libward's store openers (store.h), read
 * once from the environment as `ward` reads it: the pg.* pass sets
 * $WARD_STORE (a throw-away PostgreSQL) and WARD_STORE_PER_DATADIR=1, and
 * every test's stores then live there; NULL otherwise (SQLite). */
static inline const char *test_store_url(void) { return store_env_default(); }

/* ---- scratch directories ---------------------------------------------- */

static inline int scratch_rm_one(const char *p, const struct stat *sb, int flag,
                                 struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

/* A new private directory /tmp/<prefix>-XXXXXX; the name is malloc'd. */
static inline char *scratch_dir(const char *prefix)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/%s-XXXXXX", prefix);
    char *d = strdup(tmpl);
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

/* Remove the directory with everything in it, and free its name. */
static inline void scratch_remove(char *dir)
{
    nftw(dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Directory holding PDQ test data: ../shared/pdq when the checkout has it
 * beside (full set), else the subset bundled in tests/data/pdq. */
static inline const char *pdq_data_dir(void)
{
    static char dir[4096];
    struct stat st;
    const char *shared = getenv("WARD_SHARED");
    if (shared) {
        snprintf(dir, sizeof dir, "%s/pdq/vectors/vectors.csv", shared);
        if (stat(dir, &st) == 0) {
            snprintf(dir, sizeof dir, "%s/pdq", shared);
            return dir;
        }
    }
    const char *data = getenv("WARD_TEST_DATA");
    snprintf(dir, sizeof dir, "%s/pdq", data ? data : "tests/data");
    return dir;
}

/* Whole file into a malloc'd buffer; fails the test if unreadable. */
static inline uint8_t *read_file_or_fail(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Split a CSV line (no quoting in our data files) in place. */
static inline int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return n;
}
#endif
