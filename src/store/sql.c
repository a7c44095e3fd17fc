/*
 * wsql: one API over SQLite and PostgreSQL (see sql.h for the contract).
 * This file holds the dispatch, the SQLite side (a thin pass-through) and
 * the resolution of where a named store lives.
 */
#include "store/sql_int.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- where a store lives ---------------------------------------------- */

int wsql_is_pg_url(const char *url)
{
    return url && (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0);
}

/* Reads DATADIR/store.url: one line, the URL. Missing file: "" */
static ward_status read_store_url(const char *datadir, char *url, size_t cap, ward_error *err)
{
    char path[4096];
    url[0] = '\0';
    if (!datadir || snprintf(path, sizeof path, "%s/store.url", datadir) >= (int)sizeof path)
        return WARD_OK;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? WARD_OK : err_fail_errno(err, errno, "cannot read %s", path);
    if (!fgets(url, (int)cap, f))
        url[0] = '\0';
    fclose(f);
    url[strcspn(url, "\r\n")] = '\0';
    if (!wsql_is_pg_url(url) && strncmp(url, "sqlite:", 7) != 0)
        return err_fail(err, WARD_EFORMAT, "%s: expected postgresql://... or sqlite:DIR", path);
    return WARD_OK;
}

void wsql_url_display(const char *url, char *out, size_t cap)
{
    /* scheme://user@host... without ":password" before the '@' */
    const char *q = strchr(url, '?');
    size_t base = q ? (size_t)(q - url) : strlen(url);
    const char *at = memchr(url, '@', base), *scheme = strstr(url, "://");
    const char *colon =
        scheme && at && scheme < at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (colon)
        snprintf(out, cap, "%.*s%.*s", (int)(colon - url), url, (int)(url + base - at), at);
    else
        snprintf(out, cap, "%.*s", (int)base, url);
    /* and the query without password=... */
    char sep = '?';
    while (q && *q) {
        const char *p = q + 1, *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        size_t len = strlen(out);
        if (n > 0 && strncmp(p, "password=", 9) != 0 && len + n + 2 < cap) {
            out[len] = sep;
            memcpy(out + len + 1, p, n);
            out[len + 1 + n] = '\0';
            sep = '&';
        }
        q = amp;
    }
}

ward_status wsql_datadir_url(const char *datadir, char *url, size_t cap, ward_error *err)
{
    return read_store_url(datadir, url, cap, err);
}

/* Moves ward_prefix=... out of the URL's query (libpq refuses parameters
 * it does not know) and drops the password from the display form. */
static ward_status split_url(const char *url, wsql_target *t, char *prefix, size_t pcap,
                             int *per_datadir, ward_error *err)
{
    snprintf(prefix, pcap, "ward");
    *per_datadir = 0;
    const char *q = strchr(url, '?');
    size_t base = q ? (size_t)(q - url) : strlen(url);
    if (base >= sizeof t->conninfo)
        return err_fail(err, WARD_EINVAL, "store URL too long");
    memcpy(t->conninfo, url, base);
    t->conninfo[base] = '\0';
    char sep = '?';
    while (q && *q) {
        const char *p = q + 1, *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > 12 && strncmp(p, "ward_prefix=", 12) == 0) {
            if (n - 12 >= pcap || n == 12)
                return err_fail(err, WARD_EINVAL, "store URL: bad ward_prefix");
            memcpy(prefix, p + 12, n - 12);
            prefix[n - 12] = '\0';
        } else if (n == 18 && strncmp(p, "ward_per_datadir=1", 18) == 0) {
            *per_datadir = 1;
        } else if (n > 0) {
            size_t len = strlen(t->conninfo);
            if (len + n + 2 >= sizeof t->conninfo)
                return err_fail(err, WARD_EINVAL, "store URL too long");
            t->conninfo[len] = sep;
            memcpy(t->conninfo + len + 1, p, n);
            t->conninfo[len + 1 + n] = '\0';
            sep = '&';
        }
        q = amp;
    }
    for (const char *c = prefix; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
            return err_fail(err, WARD_EINVAL,
                             "store URL: ward_prefix may hold only a-z, 0-9 and _ (got \"%s\")",
                             prefix);
    wsql_url_display(url, t->display, sizeof t->display);
    return WARD_OK;
}

/* ?ward_per_datadir=1 (the CLI adds it for WARD_STORE_PER_DATADIR=1): each
 * data directory gets its own schemas on the one server ("d" + a hash of
 * its real path). The test suite runs every test against one PostgreSQL
 * this way; it also keeps several independent nodes apart on a shared
 * server. */
static void datadir_prefix(const char *datadir, char *prefix, size_t cap)
{
    /* a directory not created yet: its absolute path, as realpath will
     * give once it exists (what tests/e2e/wardtest.py computes too) */
    char *real = realpath(datadir, NULL), cwd[4096], abs[8192];
    const char *s = real ? real : datadir;
    if (!real && datadir[0] != '/' && getcwd(cwd, sizeof cwd)) {
        snprintf(abs, sizeof abs, "%s/%s", cwd, datadir);
        s = abs;
    }
    snprintf(prefix, cap, "d%016llx", (unsigned long long)wsql_fnv1a(s));
    free(real);
}

ward_status wsql_resolve(const char *datadir, const char *url, const char *name,
                         const char *file, wsql_target *t, ward_error *err)
{
    memset(t, 0, sizeof *t);
    /* DATADIR/store.url first: a data directory that has moved to a
     * server stays there whatever the caller's default says. */
    char fromfile[4096];
    ward_status rc = read_store_url(datadir, fromfile, sizeof fromfile, err);
    if (rc)
        return rc;
    if (fromfile[0])
        url = fromfile;
    if (url && *url && strcmp(url, "sqlite") != 0 && strncmp(url, "sqlite:", 7) != 0) {
        if (!wsql_is_pg_url(url))
            return err_fail(err, WARD_EINVAL,
                             "store \"%s\": expected postgresql://... or sqlite:DIR", url);
        char prefix[48];
        int per_datadir;
        rc = split_url(url, t, prefix, sizeof prefix, &per_datadir, err);
        if (rc)
            return rc;
        t->backend = WSQL_POSTGRES;
        if (per_datadir && datadir)
            datadir_prefix(datadir, prefix, sizeof prefix);
        snprintf(t->schema, sizeof t->schema, "%s_%s", prefix, name);
        return WARD_OK;
    }
    const char *dir = url && strncmp(url, "sqlite:", 7) == 0 && url[7] ? url + 7 : datadir;
    t->backend = WSQL_SQLITE;
    if (snprintf(t->sqlite_path, sizeof t->sqlite_path, "%s/%s", dir, file) >=
        (int)sizeof t->sqlite_path)
        return err_fail(err, WARD_EINVAL, "data directory path too long");
    snprintf(t->display, sizeof t->display, "%s", t->sqlite_path);
    return WARD_OK;
}

/* ---- connections -------------------------------------------------------- */

int wsql_pg_set_error(wsql *db, int code, const char *msg)
{
    free(db->errmsg);
    db->errmsg = strdup(msg ? msg : "");
    if (db->errmsg) { /* libpq messages end in a newline */
        size_t n = strlen(db->errmsg);
        while (n > 0 && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
            db->errmsg[--n] = '\0';
    }
    db->errcode = code;
    return code;
}

ward_status wsql_create_private(const char *path, ward_error *err)
{
    /* O_EXCL: a file that exists is never opened here. One that did not
     * exist cannot hold this process's locks, so closing it drops none. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? WARD_OK : err_fail_errno(err, errno, "cannot create %s", path);
    close(fd);
    return WARD_OK;
}

int wsql_open(const wsql_target *t, int flags, const char *vfs, wsql **out)
{
    wsql *db = calloc(1, sizeof *db);
    *out = db;
    if (!db)
        return SQLITE_NOMEM;
    db->backend = t->backend;
    if (t->backend == WSQL_SQLITE)
        return sqlite3_open_v2(t->sqlite_path, &db->lite, flags, vfs);
    return wsql_pg_open(db, t, flags);
}

int wsql_adopt_sqlite(sqlite3 *lite, wsql **out)
{
    wsql *db = calloc(1, sizeof *db);
    *out = db;
    if (!db) {
        sqlite3_close(lite);
        return SQLITE_NOMEM;
    }
    db->backend = WSQL_SQLITE;
    db->lite = lite;
    return SQLITE_OK;
}

int wsql_close(wsql *db)
{
    if (!db)
        return SQLITE_OK;
    int rc = SQLITE_OK;
    if (db->lite)
        rc = sqlite3_close(db->lite);
    if (rc != SQLITE_OK)
        return rc; /* statements still open: as SQLite, the caller's bug */
    wsql_pg_close(db);
    free(db->errmsg);
    free(db->schema);
    free(db);
    return SQLITE_OK;
}

wsql_backend wsql_backend_of(const wsql *db) { return db->backend; }
sqlite3 *wsql_sqlite(wsql *db) { return db->lite; }

const char *wsql_errmsg(wsql *db)
{
    if (!db)
        return "out of memory";
    if (db->lite || db->backend == WSQL_SQLITE)
        return db->lite ? sqlite3_errmsg(db->lite) : "out of memory";
    return db->errmsg ? db->errmsg : "not an error";
}

int wsql_errcode(wsql *db)
{
    return db->lite ? sqlite3_extended_errcode(db->lite) : db->errcode;
}

int wsql_changes(wsql *db) { return db->lite ? sqlite3_changes(db->lite) : db->changes; }

wsql_int64 wsql_last_insert_rowid(wsql *db)
{
    return db->lite ? sqlite3_last_insert_rowid(db->lite) : wsql_pg_last_insert_rowid(db);
}

int wsql_get_autocommit(wsql *db)
{
    if (db->lite)
        return sqlite3_get_autocommit(db->lite);
    return PQtransactionStatus(db->pg) == PQTRANS_IDLE;
}

int wsql_busy_timeout(wsql *db, int ms)
{
    if (db->lite)
        return sqlite3_busy_timeout(db->lite, ms);
    return wsql_pg_busy_timeout(db, ms);
}

int wsql_extended_result_codes(wsql *db, int onoff)
{
    return db->lite ? sqlite3_extended_result_codes(db->lite, onoff) : SQLITE_OK;
}

int wsql_exec(wsql *db, const char *sql, void *callback, void *arg, char **errmsg)
{
    (void)arg;
    if (errmsg)
        *errmsg = NULL;
    if (callback)
        return SQLITE_MISUSE;
    if (db->lite) {
        char *m = NULL;
        int rc = sqlite3_exec(db->lite, sql, NULL, NULL, errmsg ? &m : NULL);
        if (m) {
            *errmsg = strdup(m);
            sqlite3_free(m);
        }
        return rc;
    }
    return wsql_pg_exec(db, sql, errmsg);
}

void wsql_free(void *p) { free(p); }

/* ---- statements --------------------------------------------------------- */

int wsql_prepare_v2(wsql *db, const char *sql, int nbyte, wsql_stmt **out, const char **tail)
{
    *out = NULL;
    wsql_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return SQLITE_NOMEM;
    st->db = db;
    size_t n = nbyte < 0 ? strlen(sql) : (size_t)nbyte;
    int rc;
    if (db->lite) {
        rc = sqlite3_prepare_v2(db->lite, sql, (int)n, &st->lite, tail);
    } else {
        size_t one = wsql_statement_len(sql);
        if (one < n)
            n = one;
        if (tail)
            *tail = sql + n;
        rc = wsql_pg_prepare(db, sql, n, st);
    }
    if (rc != SQLITE_OK || (db->lite && !st->lite)) {
        /* as SQLite: an empty statement gives OK with no statement */
        if (db->lite)
            sqlite3_finalize(st->lite);
        else
            wsql_pg_finalize(st);
        free(st);
        return rc;
    }
    *out = st;
    return SQLITE_OK;
}

wsql *wsql_db_handle(wsql_stmt *st) { return st->db; }

static int bind_text_pg(wsql_stmt *st, int i, const char *v, int n, int binary, unsigned type)
{
    if (!v)
        return wsql_pg_bind(st, i, NULL, 0, 0, 0);
    return wsql_pg_bind(st, i, v, n < 0 ? (int)strlen(v) : n, binary, type);
}

int wsql_bind_int(wsql_stmt *st, int i, int v) { return wsql_bind_int64(st, i, v); }

int wsql_bind_int64(wsql_stmt *st, int i, wsql_int64 v)
{
    if (st->lite)
        return sqlite3_bind_int64(st->lite, i, v);
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    return bind_text_pg(st, i, s, -1, 0, 20 /* int8 */);
}

int wsql_bind_double(wsql_stmt *st, int i, double v)
{
    if (st->lite)
        return sqlite3_bind_double(st->lite, i, v);
    char s[40];
    snprintf(s, sizeof s, "%.17g", v);
    return bind_text_pg(st, i, s, -1, 0, 701 /* float8 */);
}

int wsql_bind_null(wsql_stmt *st, int i)
{
    return st->lite ? sqlite3_bind_null(st->lite, i) : wsql_pg_bind(st, i, NULL, 0, 0, 0);
}

int wsql_bind_text(wsql_stmt *st, int i, const char *v, int n, void (*destructor)(void *))
{
    if (st->lite)
        return sqlite3_bind_text(st->lite, i, v, n, destructor);
    return bind_text_pg(st, i, v, n, 0, 0 /* the server infers */);
}

int wsql_bind_blob(wsql_stmt *st, int i, const void *v, int n, void (*destructor)(void *))
{
    if (st->lite)
        return sqlite3_bind_blob(st->lite, i, v, n, destructor);
    if (!v)
        return wsql_pg_bind(st, i, NULL, 0, 0, 0);
    return wsql_pg_bind(st, i, v, n, 1, 17 /* bytea */);
}

int wsql_clear_bindings(wsql_stmt *st)
{
    if (st->lite)
        return sqlite3_clear_bindings(st->lite);
    for (int i = 1; i <= st->nparams; i++)
        wsql_pg_bind(st, i, NULL, 0, 0, 0);
    return SQLITE_OK;
}

int wsql_step(wsql_stmt *st) { return st->lite ? sqlite3_step(st->lite) : wsql_pg_step(st); }
int wsql_reset(wsql_stmt *st) { return st->lite ? sqlite3_reset(st->lite) : wsql_pg_reset(st); }

int wsql_finalize(wsql_stmt *st)
{
    if (!st)
        return SQLITE_OK;
    int rc = SQLITE_OK;
    if (st->lite)
        rc = sqlite3_finalize(st->lite);
    else
        wsql_pg_finalize(st);
    free(st);
    return rc;
}

/* ---- columns ------------------------------------------------------------ */

static int pg_has(wsql_stmt *st, int i)
{
    return st->res && st->row >= 0 && st->row < st->nrows && i >= 0 && i < PQnfields(st->res);
}

int wsql_column_count(wsql_stmt *st)
{
    if (st->lite)
        return sqlite3_column_count(st->lite);
    return st->res ? PQnfields(st->res) : 0;
}

const char *wsql_column_name(wsql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_name(st->lite, i);
    return st->res && i >= 0 && i < PQnfields(st->res) ? PQfname(st->res, i) : NULL;
}

int wsql_column_type(wsql_stmt *st, int i)
{
    return st->lite ? sqlite3_column_type(st->lite, i) : wsql_pg_column_type(st, i);
}

wsql_int64 wsql_column_int64(wsql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_int64(st->lite, i);
    if (!pg_has(st, i) || PQgetisnull(st->res, st->row, i))
        return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    if (v[0] == 't' && v[1] == '\0') /* boolean */
        return 1;
    if (strpbrk(v, ".eE")) /* a numeric with a fraction: SQLite truncates */
        return (wsql_int64)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

int wsql_column_int(wsql_stmt *st, int i) { return (int)wsql_column_int64(st, i); }

double wsql_column_double(wsql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_double(st->lite, i);
    if (!pg_has(st, i) || PQgetisnull(st->res, st->row, i))
        return 0.0;
    return strtod(PQgetvalue(st->res, st->row, i), NULL);
}

const unsigned char *wsql_column_text(wsql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_text(st->lite, i);
    if (!pg_has(st, i) || PQgetisnull(st->res, st->row, i))
        return NULL;
    if (PQftype(st->res, i) == 17) { /* bytea as text: its bytes, as SQLite */
        int n;
        return wsql_pg_column_blob(st, i, &n);
    }
    return (const unsigned char *)PQgetvalue(st->res, st->row, i);
}

const void *wsql_column_blob(wsql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_blob(st->lite, i);
    int n;
    if (!pg_has(st, i) || PQgetisnull(st->res, st->row, i))
        return NULL;
    if (PQftype(st->res, i) == 17)
        return wsql_pg_column_blob(st, i, &n);
    return PQgetvalue(st->res, st->row, i);
}

int wsql_column_bytes(wsql_stmt *st, int i)
{
    if (st->lite)
        return sqlite3_column_bytes(st->lite, i);
    if (!pg_has(st, i) || PQgetisnull(st->res, st->row, i))
        return 0;
    if (PQftype(st->res, i) == 17) {
        int n = 0;
        wsql_pg_column_blob(st, i, &n);
        return n;
    }
    return PQgetlength(st->res, st->row, i);
}
