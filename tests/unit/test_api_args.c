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
#include <ward/match.h>
#include <ward/matcher.h>
#include <ward/store.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
