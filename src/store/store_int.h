/* Internals of the hash-set store shared by src/store and src/exchange. */
#ifndef WARD_STORE_INT_H
#define WARD_STORE_INT_H

#include <sqlite3.h>
#include <ward/store.h>

/* Page cache (KiB): normally, and while importing (index pages of a few
 * million entries stay in memory; well under the 300 MB an import may use). */
#define WST_CACHE_KIB (32 * 1024)
#define WST_IMPORT_CACHE_KIB (128 * 1024)

/* PRAGMA application_id of a ward store: 'ward' in ASCII (2002874980). */
#define WST_APPLICATION_ID 0x77617264

struct ward_store {
    sqlite3 *db;
    char *path;        /* <datadir>/ward.db */
    int readonly;
    int in_tx;         /* inside wst_begin .. wst_commit/rollback */
    int tx_write;
    int import_cache_kib; /* page cache during imports; tests lower it to
                             force SQLite to spill into the WAL early */
    sqlite3_stmt *lookup[4][2]; /* by digest kind, with removed or not;
                                   prepared on first use */
};

/* Map the connection's last SQLite error to a ward_status and message. */
ward_status wst_sqlfail(ward_store *s, ward_error *err, int rc, const char *what);

/* Transactions. A write transaction is BEGIN IMMEDIATE and bumps the store
 * revision on commit. */
ward_status wst_begin(ward_store *s, int write, ward_error *err);
ward_status wst_commit(ward_store *s, ward_error *err);
void wst_rollback(ward_store *s);

/* Run SQL with no results. */
ward_status wst_exec(ward_store *s, const char *sql, ward_error *err);
ward_status wst_prepare(ward_store *s, const char *sql, sqlite3_stmt **st,
                        ward_error *err);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void wst_now(char out[32]);

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
void wst_entry_from_row(sqlite3_stmt *st, wst_entry_buf *b);

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
