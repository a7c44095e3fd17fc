/*
 * Internal to src/ops: what doctor.c and backup.c share.
 */
#ifndef WARD_OPS_INT_H
#define WARD_OPS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ops.h>

/* The index against the store revision: damaged, missing, behind, current. */
void ops_check_index(const char *dir, uint64_t store_rev, ward_doctor_cb cb, void *ctx);

/* SQLite's quick_check of the database at path (key: through the
 * encrypting VFS). WARD_OK when it ran; the first problem, if any, goes to
 * problem ("" when none). */
ward_status ops_sqlite_check(const char *path, const unsigned char *key, char *problem,
                             size_t cap, ward_error *err);

/* A consistent copy of the SQLite database src into dst (which must not
 * exist; created 0600) through SQLite's online backup, so writers may go on
 * meanwhile. key: both are opened through the encrypting VFS, and the copy
 * is encrypted with the same key. */
ward_status ops_sqlite_backup(const char *src, const char *dst, const unsigned char *key,
                              ward_error *err);

/* Copy the file src to dst (created with mode, must not exist) and put the
 * SHA-256 of what was written in hex (may be NULL). */
ward_status ops_copy_file(const char *src, const char *dst, unsigned mode, char hex[65],
                          ward_error *err);
/* The SHA-256 of a file, in hex. */
ward_status ops_sha256_file(const char *path, char hex[65], ward_error *err);

#endif
