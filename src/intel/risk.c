/*
 * Risk and priority: a transparent additive model (intel-risk.conf). Each
 * factor a subject's records state or imply counts its weight times the
 * multiplier of its evidential status (fact, intelligence, assumption);
 * image-derived factors are capped as a group so that what was found can
 * never outrank who has access to children. An urgent factor (child at
 * imminent risk, meeting planned, threats) makes the band Very High.
 *
 * An assessment is written only when something changed, and says what;
 * an analyst's override is kept beside the model's answer, never over it.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "examined": found by ward's own examination of an exhibit (casework),
 * as strong as a fact. */
static int status_index(const char *s)
{
    return !strcmp(s, "fact") || !strcmp(s, "examined") ? 0 : !strcmp(s, "intelligence") ? 1 : 2;
}

typedef struct held {
    const wi_factor_def *def;
    double weight;             /* effective */
    char status[16], source[96], date[32], value[96];
} held;

typedef struct subj_factors {
    held *v;
    size_t n, cap;
} subj_factors;

/* Keep the strongest evidence of each factor. */
static int hold(subj_factors *sf, const wi_risk_model *m, const char *name, const char *status,
                const char *source, const char *date, const char *value)
{
    const wi_factor_def *def = wi_factor_find(m, name);
    if (!def || wi_factor_forbidden(m, name))
        return 0;   /* a factor the model no longer knows (or forbids) counts nothing */
    double w = def->weight * m->status_mult[status_index(status)];
    for (size_t i = 0; i < sf->n; i++)
        if (sf->v[i].def == def) {
            if (w <= sf->v[i].weight)
                return 0;
            sf->v[i].weight = w;
            snprintf(sf->v[i].status, 16, "%s", status);
            snprintf(sf->v[i].source, 96, "%s", source);
            snprintf(sf->v[i].date, 32, "%s", date);
            snprintf(sf->v[i].value, 96, "%s", value);
            return 0;
        }
    if (sf->n == sf->cap) {
        size_t cap = sf->cap ? sf->cap * 2 : 8;
        held *v = realloc(sf->v, cap * sizeof *v);
        if (!v)
            return -1;
        sf->v = v, sf->cap = cap;
    }
    held *h = &sf->v[sf->n++];
    h->def = def, h->weight = w;
    snprintf(h->status, 16, "%s", status);
    snprintf(h->source, 96, "%s", source);
    snprintf(h->date, 32, "%s", *date ? date : "undated");
    snprintf(h->value, 96, "%s", value);
    return 0;
}

static int cmp_held(const void *a, const void *b)
{
    const held *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return strcmp(x->def->name, y->def->name);
}

/* Score, band and the factor list as text, one factor per line:
 * "name|group|weight|status|source|date|value". */
static void evaluate(const wi_risk_model *m, subj_factors *sf, double *score, int *band,
                     strbuf *text)
{
    wi_sort(sf->v, sf->n, sizeof *sf->v, cmp_held);
    double total = 0, image = 0;
    int urgent = 0;
    for (size_t i = 0; i < sf->n; i++) {
        held *h = &sf->v[i];
        if (!strcmp(h->def->group, "image"))
            image += h->weight;
        else
            total += h->weight;
        urgent |= h->def->urgent;
        strbuf_addf(text, "%s|%s|%.1f|%s|%s|%s|%s\n", h->def->name, h->def->group,
                         h->weight, h->status, h->source, h->date, h->value);
    }
    total += image < m->image_cap ? image : m->image_cap;
    *score = total;
    *band = WI_BAND_LOW;
    for (int b = 0; b < WI_NBANDS; b++)
        if (total >= m->band_min[b]) {
            *band = b;
            break;
        }
    if (urgent)
        *band = WI_BAND_VERY_HIGH;
}

/* What changed between two factor texts, as "+name (status, source)" and
 * "-name" items. */
static void diff(const char *old, const char *cur, strbuf *out)
{
    const char *texts[2] = {cur, old};
    for (int pass = 0; pass < 2; pass++) {
        const char *p = texts[pass];
        while (p && *p) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            const char *bar = memchr(p, '|', len);
            size_t nlen = bar ? (size_t)(bar - p) : len;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)nlen, p);
            char key[70];
            snprintf(key, sizeof key, "%s|", name);
            const char *other = texts[1 - pass];
            int found = 0;
            for (const char *q = other; q && *q;) {
                if (!strncmp(q, key, strlen(key)))
                    found = 1;
                q = strchr(q, '\n');
                q = q ? q + 1 : NULL;
            }
            if (!found) {
                char fields[7][96] = {{0}};
                const char *f = p;
                for (int i = 0; i < 7 && f < p + len; i++) {
                    const char *e = memchr(f, '|', (size_t)(p + len - f));
                    size_t fl = e ? (size_t)(e - f) : (size_t)(p + len - f);
                    snprintf(fields[i], 96, "%.*s", (int)fl, f);
                    f = e ? e + 1 : p + len;
                }
                if (pass == 0)
                    strbuf_addf(out, "%s+%s (%s, %s); ", out->len ? "" : "", name,
                                     fields[3], fields[4]);
                else
                    strbuf_addf(out, "-%s; ", name);
            }
            p = nl ? nl + 1 : NULL;
        }
    }
}

typedef struct prior {
    int band;
    char *factors;
    char deadline[32];
} prior;

static int prior_row(void *ctx, int64_t s, wsql_stmt *st)
{
    prior *pr = ctx;
    pr[s].band = wsql_column_int(st, 1);
    snprintf(pr[s].deadline, 32, "%s", wi_col(st, 3));
    return !(pr[s].factors = strdup(wi_col(st, 2)));
}

static ward_status load_priors(ward_intel *in, prior *pr, int64_t max, ward_error *err)
{
    return wi_each_subject_row(in, "SELECT subject, band, factors, deadline FROM assessments"
                                   " WHERE id IN (SELECT max(id) FROM assessments"
                                   " GROUP BY subject)", max, prior_row, pr, err);
}

typedef struct factor_ctx {
    subj_factors *sf;
    const wi_risk_model *model;
} factor_ctx;

static int factor_row(void *ctx, int64_t s, wsql_stmt *st)
{
    factor_ctx *c = ctx;
    return hold(&c->sf[s], c->model, wi_col(st, 1), wi_col(st, 2), wi_col(st, 3), wi_col(st, 4),
                wi_col(st, 5));
}

static ward_status load_factors(ward_intel *in, subj_factors *sf, int64_t max, ward_error *err)
{
    factor_ctx c = {sf, &in->risk};
    return wi_each_subject_row(
        in,
        "SELECT sr.subject, f.factor, f.status, f.source, coalesce(f.date, f.date_raw, ''),"
        " coalesce(f.value, ''), f.id, 0 FROM factors f"
        " JOIN subject_records sr ON sr.record = f.record"
        " UNION ALL SELECT f.subject, f.factor, f.status, f.source,"
        " coalesce(f.date, f.date_raw, ''), coalesce(f.value, ''), f.id, 1 FROM factors f"
        " WHERE f.subject IS NOT NULL ORDER BY 1, 8, 7", max, factor_row, &c, err);
}

typedef struct score_ctx {
    ward_intel *in;
    time_t now;
    char at[32];
    wsql_stmt *ins;
    ward_intel_score_summary *sum;
} score_ctx;

static ward_status assess(score_ctx *c, int64_t s, subj_factors *sf, prior *pr,
                          ward_error *err)
{
    double score;
    int band;
    strbuf text = {0}, changes = {0};
    strbuf_add(&text, "", 0);
    evaluate(&c->in->risk, sf, &score, &band, &text);
    c->sum->subjects++;
    c->sum->band_count[band]++;
    if (pr->factors && !strcmp(pr->factors, text.s) && pr->band == band) {
        strbuf_free(&text);
        return WARD_OK;   /* nothing new: the standing assessment stays */
    }
    char deadline[32];
    wi_time_str(c->now + (time_t)c->in->risk.band_hours[band] * 3600, deadline);
    if (!pr->factors)
        strbuf_addf(&changes, "first assessment; ");
    else {
        diff(pr->factors, text.s, &changes);
        if (pr->band != band)
            strbuf_addf(&changes, "band %s -> %s; ", wi_band_labels[pr->band],
                             wi_band_labels[band]);
        /* A rise never pushes an earlier deadline later. */
        if (band <= pr->band && strcmp(pr->deadline, deadline) < 0)
            snprintf(deadline, sizeof deadline, "%s", pr->deadline);
    }
    c->sum->changed++;
    wsql_stmt *st = c->ins;
    wsql_bind_int64(st, 1, s);
    wsql_bind_text(st, 2, c->at, -1, SQLITE_STATIC);
    wsql_bind_double(st, 3, score);
    wsql_bind_int(st, 4, band);
    wsql_bind_text(st, 5, deadline, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 6, text.s, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 7, changes.s ? changes.s : "", changes.len > 2 ? (int)changes.len - 2 : 0,
                   SQLITE_TRANSIENT);
    ward_status rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(c->in, err, "assessment");
    wsql_reset(st);
    strbuf_free(&text);
    strbuf_free(&changes);
    return rc;
}

ward_status ward_intel_score(ward_intel *in, time_t now, ward_intel_score_summary *sum,
                             ward_error *err)
{
    ward_intel_score_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    int64_t max = 0;
    ward_status rc = wi_begin_subjects(in, &max, err);
    if (rc)
        return rc;
    subj_factors *sf = calloc((size_t)max + 1, sizeof *sf);
    prior *pr = calloc((size_t)max + 1, sizeof *pr);
    score_ctx c = {.in = in, .now = now, .sum = sum};
    wi_time_str(now, c.at);
    wsql_stmt *subjects = NULL;
    if (!sf || !pr)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (!rc)
        rc = load_factors(in, sf, max, err);
    if (!rc)
        rc = load_priors(in, pr, max, err);
    if (!rc)
        rc = wi_prepare(in, "INSERT INTO assessments(subject, at, score, band, deadline,"
                            " factors, changes) VALUES(?,?,?,?,?,?,?)", &c.ins, err);
    if (!rc)
        rc = wi_prepare(in, "SELECT id FROM subjects WHERE active = 1 ORDER BY id", &subjects,
                        err);
    while (!rc && wsql_step(subjects) == SQLITE_ROW) {
        int64_t s = wsql_column_int64(subjects, 0);
        if (s >= 1 && s <= max)
            rc = assess(&c, s, &sf[s], &pr[s], err);
    }
    wsql_finalize(subjects);
    wsql_finalize(c.ins);
    if (!rc) {
        wi_audit(in, now, NULL, "score", NULL, NULL);
        rc = wi_commit(in, err);
    }
    if (rc)
        wi_rollback(in);
    else
        wi_analyze(in, "assessments");
    for (int64_t i = 0; sf && pr && i <= max; i++) {
        free(sf[i].v);
        free(pr[i].factors);
    }
    free(sf), free(pr);
    return rc;
}

static ward_status subject_exists(ward_intel *in, const char *subject, int64_t *id,
                                  ward_error *err)
{
    *id = wi_subject_num(subject);
    int64_t n = 0;
    char q[96];
    snprintf(q, sizeof q, "SELECT count(*) FROM subjects WHERE id = %lld AND active = 1",
             (long long)*id);
    ward_status rc = *id ? wi_query_int(in, q, NULL, 0, &n, err) : WARD_OK;
    if (!rc && !n)
        rc = err_fail(err, WARD_ENOTFOUND, "no subject %s", subject);
    return rc;
}

/* The subject must be active when the factor lands: checked under the
 * write lock, so a resolve that merges it away cannot come between. */
static ward_status insert_factor(ward_intel *in, const char *subject, const wi_factor_def *def,
                                 const char *value, const char *source, const char *date,
                                 const char *norm_date, const char *status, time_t now,
                                 ward_error *err)
{
    int64_t id;
    ward_status rc = subject_exists(in, subject, &id, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    char at[32];
    wi_time_str(now, at);
    if ((rc = wi_prepare(in, "INSERT INTO factors(subject, factor, value, source, date_raw, date,"
                             " status, added_by, added_at) VALUES(?,?,?,?,?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    wsql_bind_text(st, 2, def->name, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, value, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, source, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, date, -1, SQLITE_STATIC);
    if (date && *date)
        wsql_bind_text(st, 6, norm_date, -1, SQLITE_STATIC);
    wsql_bind_text(st, 7, status, -1, SQLITE_STATIC);
    wsql_bind_text(st, 8, source, -1, SQLITE_STATIC);
    wsql_bind_text(st, 9, at, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "factor");
    wsql_finalize(st);
    return rc;
}

ward_status ward_intel_add_factor(ward_intel *in, const char *subject, const char *factor,
                                  const char *value, const char *source, const char *date,
                                  const char *status, time_t now, ward_error *err)
{
    if (!factor || wi_factor_forbidden(&in->risk, factor))
        return err_fail(err, WARD_EINVAL, "'%s' is not a permitted risk factor",
                         factor ? factor : "");
    const wi_factor_def *def = wi_factor_find(&in->risk, factor);
    if (!def)
        return err_fail(err, WARD_EINVAL, "'%s' is not a factor of the risk model", factor);
    if (!status || (strcmp(status, "fact") && strcmp(status, "intelligence") &&
                    strcmp(status, "assumption")))
        return err_fail(err, WARD_EINVAL, "status must be fact, intelligence or assumption");
    if (!source || !*source)
        return err_fail(err, WARD_EINVAL, "a factor needs its source");
    wi_norm d = {0};
    if (date && *date) {
        wi_norm_date(date, &d);
        if (d.status != WI_OK)
            return err_fail(err, WARD_EINVAL, "date '%s': %s", date, d.reason);
    }
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = insert_factor(in, subject, def, value, source, date, d.value, status, now, err);
    return wi_end(in, rc, err);
}

static ward_status insert_override(ward_intel *in, const char *subject, int b, const char *who,
                                   const char *reason, time_t now, ward_error *err)
{
    int64_t id;
    ward_status rc = subject_exists(in, subject, &id, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    char at[32], deadline[32];
    wi_time_str(now, at);
    wi_time_str(now + (time_t)in->risk.band_hours[b] * 3600, deadline);
    if ((rc = wi_prepare(in, "INSERT INTO overrides(subject, at, by, band, deadline, reason)"
                             " VALUES(?,?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    wsql_bind_text(st, 2, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
    wsql_bind_int(st, 4, b);
    wsql_bind_text(st, 5, deadline, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, reason, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "override");
    wsql_finalize(st);
    return rc;
}

ward_status ward_intel_override(ward_intel *in, const char *subject, const char *band,
                                const char *who, const char *reason, time_t now,
                                ward_error *err)
{
    int b = band ? wi_band_parse(band) : -1;
    if (b < 0)
        return err_fail(err, WARD_EINVAL, "band must be very-high, high, medium or low");
    if (!reason || !*reason)
        return err_fail(err, WARD_EINVAL, "an override needs a written reason");
    ward_status rc = wi_begin(in, err);
    if (!rc)
        rc = insert_override(in, subject, b, who, reason, now, err);
    return wi_end(in, rc, err);
}

int wi_subject_band(ward_intel *in, int64_t subject, int *model_band, double *score,
                    char deadline[32])
{
    wsql_stmt *st;
    int band = WI_BAND_LOW;
    *model_band = -1, *score = 0, deadline[0] = 0;
    if (wsql_prepare_v2(in->db, "SELECT band, score, deadline FROM assessments WHERE"
                                " subject = ? ORDER BY id DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_int64(st, 1, subject);
        if (wsql_step(st) == SQLITE_ROW) {
            band = *model_band = wsql_column_int(st, 0);
            *score = wsql_column_double(st, 1);
            snprintf(deadline, 32, "%s", wi_col(st, 2));
        }
        wsql_finalize(st);
    }
    if (wsql_prepare_v2(in->db, "SELECT band, deadline FROM overrides WHERE subject = ?"
                                " ORDER BY id DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        wsql_bind_int64(st, 1, subject);
        if (wsql_step(st) == SQLITE_ROW) {
            band = wsql_column_int(st, 0);
            snprintf(deadline, 32, "%s", wi_col(st, 1));
        }
        wsql_finalize(st);
    }
    return band;
}
