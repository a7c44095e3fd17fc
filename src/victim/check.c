/*
 * Checking a scan against the series and the register (docs/victim.md).
 *
 * A scan's files.jsonl is read whole first (only known, near and new files:
 * the rest has nothing to tell), then everything is decided and written in
 * one transaction, so a check either lands whole or not at all. Exact
 * digests are looked up through the tables' indexes; PDQ near matching
 * compares each file's hashes (its PDQ and the 7 dihedral ones, or a video's
 * frames) with every PDQ of the series entries and of other units'
 * sightings held in memory (32 bytes each, compared by popcount).
 *
 * Compartments: another unit is told that the material exists and whom to
 * contact, never this unit's case, paths or file names; this unit likewise.
 */
#include "victim/victim_int.h"
#include "scan/jsonl.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/digest.h>
#include <ward/index.h>
#include <ward/pdq.h>

static const char *const finding_names[WARD_VF_NKINDS] = {
    "also-seen", "series-new-image", "series-identified", "series-open", "quarantined",
    "flood-quarantined"};

const char *ward_victim_finding_name(ward_victim_finding_kind k)
{
    return (unsigned)k < WARD_VF_NKINDS ? finding_names[k] : "?";
}

void ward_victim_check_opts_default(ward_victim_check_opts *o)
{
    memset(o, 0, sizeof *o);
    o->radius = WARD_INDEX_PDQ_RADIUS;
    o->register_new = 1;
    o->flood_units = 5;
    o->flood_hours = 24;
    o->now = time(NULL);
}

/* ---- PDQ lists ---------------------------------------------------------------- */

/* Up to max PDQs of a space-separated list into v; the count. */
static size_t pdq_list(const char *text, ward_pdq *v, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p && *p && n < max;) {
        while (*p == ' ')
            p++;
        char hex[65];
        size_t k = strcspn(p, " ");
        if (k == 64) {
            memcpy(hex, p, 64);
            hex[64] = 0;
            if (ward_pdq_from_hex(hex, &v[n]) == WARD_OK)
                n++;
        }
        p += k;
    }
    return n;
}

#define MAX_PDQ 64

int vt_pdq_min(const char *a, const char *b)
{
    ward_pdq va[MAX_PDQ], vb[MAX_PDQ];
    size_t na = pdq_list(a, va, MAX_PDQ), nb = pdq_list(b, vb, MAX_PDQ);
    int best = 257;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            int d = ward_pdq_distance(&va[i], &vb[j]);
            if (d < best)
                best = d;
        }
    return best;
}

/* ---- the scan's files ---------------------------------------------------------- */

typedef struct vfile {
    char *path, *klass, *series_text;   /* series named by a known/near match */
    ward_victim_hash h;                 /* h.pdq: the image's own PDQ, or frames */
    ward_pdq q[MAX_PDQ];                /* all PDQs compared: own, dihedral, frames */
    size_t nq;
} vfile;

typedef struct files {
    vfile *v;
    size_t n, cap;
    int nomem;
    uint64_t seen;
} files;

static void copy_hex(char *dst, size_t cap, const char *src)
{
    if (src && strlen(src) == cap - 1)
        for (size_t i = 0; i < cap; i++)
            dst[i] = src[i];
}

static void add_q(vfile *f, const char *hex)
{
    if (hex && strlen(hex) == 64 && f->nq < MAX_PDQ &&
        ward_pdq_from_hex(hex, &f->q[f->nq]) == WARD_OK)
        f->nq++;
}

static int take(void *ctx, yajl_val r)
{
    files *fs = ctx;
    fs->seen++;
    const char *klass = jv_str(r, "class");
    if (!klass || (strcmp(klass, "known") && strcmp(klass, "near") && strcmp(klass, "new-image") &&
                   strcmp(klass, "new-video")))
        return 0;
    vfile *v = wst_grow(fs->v, &fs->cap, fs->n, sizeof *v);
    if (!v)
        return fs->nomem = 1;
    fs->v = v;
    vfile *f = &v[fs->n];
    memset(f, 0, sizeof *f);
    const char *path = jv_str(r, "path");
    f->path = strdup(path ? path : "?");
    f->klass = strdup(klass);
    copy_hex(f->h.sha256, sizeof f->h.sha256, jv_str(r, "sha256"));
    copy_hex(f->h.sha1, sizeof f->h.sha1, jv_str(r, "sha1"));
    copy_hex(f->h.md5, sizeof f->h.md5, jv_str(r, "md5"));
    const char *pdq = jv_str(r, "pdq");
    if (pdq && strlen(pdq) == 64) {
        memcpy(f->h.pdq, pdq, 65);
        add_q(f, pdq);
    }
    yajl_val dih = jv_get(r, "pdq_dihedral");
    for (size_t i = 0; YAJL_IS_ARRAY(dih) && i < dih->u.array.len; i++)
        add_q(f, YAJL_IS_STRING(dih->u.array.values[i]) ? YAJL_GET_STRING(dih->u.array.values[i])
                                                        : NULL);
    /* a video: its frames' PDQs (vPDQ), kept space-separated */
    yajl_val fr = jv_get(r, "vpdq");
    size_t used = strlen(f->h.pdq);
    for (size_t i = 0; YAJL_IS_ARRAY(fr) && i < fr->u.array.len; i++) {
        const char *q = jv_str(fr->u.array.values[i], "pdq");
        if (!q || strlen(q) != 64 || f->nq >= MAX_PDQ || used + 66 > sizeof f->h.pdq)
            continue;
        used += (size_t)snprintf(f->h.pdq + used, sizeof f->h.pdq - used, "%s%s", used ? " " : "", q);
        add_q(f, q);
    }
    yajl_val m = jv_get(r, "matches");
    for (size_t i = 0; YAJL_IS_ARRAY(m) && i < m->u.array.len && !f->series_text; i++) {
        const char *sr = jv_str(m->u.array.values[i], "series");
        if (sr && *sr)
            f->series_text = strdup(sr);
    }
    fs->n++;
    return !f->path || !f->klass ? (fs->nomem = 1) : 0;
}

static void files_free(files *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free(fs->v[i].path), free(fs->v[i].klass), free(fs->v[i].series_text);
    free(fs->v);
}

/* ---- what is held in memory for near matching ------------------------------------ */

typedef struct held {          /* a PDQ of a series entry or another unit's sighting */
    ward_pdq q;
    int64_t owner;             /* series id, or sighting id */
} held;

typedef struct helds {
    held *v;
    size_t n, cap;
    int nomem;
} helds;

static int keep_pdqs(void *ctx, wsql_stmt *st)
{
    helds *h = ctx;
    ward_pdq q[MAX_PDQ];
    size_t n = pdq_list(vt_col(st, 1), q, MAX_PDQ);
    for (size_t i = 0; i < n; i++) {
        held *v = wst_grow(h->v, &h->cap, h->n, sizeof *v);
        if (!v)
            return h->nomem = 1;
        h->v = v;
        v[h->n].q = q[i];
        v[h->n++].owner = wsql_column_int64(st, 0);
    }
    return 0;
}

static ward_status load_pdqs(ward_store *s, const char *sql, const char *unit, helds *h,
                             ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    if (unit)
        wsql_bind_text(st, 1, unit, -1, SQLITE_TRANSIENT);
    rc = wst_each_row(s, st, keep_pdqs, h, "reading PDQs", err);
    return rc == WARD_OK && h->nomem ? err_fail(err, WARD_ENOMEM, "out of memory") : rc;
}

/* The nearest held PDQ to any of f's within radius: its owner, or 0. */
static int64_t nearest(const helds *h, const vfile *f, int radius, int *dist)
{
    int64_t best = 0;
    *dist = radius + 1;
    for (size_t i = 0; i < h->n; i++)
        for (size_t k = 0; k < f->nq; k++) {
            int d = ward_pdq_distance(&h->v[i].q, &f->q[k]);
            if (d < *dist)
                *dist = d, best = h->v[i].owner;
        }
    return best;
}

/* ---- the check ----------------------------------------------------------------- */

typedef struct series_info {
    int64_t id;
    char name[201], team[201], contact[201];
    ward_series_status status;
} series_info;

typedef struct check {
    ward_store *s;
    const ward_victim_check_opts *o;
    ward_victim_finding_cb cb;
    void *ctx;
    ward_victim_check_summary *sum;
    char at[32], since[32], scan[65];
    helds series_pdq, other_pdq;
    wsql_stmt *by_digest_series, *by_digest_sighting, *insert_sighting, *sighting_unit;
    int stop;
} check;

static void fmt_time(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static void bind_digests(wsql_stmt *st, const ward_victim_hash *h)
{
    wsql_bind_text(st, 1, *h->sha256 ? h->sha256 : "-", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, *h->sha1 ? h->sha1 : "-", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 3, *h->md5 ? h->md5 : "-", -1, SQLITE_TRANSIENT);
}

#define DIGEST_MATCH                                                                        \
    "((sha256 IS NOT NULL AND sha256 = ?1) OR (sha1 IS NOT NULL AND sha1 = ?2)"              \
    " OR (md5 IS NOT NULL AND md5 = ?3))"

static ward_status series_info_get(ward_store *s, int64_t id, series_info *si, ward_error *err)
{
    char key[24];
    wsql_stmt *st;
    snprintf(key, sizeof key, "%lld", (long long)id);
    ward_status rc = wst_find_row(
        s, "SELECT id, name, team, contact, status FROM series WHERE id = CAST(? AS INTEGER)", key,
        &st, "reading series", err);
    if (rc)
        return rc == WARD_ENOTFOUND ? err_fail(err, WARD_EINTERNAL, "series %s vanished", key)
                                    : rc;
    si->id = id;
    vt_copy(si->name, sizeof si->name, st, 1);
    vt_copy(si->team, sizeof si->team, st, 2);
    vt_copy(si->contact, sizeof si->contact, st, 3);
    int k = ward_series_status_parse(vt_col(st, 4));
    si->status = k < 0 ? WARD_SERIES_UNIDENTIFIED : (ward_series_status)k;
    wsql_finalize(st);
    return WARD_OK;
}

/* The quarantine state of a hash key: "" when none. */
static ward_status quarantine_state(ward_store *s, const char *key, char state[16],
                                    ward_error *err)
{
    wsql_stmt *st;
    state[0] = 0;
    ward_status rc = wst_find_row(s, "SELECT state FROM quarantine WHERE hash = ?", key, &st,
                                  "reading the quarantine", err);
    if (rc == WARD_ENOTFOUND)
        return WARD_OK;
    if (rc)
        return rc;
    vt_copy(state, 16, st, 0);
    wsql_finalize(st);
    return WARD_OK;
}

ward_status vt_alert(ward_store *s, const char *at, const char *unit, const char *priority,
                     const char *kind, int64_t series, const char *hash, const char *message,
                     const char *state, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
                                 "INSERT INTO victim_alerts(at, unit, priority, kind, series_id,"
                                 " hash, message, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, unit, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 3, priority, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    if (series)
        wsql_bind_int64(st, 5, series);
    else
        wsql_bind_null(st, 5);
    wsql_bind_text(st, 6, hash ? hash : "", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 7, message, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 8, state, -1, SQLITE_STATIC);
    int r = wsql_step(st);
    rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, "writing an alert");
    wsql_finalize(st);
    return rc;
}

static void emit(check *c, ward_victim_finding *f)
{
    c->sum->counts[f->kind]++;
    if (c->cb && !c->stop)
        c->stop = c->cb(c->ctx, f);
}

/* Which series the file is in (exact digest, or the series its list match
 * names): *sid, 0 for none. */
static ward_status member_of(check *c, const vfile *f, int64_t *sid, ward_error *err)
{
    *sid = 0;
    if (*f->h.sha256 || *f->h.sha1 || *f->h.md5) {
        wsql_stmt *st = c->by_digest_series;
        bind_digests(st, &f->h);
        int r = wsql_step(st);
        if (r == SQLITE_ROW)
            *sid = wsql_column_int64(st, 0);
        wsql_reset(st);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            return wst_sqlfail(c->s, err, r, "reading series entries");
    }
    if (!*sid && f->series_text && !strcmp(f->klass, "known")) {
        ward_error e2 = {0};
        ward_status rc = vt_series_id(c->s, f->series_text, sid, &e2);
        if (rc && rc != WARD_ENOTFOUND)
            return err_fail(err, rc, "%s", e2.message);
        if (rc)
            *sid = 0;
    }
    return WARD_OK;
}

static ward_status series_findings(check *c, const vfile *f, const char *key, int paused,
                                   int64_t *member, ward_error *err)
{
    ward_status rc = member_of(c, f, member, err);
    if (rc)
        return rc;
    series_info si;
    char msg[1024];
    if (*member) {
        if ((rc = series_info_get(c->s, *member, &si, err)))
            return rc;
        int done = si.status != WARD_SERIES_UNIDENTIFIED;
        snprintf(msg, sizeof msg,
                 done ? "%s: series '%s' is %s (team %s%s%s): the child is identified; do not "
                        "re-open the identification"
                      : "%s: series '%s' is %s (team %s%s%s)",
                 f->path, si.name, ward_series_status_name(si.status), si.team,
                 *si.contact ? ", contact " : "", si.contact);
        ward_victim_finding fd = {done ? WARD_VF_SERIES_DONE : WARD_VF_SERIES_OPEN, f->path, key, 0,
                                  si.name, si.status, si.team, si.contact, NULL, msg};
        emit(c, &fd);
        return WARD_OK;
    }
    /* near a series but not in it: the PDQ of an entry, or a near match on a
     * list whose entry names the series */
    int dist = 0;
    int64_t near = f->nq ? nearest(&c->series_pdq, f, c->o->radius, &dist) : 0;
    if (!near && f->series_text && !strcmp(f->klass, "near")) {
        ward_error e2 = {0};
        if (vt_series_id(c->s, f->series_text, &near, &e2))
            near = 0;
        dist = -1;
    }
    if (!near)
        return WARD_OK;
    if ((rc = series_info_get(c->s, near, &si, err)))
        return rc;
    snprintf(msg, sizeof msg,
             "%s: possibly a new image of series '%s' (%s; %s): a child may still be at risk; "
             "team %s%s%s alerted at high priority",
             f->path, si.name, ward_series_status_name(si.status),
             dist >= 0 ? "PDQ near an entry" : "near a list entry of the series", si.team,
             *si.contact ? ", contact " : "", si.contact);
    ward_victim_finding fd = {WARD_VF_SERIES_NEW, f->path, key, dist < 0 ? 0 : dist, si.name,
                              si.status, si.team, si.contact, NULL, msg};
    emit(c, &fd);
    /* the team learns of it without this unit's paths: the unit, its case
     * and contact are the unit's own to give (it asked for the check) */
    char amsg[1024];
    snprintf(amsg, sizeof amsg,
             "possibly a new image of series '%s' (%s) seen by unit %s, case %s, contact %s%s",
             si.name, key, c->o->unit, c->o->case_ref, c->o->contact,
             paused ? " (hash quarantined: alert paused)" : "");
    c->sum->alerts++;
    return vt_alert(c->s, c->at, si.team, "high", "series-new-image", si.id, key, amsg,
                    paused ? "paused" : "open", err);
}

/* Other units' sightings matching f: a finding per unit, alerts both ways. */
typedef struct other {
    int64_t id;
    char unit[201], case_ref[201], contact[201];
} other;

static ward_status sighting_get(check *c, int64_t id, other *o, ward_error *err)
{
    wsql_stmt *st = c->sighting_unit;
    wsql_bind_int64(st, 1, id);
    int r = wsql_step(st);
    ward_status rc = WARD_OK;
    if (r == SQLITE_ROW) {
        o->id = id;
        vt_copy(o->unit, sizeof o->unit, st, 0);
        vt_copy(o->case_ref, sizeof o->case_ref, st, 1);
        vt_copy(o->contact, sizeof o->contact, st, 2);
    } else
        rc = r == SQLITE_DONE ? err_fail(err, WARD_EINTERNAL, "sighting vanished")
                              : wst_sqlfail(c->s, err, r, "reading a sighting");
    wsql_reset(st);
    return rc;
}

static ward_status tell_both(check *c, const vfile *f, const char *key, const other *o,
                             int dist, int paused, ward_error *err)
{
    char msg[1024], amsg[1024];
    snprintf(msg, sizeof msg, "%s: also seen elsewhere: unit %s, contact %s (%s)", f->path,
             o->unit, o->contact, dist ? "PDQ near" : "same digest");
    ward_victim_finding fd = {WARD_VF_ALSO_SEEN, f->path, key, dist, NULL, 0, NULL, NULL, o->unit,
                              msg};
    emit(c, &fd);
    const char *state = paused ? "paused" : "open";
    /* this unit: its own path; the other: its own case, never ours */
    snprintf(amsg, sizeof amsg, "%s (your case %s): also seen elsewhere: unit %s, contact %s",
             f->path, c->o->case_ref, o->unit, o->contact);
    ward_status rc = vt_alert(c->s, c->at, c->o->unit, "normal", "also-seen", 0, key, amsg,
                              state, err);
    snprintf(amsg, sizeof amsg,
             "material of your case %s (%s) also seen elsewhere: unit %s, contact %s", o->case_ref,
             key, c->o->unit, c->o->contact);
    if (rc == WARD_OK)
        rc = vt_alert(c->s, c->at, o->unit, "normal", "also-seen", 0, key, amsg, state, err);
    c->sum->alerts += 2;
    return rc;
}

static ward_status also_seen(check *c, const vfile *f, const char *key, int paused,
                             ward_error *err)
{
    if (!strcmp(f->klass, "known"))
        return WARD_OK;   /* on a list already: known material is not news */
    /* units told already about this file, so each is told once */
    char told[8][201];
    int ntold = 0;
    ward_status rc = WARD_OK;
    if (*f->h.sha256 || *f->h.sha1 || *f->h.md5) {
        wsql_stmt *st = c->by_digest_sighting;
        bind_digests(st, &f->h);
        wsql_bind_text(st, 4, c->o->unit, -1, SQLITE_TRANSIENT);
        int r;
        other o;
        while (rc == WARD_OK && (r = wsql_step(st)) == SQLITE_ROW) {
            vt_copy(o.unit, sizeof o.unit, st, 0);
            vt_copy(o.case_ref, sizeof o.case_ref, st, 1);
            vt_copy(o.contact, sizeof o.contact, st, 2);
            int dup = 0;
            for (int i = 0; i < ntold; i++)
                dup |= !strcmp(told[i], o.unit);
            if (dup || ntold == 8)
                continue;
            snprintf(told[ntold++], sizeof told[0], "%s", o.unit);
            rc = tell_both(c, f, key, &o, 0, paused, err);
        }
        wsql_reset(st);
        if (rc == WARD_OK && r != SQLITE_DONE && r != SQLITE_ROW)
            return wst_sqlfail(c->s, err, r, "reading sightings");
    }
    if (rc || !f->nq)
        return rc;
    /* PDQ: the nearest sighting of each other unit within the radius */
    for (size_t i = 0; rc == WARD_OK && i < c->other_pdq.n; i++) {
        int best = c->o->radius + 1;
        for (size_t k = 0; k < f->nq; k++) {
            int d = ward_pdq_distance(&c->other_pdq.v[i].q, &f->q[k]);
            if (d < best)
                best = d;
        }
        if (best > c->o->radius)
            continue;
        other o;
        if ((rc = sighting_get(c, c->other_pdq.v[i].owner, &o, err)))
            return rc;
        int dup = 0;
        for (int t = 0; t < ntold; t++)
            dup |= !strcmp(told[t], o.unit);
        if (dup || ntold == 8)
            continue;
        snprintf(told[ntold++], sizeof told[0], "%s", o.unit);
        rc = tell_both(c, f, key, &o, best ? best : 1, paused, err);
    }
    return rc;
}

static ward_status register_file(check *c, const vfile *f, int64_t member, ward_error *err)
{
    wsql_stmt *st = c->insert_sighting;
    const ward_victim_check_opts *o = c->o;
    wsql_bind_text(st, 1, o->unit, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, o->case_ref, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 3, o->exhibit ? o->exhibit : "", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 4, o->contact, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 5, c->scan, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 6, f->klass, -1, SQLITE_TRANSIENT);
    vt_bind_opt(st, 7, f->h.sha256), vt_bind_opt(st, 8, f->h.sha1), vt_bind_opt(st, 9, f->h.md5);
    vt_bind_opt(st, 10, f->h.pdq);
    if (member)
        wsql_bind_int64(st, 11, member);
    else
        wsql_bind_null(st, 11);
    wsql_bind_text(st, 12, c->at, -1, SQLITE_TRANSIENT);
    int r = wsql_step(st);
    wsql_reset(st);
    if (r != SQLITE_DONE)
        return wst_sqlfail(c->s, err, r, "registering a sighting");
    c->sum->registered++;
    return WARD_OK;
}

/* Flood control: a listed hash (known or near) of this scan whose
 * sightings by distinct units within the window reach the threshold is
 * quarantined, and its open alerts pause. */
static ward_status flood(check *c, const vfile *f, const char *key, ward_error *err)
{
    if (!*f->h.sha256 || (strcmp(f->klass, "known") && strcmp(f->klass, "near")) ||
        c->o->flood_units <= 0)
        return WARD_OK;
    char state[16];
    ward_status rc = quarantine_state(c->s, key, state, err);
    if (rc || *state)   /* a person released it, or it is quarantined already */
        return rc;
    wsql_stmt *st;
    if ((rc = wst_prepare(c->s,
                          "SELECT count(DISTINCT unit), count(*) FROM sightings WHERE sha256 = ?"
                          " AND at >= ? AND class IN ('known', 'near')",
                          &st, err)))
        return rc;
    wsql_bind_text(st, 1, f->h.sha256, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, c->since, -1, SQLITE_TRANSIENT);
    int r = wsql_step(st);
    int64_t units = r == SQLITE_ROW ? wsql_column_int64(st, 0) : 0;
    int64_t hits = r == SQLITE_ROW ? wsql_column_int64(st, 1) : 0;
    if (r != SQLITE_ROW)
        rc = wst_sqlfail(c->s, err, r, "counting sightings");
    wsql_finalize(st);
    if (rc || units < c->o->flood_units)
        return rc;
    if ((rc = wst_prepare(c->s,
                          "INSERT INTO quarantine(hash, state, at, units, hits)"
                          " VALUES (?, 'quarantined', ?, ?, ?)",
                          &st, err)))
        return rc;
    wsql_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, c->at, -1, SQLITE_TRANSIENT);
    wsql_bind_int64(st, 3, units);
    wsql_bind_int64(st, 4, hits);
    r = wsql_step(st);
    rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(c->s, err, r, "quarantining a hash");
    wsql_finalize(st);
    if (rc == WARD_OK && (rc = wst_prepare(c->s,
                                           "UPDATE victim_alerts SET state = 'paused'"
                                           " WHERE hash = ? AND state = 'open'",
                                           &st, err)) == WARD_OK) {
        wsql_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        r = wsql_step(st);
        rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(c->s, err, r, "pausing alerts");
        wsql_finalize(st);
    }
    char msg[512];
    snprintf(msg, sizeof msg,
             "%s: %s quarantined: seen by %lld units (%lld files) within %d hours; matches are "
             "still recorded, alerts about it pause until a person releases or removes it "
             "('ward series quarantine')",
             f->path, key, (long long)units, (long long)hits, c->o->flood_hours);
    ward_victim_finding fd = {WARD_VF_FLOODED, f->path, key, 0, NULL, 0, NULL, NULL, NULL, msg};
    emit(c, &fd);
    if (rc == WARD_OK) {
        c->sum->alerts++;
        rc = vt_alert(c->s, c->at, c->o->unit, "normal", "flood-quarantined", 0, key, msg + strlen(f->path) + 2,
                      "open", err);
    }
    return rc;
}

static ward_status check_file(check *c, const vfile *f, int registered_before, ward_error *err)
{
    char key[128], state[16];
    vt_hash_key(&f->h, key, sizeof key);
    ward_status rc = quarantine_state(c->s, key, state, err);
    if (rc)
        return rc;
    int paused = !strcmp(state, "quarantined");
    if (paused) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s is quarantined (flood control): alerts about it pause",
                 f->path, key);
        ward_victim_finding fd = {WARD_VF_QUARANTINED, f->path, key, 0, NULL, 0, NULL, NULL,
                                  NULL, msg};
        emit(c, &fd);
    }
    int64_t member = 0;
    if ((rc = series_findings(c, f, key, paused, &member, err)))
        return rc;
    if (!registered_before && (rc = also_seen(c, f, key, paused, err)))
        return rc;
    if (!registered_before && c->o->register_new && (rc = register_file(c, f, member, err)))
        return rc;
    if (!registered_before && c->o->register_new && !paused)
        rc = flood(c, f, key, err);
    return rc;
}

static ward_status scan_id(const char *path, char out[65], ward_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_fail_errno(err, errno, "%s", path);
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    if (!d) {
        fclose(fp);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        ward_digester_update(d, buf, n);
    int bad = ferror(fp);
    fclose(fp);
    ward_digests dg;
    ward_digester_final(d, &dg);
    ward_digester_free(d);
    if (bad)
        return err_fail(err, WARD_EIO, "%s: read error", path);
    ward_hex(dg.sha256, 32, out);
    return WARD_OK;
}

static ward_status prepare_all(check *c, ward_error *err)
{
    ward_status rc;
    if ((rc = wst_prepare(c->s,
                          "SELECT series_id FROM series_entries WHERE " DIGEST_MATCH
                          " ORDER BY id LIMIT 1",
                          &c->by_digest_series, err)) ||
        (rc = wst_prepare(c->s,
                          "SELECT unit, case_ref, contact FROM sightings WHERE " DIGEST_MATCH
                          " AND unit <> ?4 ORDER BY id",
                          &c->by_digest_sighting, err)) ||
        (rc = wst_prepare(c->s,
                          "INSERT INTO sightings(unit, case_ref, exhibit, contact, scan, class,"
                          " sha256, sha1, md5, pdq, series_id, at)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          &c->insert_sighting, err)) ||
        (rc = wst_prepare(c->s, "SELECT unit, case_ref, contact FROM sightings WHERE id = ?",
                          &c->sighting_unit, err)))
        return rc;
    /* near matching: every series entry's PDQ, every other unit's new or
     * near sighting's (known material is on a list already) */
    rc = load_pdqs(c->s, "SELECT series_id, pdq FROM series_entries WHERE pdq IS NOT NULL", NULL,
                   &c->series_pdq, err);
    if (rc == WARD_OK)
        rc = load_pdqs(c->s,
                       "SELECT id, pdq FROM sightings WHERE pdq IS NOT NULL AND unit <> ?"
                       " AND class IN ('near', 'new-image', 'new-video') ORDER BY id",
                       c->o->unit, &c->other_pdq, err);
    return rc;
}

static void finalize_all(check *c)
{
    wsql_finalize(c->by_digest_series);
    wsql_finalize(c->by_digest_sighting);
    wsql_finalize(c->insert_sighting);
    wsql_finalize(c->sighting_unit);
    free(c->series_pdq.v);
    free(c->other_pdq.v);
}

ward_status ward_victim_check_scan(ward_store *s, const char *scan_dir,
                                   const ward_victim_check_opts *o, ward_victim_finding_cb cb,
                                   void *ctx, ward_victim_check_summary *sum, ward_error *err)
{
    ward_victim_check_summary dummy;
    if (!sum)
        sum = &dummy;
    memset(sum, 0, sizeof *sum);
    if (!o || !o->unit || !*o->unit)
        return err_fail(err, WARD_EINVAL, "the unit (--unit) is required");
    if (!o->case_ref || !*o->case_ref)
        return err_fail(err, WARD_EINVAL, "the case (--case) is required");
    if (!o->contact || !*o->contact)
        return err_fail(err, WARD_EINVAL, "the unit's contact (--contact) is required");
    if (o->radius < 0 || o->radius > 256)
        return err_fail(err, WARD_EINVAL, "radius %d: 0-256", o->radius);
    char path[4096];
    snprintf(path, sizeof path, "%s/files.jsonl", scan_dir);
    check c = {.s = s, .o = o, .cb = cb, .ctx = ctx, .sum = sum};
    ward_status rc = scan_id(path, c.scan, err);
    if (rc)
        return rc == WARD_EIO && err && err->sys_errno == ENOENT
                   ? err_fail(err, WARD_ENOTFOUND, "%s: no files.jsonl (not a ward scan folder)",
                               scan_dir)
                   : rc;
    files fs = {0};
    long bad = 0;
    if (jsonl_each(path, 0, take, &fs, &bad) < 0) {
        files_free(&fs);
        return err_fail_errno(err, errno, "%s", path);
    }
    sum->files = fs.seen;
    sum->bad = (uint64_t)bad;
    if (fs.nomem) {
        files_free(&fs);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    fmt_time(o->now, c.at);
    fmt_time(o->now - (time_t)o->flood_hours * 3600, c.since);
    if ((rc = vt_begin(s, err))) {
        files_free(&fs);
        return rc;
    }
    /* the same files.jsonl registered before by this unit and case: told
     * again, not counted again */
    int64_t before = 0;
    wsql_stmt *st;
    if ((rc = wst_prepare(s,
                          "SELECT count(*) FROM sightings WHERE unit = ? AND case_ref = ?"
                          " AND scan = ?",
                          &st, err)) == WARD_OK) {
        wsql_bind_text(st, 1, o->unit, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 2, o->case_ref, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 3, c.scan, -1, SQLITE_TRANSIENT);
        int r = wsql_step(st);
        before = r == SQLITE_ROW ? wsql_column_int64(st, 0) : 0;
        if (r != SQLITE_ROW)
            rc = wst_sqlfail(s, err, r, "reading sightings");
        wsql_finalize(st);
    }
    if (rc == WARD_OK)
        rc = prepare_all(&c, err);
    for (size_t i = 0; rc == WARD_OK && i < fs.n && !c.stop; i++)
        rc = check_file(&c, &fs.v[i], before > 0, err);
    finalize_all(&c);
    files_free(&fs);
    return vt_end(s, rc, err);
}
