/*
 * The exhibit register: registration, status changes, hand-overs, flags
 * and overrides. Each change is one transaction that also writes the
 * continuity log, the subject's history and the audit table (cw_record),
 * and checks that decide what to write run under the write lock.
 */
#include "casework/casework_int.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[WARD_EXHIBIT_NSTATUS] = {
    "seized", "awaiting-acquisition", "acquired", "triaged", "full-examination",
    "reported", "returned", "destroyed"};

static const char *const kinds[] = {"phone", "computer", "storage", "disk-image",
                                    "cloud-return"};

const char *ward_exhibit_status_name(ward_exhibit_status s)
{
    return (unsigned)s < WARD_EXHIBIT_NSTATUS ? status_names[s] : "?";
}

int ward_exhibit_status_parse(const char *name)
{
    for (int i = 0; name && i < WARD_EXHIBIT_NSTATUS; i++)
        if (!strcmp(name, status_names[i]))
            return i;
    return -1;
}

int ward_exhibit_kind_valid(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(kind, kinds[i]))
            return 1;
    return 0;
}

ward_status cw_need(const char *what, const char *v, ward_error *err)
{
    return v && *v ? WARD_OK : err_fail(err, WARD_EINVAL, "%s is required", what);
}

/* A column into a fixed field, cut to fit (snprintf per column cost a
 * third of reading a 100,000-exhibit queue). */
static void copy_col(char *dst, size_t cap, wsql_stmt *st, int i)
{
    const char *s = wi_col(st, i);
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = 0;
}
#define COPY(dst, i) copy_col(dst, sizeof dst, st, i)

void cw_row(wsql_stmt *st, ward_exhibit *ex)
{
    ex->subject[0] = ex->override_band[0] = 0;
    ex->id = wsql_column_int64(st, 0);
    COPY(ex->ref, 1), COPY(ex->description, 2), COPY(ex->kind, 3), COPY(ex->force, 4);
    COPY(ex->unit, 5), COPY(ex->lab, 6), COPY(ex->seized_raw, 7), COPY(ex->seized, 8);
    COPY(ex->place, 9), COPY(ex->seal, 10);
    int64_t s = wsql_column_int64(st, 11);
    if (s)
        wi_subject_id(s, ex->subject);
    ex->package = wsql_column_int64(st, 12);
    ex->status = (ward_exhibit_status)wsql_column_int(st, 13);
    ex->child_at_risk = wsql_column_int(st, 14);
    COPY(ex->child_flagged, 15);
    ex->needs_grading = wsql_column_int(st, 16);
    COPY(ex->registered, 17), COPY(ex->started, 18), COPY(ex->triaged, 19);
    COPY(ex->reported, 20), COPY(ex->holder, 21), COPY(ex->image, 22), COPY(ex->md5, 23);
    COPY(ex->sha1, 24), COPY(ex->sha256, 25);
    ex->bytes = (uint64_t)wsql_column_int64(st, 26);
    int ob = wsql_column_int(st, 27);
    if (ob >= 0 && ob < WI_NBANDS)
        snprintf(ex->override_band, sizeof ex->override_band, "%s", wi_band_names[ob]);
    COPY(ex->override_by, 28), COPY(ex->override_reason, 29);
}

ward_status cw_load(ward_intel *in, const char *ref, ward_exhibit *ex, ward_error *err)
{
    ward_status rc = cw_need("the exhibit reference", ref, err);
    wsql_stmt *st;
    if (rc || (rc = wi_cached(in, "SELECT " CW_COLUMNS " FROM exhibits WHERE ref = ?", &st,
                              err)))
        return rc;
    wsql_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    int r = wsql_step(st);
    if (r == SQLITE_ROW)
        cw_row(st, ex);
    else if (r == SQLITE_DONE)
        rc = err_fail(err, WARD_ENOTFOUND, "no exhibit '%s'", ref);
    else
        rc = wi_sqlfail(in, err, "reading the exhibit");
    wsql_reset(st);
    return rc;
}

ward_status ward_exhibit_get(ward_intel *in, const char *ref, ward_exhibit *out,
                             ward_error *err)
{
    return cw_load(in, ref, out, err);
}

/* Seizure time: a time with its zone, kept as given, not in the future. */
static ward_status check_seized(const char *raw, time_t now, char utc[32], ward_error *err)
{
    wi_norm n = {0};
    wi_norm_time(raw, NULL, &n);
    if (n.status != WI_OK)
        return err_fail(err, WARD_EINVAL, "seized '%s': %s", raw,
                         n.reason[0] ? n.reason : "not a time");
    time_t t = wi_norm_time_t(n.value);
    if (t < 0)
        return err_fail(err, WARD_EINVAL, "seized '%s': not a time", raw);
    if (t > now + 300)   /* a few minutes of clock difference between machines */
        return err_fail(err, WARD_EINVAL, "seized '%s' is in the future", raw);
    snprintf(utc, 32, "%s", n.value);
    return WARD_OK;
}

static ward_status check_links(ward_intel *in, const ward_exhibit_new *x, int64_t *subject,
                               ward_error *err)
{
    char q[128];
    int64_t n = 0;
    ward_status rc = WARD_OK;
    *subject = 0;
    if (x->subject && *x->subject) {
        if (!(*subject = wi_subject_num(x->subject)))
            return err_fail(err, WARD_EINVAL, "subject '%s' is not a subject id (S000123)",
                             x->subject);
        snprintf(q, sizeof q, "SELECT count(*) FROM subjects WHERE id = %lld AND active = 1",
                 (long long)*subject);
        if ((rc = wi_query_int(in, q, NULL, 0, &n, err)))
            return rc;
        if (!n)
            return err_fail(err, WARD_ENOTFOUND, "no subject %s", x->subject);
    }
    if (x->package) {
        snprintf(q, sizeof q, "SELECT coalesce(max(subject), -1) FROM packages WHERE id = %lld",
                 (long long)x->package);
        if ((rc = wi_query_int(in, q, NULL, -1, &n, err)))
            return rc;
        if (n < 0)
            return err_fail(err, WARD_ENOTFOUND, "no package %lld", (long long)x->package);
        if (*subject && n != *subject)
            return err_fail(err, WARD_EINVAL, "package %lld belongs to another subject",
                             (long long)x->package);
        *subject = n;   /* the package names its subject */
    }
    return rc;
}

static ward_status check_new(const ward_exhibit_new *x, const char *who, ward_error *err)
{
    ward_status rc;
    if ((rc = cw_need("--ref", x->ref, err)) || (rc = cw_need("--description", x->description, err)) ||
        (rc = cw_need("--kind", x->kind, err)) || (rc = cw_need("--force", x->force, err)) ||
        (rc = cw_need("--seized", x->seized, err)) || (rc = cw_need("--place", x->place, err)) ||
        (rc = cw_need("the person registering", who, err)))
        return rc;
    if (strlen(x->ref) >= 64 || strchr(x->ref, '/') || strchr(x->ref, '\n'))
        return err_fail(err, WARD_EINVAL, "--ref '%s': at most 63 characters, no '/'", x->ref);
    if (!ward_exhibit_kind_valid(x->kind))
        return err_fail(err, WARD_EINVAL,
                         "--kind '%s': one of phone, computer, storage, disk-image, cloud-return",
                         x->kind);
    return WARD_OK;
}

static ward_status insert_exhibit(ward_intel *in, const ward_exhibit_new *x, int64_t subject,
                                  const char *seized, const char *who, time_t now,
                                  ward_error *err)
{
    int64_t id, dup = 0;
    ward_status rc = wi_query_int(in, "SELECT count(*) FROM exhibits WHERE ref = ?", x->ref, 0,
                                  &dup, err);
    if (!rc && dup)
        rc = err_fail(err, WARD_EINVAL, "exhibit '%s' is already registered", x->ref);
    if (rc || (rc = wi_next_id(in, "exhibits", &id, err)))
        return rc;
    char at[32];
    wi_time_str(now, at);
    wsql_stmt *st;
    if ((rc = wi_prepare(in, "INSERT INTO exhibits(id, ref, description, kind, force, unit, lab,"
                             " seized_raw, seized, place, seal, subject, package, status,"
                             " child_at_risk, child_flagged, registered, holder)"
                             " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?,?)", &st, err)))
        return rc;
    const char *t[] = {x->ref, x->description, x->kind, x->force, x->unit, x->lab, x->seized,
                       seized, x->place, x->seal};
    wsql_bind_int64(st, 1, id);
    for (int i = 0; i < 10; i++)
        if (t[i] && *t[i])
            wsql_bind_text(st, i + 2, t[i], -1, SQLITE_STATIC);
    if (subject)
        wsql_bind_int64(st, 12, subject);
    if (x->package)
        wsql_bind_int64(st, 13, x->package);
    wsql_bind_int(st, 14, x->child_at_risk ? 1 : 0);
    if (x->child_at_risk)
        wsql_bind_text(st, 15, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 16, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 17, x->unit && *x->unit ? x->unit : x->force, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "registering the exhibit");
    wsql_finalize(st);
    return rc;
}

ward_status ward_exhibit_register(ward_intel *in, const ward_exhibit_new *x, const char *who,
                                  time_t now, ward_error *err)
{
    char seized[32];
    int64_t subject;
    ward_status rc = check_new(x, who, err);
    if (rc || (rc = check_seized(x->seized, now, seized, err)) || (rc = wi_begin(in, err)))
        return rc;
    ward_exhibit ex;
    char detail[512];
    if (!(rc = check_links(in, x, &subject, err)) &&
        !(rc = insert_exhibit(in, x, subject, seized, who, now, err)) &&
        !(rc = cw_load(in, x->ref, &ex, err))) {
        snprintf(detail, sizeof detail, "%s %s seized %s at %s%s%s%s", x->kind, x->description,
                 x->seized, x->place, x->seal && *x->seal ? ", seal " : "",
                 x->seal ? x->seal : "", x->child_at_risk ? "; child at risk" : "");
        rc = cw_record(in, &ex, now, who, "registered", ex.holder, x->place, detail, err);
    }
    return wi_end(in, rc, err);
}

/* The column that keeps when an exhibit first reached a status. */
static const char *milestone(int s)
{
    return s == WARD_EXHIBIT_ACQUIRED || s == WARD_EXHIBIT_FULL_EXAMINATION ? "started"
           : s == WARD_EXHIBIT_TRIAGED                                       ? "triaged"
           : s == WARD_EXHIBIT_REPORTED                                      ? "reported"
                                                                             : NULL;
}

/* Inside a transaction: status to `to` (forward only), milestones set once. */
static ward_status move_status(ward_intel *in, ward_exhibit *ex, int to, const char *who,
                               const char *note, time_t now, ward_error *err)
{
    if (to <= (int)ex->status || ex->status >= WARD_EXHIBIT_RETURNED)
        return err_fail(err, WARD_EINVAL, "exhibit '%s' is %s: it cannot go to %s", ex->ref,
                         status_names[ex->status], status_names[to]);
    char at[32], sql[256];
    wi_time_str(now, at);
    /* every milestone passed on the way is set, if not yet */
    strbuf set = {0};
    strbuf_addf(&set, "UPDATE exhibits SET status = %d", to);
    for (int s = (int)ex->status + 1; s <= to; s++) {
        const char *m = milestone(s);
        if (m && (s != WARD_EXHIBIT_FULL_EXAMINATION || !ex->started[0]))
            strbuf_addf(&set, ", %s = coalesce(%s, ?1)", m, m);
    }
    strbuf_addf(&set, " WHERE id = %lld", (long long)ex->id);
    if (!set.s)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    snprintf(sql, sizeof sql, "%s", set.s);
    strbuf_free(&set);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, sql, &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    if (wsql_step(st) != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "changing the status");
    wsql_finalize(st);
    char detail[512];
    snprintf(detail, sizeof detail, "%s -> %s%s%s", status_names[ex->status], status_names[to],
             note && *note ? ": " : "", note ? note : "");
    ex->status = (ward_exhibit_status)to;
    return rc ? rc : cw_record(in, ex, now, who, "status", ex->holder, NULL, detail, err);
}

ward_status ward_exhibit_set_status(ward_intel *in, const char *ref, const char *status,
                                    const char *who, const char *note, time_t now,
                                    ward_error *err)
{
    int to = ward_exhibit_status_parse(status);
    if (to < 0)
        return err_fail(err, WARD_EINVAL,
                         "status '%s': one of seized, awaiting-acquisition, acquired, triaged, "
                         "full-examination, reported, returned, destroyed",
                         status ? status : "");
    ward_status rc = cw_need("the person", who, err);
    if (rc || (rc = wi_begin(in, err)))
        return rc;
    ward_exhibit ex;
    if (!(rc = cw_load(in, ref, &ex, err)))
        rc = move_status(in, &ex, to, who, note, now, err);
    return wi_end(in, rc, err);
}

/* Used by acquisition and scan attachment: move on only if behind. */
ward_status cw_advance(ward_intel *in, ward_exhibit *ex, int to, const char *who,
                       const char *note, time_t now, ward_error *err)
{
    return (int)ex->status >= to ? WARD_OK : move_status(in, ex, to, who, note, now, err);
}

ward_status ward_exhibit_move(ward_intel *in, const char *ref, const char *holder,
                              const char *place, const char *who, const char *note, time_t now,
                              ward_error *err)
{
    ward_status rc;
    if ((rc = cw_need("--to (the new holder)", holder, err)) ||
        (rc = cw_need("--place", place, err)) || (rc = cw_need("the person", who, err)) ||
        (rc = wi_begin(in, err)))
        return rc;
    ward_exhibit ex;
    wsql_stmt *st = NULL;
    if (!(rc = cw_load(in, ref, &ex, err)) &&
        !(rc = wi_prepare(in, "UPDATE exhibits SET holder = ? WHERE id = ?", &st, err))) {
        wsql_bind_text(st, 1, holder, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 2, ex.id);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, "recording the movement");
        char detail[512];
        snprintf(detail, sizeof detail, "from %s to %s%s%s", ex.holder, holder,
                 note && *note ? ": " : "", note ? note : "");
        if (!rc)
            rc = cw_record(in, &ex, now, who, "moved", holder, place, detail, err);
    }
    wsql_finalize(st);
    return wi_end(in, rc, err);
}

/* One UPDATE of the exhibit plus its record, reason required. */
static ward_status decide(ward_intel *in, const char *ref, const char *sql, int ival,
                          int has_ival, const char *who, const char *reason, const char *action,
                          const char *what, time_t now, ward_error *err)
{
    ward_status rc;
    if ((rc = cw_need("--reason", reason, err)) || (rc = cw_need("the person", who, err)) ||
        (rc = wi_begin(in, err)))
        return rc;
    ward_exhibit ex;
    wsql_stmt *st = NULL;
    char at[32];
    wi_time_str(now, at);
    if (!(rc = cw_load(in, ref, &ex, err)) && !(rc = wi_prepare(in, sql, &st, err))) {
        wsql_bind_int64(st, 1, ex.id);
        wsql_bind_text(st, 2, at, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
        wsql_bind_text(st, 4, reason, -1, SQLITE_STATIC);
        if (has_ival)
            wsql_bind_int(st, 5, ival);
        else
            wsql_bind_null(st, 5);
        if (wsql_step(st) != SQLITE_DONE)
            rc = wi_sqlfail(in, err, action);
        char detail[512];
        snprintf(detail, sizeof detail, "%s: %s", what, reason);
        if (!rc)
            rc = cw_record(in, &ex, now, who, action, ex.holder, NULL, detail, err);
    }
    wsql_finalize(st);
    return wi_end(in, rc, err);
}

ward_status ward_exhibit_child_at_risk(ward_intel *in, const char *ref, int on, const char *who,
                                       const char *reason, time_t now, ward_error *err)
{
    return decide(in, ref,
                  on ? "UPDATE exhibits SET child_at_risk = 1,"
                       " child_flagged = coalesce(child_flagged, ?2) WHERE id = ?1"
                     : "UPDATE exhibits SET child_at_risk = 0, child_flagged = NULL"
                       " WHERE id = ?1",
                  0, 0, who, reason, "child-at-risk",
                  on ? "child at risk set" : "child at risk cleared", now, err);
}

ward_status ward_exhibit_prioritise(ward_intel *in, const char *ref, const char *band,
                                    const char *who, const char *reason, time_t now,
                                    ward_error *err)
{
    int none = band && !strcmp(band, "none");
    int b = none ? -1 : wi_band_parse(band ? band : "");
    if (!none && b < 0)
        return err_fail(err, WARD_EINVAL, "band '%s': very-high, high, medium, low or none",
                         band ? band : "");
    char what[64];
    snprintf(what, sizeof what, "%s%s", none ? "override removed" : "queued as ",
             none ? "" : wi_band_labels[b]);
    return decide(in, ref,
                  "UPDATE exhibits SET override_band = ?5, override_by = ?3,"
                  " override_reason = ?4, override_at = ?2 WHERE id = ?1",
                  b, !none, who, reason, "override", what, now, err);
}

ward_status ward_exhibit_each(ward_intel *in, const ward_exhibit_filter *f,
                              int (*cb)(void *ctx, const ward_exhibit *ex), void *ctx,
                              ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT " CW_COLUMNS " FROM exhibits"
                                    " WHERE (CAST(?1 AS TEXT) IS NULL OR force = ?1)"
                                    " AND (CAST(?2 AS TEXT) IS NULL OR lab = ?2)"
                                    " AND (CAST(?3 AS INTEGER) < 0 OR status = ?3) ORDER BY ref", &st, err);
    if (rc)
        return rc;
    if (f && f->force)
        wsql_bind_text(st, 1, f->force, -1, SQLITE_STATIC);
    else
        wsql_bind_null(st, 1);
    if (f && f->lab)
        wsql_bind_text(st, 2, f->lab, -1, SQLITE_STATIC);
    else
        wsql_bind_null(st, 2);
    wsql_bind_int(st, 3, f ? f->status : -1);
    int r;
    ward_exhibit ex;
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        cw_row(st, &ex);
        if (cb(ctx, &ex))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "listing exhibits");
    wsql_finalize(st);
    return rc;
}
