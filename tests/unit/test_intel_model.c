/* ward-test: no-store (not run again on PostgreSQL) */
/* The risk model's own checks (issue 17): validation statistics against
 * recorded outcomes (item 9), computed on hand-made cases with known
 * answers. */
#include "testutil.h"

#include <math.h>

#include "intel/intel_int.h"

#define near(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void test_wilson_and_chi2(void **state)
{
    (void)state;
    double lo, hi;
    wi_wilson(8, 10, &lo, &hi);   /* the textbook 0.490-0.943 */
    near(lo, 0.4902, 1e-4);
    near(hi, 0.9433, 1e-4);
    wi_wilson(0, 20, &lo, &hi);   /* no events: a lower bound of 0, not a negative */
    near(lo, 0, 1e-12);
    near(hi, 0.1611, 1e-4);
    wi_wilson(0, 0, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
    near(wi_chi2_p(3.841459, 1), 0.05, 1e-6);
    near(wi_chi2_p(18.307038, 10), 0.05, 1e-6);
    near(wi_chi2_p(2, 2), exp(-1), 1e-9);
}

static void test_auc_and_bands(void **state)
{
    (void)state;
    /* confirmed at 3, 4, 5; not at 1, 2, 3: 8.5 of 9 pairs in order
     * (the tie at 3 counts half) */
    wi_vcase c[] = {{5, 0, 1}, {1, 3, 0}, {3, 2, 1}, {2, 3, 0}, {4, 1, 1}, {3, 2, 0}};
    wi_validation v;
    wi_validate_stats(c, 6, &v);
    assert_int_equal(v.n, 6);
    assert_int_equal(v.positives, 3);
    near(v.auc, 8.5 / 9, 1e-12);
    assert_true(v.auc_lo < v.auc && v.auc <= v.auc_hi && v.auc_hi <= 1);
    assert_int_equal(v.band_n[WI_BAND_MEDIUM], 2);
    assert_int_equal(v.band_pos[WI_BAND_MEDIUM], 1);
    assert_int_equal(v.band_pos[WI_BAND_LOW], 0);
    assert_true(v.ordered);
    assert_int_equal(v.groups, 0);   /* too few for calibration groups */
    /* a lower band confirming more often is reported, not hidden */
    wi_vcase d[] = {{90, 0, 0}, {80, 0, 0}, {10, 3, 1}, {20, 3, 1}};
    wi_validate_stats(d, 4, &v);
    assert_false(v.ordered);
    near(v.auc, 0, 1e-12);
    /* one kind of outcome only: no AUC, no fit, said so (NAN) */
    wi_vcase e[] = {{10, 3, 1}, {20, 3, 1}};
    wi_validate_stats(e, 2, &v);
    assert_true(isnan(v.auc) && !v.fit && isnan(v.brier));
    wi_validate_stats(NULL, 0, &v);
    assert_int_equal(v.n, 0);
    assert_true(isnan(v.auc));
}

/* 200 cases whose outcome follows a known logistic curve exactly in
 * expectation: the fit recovers it, the groups' expected counts add up to
 * the confirmed count (the fit's own score equation), and
 * Hosmer-Lemeshow finds no misfit. */
static void test_calibration(void **state)
{
    (void)state;
    wi_vcase c[200];
    size_t n = 0;
    for (int s = 0; s < 100; s += 10)   /* 10 scores, 20 cases each */
        for (int i = 0; i < 20; i++) {
            double p = 1 / (1 + exp(-(-2 + 4 * s / 100.0)));
            c[n++] = (wi_vcase){s, s >= 65 ? 0 : s >= 35 ? 1 : s >= 15 ? 2 : 3,
                                i < (int)lround(p * 20)};
        }
    wi_validation v;
    wi_validate_stats(c, n, &v);
    assert_true(v.fit);
    near(v.slope, 4, 0.3);
    near(v.intercept, -2, 0.2);
    assert_int_equal(v.groups, 10);
    double e = 0;
    size_t o = 0, m = 0;
    for (int g = 0; g < v.groups; g++)
        e += v.grp_expected[g], o += v.grp_pos[g], m += v.grp_n[g];
    assert_int_equal(m, 200);
    assert_int_equal(o, v.positives);
    near(e, (double)v.positives, 1e-6);
    assert_int_equal(v.hl_df, 8);
    assert_true(v.hl_p > 0.5);
    assert_true(v.brier > 0 && v.brier < 0.25);
    assert_true(v.ordered);
    assert_true(v.auc > 0.7);
    /* outcomes the score separates perfectly have no finite fit */
    wi_vcase d[40];
    for (int i = 0; i < 40; i++)
        d[i] = (wi_vcase){i, 3, i >= 20};
    wi_validate_stats(d, 40, &v);
    assert_false(v.fit);
    near(v.auc, 1, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wilson_and_chi2),
        cmocka_unit_test(test_auc_and_bands),
        cmocka_unit_test(test_calibration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
