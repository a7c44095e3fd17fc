/* ward-test: no-store (not run again on PostgreSQL) */
/* The risk model's own checks (issue 17): validation statistics against
 * recorded outcomes (item 9), computed on hand-made cases with known
 * answers; the occupation mapping (item 2) reading free-text titles;
 * force and area names (item 3) read as codes, force names and aliases. */
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

/* The built-in mapping loaded as config.c loads it: line by line. */
static void load_table(wi_occupations *o)
{
    memset(o, 0, sizeof *o);
    char *copy = strdup(wi_default_occupations), *save = NULL;
    ward_error err;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char code[32], acc[16], sec[32], rest[1024];
        if (sscanf(l, "group %31s %15s %31s %1023[^\n]", code, acc, sec, rest) == 4)
            assert_int_equal(wi_occ_group(o, code, acc, sec, rest, "t", &err), WARD_OK);
        else if (sscanf(l, "title %31s %1023[^\n]", code, rest) == 2)
            assert_int_equal(wi_occ_titles(o, code, rest, "t", &err), WARD_OK);
        else if (sscanf(l, "abbrev %31s %1023[^\n]", code, rest) == 2)
            assert_int_equal(wi_occ_abbrev(o, code, rest, "t", &err), WARD_OK);
        else if (sscanf(l, "version %31s", code) == 1)
            snprintf(o->version, sizeof o->version, "%s", code);
    }
    snprintf(o->scheme, sizeof o->scheme, "ISCO-08");
    free(copy);
}

static void expect_place(const wi_occupations *o, const char *title, const char *code,
                         int access)
{
    wi_occ_match m;
    int placed = wi_occ_classify(o, title, &m);
    if (!code) {
        if (placed)
            fail_msg("'%s': placed in %s, expected not placed", title, o->groups[m.group].code);
        return;
    }
    if (!placed)
        fail_msg("'%s': not placed, expected %s", title, code);
    if (strcmp(o->groups[m.group].code, code) || o->groups[m.group].access != access)
        fail_msg("'%s': %s (%s), expected %s (%s)", title, o->groups[m.group].code,
                 wi_access_names[o->groups[m.group].access], code, wi_access_names[access]);
}

static void test_occupations(void **state)
{
    (void)state;
    wi_occupations o;
    load_table(&o);
    assert_true(o.n_groups > 100 && o.n_phrases > 500);
    const int D = WI_ACCESS_DIRECT, C = WI_ACCESS_CONTACT, N = WI_ACCESS_NONE;
    /* the Slade review's three: a teacher, a doctor and a sports coach */
    expect_place(&o, "Teacher", "2330", D);
    expect_place(&o, "doctor", "2211", C);
    expect_place(&o, "sports coach", "3422", D);
    /* abbreviations, case, plurals, punctuation */
    expect_place(&o, "PE teacher", "2330", D);
    expect_place(&o, "P.E. Teacher", "2330", D);
    expect_place(&o, "GP", "2211", C);
    expect_place(&o, "GPs", "2211", C);
    expect_place(&o, "NURSES", "2221", C);
    expect_place(&o, "nannies", "5311", D);
    expect_place(&o, "football coaches", "3422", D);
    expect_place(&o, "Childminders", "5311", D);
    expect_place(&o, "children's nurse", "2221/paed", D);
    expect_place(&o, "children\xe2\x80\x99s nurse", "2221/paed", D);
    expect_place(&o, "Pediatric Nurse", "2221/paed", D);
    expect_place(&o, "SENCO", "2352", D);
    expect_place(&o, "HCA", "5321", C);
    /* misspellings: one edit, two in a long word, never a guess between two */
    expect_place(&o, "teahcer", "2330", D);
    expect_place(&o, "paediatrc nurse", "2221/paed", D);
    expect_place(&o, "acountant", "2411", N);
    /* the longest phrase wins */
    expect_place(&o, "paediatric nurse", "2221/paed", D);
    expect_place(&o, "nurse", "2221", C);
    expect_place(&o, "school bus driver", "8331/school", D);
    expect_place(&o, "bus driver", "8331", N);
    expect_place(&o, "coach driver", "8331", N);
    expect_place(&o, "plant nursery worker", "6113", N);
    expect_place(&o, "nursery worker", "2342", D);
    expect_place(&o, "dentist", "2261", C);
    expect_place(&o, "retired", "none", N);
    /* what cannot be placed is not guessed */
    expect_place(&o, "consultant", NULL, 0);
    expect_place(&o, "self-employed", NULL, 0);
    expect_place(&o, "", NULL, 0);
    wi_occ_match m;
    wi_occ_classify(&o, "PE teacher", &m);
    char why[160];
    wi_occ_explain(&o, &m, why, sizeof why);
    assert_string_equal(why, "ISCO-08 2330 (education, direct access; occupations 2026.12)");
    /* a group defined twice, an unknown access, a title for no group: refused */
    ward_error err;
    assert_int_equal(wi_occ_group(&o, "2330", "direct", "x", "again", "f:1", &err), WARD_EFORMAT);
    assert_int_equal(wi_occ_group(&o, "9999", "often", "x", "t", "f:2", &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "f:2: access must be direct, contact or none"));
    assert_int_equal(wi_occ_titles(&o, "9998", "thing", "f:3", &err), WARD_EFORMAT);
    wi_occupations_free(&o);
}

static void test_areas(void **state)
{
    (void)state;
    wi_area areas[] = {{"CF", "wales", "South Wales Police"},
                       {"BS", "west", "Avon and Somerset Constabulary"},
                       {"SO", "south", "Hampshire Constabulary"}};
    wi_area_alias aliases[] = {{"swp", 0}, {"hampshireisleofwight", 2}};
    wi_routing r = {.areas = areas, .n_areas = 3, .aliases = aliases, .n_aliases = 2};
    char key[64];
    wi_area_key("  Avon & Somerset Police ", key, sizeof key);
    assert_string_equal(key, "avonsomerset");
    wi_area_key("The Police", key, sizeof key);   /* nothing left to match */
    assert_string_equal(key, "");
    const char *how;
    const struct { const char *text, *area, *how; } cases[] = {
        {"CF", "CF", "code"}, {" cf ", "CF", "code"}, {"SWP", "CF", "alias"},
        {"s.w.p.", "CF", "alias"}, {"South Wales", "CF", "force"},
        {"SOUTH WALES POLICE", "CF", "force"}, {"avon and somerset", "BS", "force"},
        {"Avon & Somerset Constabulary", "BS", "force"},
        {"Hampshire and Isle of Wight Constabulary", "SO", "alias"},
        {"Hampshire", "SO", "force"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const wi_area *a = wi_area_resolve(&r, cases[i].text, &how);
        assert_non_null(a);
        assert_string_equal(a->area, cases[i].area);
        assert_string_equal(how, cases[i].how);
    }
    /* not guessed: a near name, a part of one, a bare word */
    const char *unknown[] = {"Atlantis Constabulary", "Wales", "Police", "", "South Wales Fire",
                             NULL};
    for (int i = 0; unknown[i]; i++)
        assert_null(wi_area_resolve(&r, unknown[i], &how));
    assert_null(wi_area_resolve(&r, NULL, &how));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wilson_and_chi2),
        cmocka_unit_test(test_auc_and_bands),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_occupations),
        cmocka_unit_test(test_areas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
