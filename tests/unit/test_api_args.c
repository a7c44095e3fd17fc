/*
 * The public calls that answer "is this known?" say WARD_EINVAL for a bad
 * argument, never "no match": a caller that passed NULL must not read the
 * silence as "not in any list" (issue 19).
 * ward-test: no-store
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <ward/index.h>
#include <ward/match.h>
#include <ward/matcher.h>
#include <ward/store.h>

#include "testutil.h"

static void test_match_bad_arguments(void **state)
{
    (void)state;
    ward_error err;
    ward_match_result r;
    memset(&err, 0, sizeof err);
    assert_int_equal(ward_match_text(NULL, "md5:0123456789abcdef0123456789abcdef", NULL, &r,
                                     &err), WARD_EINVAL);
    assert_true(err.message[0] != '\0');
    assert_int_equal(ward_match_text(NULL, NULL, NULL, &r, NULL), WARD_EINVAL);
    assert_int_equal(ward_match_hashes(NULL, NULL, NULL, 0, NULL, &r, &err), WARD_EINVAL);
    assert_int_equal(ward_match_bytes(NULL, (const uint8_t *)"x", 1, NULL, &r, NULL, &err),
                     WARD_EINVAL);
    ward_entries *e = NULL;
    uint64_t frames = 0;
    assert_int_equal(ward_matcher_entry(NULL, 1, &e, &err), WARD_EINVAL);
    assert_int_equal(ward_matcher_video_frames(NULL, "l", "v", &frames, &err), WARD_EINVAL);
    assert_int_equal(ward_store_lookup(NULL, "x", 0, &e, &err), WARD_EINVAL);
}

/* The index and matcher lookups: a count through an out-parameter and a
 * status, so that NULL, an unknown digest kind or no place for the answer
 * is WARD_EINVAL with a count of 0, while a real miss is WARD_OK and 0. */
static void test_lookup_bad_arguments(void **state)
{
    (void)state;
    char *dir = scratch_dir("ward-api-args");
    char path[4200];
    snprintf(path, sizeof path, "%s/t.wdx", dir);
    ward_index_builder *b = ward_index_builder_new();
    assert_non_null(b);
    ward_digests d;
    memset(&d, 0, sizeof d);
    d.present = WARD_DIGEST_MD5;
    memset(d.md5, 0xab, sizeof d.md5);
    ward_pdq p;
    memset(&p, 0x5a, sizeof p);
    ward_error err;
    assert_int_equal(ward_index_builder_add(b, 7, &d, &p, &err), WARD_OK);
    assert_int_equal(ward_index_builder_write(b, path, &err), WARD_OK);
    ward_index_builder_free(b);
    ward_index *ix = NULL;
    assert_int_equal(ward_index_open(path, &ix, &err), WARD_OK);

    uint64_t ids[4];
    ward_pdq_match m[4];
    size_t n = 99;
    uint8_t other[16];
    memset(other, 0xcd, sizeof other);
    /* a real hit and a real miss */
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_MD5, d.md5, ids, 4, &n), WARD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 7);
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_MD5, other, ids, 4, &n), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ward_index_query_pdq(ix, &p, 1, 0, m, 4, &n), WARD_OK);
    assert_int_equal(n, 1);
    /* mistakes */
    n = 99;
    assert_int_equal(ward_index_lookup_digest(NULL, WARD_DIGEST_MD5, d.md5, ids, 4, &n),
                     WARD_EINVAL);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_ALL, d.md5, ids, 4, &n),
                     WARD_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(ward_index_lookup_digest(ix, 1u << 20, d.md5, ids, 4, &n), WARD_EINVAL);
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_MD5, NULL, ids, 4, &n),
                     WARD_EINVAL);
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_MD5, d.md5, NULL, 4, &n),
                     WARD_EINVAL);
    assert_int_equal(ward_index_lookup_digest(ix, WARD_DIGEST_MD5, d.md5, ids, 4, NULL),
                     WARD_EINVAL);
    n = 99;
    assert_int_equal(ward_index_query_pdq(NULL, &p, 1, 31, m, 4, &n), WARD_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(ward_index_query_pdq(ix, NULL, 1, 31, m, 4, &n), WARD_EINVAL);
    assert_int_equal(ward_index_query_pdq(ix, &p, -1, 31, m, 4, &n), WARD_EINVAL);
    assert_int_equal(ward_index_query_pdq(ix, &p, 1, 31, NULL, 4, &n), WARD_EINVAL);
    assert_int_equal(ward_index_query_pdq(ix, &p, 1, 31, m, 4, NULL), WARD_EINVAL);
    assert_int_equal(ward_index_query_pdq_brute(NULL, &p, 1, 31, m, 4, &n), WARD_EINVAL);
    assert_int_equal(ward_index_query_pdq_brute(ix, &p, 1, 31, m, 4, NULL), WARD_EINVAL);
    /* not mistakes: no query, a negative radius, a count-only call */
    assert_int_equal(ward_index_query_pdq(ix, NULL, 0, 31, NULL, 0, &n), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ward_index_query_pdq(ix, &p, 1, -1, m, 4, &n), WARD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ward_index_query_pdq(ix, &p, 1, 0, NULL, 0, &n), WARD_OK);
    assert_int_equal(n, 1);
    ward_index_close(ix);

    n = 99;
    assert_int_equal(ward_matcher_exact(NULL, &d, ids, 4, &n), WARD_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(ward_matcher_exact(NULL, &d, ids, 4, NULL), WARD_EINVAL);
    n = 99;
    assert_int_equal(ward_matcher_near(NULL, &p, 1, 31, m, 4, &n), WARD_EINVAL);
    assert_int_equal(n, 0);
    scratch_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_bad_arguments),
        cmocka_unit_test(test_lookup_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
