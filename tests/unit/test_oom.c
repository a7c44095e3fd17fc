/*
 * ward-test: no-store (SQLite only: the backend's own allocations are not
 * wrapped, so the PostgreSQL pass would repeat the same branches, slower)
 *
 * Allocation failure, SQLite's way: every malloc, calloc, realloc, strdup
 * and strndup that libward makes goes through the wrappers below (linked
 * with -Wl,--wrap, tests/CMakeLists.txt), which fail every call from the
 * Nth on. N is swept over an import of a small hash list, matches (text and
 * an image's bytes) and a scan of a small folder. Each run must return --
 * WARD_OK, or an error with a message -- and never crash; under the ASan
 * build LeakSanitizer also proves that the failing paths free what they
 * took. Only libward's own calls are wrapped (SQLite, libjpeg and libc
 * allocate on their own), so this tests ward's "out of memory" branches,
 * not its dependencies'.
 *
 * The sweep takes every N up to a few dozen (where set-up fails), then
 * about 60 points spread over the rest, so the test stays a few seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ward/match.h>
#include <ward/scan.h>
#include <ward/store.h>

#include "storetest.h"

/* ---- the wrappers --------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static atomic_long calls;      /* allocations since oom_arm */
static atomic_long fail_from = -1; /* fail calls numbered >= this; -1 never */

static int oom_now(void)
{
    long k = atomic_fetch_add(&calls, 1);
    long f = atomic_load(&fail_from);
    return f >= 0 && k >= f;
}

void *__wrap_malloc(size_t n) { return oom_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return oom_now() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return oom_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return oom_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return oom_now() ? NULL : __real_strndup(s, n); }

static void oom_arm(long from) { atomic_store(&calls, 0); atomic_store(&fail_from, from); }
static long oom_disarm(void) { atomic_store(&fail_from, -1); return atomic_load(&calls); }

/* ---- the sweep ------------------------------------------------------ */

typedef ward_status (*oom_op)(void *ctx, ward_error *err);

/* Run op with failures from each N in turn; `reset` (may be NULL) restores
 * the state op starts from, outside the failure window. */
static void sweep(const char *what, oom_op op, void (*reset)(void *), void *ctx)
{
    ward_error err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (reset) reset(ctx);
    oom_arm(-1);
    ward_status rc = op(ctx, &err);
    long total = oom_disarm();
    if (rc != WARD_OK)
        fail_msg("%s without failures: %s", what, err.message);
    long step = total > 100 ? (total - 40) / 60 : 1;
    long runs = 0, failed = 0;
    for (long n = 0; n < total; n += n < 40 ? 1 : step) {
        if (reset) reset(ctx);
        memset(&err, 0, sizeof err);
        oom_arm(n);
        rc = op(ctx, &err);
        oom_disarm();
        runs++;
        if (rc != WARD_OK) {
            failed++;
            if (!err.message[0])
                fail_msg("%s failing from allocation %ld: status %s without a message", what,
                         n, ward_status_str(rc));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%s: %ld allocations, %ld runs, %ld returned an error, %.2f s\n", what, total,
                  runs, failed, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

typedef struct fx {
    char *dir;
    char data[4096], list[4096], media[4096], out[4096], image[4096];
    uint8_t *image_bytes; /* read before the sweep: the test's own mallocs are wrapped too */
    size_t image_len;
} fx;

static const char *KNOWN_PDQ =
    "f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";

/* Remove a directory tree without a shell (system() would cost more than
 * the runs themselves). */
static void remove_tree(const char *dir)
{
    nftw(dir, scratch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fresh_store(void *ctx)
{
    remove_tree(((fx *)ctx)->data);
}

static ward_status op_import(void *ctx, ward_error *err)
{
    fx *f = ctx;
    ward_store *s = NULL;
    ward_status rc = ward_store_open(f->data, test_store_url(), 0, &s, err);
    if (rc) return rc;
    ward_import_summary sum;
    rc = ward_store_import(s, f->list, WARD_FMT_CSV, "alerts", NULL, &sum, err);
    ward_store_close(s);
    return rc;
}

static ward_status op_match(void *ctx, ward_error *err)
{
    fx *f = ctx;
    ward_match *m = NULL;
    ward_status rc = ward_match_open(f->data, test_store_url(), NULL, &m, err);
    if (rc) return rc;
    ward_match_result r;
    const char *q[] = {"md5:0123456789abcdef0123456789abcdef", KNOWN_PDQ, "pdq:00"};
    for (int i = 0; i < 3 && rc == WARD_OK; i++) {
        rc = ward_match_text(m, q[i], NULL, &r, err);
        if (i == 2 && rc == WARD_EFORMAT) rc = WARD_OK; /* meant to be malformed */
        else if (rc == WARD_OK) ward_match_result_free(&r);
    }
    if (rc == WARD_OK) {
        ward_file_hash fh;
        rc = ward_match_bytes(m, f->image_bytes, f->image_len, NULL, &r, &fh, err);
        if (rc == WARD_OK) {
            ward_match_result_free(&r);
            ward_file_hash_clear(&fh);
        }
    }
    ward_match_close(m);
    return rc;
}

static void fresh_out(void *ctx)
{
    remove_tree(((fx *)ctx)->out);
}

static ward_status op_scan(void *ctx, ward_error *err)
{
    fx *f = ctx;
    ward_scan_opts o;
    ward_scan_opts_default(&o);
    o.data_dir = f->data;
    o.out_dir = f->out;
    o.threads = 1;
    const char *src[] = {f->media};
    ward_scan_result res;
    return ward_scan_run(src, 1, &o, &res, err);
}

static void test_oom_sweeps(void **state)
{
    (void)state;
    fx f = {0};
    /* tmpfs where there is one: each run commits, and fsync on a disk
     * would take the test's seconds (this tests branches, not durability) */
    f.dir = strdup(access("/dev/shm", W_OK) == 0 ? "/dev/shm/ward-oom-XXXXXX"
                                                 : "/tmp/ward-oom-XXXXXX");
    assert_non_null(f.dir);
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.data, sizeof f.data, "%s", path_in(f.dir, "d"));
    snprintf(f.media, sizeof f.media, "%s", path_in(f.dir, "media"));
    snprintf(f.out, sizeof f.out, "%s", path_in(f.dir, "out"));
    const char *td = getenv("WARD_TEST_DATA");
    snprintf(f.image, sizeof f.image, "%s/pdq/images/mod-square-128x128.jpg",
             td ? td : "tests/data");
    snprintf(f.list, sizeof f.list, "%s",
             write_in(f.dir, "list.csv",
                      "md5,sha256,pdq,category\n"
                      "0123456789abcdef0123456789abcdef,,,1\n"
                      ",%064d,,2\n"
                      ",,%s,1\n"
                      "not-a-hash,,,1\n", 7, KNOWN_PDQ));
    sweep("import", op_import, fresh_store, &f);

    ward_error err;
    assert_int_equal(op_import(&f, &err), WARD_OK);
    f.image_bytes = read_file_or_fail(f.image, &f.image_len);
    sweep("match", op_match, NULL, &f);

    assert_int_equal(mkdir(f.media, 0700), 0);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/a.jpg' && echo 'plain text' > '%s/b.txt'", f.image,
             f.media, f.media);
    assert_int_equal(system(cmd), 0);
    sweep("scan", op_scan, fresh_out, &f);
    free(f.image_bytes);
    scratch_remove(f.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_sweeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
