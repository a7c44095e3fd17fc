/*
 * Routing and deconfliction (intel-routing.conf). A subject goes to:
 *   the international hub   when any of its referrals came from abroad or
 *                           names an international typology;
 *   its regional hub        when it came in a bulk national operation;
 *   the force of its area   otherwise (postcode area of its records; when
 *                           none is known, the area its records' force or
 *                           area column names, by code, force or alias);
 *   the unassigned queue    when no area is known: a person routes it, or
 *                           maps the area's name ('ward intel areas').
 * A subject already held is never moved silently: if new referrals would
 * route it elsewhere, both holders get a deconfliction alert; a closed
 * (outcome recorded) subject with new referrals is flagged, not reopened.
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct facts {
    int international, bulk, records, have;
    char areas[4][8];
    int area_n[4];
    /* force or area column: the areas named (first four), how many
     * records named each, the text of the first, and one name not known */
    const wi_area *named[4];
    int named_n[4];
    char named_text[4][40], named_how[4][8], unknown[40];
} facts;

typedef struct facts_ctx {
    facts *f;
    const wi_routing *r;
} facts_ctx;

static int facts_row(void *ctx, int64_t s, wsql_stmt *st)
{
    facts *f = ((facts_ctx *)ctx)->f + s;
    f->international = wsql_column_int(st, 1);
    f->bulk = wsql_column_int(st, 2);
    f->records = wsql_column_int(st, 3);
    f->have = 1;
    return 0;
}

/* Tally the postcode areas of a subject's records (the first four seen). */
static int area_row(void *ctx, int64_t s, wsql_stmt *st)
{
    facts *f = ((facts_ctx *)ctx)->f + s;
    char area[8];
    wi_postcode_area(wi_col(st, 1), area);
    for (int i = 0; i < 4; i++) {
        if (!f->area_n[i])
            snprintf(f->areas[i], 8, "%s", area);
        if (!strcmp(f->areas[i], area)) {
            f->area_n[i]++;
            break;
        }
    }
    return 0;
}

/* Tally the areas a subject's force or area column names. */
static int named_row(void *ctx, int64_t s, wsql_stmt *st)
{
    facts_ctx *c = ctx;
    facts *f = c->f + s;
    const char *how, *text = wi_col(st, 1);
    const wi_area *a = wi_area_resolve(c->r, text, &how);
    if (!a) {
        if (!f->unknown[0])
            snprintf(f->unknown, sizeof f->unknown, "%s", text);
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        if (!f->named_n[i]) {
            f->named[i] = a;
            snprintf(f->named_text[i], sizeof f->named_text[i], "%s", text);
            snprintf(f->named_how[i], sizeof f->named_how[i], "%s", how);
        }
        if (f->named[i] == a) {
            f->named_n[i]++;
            break;
        }
    }
    return 0;
}

static ward_status load_facts(ward_intel *in, facts *fs, int64_t max, ward_error *err)
{
    facts_ctx f[1] = {{fs, &in->routing}};
    ward_status rc = wi_each_subject_row(
        in,
        "SELECT sr.subject,"
        " max(CASE WHEN r.international <> 0 OR b.international <> 0 THEN 1 ELSE 0 END),"
        " max(b.bulk), count(*) FROM subject_records sr"
        " JOIN records r ON r.id = sr.record JOIN batches b ON b.id = r.batch"
        " GROUP BY sr.subject", max, facts_row, f, err);
    if (!rc)
        rc = wi_each_subject_row(in, "SELECT sr.subject, v.norm FROM vals v JOIN subject_records sr"
                                     " ON sr.record = v.record WHERE v.field = 'postcode'"
                                     " AND v.status IN ('ok','resolved') ORDER BY v.id", max,
                                 area_row, f, err);
    if (!rc)
        rc = wi_each_subject_row(in, "SELECT sr.subject, v.norm FROM vals v JOIN subject_records sr"
                                     " ON sr.record = v.record WHERE v.field = 'area'"
                                     " AND v.status IN ('ok','resolved') ORDER BY v.id", max,
                                 named_row, f, err);
    return rc;
}

/* No postcode in a known area: the force or area column decides, the area
 * most of the subject's records name; a name no rule knows waits in triage
 * for a person to route it or map the name. */
static void decide_named(const wi_routing *r, const facts *f, char holder[64], char why[160])
{
    int best = -1;
    for (int i = 0; i < 4; i++)
        if (f->named_n[i] && (best < 0 || f->named_n[i] > f->named_n[best]))
            best = i;
    if (best < 0) {
        snprintf(holder, 64, "%s", r->unassigned);
        if (f->unknown[0])
            snprintf(why, 160, "area '%s' not known: for a person to route ('ward intel areas"
                     " --unmapped')", f->unknown);
        else
            snprintf(why, 160, "no known postcode area: for a person to route");
        return;
    }
    const wi_area *a = f->named[best];
    char by[160];
    snprintf(by, sizeof by, "area '%s' -> %s %s (%s; routing %s)", f->named_text[best],
             a->area, a->force, f->named_how[best], r->version[0] ? r->version : "unversioned");
    snprintf(holder, 64, "%s", f->bulk ? a->hub : a->force);
    if (f->bulk)
        snprintf(why, 160, "bulk operation; no postcode; %s -> %s hub", by, a->hub);
    else
        snprintf(why, 160, "local referral; no postcode; %s", by);
}

/* Where a subject goes, and why (one line). */
static void decide(const wi_routing *r, const facts *f, char holder[64], char why[160])
{
    if (f->international) {
        snprintf(holder, 64, "%s", r->international_hub);
        snprintf(why, 160, "international referral");
        return;
    }
    int best = -1;
    for (int i = 0; i < 4; i++)
        if (f->area_n[i] && wi_area_find(r, f->areas[i]) &&
            (best < 0 || f->area_n[i] > f->area_n[best]))
            best = i;
    if (best < 0) {
        decide_named(r, f, holder, why);
        return;
    }
    const wi_area *a = wi_area_find(r, f->areas[best]);
    if (f->bulk) {
        snprintf(holder, 64, "%s", a->hub);
        snprintf(why, 160, "bulk operation; postcode area %s -> %s hub", a->area, a->hub);
    } else {
        snprintf(holder, 64, "%s", a->force);
        snprintf(why, 160, "local referral; postcode area %s", a->area);
    }
}

ward_status wi_alert(ward_intel *in, const char *at, const char *kind, int64_t subject,
                     int64_t package, const char *parties, const char *text, int *raised,
                     ward_error *err)
{
    wsql_stmt *st;
    *raised = 0;
    ward_status rc = wi_cached(in, "SELECT 1 FROM alerts WHERE kind = ?"
                                   " AND coalesce(package, 0) = ? AND text = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 2, package);
    wsql_bind_text(st, 3, text, -1, SQLITE_STATIC);
    int seen = wsql_step(st) == SQLITE_ROW;
    wsql_reset(st);
    if (seen)
        return WARD_OK;
    if ((rc = wi_cached(in, "INSERT INTO alerts(at, kind, subject, package, parties, text)"
                            " VALUES(?,?,?,?,?,?)", &st, err)))
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 3, subject);
    if (package)
        wsql_bind_int64(st, 4, package);
    wsql_bind_text(st, 5, parties, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, text, -1, SQLITE_STATIC);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "alert");
    wsql_reset(st);
    *raised = !rc;
    return rc;
}

typedef struct route_ctx {
    ward_intel *in;
    char at[32];
    wsql_stmt *find_pkg, *ins_pkg, *upd_pkg, *ins_ver;
    int64_t next_pkg;   /* wi_next_id */
    ward_intel_route_summary *sum;
} route_ctx;

static ward_status snapshot(route_ctx *c, int64_t pkg, int version, ward_error *err)
{
    strbuf j = {0};
    ward_status rc = wi_package_json(c->in, pkg, &j, err);
    if (rc) {
        strbuf_free(&j);
        return rc;
    }
    wsql_stmt *st = c->ins_ver;
    wsql_bind_int64(st, 1, pkg);
    wsql_bind_int(st, 2, version);
    wsql_bind_text(st, 3, c->at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, j.s, (int)j.len, SQLITE_TRANSIENT);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(c->in, err, "package version");
    wsql_reset(st);
    strbuf_free(&j);
    return rc;
}

static ward_status create(route_ctx *c, int64_t s, const facts *f, const char *holder,
                          const char *why, int band, const char *deadline, int64_t assessment,
                          ward_error *err)
{
    wsql_stmt *st = c->ins_pkg;
    wsql_bind_int64(st, 1, s);
    wsql_bind_text(st, 2, holder, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, why, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, c->at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, c->at, -1, SQLITE_STATIC);
    wsql_bind_text(st, 6, deadline, -1, SQLITE_STATIC);
    wsql_bind_int(st, 7, band);
    wsql_bind_int(st, 8, f->records);
    wsql_bind_int64(st, 9, assessment);
    int64_t pkg = c->next_pkg++;
    wsql_bind_int64(st, 10, pkg);
    ward_status rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(c->in, err, "package");
    wsql_reset(st);
    if (!rc)
        rc = wi_package_event(c->in, pkg, c->at, "created", NULL, why, err);
    if (!rc)
        rc = snapshot(c, pkg, 1, err);
    c->sum->packages_created++;
    return rc;
}

/* A package waiting in triage that the rules now place (a person mapped
 * its area's name) goes where they say: waiting for a person to route it
 * was all triage meant, so nothing is moved from a holder. Only before it
 * was disseminated: after that a person has it in hand. */
static ward_status from_triage(route_ctx *c, int64_t pkg, const char *holder, const char *why,
                               ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_cached(c->in, "UPDATE packages SET holder = ?, route_reason = ?,"
                                      " updated = ? WHERE id = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, holder, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, why, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, c->at, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 4, pkg);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(c->in, err, "package");
    wsql_reset(st);
    char note[240];
    snprintf(note, sizeof note, "routed from %s: %s", c->in->routing.unassigned, why);
    if (!rc)
        rc = wi_package_event(c->in, pkg, c->at, "routed", NULL, note, err);
    c->sum->packages_rerouted++;
    return rc;
}

static ward_status existing(route_ctx *c, int64_t s, const facts *f, const char *holder,
                            const char *why, int band, const char *deadline,
                            int64_t assessment, ward_error *err)
{
    wsql_stmt *st = c->find_pkg;
    wsql_bind_int64(st, 1, s);
    int found = wsql_step(st) == SQLITE_ROW;
    int64_t pkg = found ? wsql_column_int64(st, 0) : 0;
    int version = found ? wsql_column_int(st, 1) : 0;
    char held[64], state[24];
    snprintf(held, sizeof held, "%s", found ? wi_col(st, 2) : "");
    snprintf(state, sizeof state, "%s", found ? wi_col(st, 3) : "");
    int records = found ? wsql_column_int(st, 4) : 0;
    int64_t assessed = found ? wsql_column_int64(st, 5) : 0;
    wsql_reset(st);
    if (!found)
        return WARD_ENOTFOUND;
    ward_status rc = WARD_OK;
    char sid[16], text[400], parties[160];
    wi_subject_id(s, sid);
    int raised = 0;
    if (!strcmp(state, "outcome") && f->records > records) {
        snprintf(text, sizeof text, "%s is closed (package %lld, held by %s) and now has %d"
                 " referrals (was %d): review; not reopened", sid, (long long)pkg, held,
                 f->records, records);
        snprintf(parties, sizeof parties, "%s", held);
        rc = wi_alert(c->in, c->at, "closed-subject", s, pkg, parties, text, &raised, err);
        c->sum->alerts += (uint64_t)raised;
        return rc;
    }
    if (!strcmp(state, "outcome"))
        return WARD_OK;
    int moved = 0;
    if (!strcmp(held, c->in->routing.unassigned) && strcmp(holder, held) &&
        !strcmp(state, "created")) {
        if ((rc = from_triage(c, pkg, holder, why, err)))
            return rc;
        snprintf(held, sizeof held, "%s", holder);
        moved = 1;
    }
    if (strcmp(holder, held) && f->records > records) {
        snprintf(text, sizeof text, "%s: new referrals would go to %s, but %s holds it"
                 " (package %lld): agree who leads", sid, holder, held, (long long)pkg);
        snprintf(parties, sizeof parties, "%s; %s", held, holder);
        rc = wi_alert(c->in, c->at, "deconfliction", s, pkg, parties, text, &raised, err);
        c->sum->alerts += (uint64_t)raised;
    }
    if (!rc && (moved || assessment != assessed || f->records != records)) {
        st = c->upd_pkg;
        wsql_bind_int(st, 1, version + 1);
        wsql_bind_text(st, 2, c->at, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, deadline, -1, SQLITE_STATIC);
        wsql_bind_int(st, 4, band);
        wsql_bind_int(st, 5, f->records);
        wsql_bind_int64(st, 6, assessment);
        wsql_bind_int64(st, 7, pkg);
        rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(c->in, err, "package");
        wsql_reset(st);
        if (!rc)
            rc = snapshot(c, pkg, version + 1, err);
        c->sum->packages_versioned++;
    }
    return rc;
}

/* Packages of subjects merged away: their holders must hear of it. */
static ward_status merged_away(route_ctx *c, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(
        c->in,
        "SELECT p.id, p.subject, p.holder, h.subject FROM packages p JOIN subjects s"
        " ON s.id = p.subject AND s.active = 0 LEFT JOIN subject_history h"
        " ON h.other = p.subject AND h.action = 'merge' WHERE p.state NOT IN ('merged')"
        " ORDER BY p.id, h.id",
        &st, err);
    while (!rc && wsql_step(st) == SQLITE_ROW) {
        int64_t pkg = wsql_column_int64(st, 0), into = wsql_column_int64(st, 3);
        char from[16], to[16], text[300];
        wi_subject_id(wsql_column_int64(st, 1), from);
        wi_subject_id(into, to);
        snprintf(text, sizeof text, "%s (package %lld, held by %s) was merged into %s:"
                 " its referrals now travel with that subject's package", from, (long long)pkg,
                 wi_col(st, 2), to);
        int raised;
        rc = wi_alert(c->in, c->at, "merged", into, pkg, wi_col(st, 2), text, &raised, err);
        c->sum->alerts += (uint64_t)raised;
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE packages SET state = 'merged' WHERE id = %lld",
                 (long long)pkg);
        if (!rc)
            rc = wi_exec(c->in, sql, err);
        if (!rc)
            rc = wi_package_event(c->in, pkg, c->at, "merged", NULL, text, err);
    }
    wsql_finalize(st);
    return rc;
}

static ward_status prepare(route_ctx *c, ward_error *err)
{
    ward_status rc = wi_prepare(c->in, "SELECT id, version, holder, state, records, assessment"
                                       " FROM packages WHERE subject = ? AND state != 'merged'"
                                       " ORDER BY id DESC LIMIT 1", &c->find_pkg, err);
    if (!rc)
        rc = wi_prepare(c->in, "INSERT INTO packages(subject, version, holder, route_reason,"
                               " state, created, updated, deadline, band, records, assessment,"
                               " id) VALUES(?1, 1, ?2, ?3, 'created', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        &c->ins_pkg, err);
    if (!rc)
        rc = wi_prepare(c->in, "UPDATE packages SET version = ?, updated = ?, deadline = ?,"
                               " band = ?, records = ?, assessment = ? WHERE id = ?",
                        &c->upd_pkg, err);
    if (!rc)
        rc = wi_prepare(c->in, "INSERT INTO package_versions(package, version, at, json)"
                               " VALUES(?,?,?,?)", &c->ins_ver, err);
    return rc;
}

static void finalize(route_ctx *c)
{
    wsql_finalize(c->find_pkg);
    wsql_finalize(c->ins_pkg);
    wsql_finalize(c->upd_pkg);
    wsql_finalize(c->ins_ver);
}

ward_status ward_intel_route(ward_intel *in, time_t now, ward_intel_route_summary *sum,
                             ward_error *err)
{
    ward_intel_route_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    route_ctx c = {.in = in, .sum = sum};
    wi_time_str(now, c.at);
    int64_t max = 0;
    ward_status rc = wi_begin_subjects(in, &max, err);
    if (rc)
        return rc;
    facts *f = calloc((size_t)max + 1, sizeof *f);
    wsql_stmt *subj = NULL;
    if (!f)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    if (!rc)
        rc = load_facts(in, f, max, err);
    if (!rc)
        rc = wi_next_id(in, "packages", &c.next_pkg, err);
    if (!rc)
        rc = prepare(&c, err);
    /* Latest assessment, overridden band if any. */
    if (!rc)
        rc = wi_prepare(
            in,
            "SELECT s.id, a.id, coalesce(o.band, a.band), coalesce(o.deadline, a.deadline)"
            " FROM subjects s JOIN assessments a ON a.id = (SELECT max(id) FROM assessments"
            "  WHERE subject = s.id)"
            " LEFT JOIN overrides o ON o.id = (SELECT max(id) FROM overrides WHERE subject = s.id)"
            " WHERE s.active = 1 ORDER BY s.id", &subj, err);
    while (!rc && wsql_step(subj) == SQLITE_ROW) {
        int64_t s = wsql_column_int64(subj, 0);
        if (s < 1 || s > max || !f[s].have)
            continue;
        char holder[64], why[160], deadline[32];
        decide(&in->routing, &f[s], holder, why);
        int band = wsql_column_int(subj, 2);
        snprintf(deadline, sizeof deadline, "%s", wi_col(subj, 3));
        int64_t assessment = wsql_column_int64(subj, 1);
        rc = existing(&c, s, &f[s], holder, why, band, deadline, assessment, err);
        if (rc == WARD_ENOTFOUND)
            rc = create(&c, s, &f[s], holder, why, band, deadline, assessment, err);
    }
    wsql_finalize(subj);
    if (!rc)
        rc = merged_away(&c, err);
    finalize(&c);
    free(f);
    if (!rc) {
        wi_audit(in, now, NULL, "route", NULL, NULL);
        rc = wi_commit(in, err);
    }
    if (rc)
        wi_rollback(in);
    else
        wi_analyze(in, "packages, package_events, package_versions, alerts");
    return rc;
}
