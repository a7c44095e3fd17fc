/*
 * The examination queue and its forecast (docs/casework.md has the model).
 *
 * Order: a child-at-risk flag first (due 24 h after it was set), then the
 * band the exhibit is queued at (an override with its reason, else the
 * linked subject's band in force: access to children ranks highest), then
 * the subject's deadline, then age since seizure, then reference. Each
 * entry says why it stands where it does.
 *
 * Forecast: per lab, a priority-queue simulation. E examiners each take
 * the next exhibit in queue order as soon as they are free; an exhibit
 * takes one examiner 1 / (rate * hours / 37.5) weeks, where rate is the
 * lab's exhibits per examiner-week learnt from the exhibits it reported in
 * the last window weeks (or the configured default without enough history),
 * or, when both the exhibit's size and the lab's terabytes per
 * examiner-week are known, size / (tb rate * hours / 37.5). Exhibits in
 * examination hold an examiner for half their time first.
 */
#include "casework/casework_int.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STANDARD_WEEK_HOURS 37.5
#define MIN_HISTORY 5          /* reported exhibits before a rate is learnt */
#define WEEK_S (7.0 * 86400)

void ward_forecast_opts_default(ward_forecast_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold_days = 90;
    o->window_weeks = 26;
    o->default_rate = 1.0;
}

void ward_forecast_free(ward_forecast *f)
{
    if (!f)
        return;
    free(f->queue);
    free(f->labs);
    memset(f, 0, sizeof *f);
}

/* wi_time_parse for the stored form only ("YYYY-MM-DDTHH:MM:SSZ"), without
 * strptime and timegm: the queue reads several per exhibit. -1 otherwise. */
static time_t utc(const char *s)
{
    int v[6], w[6] = {4, 2, 2, 2, 2, 2};
    const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
    for (int f = 0; f < 6; f++) {
        v[f] = 0;
        for (int k = 0; k < w[f]; k++, s++) {
            if (*s < '0' || *s > '9')
                return -1;
            v[f] = v[f] * 10 + (*s - '0');
        }
        if (*s++ != sep[f])
            return -1;
    }
    if (*s || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 ||
        v[5] > 60)
        return -1;
    /* days from 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
    int y = v[0] - (v[1] <= 2);
    int era = y / 400, yoe = y - era * 400;
    int doy = (153 * (v[1] + (v[1] > 2 ? -3 : 9)) + 2) / 5 + v[2] - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = (long long)era * 146097 + doe - 719468;
    return (time_t)(days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]);
}

/* ---- the schedule ------------------------------------------------------ */

/* Min-heap of examiners' free times. */
static void sift_down(double *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l] < h[m])
            m = l;
        if (r < n && h[r] < h[m])
            m = r;
        if (m == i)
            return;
        double t = h[i];
        h[i] = h[m], h[m] = t;
        i = m;
    }
}

/* free_at: each examiner's first free time (weeks), a heap afterwards. */
static double schedule_from(double *free_at, int examiners, const double *service, size_t n,
                            double *start, double *finish)
{
    double total = 0;
    for (int i = examiners / 2 - 1; i >= 0; i--)
        sift_down(free_at, examiners, i);
    for (size_t i = 0; i < n; i++) {
        start[i] = free_at[0];
        finish[i] = start[i] + service[i];
        free_at[0] = finish[i];
        sift_down(free_at, examiners, 0);
        total += service[i];
    }
    return total / examiners;
}

double ward_casework_schedule(int examiners, const double *service, size_t n, double *start,
                              double *finish)
{
    if (examiners < 1)
        return 0;
    double *free_at = calloc((size_t)examiners, sizeof *free_at);
    if (!free_at)
        return -1;
    double b = schedule_from(free_at, examiners, service, n, start, finish);
    free(free_at);
    return b;
}

/* ---- labs ---------------------------------------------------------------- */

ward_status ward_lab_set(ward_intel *in, const char *name, int examiners, double hours,
                         const char *who, time_t now, ward_error *err)
{
    ward_status rc;
    if ((rc = cw_need("the lab name", name, err)) || (rc = cw_need("the person", who, err)))
        return rc;
    if (strlen(name) >= 64)
        return err_fail(err, WARD_EINVAL, "lab name '%s': at most 63 characters", name);
    if (examiners < 1 || examiners > 10000)
        return err_fail(err, WARD_EINVAL, "--examiners %d: 1 to 10000", examiners);
    if (!(hours > 0 && hours <= 168))
        return err_fail(err, WARD_EINVAL, "--hours %g: more than 0, at most 168 a week", hours);
    char at[32], detail[160];
    wi_time_str(now, at);
    if ((rc = wi_begin(in, err)))
        return rc;
    wsql_stmt *st;
    if (!(rc = wi_prepare(in, "DELETE FROM labs WHERE name = ?", &st, err))) {
        wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "changing the lab");
        wsql_finalize(st);
    }
    if (!rc && !(rc = wi_prepare(in, "INSERT INTO labs(name, examiners, hours, updated,"
                                     " updated_by) VALUES(?,?,?,?,?)", &st, err))) {
        wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
        wsql_bind_int(st, 2, examiners);
        wsql_bind_double(st, 3, hours);
        wsql_bind_text(st, 4, at, -1, SQLITE_STATIC);
        wsql_bind_text(st, 5, who, -1, SQLITE_STATIC);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "changing the lab");
        wsql_finalize(st);
    }
    snprintf(detail, sizeof detail, "%d examiners, %g hours a week", examiners, hours);
    if (!rc)
        wi_audit(in, now, who, "lab.set", name, detail);
    return wi_end(in, rc, err);
}

/* Labs with their rates learnt from the window before now. */
static ward_status load_labs(ward_intel *in, time_t now, const ward_forecast_opts *o,
                             ward_forecast *f, ward_error *err)
{
    char since[32];
    wi_time_str(now - (time_t)o->window_weeks * 7 * 86400, since);
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        in,
        "SELECT l.name, l.examiners, l.hours,"
        " (SELECT count(*) FROM exhibits e WHERE e.lab = l.name AND e.reported >= ?1),"
        " (SELECT coalesce(sum(e.bytes), 0) FROM exhibits e WHERE e.lab = l.name"
        "  AND e.reported >= ?1),"
        " (SELECT count(*) FROM exhibits e WHERE e.lab = l.name AND e.reported >= ?1"
        "  AND e.bytes > 0)"
        " FROM labs l ORDER BY l.name", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, since, -1, SQLITE_STATIC);
    int r;
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        ward_lab *l = realloc(f->labs, (f->n_labs + 1) * sizeof *l);
        if (!l) {
            wsql_finalize(st);
            return err_fail(err, WARD_ENOMEM, "out of memory");
        }
        f->labs = l;
        l = &f->labs[f->n_labs++];
        memset(l, 0, sizeof *l);
        snprintf(l->name, sizeof l->name, "%s", wi_col(st, 0));
        l->examiners = wsql_column_int(st, 1);
        l->hours = wsql_column_double(st, 2);
        int64_t done = wsql_column_int64(st, 3), sized = wsql_column_int64(st, 5);
        double bytes = wsql_column_double(st, 4);
        double ew = (double)l->examiners * o->window_weeks * (l->hours / STANDARD_WEEK_HOURS);
        l->learnt = done >= MIN_HISTORY && ew > 0;
        l->exhibits_per_week = l->learnt ? (double)done / ew : o->default_rate;
        l->tb_per_week = l->learnt && sized >= MIN_HISTORY ? bytes / 1e12 / ew : 0;
    }
    if (r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading the labs");
    wsql_finalize(st);
    return rc;
}

/* ---- bands of the linked subjects -------------------------------------- */

typedef struct subject_band {
    int band;
    char deadline[32];
} subject_band;

/* The band in force of every subject (latest override, else latest
 * assessment), indexed by subject id; two queries whatever the queue's size. */
static ward_status load_bands(ward_intel *in, subject_band **out, int64_t *max,
                              ward_error *err)
{
    ward_status rc = wi_query_int(in, "SELECT coalesce(max(id), 0) FROM subjects", NULL, 0, max,
                                  err);
    if (rc)
        return rc;
    subject_band *b = calloc((size_t)*max + 1, sizeof *b);
    if (!b)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    for (int64_t i = 0; i <= *max; i++)
        b[i].band = WI_NBANDS;   /* not assessed */
    static const char *const sql[2] = {
        "SELECT a.subject, a.band, a.deadline FROM assessments a WHERE a.id ="
        " (SELECT max(x.id) FROM assessments x WHERE x.subject = a.subject)",
        "SELECT o.subject, o.band, o.deadline FROM overrides o WHERE o.id ="
        " (SELECT max(x.id) FROM overrides x WHERE x.subject = o.subject)"};
    for (int q = 0; !rc && q < 2; q++) {
        wsql_stmt *st;
        if ((rc = wi_prepare(in, sql[q], &st, err)))
            break;
        int r;
        while ((r = wsql_step(st)) == SQLITE_ROW) {
            int64_t s = wsql_column_int64(st, 0);
            if (s < 1 || s > *max)
                continue;
            b[s].band = wsql_column_int(st, 1) & 3;
            snprintf(b[s].deadline, sizeof b[s].deadline, "%s", wi_col(st, 2));
        }
        if (r != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "reading subjects' bands");
        wsql_finalize(st);
    }
    if (rc)
        free(b);
    else
        *out = b;
    return rc;
}

/* ---- ordering -------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b, void *ctx)
{
    const ward_queue_entry *q = ctx;
    const ward_queue_entry *x = &q[*(const uint32_t *)a], *y = &q[*(const uint32_t *)b];
    int c;
    if ((c = strcmp(x->ex.lab, y->ex.lab)))
        return c;
    if (x->ex.child_at_risk != y->ex.child_at_risk)
        return x->ex.child_at_risk ? -1 : 1;
    if (x->band != y->band)
        return x->band - y->band;
    /* earlier deadline first; none last */
    if (!x->deadline[0] != !y->deadline[0])
        return x->deadline[0] ? -1 : 1;
    if ((c = strcmp(x->deadline, y->deadline)))
        return c;
    if ((c = strcmp(x->ex.seized, y->ex.seized)))
        return c;
    return strcmp(x->ex.ref, y->ex.ref);
}

/* Entries are large (a whole exhibit each): sort their indexes, then
 * place each entry once. */
static ward_status sort_queue(ward_forecast *f, ward_error *err)
{
    if (f->n_queue < 2)
        return WARD_OK;
    uint32_t *ix = malloc(f->n_queue * sizeof *ix);
    ward_queue_entry *sorted = malloc(f->n_queue * sizeof *sorted);
    if (!ix || !sorted) {
        free(ix), free(sorted);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < f->n_queue; i++)
        ix[i] = (uint32_t)i;
    qsort_r(ix, f->n_queue, sizeof *ix, cmp_entry, f->queue);
    for (size_t i = 0; i < f->n_queue; i++)
        sorted[i] = f->queue[ix[i]];
    free(ix);
    free(f->queue);
    f->queue = sorted;
    return WARD_OK;
}

static void explain(ward_queue_entry *q, const ward_exhibit *ex, const subject_band *sb,
                    time_t now)
{
    size_t n = 0, cap = sizeof q->why;
    char *w = q->why;
    w[0] = 0;
#define ADD(...) (n += (size_t)snprintf(w + n, n < cap ? cap - n : 0, __VA_ARGS__), n = n < cap ? n : cap - 1)
    if (ex->child_at_risk)
        ADD("child at risk: due %s; ", q->deadline);
    if (ex->override_band[0])
        ADD("queued as %s by %s: %s; ", wi_band_labels[q->band], ex->override_by,
            ex->override_reason);
    if (ex->subject[0] && sb && sb->band < WI_NBANDS)
        ADD("subject %s %s%s%s; ", ex->subject, wi_band_labels[sb->band],
            sb->deadline[0] ? ", deadline " : "", sb->deadline);
    else if (ex->subject[0])
        ADD("subject %s not assessed yet; ", ex->subject);
    else
        ADD("no subject linked; ");
    time_t seized = utc(ex->seized);
    ADD("seized %lld days ago", seized >= 0 ? (long long)((now - seized) / 86400) : 0LL);
#undef ADD
}

static void keep(ward_queue_exhibit *k, const ward_exhibit *ex)
{
    memcpy(k->ref, ex->ref, sizeof k->ref);
    memcpy(k->force, ex->force, sizeof k->force);
    memcpy(k->lab, ex->lab, sizeof k->lab);
    memcpy(k->subject, ex->subject, sizeof k->subject);
    memcpy(k->seized, ex->seized, sizeof k->seized);
    memcpy(k->child_flagged, ex->child_flagged, sizeof k->child_flagged);
    memcpy(k->override_band, ex->override_band, sizeof k->override_band);
    k->child_at_risk = ex->child_at_risk;
    k->bytes = ex->bytes;
}

static ward_status load_queue(ward_intel *in, time_t now, const ward_forecast_opts *o,
                              ward_forecast *f, ward_error *err)
{
    subject_band *bands = NULL;
    int64_t max = 0;
    ward_status rc = load_bands(in, &bands, &max, err);
    /* one statement per filter, not "(? IS NULL OR lab = ?)", which no
     * index serves: one lab's page then read every exhibit */
    static const char *const sql[4] = {
        "SELECT " CW_COLUMNS " FROM exhibits WHERE status < 2",
        "SELECT " CW_COLUMNS " FROM exhibits WHERE status < 2 AND lab = ?1",
        "SELECT " CW_COLUMNS " FROM exhibits WHERE status < 2 AND force = ?1",
        "SELECT " CW_COLUMNS " FROM exhibits WHERE status < 2 AND lab = ?1 AND force = ?2"};
    wsql_stmt *st;
    if (rc || (rc = wi_prepare(in, sql[(o->lab ? 1 : 0) + (o->force ? 2 : 0)], &st, err))) {
        free(bands);
        return rc;
    }
    if (o->lab)
        wsql_bind_text(st, 1, o->lab, -1, SQLITE_STATIC);
    if (o->force)   /* ?2 after a lab, else ?1: PostgreSQL types every number it sees */
        wsql_bind_text(st, o->lab ? 2 : 1, o->force, -1, SQLITE_STATIC);
    size_t cap = 0;
    int r;
    ward_exhibit *ex = malloc(sizeof *ex);   /* one row at a time */
    if (!ex) {
        wsql_finalize(st);
        free(bands);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        if (f->n_queue == cap) {
            cap = cap ? cap * 2 : 256;
            ward_queue_entry *q = realloc(f->queue, cap * sizeof *q);
            if (!q) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            f->queue = q;
        }
        ward_queue_entry *q = &f->queue[f->n_queue++];
        q->position = 0, q->deadline[0] = 0, q->start = q->finish = 0, q->alert = 0;
        cw_row(st, ex);
        keep(&q->ex, ex);
        int64_t s = wi_subject_num(q->ex.subject);
        const subject_band *sb = s >= 1 && s <= max ? &bands[s] : NULL;
        q->band = sb ? sb->band : WI_NBANDS;
        if (sb)
            snprintf(q->deadline, sizeof q->deadline, "%s", sb->deadline);
        if (q->ex.override_band[0])
            q->band = wi_band_parse(q->ex.override_band);
        if (q->ex.child_at_risk) {
            time_t t = utc(q->ex.child_flagged);
            wi_time_str((t >= 0 ? t : now) + 86400, q->deadline);
        }
        explain(q, ex, sb, now);
    }
    if (!rc && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "reading the queue");
    wsql_finalize(st);
    free(bands);
    free(ex);
    return rc ? rc : sort_queue(f, err);
}

/* ---- the forecast ------------------------------------------------------- */

static const ward_lab *find_lab(const ward_forecast *f, const char *name)
{
    for (size_t i = 0; i < f->n_labs; i++)
        if (!strcmp(f->labs[i].name, name))
            return &f->labs[i];
    return NULL;
}

static double service_weeks(const ward_lab *l, uint64_t bytes)
{
    double h = l->hours / STANDARD_WEEK_HOURS;
    if (bytes && l->tb_per_week > 0)
        return (double)bytes / 1e12 / (l->tb_per_week * h);
    return 1.0 / (l->exhibits_per_week * h);
}

/* In-progress exhibits of a lab: each holds an examiner for half its time. */
static ward_status busy_examiners(ward_intel *in, const ward_lab *l, double *free_at,
                                  ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT coalesce(bytes, 0) FROM exhibits WHERE lab = ?"
                                    " AND status >= 2 AND status < 5 ORDER BY started, ref",
                                &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, l->name, -1, SQLITE_STATIC);
    while (wsql_step(st) == SQLITE_ROW) {
        double s = service_weeks(l, (uint64_t)wsql_column_int64(st, 0)) / 2;
        size_t m = 0;   /* the examiner free first */
        for (int i = 1; i < l->examiners; i++)
            if (free_at[i] < free_at[m])
                m = (size_t)i;
        free_at[m] += s;
    }
    wsql_finalize(st);
    return WARD_OK;
}

static ward_status forecast_lab(ward_intel *in, ward_forecast *f, ward_lab *l, size_t from,
                                size_t to, time_t now, ward_error *err)
{
    size_t n = to - from;
    double *free_at = calloc((size_t)l->examiners, sizeof *free_at);
    double *sv = malloc((n ? n : 1) * 3 * sizeof *sv);
    if (!free_at || !sv) {
        free(free_at), free(sv);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_status rc = busy_examiners(in, l, free_at, err);
    double busy = 0;
    for (int i = 0; i < l->examiners; i++)
        busy += free_at[i];
    for (size_t i = 0; i < n; i++)
        sv[i] = service_weeks(l, f->queue[from + i].ex.bytes);
    l->backlog_weeks = schedule_from(free_at, l->examiners, sv, n, sv + n, sv + 2 * n) +
                       busy / l->examiners;
    l->queued = n;
    for (size_t i = 0; i < n; i++) {
        f->queue[from + i].start = now + (time_t)llround(sv[n + i] * WEEK_S);
        f->queue[from + i].finish = now + (time_t)llround(sv[2 * n + i] * WEEK_S);
    }
    free(free_at), free(sv);
    return rc;
}

static void set_alerts(ward_forecast *f, const ward_forecast_opts *o, time_t now)
{
    time_t limit = (time_t)o->threshold_days * 86400;
    for (size_t i = 0; i < f->n_queue; i++) {
        ward_queue_entry *q = &f->queue[i];
        time_t seized = utc(q->ex.seized);
        if (seized >= 0 && now - seized > limit)
            q->alert |= WARD_QUEUE_ALERT_WAITING;
        else if (seized >= 0 && q->start && q->start - seized > limit)
            q->alert |= WARD_QUEUE_ALERT_WILL_WAIT;
        time_t flagged = utc(q->ex.child_flagged);
        if (q->ex.child_at_risk && flagged >= 0 && now - flagged > 86400)
            q->alert |= WARD_QUEUE_ALERT_CHILD;
        f->n_alerts += q->alert != 0;
    }
}

ward_status ward_exhibit_forecast(ward_intel *in, time_t now, const ward_forecast_opts *opts,
                                  ward_forecast *out, ward_error *err)
{
    ward_forecast_opts o;
    if (opts)
        o = *opts;
    else
        ward_forecast_opts_default(&o);
    if (o.threshold_days < 1 || o.window_weeks < 1 || !(o.default_rate > 0))
        return err_fail(err, WARD_EINVAL, "forecast: threshold, window and rate must be > 0");
    memset(out, 0, sizeof *out);
    ward_status rc = load_labs(in, now, &o, out, err);
    if (!rc)
        rc = load_queue(in, now, &o, out, err);
    for (size_t i = 0; !rc && i < out->n_queue;) {
        size_t j = i;
        while (j < out->n_queue && !strcmp(out->queue[j].ex.lab, out->queue[i].ex.lab))
            j++;
        for (size_t k = i; k < j; k++)
            out->queue[k].position = k - i + 1;
        ward_lab *l = (ward_lab *)find_lab(out, out->queue[i].ex.lab);
        if (l)
            rc = forecast_lab(in, out, l, i, j, now, err);
        i = j;
    }
    if (!rc)
        set_alerts(out, &o, now);
    if (rc)
        ward_forecast_free(out);
    return rc;
}

/* ---- KPIs ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    if (!n)
        return -1;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct kpi_ctx {
    ward_exhibit_kpis *k;
    time_t now;
    double *tri, *rep;
    size_t n_tri, n_rep, cap;
    int oom;
} kpi_ctx;

static double days_between(const char *a, const char *b)
{
    time_t x = utc(a), y = utc(b);
    return x < 0 || y < 0 ? -1 : (double)(y - x) / 86400;
}

static int kpi_one(void *ctx, const ward_exhibit *ex)
{
    kpi_ctx *c = ctx;
    ward_exhibit_kpis *k = c->k;
    k->exhibits++;
    if (c->n_tri == c->cap || c->n_rep == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        double *a = realloc(c->tri, cap * sizeof *a);
        if (a)
            c->tri = a;
        double *b = a ? realloc(c->rep, cap * sizeof *b) : NULL;
        if (b)
            c->rep = b;
        if (!a || !b)
            return c->oom = 1;
        c->cap = cap;
    }
    if (ex->status < WARD_EXHIBIT_ACQUIRED) {
        k->queued++;
        time_t s = utc(ex->seized);
        double age = s >= 0 ? (double)(c->now - s) / 86400 : 0;
        int b = age < 30 ? 0 : age < 90 ? 1 : age < 180 ? 2 : age < 365 ? 3 : 4;
        k->age_buckets[b]++;
    } else if (ex->status < WARD_EXHIBIT_REPORTED) {
        k->in_examination++;
    } else if (ex->reported[0]) {
        k->reported++;
    }
    double d;
    if (ex->triaged[0] && (d = days_between(ex->seized, ex->triaged)) >= 0)
        c->tri[c->n_tri++] = d;
    if (ex->reported[0] && (d = days_between(ex->seized, ex->reported)) >= 0)
        c->rep[c->n_rep++] = d;
    if (ex->child_flagged[0]) {
        k->child_total++;
        d = ex->started[0] ? days_between(ex->child_flagged, ex->started) : -1;
        k->child_started_24h += d >= 0 && d <= 1.0;
    }
    return 0;
}

ward_status ward_exhibit_kpis_get(ward_intel *in, time_t now, const char *force,
                                  ward_exhibit_kpis *out, ward_error *err)
{
    memset(out, 0, sizeof *out);
    kpi_ctx c = {.k = out, .now = now};
    ward_exhibit_filter f = {.force = force, .lab = NULL, .status = -1};
    ward_status rc = ward_exhibit_each(in, &f, kpi_one, &c, err);
    if (!rc && c.oom)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    out->median_days_to_triage = median(c.tri, c.n_tri);
    out->median_days_to_report = median(c.rep, c.n_rep);
    free(c.tri), free(c.rep);
    return rc;
}
