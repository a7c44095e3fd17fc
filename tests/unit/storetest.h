/* Helpers shared by the store tests (test_store, test_import, test_export,
 * test_store_crash): scratch directories and files, stores, imports, SQL
 * probes and a canonical text dump of a store. Header-only, like
 * testutil.h: each test is one program. */
#ifndef WARD_STORETEST_H
#define WARD_STORETEST_H

#include "testutil.h"

#include <ward/store.h>

#include "store/store_int.h"

/* ---- scratch files -------------------------------------------------- */

/* dir/name. Four buffers in turn, so a call may take up to four paths. */
static inline const char *path_in(const char *dir, const char *name)
{
    static char buf[4][4200];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* dir/name holding the formatted text; returns the path (see path_in). */
static inline const char *write_in(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline const char *write_in(const char *dir, const char *name, const char *fmt, ...)
{
    const char *p = path_in(dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
    return p;
}

/* ---- stores and imports --------------------------------------------- */

static inline ward_store *store_open_ok(const char *dir)
{
    ward_store *s = NULL;
    ward_error err;
    if (ward_store_open(dir, test_store_url(), 0, &s, &err))
        fail_msg("open %s: %s", dir, err.message);
    return s;
}

/* An import that must succeed (bad records allowed); its messages are
 * printed. sum may be NULL. */
static inline void import_ok(ward_store *s, const char *path, ward_hashset_format fmt,
                             const char *list, ward_import_summary *sum)
{
    ward_error err;
    ward_import_summary local;
    if (!sum)
        sum = &local;
    if (ward_store_import(s, path, fmt, list, NULL, sum, &err))
        fail_msg("import %s: %s", path, err.message);
    for (size_t i = 0; i < sum->n_messages; i++)
        print_message("  %s\n", sum->messages[i]);
}

/* ... with no bad record at all. */
static inline void import_clean(ward_store *s, const char *path, ward_hashset_format fmt,
                                const char *list, ward_import_summary *sum)
{
    ward_import_summary local;
    if (!sum)
        sum = &local;
    import_ok(s, path, fmt, list, sum);
    assert_int_equal(sum->bad, 0);
}

static inline uint64_t live_entries(ward_store *s)
{
    ward_store_stats *st;
    assert_int_equal(ward_store_stats_get(s, &st, NULL), WARD_OK);
    uint64_t n = st->entries;
    ward_store_stats_free(st);
    return n;
}

/* A scratch directory with a store in it (dir/store): the state of the
 * tests that cmocka runs with store_setup and store_teardown. */
typedef struct store_fx {
    char *dir;
    ward_store *s;
} store_fx;

static inline int store_setup(void **state)
{
    store_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = scratch_dir("ward-store-test");
    f->s = store_open_ok(path_in(f->dir, "store"));
    *state = f;
    return 0;
}

static inline int store_teardown(void **state)
{
    store_fx *f = *state;
    ward_store_close(f->s);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

/* ---- SQL probes ----------------------------------------------------- */

/* The first row of `sql` must exist; its first column as an integer. */
static inline int64_t sql_int(wsql *db, const char *sql)
{
    wsql_stmt *q;
    if (wsql_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, wsql_errmsg(db));
    assert_int_equal(wsql_step(q), SQLITE_ROW);
    int64_t v = wsql_column_int64(q, 0);
    wsql_finalize(q);
    return v;
}

/* The first row of `sql` must exist and its first column read `want`. */
static inline void sql_text_is(wsql *db, const char *sql, const char *want)
{
    wsql_stmt *q;
    if (wsql_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, wsql_errmsg(db));
    assert_int_equal(wsql_step(q), SQLITE_ROW);
    assert_string_equal((const char *)wsql_column_text(q, 0), want);
    wsql_finalize(q);
}

/* ---- SQLite or PostgreSQL ------------------------------------------- */

/* The pg.* pass: stores live on the PostgreSQL server $WARD_STORE names. */
static inline int on_postgres(void) { return test_store_url() != NULL; }

/* True (and says so) when a step examines SQLite files themselves. */
static inline int skip_on_postgres(const char *why)
{
    if (!on_postgres())
        return 0;
    print_message("skipped on PostgreSQL: %s\n", why);
    return 1;
}

/* The store database of data directory `dir` opened directly, not through
 * ward_store (dir/ward.db, or its schema on PostgreSQL). */
static inline wsql *store_db_open(const char *dir)
{
    wsql_target t;
    ward_error err;
    if (wsql_resolve(dir, test_store_url(), "store", "ward.db", &t, &err))
        fail_msg("resolve %s: %s", dir, err.message);
    wsql *db = NULL;
    if (wsql_open(&t, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL, &db) != SQLITE_OK)
        fail_msg("open %s: %s", t.display, wsql_errmsg(db));
    return db;
}

/* ---- dumps ---------------------------------------------------------- */

/* A store as text: the lists through list_line (may be NULL), then every
 * live entry through entry_line, each writing to the FILE * it is given.
 * Two stores with the same contents give the same text. malloc'd. */
static inline char *dump_store_with(ward_store *s, ward_list_cb list_line,
                                    ward_entry_cb entry_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    ward_error err;
    if (list_line)
        assert_int_equal(ward_store_lists(s, list_line, f, &err), WARD_OK);
    assert_int_equal(wst_each_entry(s, NULL, NULL, entry_line, f, &err), WARD_OK);
    fclose(f);
    return buf;
}

/* ---- generated data ------------------------------------------------- */

/* xorshift64: reproducible test data from a seed (not 0). */
typedef struct xrng {
    uint64_t s;
} xrng;

static inline uint64_t xrng_next(xrng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

#endif
