/* Private to the wsql implementation (sql.c, sql_pg.c). */
#ifndef WARD_STORE_SQL_INT_H
#define WARD_STORE_SQL_INT_H

#include "store/sql.h"

#include <libpq-fe.h>

struct wsql {
    wsql_backend backend;
    sqlite3 *lite;
    PGconn *pg;
    char *schema;
    int64_t lock_key;      /* advisory lock for BEGIN IMMEDIATE */
    int errcode;           /* SQLITE_* of the last failure (PostgreSQL) */
    char *errmsg;          /* its message (PostgreSQL) */
    int changes;           /* rows changed by the last statement (PostgreSQL) */
    unsigned next_name;    /* server-side prepared statement names */
    /* PostgreSQL session, restored after a reconnect */
    int readonly, busy_ms;
    int in_txn;            /* last known: inside a transaction */
    unsigned generation;   /* connections so far; prepared names die with one */
};

/* One bound parameter (PostgreSQL). */
typedef struct {
    char *val;   /* NULL for SQL NULL */
    int len;
    int binary;  /* blobs travel as binary bytea */
    unsigned type; /* Oid: 0 (let the server infer) or int8/float8/bytea */
} wsql_param;

struct wsql_stmt {
    wsql *db;
    sqlite3_stmt *lite;
    /* PostgreSQL */
    char *sql;          /* translated */
    int noop;
    int nparams;
    wsql_param *params;
    PGresult *res;
    int row, nrows;
    int done;           /* executed and every row handed out */
    int runs;           /* executions so far: the second prepares it */
    char name[24];      /* server-side name once prepared, else "" */
    unsigned generation; /* of the connection it was prepared on */
    unsigned char **blobs; /* decoded bytea per column of the current row (malloc) */
    size_t *blob_len;
};

/* FNV-1a, 64 bits: a stable hash of a name (advisory lock keys, the
 * per-datadir schema prefix, which tests/e2e/wardtest.py recomputes). */
static inline uint64_t wsql_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int wsql_pg_open(wsql *db, const wsql_target *t, int flags);
void wsql_pg_close(wsql *db);
int wsql_pg_exec(wsql *db, const char *sql, char **errmsg);
int wsql_pg_prepare(wsql *db, const char *sql, size_t n, wsql_stmt *st);
int wsql_pg_step(wsql_stmt *st);
int wsql_pg_reset(wsql_stmt *st);
void wsql_pg_finalize(wsql_stmt *st);
int wsql_pg_bind(wsql_stmt *st, int i, const void *v, int n, int binary, unsigned type);
int wsql_pg_column_type(wsql_stmt *st, int i);
const void *wsql_pg_column_blob(wsql_stmt *st, int i, int *bytes);
wsql_int64 wsql_pg_last_insert_rowid(wsql *db);
int wsql_pg_set_error(wsql *db, int code, const char *msg);
int wsql_pg_busy_timeout(wsql *db, int ms);

#endif
