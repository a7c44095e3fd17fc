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

/* How a report prints. A list of records (subjects, packages, alerts,
 * retention, occupations, areas, members) is, as JSON, one array, or
 * with WARD_INTEL_OUT_JSONL one object per line (to stream, or to read
 * with line tools); a report of one thing (a subject, kpi, query,
 * validate) prints one object for either. */
typedef enum ward_intel_output {
    WARD_INTEL_OUT_TEXT = 0,
    WARD_INTEL_OUT_JSON = 1,
    WARD_INTEL_OUT_JSONL = 2
} ward_intel_output;

/* Schema version this build writes (PRAGMA user_version of intel.db). */
int ward_intel_schema_version(void);

/* Open (creating, 0700 dir / 0600 file) <datadir>/intel.db, migrate it and
 * load the models. store_url: where the store lives when datadir has no
 * store.url (NULL: intel.db in datadir; the rule is in store.h). A newer
 * schema is refused (WARD_EUNSUPPORTED); a bad model file is WARD_EFORMAT
 * naming file:line. */
ward_status ward_intel_open(const char *datadir, const char *store_url, ward_intel **out,
                            ward_error *err);
void ward_intel_close(ward_intel *in);

/* ---- encryption at rest (docs/security.md) ---------------------------- */

/* As ward_intel_open; key_file non-NULL: intel.db is encrypted with the
 * key in that file (a new intel.db is created encrypted). The key file
 * must be outside datadir, a regular file, mode 0600 or stricter. An
 * encrypted intel.db opened without a key, with the wrong key, or with a
 * page that fails authentication is refused, naming the file (and page). */
ward_status ward_intel_open_keyed(const char *datadir, const char *store_url, const char *key_file,
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

/* Record-to-subject membership, one per referral record: CSV
 * ("record,ref,list,subject", WARD_INTEL_OUT_TEXT), a JSON array or JSON
 * lines of {"record", "ref", "list", "subject"}; a record not yet resolved
 * has an empty subject (null) and is counted in *unresolved. */
ward_status ward_intel_members(ward_intel *in, ward_intel_output fmt, FILE *out,
                               uint64_t *unresolved, ward_error *err);

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
    /* packages waiting in triage (not yet disseminated) that the rules now
     * place, e.g. after a person added an area alias */
    uint64_t packages_rerouted;
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
/* Subjects with their dates (ward_intel_output below); due_only: only
 * those due at `now`. *count the number printed. */
ward_status ward_intel_retention_list(ward_intel *in, time_t now, int due_only,
                                      ward_intel_output fmt,
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

/* ---- typed views ------------------------------------------------------ */
/* What the reports below print, as structs, for front ends (the web pages)
 * that render them their own way: nothing to re-parse, no key looked up by
 * name. Each _get fills a view the caller frees with its _free (also after
 * a failed _get); strings are owned by the view, NULL where the store holds
 * none (JSON null). The text and JSON reports are rendered from the same
 * views. */

/* A package in a queue: one row of 'ward intel packages'. */
typedef struct ward_intel_queue_item {
    int64_t package;
    char subject[16];
    int version;
    int band;                  /* 0 Very High .. 3 Low */
    const char *band_label;    /* "Very High", ... (static) */
    char *holder, *state, *deadline, *created, *outcome;   /* outcome "" when none */
    int identity_unverified;   /* attribution grade D or E, or none yet */
} ward_intel_queue_item;
typedef struct ward_intel_queue {
    ward_intel_queue_item *items;
    size_t n;
} ward_intel_queue;
/* Packages held by `holder` (NULL: every holder), most urgent first (band,
 * then deadline). */
ward_status ward_intel_queue_get(ward_intel *in, const char *holder, ward_intel_queue *q,
                                 ward_error *err);
void ward_intel_queue_free(ward_intel_queue *q);

/* An alert: stored (deconfliction, closed-subject, merged) or overdue at
 * `now`; `to` names its parties "A; B". */
typedef struct ward_intel_alert {
    char *at, *kind, *to, *text;
} ward_intel_alert;
typedef struct ward_intel_alert_list {
    ward_intel_alert *items;
    size_t n;
} ward_intel_alert_list;
ward_status ward_intel_alerts_get(ward_intel *in, time_t now, ward_intel_alert_list *l,
                                  ward_error *err);
void ward_intel_alert_list_free(ward_intel_alert_list *l);

/* A package as a force or hub receives it ('ward intel package', the web
 * subject and package pages; its JSON is what package_versions keeps). */
typedef struct ward_intel_factor_view {
    char *factor, *group, *status, *source, *date, *value;
    double weight;
} ward_intel_factor_view;
typedef struct ward_intel_value_view {   /* one value as received and normalised */
    int64_t id;
    char *field, *raw, *normalised, *status, *reason, *resolved_by;
} ward_intel_value_view;
typedef struct ward_intel_referral_view {
    int64_t record;
    char *ref, *source, *locator, *typology, *urgent;
    int international;
    ward_intel_value_view *values;
    size_t n_values;
} ward_intel_referral_view;
typedef struct ward_intel_evidence_view {   /* a file hash and a hash-set match, if any */
    char *hash, *list, *category, *klass, *series;
} ward_intel_evidence_view;
typedef struct ward_intel_exhibit_view {
    char *ref, *kind, *status, *needs_grading, *last_scan;
} ward_intel_exhibit_view;
typedef struct ward_intel_event_view {      /* a lifecycle step */
    char *at, *state, *by, *note;
} ward_intel_event_view;
typedef struct ward_intel_package_view {
    int64_t package;
    int version;
    char subject[16];
    char *holder, *route_reason, *state, *created, *updated, *deadline, *outcome,
        *outcome_reason;
    char *grade, *grade_reasons;            /* attribution */
    int identity_unverified;                /* grade D, E or none: notice and checklist */
    const char *notice;                     /* static; NULL when verified */
    const char *checklist[8];               /* static, except checklist_first */
    size_t n_checklist;
    char *checklist_first;                  /* "Verify the identity ...", or NULL */
    const char *caveat;                     /* static */
    int has_assessment;
    struct {
        const char *band;                   /* label (static) */
        double score;
        char *at, *deadline, *changes;
        ward_intel_factor_view *factors;
        size_t n_factors;
    } assessment;
    int has_override;
    struct {
        const char *band;
        char *at, *by, *reason, *deadline;
    } override;
    ward_intel_referral_view *referrals;
    size_t n_referrals;
    ward_intel_evidence_view *evidence;
    size_t n_evidence;
    ward_intel_exhibit_view *exhibits;
    size_t n_exhibits;
    ward_intel_event_view *lifecycle;
    size_t n_lifecycle;
} ward_intel_package_view;
/* A package (WARD_ENOTFOUND if none), or a subject's latest package
 * (WARD_EINVAL for a malformed id, WARD_ENOTFOUND for no such subject or
 * none routed yet). */
ward_status ward_intel_package_view_get(ward_intel *in, int64_t package,
                                        ward_intel_package_view *v, ward_error *err);
ward_status ward_intel_subject_view_get(ward_intel *in, const char *subject,
                                        ward_intel_package_view *v, ward_error *err);
void ward_intel_package_view_free(ward_intel_package_view *v);

/* The risk model against recorded outcomes ('ward intel validate'). Figures
 * that are undefined for the sample are NAN (JSON null, "-" in text). */
typedef struct ward_intel_validation {
    size_t n, positives;                     /* closed cases, of which confirmed */
    size_t band_n[4], band_pos[4];           /* per model band, Very High first */
    double band_lo[4], band_hi[4];           /* Wilson 95% of each band's rate */
    int ordered;                /* confirmed rates never rise from one band to a lower */
    double auc, auc_lo, auc_hi; /* Hanley-McNeil 95% */
    int fit;                    /* the logistic fit exists */
    double intercept, slope;    /* P = 1/(1+exp(-(intercept + slope * score/100))) */
    double brier;
    int groups;                 /* calibration groups (0: too few cases) */
    size_t grp_n[10], grp_pos[10];
    double grp_expected[10], grp_min[10], grp_max[10];
    double hl_chi2, hl_p;       /* Hosmer-Lemeshow */
    int hl_df;
    size_t excluded[6];         /* outcomes left out, by outcome (arrest .. referred) */
    size_t overridden;          /* cases whose band an analyst overrode */
    int small_sample;           /* fewer than 10 outcomes of either kind */
} ward_intel_validation;

/* KPIs ('ward intel kpi', the web KPI page). Bands are 0 Very High .. 3
 * Low, band_label the static label. A new family of figures gets its own
 * array (and count) here, its rows in kpi.c's reader and renderers: the
 * ISP subscriber-request figures (issue 17 item 7: per provider, requests,
 * answered, no-trace rate, mean days to answer, overdue) belong after
 * `outcomes` as `isp` / `n_isp`. */
typedef struct ward_intel_kpi_backlog {
    char *holder;
    int band;
    const char *band_label;
    int open, overdue;
    double mean_age_days, oldest_days;
} ward_intel_kpi_backlog;
typedef struct ward_intel_kpi_action {
    int band;
    const char *band_label;
    char *holder;
    int actioned;
    double mean_hours, max_hours;
} ward_intel_kpi_action;
typedef struct ward_intel_kpi_list {
    char *list;
    int subjects, worked, high_or_above, high_or_above_worked;
} ward_intel_kpi_list;
typedef struct ward_intel_kpi_outcome {
    char *outcome;
    int count;
} ward_intel_kpi_outcome;
/* ISP subscriber requests answered by one provider (docs/intel.md). */
typedef struct ward_intel_kpi_isp {
    char *provider;
    int requests, answered, outstanding, overdue, on_time;
    double mean_days;     /* days from batch to answer; NAN when none answered */
    int found, no_trace, not_retained, wrong_zone;
    double no_trace_rate; /* no_trace / answered; NAN when none answered */
} ward_intel_kpi_isp;

typedef struct ward_intel_kpis {
    ward_intel_kpi_backlog *backlog;       /* open packages by holder and band */
    size_t n_backlog;
    ward_intel_kpi_action *time_to_action; /* hours to actioned by band and holder */
    size_t n_time_to_action;
    ward_intel_kpi_list *lists;            /* share of each list worked */
    size_t n_lists;
    int very_high_unverified, very_high_unverified_open;   /* grade D/E at Very High */
    ward_intel_kpi_outcome *outcomes;
    size_t n_outcomes;
    ward_intel_kpi_isp *isp;               /* ISP requests by provider */
    size_t n_isp;
    ward_intel_validation validation;
} ward_intel_kpis;
ward_status ward_intel_kpis_get(ward_intel *in, time_t now, ward_intel_kpis *k,
                                ward_error *err);
void ward_intel_kpis_free(ward_intel_kpis *k);

/* ---- reports (to `out`) ------------------------------------------------ */


ward_status ward_intel_subjects(ward_intel *in, const char *band, ward_intel_output fmt, FILE *out,
                                ward_error *err);
/* A subject in detail (JSON: its latest package); a disposed subject
 * shows its tombstone only (JSON: {"subject","disposed","by","reason",
 * "removed"}). */
ward_status ward_intel_subject_show(ward_intel *in, const char *subject, int json,
                                    FILE *out, ward_error *err);
ward_status ward_intel_packages(ward_intel *in, const char *holder, ward_intel_output fmt, FILE *out,
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
/* ---- areas (force or area column, intel-routing.conf) ------------------ */

/* The force or area names in the store's referrals, with their record
 * counts and the area each routes to (by the area's code, its force's name
 * or an alias; the routing rules' version); unmapped_only: only the names
 * no rule knows, whose referrals wait in triage. *unmapped: how many names
 * are not known. */
ward_status ward_intel_areas(ward_intel *in, int unmapped_only, ward_intel_output fmt,
                             FILE *out, uint64_t *unmapped, ward_error *err);
/* Where each of n force or area names routes (a list of n). */
ward_status ward_intel_area_place(ward_intel *in, const char *const *names, size_t n,
                                  ward_intel_output fmt, FILE *out, ward_error *err);

/* ---- occupations (intel-occupations.conf) ----------------------------- */

/* Where each job title in the store is placed (ISCO-08 unit group and its
 * access to children: direct, contact, none), with its record count;
 * unmapped_only: only the titles the mapping cannot place. *unmapped: how
 * many titles are not placed. */
ward_status ward_intel_occupations(ward_intel *in, int unmapped_only, ward_intel_output fmt,
                                   FILE *out, uint64_t *unmapped, ward_error *err);
/* Where each of n free-text titles is placed (a list of n). */
ward_status ward_intel_occupation_place(ward_intel *in, const char *const *titles, size_t n,
                                        ward_intel_output fmt, FILE *out, ward_error *err);
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
ward_status ward_intel_alerts(ward_intel *in, time_t now, ward_intel_output fmt, FILE *out,
                              uint64_t *count, ward_error *err);
/* A subject's changes, oldest first: "what" is assessment/override with
 * its band, merge, split, or "package N: state"; `by` NULL when no person
 * made it. A typed view (see above). */
typedef struct ward_intel_change {
    char *at, *what, *detail, *by;
} ward_intel_change;
typedef struct ward_intel_history {
    ward_intel_change *items;
    size_t n;
} ward_intel_history;
ward_status ward_intel_history_get(ward_intel *in, const char *subject, ward_intel_history *h,
                                   ward_error *err);
void ward_intel_history_free(ward_intel_history *h);
/* The same, one JSON object a line: {"at", "what", "detail", "by"}. */
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

/* ---- ISP subscriber requests (isp.c, isp_answer.c; docs/intel.md) ------- */

/* Which provider holds an address: a table of IP ranges (IPv4 and IPv6
 * CIDR) with their ASN and ASN name, read from a CSV whose header names
 * provider, range, asn, asn_name (asn and asn_name may be empty). The
 * whole file is checked first: a bad line is refused (WARD_EFORMAT naming
 * file:line and field) and the table in force is kept; a good file
 * replaces it in one transaction. The longest matching range wins; the
 * same range under two providers is refused. */
ward_status ward_intel_isp_ranges_import(ward_intel *in, const char *path, const char *who,
                                         time_t now, uint64_t *ranges, uint64_t *providers,
                                         ward_error *err);
/* The table in force, text or JSON lines. */
ward_status ward_intel_isp_ranges(ward_intel *in, ward_intel_output fmt, FILE *out,
                                  ward_error *err);

typedef struct ward_intel_isp_build_opts {
    const char *legal_basis;   /* the authorisation's reference (required) */
    const char *who;           /* who builds (and sends) the batches */
    const char *provider;      /* only this provider; NULL: all */
    int due_days;              /* answers due this many days after building (0: 14) */
    time_t now;
} ward_intel_isp_build_opts;

typedef struct ward_intel_isp_build_summary {
    uint64_t batches, requests;
    uint64_t duplicates;       /* the same address, port and time as another request */
    uint64_t requested;        /* already in a request (answered or not) */
    uint64_t time_doubtful;    /* time quarantined or ambiguous: never sent */
    uint64_t port_bad;         /* a port that is not a port number: not sent */
    uint64_t no_provider;      /* in no known range: not sent */
    uint64_t messages_total;
    size_t n_messages;         /* the first of them, one line each */
    char messages[WARD_INTEL_MESSAGES][256];
} ward_intel_isp_build_summary;

/* Request batches, one per provider, from the usable IP events of active
 * subjects: an address with a settled time and zone (status ok, or settled
 * by a person), its port when given, not requested before (unless the
 * provider suspected the wrong time zone and a person settled the time
 * since). Address, port and time are kept as received beside the UTC
 * time. One line per batch to `out` (may be NULL). One transaction. */
ward_status ward_intel_isp_build(ward_intel *in, const ward_intel_isp_build_opts *o,
                                 ward_intel_isp_build_summary *sum, FILE *out,
                                 ward_error *err);
/* Batches with their counts (answered, outstanding, overdue at now). */
ward_status ward_intel_isp_batches(ward_intel *in, time_t now, ward_intel_output fmt,
                                   FILE *out, ward_error *err);
/* One batch for the provider: format "csv", "json" or "html" (printable).
 * It names no subject: the provider sees a request number, the address,
 * port and time (as received and in UTC) and the legal basis. */
ward_status ward_intel_isp_export(ward_intel *in, int64_t batch, const char *format,
                                  FILE *out, ward_error *err);

typedef struct ward_intel_isp_answer_summary {
    uint64_t answers, found, no_trace, not_retained, wrong_zone;
    size_t n_messages;         /* notices about the answers' values */
    char messages[WARD_INTEL_MESSAGES][256];
} ward_intel_isp_answer_summary;

/* Providers' answers from a CSV whose header names request, outcome
 * (found, no-trace, not-retained, wrong-zone), answered (the provider's
 * date) and, for found, name and/or address (postcode, email, phone,
 * provider_ref optional). Checked whole first: a bad line is refused
 * (WARD_EFORMAT, file:line and field) and nothing is stored. A found
 * answer is stored as a referral of its own (list "isp:PROVIDER",
 * intelligence from that provider, dated as answered) joined to the
 * record the request came from; then the subjects are re-resolved (grade)
 * and re-scored, and each answer is a line of its subject's history with
 * the grade and band before and after. One line per answer to `out`. */
ward_status ward_intel_isp_answers_import(ward_intel *in, const char *path, const char *who,
                                          time_t now, ward_intel_isp_answer_summary *sum,
                                          FILE *out, ward_error *err);

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
