/*
 * What the match service needs of victim identification: a snapshot of the
 * series (membership by hash or by an entry's series field, with status,
 * team and contact) and of the quarantined hashes, read once and looked up
 * in memory for every platform hit (a query per hit would cost the hot
 * path); and quarantining a hash whose platform hits spike.
 */
#include "victim/victim_int.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct vv_key {
    char *key;      /* "sha256:hex", ... or a lower-cased series name */
    size_t series;  /* index into series */
} vv_key;

struct ward_victim_view {
    ward_series *series;
    int64_t *ids, *merged;
    size_t nseries, capseries;
    vv_key *hashes, *names;
    size_t nhashes, caphashes, nnames, capnames;
    char **quarantined;
    size_t nq, capq;
    int failed; /* out of memory while loading */
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

static int series_row(void *ctx, wsql_stmt *st)
{
    ward_victim_view *v = ctx;
    /* ids and merged follow series' capacity */
    if (grow((void **)&v->series, &v->capseries, v->nseries, sizeof *v->series)) {
        v->failed = 1;
        return 1;
    }
    int64_t *ids = realloc(v->ids, v->capseries * sizeof *ids);
    if (ids)
        v->ids = ids;
    int64_t *merged = ids ? realloc(v->merged, v->capseries * sizeof *merged) : NULL;
    if (!merged) {
        v->failed = 1;
        return 1;
    }
    v->merged = merged;
    ward_series *s = &v->series[v->nseries];
    vt_series_head(st, s);
    v->ids[v->nseries] = s->id;
    v->merged[v->nseries] = wsql_column_type(st, 5) == SQLITE_NULL ? 0 : wsql_column_int64(st, 5);
    v->nseries++;
    return 0;
}

/* The index of series id, following merges to the one it went into. */
static ssize_t series_index(const ward_victim_view *v, int64_t id)
{
    for (int hops = 0; hops < 64; hops++) {
        size_t i = 0;
        while (i < v->nseries && v->ids[i] != id)
            i++;
        if (i == v->nseries)
            return -1;
        if (!v->merged[i])
            return (ssize_t)i;
        id = v->merged[i];
    }
    return -1;
}

static int add_key(ward_victim_view *v, vv_key **arr, size_t *n, size_t *cap, const char *key,
                   int64_t series_id, int lower)
{
    ssize_t i = series_index(v, series_id);
    if (i < 0 || !*key)
        return 0;
    if (grow((void **)arr, cap, *n, sizeof **arr) || !((*arr)[*n].key = strdup(key))) {
        v->failed = 1;
        return 1;
    }
    if (lower)
        for (char *p = (*arr)[*n].key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    (*arr)[(*n)++].series = (size_t)i;
    return 0;
}

static int name_row(void *ctx, wsql_stmt *st)
{
    ward_victim_view *v = ctx;
    return add_key(v, &v->names, &v->nnames, &v->capnames, vt_col(st, 0),
                   wsql_column_int64(st, 1), 1);
}

static int entry_row(void *ctx, wsql_stmt *st)
{
    static const char *const kinds[4] = {"sha256", "sha1", "md5", "pdq"};
    ward_victim_view *v = ctx;
    int64_t sid = wsql_column_int64(st, 0);
    for (int k = 0; k < 4; k++) {
        const char *val = vt_col(st, k + 1);
        while (*val) { /* several PDQs (a video's frames) space-separated */
            size_t len = strcspn(val, " ");
            char key[96];
            if (len && len < 80) {
                snprintf(key, sizeof key, "%s:%.*s", kinds[k], (int)len, val);
                if (add_key(v, &v->hashes, &v->nhashes, &v->caphashes, key, sid, 1))
                    return 1;
            }
            val += len;
            val += strspn(val, " ");
        }
    }
    return 0;
}

static int q_row(void *ctx, wsql_stmt *st)
{
    ward_victim_view *v = ctx;
    if (grow((void **)&v->quarantined, &v->capq, v->nq, sizeof *v->quarantined) ||
        !(v->quarantined[v->nq] = strdup(vt_col(st, 0)))) {
        v->failed = 1;
        return 1;
    }
    v->nq++;
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const vv_key *)a)->key, ((const vv_key *)b)->key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ward_status each(ward_store *s, ward_victim_view *v, const char *sql, wst_row_fn fn,
                        ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (!rc)
        rc = wst_each_row(s, st, fn, v, "reading series", err);
    if (!rc && v->failed)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

ward_status ward_victim_view_stamp(ward_store *s, char stamp[128], ward_error *err)
{
    /* A status, team, rename, merge or split writes a series_log row; an
     * entry added or moved changes the entries' count or top id; a
     * quarantine or a person's decision changes the counts by state. */
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, "SELECT (SELECT coalesce(max(id), 0) FROM series_log),"
                                    " (SELECT count(*) FROM series_entries),"
                                    " (SELECT coalesce(max(id), 0) FROM series_entries),"
                                    " (SELECT count(*) FROM quarantine),"
                                    " (SELECT count(*) FROM quarantine WHERE state = 'quarantined')",
                                 &st, err);
    if (rc)
        return rc;
    int r = wsql_step(st);
    if (r == SQLITE_ROW)
        snprintf(stamp, 128, "%lld/%lld/%lld/%lld/%lld", (long long)wsql_column_int64(st, 0),
                 (long long)wsql_column_int64(st, 1), (long long)wsql_column_int64(st, 2),
                 (long long)wsql_column_int64(st, 3), (long long)wsql_column_int64(st, 4));
    else
        rc = wst_sqlfail(s, err, r, "reading series");
    wsql_finalize(st);
    return rc;
}

ward_status ward_victim_view_load(ward_store *s, ward_victim_view **out, ward_error *err)
{
    *out = NULL;
    ward_victim_view *v = calloc(1, sizeof *v);
    if (!v)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = each(s, v, "SELECT id, name, status, team, contact, merged_into FROM series",
                          series_row, err);
    if (!rc)
        rc = each(s, v, "SELECT name, id FROM series UNION ALL SELECT name, series_id"
                        " FROM series_names", name_row, err);
    if (!rc)
        rc = each(s, v, "SELECT series_id, sha256, sha1, md5, pdq FROM series_entries",
                  entry_row, err);
    if (!rc)
        rc = each(s, v, "SELECT hash FROM quarantine WHERE state = 'quarantined'", q_row, err);
    if (rc) {
        ward_victim_view_free(v);
        return rc;
    }
    if (v->nhashes > 1)
        qsort(v->hashes, v->nhashes, sizeof *v->hashes, cmp_key);
    if (v->nnames > 1)
        qsort(v->names, v->nnames, sizeof *v->names, cmp_key);
    if (v->nq > 1)
        qsort(v->quarantined, v->nq, sizeof *v->quarantined, cmp_str);
    *out = v;
    return WARD_OK;
}

void ward_victim_view_free(ward_victim_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nhashes; i++)
        free(v->hashes[i].key);
    for (size_t i = 0; i < v->nnames; i++)
        free(v->names[i].key);
    for (size_t i = 0; i < v->nq; i++)
        free(v->quarantined[i]);
    free(v->hashes);
    free(v->names);
    free(v->quarantined);
    free(v->series);
    free(v->ids);
    free(v->merged);
    free(v);
}

static const vv_key *find(const vv_key *arr, size_t n, const char *key)
{
    vv_key k = {(char *)key, 0};
    return n ? bsearch(&k, arr, n, sizeof *arr, cmp_key) : NULL;
}

const ward_series *ward_victim_view_series(const ward_victim_view *v, const char *kind,
                                           const char *hex, const char *series_field)
{
    char key[200];
    if (!v)
        return NULL;
    const vv_key *f = NULL;
    if (kind && hex && *hex) {
        snprintf(key, sizeof key, "%s:%s", kind, hex);
        for (char *p = key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        f = find(v->hashes, v->nhashes, key);
    }
    if (!f && series_field && *series_field) {
        snprintf(key, sizeof key, "%s", series_field);
        for (char *p = key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        f = find(v->names, v->nnames, key);
    }
    return f ? &v->series[f->series] : NULL;
}

int ward_victim_view_quarantined(const ward_victim_view *v, const char *key)
{
    return v && v->nq && key &&
           bsearch(&key, v->quarantined, v->nq, sizeof *v->quarantined, cmp_str) != NULL;
}

ward_status ward_quarantine_add(ward_store *s, const char *hash, uint64_t units, uint64_t hits,
                                const char *unit, const char *message, int *added,
                                ward_error *err)
{
    *added = 0;
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    char now[32];
    wst_now(now);
    wsql_stmt *st;
    /* A hash a person released (or removed, or quarantined already) is
     * never quarantined again by a count. */
    if (!(rc = wst_prepare(s, "INSERT INTO quarantine(hash, state, at, units, hits)"
                              " SELECT ?1, 'quarantined', ?2, ?3, ?4 WHERE NOT EXISTS"
                              " (SELECT 1 FROM quarantine WHERE hash = ?1)", &st, err))) {
        wsql_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
        wsql_bind_int64(st, 3, (int64_t)units);
        wsql_bind_int64(st, 4, (int64_t)hits);
        int r = wsql_step(st);
        if (r != SQLITE_DONE)
            rc = wst_sqlfail(s, err, r, "quarantining a hash");
        else
            *added = wsql_changes(s->db) > 0;
        wsql_finalize(st);
    }
    if (!rc && *added && !(rc = wst_prepare(s, "UPDATE victim_alerts SET state = 'paused'"
                                               " WHERE hash = ? AND state = 'open'", &st, err))) {
        wsql_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        int r = wsql_step(st);
        rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, "pausing alerts");
        wsql_finalize(st);
    }
    if (!rc && *added && unit && message)
        rc = vt_alert(s, now, unit, "normal", "flood-quarantined", 0, hash, message, "open", err);
    return vt_end(s, rc, err);
}
