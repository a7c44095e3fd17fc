/*
 * ward/migrate.h: moving a node's stores between SQLite and PostgreSQL.
 *
 * A node's data lives in three stores: the hash sets ("store", ward.db),
 * intelligence ("intel", intel.db) and the match service's state
 * ("service", service.db: API keys, events, reviews, reports, users and the
 * audit chain). ward_migrate copies every row of each store that exists at
 * the source into the same schema at the destination (created there by the
 * stores' own migrations), then proves nothing was lost: per table, the row
 * counts and an order-independent SHA-256 digest of the rows must agree, or
 * the call fails. The source is only read. The destination must not already
 * hold rows: a migration never merges into or overwrites a store.
 *
 * Locations: "sqlite:DIR" (the files in DIR) or a postgresql:// URL (with
 * ?ward_prefix=NAME to keep several installations on one server apart).
 * Data-directory files that are not stores (keys, releases, configuration,
 * index files) stay where they are.
 */
#ifndef WARD_MIGRATE_H
#define WARD_MIGRATE_H

#include <stdint.h>

#include "ward/ward.h"

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* One table's outcome, reported as each table is verified. */
typedef struct {
    const char *store;       /* "store", "intel", "service" */
    const char *table;
    int64_t rows_from, rows_to;
    char digest_from[65], digest_to[65]; /* hex SHA-256 of the row multiset */
    int match;               /* counts and digests agree */
} ward_migrate_table;

typedef void (*ward_migrate_fn)(void *ctx, const ward_migrate_table *t);

/* from NULL: where datadir's stores are now (DIR/store.url, else its
 * SQLite files). Every store is copied and verified before any is
 * committed, so a failure leaves each destination as it was; stop writers
 * (ward serve, cron jobs) on the node while it runs, or their later writes
 * stay behind at the source.
 * datadir: the node's data directory (a scratch directory for creating the
 * destination's schemas is made in it and removed). Returns WARD_EFORMAT
 * when a table does not verify, WARD_EUNSUPPORTED when the destination
 * already holds data, WARD_ENOTFOUND when there is nothing to migrate. */
ward_status ward_migrate(const char *datadir, const char *from, const char *to,
                         ward_migrate_fn report, void *ctx, ward_error *err);

/* Points datadir at url by writing DATADIR/store.url (0600, atomically), so
 * that every later command and `ward serve` on it use that store. */
ward_status ward_store_use(const char *datadir, const char *url, ward_error *err);

/* url as messages may show it: without a password. */
void ward_store_url_display(const char *url, char *out, size_t cap);

WARD_API_END
#ifdef __cplusplus
}
#endif

#endif
