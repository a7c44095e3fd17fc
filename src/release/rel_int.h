/* Internals shared by the release files (src/release). */
#ifndef WARD_RELEASE_INT_H
#define WARD_RELEASE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ward/keys.h>
#include <ward/release.h>
#include <ward/store.h>

/* ---- files (files.c) ------------------------------------------------ */

/* malloc'd printf; NULL when out of memory. */
char *rel_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write n bytes to path through path.tmp, fsync and rename: readers see the
 * old file or the new one, never a part. */
ward_status rel_write_atomic(const char *path, const void *data, size_t n, int mode,
                             ward_error *err);
/* fsync a written FILE and close it; WARD_EIO naming path on failure. */
ward_status rel_close_synced(FILE *f, const char *path, ward_error *err);
/* Whole file into a NUL-terminated buffer of at most `max` bytes. */
ward_status rel_read_file(const char *path, size_t max, char **data, size_t *n,
                          ward_error *err);
/* Lower-case SHA-256 hex and size of a file. */
ward_status rel_sha256_file(const char *path, char hex[65], uint64_t *size, ward_error *err);
/* Remove a directory and the plain files in it (one level). */
void rel_remove_dir(const char *dir);
int rel_exists(const char *path);
/* fn(ctx, dir, name) for each entry of dir but "." and "..", in name
 * order, until fn returns non-zero (returned). A missing dir has none. */
typedef int (*rel_name_fn)(void *ctx, const char *dir, const char *name);
int rel_each_name(const char *dir, rel_name_fn fn, void *ctx);
/* Release and list names: 1-100 of [A-Za-z0-9._-], not starting with '.'. */
int rel_valid_name(const char *name, size_t n);

/* ---- canonical records (canon.c) ------------------------------------ */

/* The full file's header: CSV that ward_store_import reads back. */
extern const char REL_FULL_HEADER[];

/* A file mapped read-only, walked record by record. A record is one CSV
 * row: it ends at a newline outside double quotes. */
typedef struct rel_map {
    const char *p;
    size_t n, pos;
    int fd;
} rel_map;
ward_status rel_map_open(rel_map *m, const char *path, ward_error *err);
void rel_map_close(rel_map *m);
/* Next record without its newline: 1, 0 at the end. */
int rel_map_next(rel_map *m, const char **rec, size_t *len);
/* Next line, quotes or not (removal lines, "key\treason" files). */
int rel_map_line(rel_map *m, const char **line, size_t *len);
/* Next line of a delta: a removal line ("-...") is one line whatever
 * quotes its reason holds; an addition is one record. */
int rel_map_next_delta(rel_map *m, const char **line, size_t *len);

/* The key of a record: its first four fields (md5,sha1,sha256,pdq hex). */
size_t rel_key_len(const char *rec, size_t len);
/* Order of two keys: hex compared without regard to case. */
int rel_key_cmp(const char *a, size_t an, const char *b, size_t bn);

/* Removal reasons by key, sorted: "key\treason" lines. */
typedef struct rel_reasons {
    struct rel_reason { char *key, *reason; } *v;
    size_t n, cap;
} rel_reasons;
ward_status rel_reasons_add(rel_reasons *r, const char *key, size_t kn, const char *reason,
                            size_t rn, ward_error *err);
void rel_reasons_sort(rel_reasons *r);
const char *rel_reasons_find(const rel_reasons *r, const char *key, size_t kn);
void rel_reasons_free(rel_reasons *r);
/* Read a "removed" file or the '-' lines of delta files. */
ward_status rel_reasons_load(rel_reasons *r, const char *path, int from_delta,
                             ward_error *err);

/* Counts of a delta. */
typedef struct rel_delta_counts {
    uint64_t added, removed;
} rel_delta_counts;

/* Delta from full file a (NULL: empty) to full file b, removal reasons
 * from `reasons` (else "not in version <to>"). Written to `out`. */
ward_status rel_delta_write(const char *a, const char *b, const rel_reasons *reasons,
                            const char *list, uint64_t from, uint64_t to, FILE *out,
                            rel_delta_counts *counts, ward_error *err);
/* Apply delta file d to full file a, writing full file b. A delta that does
 * not fit a (out of order, removing what is not there) is WARD_EFORMAT. */
ward_status rel_delta_apply(const char *a, const char *d, FILE *b, ward_error *err);

/* ---- manifests (manifest.c) ------------------------------------------ */

typedef struct rel_manifest {
    char list[128];
    uint64_t version, parent;   /* parent 0: the first release */
    char created[40];
    char scheme[256], kind[16];
    uint64_t entries, conflicts;
    char full_sha256[65];
    uint64_t full_bytes;
    uint64_t delta_from;        /* 0: no delta */
    char delta_sha256[65];
    uint64_t delta_bytes, delta_added, delta_removed;
    char key_id[17];
    char series_sha256[65];     /* the version's series file; "" when none */
    uint64_t series_bytes;
    char *categories_json;      /* {"code": n, ...}; malloc'd */
    char *sources_json;         /* ["list", ...]; malloc'd */
} rel_manifest;
void rel_manifest_free(rel_manifest *m);
/* Body (one JSON line) + signature line, signed with key. malloc'd text. */
ward_status rel_manifest_sign(const rel_manifest *m, const ward_seckey *key, char **text,
                              size_t *n, ward_error *err);
/* Check the signature with `key` (NULL: skip, for reading one's own tree)
 * and parse. WARD_EFORMAT names what is wrong. */
ward_status rel_manifest_parse(const char *text, size_t n, const ward_pubkey *key,
                               rel_manifest *m, ward_error *err);
ward_status rel_manifest_load(const char *path, const ward_pubkey *key, rel_manifest *m,
                              ward_error *err);

/* ---- the publisher's tree (tree.c) ------------------------------- */

/* Versions of list in root, ascending (malloc'd; n may be 0). */
ward_status rel_versions(const char *root, const char *list, uint64_t **v, size_t *n,
                         ward_error *err);
/* Rewrite <root>/<list>/index.json from the versions present. */
ward_status rel_write_index(const char *root, const char *list, ward_error *err);
void rel_info_from_manifest(const rel_manifest *m, ward_release_info *info);

#endif
