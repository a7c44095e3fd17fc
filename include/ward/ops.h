/*
 * ops.h -- operating a data directory: health checks (`ward doctor`),
 * backups and restores (`ward backup`, `ward restore`).
 *
 * These are the things an administrator runs on a hub or a match node, by
 * hand or from systemd: is the directory as ward needs it (owner, modes,
 * secret keys, store integrity, index freshness, free space), and a copy of
 * it that can be put back. docs/deploy.md describes their use.
 */
#ifndef WARD_OPS_H
#define WARD_OPS_H

#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* ---- ward doctor ------------------------------------------------------- */

typedef enum ward_doctor_level {
    WARD_DOCTOR_OK,   /* checked, nothing to do */
    WARD_DOCTOR_WARN, /* works, but should be fixed (or was not examined) */
    WARD_DOCTOR_FAIL  /* broken or unsafe: fix before relying on the node */
} ward_doctor_level;

typedef struct ward_doctor_finding {
    ward_doctor_level level;
    const char *check;   /* "datadir", "permissions", "keys", "store",
                            "intel", "service", "index", "disk" */
    const char *subject; /* the file or directory looked at */
    const char *message; /* what was found */
    const char *fix;     /* what to do about it; NULL when nothing */
} ward_doctor_finding;

typedef struct ward_doctor_opts {
    const char *intel_key_file; /* intel.db's key: lets the check read an
                                   encrypted intel.db (NULL: not examined) */
    uint64_t min_free_bytes;    /* warn below this much free space (1 GiB) */
    double min_free_ratio;      /* ... or below this share of the disk (0.05) */
} ward_doctor_opts;
void ward_doctor_opts_default(ward_doctor_opts *opts);

typedef void (*ward_doctor_cb)(void *ctx, const ward_doctor_finding *finding);

/* The functions below take store_url as ward_store_open does (store.h). */

/* Check datadir and pass every finding (ok ones too) to cb, in order.
 * WARD_OK when the checks ran, whatever they found; WARD_ENOTFOUND if
 * datadir does not exist. The store is opened read-only: a doctor changes
 * nothing. */
ward_status ward_doctor(const char *datadir, const char *store_url, const ward_doctor_opts *opts,
                        ward_doctor_cb cb, void *ctx, ward_error *err);

/* ---- backup and restore -------------------------------------------------- */

/* Notices while copying (a part not backed up and why); may be NULL. */
typedef void (*ward_ops_note_cb)(void *ctx, const char *message);

/* Copy datadir into dest (which must not exist; created mode 0700) while
 * ward may be running: SQLite stores through SQLite's online backup (a
 * consistent snapshot each), everything else (keys, releases,
 * subscriptions, evidence, store.url) as files with their modes, and
 * dest/MANIFEST listing the SHA-256 of every file. The index is derived
 * and left out. An encrypted intel.db is copied encrypted, which needs its
 * key (intel_key_file). *partial is set when a part could not be copied
 * (a note says which), e.g. stores on a PostgreSQL server: pg_dump them. */
ward_status ward_backup(const char *datadir, const char *store_url, const char *dest,
                        const char *intel_key_file, ward_ops_note_cb note, void *ctx, int *partial,
                        ward_error *err);

/* Put a backup back: every file is checked against the MANIFEST and every
 * SQLite store with integrity_check before anything is written, then the
 * copy is assembled next to datadir and renamed into place. datadir must
 * not exist or be empty: a restore never overwrites a data directory. */
ward_status ward_restore(const char *backup, const char *datadir, const char *intel_key_file,
                         ward_ops_note_cb note, void *ctx, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
