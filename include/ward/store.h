/*
 * store.h -- the hash-set store: known material lists in one SQLite file, and
 * the exchange formats they come in and go out as.
 *
 * A store lives in a data directory as <datadir>/ward.db (SQLite, WAL mode).
 * It holds lists (a source such as a national VICS set or NSRL), and in each
 * list entries: MD5 / SHA-1 / SHA-256 / PDQ digests with a category from the
 * list's category scheme, series, victim-identified flag, dates and tags.
 * Every entry remembers the import that added it. The same hash may be in
 * several lists with different categories: each list keeps its own verdict
 * and ward_store_conflicts() reports the disagreements.
 *
 * Hex case is not an identifier: digests are compared as bytes and written
 * lower-case unless the file they came from wrote them otherwise, in which
 * case that text is kept and written back (see docs/formats.md).
 *
 * Rules of use:
 *   - One ward_store per thread (it wraps one SQLite connection). Several
 *     processes may open the same data directory; writers wait for each other
 *     (busy timeout) and readers are never blocked (WAL).
 *   - Every change commits as one transaction: an import either lands whole
 *     or not at all, even if the process is killed mid-way.
 *   - Callbacks return 0 to go on and non-zero to stop early; the function
 *     then returns WARD_OK (the caller keeps its own reason for stopping).
 *   - Strings returned inside callbacks are valid only during the callback;
 *     those in a ward_entries / ward_store_stats until it is freed.
 *   - See docs/store.md (schema, migrations) and docs/formats.md.
 */
#ifndef WARD_STORE_H
#define WARD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ward/digest.h>
#include <ward/pdq.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_store ward_store;

/* ---- opening -------------------------------------------------------- */

enum {
    WARD_STORE_READONLY = 1u << 0 /* never write; fails if a migration is due */
};

/* Schema version this build of ward writes (PRAGMA user_version). */
int ward_store_schema_version(void);

/*
 * Where a node's stores live (the rule every function that opens a store
 * follows: this one, ward_intel_open, ward_matcher_open, the service state
 * of serve.h and users.h, ward_doctor, ward_backup, ...). Such a function
 * takes `store_url` right after `datadir` (or a `store_url` field beside the
 * `datadir` field of its options): the store of data directories that do
 * not name one themselves. In order:
 *   1. DATADIR/store.url (written by ward_store_init / ward_store_use: a
 *      data directory that has moved to a server stays there);
 *   2. store_url: postgresql://[user@]host/db[?ward_prefix=NAME] (schemas
 *      NAME_store, NAME_intel, NAME_service; ?ward_per_datadir=1 derives
 *      NAME from datadir's real path, so that many data directories share
 *      one server) or sqlite:DIR;
 *   3. SQLite files in DATADIR (store_url NULL).
 * libward never reads the environment: the ward command line passes
 * --store or $WARD_STORE as store_url (and $WARD_STORE_PER_DATADIR=1 as
 * ?ward_per_datadir=1); a program embedding libward passes its own.
 */

/*
 * Open (creating if needed, mode 0700/0600) the store of `datadir` (see
 * above for store_url) and apply any pending schema migrations. A store
 * written by a newer ward (a higher schema version) is refused with
 * WARD_EUNSUPPORTED and left untouched; a file that is not a ward store
 * with WARD_EFORMAT.
 */
ward_status ward_store_open(const char *datadir, const char *store_url, unsigned flags,
                            ward_store **out, ward_error *err);
void ward_store_close(ward_store *s);

/* Point `datadir` at the store at `url` (postgresql://...) by writing
 * DATADIR/store.url (mode 0600: it may hold a password), then open the
 * store there once, creating its schema. url NULL: just create the store
 * where it resolves (store.url, else store_url, else DATADIR/ward.db).
 * Refused (WARD_EINVAL) when DATADIR already has a store.url naming another
 * server or a ward.db of its own, whose contents the new store would hide. */
ward_status ward_store_init(const char *datadir, const char *store_url, const char *url,
                            ward_error *err);

/* Where the open store lives, for messages: its file, or the PostgreSQL
 * URL without the password. */
const char *ward_store_where(const ward_store *s);

/* Whether `datadir` has a store yet (*exists 1) without creating one:
 * DATADIR/ward.db exists, or, when the store lives on PostgreSQL
 * (DATADIR/store.url or store_url), its schema has been migrated. */
ward_status ward_store_exists(const char *datadir, const char *store_url, int *exists,
                              ward_error *err);

/* A counter that grows with every committed change to the store (imports,
 * removals, lists, schemes). Record it with results to say what was matched
 * against; with ward_store_stats' store_id it names one state of one store. */
ward_status ward_store_revision(ward_store *s, uint64_t *revision, ward_error *err);

/* How long a write waits for another process's write lock on the store
 * before it fails with WARD_EBUSY ("the store is busy ... retry", nothing
 * changed): WARD_STORE_WAIT_MS unless set here, for every later statement
 * of this connection. seconds: above 0, at most a day (WARD_EINVAL). */
#define WARD_STORE_WAIT_MS 10000
ward_status ward_store_set_wait(ward_store *s, double seconds, ward_error *err);

/* ---- category schemes and lists ------------------------------------ */

/* Category classes: what a match in that category means for triage. */
#define WARD_CLASS_ALERT "alert"         /* material to flag */
#define WARD_CLASS_IGNORABLE "ignorable" /* known, not of interest (NSRL, VIC 0) */
#define WARD_CLASS_UNKNOWN "unknown"     /* a category with no verdict */

/* Built-in schemes (created by the migrations):
 *   "uk-sentencing"  A, B, C (Sentencing Council 2014)            all alert
 *   "projectvic"     0 non-pertinent (ignorable), 1 CSAM, 2 exploitive /
 *                    age-difficult, 3 CGI/animation (alert); an entry with
 *                    no category is uncategorised
 *   "known-good"     known-good (ignorable)                                */
#define WARD_SCHEME_UK "uk-sentencing"
#define WARD_SCHEME_PROJECTVIC "projectvic"
#define WARD_SCHEME_KNOWN_GOOD "known-good"

/* Add a custom scheme, then its categories. Codes are matched without regard
 * to case, as are labels (an import may give either). `klass` is one of the
 * WARD_CLASS_* strings. WARD_EINVAL if the name or code already exists. */
ward_status ward_store_add_scheme(ward_store *s, const char *name,
                                  const char *description, ward_error *err);
ward_status ward_store_add_category(ward_store *s, const char *scheme,
                                    const char *code, const char *label,
                                    const char *klass, ward_error *err);

typedef int (*ward_category_cb)(void *ctx, const char *scheme, const char *code,
                                const char *label, const char *klass);
/* Every category of every scheme (scheme == NULL) or of one; the callback
 * returns non-zero to stop. */
ward_status ward_store_categories(ward_store *s, const char *scheme,
                                  ward_category_cb cb, void *ctx, ward_error *err);

typedef enum ward_list_kind {
    WARD_LIST_ALERT = 0,    /* material to flag */
    WARD_LIST_KNOWN_GOOD    /* ignorable files (NSRL and the like) */
} ward_list_kind;

/* Create a list; an import into a list that does not exist creates it (see
 * ward_import_opts). WARD_EINVAL if it exists, WARD_ENOTFOUND for an unknown
 * scheme. */
ward_status ward_store_create_list(ward_store *s, const char *name,
                                   const char *scheme, ward_list_kind kind,
                                   const char *description, ward_error *err);

typedef struct ward_list_info {
    const char *name, *description, *scheme, *created;
    ward_list_kind kind;
    uint64_t entries;   /* live */
    uint64_t removed;   /* removed as false positives */
    uint64_t imports;   /* committed imports into it */
} ward_list_info;
typedef int (*ward_list_cb)(void *ctx, const ward_list_info *list);
ward_status ward_store_lists(ward_store *s, ward_list_cb cb, void *ctx, ward_error *err);

/* ---- imports --------------------------------------------------------- */

typedef enum ward_hashset_format {
    WARD_FMT_AUTO = 0,  /* detect from the content */
    WARD_FMT_VICS,      /* Project VIC VICS 1.x / 2.0 JSON (read and write 2.0) */
    WARD_FMT_HASHDEEP,  /* %%%% HASHDEEP-1.0 */
    WARD_FMT_SUMS,      /* md5sum / sha1sum / sha256sum output, any mix */
    WARD_FMT_MD5SUM,    /* ... only MD5 lines */
    WARD_FMT_SHA1SUM,
    WARD_FMT_SHA256SUM,
    WARD_FMT_CSV,       /* CSV with a header row naming the columns */
    WARD_FMT_PDQ,       /* "hash,quality[,name]" or "hash" lines */
    WARD_FMT_NSRL,      /* NIST NSRL RDSv3 SQLite database (import only) */
    WARD_FMT_VPDQ       /* vPDQ frame lines "frame,quality,hash,seconds": one
                           PDQ entry per frame, the video named by media_id
                           (the file's base name, or a "# name" line before
                           its frames); export writes the frames of entries
                           imported so, a "# video" line before each video */
} ward_hashset_format;

/* "vics" ("vics1", "vics2"), "hashdeep", "sums", "md5sum", "sha1sum",
 * "sha256sum", "csv", "pdq", "nsrl" ("rds"), "auto"; case-insensitive. */
ward_status ward_hashset_format_parse(const char *name, ward_hashset_format *fmt,
                                      ward_error *err);
const char *ward_hashset_format_name(ward_hashset_format fmt);

typedef struct ward_import_opts {
    int strict;                   /* roll back at the first bad record */
    const char *default_category; /* code or label for records that have none */
    /* A scan's case export (vics.json) is refused as a list unless this
     * names the verdicts to take: "new-image,graded" (see formats.md). */
    const char *case_verdicts;
    /* Only used when the import creates its list: */
    const char *scheme;           /* default: "projectvic"; NSRL: "known-good" */
    ward_list_kind kind;          /* default alert; NSRL: known-good */
    const char *description;
    /* Called about every 16384 records; may be NULL. */
    void (*progress)(void *ctx, uint64_t records, uint64_t bytes_read);
    void *progress_ctx;
} ward_import_opts;

void ward_import_opts_default(ward_import_opts *opts);

#define WARD_IMPORT_MESSAGES 100

typedef struct ward_import_summary {
    uint64_t import_id;         /* row in the imports table; 0 if rolled back */
    char format[16];            /* what was read: "vics2", "hashdeep", ... */
    char file_sha256[65];       /* of the input file, lower-case hex */
    uint64_t records;           /* records read */
    uint64_t added;             /* new entries */
    uint64_t updated;           /* existing entries of the list that changed */
    uint64_t duplicate;         /* already there, nothing new */
    uint64_t removed;           /* matched an entry removed as a false positive:
                                   left removed */
    uint64_t bad;               /* skipped as malformed */
    uint64_t excluded;          /* case export: Media whose verdict was not taken */
    uint64_t revision;          /* store revision after the commit */
    /* The first WARD_IMPORT_MESSAGES bad-record messages, each
     * "file:line: why" (text formats) or "file: /json/pointer: why". */
    size_t n_messages;
    char messages[WARD_IMPORT_MESSAGES][256];
} ward_import_summary;

/*
 * Import `path` into list `list` (created if missing) in one transaction.
 * Re-importing the same file changes nothing (every record is a duplicate).
 * Returns WARD_OK with the counts in *summary (which may be NULL) even when
 * some records were bad; with opts->strict the first bad record rolls back
 * everything and is returned as WARD_EFORMAT with its location in err.
 * A malformed file (no header, broken JSON) fails with WARD_EFORMAT and
 * rolls back. Failed and rolled-back imports are still logged in the imports
 * table with their status. opts may be NULL.
 */
ward_status ward_store_import(ward_store *s, const char *path,
                              ward_hashset_format format, const char *list,
                              const ward_import_opts *opts,
                              ward_import_summary *summary, ward_error *err);

/*
 * Record in `imports` that a file was read into somewhere other than a list
 * (a grade contribution into the grade intake, whose pictures become entries
 * only later): its absolute path, SHA-256 and size, `format`, the `records`
 * read and a `message`; nothing is added to `list`. *import_id gets the row,
 * which the intake names beside each grade, so an audit goes from an entry
 * to the grades that made it and from them to the files they came in.
 */
ward_status ward_store_log_intake(ward_store *s, const char *path, const char *format,
                                  const char *list, uint64_t records, const char *message,
                                  uint64_t *import_id, ward_error *err);

typedef struct ward_import_info {
    uint64_t id;
    const char *list;           /* list name as given to the import */
    const char *path, *file_sha256, *format, *source_version;
    const char *started, *finished;
    const char *status;         /* "ok", "failed" (error), "aborted" (strict) */
    const char *message;        /* why it failed; NULL when ok */
    uint64_t records, added, updated, duplicate, removed, bad;
} ward_import_info;
typedef int (*ward_import_cb)(void *ctx, const ward_import_info *imp);
/* Every import (committed or not), oldest first. */
ward_status ward_store_imports(ward_store *s, ward_import_cb cb, void *ctx,
                               ward_error *err);

/* ---- entries --------------------------------------------------------- */

enum { WARD_HEX_MD5 = 0, WARD_HEX_SHA1, WARD_HEX_SHA256, WARD_HEX_PDQ };

typedef struct ward_entry {
    uint64_t id;
    const char *list;
    ward_list_kind list_kind;
    ward_digests digests;
    int has_pdq;
    ward_pdq pdq;
    int pdq_quality;              /* 0..100, -1 if unknown */
    /* Original text of a digest where the source did not write it in
     * lower case (e.g. "ADEBF3FA..."), indexed by WARD_HEX_*; else NULL. */
    const char *hex_text[4];
    const char *scheme;
    const char *category;         /* code, NULL when uncategorised */
    const char *category_label;   /* NULL when uncategorised */
    const char *category_class;   /* WARD_CLASS_*, NULL when uncategorised */
    const char *series;           /* NULL: none */
    int victim_identified;        /* 1, 0, -1 unknown */
    const char *first_seen, *updated;         /* as the source wrote them */
    const char *first_seen_utc, *updated_utc; /* "YYYY-MM-DDTHH:MM:SS[.f]Z" or NULL */
    const char *tags;             /* ';'-separated, NULL: none */
    const char *name;             /* file name the source gave */
    const char *media_id;         /* VICS MediaID or similar source key */
    int64_t size;                 /* bytes, -1 if unknown */
    uint64_t import_id;           /* provenance: the import that added it */
    const char *import_path, *import_format, *import_finished;
    uint64_t updated_import_id;   /* last import that changed it, 0: none */
    int removed;                  /* removed as a false positive */
    const char *removed_by, *removed_at, *removed_reason;
    int conflict;                 /* lookup: another list in the same answer
                                     gives this hash a different category */
} ward_entry;

typedef struct ward_entries {
    size_t count;
    ward_entry *v;
    void *priv_;                  /* storage; do not touch */
} ward_entries;
void ward_entries_free(ward_entries *e);

enum {
    WARD_LOOKUP_REMOVED = 1u << 0 /* also return removed entries (flagged) */
};

/*
 * Every entry, in any list, carrying this digest. `query` is hex in either
 * case, optionally prefixed "md5:", "sha1:", "sha256:" or "pdq:"; 32 digits
 * are an MD5, 40 a SHA-1, 64 a SHA-256 or a PDQ (both are searched unless
 * prefixed). Exact matches only: near PDQ matching is the index's job.
 * Entries whose categories disagree across lists have `conflict` set.
 * An empty answer is WARD_OK with count 0.
 */
ward_status ward_store_lookup(ward_store *s, const char *query, unsigned flags,
                              ward_entries **out, ward_error *err);

/* One entry by id (live or removed); WARD_ENOTFOUND if there is none. */
ward_status ward_store_get(ward_store *s, uint64_t id, ward_entries **out,
                           ward_error *err);

typedef int (*ward_entry_cb)(void *ctx, const ward_entry *e);
/* Pairs of live entries from different lists that share a digest and whose
 * categories disagree (same scheme and different category, or different
 * schemes and different class). Uncategorised entries never conflict. */
typedef int (*ward_conflict_cb)(void *ctx, const ward_entry *a, const ward_entry *b);
ward_status ward_store_conflicts(ward_store *s, ward_conflict_cb cb, void *ctx,
                                 ward_error *err);

/*
 * Remove entries as false positives: every live entry carrying digest `query`
 * (as in ward_store_lookup), in `list` or in all lists when list is NULL.
 * `who` and `reason` are required and recorded in the history with the time.
 * Removed entries stay listed (ward_store_removed) and later imports of the
 * same hash into that list do not bring them back. *removed (may be NULL)
 * gets the number of entries removed; WARD_ENOTFOUND if none matched.
 */
ward_status ward_store_remove(ward_store *s, const char *query, const char *list,
                              const char *who, const char *reason,
                              uint64_t *removed, ward_error *err);
/* The same for one entry by id. */
ward_status ward_store_remove_id(ward_store *s, uint64_t id, const char *who,
                                 const char *reason, ward_error *err);
/* Removed entries with who / when / why, oldest removal first. */
ward_status ward_store_removed(ward_store *s, ward_entry_cb cb, void *ctx,
                               ward_error *err);

/*
 * Every live entry, by increasing id, for building an index: the callback gets
 * the entry id, its digests (present bits say which) and its PDQ (NULL if it
 * has none). A non-zero return stops the walk early and ward_store_iterate
 * returns WARD_OK (the callback keeps its own reason). All of it reads one
 * snapshot; *revision (may be NULL) is the store revision of that snapshot.
 */
typedef int (*ward_store_iter_cb)(void *ctx, uint64_t entry_id,
                                  const ward_digests *digests, const ward_pdq *pdq);
ward_status ward_store_iterate(ward_store *s, ward_store_iter_cb cb, void *ctx,
                               uint64_t *revision, ward_error *err);

/* ---- statistics ------------------------------------------------------- */

typedef struct ward_stats_list {
    const char *name, *scheme;
    ward_list_kind kind;
    uint64_t entries, removed;
} ward_stats_list;

typedef struct ward_stats_category {
    const char *list, *scheme;
    const char *category;        /* code; NULL: uncategorised */
    const char *label, *klass;   /* NULL: uncategorised */
    uint64_t entries;
} ward_stats_category;

typedef struct ward_store_stats {
    char store_id[33];           /* random id given to the store at creation */
    uint64_t revision;
    int schema_version;
    uint64_t entries;            /* live entries, all lists */
    uint64_t removed;
    uint64_t imports;
    uint64_t with_md5, with_sha1, with_sha256, with_pdq; /* live, by digest kind */
    size_t n_lists;
    ward_stats_list *lists;
    size_t n_categories;         /* live entries by (list, category) */
    ward_stats_category *categories;
    void *priv_;
} ward_store_stats;

ward_status ward_store_stats_get(ward_store *s, ward_store_stats **out,
                                 ward_error *err);
void ward_store_stats_free(ward_store_stats *st);

/* SQLite's own checks of the store file (PRAGMA integrity_check and
 * foreign_key_check). Each problem found is passed to `report` (may be
 * NULL) and counted in *problems; WARD_OK means the checks ran. */
ward_status ward_store_check(ward_store *s, void (*report)(void *ctx, const char *problem),
                             void *ctx, uint64_t *problems, ward_error *err);

/* Live PDQ entries of `list` sharing `media_id`: the frames of one video
 * imported from a vPDQ list. */
ward_status ward_store_video_frames(ward_store *s, const char *list, const char *media_id,
                                    uint64_t *frames, ward_error *err);

/* ---- exports ---------------------------------------------------------- */

typedef struct ward_export_opts {
    const char *list;        /* only this list; NULL: all lists */
    const char *category;    /* only this category code (or "uncategorised");
                                NULL: all */
} ward_export_opts;

/*
 * Write live entries as VICS 2.0 JSON, hashdeep, CSV or PDQ text (the other
 * formats are import-only: WARD_EUNSUPPORTED), streaming, in id order.
 * Entries a format cannot hold (hashdeep: PDQ-only; pdq: no PDQ) are
 * skipped and counted. opts may be NULL. *written / *skipped may be NULL.
 */
ward_status ward_store_export(ward_store *s, FILE *out, ward_hashset_format format,
                              const ward_export_opts *opts, uint64_t *written,
                              uint64_t *skipped, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
