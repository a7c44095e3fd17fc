/* Internals of src/victim: series, register, alerts, quarantine. The
 * tables live in the hash-set store (schema migration 4); writes here are
 * plain transactions that leave the store revision alone (it names a state
 * of the hash sets, which these do not change). */
#ifndef WARD_VICTIM_INT_H
#define WARD_VICTIM_INT_H

#include <ward/victim.h>

#include "store/store_int.h"

/* BEGIN IMMEDIATE / COMMIT without a revision bump; vt_end commits when
 * rc is WARD_OK, else rolls back, and returns rc (or the commit's
 * failure). */
ward_status vt_begin(ward_store *s, ward_error *err);
ward_status vt_end(ward_store *s, ward_status rc, ward_error *err);

/* The live series called `name` (current or former name; a merged series
 * resolves to the one it went into): its id. WARD_ENOTFOUND naming it. */
ward_status vt_series_id(ward_store *s, const char *name, int64_t *id, ward_error *err);
/* The current name of series id into out (cap bytes). */
ward_status vt_series_name(ward_store *s, int64_t id, char *out, size_t cap, ward_error *err);
/* Append to the series log. */
ward_status vt_log(ward_store *s, int64_t series, const char *who, const char *action,
                   const char *detail, ward_error *err);

/* Bind text, or NULL for "" (optional hashes). */
void vt_bind_opt(wsql_stmt *st, int i, const char *v);
/* Column i as text, "" for NULL. */
static inline const char *vt_col(wsql_stmt *st, int i)
{
    const char *v = wst_text(st, i);
    return v ? v : "";
}
/* id, name, status, team, contact from columns 0-4 into o (the rest
 * cleared). */
void vt_series_head(wsql_stmt *st, ward_series *o);
/* Copy column i into a fixed field. */
void vt_copy(char *dst, size_t cap, wsql_stmt *st, int i);

/* The smallest Hamming distance between any PDQ of list a and any of list
 * b (space-separated hex), 257 when either has none or one is malformed. */
int vt_pdq_min(const char *a, const char *b);

/* "sha256:HEX" (else sha1:, md5:, pdq:<first>) for messages and keys. */
void vt_hash_key(const ward_victim_hash *h, char *out, size_t cap);

/* Insert h into series id (called sname) unless it is there (*added 0);
 * WARD_EINVAL when it is in another series. No log line. */
ward_status vt_add_entry(ward_store *s, int64_t id, const char *sname, const ward_victim_hash *h,
                         const char *label, const char *who, int *added, ward_error *err);
/* Entries above `after` that name a series of this store join it; one
 * saying its victim is identified while the series is not is an alert to
 * the series' team (exchange.c). */
ward_status vt_adopt(ward_store *s, int64_t after, const char *at, uint64_t *adopted,
                     uint64_t *told, ward_error *err);
/* Store an alert for unit. */
ward_status vt_alert(ward_store *s, const char *at, const char *unit, const char *priority,
                     const char *kind, int64_t series, const char *hash, const char *message,
                     const char *state, ward_error *err);
#endif
