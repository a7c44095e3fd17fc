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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

typedef struct {
    const char *name, *file, *what;
} store_kind;

static const store_kind KINDS[] = {{"store", "ward.db", "hash-set"},
                                   {"intel", "intel.db", "intelligence"},
                                   {"service", "service.db", "service"}};

/* ---- small SQL helpers -------------------------------------------------- */

static ward_status sqlfail(wsql *db, ward_error *err, const char *what, const char *where)
{
    return ward_fail(err, WARD_EIO, "%s: %s: %s", where, what, db ? wsql_errmsg(db) : "?");
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
            return ward_fail(err, WARD_ENOMEM, "out of memory");
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

static ward_status digest_table(wsql *db, const char *table, const names *cols, multiset *m,
                                char hex[65], const char *where, ward_error *err)
{
    char *list = column_list(cols);
    size_t n = strlen(table) + (list ? strlen(list) : 0) + 32;
    char *sql = malloc(n);
    if (!list || !sql) {
        free(list);
        free(sql);
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    }
    snprintf(sql, n, "SELECT %s FROM \"%s\"", list, table);
    free(list);
    memset(m, 0, sizeof *m);
    wsql_stmt *st;
    int rc = wsql_prepare_v2(db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return sqlfail(db, err, table, where);
    while ((rc = wsql_step(st)) == SQLITE_ROW)
        multiset_add(m, st, cols->n);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return sqlfail(db, err, table, where);
    for (int i = 0; i < 32; i++) /* big-endian hex reads as a number */
        snprintf(hex + 2 * i, 3, "%02x", m->sum[31 - i]);
    return WARD_OK;
}

/* ---- copying -------------------------------------------------------------- */

static ward_status copy_rows(wsql *from, wsql *to, const char *table, const names *cols,
                             const names *blobs, const char *where, ward_error *err)
{
    char *list = column_list(cols);
    size_t n = strlen(table) + (list ? strlen(list) : 0) + 4 * (size_t)cols->n + 64;
    char *sel = malloc(n), *ins = malloc(n);
    if (!list || !sel || !ins) {
        free(list), free(sel), free(ins);
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    }
    snprintf(sel, n, "SELECT %s FROM \"%s\"", list, table);
    int k = snprintf(ins, n, "INSERT INTO \"%s\"(%s) VALUES(", table, list);
    for (int i = 0; i < cols->n; i++)
        k += snprintf(ins + k, n - (size_t)k, i ? ", ?" : "?");
    snprintf(ins + k, n - (size_t)k, ")");
    free(list);
    wsql_stmt *r = NULL, *w = NULL;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(from, sel, -1, &r, NULL) != SQLITE_OK)
        rc = sqlfail(from, err, table, where);
    else if (wsql_prepare_v2(to, ins, -1, &w, NULL) != SQLITE_OK)
        rc = sqlfail(to, err, table, "destination");
    free(sel), free(ins);
    int step;
    while (rc == WARD_OK && (step = wsql_step(r)) == SQLITE_ROW) {
        wsql_reset(w);
        for (int c = 0; c < cols->n; c++) {
            int t = wsql_column_type(r, c);
            if (t == SQLITE_NULL)
                wsql_bind_null(w, c + 1);
            else if (t == SQLITE_BLOB || has_name(blobs, cols->v[c]))
                wsql_bind_blob(w, c + 1, wsql_column_blob(r, c), wsql_column_bytes(r, c),
                               SQLITE_TRANSIENT);
            else if (t == SQLITE_INTEGER)
                wsql_bind_int64(w, c + 1, wsql_column_int64(r, c));
            else if (t == SQLITE_FLOAT)
                wsql_bind_double(w, c + 1, wsql_column_double(r, c));
            else
                wsql_bind_text(w, c + 1, (const char *)wsql_column_text(r, c),
                               wsql_column_bytes(r, c), SQLITE_TRANSIENT);
        }
        if (wsql_step(w) != SQLITE_DONE)
            rc = ward_fail(err, WARD_EIO, "destination: %s: %s", table, wsql_errmsg(to));
    }
    if (rc == WARD_OK && step != SQLITE_DONE)
        rc = sqlfail(from, err, table, where);
    wsql_finalize(r);
    wsql_finalize(w);
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
    wsql *db = NULL;
    int o = wsql_open(&t, SQLITE_OPEN_READONLY, NULL, &db);
    if (o == SQLITE_NOTFOUND) { /* PostgreSQL: no such schema */
        wsql_close(db);
        return WARD_OK;
    }
    if (o != SQLITE_OK) {
        rc = ward_fail(err, WARD_EIO, "%s: %s", t.display, wsql_errmsg(db));
        wsql_close(db);
        return rc;
    }
    names tables = {0};
    rc = tables_of(db, &tables, t.display, err);
    *exists = tables.n > 0;
    for (int i = 0; rc == WARD_OK && i < tables.n; i++) {
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
        ward_status rc = ward_store_open(j->scratch, 0, &s, err);
        ward_store_close(s);
        return rc;
    }
    if (strcmp(k->name, "intel") == 0) {
        ward_intel *in = NULL;
        ward_status rc = ward_intel_open(j->scratch, &in, err);
        ward_intel_close(in);
        return rc;
    }
    return ward_apikey_list(j->scratch, NULL, NULL, err);
}

static ward_status open_side(const char *url, const store_kind *k, int flags, wsql **db,
                             ward_error *err)
{
    wsql_target t;
    ward_status rc = wsql_resolve(NULL, url, k->name, k->file, &t, err);
    if (rc)
        return rc;
    if (wsql_open(&t, flags, NULL, db) != SQLITE_OK)
        return ward_fail(err, WARD_EIO, "%s: %s", t.display, wsql_errmsg(*db));
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
        rc = ward_fail(err, WARD_EUNSUPPORTED,
                       "%s: the source is at schema version %lld, this ward writes %lld: open "
                       "the source with this ward once (it upgrades itself), then migrate",
                       k->name, (long long)a, (long long)b);
    return rc;
}

static ward_status copy_store(job *j, const store_kind *k, ward_error *err)
{
    wsql *from = NULL, *to = NULL;
    names tables = {0}, cols = {0}, dcols = {0}, blobs = {0};
    ward_status rc = open_side(j->from, k, SQLITE_OPEN_READONLY, &from, err);
    if (!rc)
        rc = open_side(j->to, k, SQLITE_OPEN_READWRITE, &to, err);
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
                rc = ward_fail(err, WARD_EFORMAT,
                               "%s: table %s column %s is missing at the destination",
                               k->name, tables.v[i], cols.v[c]);
        if (!rc)
            rc = blob_columns(to, tables.v[i], &blobs, "destination", err);
        if (!rc)
            rc = copy_rows(from, to, tables.v[i], &cols, &blobs, k->name, err);
        if (!rc)
            rc = advance_identities(to, tables.v[i], err);
    }
    if (!rc && wsql_exec(to, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = sqlfail(to, err, "COMMIT", "destination");
    if (rc && to && !wsql_get_autocommit(to))
        wsql_exec(to, "ROLLBACK", NULL, NULL, NULL);

    /* verify: count and digest, each side read on its own */
    ward_status bad = WARD_OK;
    for (int i = 0; !rc && i < tables.n; i++) {
        names_free(&cols);
        rc = columns_of(from, tables.v[i], &cols, k->name, err);
        ward_migrate_table t = {.store = k->name, .table = tables.v[i]};
        multiset a, b;
        if (!rc)
            rc = digest_table(from, tables.v[i], &cols, &a, t.digest_from, k->name, err);
        if (!rc)
            rc = digest_table(to, tables.v[i], &cols, &b, t.digest_to, "destination", err);
        if (rc)
            break;
        t.rows_from = a.rows;
        t.rows_to = b.rows;
        t.match = a.rows == b.rows && strcmp(t.digest_from, t.digest_to) == 0;
        if (!t.match && !bad)
            bad = ward_fail(err, WARD_EFORMAT,
                            "%s: table %s does not verify (%lld rows, %lld copied)", k->name,
                            tables.v[i], (long long)a.rows, (long long)b.rows);
        if (j->report)
            j->report(j->ctx, &t);
    }
    names_free(&tables), names_free(&cols), names_free(&dcols), names_free(&blobs);
    wsql_close(from);
    wsql_close(to);
    return rc ? rc : bad;
}

/* A scratch data directory whose store.url is the destination: opening a
 * store there creates its schema at the destination. */
static ward_status make_scratch(job *j, ward_error *err)
{
    snprintf(j->scratch, sizeof j->scratch, "%s/.migrate-XXXXXX", j->datadir);
    if (!mkdtemp(j->scratch))
        return ward_fail_errno(err, errno, "cannot create a scratch directory in %s",
                               j->datadir);
    return ward_store_use(j->scratch, j->to, err);
}

static void remove_scratch(job *j)
{
    if (!j->scratch[0])
        return;
    char cmd[4200];
    /* the scratch holds only what the stores' opens wrote: remove it all */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", j->scratch);
    if (strchr(j->scratch, '\'') == NULL && system(cmd) != 0) {
        /* left behind: harmless, named .migrate-* */
    }
}

ward_status ward_migrate(const char *datadir, const char *from, const char *to,
                         ward_migrate_fn report, void *ctx, ward_error *err)
{
    if (!datadir || !from || !to)
        return ward_fail(err, WARD_EINVAL, "migrate: data directory, source and destination");
    job j = {.datadir = datadir, .from = from, .to = to, .report = report, .ctx = ctx};
    int present[3] = {0};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        int64_t rows = 0;
        int exists = 0;
        ward_status rc = probe(from, &KINDS[i], &present[i], &rows, err);
        if (!rc)
            rc = probe(to, &KINDS[i], &exists, &rows, err);
        if (rc)
            return rc;
        if (present[i] && exists && rows > 0) /* exit 3: the destination is unusable */
            return ward_fail(err, WARD_EUNSUPPORTED,
                             "%s: the destination already holds a %s store with %lld rows; "
                             "ward migrate never merges into or overwrites a store",
                             to, KINDS[i].what, (long long)rows);
        any |= present[i];
    }
    if (!any)
        return ward_fail(err, WARD_ENOTFOUND, "%s: no ward store there to migrate", from);
    if (strncmp(to, "sqlite:", 7) == 0 && mkdir(to + 7, 0700) != 0 && errno != EEXIST)
        return ward_fail_errno(err, errno, "cannot create %s", to + 7);
    ward_status rc = make_scratch(&j, err);
    for (int i = 0; !rc && i < 3; i++)
        if (present[i]) {
            rc = create_schema(&j, &KINDS[i], err);
            if (!rc)
                rc = copy_store(&j, &KINDS[i], err);
        }
    remove_scratch(&j);
    return rc;
}

ward_status ward_store_use(const char *datadir, const char *url, ward_error *err)
{
    if (!wsql_is_pg_url(url) && strncmp(url, "sqlite:", 7) != 0)
        return ward_fail(err, WARD_EINVAL, "%s: expected postgresql://... or sqlite:DIR", url);
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/store.url", datadir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return ward_fail_errno(err, errno, "cannot write %s", tmp);
    size_t n = strlen(url);
    int ok = write(fd, url, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        saved = ok ? errno : saved;
        unlink(tmp);
        return ward_fail_errno(err, saved, "cannot write %s", path);
    }
    return WARD_OK;
}
