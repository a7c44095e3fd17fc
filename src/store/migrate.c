/*
 * ward migrate: copy a node's stores between SQLite and PostgreSQL and
 * prove the copy (see ward/migrate.h).
 *
 * The destination schema is not written here: each store is opened once
 * through its own module (ward_store_open, ward_intel_open, the service
 * state), from a scratch directory whose store.url names the destination,
 * so the destination gets exactly the migrations that store always runs.
 * Rows are then copied generically, table by table in creation order (so a
 * referenced table is filled first), and verified by count and by a digest
 * of the row multiset: SHA-256 of each row's values as text, summed modulo
 * 2^256, which does not depend on the order either server returns rows in.
 */
#include "store/sql.h"
#include "util/error.h"
#include "ward/intel.h"
#include "ward/migrate.h"
#include "ward/serve.h"
#include "ward/store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

typedef struct {
    const char *name, *file, *what;
    const char *const data[5]; /* tables that hold data, not seeds of the schema */
} store_kind;

static const store_kind KINDS[] = {
    {"store", "ward.db", "hash-set", {"lists", "entries", "imports", "history", NULL}},
    {"intel", "intel.db", "intelligence", {"batches", "records", "subjects", "audit", NULL}},
    {"service", "service.db", "service", {"api_keys", "events", "audit", "users", NULL}}};

/* ---- small SQL helpers -------------------------------------------------- */

static ward_status sqlfail(wsql *db, ward_error *err, const char *what, const char *where)
{
    return err_fail(err, WARD_EIO, "%s: %s: %s", where, what, db ? wsql_errmsg(db) : "?");
}

static ward_status query_int(wsql *db, const char *sql, const char *arg, int64_t *out,
                             const char *where, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlfail(db, err, sql, where);
    if (arg)
        wsql_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int rc = wsql_step(st);
    *out = rc == SQLITE_ROW ? wsql_column_int64(st, 0) : 0;
    wsql_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WARD_OK : sqlfail(db, err, sql, where);
}

typedef struct {
    char **v;
    int n;
} names;

static void names_free(names *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static ward_status names_of(wsql *db, const char *sql, const char *arg, names *out,
                            const char *where, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlfail(db, err, sql, where);
    if (arg)
        wsql_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = wsql_step(st)) == SQLITE_ROW) {
        char **v = realloc(out->v, sizeof *v * (size_t)(out->n + 1));
        char *s = strdup((const char *)wsql_column_text(st, 0));
        if (!v || !s) {
            free(s);
            if (v)
                out->v = v;
            wsql_finalize(st);
            return err_fail(err, WARD_ENOMEM, "out of memory");
        }
        out->v = v;
        out->v[out->n++] = s;
    }
    wsql_finalize(st);
    return rc == SQLITE_DONE ? WARD_OK : sqlfail(db, err, sql, where);
}

/* Tables of a store in creation order, without wsql's own. */
static ward_status tables_of(wsql *db, names *out, const char *where, ward_error *err)
{
    const char *sql =
        wsql_backend_of(db) == WSQL_SQLITE
            ? "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
              " AND name <> 'wsql_meta' ORDER BY rowid"
            : "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
              " AND c.relname <> 'wsql_meta' ORDER BY c.oid";
    return names_of(db, sql, NULL, out, where, err);
}

static ward_status columns_of(wsql *db, const char *table, names *out, const char *where,
                              ward_error *err)
{
    if (wsql_backend_of(db) == WSQL_SQLITE)
        return names_of(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", table, out,
                        where, err);
    return names_of(db,
                    "SELECT column_name::text FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = ?"
                    " ORDER BY ordinal_position",
                    table, out, where, err);
}

/* Columns whose values must travel as bytes (bytea / BLOB). */
static ward_status blob_columns(wsql *db, const char *table, names *out, const char *where,
                                ward_error *err)
{
    if (wsql_backend_of(db) == WSQL_SQLITE)
        return names_of(db, "SELECT name FROM pragma_table_info(?) WHERE upper(type) = 'BLOB'",
                        table, out, where, err);
    return names_of(db,
                    "SELECT column_name::text FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = ?"
                    " AND data_type = 'bytea'",
                    table, out, where, err);
}

static int has_name(const names *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* "a", "b", ... double-quoted: some columns are reserved words. */
static char *column_list(const names *cols)
{
    size_t n = 1;
    for (int i = 0; i < cols->n; i++)
        n += strlen(cols->v[i]) + 4;
    char *s = malloc(n);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < cols->n; i++) {
        strcat(s, i ? ", \"" : "\"");
        strcat(s, cols->v[i]);
        strcat(s, "\"");
    }
    return s;
}

/* ---- the row digest ------------------------------------------------------ */

typedef struct {
    unsigned char sum[32]; /* little-endian 256-bit sum of row hashes */
    int64_t rows;
} multiset;

static void value_text(wsql_stmt *st, int c, const unsigned char **p, int *n, char *num)
{
    switch (wsql_column_type(st, c)) {
    case SQLITE_NULL:
        *p = NULL;
        *n = -1;
        return;
    case SQLITE_INTEGER:
        *n = snprintf(num, 32, "%lld", (long long)wsql_column_int64(st, c));
        *p = (const unsigned char *)num;
        return;
    case SQLITE_FLOAT:
        *n = snprintf(num, 32, "%.17g", wsql_column_double(st, c));
        *p = (const unsigned char *)num;
        return;
    default:
        *p = wsql_column_blob(st, c);
        *n = wsql_column_bytes(st, c);
        if (!*p)
            *p = (const unsigned char *)"";
        return;
    }
}

static void multiset_add(multiset *m, wsql_stmt *st, int ncols)
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    for (int c = 0; c < ncols; c++) {
        const unsigned char *p;
        int n;
        char num[32];
        value_text(st, c, &p, &n, num);
        unsigned char hdr[5] = {p ? 1 : 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                (unsigned char)(n >> 8), (unsigned char)n};
        crypto_hash_sha256_update(&h, hdr, sizeof hdr);
        if (p && n > 0)
            crypto_hash_sha256_update(&h, p, (size_t)n);
    }
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        carry += (unsigned)m->sum[i] + d[i];
        m->sum[i] = (unsigned char)carry;
        carry >>= 8;
    }
    m->rows++;
}

/* ---- reading every row of a table -------------------------------------- */

/* SQLite steps one query. PostgreSQL would hand a whole result over at once
 * (a 10M-row table: gigabytes), so there the rows come through a cursor,
 * FETCH_ROWS at a time, inside one read transaction (one snapshot). */
#define FETCH_ROWS 10000

typedef struct {
    wsql *db;
    wsql_stmt *st;
    int cursor;  /* PostgreSQL: st is "FETCH n FROM wsql_migrate" */
    int own_txn; /* the cursor's transaction is ours to end */
    int step;    /* the last wsql_step */
} row_reader;

static ward_status rows_open(row_reader *r, wsql *db, const char *select, const char *where,
                             ward_error *err)
{
    memset(r, 0, sizeof *r);
    r->db = db;
    const char *sql = select;
    char fetch[64];
    if (wsql_backend_of(db) == WSQL_POSTGRES) {
        size_t n = strlen(select) + 64;
        char *declare = malloc(n);
        if (!declare)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        snprintf(declare, n, "DECLARE wsql_migrate NO SCROLL CURSOR FOR %s", select);
        /* inside the caller's transaction (its snapshot, its own writes)
         * when there is one */
        r->own_txn = wsql_get_autocommit(db);
        int rc = r->own_txn ? wsql_exec(db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
        if (rc == SQLITE_OK)
            rc = wsql_exec(db, declare, NULL, NULL, NULL);
        free(declare);
        if (rc != SQLITE_OK) {
            ward_status st = sqlfail(db, err, select, where);
            if (r->own_txn && !wsql_get_autocommit(db))
                wsql_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return st;
        }
        snprintf(fetch, sizeof fetch, "FETCH %d FROM wsql_migrate", FETCH_ROWS);
        sql = fetch;
        r->cursor = 1;
    }
    if (wsql_prepare_v2(db, sql, -1, &r->st, NULL) != SQLITE_OK)
        return sqlfail(db, err, select, where);
    return WARD_OK;
}

/* 1: a row is current; 0: no more; -1: failed (see wsql_errmsg). */
static int rows_next(row_reader *r)
{
    r->step = wsql_step(r->st);
    if (r->step == SQLITE_DONE && r->cursor) {
        /* this batch is used up: the next FETCH, until one comes back empty */
        wsql_reset(r->st);
        r->step = wsql_step(r->st);
    }
    return r->step == SQLITE_ROW ? 1 : r->step == SQLITE_DONE ? 0 : -1;
}

static void rows_close(row_reader *r)
{
    wsql_finalize(r->st);
    r->st = NULL;
    if (r->cursor && r->own_txn && !wsql_get_autocommit(r->db))
        wsql_exec(r->db, "ROLLBACK", NULL, NULL, NULL); /* read only: nothing to keep */
    else if (r->cursor)
        wsql_exec(r->db, "CLOSE wsql_migrate", NULL, NULL, NULL);
    r->cursor = 0;
}

static char *select_all(const char *table, const names *cols)
{
    char *list = column_list(cols);
    size_t n = strlen(table) + (list ? strlen(list) : 0) + 32;
    char *sql = list ? malloc(n) : NULL;
    if (sql)
        snprintf(sql, n, "SELECT %s FROM \"%s\"", list, table);
    free(list);
    return sql;
}

static ward_status digest_table(wsql *db, const char *table, const names *cols, multiset *m,
                                char hex[65], const char *where, ward_error *err)
{
    char *sql = select_all(table, cols);
    if (!sql)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    memset(m, 0, sizeof *m);
    row_reader r;
    ward_status rc = rows_open(&r, db, sql, where, err);
    int more = 0;
    while (!rc && (more = rows_next(&r)) == 1)
        multiset_add(m, r.st, cols->n);
    if (!rc && more < 0)
        rc = sqlfail(db, err, table, where);
    rows_close(&r);
    free(sql);
    if (rc)
        return rc;
    for (int i = 0; i < 32; i++) /* big-endian hex reads as a number */
        snprintf(hex + 2 * i, 3, "%02x", m->sum[31 - i]);
    return WARD_OK;
}

/* ---- copying -------------------------------------------------------------- */

/* Rows per INSERT: one statement carries many rows (a round trip each on
 * PostgreSQL), within both servers' limits on parameters. */
static int batch_rows(int ncols)
{
    int k = 4000 / (ncols > 0 ? ncols : 1);
    return k < 1 ? 1 : k > 500 ? 500 : k;
}

static char *insert_sql(const char *table, const names *cols, int nrows)
{
    char *list = column_list(cols);
    size_t n = strlen(table) + (list ? strlen(list) : 0) + 64 +
               (size_t)nrows * ((size_t)cols->n * 3 + 4);
    char *sql = list ? malloc(n) : NULL;
    if (!sql) {
        free(list);
        return NULL;
    }
    size_t k = (size_t)snprintf(sql, n, "INSERT INTO \"%s\"(%s) VALUES", table, list);
    for (int r = 0; r < nrows; r++) {
        k += (size_t)snprintf(sql + k, n - k, r ? ",(" : "(");
        for (int c = 0; c < cols->n; c++)
            k += (size_t)snprintf(sql + k, n - k, c ? ",?" : "?");
        k += (size_t)snprintf(sql + k, n - k, ")");
    }
    free(list);
    return sql;
}

/* One value held between reading it and inserting it. */
typedef struct {
    int type; /* SQLITE_NULL, _INTEGER, _FLOAT, _TEXT, _BLOB */
    wsql_int64 i;
    double d;
    char *p;
    int n;
} cell;

static int cell_take(cell *v, wsql_stmt *r, int c, int blob)
{
    free(v->p);
    memset(v, 0, sizeof *v);
    v->type = wsql_column_type(r, c);
    if (v->type == SQLITE_INTEGER) {
        v->i = wsql_column_int64(r, c);
    } else if (v->type == SQLITE_FLOAT) {
        v->d = wsql_column_double(r, c);
    } else if (v->type != SQLITE_NULL) {
        const void *src = v->type == SQLITE_BLOB || blob ? wsql_column_blob(r, c)
                                                          : (const void *)wsql_column_text(r, c);
        v->type = blob ? SQLITE_BLOB : v->type;
        v->n = wsql_column_bytes(r, c);
        v->p = malloc((size_t)v->n + 1);
        if (!v->p)
            return -1;
        if (v->n)
            memcpy(v->p, src, (size_t)v->n);
    }
    return 0;
}

static void cell_bind(const cell *v, wsql_stmt *w, int at)
{
    switch (v->type) {
    case SQLITE_NULL: wsql_bind_null(w, at); break;
    case SQLITE_INTEGER: wsql_bind_int64(w, at, v->i); break;
    case SQLITE_FLOAT: wsql_bind_double(w, at, v->d); break;
    case SQLITE_BLOB: wsql_bind_blob(w, at, v->p, v->n, SQLITE_STATIC); break;
    default: wsql_bind_text(w, at, v->p, v->n, SQLITE_STATIC); break;
    }
}

/* Inserts the n rows held in cells with one statement (the prepared full
 * batch, or one made for a shorter last batch). */
static ward_status insert_held(wsql *to, const char *table, const names *cols, wsql_stmt *full,
                               int per, const cell *cells, int n, ward_error *err)
{
    wsql_stmt *w = full;
    if (n != per) {
        char *sql = insert_sql(table, cols, n);
        int ok = sql && wsql_prepare_v2(to, sql, -1, &w, NULL) == SQLITE_OK;
        free(sql);
        if (!ok)
            return sqlfail(to, err, table, "destination");
    }
    for (int k = 0; k < n * cols->n; k++)
        cell_bind(&cells[k], w, k + 1);
    int step = wsql_step(w);
    ward_status rc = step == SQLITE_DONE
                         ? WARD_OK
                         : err_fail(err, WARD_EIO, "destination: %s: %s", table, wsql_errmsg(to));
    if (w == full)
        wsql_reset(w);
    else
        wsql_finalize(w);
    return rc;
}

static ward_status copy_rows(wsql *from, wsql *to, const char *table, const names *cols,
                             const names *blobs, const char *where, ward_error *err)
{
    int per = batch_rows(cols->n);
    char *sel = select_all(table, cols), *ins = insert_sql(table, cols, per);
    int *isblob = calloc((size_t)cols->n + 1, sizeof *isblob);
    cell *cells = calloc((size_t)per * (size_t)cols->n + 1, sizeof *cells);
    ward_status rc = WARD_OK;
    if (!sel || !ins || !isblob || !cells)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    for (int c = 0; !rc && c < cols->n; c++)
        isblob[c] = has_name(blobs, cols->v[c]);
    wsql_stmt *w = NULL;
    if (!rc && wsql_prepare_v2(to, ins, -1, &w, NULL) != SQLITE_OK)
        rc = sqlfail(to, err, table, "destination");
    row_reader r = {0};
    if (!rc)
        rc = rows_open(&r, from, sel, where, err);
    int n = 0, more = 0;
    while (!rc && (more = rows_next(&r)) == 1) {
        for (int c = 0; !rc && c < cols->n; c++)
            if (cell_take(&cells[n * cols->n + c], r.st, c, isblob[c]) != 0)
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
        if (!rc && ++n == per) {
            rc = insert_held(to, table, cols, w, per, cells, n, err);
            n = 0;
        }
    }
    if (!rc && more < 0)
        rc = sqlfail(from, err, table, where);
    if (!rc && n > 0)
        rc = insert_held(to, table, cols, w, per, cells, n, err);
    rows_close(&r);
    wsql_finalize(w);
    for (int k = 0; cells && k < per * cols->n; k++)
        free(cells[k].p);
    free(cells), free(sel), free(ins), free(isblob);
    return rc;
}

/* After rows arrive with their ids, PostgreSQL's identity sequences must
 * continue after the highest one. */
static ward_status advance_identities(wsql *to, const char *table, ward_error *err)
{
    if (wsql_backend_of(to) != WSQL_POSTGRES)
        return WARD_OK;
    names ids = {0};
    ward_status rc = names_of(to,
                              "SELECT column_name::text FROM information_schema.columns"
                              " WHERE table_schema = current_schema() AND table_name = ?"
                              " AND is_identity = 'YES'",
                              table, &ids, "destination", err);
    for (int i = 0; rc == WARD_OK && i < ids.n; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'),"
                 " coalesce((SELECT max(\"%s\") FROM \"%s\"), 0) + 1, false)",
                 table, ids.v[i], ids.v[i], table);
        if (wsql_exec(to, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = sqlfail(to, err, table, "destination");
    }
    names_free(&ids);
    return rc;
}

/* ---- one store -------------------------------------------------------------- */

typedef struct {
    const char *datadir, *from, *to;
    ward_migrate_fn report;
    void *ctx;
    char scratch[4096];
} job;

/* Does the named store exist at url, and does it hold rows? Reads only. */
static ward_status probe(const char *url, const store_kind *k, int *exists, int64_t *rows,
                         ward_error *err)
{
    wsql_target t;
    ward_status rc = wsql_resolve(NULL, url, k->name, k->file, &t, err);
    *exists = 0;
    *rows = 0;
    if (rc)
        return rc;
    if (t.backend == WSQL_SQLITE && access(t.sqlite_path, F_OK) != 0)
        return WARD_OK;
    if (t.backend == WSQL_SQLITE) { /* store/crypt.h: an encrypted file starts so */
        char magic[8] = {0};
        FILE *f = fopen(t.sqlite_path, "rb");
        size_t got = f ? fread(magic, 1, sizeof magic, f) : 0;
        if (f)
            fclose(f);
        if (got == sizeof magic && memcmp(magic, "WARDAEAD", 8) == 0)
            return err_fail(err, WARD_EUNSUPPORTED,
                             "%s is encrypted at rest; ward migrate reads plaintext stores only "
                             "(on PostgreSQL encryption at rest is the server's)",
                             t.display);
    }
    wsql *db = NULL;
    int o = wsql_open(&t, SQLITE_OPEN_READONLY, NULL, &db);
    if (o == SQLITE_NOTFOUND) { /* PostgreSQL: no such schema */
        wsql_close(db);
        return WARD_OK;
    }
    if (o != SQLITE_OK) {
        rc = err_fail(err, WARD_EIO, "%s: %s", t.display, wsql_errmsg(db));
        wsql_close(db);
        return rc;
    }
    names tables = {0};
    rc = tables_of(db, &tables, t.display, err);
    *exists = tables.n > 0;
    for (int i = 0; rc == WARD_OK && i < tables.n; i++) {
        int counts = 0; /* rows the schema seeds itself (schemes, meta) are not data */
        for (int d = 0; k->data[d]; d++)
            counts |= strcmp(k->data[d], tables.v[i]) == 0;
        if (!counts)
            continue;
        char sql[256];
        int64_t n = 0;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", tables.v[i]);
        rc = query_int(db, sql, NULL, &n, t.display, err);
        *rows += n;
    }
    names_free(&tables);
    wsql_close(db);
    return rc;
}

/* Creates the store's schema at the destination through its own module. */
static ward_status create_schema(job *j, const store_kind *k, ward_error *err)
{
    if (strcmp(k->name, "store") == 0) {
        ward_store *s = NULL;
        ward_status rc = ward_store_open(j->scratch, NULL, 0, &s, err);
        ward_store_close(s);
        return rc;
    }
    if (strcmp(k->name, "intel") == 0) {
        ward_intel *in = NULL;
        ward_status rc = ward_intel_open(j->scratch, NULL, &in, err);
        ward_intel_close(in);
        return rc;
    }
    return ward_apikey_list(j->scratch, NULL, NULL, NULL, NULL, err);
}

static ward_status open_side(const char *url, const store_kind *k, int flags, wsql **db,
                             ward_error *err)
{
    wsql_target t;
    ward_status rc = wsql_resolve(NULL, url, k->name, k->file, &t, err);
    if (rc)
        return rc;
    if (wsql_open(&t, flags, NULL, db) != SQLITE_OK)
        return err_fail(err, WARD_EIO, "%s: %s", t.display, wsql_errmsg(*db));
    wsql_busy_timeout(*db, 10000);
    return WARD_OK;
}

static ward_status same_version(wsql *from, wsql *to, const store_kind *k, ward_error *err)
{
    int64_t a = 0, b = 0;
    ward_status rc = query_int(from, "PRAGMA user_version", NULL, &a, k->name, err);
    if (!rc)
        rc = query_int(to, "PRAGMA user_version", NULL, &b, "destination", err);
    if (!rc && a != b)
        rc = err_fail(err, WARD_EUNSUPPORTED,
                       "%s: the source is at schema version %lld, this ward writes %lld: open "
                       "the source with this ward once (it upgrades itself), then migrate",
                       k->name, (long long)a, (long long)b);
    return rc;
}

/* Verifies every table inside the destination's open transaction (it sees
 * its own writes) against the source's snapshot. */
static ward_status verify_store(job *j, const store_kind *k, wsql *from, wsql *to,
                                const names *tables, ward_error *err)
{
    ward_status rc = WARD_OK, bad = WARD_OK;
    names cols = {0};
    for (int i = 0; !rc && i < tables->n; i++) {
        names_free(&cols);
        rc = columns_of(from, tables->v[i], &cols, k->name, err);
        ward_migrate_table t = {.store = k->name, .table = tables->v[i]};
        multiset a, b;
        if (!rc)
            rc = digest_table(from, tables->v[i], &cols, &a, t.digest_from, k->name, err);
        if (!rc)
            rc = digest_table(to, tables->v[i], &cols, &b, t.digest_to, "destination", err);
        if (rc)
            break;
        t.rows_from = a.rows;
        t.rows_to = b.rows;
        t.match = a.rows == b.rows && strcmp(t.digest_from, t.digest_to) == 0;
        if (!t.match && !bad)
            bad = err_fail(err, WARD_EFORMAT,
                            "%s: table %s does not verify (%lld rows, %lld copied); nothing "
                            "was kept at the destination",
                            k->name, tables->v[i], (long long)a.rows, (long long)b.rows);
        if (j->report)
            j->report(j->ctx, &t);
    }
    names_free(&cols);
    return rc ? rc : bad;
}

/* Copies one store and verifies it; on success *pending is the destination
 * connection with the copy still uncommitted (ward_migrate commits every
 * store only once all of them verified). The source is read in one
 * snapshot, so the copy and its check see the same moment. */
static ward_status copy_store(job *j, const store_kind *k, wsql **pending, ward_error *err)
{
    wsql *from = NULL, *to = NULL;
    names tables = {0}, cols = {0}, dcols = {0}, blobs = {0};
    *pending = NULL;
    ward_status rc = open_side(j->from, k, SQLITE_OPEN_READONLY, &from, err);
    if (!rc)
        rc = open_side(j->to, k, SQLITE_OPEN_READWRITE, &to, err);
    if (!rc && wsql_exec(from, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        rc = sqlfail(from, err, "BEGIN", k->name);
    if (!rc)
        rc = same_version(from, to, k, err);
    if (!rc)
        rc = tables_of(from, &tables, k->name, err);
    if (!rc && wsql_backend_of(to) == WSQL_SQLITE)
        wsql_exec(to, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
    if (!rc && wsql_exec(to, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        rc = sqlfail(to, err, "BEGIN", "destination");
    /* rows the destination's migrations seeded go first (the source has
     * its own copy of them), children before parents */
    for (int i = tables.n - 1; !rc && i >= 0; i--) {
        char sql[256];
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\"", tables.v[i]);
        if (wsql_exec(to, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = sqlfail(to, err, tables.v[i], "destination");
    }
    for (int i = 0; !rc && i < tables.n; i++) {
        names_free(&cols), names_free(&dcols), names_free(&blobs);
        rc = columns_of(from, tables.v[i], &cols, k->name, err);
        if (!rc)
            rc = columns_of(to, tables.v[i], &dcols, "destination", err);
        for (int c = 0; !rc && c < cols.n; c++)
            if (!has_name(&dcols, cols.v[c]))
                rc = err_fail(err, WARD_EFORMAT,
                               "%s: table %s column %s is missing at the destination",
                               k->name, tables.v[i], cols.v[c]);
        if (!rc)
            rc = blob_columns(to, tables.v[i], &blobs, "destination", err);
        if (!rc)
            rc = copy_rows(from, to, tables.v[i], &cols, &blobs, k->name, err);
        if (!rc)
            rc = advance_identities(to, tables.v[i], err);
    }
    if (!rc)
        rc = verify_store(j, k, from, to, &tables, err);
    if (rc && to && !wsql_get_autocommit(to))
        wsql_exec(to, "ROLLBACK", NULL, NULL, NULL);
    if (from && !wsql_get_autocommit(from))
        wsql_exec(from, "ROLLBACK", NULL, NULL, NULL); /* read only */
    names_free(&tables), names_free(&cols), names_free(&dcols), names_free(&blobs);
    wsql_close(from);
    if (rc)
        wsql_close(to);
    else
        *pending = to;
    return rc;
}

/* A scratch data directory whose store.url is the destination: opening a
 * store there creates its schema at the destination. */
static ward_status make_scratch(job *j, ward_error *err)
{
    snprintf(j->scratch, sizeof j->scratch, "%s/.migrate-XXXXXX", j->datadir);
    if (!mkdtemp(j->scratch))
        return err_fail_errno(err, errno, "cannot create a scratch directory in %s",
                               j->datadir);
    return ward_store_use(j->scratch, j->to, err);
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    remove(path); /* one left behind is harmless: named .migrate-* */
    return 0;
}

/* The scratch holds only what the stores' opens wrote: remove it all,
 * deepest first, never following a link out of it. */
static void remove_scratch(job *j)
{
    if (j->scratch[0])
        nftw(j->scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* sqlite:DIR with DIR absolute, so that a store.url naming it means the same
 * from any working directory. */
static ward_status absolute(const char *url, char *out, size_t cap, ward_error *err)
{
    if (strncmp(url, "sqlite:", 7) != 0 || url[7] == '/') {
        snprintf(out, cap, "%s", url);
        return WARD_OK;
    }
    char *real = realpath(url + 7, NULL);
    if (!real)
        return err_fail_errno(err, errno, "%s", url + 7);
    snprintf(out, cap, "sqlite:%s", real);
    free(real);
    return WARD_OK;
}

ward_status ward_migrate(const char *datadir, const char *from, const char *to,
                         ward_migrate_fn report, void *ctx, ward_error *err)
{
    if (!datadir || !to)
        return err_fail(err, WARD_EINVAL, "migrate: data directory and destination");
    /* by default the stores are where the data directory says they are
     * now: after an earlier migration that is the server, not the SQLite
     * files left behind in the directory */
    char here[4200], src[4200], dst[4200], shown[4200];
    ward_status rc = WARD_OK;
    if (!from) {
        rc = wsql_datadir_url(datadir, here, sizeof here, err);
        if (!rc && !here[0])
            snprintf(here, sizeof here, "sqlite:%s", datadir);
        from = here;
    }
    if (!rc && strncmp(to, "sqlite:", 7) == 0 && mkdir(to + 7, 0700) != 0 && errno != EEXIST)
        rc = err_fail_errno(err, errno, "cannot create %s", to + 7);
    if (!rc)
        rc = absolute(from, src, sizeof src, err);
    if (!rc)
        rc = absolute(to, dst, sizeof dst, err);
    if (rc)
        return rc;
    if (strcmp(src, dst) == 0)
        return err_fail(err, WARD_EINVAL, "migrate: the source and the destination are the same");
    job j = {.datadir = datadir, .from = src, .to = dst, .report = report, .ctx = ctx};
    wsql_url_display(dst, shown, sizeof shown);
    int present[3] = {0};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        int64_t rows = 0;
        int exists = 0;
        rc = probe(src, &KINDS[i], &present[i], &rows, err);
        if (!rc)
            rc = probe(dst, &KINDS[i], &exists, &rows, err);
        if (rc)
            return rc;
        if (present[i] && exists && rows > 0) /* exit 3: the destination is unusable */
            return err_fail(err, WARD_EUNSUPPORTED,
                             "%s: the destination already holds a %s store with %lld rows of "
                             "data; ward migrate never merges into or overwrites a store",
                             shown, KINDS[i].what, (long long)rows);
        any |= present[i];
    }
    if (!any) {
        wsql_url_display(src, shown, sizeof shown);
        return err_fail(err, WARD_ENOTFOUND, "%s: no ward store there to migrate", shown);
    }
    /* every store is copied and verified before any is committed: a
     * failure anywhere leaves every destination as it was */
    wsql *pending[3] = {NULL, NULL, NULL};
    rc = make_scratch(&j, err);
    for (int i = 0; !rc && i < 3; i++)
        if (present[i]) {
            rc = create_schema(&j, &KINDS[i], err);
            if (!rc)
                rc = copy_store(&j, &KINDS[i], &pending[i], err);
        }
    remove_scratch(&j);
    for (int i = 0; i < 3; i++) {
        if (!pending[i])
            continue;
        if (!rc && wsql_exec(pending[i], "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            rc = err_fail(err, WARD_EIO, "%s: COMMIT of the %s store: %s", shown,
                           KINDS[i].what, wsql_errmsg(pending[i]));
        else if (rc && !wsql_get_autocommit(pending[i]))
            wsql_exec(pending[i], "ROLLBACK", NULL, NULL, NULL);
        wsql_close(pending[i]);
    }
    return rc;
}

void ward_store_url_display(const char *url, char *out, size_t cap)
{
    wsql_url_display(url, out, cap);
}

ward_status ward_store_use(const char *datadir, const char *url_in, ward_error *err)
{
    if (!wsql_is_pg_url(url_in) && strncmp(url_in, "sqlite:", 7) != 0)
        return err_fail(err, WARD_EINVAL, "expected postgresql://... or sqlite:DIR");
    char url[4200];
    ward_status rc = absolute(url_in, url, sizeof url, err);
    if (rc)
        return rc;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/store.url", datadir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot write %s", tmp);
    size_t n = strlen(url);
    int ok = write(fd, url, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        saved = ok ? errno : saved;
        unlink(tmp);
        return err_fail_errno(err, saved, "cannot write %s", path);
    }
    return WARD_OK;
}
