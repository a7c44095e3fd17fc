/*
 * intel.h -- bulk referral triage: intake -> identity -> deconfliction ->
 * risk -> package -> routing -> outcome -> feedback.
 *
 * Intelligence lives in its own SQLite file, <datadir>/intel.db (WAL, 0600,
 * optionally encrypted at rest: ward_intel_open_keyed),
 * separate from the hash-set store (ward.db), with its own schema version.
 *
 * The chain, one call per step, each one transaction:
 *   ward_intel_ingest   read a referral file (CSV bulk list, CyberTipline-like
 *                       JSON or XML); every value is kept as received beside
 *                       its normalised form; ambiguous dates and times are
 *                       quarantined, never guessed.
 *   ward_intel_resolve  group records into subjects (Fellegi-Sunter weights,
 *                       frequency cap); subject ids are stable across runs;
 *                       merges and splits are recorded.
 *   ward_intel_score    band, deadline, score and the factors behind them
 *                       from the risk model; says what changed.
 *   ward_intel_route    route subjects to a hub or force, create or version
 *                       their packages, raise deconfliction alerts.
 *
 * Models (risk, routing, resolution weights) are plain-text files in the
 * data directory (intel-risk.conf, intel-routing.conf, intel-resolve.conf,
 * intel-retention.conf, intel-occupations.conf);
 * when a file is absent the built-in default (ward_intel_default_config) is
 * used, so a fresh data directory works.
 *
 * Suspicion is not guilt: bands are a queue order for a person to review,
 * every factor carries its source, date and status (fact, intelligence or
 * assumption), and an analyst's override is kept beside the model's answer.
 *
 * Report functions write text or JSON to a caller's FILE; they never print
 * anywhere else. `now` arguments are Unix seconds (the caller's clock), so
 * deadlines and ages are testable.
 */
#ifndef WARD_INTEL_H
#define WARD_INTEL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_intel ward_intel;

/* Schema version this build writes (PRAGMA user_version of intel.db). */
int ward_intel_schema_version(void);

/* Open (creating, 0700 dir / 0600 file) <datadir>/intel.db, migrate it and
 * load the models. A newer schema is refused (WARD_EUNSUPPORTED); a bad
 * model file is WARD_EFORMAT naming file:line. */
ward_status ward_intel_open(const char *datadir, ward_intel **out, ward_error *err);
void ward_intel_close(ward_intel *in);

/* ---- encryption at rest (docs/security.md) ---------------------------- */

/* As ward_intel_open; key_file non-NULL: intel.db is encrypted with the
 * key in that file (a new intel.db is created encrypted). The key file
 * must be outside datadir, a regular file, mode 0600 or stricter. An
 * encrypted intel.db opened without a key, with the wrong key, or with a
 * page that fails authentication is refused, naming the file (and page). */
ward_status ward_intel_open_keyed(const char *datadir, const char *key_file,
                                  ward_intel **out, ward_error *err);
/* Whether key_file is a usable key for datadir (as ward_intel_open_keyed
 * would judge it), without opening intel.db: for a server to refuse to
 * start rather than fail on its first intelligence page. */
ward_status ward_intel_key_check(const char *key_file, const char *datadir, ward_error *err);
/* A new random key in key_file (must not exist; outside datadir). */
ward_status ward_intel_key_generate(const char *key_file, const char *datadir,
                                    ward_error *err);
/* Encrypt an existing plaintext <datadir>/intel.db in place: copied through
 * the encryption, integrity-checked, synced, renamed over the original.
 * Nothing else may have intel.db open (stop ward serve first). */
ward_status ward_intel_encrypt(const char *datadir, const char *key_file, ward_error *err);
/* SQLite's integrity check over every page (each one authenticated when
 * encrypted); WARD_EFORMAT naming the problem. */
ward_status ward_intel_check(ward_intel *in, ward_error *err);

/* Built-in model text: which is "risk", "routing", "resolve" or
 * "retention" or "occupations"; NULL for another name. */
const char *ward_intel_default_config(const char *which);

/* ---- intake ---------------------------------------------------------- */

typedef enum ward_intel_format {
    WARD_INTEL_AUTO = 0, WARD_INTEL_CSV, WARD_INTEL_JSON, WARD_INTEL_XML
} ward_intel_format;

typedef struct ward_intel_ingest_opts {
    const char *source;      /* list name, e.g. "op-willow" (required) */
    ward_intel_format format;
    /* CSV column mapping "field=Column,field=Column"; fields not named are
     * looked up by their own name (case-insensitive). NULL: by name. */
    const char *columns;
    int international;       /* every record came from abroad */
    int bulk;                /* a bulk national operation (-1: decide by size) */
    const char *received;    /* when the list arrived (text kept); NULL: now */
    time_t now;
} ward_intel_ingest_opts;

#define WARD_INTEL_MESSAGES 50

typedef struct ward_intel_ingest_summary {
    int64_t batch_id;
    char file_sha256[65];
    uint64_t records, values, quarantined, unusable, bad, refused_factors;
    uint64_t hash_lookups, hash_known;
    /* First messages, "file:line: why" or "file: /json/pointer: why". */
    size_t n_messages;
    char messages[WARD_INTEL_MESSAGES][256];
    uint64_t messages_total;   /* all messages, of which the first are kept above */
} ward_intel_ingest_summary;

/* One transaction: a malformed file (no header, broken JSON) lands nothing
 * and fails WARD_EFORMAT; bad records are counted and named and the rest
 * land. `store` is an open hash-set store for file-hash lookups, or NULL. */
struct ward_store;
ward_status ward_intel_ingest(ward_intel *in, const char *path,
                              const ward_intel_ingest_opts *opts,
                              struct ward_store *store,
                              ward_intel_ingest_summary *sum, ward_error *err);

/* `--columns auto`: a CSV header's columns with the field each would map
 * to by its name ("E-mail Address" -> email, "Card Number" -> card), and
 * the --columns text to confirm. Reads the header only; stores nothing. */
ward_status ward_intel_propose_columns(const char *path, FILE *out, ward_error *err);

/* Quarantined values (text, one per line) and their resolution by a person:
 * `value_id` gets `normalised` (checked like any value of its field). */
ward_status ward_intel_quarantine_list(ward_intel *in, FILE *out, ward_error *err);
ward_status ward_intel_clarify(ward_intel *in, int64_t value_id, const char *normalised,
                               const char *who, const char *reason, time_t now,
                               ward_error *err);

/* ---- identity -------------------------------------------------------- */

typedef struct ward_intel_resolve_summary {
    uint64_t records, subjects, created, merged, split, links_refused_by_cap;
} ward_intel_resolve_summary;

ward_status ward_intel_resolve(ward_intel *in, time_t now, const char *who,
                               ward_intel_resolve_summary *sum, ward_error *err);

/* Analyst decisions the resolver honours from then on, both recorded:
 * keep two records apart ("these are different people"), or join them. */
ward_status ward_intel_keep_apart(ward_intel *in, int64_t rec_a, int64_t rec_b,
                                  const char *who, const char *reason, time_t now,
                                  ward_error *err);
ward_status ward_intel_join(ward_intel *in, int64_t rec_a, int64_t rec_b,
                            const char *who, const char *reason, time_t now,
                            ward_error *err);

/* Record-to-subject membership, one line per referral record: CSV
 * ("record,ref,list,subject", csv non-zero) or JSON lines ({"record",
 * "ref", "list", "subject"}); a record not yet resolved has an empty
 * subject (null) and is counted in *unresolved. */
ward_status ward_intel_members(ward_intel *in, int csv, FILE *out, uint64_t *unresolved,
                               ward_error *err);

/* Ground-truth check: `truth` maps record ref -> true entity id (CSV
 * "ref,entity"); pairwise precision and recall of the current subjects. */
ward_status ward_intel_evaluate(ward_intel *in, const char *truth_path,
                                double *precision, double *recall, ward_error *err);
/* As ward_intel_evaluate for a truth CSV with a header line and more
 * columns: id_col names the record ref column (NULL: "ref"), person_col
 * the true person (NULL: "entity"). A file that cannot be read that way (a
 * missing column, a line of another width, no ref naming a resolved
 * record) is refused, WARD_EFORMAT naming it, rather than measured. */
ward_status ward_intel_evaluate_columns(ward_intel *in, const char *truth_path,
                                        const char *id_col, const char *person_col,
                                        double *precision, double *recall, ward_error *err);

/* ---- risk ------------------------------------------------------------ */

typedef struct ward_intel_score_summary {
    uint64_t subjects, changed, band_count[4]; /* very high, high, medium, low */
} ward_intel_score_summary;

ward_status ward_intel_score(ward_intel *in, time_t now,
                             ward_intel_score_summary *sum, ward_error *err);

/* Add a factor to a subject: refused (WARD_EINVAL) when the risk model
 * forbids it (ethnicity, nationality, immigration status) or does not know
 * it; status is "fact", "intelligence" or "assumption". */
ward_status ward_intel_add_factor(ward_intel *in, const char *subject, const char *factor,
                                  const char *value, const char *source, const char *date,
                                  const char *status, time_t now, ward_error *err);

/* Override a subject's band ("very-high", "high", "medium", "low") with a
 * written reason (required); the model's answer is kept beside it. */
ward_status ward_intel_override(ward_intel *in, const char *subject, const char *band,
                                const char *who, const char *reason, time_t now,
                                ward_error *err);

/* ---- routing, packages, lifecycle ------------------------------------ */

typedef struct ward_intel_route_summary {
    uint64_t packages_created, packages_versioned, alerts;
} ward_intel_route_summary;

ward_status ward_intel_route(ward_intel *in, time_t now, ward_intel_route_summary *sum,
                             ward_error *err);

/* Move a package on: "disseminated", "accepted", "actioned". */
ward_status ward_intel_package_state(ward_intel *in, int64_t package, const char *state,
                                     const char *who, const char *note, time_t now,
                                     ward_error *err);
/* Record an outcome: arrest, charge, caution, safeguarded, nfa, referred;
 * nfa and referred need a reason. Closes the package. */
ward_status ward_intel_outcome(ward_intel *in, int64_t package, const char *outcome,
                               const char *who, const char *reason, time_t now,
                               ward_error *err);
/* Escalate a package from a force to its regional hub. */
ward_status ward_intel_escalate(ward_intel *in, int64_t package, const char *who,
                                const char *reason, time_t now, ward_error *err);

/* ---- retention -------------------------------------------------------- */

/* Retention policy (intel-retention.conf; 'ward intel config retention'):
 * an open subject is due for review review_days after its last change; a
 * closed one (every package has an outcome) is kept retain_days of its
 * outcome after the latest outcome. Dates never delete anything: they put
 * the subject before a person, who keeps it or marks it for disposal;
 * ward_intel_dispose then deletes on request. */
typedef struct ward_intel_retention {
    char subject[16];
    int closed;                  /* every package has an outcome */
    char review_by[32];          /* "" until first computed */
    char retain_until[32];       /* "" while open */
    char due_at[32];             /* review_by, or for a closed subject the later one */
    int due;                     /* due_at passed and not marked for disposal */
    int marked;                  /* the last decision was dispose */
    char decision[8];            /* "keep", "dispose" or "" */
    char decided_by[64], decided_at[32], reason[256];
} ward_intel_retention;

/* Compute review_by / retain_until for every open-to-analysts subject
 * (review_by never moves back). 'update' and the calls below do this. */
ward_status ward_intel_retention_refresh(ward_intel *in, ward_error *err);
/* One subject's dates (refreshed) and last decision; WARD_ENOTFOUND if it
 * does not exist or was merged into another. */
ward_status ward_intel_retention_get(ward_intel *in, const char *subject, time_t now,
                                     ward_intel_retention *r, ward_error *err);
/* Subjects with their dates, text or JSON lines; due_only: only those due
 * at `now`. *count the number printed. */
ward_status ward_intel_retention_list(ward_intel *in, time_t now, int due_only, int json,
                                      FILE *out, uint64_t *count, ward_error *err);
/* A person's decision, reason required: keep pushes review_by one interval
 * on from the later of now and its current value; dispose marks the
 * subject for disposal and deletes nothing (ward_intel_dispose does, later,
 * on request). Recorded in the subject's history and the audit table. */
ward_status ward_intel_retain(ward_intel *in, const char *subject, int keep, const char *who,
                              const char *reason, time_t now, ward_error *err);
/* What ward_intel_dispose would remove, table by table (text). */
ward_status ward_intel_disposal_preview(ward_intel *in, const char *subject, FILE *out,
                                        ward_error *err);

/* ---- disposal ----------------------------------------------------------- */

/* A disposed subject's tombstone. */
typedef struct ward_intel_disposal {
    char subject[16];
    char at[32], by[64], reason[256];
    char removed[640];   /* "3 referral records, 41 values (...), ..." */
    int file_cleared;    /* dispose: the WAL was checkpointed and truncated, so no
                          * old copy of a page is left in intel.db or -wal */
} ward_intel_disposal;

/* Whether `subject` may be disposed of now: WARD_OK when its latest
 * retention decision is dispose and nothing about it (a new referral, an
 * assessment, an override, a merge or split, a package event) changed after
 * that decision; else WARD_EINVAL saying why (not marked, kept since,
 * changed since, merged into another), WARD_ENOTFOUND for no such subject
 * or one disposed of already. */
ward_status ward_intel_disposal_check(ward_intel *in, const char *subject, ward_error *err);
/* Carry out a standing dispose decision (checked as above, in the same
 * transaction), reason and person required. Deletes the subject's personal
 * data: its referral records with every value, file-hash hits, factors,
 * assessments, overrides, packages with versions and events, alerts naming
 * it, link decisions about its records, the public-form answers and duty
 * entries (with their checklists) of its records; the same for subjects merged into
 * it earlier. Keeps a tombstone (the subjects row, inactive, with *d's
 * fields), the subject's history (a 'disposal' row added) and the audit
 * table (an 'intel.dispose' row with the counts, no personal data);
 * batches keep their counts; the id is never reused, so a later referral
 * about the same person becomes a new subject. Runs with secure_delete on
 * and checkpoints the WAL afterwards (d->file_cleared says whether it could
 * truncate it; another open connection can prevent that until it closes). */
ward_status ward_intel_dispose(ward_intel *in, const char *subject, const char *who,
                               const char *reason, time_t now, ward_intel_disposal *d,
                               ward_error *err);
/* The tombstone of a disposed subject; WARD_ENOTFOUND if it was not. */
ward_status ward_intel_disposal_get(ward_intel *in, const char *subject, ward_intel_disposal *d,
                                    ward_error *err);

/* ---- reports (to `out`) ------------------------------------------------ */

ward_status ward_intel_subjects(ward_intel *in, const char *band, int json, FILE *out,
                                ward_error *err);
/* A subject in detail (JSON: its latest package); a disposed subject
 * shows its tombstone only (JSON: {"subject","disposed","by","reason",
 * "removed"}). */
ward_status ward_intel_subject_show(ward_intel *in, const char *subject, int json,
                                    FILE *out, ward_error *err);
ward_status ward_intel_packages(ward_intel *in, const char *holder, int json, FILE *out,
                                ward_error *err);
/* format: "json" or "html". */
ward_status ward_intel_package_export(ward_intel *in, int64_t package, const char *format,
                                      FILE *out, ward_error *err);
/* Count subjects with records from list `source` (NULL: all) having
 * `factor` (NULL: any), grouped by "force" (holder), "hub", "band" or
 * NULL (one total). */
ward_status ward_intel_query(ward_intel *in, const char *source, const char *factor,
                             const char *by, int json, FILE *out, ward_error *err);
ward_status ward_intel_kpi(ward_intel *in, time_t now, int json, FILE *out,
                           ward_error *err);
/* ---- occupations (intel-occupations.conf) ----------------------------- */

/* Where each job title in the store is placed (ISCO-08 unit group and its
 * access to children: direct, contact, none), with its record count;
 * unmapped_only: only the titles the mapping cannot place. *unmapped: how
 * many titles are not placed. Text, or JSON lines. */
ward_status ward_intel_occupations(ward_intel *in, int unmapped_only, int json, FILE *out,
                                   uint64_t *unmapped, ward_error *err);
/* Where one free-text title is placed. */
ward_status ward_intel_occupation_place(ward_intel *in, const char *title, int json, FILE *out,
                                        ward_error *err);
typedef struct ward_intel_occ_eval {
    uint64_t titles, placed, coded, group_right, level_right, unplaceable, unplaceable_left;
    uint64_t tp, fp, fn, direct_tp, direct_fp, direct_fn;
    double precision, recall;   /* access to children (direct or contact) */
} ward_intel_occ_eval;
/* The mapping against a labelled CSV (header naming title, isco, access;
 * '#' lines are comments): precision and recall of access to children,
 * of direct access, level and unit-group agreement, printed with the
 * titles whose level differs. A file without those columns is refused
 * (WARD_EFORMAT naming it). */
ward_status ward_intel_occupation_evaluate(ward_intel *in, const char *path, FILE *out,
                                           ward_intel_occ_eval *ev, ward_error *err);

/* Validation of the risk model against recorded outcomes: per model band
 * the confirmed rate with a Wilson 95% interval, the AUC of the score
 * (Hanley-McNeil 95% interval), calibration (logistic fit, observed
 * against expected by score group, Hosmer-Lemeshow, Brier), every figure
 * with its sample size. Which outcomes confirm the risk is the risk
 * model's (outcome_positive / outcome_negative). Text, or one JSON object. */
ward_status ward_intel_validate(ward_intel *in, int json, FILE *out, ward_error *err);
/* Deconfliction and overdue alerts; *count the number printed. */
ward_status ward_intel_alerts(ward_intel *in, time_t now, int json, FILE *out,
                              uint64_t *count, ward_error *err);
/* A subject's changes, oldest first, one JSON object a line: {"at",
 * "what" (assessment/override with its band, merge, split, package N:
 * state), "detail", "by"}. */
ward_status ward_intel_subject_history(ward_intel *in, const char *subject, FILE *out,
                                       ward_error *err);
/* The hub id a holder (force name or hub id) belongs to under the routing
 * rules, or NULL (unassigned, unknown): what a hub's compartment covers. */
const char *ward_intel_hub_of(ward_intel *in, const char *holder);
/* Feedback to an originating agency (list source) from outcomes. */
ward_status ward_intel_feedback(ward_intel *in, const char *source, FILE *out,
                                ward_error *err);
/* A readable triage report: subjects by band with reasons, routing counts,
 * quarantined values. */
ward_status ward_intel_report(ward_intel *in, time_t now, FILE *out, ward_error *err);

/* ---- link material (for the graph room, ward/graph.h) --------------------- */

/* One identifier or file a resolved subject's record carries. Strings are
 * valid during the callback only. */
typedef struct ward_intel_link {
    int64_t record, subject;
    const char *field;     /* "email", "phone", "screen_name", "ip", "file_hash", "series",
                            * "card" (value: the keyed hash; raw: masked), "chat_room" */
    const char *value;     /* normalised ("" if it has none); ip: the address, or
                            * "ADDR port P" behind CGNAT, as the resolver keys it */
    const char *raw;       /* as received */
    const char *time;      /* when: the IP event's time, else the incident's, else the
                            * list's arrival (text as stored) */
    const char *source;    /* the list (batch source) it came on */
    const char *refused;   /* non-NULL: why ward never links people through this value
                            * (CGNAT without a port, no settled timestamp) */
    const char *name;      /* the record's normalised name, "" if none */
    int by_person;         /* the value was settled by a person (clarify) */
} ward_intel_link;

/* Non-zero stops the walk (out of memory). */
typedef int (*ward_intel_link_fn)(void *ctx, const ward_intel_link *l);
/* Every link value of every record that belongs to a subject (status ok or
 * settled by a person; IP events marked unusable come with `refused`),
 * then every hash-set hit that names a series, in one read snapshot.
 * *unresolved (may be NULL): records not yet grouped into a subject (run
 * resolve), which are not examined. */
ward_status ward_intel_links(ward_intel *in, ward_intel_link_fn fn, void *ctx,
                             uint64_t *unresolved, ward_error *err);
/* holder: the unit holding its newest package ("" if none yet). */
typedef int (*ward_intel_subject_fn)(void *ctx, int64_t subject, const char *id,
                                     const char *holder, const char *created);
/* Every active subject, by id. */
ward_status ward_intel_link_subjects(ward_intel *in, ward_intel_subject_fn fn, void *ctx,
                                     ward_error *err);
/* The resolver's limits (intel-resolve.conf): an identifier held by more
 * than frequency_cap records, or by records under more than shared_names
 * different names, links no one; IP events further apart than
 * ip_window_hours say nothing. */
void ward_intel_link_limits(ward_intel *in, int *frequency_cap, int *shared_names,
                            int *ip_window_hours);
/* A short text that changes whenever anything ward_intel_links,
 * ward_intel_link_subjects or the exhibits and their scans would read
 * differently changes (and with the limits above): a graph built from the
 * store can be kept until the stamp differs. Cheap: max and count over
 * keys and indexes. cap: 512 is ample. */
ward_status ward_intel_link_stamp(ward_intel *in, char *out, size_t cap, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
