/* The examination queue's forecast model against a hand calculation
 * (docs/casework.md): 40 exhibits, 3 examiners, one exhibit per
 * examiner-week. Examiners take exhibits in queue order as they come free,
 * so exhibit i (0-based) starts in week floor(i / 3) and finishes a week
 * later; the 40th starts in week 13 and finishes in week 14; the backlog is
 * 40 / 3 = 13.33 weeks. Then the same through the store: 40 registered
 * exhibits, a lab of 3 examiners, and the forecast's dates. */
#include "testutil.h"

#include <math.h>
#include <unistd.h>
#include <ward/casework.h>

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = scratch_dir("ward-casework");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_remove(dir);
    dir = NULL;
    return 0;
}

static void hand_calculation(void **state)
{
    (void)state;
    double service[40], start[40], finish[40];
    for (int i = 0; i < 40; i++)
        service[i] = 1.0;
    double backlog = ward_casework_schedule(3, service, 40, start, finish);
    assert_true(fabs(backlog - 40.0 / 3) < 1e-9);
    for (int i = 0; i < 40; i++) {
        assert_true(fabs(start[i] - (double)(i / 3)) < 1e-9);
        assert_true(fabs(finish[i] - (double)(i / 3 + 1)) < 1e-9);
    }
    assert_true(fabs(start[39] - 13) < 1e-9 && fabs(finish[39] - 14) < 1e-9);

    /* unequal times: 2, 1, 1, 1 weeks on 2 examiners -> starts 0, 0, 1, 2 */
    double s2[4] = {2, 1, 1, 1}, st[4], fi[4];
    assert_true(fabs(ward_casework_schedule(2, s2, 4, st, fi) - 2.5) < 1e-9);
    assert_true(st[0] == 0 && st[1] == 0 && st[2] == 1 && st[3] == 2);
    assert_true(fi[3] == 3);
}

static void forecast_through_the_store(void **state)
{
    (void)state;
    ward_intel *in;
    ward_error err;
    assert_int_equal(ward_intel_open(dir, test_store_url(), &in, &err), WARD_OK);
    time_t now = 1796083200;   /* 2026-12-01T00:00:00Z */
    assert_int_equal(ward_lab_set(in, "DFU", 3, 37.5, "t", now, &err), WARD_OK);
    for (int i = 0; i < 40; i++) {
        char ref[16], seized[40];
        snprintf(ref, sizeof ref, "E%02d", i);
        /* older first: E00 was seized 60 days ago, E39 21 days ago */
        time_t t = now - (time_t)(60 - i) * 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(seized, sizeof seized, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
        ward_exhibit_new x = {.ref = ref, .description = "test", .kind = "storage",
                              .force = "F", .lab = "DFU", .seized = seized, .place = "p"};
        assert_int_equal(ward_exhibit_register(in, &x, "t", now, &err), WARD_OK);
    }
    /* a duplicate reference is refused and changes nothing */
    ward_exhibit_new dup = {.ref = "E00", .description = "x", .kind = "phone", .force = "F",
                            .seized = "2026-11-01T00:00:00Z", .place = "p"};
    assert_int_equal(ward_exhibit_register(in, &dup, "t", now, &err), WARD_EINVAL);
    ward_forecast f;
    assert_int_equal(ward_exhibit_forecast(in, now, NULL, &f, &err), WARD_OK);
    assert_int_equal(f.n_queue, 40);
    assert_int_equal(f.n_labs, 1);
    assert_true(fabs(f.labs[0].backlog_weeks - 40.0 / 3) < 1e-9);
    for (size_t i = 0; i < 40; i++) {
        char ref[16];
        snprintf(ref, sizeof ref, "E%02zu", i);
        assert_string_equal(f.queue[i].ex.ref, ref);   /* oldest first */
        assert_int_equal(f.queue[i].position, i + 1);
        assert_int_equal(f.queue[i].start, now + (time_t)(i / 3) * 7 * 86400);
        assert_int_equal(f.queue[i].finish, now + (time_t)(i / 3 + 1) * 7 * 86400);
    }
    /* Alerts with the default 90 days: exhibit i waits 60 - i days so far
     * and 7 * (i / 3) more; past 90 from i = 24 on (36 + 56 = 92). */
    for (int i = 0; i < 40; i++)
        assert_int_equal(f.queue[i].alert,
                         60 - i + 7 * (i / 3) > 90 ? WARD_QUEUE_ALERT_WILL_WAIT : 0);
    ward_forecast_free(&f);
    ward_forecast_opts o;
    ward_forecast_opts_default(&o);
    o.threshold_days = 59;   /* E00, 60 days old, has waited past it already */
    assert_int_equal(ward_exhibit_forecast(in, now, &o, &f, &err), WARD_OK);
    assert_int_equal(f.queue[0].alert, WARD_QUEUE_ALERT_WAITING);
    ward_forecast_free(&f);
    uint64_t n;
    assert_int_equal(ward_exhibit_verify(in, NULL, &n, &err), WARD_OK);
    assert_int_equal(n, 40);
    ward_intel_close(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_calculation),
        cmocka_unit_test_setup_teardown(forecast_through_the_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
