/*
 * wsql: the storage interface libward's stores are written against.
 *
 * Two implementations sit behind it: SQLite (the embedded default, one file
 * per store in the data directory) and PostgreSQL through libpq (several
 * hubs and match nodes sharing one server). The API deliberately mirrors the
 * subset of SQLite's C API the stores use (prepare, bind, step, column,
 * reset, finalize; result codes are SQLite's SQLITE_* values) so that the
 * store code reads like ordinary SQLite code and a statement written once
 * runs on both.
 *
 * SQL is written in SQLite's dialect restricted to what both servers share;
 * on PostgreSQL each statement is translated once, at prepare time, by
 * wsql_translate_pg() (placeholders, DDL types, INSERT OR IGNORE, LIKE,
 * BEGIN IMMEDIATE, PRAGMA). docs/store.md lists the rules statements follow.
 *
 * Write transactions: BEGIN IMMEDIATE on SQLite takes the database's one
 * write lock; on PostgreSQL it becomes BEGIN plus a transaction-scoped
 * advisory lock keyed by the store's schema, so writers of one store
 * serialise exactly as they do on SQLite (no lost update between two hubs
 * updating the same subject) while readers never wait. A plain BEGIN is a
 * read snapshot (REPEATABLE READ) on PostgreSQL.
 *
 * Stores are named ("store", "intel", "service"): on SQLite NAME.db in the
 * data directory, on PostgreSQL the schema PREFIX_NAME (prefix "ward"
 * unless the URL says ?ward_prefix=...), so one database can hold several
 * ward installations side by side.
 */
#ifndef WARD_STORE_SQL_H
#define WARD_STORE_SQL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward.h"

typedef struct wsql wsql;
typedef struct wsql_stmt wsql_stmt;
typedef sqlite3_int64 wsql_int64;

typedef enum { WSQL_SQLITE = 1, WSQL_POSTGRES = 2 } wsql_backend;

/* Where a named store lives. Resolved from, in order: DATADIR/store.url
 * (written by `ward migrate`: a data directory that has moved to a server
 * stays there), the caller's url (the default for data directories that say
 * nothing: the CLI passes --store or $WARD_STORE; with datadir NULL it is
 * the only source), else SQLite at DATADIR/FILE. The library never reads
 * the environment. */
typedef struct {
    wsql_backend backend;
    char sqlite_path[4096];  /* SQLite: the file */
    char conninfo[4096];     /* PostgreSQL: libpq connection URI, ward_ params removed */
    char schema[64];         /* PostgreSQL: PREFIX_NAME */
    char display[4096];      /* for messages: the path or the URL without password */
} wsql_target;

/* name: "store", "intel" or "service"; file: the SQLite file name in the
 * data directory. url may be NULL; ?ward_prefix=NAME picks the schemas'
 * prefix, ?ward_per_datadir=1 derives it from datadir's real path. */
ward_status wsql_resolve(const char *datadir, const char *url, const char *name,
                         const char *file, wsql_target *out, ward_error *err);

/* url for messages: no password (neither user:PASSWORD@ nor password=). */
void wsql_url_display(const char *url, char *out, size_t cap);

/* DATADIR/store.url, "" when there is none. */
ward_status wsql_datadir_url(const char *datadir, char *url, size_t cap, ward_error *err);

/* True when url names a PostgreSQL server (postgresql:// or postgres://). */
int wsql_is_pg_url(const char *url);

/* Creates the SQLite file at path, private (0600), when it does not exist;
 * an existing file is left alone, unopened. Never open a database file
 * outside SQLite: closing any descriptor of it drops every POSIX lock this
 * process holds on it, and another process then takes its connections'
 * WAL away (SQLite's "posix advisory locks" pitfall; issue 16 item 13). */
ward_status wsql_create_private(const char *path, ward_error *err);

/* Opens a connection. flags: SQLITE_OPEN_* (READONLY, READWRITE, CREATE,
 * URI); vfs: SQLite VFS name or NULL. PostgreSQL: connects, creates the
 * schema and the compatibility functions on first use - except with
 * SQLITE_OPEN_READONLY, which creates nothing, fails with SQLITE_NOTFOUND
 * when the schema does not exist, and makes the session read-only. Returns an SQLITE_*
 * code; on failure *out may still hold a connection for wsql_errmsg(),
 * which the caller closes (as with sqlite3_open_v2). */
int wsql_open(const wsql_target *t, int flags, const char *vfs, wsql **out);
int wsql_close(wsql *db);

/* Wraps a connection opened with sqlite3_open_v2 elsewhere (the encrypting
 * VFS of store/crypt.h); the wsql owns it from then on, also on failure. */
int wsql_adopt_sqlite(sqlite3 *lite, wsql **out);

wsql_backend wsql_backend_of(const wsql *db);
sqlite3 *wsql_sqlite(wsql *db); /* NULL on PostgreSQL */
const char *wsql_errmsg(wsql *db);
int wsql_errcode(wsql *db);
int wsql_changes(wsql *db);
wsql_int64 wsql_last_insert_rowid(wsql *db);
int wsql_get_autocommit(wsql *db);
int wsql_busy_timeout(wsql *db, int ms);
int wsql_extended_result_codes(wsql *db, int onoff);

/* Runs one or more statements without parameters. callback must be NULL.
 * *errmsg (when given) is freed with wsql_free. */
int wsql_exec(wsql *db, const char *sql, void *callback, void *arg, char **errmsg);
void wsql_free(void *p);

int wsql_prepare_v2(wsql *db, const char *sql, int nbyte, wsql_stmt **st, const char **tail);
int wsql_bind_int(wsql_stmt *st, int i, int v);
int wsql_bind_int64(wsql_stmt *st, int i, wsql_int64 v);
int wsql_bind_double(wsql_stmt *st, int i, double v);
int wsql_bind_null(wsql_stmt *st, int i);
int wsql_bind_text(wsql_stmt *st, int i, const char *v, int n, void (*destructor)(void *));
int wsql_bind_blob(wsql_stmt *st, int i, const void *v, int n, void (*destructor)(void *));
int wsql_clear_bindings(wsql_stmt *st);
int wsql_step(wsql_stmt *st);
int wsql_reset(wsql_stmt *st);
int wsql_finalize(wsql_stmt *st);
wsql *wsql_db_handle(wsql_stmt *st);

int wsql_column_count(wsql_stmt *st);
const char *wsql_column_name(wsql_stmt *st, int i);
int wsql_column_type(wsql_stmt *st, int i);
int wsql_column_int(wsql_stmt *st, int i);
wsql_int64 wsql_column_int64(wsql_stmt *st, int i);
double wsql_column_double(wsql_stmt *st, int i);
const unsigned char *wsql_column_text(wsql_stmt *st, int i);
const void *wsql_column_blob(wsql_stmt *st, int i);
int wsql_column_bytes(wsql_stmt *st, int i);

/* SQLite SQL -> PostgreSQL SQL for one statement (see the rules above).
 * lock_key: the advisory lock BEGIN IMMEDIATE takes. Returns a malloc'd
 * string, or NULL when out of memory; *noop is set for statements that
 * mean nothing on PostgreSQL (PRAGMAs other than those emulated). */
char *wsql_translate_pg(const char *sql, size_t n, int64_t lock_key, int *noop);

/* Splits off the first statement of sql (respecting quotes and comments):
 * returns its length including the ';', 0 at the end. */
size_t wsql_statement_len(const char *sql);

#endif
