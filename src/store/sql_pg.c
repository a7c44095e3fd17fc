/*
 * wsql on PostgreSQL (libpq).
 *
 * Each store is a schema (PREFIX_NAME) whose search_path the connection
 * sets, so the store's SQL names its tables without qualification exactly
 * as on SQLite. The first connection to a schema creates it together with
 * wsql_meta (the emulated PRAGMA user_version / application_id) and a few
 * compatibility functions that give PostgreSQL the SQLite built-ins ward's
 * SQL uses (hex, julianday, sum over a comparison), under a session
 * advisory lock so that two processes starting at once do not race.
 *
 * Statements run with text-format results; a statement executed a second
 * time (reset and step again, the pattern of every hot loop) is prepared on
 * the server so it is parsed and planned once. Results are read whole: the
 * stores interleave statements on one connection (read a row, write
 * something, read the next), which a streamed result would not allow.
 */
#include "store/sql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMPAT_VERSION 1

/* SQLite functions ward's SQL uses, for PostgreSQL. */
static const char COMPAT_SQL[] =
    "CREATE OR REPLACE FUNCTION hex(bytea) RETURNS text"
    "  AS $$ SELECT upper(encode($1, 'hex')) $$ LANGUAGE sql IMMUTABLE STRICT;"
    "CREATE OR REPLACE FUNCTION julianday(text) RETURNS double precision"
    "  AS $$ SELECT extract(epoch FROM $1::timestamptz)::double precision / 86400.0"
    "  + 2440587.5 $$ LANGUAGE sql STABLE STRICT;"
    "CREATE OR REPLACE FUNCTION wsql_sum_bool(bigint, boolean) RETURNS bigint"
    "  AS $$ SELECT $1 + CASE WHEN $2 THEN 1 ELSE 0 END $$ LANGUAGE sql IMMUTABLE;"
    "DO $$ BEGIN"
    "  CREATE AGGREGATE sum(boolean) (SFUNC = wsql_sum_bool, STYPE = bigint, INITCOND = '0');"
    "EXCEPTION WHEN duplicate_function THEN NULL; END $$;";

static void quiet(void *arg, const char *message) { (void)arg, (void)message; }


static int sqlstate_code(const char *state)
{
    if (!state)
        return SQLITE_IOERR; /* no server answer: the connection failed */
    if (strncmp(state, "23505", 5) == 0)
        return SQLITE_CONSTRAINT_UNIQUE;
    if (strncmp(state, "23503", 5) == 0)
        return SQLITE_CONSTRAINT_FOREIGNKEY;
    if (strncmp(state, "23502", 5) == 0)
        return SQLITE_CONSTRAINT_NOTNULL;
    if (strncmp(state, "23514", 5) == 0)
        return SQLITE_CONSTRAINT_CHECK;
    if (strncmp(state, "23", 2) == 0)
        return SQLITE_CONSTRAINT;
    if (strncmp(state, "40001", 5) == 0 || strncmp(state, "40P01", 5) == 0 ||
        strncmp(state, "55P03", 5) == 0)
        return SQLITE_BUSY;
    if (strncmp(state, "57014", 5) == 0)
        return SQLITE_INTERRUPT;
    if (strncmp(state, "53100", 5) == 0)
        return SQLITE_FULL;
    if (strncmp(state, "53200", 5) == 0)
        return SQLITE_NOMEM;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return SQLITE_IOERR;
    if (strncmp(state, "25006", 5) == 0) /* read-only transaction */
        return SQLITE_READONLY;
    return SQLITE_ERROR;
}

/* Records a failed result as the connection's error; returns the primary
 * SQLITE_* code the caller hands back. */
static int fail_result(wsql *db, PGresult *r)
{
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db->pg);
    int code = sqlstate_code(r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
    wsql_pg_set_error(db, code, msg && *msg ? msg : PQerrorMessage(db->pg));
    return code & 0xff;
}

static int result_ok(PGresult *r)
{
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}

/* COMMIT of a transaction in which a statement failed rolls it back and
 * reports success; SQLite would have refused. Say so. */
static int commit_rolled_back(wsql *db, const char *sql, PGresult *r)
{
    sql += strspn(sql, " \t\r\n");
    if ((strncasecmp(sql, "COMMIT", 6) == 0 || strncasecmp(sql, "END", 3) == 0) &&
        strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
        wsql_pg_set_error(db, SQLITE_ABORT,
                          "transaction rolled back: a statement in it had failed");
        return 1;
    }
    return 0;
}

/* BEGIN IMMEDIATE is BEGIN plus the advisory lock: when the lock wait
 * times out the transaction is open and aborted, where SQLite would have
 * opened none. Close it, so that the caller's next BEGIN works. */
static void end_failed_begin(wsql *db, const char *sql)
{
    sql += strspn(sql, " \t\r\n");
    if (strncasecmp(sql, "BEGIN", 5) == 0 && PQstatus(db->pg) == CONNECTION_OK &&
        PQtransactionStatus(db->pg) == PQTRANS_INERROR) {
        PQclear(PQexec(db->pg, "ROLLBACK"));
        db->in_txn = 0;
    }
}

static void note_changes(wsql *db, PGresult *r)
{
    const char *tag = PQcmdStatus(r);
    if (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
        strncmp(tag, "DELETE", 6) == 0)
        db->changes = atoi(PQcmdTuples(r));
}

static void note_txn(wsql *db)
{
    if (PQstatus(db->pg) == CONNECTION_OK) {
        PGTransactionStatusType t = PQtransactionStatus(db->pg);
        db->in_txn = t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
    }
}

/* Runs SQL that is already PostgreSQL's, no parameters. */
static int run(wsql *db, const char *sql)
{
    PGresult *r = PQexec(db->pg, sql);
    note_txn(db);
    int rc = SQLITE_OK;
    if (!result_ok(r)) {
        rc = fail_result(db, r);
        end_failed_begin(db, sql);
    } else if (commit_rolled_back(db, sql, r))
        rc = SQLITE_ABORT;
    else
        note_changes(db, r);
    PQclear(r);
    return rc;
}

static int set_search_path(wsql *db)
{
    char *id = PQescapeIdentifier(db->pg, db->schema, strlen(db->schema));
    if (!id)
        return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
    char sql[256];
    snprintf(sql, sizeof sql, "SET search_path = %s", id);
    PQfreemem(id);
    return run(db, sql);
}

/* Creates the schema, wsql_meta and the compatibility functions once. */
static int initialise(wsql *db)
{
    char sql[512];
    char *id = PQescapeIdentifier(db->pg, db->schema, strlen(db->schema));
    if (!id)
        return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
    /* CREATE SCHEMA IF NOT EXISTS needs the database's CREATE privilege
     * even when the schema exists: a role that only owns its schemas
     * (least privilege) must be able to open them. */
    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)(db->lock_key ^ 1));
    int rc = run(db, sql);
    const char *v[1] = {db->schema};
    PGresult *r0 = rc == SQLITE_OK ? PQexecParams(db->pg,
                                                  "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                                                  1, NULL, v, NULL, NULL, 0)
                                   : NULL;
    int exists = r0 && result_ok(r0) && PQntuples(r0) == 1;
    PQclear(r0);
    if (rc == SQLITE_OK && !exists) {
        snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", id);
        rc = run(db, sql);
    }
    if (rc == SQLITE_OK) {
        snprintf(sql, sizeof sql,
                 "SET search_path = %s;"
                 "CREATE TABLE IF NOT EXISTS wsql_meta(key text PRIMARY KEY, value bigint NOT NULL)",
                 id);
        rc = run(db, sql);
    }
    PQfreemem(id);
    if (rc == SQLITE_OK) {
        PGresult *r = PQexec(db->pg, "SELECT value FROM wsql_meta WHERE key = 'wsql_compat'");
        int have = result_ok(r) && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
        PQclear(r);
        if (have < COMPAT_VERSION) {
            char meta[160];
            snprintf(meta, sizeof meta,
                     "INSERT INTO wsql_meta VALUES('wsql_compat', %d) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value",
                     COMPAT_VERSION);
            rc = run(db, COMPAT_SQL);
            if (rc == SQLITE_OK)
                rc = run(db, meta);
        }
    }
    char unlock[64];
    snprintf(unlock, sizeof unlock, "SELECT pg_advisory_unlock(%lld)",
             (long long)(db->lock_key ^ 1));
    PQclear(PQexec(db->pg, unlock));
    return rc;
}

/* Read-only: never create anything, refuse a schema that is not there
 * (as SQLite refuses a missing file), and make the session read-only. */
static int open_existing(wsql *db)
{
    const char *v[1] = {db->schema};
    PGresult *r = PQexecParams(db->pg, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, NULL,
                               v, NULL, NULL, 0);
    int found = result_ok(r) && PQntuples(r) == 1;
    int rc = result_ok(r) ? SQLITE_OK : fail_result(db, r);
    PQclear(r);
    if (rc == SQLITE_OK && !found) {
        char msg[160];
        snprintf(msg, sizeof msg, "no schema %s on this server (nothing stored yet)", db->schema);
        return wsql_pg_set_error(db, SQLITE_NOTFOUND, msg); /* as a missing file */
    }
    return rc;
}

/* What every connection of this wsql carries (again after a reconnect). */
static int session_setup(wsql *db)
{
    int rc = run(db, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    if (rc == SQLITE_OK && db->readonly)
        rc = run(db, "SET default_transaction_read_only = on");
    if (rc == SQLITE_OK && db->busy_ms > 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "SET lock_timeout = %d", db->busy_ms);
        rc = run(db, sql);
    }
    if (rc == SQLITE_OK)
        rc = set_search_path(db);
    return rc;
}

int wsql_pg_busy_timeout(wsql *db, int ms)
{
    db->busy_ms = ms;
    char sql[64];
    snprintf(sql, sizeof sql, "SET lock_timeout = %d", ms);
    return run(db, sql);
}

static int starts_with(const char *sql, const char *word)
{
    sql += strspn(sql, " \t\r\n");
    return strncasecmp(sql, word, strlen(word)) == 0;
}

/* A server restart or a network cut leaves the connection bad. Outside a
 * transaction the next statement reconnects (libpq's PQreset) and restores
 * the session. Inside one, the server has rolled it back: everything but
 * ROLLBACK fails until the caller rolls back, so that the rest of a
 * transaction never runs piecemeal in autocommit on a new connection. */
static int reconnect_if_lost(wsql *db, const char *sql)
{
    if (PQstatus(db->pg) == CONNECTION_OK)
        return SQLITE_OK;
    if (db->in_txn && !starts_with(sql, "ROLLBACK"))
        return wsql_pg_set_error(db, SQLITE_IOERR,
                                 "the connection to the server was lost inside a transaction, "
                                 "which the server rolled back; roll back and retry");
    db->in_txn = 0;
    PQreset(db->pg);
    if (PQstatus(db->pg) != CONNECTION_OK)
        return wsql_pg_set_error(db, SQLITE_IOERR, PQerrorMessage(db->pg));
    db->generation++;
    return session_setup(db);
}

/* Statements that can run again after a lost connection without doing
 * anything twice: reads, and the start of a transaction. */
static int retryable(const char *sql)
{
    return starts_with(sql, "SELECT") || starts_with(sql, "BEGIN");
}

int wsql_pg_open(wsql *db, const wsql_target *t, int flags)
{
    db->schema = strdup(t->schema);
    if (!db->schema)
        return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
    db->lock_key = (int64_t)(wsql_fnv1a(t->schema) >> 1); /* the schema's advisory lock */
    db->pg = PQconnectdb(t->conninfo);
    if (!db->pg)
        return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
    if (PQstatus(db->pg) != CONNECTION_OK)
        return wsql_pg_set_error(db, SQLITE_CANTOPEN, PQerrorMessage(db->pg));
    PQsetNoticeProcessor(db->pg, quiet, NULL);
    db->readonly = (flags & SQLITE_OPEN_READONLY) != 0;
    int rc = run(db, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    if (rc == SQLITE_OK)
        rc = db->readonly ? open_existing(db) : initialise(db);
    if (rc == SQLITE_OK)
        rc = session_setup(db);
    return rc;
}

void wsql_pg_close(wsql *db)
{
    if (db->pg)
        PQfinish(db->pg);
    db->pg = NULL;
}

int wsql_pg_exec(wsql *db, const char *sql, char **errmsg)
{
    int rc = SQLITE_OK;
    while (*sql && rc == SQLITE_OK) {
        size_t n = wsql_statement_len(sql);
        int noop = 0;
        char *pg = wsql_translate_pg(sql, n, db->lock_key, &noop);
        if (!pg)
            rc = wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
        else if (!noop && strspn(pg, " \t\r\n;") < strlen(pg)) {
            rc = reconnect_if_lost(db, pg);
            if (rc == SQLITE_OK)
                rc = run(db, pg);
            if (rc != SQLITE_OK && PQstatus(db->pg) != CONNECTION_OK && !db->in_txn &&
                retryable(pg) && reconnect_if_lost(db, pg) == SQLITE_OK)
                rc = run(db, pg);
        }
        free(pg);
        sql += n;
    }
    if (rc != SQLITE_OK && errmsg)
        *errmsg = strdup(db->errmsg ? db->errmsg : "error");
    return rc;
}

/* Highest $N in translated SQL, outside quotes (the translator wrote them). */
static int count_params(const char *sql)
{
    int max = 0;
    char q = 0;
    for (const char *p = sql; *p; p++) {
        if (q) {
            if (*p == q)
                q = 0;
        } else if (*p == '\'' || *p == '"') {
            q = *p;
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            int k = atoi(p + 1);
            max = k > max ? k : max;
        }
    }
    return max;
}

int wsql_pg_prepare(wsql *db, const char *sql, size_t n, wsql_stmt *st)
{
    st->row = -1;
    st->sql = wsql_translate_pg(sql, n, db->lock_key, &st->noop);
    if (!st->sql)
        return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
    if (!st->noop && strspn(st->sql, " \t\r\n;") == strlen(st->sql))
        st->noop = 1; /* empty statement */
    st->nparams = count_params(st->sql);
    if (st->nparams > 0) {
        st->params = calloc((size_t)st->nparams, sizeof *st->params);
        if (!st->params)
            return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
    }
    return SQLITE_OK;
}

int wsql_pg_bind(wsql_stmt *st, int i, const void *v, int n, int binary, unsigned type)
{
    if (i < 1 || i > st->nparams)
        return SQLITE_RANGE;
    wsql_param *p = &st->params[i - 1];
    free(p->val);
    p->val = NULL;
    p->len = 0;
    p->binary = binary;
    p->type = type;
    if (!v)
        return SQLITE_OK;
    p->val = malloc((size_t)n + 1);
    if (!p->val)
        return SQLITE_NOMEM;
    memcpy(p->val, v, (size_t)n);
    p->val[n] = '\0';
    p->len = n;
    return SQLITE_OK;
}

static void drop_row_cache(wsql_stmt *st)
{
    if (st->blobs && st->res)
        for (int c = 0; c < PQnfields(st->res); c++) {
            free(st->blobs[c]);
            st->blobs[c] = NULL;
        }
}

static void drop_result(wsql_stmt *st)
{
    drop_row_cache(st);
    free(st->blobs);
    free(st->blob_len);
    st->blobs = NULL;
    st->blob_len = NULL;
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->nrows = 0;
}

/* Executes the statement; the second execution onwards uses a server-side
 * prepared statement. */
static PGresult *execute(wsql_stmt *st)
{
    wsql *db = st->db;
    int n = st->nparams;
    const char **vals = n ? calloc((size_t)n, sizeof *vals) : NULL;
    int *lens = n ? calloc((size_t)n, sizeof *lens) : NULL;
    int *fmts = n ? calloc((size_t)n, sizeof *fmts) : NULL;
    Oid *types = n ? calloc((size_t)n, sizeof *types) : NULL;
    if (n && (!vals || !lens || !fmts || !types)) {
        free(vals), free(lens), free(fmts), free(types);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        vals[i] = st->params[i].val;
        lens[i] = st->params[i].len;
        fmts[i] = st->params[i].binary;
        types[i] = st->params[i].type;
    }
    PGresult *r = NULL;
    if (st->name[0] && st->generation != db->generation)
        st->name[0] = '\0'; /* prepared on a connection since lost */
    if (strncmp(st->sql, "BEGIN", 5) == 0) {
        r = PQexec(db->pg, st->sql); /* may carry the advisory lock too */
    } else if (st->name[0] || st->runs >= 1) {
        if (!st->name[0]) {
            char name[24];
            snprintf(name, sizeof name, "wsql%u", ++db->next_name);
            PGresult *p = PQprepare(db->pg, name, st->sql, n, types);
            if (result_ok(p)) {
                memcpy(st->name, name, sizeof name);
                st->generation = db->generation;
            }
            PQclear(p);
        }
        if (st->name[0])
            r = PQexecPrepared(db->pg, st->name, n, vals, lens, fmts, 0);
        else
            r = PQexecParams(db->pg, st->sql, n, types, vals, lens, fmts, 0);
    } else {
        r = PQexecParams(db->pg, st->sql, n, types, vals, lens, fmts, 0);
    }
    st->runs++;
    note_txn(db);
    free(vals), free(lens), free(fmts), free(types);
    return r;
}

int wsql_pg_step(wsql_stmt *st)
{
    wsql *db = st->db;
    if (st->noop || st->done)
        return SQLITE_DONE;
    if (!st->res) {
        int rc = reconnect_if_lost(db, st->sql);
        if (rc != SQLITE_OK) {
            st->done = 1;
            return rc & 0xff;
        }
        PGresult *r = execute(st);
        if (!result_ok(r) && PQstatus(db->pg) != CONNECTION_OK && !db->in_txn &&
            retryable(st->sql) && reconnect_if_lost(db, st->sql) == SQLITE_OK) {
            PQclear(r);
            r = execute(st);
        }
        if (!result_ok(r)) {
            rc = fail_result(db, r);
            PQclear(r);
            end_failed_begin(db, st->sql);
            st->done = 1;
            return rc;
        }
        if (commit_rolled_back(db, st->sql, r)) {
            PQclear(r);
            st->done = 1;
            return SQLITE_ABORT;
        }
        note_changes(db, r);
        st->res = r;
        st->nrows = PQntuples(r);
        st->row = -1;
        if (PQnfields(r) > 0) {
            st->blobs = calloc((size_t)PQnfields(r), sizeof *st->blobs);
            st->blob_len = calloc((size_t)PQnfields(r), sizeof *st->blob_len);
            if (!st->blobs || !st->blob_len) {
                drop_result(st);
                st->done = 1;
                return wsql_pg_set_error(db, SQLITE_NOMEM, "out of memory");
            }
        }
    }
    drop_row_cache(st);
    if (++st->row < st->nrows)
        return SQLITE_ROW;
    st->done = 1;
    return SQLITE_DONE;
}

int wsql_pg_reset(wsql_stmt *st)
{
    drop_result(st);
    st->done = 0;
    return SQLITE_OK;
}

void wsql_pg_finalize(wsql_stmt *st)
{
    drop_result(st);
    if (st->name[0] && st->db->pg && st->generation == st->db->generation &&
        PQstatus(st->db->pg) == CONNECTION_OK) {
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(st->db->pg, sql));
    }
    for (int i = 0; i < st->nparams; i++)
        free(st->params[i].val);
    free(st->params);
    free(st->sql);
}

int wsql_pg_column_type(wsql_stmt *st, int i)
{
    if (!st->res || st->row < 0 || st->row >= st->nrows || i < 0 || i >= PQnfields(st->res) ||
        PQgetisnull(st->res, st->row, i))
        return SQLITE_NULL;
    switch (PQftype(st->res, i)) {
    case 16: case 20: case 21: case 23: case 26: /* bool, int8, int2, int4, oid */
        return SQLITE_INTEGER;
    case 700: case 701:
        return SQLITE_FLOAT;
    case 1700: /* numeric: sum() of integers is one */
        return strchr(PQgetvalue(st->res, st->row, i), '.') ? SQLITE_FLOAT : SQLITE_INTEGER;
    case 17:
        return SQLITE_BLOB;
    default:
        return SQLITE_TEXT;
    }
}

const void *wsql_pg_column_blob(wsql_stmt *st, int i, int *bytes)
{
    *bytes = 0;
    if (!st->blobs)
        return NULL;
    if (!st->blobs[i]) { /* a copy that ends in NUL, for column_text */
        size_t n = 0;
        unsigned char *raw =
            PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, i), &n);
        st->blobs[i] = raw ? malloc(n + 1) : NULL;
        if (!st->blobs[i]) {
            PQfreemem(raw);
            return NULL;
        }
        memcpy(st->blobs[i], raw, n);
        st->blobs[i][n] = '\0';
        st->blob_len[i] = n;
        PQfreemem(raw);
    }
    *bytes = (int)st->blob_len[i];
    return st->blobs[i];
}

wsql_int64 wsql_pg_last_insert_rowid(wsql *db)
{
    PGresult *r = PQexec(db->pg, "SELECT lastval()");
    wsql_int64 id = result_ok(r) && PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return id;
}
