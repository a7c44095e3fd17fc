/*
 * victim.h -- victim identification: image series across units, the
 * also-seen-elsewhere register and flood control (docs/victim.md).
 *
 * Identifying the child is the point of the whole image chain, and two units
 * can hold the same child's images without knowing it. This module keeps,
 * beside the hash sets in the store (ward.db or its PostgreSQL schema, so
 * every unit sharing the store shares it), hashes and metadata only, never
 * an image:
 *
 *   series     a named set of images of the same child or set: status
 *              (unidentified, identified, safeguarded), the owning
 *              victim-identification team and its contact, notes, the
 *              entries (digests and PDQ), former names (rename, merge), and
 *              where it has been seen (unit, case, exhibit). A series is
 *              created, renamed, merged into another and split.
 *   register   the sightings of material by units: a checked scan puts the
 *              hashes (SHA-256, SHA-1, MD5, PDQ, a video's frame PDQs) of its
 *              new, near and known files in with the unit, case and contact.
 *              A later scan of another unit whose new or near files match
 *              (exact digest, or PDQ within the radius) is told that the
 *              material is "also seen elsewhere: unit A, contact X" - the
 *              existence and a contact, never the other unit's case, path or
 *              file - and unit A gets the same notice the other way round.
 *   alerts     what a unit is told: also seen elsewhere, a possible new
 *              image of a known series (high priority, to the series'
 *              team), a known series that is identified or safeguarded (so
 *              that nobody re-opens an identification that is done), a hash
 *              quarantined by flood control.
 *   quarantine a hash whose sightings spike across many units within a
 *              window (a benign meme wrongly listed is the common case) is
 *              quarantined: sightings are still recorded, alerts about it
 *              pause, and a person releases it or removes it from the lists.
 *
 * Changes to series and the register do not move the store revision: that
 * counter names the state of the hash sets a scan matched against.
 * Strings in callbacks are valid during the callback only.
 */
#ifndef WARD_VICTIM_H
#define WARD_VICTIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <ward/store.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* ---- series ------------------------------------------------------------- */

typedef enum ward_series_status {
    WARD_SERIES_UNIDENTIFIED = 0,
    WARD_SERIES_IDENTIFIED,
    WARD_SERIES_SAFEGUARDED,
    WARD_SERIES_NSTATUS
} ward_series_status;

/* "unidentified", "identified", "safeguarded"; parse gives -1 otherwise. */
const char *ward_series_status_name(ward_series_status s);
int ward_series_status_parse(const char *name);

typedef struct ward_series {
    int64_t id;
    char name[201];
    ward_series_status status;
    char team[201];           /* the owning victim-identification team */
    char contact[201];        /* how to reach it */
    char created[32], created_by[64];
    char status_at[32], status_by[64];   /* "" while never changed */
    uint64_t entries;         /* hashes in it */
    uint64_t sightings;       /* files of checked scans that matched it */
} ward_series;

/* Hashes of one image or video, lower-case hex, "" when absent. pdq may
 * hold several space-separated hashes (a video's frames). */
typedef struct ward_victim_hash {
    char sha256[65], sha1[41], md5[33];
    char pdq[65 * 16];
} ward_victim_hash;

/* Parse "[sha256:|sha1:|md5:|pdq:]HEX" into h (other fields cleared); a
 * 64-digit hex without prefix is a SHA-256. WARD_EINVAL naming the text. */
ward_status ward_victim_hash_parse(const char *text, ward_victim_hash *h, ward_error *err);

/* Names: 1-200 bytes, no control characters, unique among series and their
 * former names (WARD_EINVAL). who: the person, recorded in the series log. */
ward_status ward_series_create(ward_store *s, const char *name, const char *team,
                               const char *contact, const char *who, ward_error *err);
/* By current or former name; a series merged into another resolves to the
 * one it was merged into. WARD_ENOTFOUND "no series 'X'". */
ward_status ward_series_get(ward_store *s, const char *name, ward_series *out,
                            ward_error *err);
/* The old name stays a former name: entries lists and exchange files that
 * still carry it resolve to the series. */
ward_status ward_series_rename(ward_store *s, const char *name, const char *new_name,
                               const char *who, ward_error *err);
/* `from` joins `into`: entries, sightings and names move; `from` is kept in
 * the log as merged. Its status does not override into's, except that the
 * more advanced of the two (safeguarded > identified > unidentified) is kept,
 * so a merge never un-identifies a child. */
ward_status ward_series_merge(ward_store *s, const char *into, const char *from,
                              const char *who, ward_error *err);
/* A new series `new_name` (same team, contact and status) takes the entries
 * of `from` carrying one of the n hashes; WARD_ENOTFOUND if one of them is
 * not in `from`. *moved (may be NULL): entries moved. */
ward_status ward_series_split(ward_store *s, const char *from, const char *new_name,
                              const ward_victim_hash *hashes, size_t n, const char *who,
                              uint64_t *moved, ward_error *err);
/* Status change, note optional (kept in the log). Identified and
 * safeguarded are told to every later check (ward_victim_check_scan). */
ward_status ward_series_set_status(ward_store *s, const char *name, ward_series_status st,
                                   const char *who, const char *note, ward_error *err);
/* Owning team and contact; NULL leaves a field as it is. */
ward_status ward_series_set_team(ward_store *s, const char *name, const char *team,
                                 const char *contact, const char *who, ward_error *err);
ward_status ward_series_note(ward_store *s, const char *name, const char *text,
                             const char *who, ward_error *err);
/* Add one hash (label optional). Adding a hash already in it is a no-op
 * (*added 0); a hash in another series is refused (WARD_EINVAL naming it:
 * split or merge instead). */
ward_status ward_series_add(ward_store *s, const char *name, const ward_victim_hash *h,
                            const char *label, const char *who, int *added, ward_error *err);
/* Add every live store entry whose series field is one of the series' names
 * (current or former): its digests and PDQ. *added: new entries. */
ward_status ward_series_add_from_store(ward_store *s, const char *name, const char *who,
                                       uint64_t *added, ward_error *err);

typedef int (*ward_series_cb)(void *ctx, const ward_series *sr);
/* Every series not merged away, by name. */
ward_status ward_series_each(ward_store *s, ward_series_cb cb, void *ctx, ward_error *err);

typedef int (*ward_series_entry_cb)(void *ctx, const ward_victim_hash *h, const char *label,
                                    const char *added, const char *added_by);
ward_status ward_series_entries(ward_store *s, const char *name, ward_series_entry_cb cb,
                                void *ctx, ward_error *err);

/* The series log, oldest first: created, renamed, merged, split, status,
 * team, note, added. */
typedef int (*ward_series_log_cb)(void *ctx, const char *at, const char *who,
                                  const char *action, const char *detail);
ward_status ward_series_log(ward_store *s, const char *name, ward_series_log_cb cb, void *ctx,
                            ward_error *err);

/* Where a series has been seen: one call per (unit, case, exhibit) with the
 * unit's contact (the latest it gave), the number of files and the first
 * and last time. A caller showing another unit's sightings shows only the
 * unit and contact ("held elsewhere"), never the case or exhibit. */
typedef int (*ward_series_seen_cb)(void *ctx, const char *unit, const char *case_ref,
                                   const char *exhibit, const char *contact, uint64_t files,
                                   const char *first, const char *last);
ward_status ward_series_seen(ward_store *s, const char *name, ward_series_seen_cb cb,
                             void *ctx, ward_error *err);

/* ---- checking a scan against series and the register --------------------- */

typedef struct ward_victim_check_opts {
    const char *unit;         /* required: who scanned */
    const char *case_ref;     /* required: the unit's case */
    const char *contact;      /* required: how other units reach the unit */
    const char *exhibit;      /* the exhibit scanned, or NULL */
    const char *who;          /* the person */
    int radius;               /* PDQ Hamming radius (default WARD_INDEX_PDQ_RADIUS) */
    int register_new;         /* put the scan's files in the register (default 1) */
    int flood_units;          /* quarantine a hash seen by this many units ... */
    int flood_hours;          /* ... within this many hours (defaults 5, 24) */
    time_t now;               /* the caller's clock */
} ward_victim_check_opts;

void ward_victim_check_opts_default(ward_victim_check_opts *o);

typedef enum ward_victim_finding_kind {
    WARD_VF_ALSO_SEEN = 0,    /* the file matches another unit's sighting */
    WARD_VF_SERIES_NEW,       /* near a series' entry, not in it: possibly new
                                 abuse of a child at risk (high priority) */
    WARD_VF_SERIES_DONE,      /* in a series that is identified or safeguarded */
    WARD_VF_SERIES_OPEN,      /* in a series still unidentified */
    WARD_VF_QUARANTINED,      /* the hash is quarantined: alerts paused */
    WARD_VF_FLOODED,          /* this scan put the hash over the flood threshold */
    WARD_VF_NKINDS
} ward_victim_finding_kind;

const char *ward_victim_finding_name(ward_victim_finding_kind k);

typedef struct ward_victim_finding {
    ward_victim_finding_kind kind;
    const char *path;         /* the file in this scan */
    const char *hash;         /* "sha256:..." or "pdq:..." that matched */
    int distance;             /* PDQ bits; 0 for an exact digest */
    /* series findings */
    const char *series;
    ward_series_status status;
    const char *team, *contact;
    /* also seen: the other unit and its contact (never its case) */
    const char *unit;
    const char *message;      /* one line for a person */
} ward_victim_finding;

typedef struct ward_victim_check_summary {
    uint64_t files;           /* records read from files.jsonl */
    uint64_t registered;      /* sightings written */
    uint64_t counts[WARD_VF_NKINDS];
    uint64_t alerts;          /* alerts written (to this and other units) */
    uint64_t bad;             /* files.jsonl lines that did not parse */
} ward_victim_check_summary;

typedef int (*ward_victim_finding_cb)(void *ctx, const ward_victim_finding *f);

/*
 * Read scan_dir/files.jsonl (ward scan --out) and, in one transaction:
 * report each file in a series (its status and team), near a series but not
 * in it (an alert to the series' team, high priority), matching another
 * unit's sighting (a notice to both units), or quarantined; register the
 * scan's known, near and new files; quarantine hashes whose sightings by
 * distinct units within flood_hours reach flood_units. A scan already
 * registered for this unit and case (same files.jsonl) is not registered
 * twice. WARD_ENOTFOUND: no files.jsonl.
 */
ward_status ward_victim_check_scan(ward_store *s, const char *scan_dir,
                                   const ward_victim_check_opts *o, ward_victim_finding_cb cb,
                                   void *ctx, ward_victim_check_summary *sum, ward_error *err);

/* ---- exchange ------------------------------------------------------------- */

/* The entries of one series (name) or of all (NULL) as VICS 2.0 JSON: each
 * a Media with its digests (PDQ as an AlternativeHash), Series (the name)
 * and VictimIdentified ("true" when identified or safeguarded). Imported
 * elsewhere (ward db import), entries naming a series that store keeps join
 * it, and a VictimIdentified true is told to that series' team
 * (ward_victim_rematch, which the import runs). *written: Media. */
ward_status ward_series_export_vics(ward_store *s, const char *name, FILE *out,
                                    uint64_t *written, ward_error *err);

/* ---- signed releases ------------------------------------------------------ */

/*
 * The series of a release of these lists (ward release create): every
 * series that a live entry of the lists names (current or former name) or
 * that holds one of their entries, with its status, team and contact, and
 * its entries that are in the lists. Text "ward-series/1" (docs/victim.md);
 * the release signs it. *n_series, *n_entries: what was written (0 series:
 * the caller leaves the file out of the release).
 */
ward_status ward_series_release_write(ward_store *s, const char *const *lists, size_t n_lists,
                                      FILE *out, uint64_t *n_series, uint64_t *n_entries,
                                      ward_error *err);

typedef struct ward_series_release_summary {
    uint64_t series;          /* series in the file */
    uint64_t kept;            /* of them kept here (by current or former name) */
    uint64_t not_kept;        /* not kept here: nothing done (a person creates one) */
    uint64_t entries;         /* entry records in the file */
    uint64_t joined;          /* entries that joined a series kept here */
    uint64_t elsewhere;       /* left out: the hash is in another series here */
    uint64_t told;            /* series said identified/safeguarded there and
                                 unidentified here: alert to the team */
    uint64_t bad;             /* records not understood (each reported) */
} ward_series_release_summary;

/* kind: "joined", "series-identified-elsewhere" or "bad" (a record not
 * understood: the message names the file and line). */
typedef int (*ward_series_release_cb)(void *ctx, const char *kind, const char *series,
                                      const char *message);

/*
 * A pulled release's series file (ward_release_series_path) applied to this
 * store, in one transaction: entries of series kept here join them (a hash
 * in another series here stays there); a series the publisher says is
 * identified or safeguarded while it is unidentified here is a high-priority
 * "series-identified-elsewhere" alert to its team (once while one is open)
 * and a line in its log. A local status is never changed. source names the
 * release for the log and the alerts ("release X v3 (key K)").
 */
ward_status ward_series_release_apply(ward_store *s, const char *path, const char *source,
                                      const char *who, time_t now, ward_series_release_cb cb,
                                      void *ctx, ward_series_release_summary *sum,
                                      ward_error *err);

/* ---- alerts ------------------------------------------------------------- */

typedef struct ward_victim_alert {
    int64_t id;
    const char *at, *unit, *priority;   /* "high" or "normal" */
    const char *kind;                   /* ward_victim_finding_name */
    const char *series;                 /* "" when none */
    const char *hash, *message;
    const char *state;                  /* "open", "paused" (quarantined), "done" */
} ward_victim_alert;

typedef int (*ward_victim_alert_cb)(void *ctx, const ward_victim_alert *a);
/* A unit's alerts (unit NULL: all), high priority first, then newest. */
ward_status ward_victim_alerts(ward_store *s, const char *unit, int open_only,
                               ward_victim_alert_cb cb, void *ctx, ward_error *err);
/* Mark an alert done. */
ward_status ward_victim_alert_done(ward_store *s, int64_t id, const char *who,
                                   ward_error *err);

/* ---- retroactive matching --------------------------------------------------- */

#define WARD_VICTIM_MAX_THREADS 64

typedef struct ward_victim_rematch_opts {
    int radius;               /* PDQ Hamming radius (default WARD_INDEX_PDQ_RADIUS) */
    int threads;              /* PDQ query threads (default: the cores, at most
                                 WARD_VICTIM_MAX_THREADS) */
    int64_t since_entry;      /* entries with a higher id are new; -1 (default):
                                 those after the last rematch (the watermark,
                                 which then moves on) */
    time_t now;               /* the caller's clock, for the alerts */
    const char *tmp_dir;      /* the scratch index's directory (NULL:
                                 P_tmpdir, /tmp; the ward command line
                                 passes $TMPDIR) */
} ward_victim_rematch_opts;

void ward_victim_rematch_opts_default(ward_victim_rematch_opts *o);

typedef struct ward_victim_rematch_summary {
    uint64_t from_entry, to_entry;  /* the new entries: ids (from, to] */
    uint64_t new_entries;     /* live entries of alert lists among them */
    uint64_t sightings;       /* register sightings re-matched (not known ones) */
    uint64_t hits, alerts;
    uint64_t adopted;         /* new entries naming a series here joined it */
    uint64_t told;            /* series said identified by a list: team alerted */
} ward_victim_rematch_summary;

typedef struct ward_victim_retro_hit {
    const char *unit, *case_ref;
    const char *scan;         /* SHA-256 of the scan's files.jsonl */
    const char *hash;         /* the sighting's "sha256:..." */
    const char *list, *category;
    int distance;             /* 0: same digest; else PDQ bits */
    const char *message;
} ward_victim_retro_hit;

typedef int (*ward_victim_rematch_cb)(void *ctx, const ward_victim_retro_hit *h);

/*
 * Match the register's earlier sightings that were not known (new and near
 * files of checked scans) against the entries the store gained since the
 * last rematch (alert lists only, removed ones left out): exact digests and
 * PDQ within the radius (a video's frames too). Each hit is an alert to the
 * unit that registered it, naming its case, the hash and the list entry.
 * The entries are read into a temporary index ($TMPDIR), the sightings
 * once, in one read snapshot.
 */
ward_status ward_victim_rematch(ward_store *s, const ward_victim_rematch_opts *o,
                                ward_victim_rematch_cb cb, void *ctx,
                                ward_victim_rematch_summary *sum, ward_error *err);

/* Hashes kept elsewhere (the match service's platform events) re-matched
 * against the alert-list entries with ids in (after, upto] (upto 0: all
 * above after), removed ones left out: exact digests and PDQ within radius
 * (-1: WARD_INDEX_PDQ_RADIUS). Each hash is "md5:HEX", "sha1:HEX",
 * "sha256:HEX" or "pdq:HEX" (others are skipped); each hit is given to cb
 * with the index of its hash, and the caller tells its own people. */
typedef struct ward_victim_hash_hit {
    size_t index;             /* into the caller's hashes */
    const char *hash;         /* that hash */
    uint64_t entry_id;
    const char *kind;         /* which of the entry's hashes matched */
    const char *list, *category, *series;   /* category, series: NULL when none */
    int distance;             /* 0: same digest; else PDQ bits */
} ward_victim_hash_hit;
typedef int (*ward_victim_hash_hit_cb)(void *ctx, const ward_victim_hash_hit *h);
ward_status ward_victim_rematch_hashes(ward_store *s, int64_t after, int64_t upto, int radius,
                                       const char *const *hashes, size_t n,
                                       ward_victim_hash_hit_cb cb, void *ctx, uint64_t *hits,
                                       ward_error *err);
/* An alert to unit (priority "high" or "normal"; kind as in
 * ward_victim_alert), open. */
ward_status ward_victim_alert_add(ward_store *s, const char *unit, const char *priority,
                                  const char *kind, const char *hash, const char *message,
                                  ward_error *err);

/* ---- flood control ------------------------------------------------------- */

typedef struct ward_quarantine {
    const char *hash, *state;           /* "quarantined", "released", "removed" */
    const char *at;
    uint64_t units, hits;               /* when quarantined */
    const char *decided_at, *decided_by, *reason;   /* "" until a person decides */
} ward_quarantine;

typedef int (*ward_quarantine_cb)(void *ctx, const ward_quarantine *q);
ward_status ward_quarantine_each(ward_store *s, ward_quarantine_cb cb, void *ctx,
                                 ward_error *err);
/* A person's decision, reason required: release (alerts resume; a later
 * spike does not quarantine it again) or remove (the hash's entries are
 * removed from every list as false positives, ward_store_remove). */
ward_status ward_quarantine_release(ward_store *s, const char *hash, const char *who,
                                    const char *reason, ward_error *err);
ward_status ward_quarantine_remove(ward_store *s, const char *hash, const char *who,
                                   const char *reason, uint64_t *removed, ward_error *err);

/* ---- the match service: platform hits ------------------------------------- */

/* A snapshot of the series (membership by hash and by name, status, team,
 * contact) and of the quarantined hashes, for lookups in memory on every
 * platform hit (ward serve reloads it at each reload tick). */
typedef struct ward_victim_view ward_victim_view;
ward_status ward_victim_view_load(ward_store *s, ward_victim_view **out, ward_error *err);
void ward_victim_view_free(ward_victim_view *v);
/* A short text that changes whenever a view loaded now would differ
 * (series changed, entries added or moved, quarantine decided): compare
 * before loading again. */
ward_status ward_victim_view_stamp(ward_store *s, char stamp[128], ward_error *err);
/* The series a store entry belongs to: its hash of `kind` ("sha256",
 * "sha1", "md5", "pdq"; lower hex) is a series entry, or its series field
 * names a series (current or former name); merged series resolve to the
 * one they went into. NULL when none; valid while v lives. */
const ward_series *ward_victim_view_series(const ward_victim_view *v, const char *kind,
                                           const char *hex, const char *series_field);
/* Whether the hash key ("sha256:HEX", "pdq:HEX", ...) is quarantined now
 * (not released or removed). */
int ward_victim_view_quarantined(const ward_victim_view *v, const char *key);
/* Quarantine a hash key whose hits spiked (units: distinct units or
 * platforms, hits: how many), unless it is or was quarantined (a person's
 * release holds); open alerts about it pause. With unit and message, an
 * alert "flood-quarantined" goes to unit. *added: it was quarantined now. */
ward_status ward_quarantine_add(ward_store *s, const char *hash, uint64_t units, uint64_t hits,
                                const char *unit, const char *message, int *added,
                                ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
