/*
 * ward_match (match.h): answers, allow for removed entries, and hot reload
 * while other threads query -- no query may fail or see a torn snapshot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <ward/match.h>

#include "storetest.h"

#define KNOWN_MD5 "0123456789abcdef0123456789abcdef"
#define KNOWN_PDQ "f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"

static void seed_store(const char *data)
{
    ward_store *s = store_open_ok(data);
    const char *dir = data;
    import_clean(s, write_in(dir, "a.csv", "md5,category\n" KNOWN_MD5 ",1\n"), WARD_FMT_CSV,
                 "alerts", NULL);
    import_clean(s, write_in(dir, "b.pdq", KNOWN_PDQ ",100,x.jpg\n"), WARD_FMT_PDQ, "alerts", NULL);
    ward_store_close(s);
}

/* Each test: a scratch data directory with the seeded store, open. */
typedef struct match_fx {
    char *dir;
    char data[4096];
    ward_match *m;
} match_fx;

static int match_setup(void **state)
{
    match_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = scratch_dir("ward-match");
    snprintf(f->data, sizeof f->data, "%s", path_in(f->dir, "d"));
    seed_store(f->data);
    ward_error err;
    if (ward_match_open(f->data, test_store_url(), NULL, &f->m, &err))
        fail_msg("match open %s: %s", f->data, err.message);
    *state = f;
    return 0;
}

static int match_teardown(void **state)
{
    match_fx *f = *state;
    ward_match_close(f->m);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

static void test_text_queries(void **state)
{
    match_fx *f = *state;
    ward_match *m = f->m;
    ward_error err;
    ward_match_result r;

    assert_int_equal(ward_match_text(m, "md5:" KNOWN_MD5, NULL, &r, &err), WARD_OK);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.hits[0].kind, "md5");
    assert_string_equal(r.hits[0].list, "alerts");
    assert_string_equal(r.hits[0].category, "1");
    assert_true(r.alert);
    ward_match_result_free(&r);

    /* Upper-case hex is the same hash; one bit off a PDQ is distance 1. */
    assert_int_equal(ward_match_text(m, "0123456789ABCDEF0123456789ABCDEF", NULL, &r, &err), WARD_OK);
    assert_int_equal(r.count, 1);
    ward_match_result_free(&r);
    assert_int_equal(ward_match_text(m, "pdq:f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b23",
                                     NULL, &r, &err), WARD_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.hits[0].distance, 1);
    assert_string_equal(r.hits[0].hash, KNOWN_PDQ);
    ward_match_result_free(&r);

    /* A radius below the distance finds nothing; malformed text is refused. */
    ward_match_opts o;
    ward_match_opts_default(&o);
    o.radius = 0;
    assert_int_equal(ward_match_text(m, "pdq:f8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b23",
                                     &o, &r, &err), WARD_OK);
    assert_int_equal(r.count, 0);
    ward_match_result_free(&r);
    assert_int_equal(ward_match_text(m, "md5:xyz", NULL, &r, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "not a hash"));

}

static void test_removed_entry_not_returned(void **state)
{
    match_fx *f = *state;
    ward_match *m = f->m;
    const char *data = f->data;
    ward_error err;
    /* Removed after the snapshot was taken: the index still has it, the
     * answer must not (the entry is read before it is returned). */
    ward_store *s = store_open_ok(data);
    assert_int_equal(ward_store_remove(s, KNOWN_MD5, NULL, "tester", "false positive", NULL, &err),
                     WARD_OK);
    ward_store_close(s);
    ward_match_result r;
    assert_int_equal(ward_match_text(m, KNOWN_MD5, NULL, &r, &err), WARD_OK);
    assert_int_equal(r.count, 0);
    ward_match_result_free(&r);
}

typedef struct hammer {
    ward_match *m;
    atomic_int stop;
    atomic_long answered, failed;
} hammer;

static void *query_loop(void *arg)
{
    hammer *h = arg;
    while (!atomic_load(&h->stop)) {
        ward_match_result r;
        ward_error err;
        /* The known MD5 is in every snapshot: each answer must have it. */
        if (ward_match_text(h->m, KNOWN_MD5, NULL, &r, &err) != WARD_OK || r.count != 1)
            atomic_fetch_add(&h->failed, 1);
        ward_match_result_free(&r);
        atomic_fetch_add(&h->answered, 1);
    }
    return NULL;
}

static void test_reload_under_queries(void **state)
{
    match_fx *f = *state;
    const char *data = f->data, *dir = f->dir;
    hammer h = {.m = f->m};
    ward_error err;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, query_loop, &h), 0);
    int reloads = 0;
    for (int round = 0; round < 8; round++) {
        ward_store *s = store_open_ok(data);
        char name[32], line[80];
        snprintf(name, sizeof name, "r%d.csv", round);
        snprintf(line, sizeof line, "md5,category\n%032x,1\n", round + 1);
        import_clean(s, write_in(dir, name, "%s", line), WARD_FMT_CSV, "more", NULL);
        ward_store_close(s);
        int changed = 0;
        assert_int_equal(ward_match_reload(h.m, &changed, &err), WARD_OK);
        reloads += changed;
    }
    atomic_store(&h.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(reloads, 8);
    assert_int_equal(atomic_load(&h.failed), 0);
    assert_true(atomic_load(&h.answered) > 0);
    ward_match_info info;
    ward_match_get_info(h.m, &info);
    assert_int_equal(info.index_entries, 10);
    assert_int_equal(info.reloads, 8);
    /* No change: no reload. */
    int changed = 1;
    assert_int_equal(ward_match_reload(h.m, &changed, &err), WARD_OK);
    assert_int_equal(changed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_queries, match_setup, match_teardown),
        cmocka_unit_test_setup_teardown(test_removed_entry_not_returned, match_setup,
                                        match_teardown),
        cmocka_unit_test_setup_teardown(test_reload_under_queries, match_setup, match_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
