/*
 * Series: create, rename, merge, split, status, team, notes, entries. Every
 * change is one transaction that also writes the series log. A series keeps
 * its former names (series_names) so that lists and exchange files still
 * carrying an old name find it; a merged series points at the one it went
 * into and is resolved to it.
 */
#include "victim/victim_int.h"
#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[WARD_SERIES_NSTATUS] = {"unidentified", "identified",
                                                              "safeguarded"};

const char *ward_series_status_name(ward_series_status st)
{
    return (unsigned)st < WARD_SERIES_NSTATUS ? status_names[st] : "?";
}

int ward_series_status_parse(const char *name)
{
    for (int i = 0; name && i < WARD_SERIES_NSTATUS; i++)
        if (!strcmp(name, status_names[i]))
            return i;
    return -1;
}

/* ---- shared helpers ------------------------------------------------------ */

ward_status vt_begin(ward_store *s, ward_error *err)
{
    if (s->readonly)
        return err_fail(err, WARD_EINVAL, "%s: store is open read-only", s->path);
    return wst_exec(s, "BEGIN IMMEDIATE", err);
}

ward_status vt_end(ward_store *s, ward_status rc, ward_error *err)
{
    if (rc == WARD_OK)
        rc = wst_exec(s, "COMMIT", err);
    if (rc && !wsql_get_autocommit(s->db))
        wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

void vt_bind_opt(wsql_stmt *st, int i, const char *v)
{
    if (v && *v)
        wsql_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        wsql_bind_null(st, i);
}

void vt_copy(char *dst, size_t cap, wsql_stmt *st, int i)
{
    const char *v = vt_col(st, i);
    size_t n = strnlen(v, cap - 1);
    memcpy(dst, v, n);
    dst[n] = 0;
}

/* Run a statement with text parameters (NULL binds SQL NULL); no rows. */
static ward_status run(ward_store *s, const char *sql, int n, const char *const *v,
                       ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        if (v[i])
            wsql_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
        else
            wsql_bind_null(st, i + 1);
    int r = wsql_step(st);
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        rc = wst_sqlfail(s, err, r, sql);
    wsql_finalize(st);
    return rc;
}
#define RUN(s, sql, err, ...)                                                               \
    run(s, sql, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),        \
        (const char *const[]){__VA_ARGS__}, err)

static void id_text(int64_t id, char out[24]) { snprintf(out, 24, "%lld", (long long)id); }

ward_status vt_log(ward_store *s, int64_t series, const char *who, const char *action,
                   const char *detail, ward_error *err)
{
    char now[32], id[24];
    wst_now(now);
    id_text(series, id);
    return RUN(s,
               "INSERT INTO series_log(series_id, at, who, action, detail)"
               " VALUES (CAST(? AS INTEGER), ?, ?, ?, ?)",
               err, id, now, who && *who ? who : "unknown", action, detail ? detail : "");
}

/* The integer of the first column of the row `sql` gives for `key`;
 * WARD_ENOTFOUND without a row (err untouched). */
static ward_status find_int(ward_store *s, const char *sql, const char *key, int64_t *v,
                            ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_find_row(s, sql, key, &st, "reading series", err);
    if (rc)
        return rc;
    *v = wsql_column_int64(st, 0);
    wsql_finalize(st);
    return WARD_OK;
}

ward_status vt_series_id(ward_store *s, const char *name, int64_t *id, ward_error *err)
{
    if (!name || !*name)
        return err_fail(err, WARD_EINVAL, "a series name is required");
    ward_status rc = find_int(s, "SELECT id FROM series WHERE name = ?", name, id, err);
    if (rc == WARD_ENOTFOUND)
        rc = find_int(s, "SELECT series_id FROM series_names WHERE name = ?", name, id, err);
    if (rc == WARD_ENOTFOUND)
        return err_fail(err, WARD_ENOTFOUND, "no series '%s'", name);
    /* follow merges (a chain is short: each merge adds one step) */
    for (int hops = 0; rc == WARD_OK && hops < 64; hops++) {
        char key[24];
        int64_t into = 0;
        id_text(*id, key);
        rc = find_int(s, "SELECT coalesce(merged_into, 0) FROM series WHERE id = CAST(? AS INTEGER)",
                      key, &into, err);
        if (rc == WARD_ENOTFOUND)
            return err_fail(err, WARD_EINTERNAL, "series %s vanished", key);
        if (rc || !into)
            return rc;
        *id = into;
    }
    return rc ? rc : err_fail(err, WARD_EINTERNAL, "series '%s': merge loop", name);
}

ward_status vt_series_name(ward_store *s, int64_t id, char *out, size_t cap, ward_error *err)
{
    char key[24];
    wsql_stmt *st;
    id_text(id, key);
    ward_status rc = wst_find_row(s, "SELECT name FROM series WHERE id = CAST(? AS INTEGER)",
                                  key, &st, "reading series", err);
    if (rc == WARD_ENOTFOUND)
        return err_fail(err, WARD_ENOTFOUND, "no series %s", key);
    if (rc)
        return rc;
    vt_copy(out, cap, st, 0);
    wsql_finalize(st);
    return WARD_OK;
}

/* A name is free when neither a series nor a former name has it. */
static ward_status name_free(ward_store *s, const char *name, ward_error *err)
{
    if (!wst_valid_name(name))
        return err_fail(err, WARD_EINVAL,
                         "series name '%s': 1-200 bytes without control characters", name);
    int64_t id;
    ward_status rc = find_int(s, "SELECT id FROM series WHERE name = ?", name, &id, err);
    if (rc == WARD_ENOTFOUND)
        rc = find_int(s, "SELECT series_id FROM series_names WHERE name = ?", name, &id, err);
    if (rc == WARD_OK)
        return err_fail(err, WARD_EINVAL, "series name '%s' is taken", name);
    return rc == WARD_ENOTFOUND ? WARD_OK : rc;
}

static ward_status need(const char *what, const char *v, ward_error *err)
{
    return v && *v ? WARD_OK : err_fail(err, WARD_EINVAL, "%s is required", what);
}

/* ---- create, rename, merge, split -------------------------------------- */

ward_status ward_series_create(ward_store *s, const char *name, const char *team,
                               const char *contact, const char *who, ward_error *err)
{
    ward_status rc = need("the owning team (--team)", team, err);
    if (rc || (rc = vt_begin(s, err)))
        return rc;
    if ((rc = name_free(s, name, err)) == WARD_OK) {
        char now[32];
        wst_now(now);
        rc = RUN(s,
                 "INSERT INTO series(name, team, contact, created, created_by)"
                 " VALUES (?, ?, ?, ?, ?)",
                 err, name, team, contact ? contact : "", now, who ? who : "unknown");
    }
    int64_t id = 0;
    if (rc == WARD_OK && (rc = vt_series_id(s, name, &id, err)) == WARD_OK) {
        char detail[512];
        snprintf(detail, sizeof detail, "team %s%s%s", team, contact && *contact ? ", contact " : "",
                 contact && *contact ? contact : "");
        rc = vt_log(s, id, who, "created", detail, err);
    }
    return vt_end(s, rc, err);
}

ward_status ward_series_rename(ward_store *s, const char *name, const char *new_name,
                               const char *who, ward_error *err)
{
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t id = 0;
    char old[201], key[24];
    if ((rc = vt_series_id(s, name, &id, err)) == WARD_OK &&
        (rc = vt_series_name(s, id, old, sizeof old, err)) == WARD_OK &&
        (rc = name_free(s, new_name, err)) == WARD_OK) {
        id_text(id, key);
        rc = RUN(s, "INSERT INTO series_names(name, series_id) VALUES (?, CAST(? AS INTEGER))",
                 err, old, key);
        if (rc == WARD_OK)
            rc = RUN(s, "UPDATE series SET name = ? WHERE id = CAST(? AS INTEGER)", err, new_name,
                     key);
        char detail[512];
        snprintf(detail, sizeof detail, "'%s' -> '%s'", old, new_name);
        if (rc == WARD_OK)
            rc = vt_log(s, id, who, "renamed", detail, err);
    }
    return vt_end(s, rc, err);
}

static ward_status status_of(ward_store *s, int64_t id, int *st, ward_error *err)
{
    char key[24];
    wsql_stmt *q;
    id_text(id, key);
    ward_status rc = wst_find_row(s, "SELECT status FROM series WHERE id = CAST(? AS INTEGER)",
                                  key, &q, "reading series", err);
    if (rc)
        return rc == WARD_ENOTFOUND ? err_fail(err, WARD_EINTERNAL, "series %s vanished", key)
                                    : rc;
    *st = ward_series_status_parse(vt_col(q, 0));
    wsql_finalize(q);
    return WARD_OK;
}

ward_status ward_series_merge(ward_store *s, const char *into, const char *from,
                              const char *who, ward_error *err)
{
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t a = 0, b = 0;
    int sa = 0, sb = 0;
    char an[201], bn[201], ak[24], bk[24];
    if ((rc = vt_series_id(s, into, &a, err)) || (rc = vt_series_id(s, from, &b, err)))
        return vt_end(s, rc, err);
    if (a == b)
        return vt_end(s, err_fail(err, WARD_EINVAL, "'%s' and '%s' are the same series", into,
                                   from), err);
    id_text(a, ak), id_text(b, bk);
    if ((rc = vt_series_name(s, a, an, sizeof an, err)) ||
        (rc = vt_series_name(s, b, bn, sizeof bn, err)) || (rc = status_of(s, a, &sa, err)) ||
        (rc = status_of(s, b, &sb, err)))
        return vt_end(s, rc, err);
    rc = RUN(s,
             "UPDATE series_entries SET series_id = CAST(? AS INTEGER)"
             " WHERE series_id = CAST(? AS INTEGER)",
             err, ak, bk);
    if (rc == WARD_OK)
        rc = RUN(s,
                 "UPDATE sightings SET series_id = CAST(? AS INTEGER)"
                 " WHERE series_id = CAST(? AS INTEGER)",
                 err, ak, bk);
    if (rc == WARD_OK)
        rc = RUN(s,
                 "UPDATE series_names SET series_id = CAST(? AS INTEGER)"
                 " WHERE series_id = CAST(? AS INTEGER)",
                 err, ak, bk);
    if (rc == WARD_OK)
        rc = RUN(s, "UPDATE series SET merged_into = CAST(? AS INTEGER) WHERE id = CAST(? AS INTEGER)",
                 err, ak, bk);
    /* a merge never takes an identification back */
    if (rc == WARD_OK && sb > sa) {
        char now[32];
        wst_now(now);
        rc = RUN(s,
                 "UPDATE series SET status = ?, status_at = ?, status_by = ?"
                 " WHERE id = CAST(? AS INTEGER)",
                 err, ward_series_status_name((ward_series_status)sb), now,
                 who ? who : "unknown", ak);
    }
    char detail[512];
    snprintf(detail, sizeof detail, "'%s' merged into '%s'", bn, an);
    /* once, on the one that stays: a merged series' log is read with it */
    if (rc == WARD_OK)
        rc = vt_log(s, a, who, "merged", detail, err);
    return vt_end(s, rc, err);
}

/* WHERE clause matching an entry carrying any digest of h (?1 .. ?4). */
#define HASH_MATCH                                                                          \
    "((sha256 IS NOT NULL AND sha256 = ?1) OR (sha1 IS NOT NULL AND sha1 = ?2)"              \
    " OR (md5 IS NOT NULL AND md5 = ?3) OR (pdq IS NOT NULL AND pdq = ?4))"

static void bind_hash(wsql_stmt *st, const ward_victim_hash *h)
{
    /* "" never equals a stored digest: absent ones bind as a value no
     * digest has rather than NULL (a NULL comparison is never true either,
     * but PostgreSQL wants a type for it). */
    wsql_bind_text(st, 1, *h->sha256 ? h->sha256 : "-", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, *h->sha1 ? h->sha1 : "-", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 3, *h->md5 ? h->md5 : "-", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 4, *h->pdq ? h->pdq : "-", -1, SQLITE_TRANSIENT);
}

/* Series holding an entry with any digest of h: *series (0: none). */
static ward_status series_of_hash(ward_store *s, const ward_victim_hash *h, int64_t *series,
                                  ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(
        s, "SELECT series_id FROM series_entries WHERE " HASH_MATCH " ORDER BY id LIMIT 1", &st,
        err);
    if (rc)
        return rc;
    bind_hash(st, h);
    int r = wsql_step(st);
    *series = r == SQLITE_ROW ? wsql_column_int64(st, 0) : 0;
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, "reading series entries");
    wsql_finalize(st);
    return rc;
}

ward_status ward_series_split(ward_store *s, const char *from, const char *new_name,
                              const ward_victim_hash *hashes, size_t n, const char *who,
                              uint64_t *moved, ward_error *err)
{
    if (moved)
        *moved = 0;
    if (!n)
        return err_fail(err, WARD_EINVAL, "a split needs the hashes that leave the series");
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t a = 0, b = 0;
    wsql_stmt *st = NULL;
    char now[32], ak[24];
    wst_now(now);
    if ((rc = vt_series_id(s, from, &a, err)) || (rc = name_free(s, new_name, err)))
        return vt_end(s, rc, err);
    id_text(a, ak);
    rc = RUN(s,
             "INSERT INTO series(name, status, team, contact, created, created_by, status_at,"
             " status_by) SELECT ?, status, team, contact, ?, ?, status_at, status_by FROM series"
             " WHERE id = CAST(? AS INTEGER)",
             err, new_name, now, who ? who : "unknown", ak);
    if (rc == WARD_OK)
        rc = vt_series_id(s, new_name, &b, err);
    if (rc == WARD_OK)
        rc = wst_prepare(s,
                         "UPDATE series_entries SET series_id = ?6"
                         " WHERE series_id = ?5 AND " HASH_MATCH,
                         &st, err);
    for (size_t i = 0; rc == WARD_OK && i < n; i++) {
        bind_hash(st, &hashes[i]);
        wsql_bind_int64(st, 5, a);
        wsql_bind_int64(st, 6, b);
        int r = wsql_step(st);
        if (r != SQLITE_DONE)
            rc = wst_sqlfail(s, err, r, "moving series entries");
        else if (wsql_changes(s->db) == 0) {
            char key[128];
            vt_hash_key(&hashes[i], key, sizeof key);
            rc = err_fail(err, WARD_ENOTFOUND, "%s is not in series '%s'", key, from);
        } else if (moved)
            *moved += (uint64_t)wsql_changes(s->db);
        wsql_reset(st);
    }
    wsql_finalize(st);
    char detail[512];
    snprintf(detail, sizeof detail, "%zu hash(es) of '%s' split off as '%s'", n, from, new_name);
    if (rc == WARD_OK)
        rc = vt_log(s, a, who, "split", detail, err);
    if (rc == WARD_OK)
        rc = vt_log(s, b, who, "split", detail, err);
    return vt_end(s, rc, err);
}

/* ---- status, team, notes -------------------------------------------------- */

ward_status ward_series_set_status(ward_store *s, const char *name, ward_series_status status,
                                   const char *who, const char *note, ward_error *err)
{
    if ((unsigned)status >= WARD_SERIES_NSTATUS)
        return err_fail(err, WARD_EINVAL, "status: unidentified, identified or safeguarded");
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t id = 0;
    int old = 0;
    char key[24], now[32];
    wst_now(now);
    if ((rc = vt_series_id(s, name, &id, err)) == WARD_OK &&
        (rc = status_of(s, id, &old, err)) == WARD_OK) {
        id_text(id, key);
        rc = RUN(s,
                 "UPDATE series SET status = ?, status_at = ?, status_by = ?"
                 " WHERE id = CAST(? AS INTEGER)",
                 err, ward_series_status_name(status), now, who ? who : "unknown", key);
        char detail[512];
        snprintf(detail, sizeof detail, "%s -> %s%s%s",
                 ward_series_status_name((ward_series_status)old),
                 ward_series_status_name(status), note && *note ? ": " : "",
                 note && *note ? note : "");
        if (rc == WARD_OK)
            rc = vt_log(s, id, who, "status", detail, err);
    }
    return vt_end(s, rc, err);
}

ward_status ward_series_set_team(ward_store *s, const char *name, const char *team,
                                 const char *contact, const char *who, ward_error *err)
{
    if ((!team || !*team) && !contact)
        return err_fail(err, WARD_EINVAL, "give a team, a contact or both");
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t id = 0;
    char key[24];
    if ((rc = vt_series_id(s, name, &id, err)) == WARD_OK) {
        id_text(id, key);
        if (team && *team)
            rc = RUN(s, "UPDATE series SET team = ? WHERE id = CAST(? AS INTEGER)", err, team, key);
        if (rc == WARD_OK && contact)
            rc = RUN(s, "UPDATE series SET contact = ? WHERE id = CAST(? AS INTEGER)", err,
                     contact, key);
        char detail[512];
        snprintf(detail, sizeof detail, "%s%s%s%s", team && *team ? "team " : "",
                 team && *team ? team : "", contact ? " contact " : "", contact ? contact : "");
        if (rc == WARD_OK)
            rc = vt_log(s, id, who, "team", detail, err);
    }
    return vt_end(s, rc, err);
}

ward_status ward_series_note(ward_store *s, const char *name, const char *text,
                             const char *who, ward_error *err)
{
    ward_status rc = need("the note", text, err);
    if (rc || (rc = vt_begin(s, err)))
        return rc;
    int64_t id = 0;
    if ((rc = vt_series_id(s, name, &id, err)) == WARD_OK)
        rc = vt_log(s, id, who, "note", text, err);
    return vt_end(s, rc, err);
}

/* ---- entries ---------------------------------------------------------------- */

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return s[n] == 0;
}

static void lower_into(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[n] = 0;
}

ward_status ward_victim_hash_parse(const char *text, ward_victim_hash *h, ward_error *err)
{
    memset(h, 0, sizeof *h);
    static const struct { const char *prefix; size_t len; size_t off; } kinds[] = {
        {"sha256:", 64, offsetof(ward_victim_hash, sha256)},
        {"sha1:", 40, offsetof(ward_victim_hash, sha1)},
        {"md5:", 32, offsetof(ward_victim_hash, md5)},
        {"pdq:", 64, offsetof(ward_victim_hash, pdq)}};
    const char *t = text ? text : "";
    for (size_t k = 0; k < 4; k++) {
        size_t pl = strlen(kinds[k].prefix);
        const char *hex = strncmp(t, kinds[k].prefix, pl) == 0 ? t + pl : NULL;
        if (!hex && k == 0 && strlen(t) == 64)
            hex = t;   /* bare 64 digits: a SHA-256 */
        if (!hex && k == 1 && strlen(t) == 40)
            hex = t;
        if (!hex && k == 2 && strlen(t) == 32)
            hex = t;
        if (hex && strlen(hex) == kinds[k].len && is_hex(hex, kinds[k].len)) {
            lower_into((char *)h + kinds[k].off, hex, kinds[k].len);
            return WARD_OK;
        }
        if (hex && hex != t)
            break;
    }
    return err_fail(err, WARD_EINVAL,
                     "hash '%.80s': expected [sha256:|sha1:|md5:|pdq:]HEX of the right length",
                     t);
}

void vt_hash_key(const ward_victim_hash *h, char *out, size_t cap)
{
    if (*h->sha256)
        snprintf(out, cap, "sha256:%s", h->sha256);
    else if (*h->sha1)
        snprintf(out, cap, "sha1:%s", h->sha1);
    else if (*h->md5)
        snprintf(out, cap, "md5:%s", h->md5);
    else
        snprintf(out, cap, "pdq:%.64s", h->pdq);
}

ward_status vt_add_entry(ward_store *s, int64_t id, const char *sname,
                             const ward_victim_hash *h, const char *label, const char *who,
                             int *added, ward_error *err)
{
    int64_t other = 0;
    *added = 0;
    ward_status rc = series_of_hash(s, h, &other, err);
    if (rc || other == id)
        return rc;
    if (other) {
        char key[128], on[201] = "";
        vt_hash_key(h, key, sizeof key);
        (void)vt_series_name(s, other, on, sizeof on, NULL); /* "" if unreadable */
        return err_fail(err, WARD_EINVAL, "%s is in series '%s', not '%s': split or merge",
                         key, on, sname);
    }
    wsql_stmt *st;
    char now[32];
    wst_now(now);
    if ((rc = wst_prepare(s,
                          "INSERT INTO series_entries(series_id, sha256, sha1, md5, pdq, label,"
                          " added, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    vt_bind_opt(st, 2, h->sha256), vt_bind_opt(st, 3, h->sha1), vt_bind_opt(st, 4, h->md5);
    vt_bind_opt(st, 5, h->pdq);
    wsql_bind_text(st, 6, label ? label : "", -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 7, now, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 8, who ? who : "unknown", -1, SQLITE_TRANSIENT);
    int r = wsql_step(st);
    rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, "adding a series entry");
    wsql_finalize(st);
    *added = rc == WARD_OK;
    return rc;
}

ward_status ward_series_add(ward_store *s, const char *name, const ward_victim_hash *h,
                            const char *label, const char *who, int *added, ward_error *err)
{
    int dummy;
    if (!added)
        added = &dummy;
    *added = 0;
    if (!*h->sha256 && !*h->sha1 && !*h->md5 && !*h->pdq)
        return err_fail(err, WARD_EINVAL, "no hash to add");
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t id = 0;
    char sname[201];
    if ((rc = vt_series_id(s, name, &id, err)) == WARD_OK &&
        (rc = vt_series_name(s, id, sname, sizeof sname, err)) == WARD_OK &&
        (rc = vt_add_entry(s, id, sname, h, label, who, added, err)) == WARD_OK && *added) {
        char key[128];
        vt_hash_key(h, key, sizeof key);
        rc = vt_log(s, id, who, "added", key, err);
    }
    return vt_end(s, rc, err);
}

typedef struct from_store {
    ward_victim_hash *v;
    size_t n, cap;
    int nomem;
} from_store;

static int keep_hash(void *ctx, wsql_stmt *st)
{
    from_store *f = ctx;
    ward_victim_hash *v = wst_grow(f->v, &f->cap, f->n, sizeof *v);
    if (!v)
        return f->nomem = 1;
    f->v = v;
    ward_victim_hash *h = &v[f->n++];
    memset(h, 0, sizeof *h);
    static const size_t len[4] = {32, 20, 16, 32};
    char *dst[4] = {h->sha256, h->sha1, h->md5, h->pdq};
    for (int i = 0; i < 4; i++) {
        const void *b = wst_blob(st, i, len[i]);
        if (b)
            ward_hex(b, len[i], dst[i]);
    }
    return 0;
}

ward_status ward_series_add_from_store(ward_store *s, const char *name, const char *who,
                                       uint64_t *added, ward_error *err)
{
    *added = 0;
    ward_status rc = vt_begin(s, err);
    if (rc)
        return rc;
    int64_t id = 0;
    char sname[201];
    from_store f = {0};
    wsql_stmt *st = NULL;
    if ((rc = vt_series_id(s, name, &id, err)) == WARD_OK &&
        (rc = vt_series_name(s, id, sname, sizeof sname, err)) == WARD_OK &&
        (rc = wst_prepare(s,
                          "SELECT sha256, sha1, md5, pdq FROM entries WHERE removed_id IS NULL"
                          " AND series IS NOT NULL AND (lower(series) = lower(?1) OR"
                          " lower(series) IN (SELECT lower(name) FROM series_names"
                          " WHERE series_id = ?2)) ORDER BY id",
                          &st, err)) == WARD_OK) {
        wsql_bind_text(st, 1, sname, -1, SQLITE_TRANSIENT);
        wsql_bind_int64(st, 2, id);
        rc = wst_each_row(s, st, keep_hash, &f, "reading store entries", err);
        if (rc == WARD_OK && f.nomem)
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == WARD_OK && i < f.n; i++) {
        int a = 0;
        rc = vt_add_entry(s, id, sname, &f.v[i], "from the store", who, &a, err);
        *added += (uint64_t)a;
    }
    free(f.v);
    char detail[64];
    snprintf(detail, sizeof detail, "%llu entries from the store's lists",
             (unsigned long long)*added);
    if (rc == WARD_OK && *added)
        rc = vt_log(s, id, who, "added", detail, err);
    return vt_end(s, rc, err);
}

/* ---- reading ---------------------------------------------------------------- */

#define SERIES_COLS                                                                         \
    "s.id, s.name, s.status, s.team, s.contact, s.created, s.created_by, s.status_at,"      \
    " s.status_by, (SELECT count(*) FROM series_entries e WHERE e.series_id = s.id),"       \
    " (SELECT count(*) FROM sightings g WHERE g.series_id = s.id)"

void vt_series_head(wsql_stmt *st, ward_series *o)
{
    memset(o, 0, sizeof *o);
    o->id = wsql_column_int64(st, 0);
    vt_copy(o->name, sizeof o->name, st, 1);
    int k = ward_series_status_parse(vt_col(st, 2));
    o->status = k < 0 ? WARD_SERIES_UNIDENTIFIED : (ward_series_status)k;
    vt_copy(o->team, sizeof o->team, st, 3);
    vt_copy(o->contact, sizeof o->contact, st, 4);
}

static void series_row(wsql_stmt *st, ward_series *o)
{
    vt_series_head(st, o);
    vt_copy(o->created, sizeof o->created, st, 5);
    vt_copy(o->created_by, sizeof o->created_by, st, 6);
    vt_copy(o->status_at, sizeof o->status_at, st, 7);
    vt_copy(o->status_by, sizeof o->status_by, st, 8);
    o->entries = (uint64_t)wsql_column_int64(st, 9);
    o->sightings = (uint64_t)wsql_column_int64(st, 10);
}

ward_status ward_series_get(ward_store *s, const char *name, ward_series *out,
                            ward_error *err)
{
    int64_t id = 0;
    ward_status rc = vt_series_id(s, name, &id, err);
    if (rc)
        return rc;
    char key[24];
    wsql_stmt *st;
    id_text(id, key);
    rc = wst_find_row(s, "SELECT " SERIES_COLS " FROM series s WHERE s.id = CAST(? AS INTEGER)",
                      key, &st, "reading series", err);
    if (rc == WARD_ENOTFOUND)
        return err_fail(err, WARD_ENOTFOUND, "no series '%s'", name);
    if (rc)
        return rc;
    series_row(st, out);
    wsql_finalize(st);
    return WARD_OK;
}

typedef struct each_ctx {
    ward_series_cb cb;
    void *ctx;
} each_ctx;

static int each_row(void *ctx, wsql_stmt *st)
{
    each_ctx *e = ctx;
    ward_series sr;
    series_row(st, &sr);
    return e->cb(e->ctx, &sr);
}

ward_status ward_series_each(ward_store *s, ward_series_cb cb, void *ctx, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(
        s, "SELECT " SERIES_COLS " FROM series s WHERE s.merged_into IS NULL ORDER BY s.name, s.id",
        &st, err);
    each_ctx e = {cb, ctx};
    return rc ? rc : wst_each_row(s, st, each_row, &e, "reading series", err);
}

typedef struct entry_ctx {
    ward_series_entry_cb cb;
    void *ctx;
} entry_ctx;

static int entry_row(void *ctx, wsql_stmt *st)
{
    entry_ctx *e = ctx;
    ward_victim_hash h;
    memset(&h, 0, sizeof h);
    vt_copy(h.sha256, sizeof h.sha256, st, 0);
    vt_copy(h.sha1, sizeof h.sha1, st, 1);
    vt_copy(h.md5, sizeof h.md5, st, 2);
    vt_copy(h.pdq, sizeof h.pdq, st, 3);
    return e->cb(e->ctx, &h, vt_col(st, 4), vt_col(st, 5), vt_col(st, 6));
}

ward_status ward_series_entries(ward_store *s, const char *name, ward_series_entry_cb cb,
                                void *ctx, ward_error *err)
{
    int64_t id = 0;
    wsql_stmt *st;
    ward_status rc = vt_series_id(s, name, &id, err);
    if (rc || (rc = wst_prepare(s,
                                "SELECT sha256, sha1, md5, pdq, label, added, added_by"
                                " FROM series_entries WHERE series_id = ? ORDER BY id",
                                &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    entry_ctx e = {cb, ctx};
    return wst_each_row(s, st, entry_row, &e, "reading series entries", err);
}

typedef struct log_ctx {
    ward_series_log_cb cb;
    void *ctx;
} log_ctx;

static int log_row(void *ctx, wsql_stmt *st)
{
    log_ctx *l = ctx;
    return l->cb(l->ctx, vt_col(st, 0), vt_col(st, 1), vt_col(st, 2), vt_col(st, 3));
}

ward_status ward_series_log(ward_store *s, const char *name, ward_series_log_cb cb, void *ctx,
                            ward_error *err)
{
    int64_t id = 0;
    wsql_stmt *st;
    ward_status rc = vt_series_id(s, name, &id, err);
    /* a merged series' log comes with the one it went into */
    if (rc || (rc = wst_prepare(s,
                                "SELECT at, who, action, detail FROM series_log WHERE series_id = ?1"
                                " OR series_id IN (SELECT id FROM series WHERE merged_into = ?1)"
                                " ORDER BY id",
                                &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    log_ctx l = {cb, ctx};
    return wst_each_row(s, st, log_row, &l, "reading the series log", err);
}

typedef struct seen_ctx {
    ward_series_seen_cb cb;
    void *ctx;
} seen_ctx;

static int seen_row(void *ctx, wsql_stmt *st)
{
    seen_ctx *c = ctx;
    return c->cb(c->ctx, vt_col(st, 0), vt_col(st, 1), vt_col(st, 2), vt_col(st, 6),
                 (uint64_t)wsql_column_int64(st, 3), vt_col(st, 4), vt_col(st, 5));
}

ward_status ward_series_seen(ward_store *s, const char *name, ward_series_seen_cb cb,
                             void *ctx, ward_error *err)
{
    int64_t id = 0;
    wsql_stmt *st;
    ward_status rc = vt_series_id(s, name, &id, err);
    if (rc || (rc = wst_prepare(s,
                                "SELECT unit, case_ref, exhibit, count(*), min(at), max(at),"
                                " (SELECT g2.contact FROM sightings g2 WHERE g2.series_id = ?1"
                                " AND g2.unit = g.unit ORDER BY g2.id DESC LIMIT 1)"
                                " FROM sightings g WHERE series_id = ?1 GROUP BY unit, case_ref,"
                                " exhibit ORDER BY min(at), unit, case_ref, exhibit",
                                &st, err)))
        return rc;
    wsql_bind_int64(st, 1, id);
    seen_ctx c = {cb, ctx};
    return wst_each_row(s, st, seen_row, &c, "reading sightings", err);
}
