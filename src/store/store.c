/*
 * Opening a store, transactions, revision, category schemes and lists; and
 * the query helpers (find a row, walk or keep rows) the store files share.
 */
#include "store/store_int.h"
#include "ward/migrate.h"
#include "util/error.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS WARD_STORE_WAIT_MS
/* Page cache per connection (KiB). Imports raise it (WST_IMPORT_CACHE_KIB). */
#define CACHE_KIB WST_CACHE_KIB

ward_status wst_sqlfail(ward_store *s, ward_error *err, int rc, const char *what)
{
    const char *msg = s && s->db ? wsql_errmsg(s->db) : sqlite3_errstr(rc);
    const char *path = s && s->path ? s->path : "ward.db";
    ward_status st;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_fail(err, WARD_EBUSY,
                         "%s: the store is busy: another process held its write lock for "
                         "over %g s (%s: %s); nothing was changed, retry", path,
                         (s && s->wait_ms ? s->wait_ms : BUSY_TIMEOUT_MS) / 1000.0, what, msg);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        st = WARD_EFORMAT;
        break;
    case SQLITE_NOMEM:
        st = WARD_ENOMEM;
        break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        st = WARD_EIO;
        break;
    case SQLITE_CONSTRAINT:
        st = WARD_EINVAL;
        break;
    default:
        st = WARD_EINTERNAL;
    }
    err_fail(err, st, "%s: %s: %s", path, what, msg);
    if (err && st == WARD_EIO)
        err->sys_errno = s && s->db && wsql_sqlite(s->db) ? sqlite3_system_errno(wsql_sqlite(s->db)) : 0;
    return st;
}

ward_status wst_exec(ward_store *s, const char *sql, ward_error *err)
{
    int rc = wsql_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        char what[64];
        snprintf(what, sizeof what, "%.40s%s", sql, strlen(sql) > 40 ? "..." : "");
        return wst_sqlfail(s, err, rc, what);
    }
    return WARD_OK;
}

ward_status wst_prepare(ward_store *s, const char *sql, wsql_stmt **st,
                        ward_error *err)
{
    int rc = wsql_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return wst_sqlfail(s, err, rc, "prepare");
    }
    return WARD_OK;
}

void wst_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ts.tv_nsec / 1000000));
}

ward_status wst_begin(ward_store *s, int write, ward_error *err)
{
    if (s->in_tx)
        return err_fail(err, WARD_EINTERNAL, "nested store transaction");
    if (write && s->readonly)
        return err_fail(err, WARD_EINVAL, "%s: store is open read-only", s->path);
    ward_status rc = wst_exec(s, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
    if (rc)
        return rc;
    s->in_tx = 1;
    s->tx_write = write;
    return WARD_OK;
}

ward_status wst_commit(ward_store *s, ward_error *err)
{
    ward_status rc = WARD_OK;
    if (s->tx_write)
        rc = wst_exec(s,
                      "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                      "WHERE key = 'revision'",
                      err);
    if (rc == WARD_OK)
        rc = wst_exec(s, "COMMIT", err);
    if (rc) {
        wst_rollback(s);
        return rc;
    }
    s->in_tx = 0;
    return WARD_OK;
}

void wst_rollback(ward_store *s)
{
    if (!wsql_get_autocommit(s->db))
        wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = 0;
}


ward_status wst_query_int(ward_store *s, const char *sql, int64_t *v, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    int r = wsql_step(st);
    if (r == SQLITE_ROW)
        *v = wsql_column_int64(st, 0);
    else
        rc = wst_sqlfail(s, err, r, sql);
    wsql_finalize(st);
    return rc;
}

ward_status wst_find_row(ward_store *s, const char *sql, const char *key,
                         wsql_stmt **st, const char *what, ward_error *err)
{
    ward_status rc = wst_prepare(s, sql, st, err);
    if (rc)
        return rc;
    wsql_bind_text(*st, 1, key, -1, SQLITE_STATIC);
    int r = wsql_step(*st);
    if (r == SQLITE_ROW)
        return WARD_OK;
    rc = r == SQLITE_DONE ? WARD_ENOTFOUND : wst_sqlfail(s, err, r, what);
    wsql_finalize(*st);
    *st = NULL;
    return rc;
}

ward_status wst_each_row(ward_store *s, wsql_stmt *st, wst_row_fn row, void *ctx,
                         const char *what, ward_error *err)
{
    int r;
    while ((r = wsql_step(st)) == SQLITE_ROW)
        if (row(ctx, st)) {
            r = SQLITE_DONE;
            break;
        }
    /* The message is read from the connection before finalize touches it. */
    ward_status rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, what);
    wsql_finalize(st);
    return rc;
}

#define STR_(x) #x
#define STR(x) STR_(x)

const char *wst_page_limit(const ward_store *s)
{
    return wst_pg(s) ? " LIMIT " STR(WST_PAGE_ROWS) : "";
}

ward_status wst_each_page(ward_store *s, wsql_stmt *st, int after, wst_row_fn row, void *ctx,
                          const char *what, ward_error *err)
{
    ward_status rc = WARD_OK;
    wsql_int64 last = 0; /* ids start at 1 */
    for (;;) {
        wsql_bind_int64(st, after, last);
        int r, stop = 0;
        uint64_t n = 0;
        while ((r = wsql_step(st)) == SQLITE_ROW) {
            n++;
            last = wsql_column_int64(st, 0);
            if (row(ctx, st)) {
                stop = 1;
                break;
            }
        }
        if (!stop && r != SQLITE_DONE) {
            rc = wst_sqlfail(s, err, r, what);
            break;
        }
        wsql_reset(st);
        if (stop || !wst_pg(s) || n < WST_PAGE_ROWS)
            break;
    }
    wsql_finalize(st);
    return rc;
}

void *wst_grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? 2 * *cap : 8;
    void *p = realloc(v, nc * size);
    if (p)
        *cap = nc;
    return p;
}

typedef struct keep {
    wst_rows *rows;
    wst_fill_fn fill;
    void *ctx;
    int nomem;
} keep;

static int keep_row(void *ctx, wsql_stmt *st)
{
    keep *k = ctx;
    wst_rows *r = k->rows;
    void *v = wst_grow(r->v, &r->cap, r->n, r->size);
    if (!v)
        return k->nomem = 1;
    r->v = v;
    void *elem = (char *)v + r->n * r->size;
    memset(elem, 0, r->size);
    if (k->fill(k->ctx, st, elem))
        return k->nomem = 1;
    r->n++;
    return 0;
}

ward_status wst_keep_rows(ward_store *s, wsql_stmt *st, wst_rows *rows, wst_fill_fn fill,
                          void *ctx, const char *what, ward_error *err)
{
    keep k = {rows, fill, ctx, 0};
    ward_status rc = wst_each_row(s, st, keep_row, &k, what, err);
    return rc == WARD_OK && k.nomem ? err_fail(err, WARD_ENOMEM, "out of memory") : rc;
}

/* Where the store lives (wsql_resolve: DATADIR/store.url, the caller's
 * store_url, else DATADIR/ward.db); s->path names it in messages. On SQLite, create a new
 * file ourselves so that it is private (0600): SQLite gives its -wal and
 * -shm files the same mode. Then connect. */
static ward_status connect_db(ward_store *s, const char *datadir, const char *store_url,
                              ward_error *err)
{
    wsql_target t;
    ward_status rc = wsql_resolve(datadir, store_url, "store", "ward.db", &t, err);
    if (rc)
        return rc;
    if (!(s->path = strdup(t.display)))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    if (t.backend == WSQL_SQLITE && !s->readonly && (rc = wsql_create_private(s->path, err)))
        return rc;
    int r = wsql_open(&t, s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, NULL,
                      &s->db);
    if (r != SQLITE_OK)
        return wst_sqlfail(s, err, r, "open");
    wsql_extended_result_codes(s->db, 1);
    wsql_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    return WARD_OK;
}

/* The wait is applied to the connection at once (SQLite's busy timeout,
 * PostgreSQL's lock_timeout, which also bounds the advisory lock that
 * stands for BEGIN IMMEDIATE there) and kept for the busy message. */
ward_status ward_store_set_wait(ward_store *s, double seconds, ward_error *err)
{
    if (!s || !s->db || !(seconds > 0) || seconds > 86400)
        return err_fail(err, WARD_EINVAL, "ward_store_set_wait: bad argument");
    int ms = (int)(seconds * 1000 + 0.5);
    s->wait_ms = ms > 0 ? ms : 1;
    if (wsql_busy_timeout(s->db, s->wait_ms) != SQLITE_OK)
        return wst_sqlfail(s, err, wsql_errcode(s->db), "set the lock wait");
    return WARD_OK;
}

/* Identify the file before changing anything in it: refuse other SQLite
 * databases and stores of a newer schema. *objects: schema objects in it
 * (0 for a new file). */
static ward_status identify(ward_store *s, int64_t *objects, ward_error *err)
{
    int64_t version = 0, appid = 0;
    ward_status rc;
    if ((rc = wst_query_int(s, "PRAGMA user_version", &version, err)) ||
        (rc = wst_query_int(s, "PRAGMA application_id", &appid, err)) ||
        (rc = wst_query_int(s,
                            wst_pg(s) ? "SELECT count(*) FROM sqlite_schema WHERE name NOT IN"
                                        " ('wsql_meta', 'wsql_meta_pkey')"
                                      : "SELECT count(*) FROM sqlite_schema",
                            objects, err)))
        return rc;
    if (version == 0 && *objects > 0)
        return err_fail(err, WARD_EFORMAT,
                         "%s: not a ward store (an SQLite database with other tables)",
                         s->path);
    if (version > 0 && appid != WST_APPLICATION_ID)
        return err_fail(err, WARD_EFORMAT, "%s: not a ward store (application id %lld)",
                         s->path, (long long)appid);
    if (version > wst_schema_latest())
        return err_fail(err, WARD_EUNSUPPORTED,
                         "%s: schema version %lld is newer than this ward (%s) supports "
                         "(%d); upgrade ward to open it",
                         s->path, (long long)version, WARD_VERSION_STRING,
                         wst_schema_latest());
    return WARD_OK;
}

/* WAL: readers never block the writer; an interrupted write transaction is
 * simply not in the log. synchronous=NORMAL in WAL keeps the database
 * consistent on power loss (a commit may be lost, never half-applied). The
 * log is truncated after checkpoints so a large import does not leave a
 * large file. */
static ward_status use_wal(ward_store *s, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, "PRAGMA journal_mode = WAL", &st, err);
    if (rc)
        return rc;
    int r = wsql_step(st);
    if (r != SQLITE_ROW)
        rc = wst_sqlfail(s, err, r, "journal_mode");
    else if (strcmp(wst_text(st, 0), "wal") != 0)
        rc = err_fail(err, WARD_EIO, "%s: cannot switch to WAL mode", s->path);
    wsql_finalize(st);
    if (rc)
        return rc;
    return wst_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864;",
                    err);
}

/* Connection settings. A new database gets 16 KiB pages: shallower digest
 * indexes, and imports about a quarter faster than with 4 KiB
 * (bench_import). Only an empty file takes it; WAL mode fixes it after. */
static ward_status configure(ward_store *s, int64_t objects, ward_error *err)
{
    if (wst_pg(s)) /* foreign keys, caches, durability: the server's own */
        return WARD_OK;
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "%sPRAGMA foreign_keys = ON; PRAGMA cache_size = -%d; "
             "PRAGMA temp_store = FILE;",
             objects == 0 && !s->readonly ? "PRAGMA page_size = 16384; " : "", CACHE_KIB);
    ward_status rc = wst_exec(s, pragmas, err);
    if (rc || s->readonly)
        return rc;
    return use_wal(s, err);
}

ward_status ward_store_open(const char *datadir, const char *store_url, unsigned flags,
                            ward_store **out, ward_error *err)
{
    err_clear(err);
    if (!datadir || !*datadir || !out)
        return err_fail(err, WARD_EINVAL, "ward_store_open: no data directory");
    *out = NULL;
    int readonly = (flags & WARD_STORE_READONLY) != 0;
    ward_status rc;
    if (!readonly && (rc = path_mkdirs(datadir, err)))
        return rc;

    ward_store *s = calloc(1, sizeof *s);
    if (!s)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    s->readonly = readonly;
    s->import_cache_kib = WST_IMPORT_CACHE_KIB;
    int64_t objects = 0;
    if ((rc = connect_db(s, datadir, store_url, err)) || (rc = identify(s, &objects, err)) ||
        (rc = configure(s, objects, err)) || (rc = wst_migrate(s, wst_schema_latest(), err))) {
        ward_store_close(s);
        return rc;
    }
    *out = s;
    return WARD_OK;
}

const char *ward_store_where(const ward_store *s) { return s ? s->path : NULL; }

ward_status ward_store_init(const char *datadir, const char *store_url, const char *url,
                            ward_error *err)
{
    err_clear(err);
    if (!datadir || !*datadir)
        return err_fail(err, WARD_EINVAL, "ward_store_init: no data directory");
    if (url && !wsql_is_pg_url(url))
        return err_fail(err, WARD_EINVAL, "store \"%s\": expected postgresql://...", url);
    ward_status rc = path_mkdirs(datadir, err);
    if (rc)
        return rc;
    int wrote = 0;
    if (url) {
        char path[4096], old[4096] = "";
        struct stat st;
        snprintf(path, sizeof path, "%s/ward.db", datadir);
        if (stat(path, &st) == 0)
            return err_fail(err, WARD_EINVAL,
                             "%s has a store of its own (ward.db); pointing it at another "
                             "would hide it",
                             datadir);
        snprintf(path, sizeof path, "%s/store.url", datadir);
        FILE *f = fopen(path, "re");
        if (f) {
            if (!fgets(old, sizeof old, f))
                old[0] = 0;
            fclose(f);
            old[strcspn(old, "\r\n")] = 0;
        }
        if (old[0] && strcmp(old, url) != 0)
            return err_fail(err, WARD_EINVAL,
                             "%s already names another store; remove it first", path);
        if (!old[0] && (rc = ward_store_use(datadir, url, err)))
            return rc;
        wrote = !old[0];
    }
    ward_store *s = NULL;
    rc = ward_store_open(datadir, store_url, 0, &s, err);
    ward_store_close(s);
    if (rc && wrote) { /* a mistyped URL leaves the directory as it was */
        char path[4096];
        snprintf(path, sizeof path, "%s/store.url", datadir);
        unlink(path);
    }
    return rc;
}

ward_status ward_store_exists(const char *datadir, const char *store_url, int *exists,
                              ward_error *err)
{
    if (!datadir || !*datadir || !exists)
        return err_fail(err, WARD_EINVAL, "ward_store_exists: bad argument");
    *exists = 0;
    wsql_target t;
    ward_status rc = wsql_resolve(datadir, store_url, "store", "ward.db", &t, err);
    if (rc)
        return rc;
    if (t.backend == WSQL_SQLITE) {
        struct stat st;
        *exists = stat(t.sqlite_path, &st) == 0;
        return WARD_OK;
    }
    ward_store probe = {.path = t.display, .readonly = 1};
    int r = wsql_open(&t, SQLITE_OPEN_READONLY, NULL, &probe.db);
    int64_t version = 0;
    if (r == SQLITE_NOTFOUND) { /* no schema: nothing stored there yet */
        wsql_close(probe.db);
        return WARD_OK;
    }
    rc = r != SQLITE_OK ? wst_sqlfail(&probe, err, r, "open")
                        : wst_query_int(&probe, "PRAGMA user_version", &version, err);
    wsql_close(probe.db);
    *exists = rc == WARD_OK && version > 0;
    return rc;
}

void ward_store_close(ward_store *s)
{
    if (!s)
        return;
    if (s->db) {
        if (s->in_tx)
            wst_rollback(s);
        for (int k = 0; k < 4; k++)
            for (int r = 0; r < 2; r++)
                wsql_finalize(s->lookup[k][r]);
        wsql_finalize(s->get_by_id);
    }
    wsql_close(s->db);
    free(s->path);
    free(s);
}

ward_status ward_store_revision(ward_store *s, uint64_t *revision, ward_error *err)
{
    if (!s || !revision)
        return err_fail(err, WARD_EINVAL, "ward_store_revision: bad argument");
    int64_t v = 0;
    ward_status rc =
        wst_query_int(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'revision'",
                      &v, err);
    if (rc == WARD_OK)
        *revision = (uint64_t)v;
    return rc;
}

/* Runs one PRAGMA (or check query); every row that is not "ok" is a problem. */
static ward_status check_pragma(ward_store *s, const char *sql,
                                void (*report)(void *ctx, const char *problem), void *ctx,
                                uint64_t *problems, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    int r;
    while ((r = wsql_step(st)) == SQLITE_ROW) {
        char line[512] = "";
        size_t n = 0;
        for (int c = 0; c < wsql_column_count(st) && n < sizeof line; c++) {
            const char *v = (const char *)wsql_column_text(st, c);
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", c ? " " : "", v ? v : "-");
        }
        if (strcmp(line, "ok") == 0)
            continue;
        ++*problems;
        if (report) report(ctx, line);
    }
    rc = r == SQLITE_DONE ? WARD_OK : wst_sqlfail(s, err, r, sql);
    wsql_finalize(st);
    return rc;
}

/*
 * PostgreSQL has no integrity_check: the server checksums and enforces the
 * foreign keys itself, so what is left to look at is what it cannot know.
 * Each query's rows are problems: indexes a failed CREATE INDEX left
 * invalid, constraints never validated, the meta rows every store has,
 * removals whose history row is not that entry's removal, and history rows
 * of entries that do not exist (history.entry_id has no foreign key).
 */
static const char *const PG_CHECKS[] = {
    "SELECT 'index ' || c.relname || ' is invalid' FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND NOT i.indisvalid ORDER BY c.relname",
    "SELECT 'constraint ' || c.conname || ' is not validated' FROM pg_constraint c"
    " JOIN pg_namespace n ON n.oid = c.connamespace"
    " WHERE n.nspname = current_schema() AND NOT c.convalidated ORDER BY c.conname",
    "SELECT 'meta: no ' || w.k FROM (SELECT 'store_id' AS k UNION ALL SELECT 'revision') w"
    " WHERE NOT EXISTS (SELECT 1 FROM meta m WHERE m.key = w.k) ORDER BY w.k",
    "SELECT 'entry ' || e.id || ': removed_id ' || e.removed_id || ' is not its removal'"
    " FROM entries e LEFT JOIN history h ON h.id = e.removed_id"
    " WHERE e.removed_id IS NOT NULL AND (h.id IS NULL OR h.entry_id <> e.id"
    " OR h.action <> 'remove') ORDER BY e.id",
    "SELECT 'history ' || h.id || ': no entry ' || h.entry_id FROM history h"
    " WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = h.entry_id) ORDER BY h.id",
};

static ward_status check_pg(ward_store *s, void (*report)(void *ctx, const char *problem),
                            void *ctx, uint64_t *problems, ward_error *err)
{
    ward_status rc = WARD_OK;
    for (size_t i = 0; i < sizeof PG_CHECKS / sizeof PG_CHECKS[0] && rc == WARD_OK; i++)
        rc = check_pragma(s, PG_CHECKS[i], report, ctx, problems, err);
    return rc;
}

ward_status ward_store_check(ward_store *s, void (*report)(void *ctx, const char *problem),
                             void *ctx, uint64_t *problems, ward_error *err)
{
    if (!s || !problems)
        return err_fail(err, WARD_EINVAL, "ward_store_check: bad argument");
    *problems = 0;
    if (wst_pg(s))
        return check_pg(s, report, ctx, problems, err);
    ward_status rc = check_pragma(s, "PRAGMA integrity_check", report, ctx, problems, err);
    if (rc == WARD_OK)
        rc = check_pragma(s, "PRAGMA foreign_key_check", report, ctx, problems, err);
    return rc;
}

ward_status ward_store_video_frames(ward_store *s, const char *list, const char *media_id,
                                    uint64_t *frames, ward_error *err)
{
    if (!s || !list || !media_id || !frames)
        return err_fail(err, WARD_EINVAL, "ward_store_video_frames: bad argument");
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
        "SELECT count(*) FROM entries e JOIN lists l ON l.id = e.list_id"
        " WHERE l.name = ?1 AND e.media_id = ?2 AND e.pdq IS NOT NULL"
        " AND e.removed_id IS NULL", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, list, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, media_id, -1, SQLITE_STATIC);
    int r = wsql_step(st);
    if (r == SQLITE_ROW)
        *frames = (uint64_t)wsql_column_int64(st, 0);
    else
        rc = wst_sqlfail(s, err, r, "count video frames");
    wsql_finalize(st);
    return rc;
}

/* ---- schemes, categories, lists ------------------------------------- */

int wst_valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 200)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* Step an INSERT and finalize it. A UNIQUE violation means the name is
 * taken: WARD_EINVAL with the message `taken`. */
static ward_status insert_step(ward_store *s, wsql_stmt *st, const char *taken,
                               const char *what, ward_error *err)
{
    int r = wsql_step(st);
    ward_status rc = WARD_OK;
    if ((r & 0xff) == SQLITE_CONSTRAINT)
        rc = err_fail(err, WARD_EINVAL, "%s", taken);
    else if (r != SQLITE_DONE)
        rc = wst_sqlfail(s, err, r, what);
    wsql_finalize(st);
    return rc;
}

/* Commit a write transaction that went well, else roll it back. */
static ward_status end_write(ward_store *s, ward_status rc, ward_error *err)
{
    if (rc) {
        wst_rollback(s);
        return rc;
    }
    return wst_commit(s, err);
}

ward_status ward_store_add_scheme(ward_store *s, const char *name,
                                  const char *description, ward_error *err)
{
    if (!s)
        return err_fail(err, WARD_EINVAL, "no store");
    if (!wst_valid_name(name))
        return err_fail(err, WARD_EINVAL,
                         "bad scheme name (1-200 printable characters)");
    ward_status rc = wst_begin(s, 1, err);
    if (rc)
        return rc;
    wsql_stmt *st;
    char now[32], taken[256];
    wst_now(now);
    snprintf(taken, sizeof taken, "scheme '%s' already exists", name);
    if ((rc = wst_prepare(s, "INSERT INTO schemes(name, description, created) "
                             "VALUES(?1, ?2, ?3)",
                          &st, err)) == WARD_OK) {
        wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, description ? description : "", -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, now, -1, SQLITE_STATIC);
        rc = insert_step(s, st, taken, "add scheme", err);
    }
    return end_write(s, rc, err);
}

ward_status wst_scheme(ward_store *s, const char *scheme, int64_t *id, char *name,
                       size_t cap, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_find_row(s, "SELECT id, name FROM schemes WHERE name = ?1", scheme,
                                  &st, "find scheme", err);
    if (rc == WARD_ENOTFOUND)
        return err_fail(err, WARD_ENOTFOUND, "no category scheme '%s'", scheme);
    if (rc)
        return rc;
    *id = wsql_column_int64(st, 0);
    if (name)
        snprintf(name, cap, "%s", wst_text(st, 1));
    wsql_finalize(st);
    return WARD_OK;
}

/* A category code: a valid name, and not the word for "no category". */
static int valid_code(const char *code)
{
    return wst_valid_name(code) && strcasecmp(code, "uncategorised") != 0 &&
           strcasecmp(code, "uncategorized") != 0;
}

static int valid_class(const char *klass)
{
    return klass && (!strcmp(klass, WARD_CLASS_ALERT) || !strcmp(klass, WARD_CLASS_IGNORABLE) ||
                     !strcmp(klass, WARD_CLASS_UNKNOWN));
}

ward_status ward_store_add_category(ward_store *s, const char *scheme,
                                    const char *code, const char *label,
                                    const char *klass, ward_error *err)
{
    if (!s || !scheme)
        return err_fail(err, WARD_EINVAL, "ward_store_add_category: bad argument");
    if (!valid_code(code))
        return err_fail(err, WARD_EINVAL,
                         "bad category code '%s' (1-200 printable characters; "
                         "'uncategorised' is reserved)",
                         code ? code : "");
    if (!valid_class(klass))
        return err_fail(err, WARD_EINVAL,
                         "bad category class '%s' (alert, ignorable or unknown)",
                         klass ? klass : "");
    ward_status rc = wst_begin(s, 1, err);
    if (rc)
        return rc;
    int64_t sid;
    wsql_stmt *st;
    char taken[256];
    snprintf(taken, sizeof taken, "scheme '%s' already has category '%s'", scheme, code);
    if ((rc = wst_scheme(s, scheme, &sid, NULL, 0, err)) == WARD_OK &&
        (rc = wst_prepare(s, "INSERT INTO categories(scheme_id, code, label, class) "
                             "VALUES(?1, ?2, ?3, ?4)",
                          &st, err)) == WARD_OK) {
        wsql_bind_int64(st, 1, sid);
        wsql_bind_text(st, 2, code, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, label && *label ? label : code, -1, SQLITE_STATIC);
        wsql_bind_text(st, 4, klass, -1, SQLITE_STATIC);
        rc = insert_step(s, st, taken, "add category", err);
    }
    return end_write(s, rc, err);
}

/* Callbacks of the listing functions, with their context: what wst_each_row
 * hands each row to. */
typedef struct walk {
    union {
        ward_category_cb category;
        ward_list_cb list;
        ward_import_cb import;
    } cb;
    void *ctx;
} walk;

static int category_row(void *ctx, wsql_stmt *st)
{
    const walk *w = ctx;
    return w->cb.category(w->ctx, wst_text(st, 0), wst_text(st, 1), wst_text(st, 2),
                          wst_text(st, 3));
}

ward_status ward_store_categories(ward_store *s, const char *scheme,
                                  ward_category_cb cb, void *ctx, ward_error *err)
{
    if (!s || !cb)
        return err_fail(err, WARD_EINVAL, "ward_store_categories: bad argument");
    int64_t id;
    ward_status rc;
    if (scheme && (rc = wst_scheme(s, scheme, &id, NULL, 0, err)))
        return rc;
    wsql_stmt *st;
    if ((rc = wst_prepare(s,
                          "SELECT s.name, c.code, c.label, c.class FROM categories c "
                          "JOIN schemes s ON s.id = c.scheme_id "
                          "WHERE CAST(?1 AS TEXT) IS NULL OR s.name = ?1 ORDER BY s.name, c.code",
                          &st, err)))
        return rc;
    if (scheme)
        wsql_bind_text(st, 1, scheme, -1, SQLITE_STATIC);
    walk w = {.cb.category = cb, .ctx = ctx};
    return wst_each_row(s, st, category_row, &w, "list categories", err);
}

ward_status wst_insert_list(ward_store *s, const char *name, const char *description,
                            int64_t scheme_id, ward_list_kind kind, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s,
                                 "INSERT INTO lists(name, description, scheme_id, kind, created) "
                                 "VALUES(?1, ?2, ?3, ?4, ?5)",
                                 &st, err);
    if (rc)
        return rc;
    char now[32], taken[256];
    wst_now(now);
    snprintf(taken, sizeof taken, "list '%s' already exists", name);
    wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, description ? description : "", -1, SQLITE_STATIC);
    wsql_bind_int64(st, 3, scheme_id);
    wsql_bind_text(st, 4, kind == WARD_LIST_KNOWN_GOOD ? "known-good" : "alert", -1,
                      SQLITE_STATIC);
    wsql_bind_text(st, 5, now, -1, SQLITE_STATIC);
    return insert_step(s, st, taken, "create list", err);
}

ward_status ward_store_create_list(ward_store *s, const char *name,
                                   const char *scheme, ward_list_kind kind,
                                   const char *description, ward_error *err)
{
    if (!s)
        return err_fail(err, WARD_EINVAL, "no store");
    if (!wst_valid_name(name))
        return err_fail(err, WARD_EINVAL, "bad list name (1-200 printable characters)");
    if (kind != WARD_LIST_ALERT && kind != WARD_LIST_KNOWN_GOOD)
        return err_fail(err, WARD_EINVAL, "bad list kind");
    ward_status rc = wst_begin(s, 1, err);
    if (rc)
        return rc;
    int64_t sid;
    if ((rc = wst_scheme(s, scheme ? scheme : WARD_SCHEME_PROJECTVIC, &sid, NULL, 0, err)) ==
        WARD_OK)
        rc = wst_insert_list(s, name, description, sid, kind, err);
    return end_write(s, rc, err);
}

/* Prepare `sql` (no parameters) and hand its rows to row(). */
static ward_status walk_sql(ward_store *s, const char *sql, wst_row_fn row, walk *w,
                            const char *what, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wst_prepare(s, sql, &st, err);
    return rc ? rc : wst_each_row(s, st, row, w, what, err);
}


static int list_row(void *ctx, wsql_stmt *st)
{
    const walk *w = ctx;
    ward_list_info li = {
        .name = wst_text(st, 0),
        .description = wst_text(st, 1),
        .scheme = wst_text(st, 2),
        .created = wst_text(st, 3),
        .kind = wst_list_kind(wst_text(st, 4)),
        .entries = (uint64_t)wsql_column_int64(st, 5),
        .removed = (uint64_t)wsql_column_int64(st, 6),
        .imports = (uint64_t)wsql_column_int64(st, 7),
    };
    return w->cb.list(w->ctx, &li);
}

ward_status ward_store_lists(ward_store *s, ward_list_cb cb, void *ctx, ward_error *err)
{
    if (!s || !cb)
        return err_fail(err, WARD_EINVAL, "ward_store_lists: bad argument");
    walk w = {.cb.list = cb, .ctx = ctx};
    return walk_sql(
        s,
        "SELECT l.name, l.description, s.name, l.created, l.kind,"
        " (SELECT count(*) FROM entries e WHERE e.list_id = l.id AND e.removed_id IS NULL),"
        " (SELECT count(*) FROM entries e WHERE e.list_id = l.id AND e.removed_id IS NOT NULL),"
        " (SELECT count(*) FROM imports i WHERE i.list_id = l.id AND i.status = 'ok') "
        "FROM lists l JOIN schemes s ON s.id = l.scheme_id ORDER BY l.name",
        list_row, &w, "list lists", err);
}

static int import_row(void *ctx, wsql_stmt *st)
{
    const walk *w = ctx;
    ward_import_info ii = {
        .id = (uint64_t)wsql_column_int64(st, 0),
        .list = wst_text(st, 1),
        .path = wst_text(st, 2),
        .file_sha256 = wst_text(st, 3),
        .format = wst_text(st, 4),
        .source_version = wst_text(st, 5),
        .started = wst_text(st, 6),
        .finished = wst_text(st, 7),
        .status = wst_text(st, 8),
        .message = wst_text(st, 9),
        .records = (uint64_t)wsql_column_int64(st, 10),
        .added = (uint64_t)wsql_column_int64(st, 11),
        .updated = (uint64_t)wsql_column_int64(st, 12),
        .duplicate = (uint64_t)wsql_column_int64(st, 13),
        .removed = (uint64_t)wsql_column_int64(st, 14),
        .bad = (uint64_t)wsql_column_int64(st, 15),
    };
    return w->cb.import(w->ctx, &ii);
}

ward_status ward_store_imports(ward_store *s, ward_import_cb cb, void *ctx,
                               ward_error *err)
{
    if (!s || !cb)
        return err_fail(err, WARD_EINVAL, "ward_store_imports: bad argument");
    walk w = {.cb.import = cb, .ctx = ctx};
    return walk_sql(s,
                    "SELECT id, list_name, path, file_sha256, format, source_version, started,"
                    " finished, status, message, records, added, updated, duplicate, removed,"
                    " bad FROM imports ORDER BY id",
                    import_row, &w, "list imports", err);
}
