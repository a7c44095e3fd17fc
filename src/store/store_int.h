/* Internals of the hash-set store shared by src/store and src/exchange. */
#ifndef WARD_STORE_INT_H
#define WARD_STORE_INT_H

#include <string.h>
#include <ward/store.h>

#include "store/sql.h"

/* Page cache (KiB): normally, and while importing (index pages of a few
 * million entries stay in memory; well under the 300 MB an import may use). */
#define WST_CACHE_KIB (32 * 1024)
#define WST_IMPORT_CACHE_KIB (128 * 1024)

/* PRAGMA application_id of a ward store: 'ward' in ASCII (2002874980). */
#define WST_APPLICATION_ID 0x77617264

struct ward_store {
    wsql *db;
    char *path;        /* <datadir>/ward.db, or the PostgreSQL URL (no password):
                          what messages name */
    int readonly;
    int in_tx;         /* inside wst_begin .. wst_commit/rollback */
    int tx_write;
    int import_cache_kib; /* page cache during imports; tests lower it to
                             force SQLite to spill into the WAL early */
    int wait_ms;          /* the write-lock wait ward_store_set_wait set;
                             0: WARD_STORE_WAIT_MS */
    wsql_stmt *lookup[4][2]; /* by digest kind, with removed or not;
                                prepared on first use */
    wsql_stmt *get_by_id;    /* ward_store_get: a matcher's hot path */
};

/* The store lives on PostgreSQL (wsql_resolve: $WARD_STORE, store.url). */
static inline int wst_pg(const ward_store *s)
{
    return wsql_backend_of(s->db) == WSQL_POSTGRES;
}

/* Map the connection's last error (an SQLITE_* code on either server) to a
 * ward_status and message. */
ward_status wst_sqlfail(ward_store *s, ward_error *err, int rc, const char *what);

/* Transactions. A write transaction is BEGIN IMMEDIATE and bumps the store
 * revision on commit. */
ward_status wst_begin(ward_store *s, int write, ward_error *err);
ward_status wst_commit(ward_store *s, ward_error *err);
void wst_rollback(ward_store *s);

/* Column i of the current row as text (NULL for SQL NULL). */
static inline const char *wst_text(wsql_stmt *st, int i)
{
    return (const char *)wsql_column_text(st, i);
}

/* lists.kind, stored as text. */
static inline ward_list_kind wst_list_kind(const char *text)
{
    return text && strcmp(text, "known-good") == 0 ? WARD_LIST_KNOWN_GOOD : WARD_LIST_ALERT;
}

/* Column i when it holds a blob of exactly n bytes (a digest), else NULL. */
static inline const void *wst_blob(wsql_stmt *st, int i, size_t n)
{
    return wsql_column_type(st, i) == SQLITE_BLOB && (size_t)wsql_column_bytes(st, i) == n
               ? wsql_column_blob(st, i)
               : NULL;
}

/* Run SQL with no results. */
ward_status wst_exec(ward_store *s, const char *sql, ward_error *err);
ward_status wst_prepare(ward_store *s, const char *sql, wsql_stmt **st,
                        ward_error *err);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void wst_now(char out[32]);

/* The integer in the first column of the one row `sql` gives. */
ward_status wst_query_int(ward_store *s, const char *sql, int64_t *v, ward_error *err);

/* Prepare `sql`, bind `key` as ?1 and step to the first row: WARD_OK with
 * *st on that row (the caller reads it and finalizes *st). No row:
 * WARD_ENOTFOUND and err untouched, for the caller to say what is missing
 * (or to create it). Else the SQLite failure, `what` naming the step. */
ward_status wst_find_row(ward_store *s, const char *sql, const char *key,
                         wsql_stmt **st, const char *what, ward_error *err);

/* Step `st` through its rows, calling row(ctx, st) on each until it returns
 * non-zero (its caller's callback asked to stop); finalizes `st`. */
typedef int (*wst_row_fn)(void *ctx, wsql_stmt *st);
ward_status wst_each_row(ward_store *s, wsql_stmt *st, wst_row_fn row, void *ctx,
                         const char *what, ward_error *err);

/* Walks over every entry read PAGE_ROWS rows per query on PostgreSQL,
 * which hands a result over whole (ten million entries would all be in
 * memory at once); SQLite steps through one query. */
#define WST_PAGE_ROWS 100000

/* Like wst_each_row for a query ordered by the id in column 0 whose
 * parameter `after` bounds it (`id > ?after`) and, on PostgreSQL, that ends
 * in LIMIT WST_PAGE_ROWS: the query runs again after the last id seen until
 * a page comes back short (keyset pagination). Run it inside a read
 * transaction for the pages to be of one snapshot. Finalizes `st`. */
ward_status wst_each_page(ward_store *s, wsql_stmt *st, int after, wst_row_fn row, void *ctx,
                          const char *what, ward_error *err);

/* " LIMIT WST_PAGE_ROWS" on PostgreSQL, "" on SQLite. */
const char *wst_page_limit(const ward_store *s);

/* Room for element n of a doubling array v of *cap elements of `size`
 * bytes: v itself, or its reallocation with *cap raised; NULL (v untouched)
 * when out of memory. */
void *wst_grow(void *v, size_t *cap, size_t n, size_t size);

/* Rows kept in a growing array of n elements of `size` bytes (v: the
 * caller's to free, also after a failure). */
typedef struct wst_rows {
    void *v;
    size_t n, cap, size;
} wst_rows;
/* Fill a zeroed element from the current row; non-zero: out of memory. */
typedef int (*wst_fill_fn)(void *ctx, wsql_stmt *st, void *elem);
/* Every row of `st` appended to rows through fill(); finalizes `st`. */
ward_status wst_keep_rows(ward_store *s, wsql_stmt *st, wst_rows *rows, wst_fill_fn fill,
                          void *ctx, const char *what, ward_error *err);

/* Scheme, list and category names: 1-200 bytes, no control characters. */
int wst_valid_name(const char *name);

/* The id of a category scheme and its name as stored (the lookup ignores
 * case); name may be NULL. WARD_ENOTFOUND "no category scheme" if none. */
ward_status wst_scheme(ward_store *s, const char *scheme, int64_t *id, char *name,
                       size_t cap, ward_error *err);

/* Add a list (inside the caller's write transaction; the caller checks
 * the name with wst_valid_name). WARD_EINVAL if the name is taken. */
ward_status wst_insert_list(ward_store *s, const char *name, const char *description,
                            int64_t scheme_id, ward_list_kind kind, ward_error *err);

/* Migrations (schema.c). */
int wst_schema_latest(void);
/* Bring the database to version `target` (<= latest); for tests. */
ward_status wst_migrate(ward_store *s, int target, ward_error *err);

/* Entries as ward_entry rows (entries.c). The SELECT list and joins every
 * entry query uses; append WHERE/ORDER. */
extern const char WST_ENTRY_SELECT[];
typedef struct wst_entry_buf {
    ward_entry e;
    char hex[4][65];
} wst_entry_buf;
/* Fill b->e from a row of WST_ENTRY_SELECT; strings point into the
 * statement (valid until the next step). */
void wst_entry_from_row(wsql_stmt *st, wst_entry_buf *b);

/* entries.hex_orig keeps mixed-case digest text as "md5:Ab..,sha1:..": the
 * text of kind k (WST_*) copied into out, or NULL if it has none. */
const char *wst_hex_orig(const char *orig, int k, char out[65]);

/* Walk live entries (optionally one list, one category code) in id order. */
ward_status wst_each_entry(ward_store *s, const char *list, const char *category,
                           ward_entry_cb cb, void *ctx, ward_error *err);

/* Digest kinds and columns. */
enum { WST_MD5 = 0, WST_SHA1, WST_SHA256, WST_PDQ, WST_NKINDS };
extern const char *const wst_kind_col[WST_NKINDS];
extern const size_t wst_kind_len[WST_NKINDS];

/* Parse a lookup query ("[kind:]hex"): sets *kinds (bits of WST_*) that the
 * digest may be and its bytes. */
ward_status wst_parse_query(const char *query, unsigned *kinds, uint8_t bytes[32],
                            size_t *n, ward_error *err);
#endif
