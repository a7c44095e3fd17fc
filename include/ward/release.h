/*
 * release.h -- signed, versioned hash-list releases and their deltas.
 *
 * A release is an immutable, numbered snapshot of one or more store lists,
 * merged and de-duplicated, with a manifest signed by the publisher's
 * Ed25519 key (keys.h). A publisher keeps its releases in a tree that is
 * laid out exactly like the URLs that serve it (prefix /v1/releases/):
 *
 *   <root>/<list>/index.json            versions: {"list","latest","versions"}
 *   <root>/<list>/<v>/manifest          signed manifest (see docs/releases.md)
 *   <root>/<list>/<v>/full              the whole release, canonical CSV
 *   <root>/<list>/<v>/series            the series of its entries (optional)
 *   <root>/<list>/<v>/removed           reasons for removals (not served)
 *   <root>/<list>/<a>..<b>/delta        changes from version a to b
 *
 * so any static web server can publish it, and `ward serve` needs only
 * ward_release_resolve(). <root> is <datadir>/releases by default.
 *
 * The full file is canonical: records sorted by digest key, one per key, one
 * serialisation, so version N plus the deltas to M is byte-identical to full
 * M, and a subscriber checks either by the manifest's SHA-256 of full M.
 */
#ifndef WARD_RELEASE_H
#define WARD_RELEASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ward/keys.h>
#include <ward/store.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* <datadir>/releases (malloc'd; NULL when out of memory). */
char *ward_release_root(const char *datadir);

typedef struct ward_release_info {
    char list[128];
    uint64_t version, parent;     /* parent 0: first release */
    char created[40];
    uint64_t entries;             /* records in the full release */
    uint64_t conflicts;           /* same digests in several source lists with
                                     different data: the first list given won */
    uint64_t added, removed;      /* delta from the parent */
    char full_sha256[65];
    uint64_t full_bytes;
    char key_id[17];
} ward_release_info;

typedef struct ward_release_create_opts {
    const char *const *lists;     /* store lists merged, first wins; n_lists >= 1 */
    size_t n_lists;
    const char *name;             /* release name; NULL: lists[0] */
    const char *key_path;         /* NULL: <datadir>/keys/release.key */
    const char *root;             /* NULL: <datadir>/releases */
    const char *series_path;      /* a series file (ward_series_release_write)
                                     published as <v>/series and signed by its
                                     SHA-256 in the manifest; NULL: none */
} ward_release_create_opts;

/*
 * Snapshot the lists as the next version of release `name`: full file,
 * removal reasons, the delta from the previous version, the signed manifest,
 * then index.json -- each published by an atomic rename, so readers never
 * see a half-made release. Names are 1-100 of [A-Za-z0-9._-].
 */
ward_status ward_release_create(ward_store *s, const char *datadir,
                                const ward_release_create_opts *opts,
                                ward_release_info *info, ward_error *err);

/* Versions of a release, ascending (*v malloc'd, freed by the caller). */
ward_status ward_release_versions(const char *root, const char *list, uint64_t **v,
                                  size_t *n, ward_error *err);

/* The manifest of one version, read from the publisher's own tree. */
ward_status ward_release_info_get(const char *root, const char *list, uint64_t version,
                                  ward_release_info *info, ward_error *err);

/* Where the delta from..to lives in the tree (built or not). */
ward_status ward_release_delta_path(const char *root, const char *list, uint64_t from,
                                    uint64_t to, char **path, ward_error *err);

/* The delta from..to (from < to), built from the two full releases and
 * cached in the tree on first request; *path (may be NULL) malloc'd. */
ward_status ward_release_make_delta(const char *root, const char *list, uint64_t from,
                                    uint64_t to, char **path, ward_error *err);

enum {
    WARD_RELEASE_RESOLVE_BUILD = 1u << 0 /* build a missing from..to delta */
};

/*
 * Map a request path (what follows /v1/releases/, no query string) to the
 * file to send: "<list>" or "<list>/index.json", "<list>/<v>/manifest",
 * "<list>/<v>/full", "<list>/<v>/series", "<list>/<a>..<b>/delta". *path is malloc'd.
 * WARD_EINVAL for any other shape (including "..", empty or odd segments:
 * answer 400), WARD_ENOTFOUND when the file does not exist (404).
 */
ward_status ward_release_resolve(const char *root, const char *url_path, unsigned flags,
                                 char **path, ward_error *err);

/*
 * Write version `version` (0: latest) of release `list` in a partner format
 * (VICS 2.0, hashdeep, CSV, PDQ) through a scratch store in `scratch_dir`,
 * so the writers are those of `ward db export`.
 */
ward_status ward_release_export(const char *root, const char *scratch_dir, const char *list,
                                uint64_t version, ward_hashset_format format, FILE *out,
                                uint64_t *written, uint64_t *skipped, ward_error *err);

/* ---- subscribing ----------------------------------------------------- */

typedef struct ward_release_pull_opts {
    const char *trust;            /* key spec (ward_key_resolve); NULL: the key
                                     this subscription was first pulled with */
    const char *who;              /* recorded with removals; NULL: "ward release" */
    /* Progress lines ("fetching ..."); may be NULL. */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;
    const char *api_key;          /* publisher is `ward serve`: its API key
                                     (scope match); NULL for a static server */
} ward_release_pull_opts;

typedef struct ward_release_pull_result {
    char list[128];
    uint64_t from, to;            /* from 0: first pull; from == to: up to date */
    int used_delta;               /* 1: reached by delta(s), 0: full download */
    int resumed;                  /* finished the apply an earlier pull began */
    uint64_t added, removed;      /* store changes applied */
    char key_id[17];
    int series;                   /* the version now held carries a series
                                     file (ward_release_series_path) */
} ward_release_pull_result;

/*
 * Bring the local list named like the release up to the publisher's latest
 * version. `url` is the release's address: http(s)://host/v1/releases/<list>,
 * file:///dir/<list> or a directory path. Every manifest's signature and
 * every file's digest is checked before the store is touched; downloads go
 * to <datadir>/subscriptions/<list>/ and resume where they stopped (HTTP
 * Range). A release older than the one held (replay), signed by another key,
 * tampered with or truncated is refused (WARD_EFORMAT) and nothing changes.
 * Applying to the store is rolled forward from a journal: a pull killed at
 * any point finishes on the next one.
 */
ward_status ward_release_pull(const char *datadir, const char *store_url, const char *url,
                              const ward_release_pull_opts *opts, ward_release_pull_result *result,
                              ward_error *err);

/* The checked series file of the version held of subscription `list`
 * (*path malloc'd); WARD_ENOTFOUND when that version carries none. */
ward_status ward_release_series_path(const char *datadir, const char *list, char **path,
                                     ward_error *err);

typedef struct ward_subscription {
    const char *list, *url, *key_id, *full_sha256, *pulled;
    uint64_t version;
    int pending;                  /* an apply was interrupted; the next pull ends it */
} ward_subscription;
typedef int (*ward_subscription_cb)(void *ctx, const ward_subscription *sub);
ward_status ward_release_subscriptions(const char *datadir, ward_subscription_cb cb,
                                       void *ctx, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
