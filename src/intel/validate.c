/*
 * Validation of the risk model against recorded outcomes (issue 17 item 9).
 *
 * A risk tool earns trust by being checked against what happened: KIRAT
 * was validated on 374 case files. Every closed package carries the
 * model's score and band (its assessment) and an outcome a person
 * recorded; the risk model's outcome_positive / outcome_negative lines say
 * which outcomes confirm the risk (something was found: an offence, a
 * child to protect) and which do not; any other outcome (by default
 * "referred", whose end is unknown here) is left out and counted.
 *
 * From these cases:
 *   - the confirmed rate per band with a Wilson 95% interval (sound for
 *     small samples and rates near 0 or 1, unlike the normal one);
 *   - the AUC of the score (Mann-Whitney, ties counted half) with the
 *     Hanley-McNeil 95% interval: how often a confirmed case scored above
 *     an unconfirmed one;
 *   - calibration: the score is not a probability, so a logistic curve of
 *     outcome on score is fitted and checked group by group (equal-sized
 *     groups of ascending score: observed against expected, the
 *     Hosmer-Lemeshow statistic and its p-value), with the Brier score.
 * Every figure comes with the sample size behind it, and small samples are
 * said to be small: the figures order the work, and a person reads them.
 *
 * The statistics (wi_validate_stats) are pure functions of the cases,
 * tested on their own; the store is read once, in one query.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054

void wi_wilson(size_t k, size_t n, double *lo, double *hi)
{
    if (!n) {
        *lo = *hi = NAN;
        return;
    }
    double p = (double)k / (double)n, z2 = Z95 * Z95, d = 1 + z2 / (double)n;
    double c = (p + z2 / (2.0 * (double)n)) / d;
    double h = Z95 * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * (double)n)) / d;
    *lo = fmax(0, c - h);
    *hi = fmin(1, c + h);
}

/* Upper regularized gamma Q(a, x), for the chi-square p-value: the series
 * below a + 1, Lentz's continued fraction above (Numerical Recipes 6.2). */
static double gamma_q(double a, double x)
{
    if (x <= 0)
        return 1;
    double lg = lgamma(a);
    if (x < a + 1) {
        double sum = 1 / a, term = sum;
        for (int n = 1; n < 500 && fabs(term) > fabs(sum) * 1e-15; n++)
            term *= x / (a + n), sum += term;
        return 1 - sum * exp(-x + a * log(x) - lg);
    }
    double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
    for (int i = 1; i < 500; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        d = fabs(d) < 1e-300 ? 1e-300 : d;
        c = b + an / c;
        c = fabs(c) < 1e-300 ? 1e-300 : c;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return exp(-x + a * log(x) - lg) * h;
}

double wi_chi2_p(double chi2, int df)
{
    return df > 0 ? gamma_q(df / 2.0, chi2 / 2.0) : NAN;
}

static int by_score(const void *a, const void *b)
{
    const wi_vcase *x = a, *y = b;
    return (x->score > y->score) - (x->score < y->score);
}

/* Mann-Whitney AUC over cases sorted by score, ties given their mid-rank. */
static double auc_of(const wi_vcase *c, size_t n, size_t pos)
{
    size_t neg = n - pos;
    if (!pos || !neg)
        return NAN;
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, k = 0;
        while (j < n && c[j].score == c[i].score)
            k += c[j++].positive != 0;
        rank_sum += (double)k * ((double)(i + 1) + (double)j) / 2.0;   /* mid-rank of i..j-1 */
        i = j;
    }
    return (rank_sum - (double)pos * ((double)pos + 1) / 2.0) / ((double)pos * (double)neg);
}

/* Logistic regression of outcome on score/100 by Newton's method. Returns
 * -1 when the outcomes are perfectly separated by score (no finite fit) or
 * when there is nothing to fit. */
static int logistic_fit(const wi_vcase *c, size_t n, size_t pos, double *a, double *b)
{
    if (!pos || pos == n)
        return -1;
    double p0 = (double)pos / (double)n;
    *a = log(p0 / (1 - p0)), *b = 0;
    for (int it = 0; it < 100; it++) {
        double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
        for (size_t i = 0; i < n; i++) {
            double x = c[i].score / 100.0, p = 1 / (1 + exp(-(*a + *b * x))), w = p * (1 - p);
            g0 += (c[i].positive != 0) - p, g1 += ((c[i].positive != 0) - p) * x;
            h00 += w, h01 += w * x, h11 += w * x * x;
        }
        double det = h00 * h11 - h01 * h01;
        if (fabs(det) < 1e-12 * (h00 * h11 + 1e-300))   /* every score alike: intercept only */
            return 0;
        double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
        *a += da, *b += db;
        if (!isfinite(*a) || !isfinite(*b) || fabs(*b) > 200)
            return -1;
        if (fabs(da) < 1e-10 && fabs(db) < 1e-10)
            return 0;
    }
    return -1;
}

void wi_validate_stats(wi_vcase *c, size_t n, wi_validation *v)
{
    memset(v, 0, sizeof *v);
    v->n = n;
    v->auc = v->auc_lo = v->auc_hi = v->intercept = v->slope = NAN;
    v->hl_chi2 = v->hl_p = v->brier = NAN;
    wi_sort(c, n, sizeof *c, by_score);
    for (size_t i = 0; i < n; i++) {
        int b = c[i].band >= 0 && c[i].band < WI_NBANDS ? c[i].band : WI_BAND_LOW;
        v->band_n[b]++;
        v->band_pos[b] += c[i].positive != 0;
        v->positives += c[i].positive != 0;
    }
    for (int b = 0; b < WI_NBANDS; b++)
        wi_wilson(v->band_pos[b], v->band_n[b], &v->band_lo[b], &v->band_hi[b]);
    /* Rates should fall from Very High to Low: each band with cases against
     * the next band down that has cases. */
    v->ordered = 1;
    double prev = -1;
    for (int b = 0; b < WI_NBANDS; b++) {
        if (!v->band_n[b])
            continue;
        double r = (double)v->band_pos[b] / (double)v->band_n[b];
        if (prev >= 0 && r > prev)
            v->ordered = 0;
        prev = r;
    }
    size_t pos = v->positives, neg = n - pos;
    v->auc = auc_of(c, n, pos);
    if (isfinite(v->auc)) {
        double A = v->auc, q1 = A / (2 - A), q2 = 2 * A * A / (1 + A);
        double se = sqrt((A * (1 - A) + ((double)pos - 1) * (q1 - A * A) +
                          ((double)neg - 1) * (q2 - A * A)) / ((double)pos * (double)neg));
        v->auc_lo = fmax(0, A - Z95 * se), v->auc_hi = fmin(1, A + Z95 * se);
    }
    double a, b;
    v->fit = logistic_fit(c, n, pos, &a, &b) == 0;
    if (!v->fit)
        return;
    v->intercept = a, v->slope = b;
    /* Groups of ascending score, as equal as n allows: ten when there are
     * at least 100 cases, fewer below that (at least 3, for a degree of
     * freedom), none under 30. Cases of one score stay in one group (a
     * score list is full of ties: every subject with no factor scores 0),
     * so there may be fewer groups than aimed at. */
    int aim = n >= 100 ? 10 : (int)(n / 10);
    double brier = 0;
    for (size_t i = 0; i < n; i++) {
        double p = 1 / (1 + exp(-(a + b * c[i].score / 100.0)));
        brier += ((c[i].positive != 0) - p) * ((c[i].positive != 0) - p);
    }
    v->brier = brier / (double)n;
    if (aim < 3)
        return;
    double chi2 = 0;
    for (size_t from = 0, k = 1; from < n && v->groups < 10; k++) {
        size_t to = n * k / (size_t)aim;
        if (to <= from)
            continue;
        while (to < n && c[to].score == c[to - 1].score)
            to++;
        int g = v->groups++;
        double e = 0;
        size_t o = 0;
        for (size_t i = from; i < to; i++) {
            e += 1 / (1 + exp(-(a + b * c[i].score / 100.0)));
            o += c[i].positive != 0;
        }
        double m = (double)(to - from);
        v->grp_n[g] = to - from, v->grp_pos[g] = o, v->grp_expected[g] = e;
        v->grp_min[g] = c[from].score, v->grp_max[g] = c[to - 1].score;
        if (e > 0 && e < m)
            chi2 += ((double)o - e) * ((double)o - e) / (e * (1 - e / m));
        from = to;
    }
    if (v->groups < 3) {   /* too few distinct scores to test the fit */
        v->groups = 0;
        return;
    }
    v->hl_chi2 = chi2;
    v->hl_df = v->groups - 2;
    v->hl_p = wi_chi2_p(chi2, v->hl_df);
}

/* ---- reading the cases and printing ---------------------------------------- */

static ward_status read_cases(ward_intel *in, wi_vcase **out, size_t *n, size_t excluded[],
                              size_t *overridden, ward_error *err)
{
    wsql_stmt *st;
    *out = NULL, *n = 0, *overridden = 0;
    ward_status rc = wi_prepare(
        in, "SELECT p.outcome, a.score, a.band, (SELECT count(*) FROM overrides o"
            " WHERE o.subject = p.subject AND o.at <= p.updated) FROM packages p"
            " JOIN assessments a ON a.id = p.assessment"
            " WHERE p.outcome IS NOT NULL AND p.state != 'merged' ORDER BY p.id", &st, err);
    if (rc)
        return rc;
    size_t cap = 0;
    while (wsql_step(st) == SQLITE_ROW) {
        int o = wi_outcome_index(wi_col(st, 0));
        int cls = o >= 0 ? in->risk.outcome_class[o] : 0;
        if (!cls) {
            excluded[o >= 0 ? o : 0]++;
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            wi_vcase *g = realloc(*out, cap * sizeof *g);
            if (!g) {
                wsql_finalize(st);
                return err_fail(err, WARD_ENOMEM, "out of memory");
            }
            *out = g;
        }
        (*out)[(*n)++] = (wi_vcase){wsql_column_double(st, 1), wsql_column_int(st, 2),
                                    cls > 0};
        *overridden += wsql_column_int(st, 3) > 0;
    }
    int bad = wsql_errcode(in->db) != SQLITE_OK && wsql_errcode(in->db) != SQLITE_DONE &&
              wsql_errcode(in->db) != SQLITE_ROW;
    wsql_finalize(st);
    return bad ? wi_sqlfail(in, err, "reading outcomes") : WARD_OK;
}

/* A number for JSON: null when undefined. */
static void jnum(FILE *out, const char *fmt, double v)
{
    if (isfinite(v))
        fprintf(out, fmt, v);
    else
        fputs("null", out);
}

/* ,"key":[lo,hi] */
static void jinterval(FILE *out, const char *key, double lo, double hi)
{
    fprintf(out, ",\"%s\":[", key);
    jnum(out, "%.4f", lo);
    fputc(',', out);
    jnum(out, "%.4f", hi);
    fputc(']', out);
}

static void pct(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%5.1f%%", 100 * v);
    else
        fputs("    -", out);
}

/* Which outcomes count which way, as a sentence. */
static void classes(const ward_intel *in, int cls, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (int o = 0; o < WI_N_OUTCOMES; o++)
        if (in->risk.outcome_class[o] == cls && k < cap)
            k += (size_t)snprintf(buf + k, cap - k, "%s%s", k ? ", " : "", wi_outcome_names[o]);
    if (!k)
        snprintf(buf, cap, "none");
}

/* The fewest confirmed or unconfirmed cases for the AUC and calibration to
 * mean much (the usual rule of ten events). */
#define WI_VALIDATE_MIN_EVENTS 10

static void print_text(const ward_intel *in, const wi_validation *v, const size_t excluded[],
                       size_t overridden, FILE *out)
{
    char pos[96], neg[96];
    classes(in, 1, pos, sizeof pos);
    classes(in, -1, neg, sizeof neg);
    fprintf(out, "Risk model validation against recorded outcomes: %zu closed packages"
                 " (confirmed: %s; not confirmed: %s)", v->n, pos, neg);
    size_t ex = 0;
    for (int o = 0; o < WI_N_OUTCOMES; o++)
        ex += excluded[o];
    if (ex) {
        fprintf(out, "; left out:");
        for (int o = 0, k = 0; o < WI_N_OUTCOMES; o++)
            if (excluded[o])
                fprintf(out, "%s %zu %s", k++ ? "," : "", excluded[o], wi_outcome_names[o]);
    }
    fprintf(out, "\n  %zu confirmed, %zu not; %zu had an analyst override (the model's own"
                 " score and band are validated)\n", v->positives, v->n - v->positives,
            overridden);
    fputs("Confirmed rate by model band (Wilson 95% CI):\n", out);
    for (int b = 0; b < WI_NBANDS; b++) {
        fprintf(out, "  %-9s n=%-5zu confirmed %-5zu ", wi_band_labels[b], v->band_n[b],
                v->band_pos[b]);
        pct(out, v->band_n[b] ? (double)v->band_pos[b] / (double)v->band_n[b] : NAN);
        fputs(" (", out);
        pct(out, v->band_lo[b]);
        fputs(" -", out);
        pct(out, v->band_hi[b]);
        fputs(")\n", out);
    }
    fprintf(out, "  rates fall from band to band: %s\n",
            v->ordered ? "yes" : "NO (a lower band confirmed more often: review the model)");
    if (isfinite(v->auc))
        fprintf(out, "AUC of the score: %.3f (95%% CI %.3f-%.3f, Hanley-McNeil; %zu confirmed"
                     " vs %zu not)\n", v->auc, v->auc_lo, v->auc_hi, v->positives,
                v->n - v->positives);
    else
        fputs("AUC of the score: not defined (needs confirmed and unconfirmed outcomes)\n", out);
    if (!v->fit)
        fputs("Calibration: no logistic fit (needs both kinds of outcome, not perfectly"
              " separated by score)\n", out);
    else {
        fprintf(out, "Calibration: logistic fit P(confirmed) = 1/(1+exp(-(%.3f + %.3f *"
                     " score/100))); Brier score %.3f\n", v->intercept, v->slope, v->brier);
        for (int g = 0; g < v->groups; g++) {
            fprintf(out, "  score %6.1f-%-6.1f n=%-5zu observed ", v->grp_min[g], v->grp_max[g],
                    v->grp_n[g]);
            pct(out, (double)v->grp_pos[g] / (double)v->grp_n[g]);
            fputs("  expected ", out);
            pct(out, v->grp_expected[g] / (double)v->grp_n[g]);
            fputc('\n', out);
        }
        if (v->groups)
            fprintf(out, "  Hosmer-Lemeshow chi2 %.2f, df %d, p %.3f (%s)\n", v->hl_chi2,
                    v->hl_df, v->hl_p, v->hl_p < 0.05 ? "poor fit" : "no evidence of misfit");
        else
            fputs("  (no goodness-of-fit test: it needs at least 30 outcomes spread over 3 or"
                  " more distinct scores)\n", out);
    }
    if (v->positives < WI_VALIDATE_MIN_EVENTS || v->n - v->positives < WI_VALIDATE_MIN_EVENTS)
        fprintf(out, "Sample too small: fewer than %d confirmed or unconfirmed outcomes; the"
                     " AUC and calibration are not reliable yet\n", WI_VALIDATE_MIN_EVENTS);
}

static void print_json(const wi_validation *v, const size_t excluded[], size_t overridden,
                       FILE *out)
{
    fprintf(out, "{\"cases\":%zu,\"confirmed\":%zu,\"not_confirmed\":%zu,\"overridden\":%zu,"
                 "\"left_out\":{", v->n, v->positives, v->n - v->positives, overridden);
    for (int o = 0, k = 0; o < WI_N_OUTCOMES; o++)
        if (excluded[o])
            fprintf(out, "%s\"%s\":%zu", k++ ? "," : "", wi_outcome_names[o], excluded[o]);
    fputs("},\"bands\":[", out);
    for (int b = 0; b < WI_NBANDS; b++) {
        fprintf(out, "%s{\"band\":\"%s\",\"n\":%zu,\"confirmed\":%zu,\"rate\":", b ? "," : "",
                wi_band_labels[b], v->band_n[b], v->band_pos[b]);
        jnum(out, "%.4f", v->band_n[b] ? (double)v->band_pos[b] / (double)v->band_n[b] : NAN);
        jinterval(out, "ci95", v->band_lo[b], v->band_hi[b]);
        fputc('}', out);
    }
    fprintf(out, "],\"ordered\":%s,\"auc\":", v->ordered ? "true" : "false");
    jnum(out, "%.4f", v->auc);
    jinterval(out, "auc_ci95", v->auc_lo, v->auc_hi);
    fputs(",\"calibration\":{\"intercept\":", out);
    jnum(out, "%.4f", v->intercept);
    fputs(",\"slope_per_100\":", out);
    jnum(out, "%.4f", v->slope);
    fputs(",\"brier\":", out);
    jnum(out, "%.4f", v->brier);
    fputs(",\"groups\":[", out);
    for (int g = 0; g < v->groups; g++)
        fprintf(out, "%s{\"score_min\":%.2f,\"score_max\":%.2f,\"n\":%zu,\"observed\":%zu,"
                     "\"expected\":%.3f}", g ? "," : "", v->grp_min[g], v->grp_max[g],
                v->grp_n[g], v->grp_pos[g], v->grp_expected[g]);
    fputs("],\"hosmer_lemeshow\":", out);
    if (v->groups) {
        fprintf(out, "{\"chi2\":%.4f,\"df\":%d,\"p\":", v->hl_chi2, v->hl_df);
        jnum(out, "%.4f", v->hl_p);
        fputc('}', out);
    } else
        fputs("null", out);
    fprintf(out, "},\"small_sample\":%s}",
            v->positives < WI_VALIDATE_MIN_EVENTS || v->n - v->positives < WI_VALIDATE_MIN_EVENTS
                ? "true" : "false");
}

ward_status wi_validation_get(ward_intel *in, wi_validation *v, ward_error *err)
{
    wi_vcase *c = NULL;
    size_t n = 0, excluded[WI_N_OUTCOMES] = {0}, overridden = 0;
    ward_status rc = read_cases(in, &c, &n, excluded, &overridden, err);
    if (!rc) {
        wi_validate_stats(c, n, v);
        memcpy(v->excluded, excluded, sizeof excluded);
        v->overridden = overridden;
        v->small_sample = v->positives < WI_VALIDATE_MIN_EVENTS ||
                          v->n - v->positives < WI_VALIDATE_MIN_EVENTS;
    }
    free(c);
    return rc;
}

void wi_validation_render(const ward_intel *in, const wi_validation *v, int json, FILE *out)
{
    if (json)
        print_json(v, v->excluded, v->overridden, out);
    else
        print_text(in, v, v->excluded, v->overridden, out);
}

ward_status wi_validate_print(ward_intel *in, int json, FILE *out, ward_error *err)
{
    wi_validation *v = malloc(sizeof *v);
    if (!v)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = wi_validation_get(in, v, err);
    if (!rc)
        wi_validation_render(in, v, json, out);
    free(v);
    return rc;
}

ward_status ward_intel_validate(ward_intel *in, int json, FILE *out, ward_error *err)
{
    ward_status rc = wi_validate_print(in, json, out, err);
    if (!rc && json)
        fputc('\n', out);
    if (!rc && ferror(out))
        return err_fail(err, WARD_EIO, "cannot write the output");
    return rc;
}
