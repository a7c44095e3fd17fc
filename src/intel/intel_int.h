/* Internal state and helpers shared by the intel module's files. */
#ifndef WARD_INTEL_INT_H
#define WARD_INTEL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ward/intel.h>

#include "store/sql.h"
#include "util/escape.h"

/* qsort that accepts an empty (possibly NULL) array. */
static inline void wi_sort(void *base, size_t n, size_t size,
                           int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* ---- models (config.c) ----------------------------------------------- */

/* Outcomes a package can close with (wi_outcome_names). */
enum { WI_N_OUTCOMES = 6 };

enum { WI_BAND_VERY_HIGH = 0, WI_BAND_HIGH, WI_BAND_MEDIUM, WI_BAND_LOW, WI_NBANDS };

typedef struct wi_factor_def {
    char name[48], group[24], description[96];
    double weight;
    int urgent;                 /* forces Very High */
} wi_factor_def;

typedef struct wi_risk_model {
    wi_factor_def *factors;
    size_t n_factors;
    double status_mult[3];      /* fact, intelligence, assumption */
    double image_cap;           /* most the image group may add */
    double band_min[WI_NBANDS];
    int band_hours[WI_NBANDS];
    char forbidden[16][32];
    size_t n_forbidden;
    /* validation: +1 the outcome confirms the risk, -1 it does not, 0 left
     * out (indexed like wi_outcome_names) */
    int outcome_class[WI_N_OUTCOMES];
} wi_risk_model;

/* Occupations (occupation.c): a classification's unit groups, each with
 * its access to children, and the title phrases that name them. */
enum { WI_ACCESS_NONE = 0, WI_ACCESS_CONTACT, WI_ACCESS_DIRECT, WI_NACCESS };
extern const char *const wi_access_names[WI_NACCESS];   /* "none", "contact", "direct" */
int wi_access_parse(const char *s);                      /* -1 if unknown */

#define WI_OCC_WORDS 12
#define WI_OCC_WORD 32

typedef struct wi_occ_group_def {
    char code[16], sector[24], title[80];
    int access;
} wi_occ_group_def;

typedef struct wi_occ_phrase {
    char w[WI_OCC_WORDS][WI_OCC_WORD];   /* words as the matcher reads them */
    size_t n;
    int group;
} wi_occ_phrase;

typedef struct wi_occ_abbrev_def {
    char word[WI_OCC_WORD], expansion[96];
} wi_occ_abbrev_def;

typedef struct wi_occupations {
    char scheme[32];            /* "ISCO-08" */
    char classification[160];   /* the citation */
    char version[48];           /* the mapping's version, recorded with each placing */
    wi_occ_group_def *groups;
    size_t n_groups, cap_groups;
    wi_occ_phrase *phrases;
    size_t n_phrases, cap_phrases;
    wi_occ_abbrev_def *abbrevs;
    size_t n_abbrevs, cap_abbrevs;
    char **vocab;               /* every word of every phrase (misspelling targets) */
    size_t n_vocab, cap_vocab;
} wi_occupations;

typedef struct wi_occ_match {
    int group;       /* index into groups, -1: not placed */
    int phrase;      /* the phrase that placed it */
    int corrected;   /* words read as a misspelling of a known word */
} wi_occ_match;

ward_status wi_occ_group(wi_occupations *o, const char *code, const char *access,
                         const char *sector, const char *title, const char *where,
                         ward_error *err);
/* Phrases separated by ';' naming group `code` (defined before). */
ward_status wi_occ_titles(wi_occupations *o, const char *code, const char *phrases,
                          const char *where, ward_error *err);
ward_status wi_occ_abbrev(wi_occupations *o, const char *word, const char *expansion,
                          const char *where, ward_error *err);
void wi_occupations_free(wi_occupations *o);
extern const char wi_default_occupations[];   /* occupation_table.c */
/* wi_occ_classify, each different text placed once (*cache made on first
 * use; free it with wi_occ_cache_free). */
typedef struct wi_occ_cache wi_occ_cache;
int wi_occ_classify_cached(const wi_occupations *o, wi_occ_cache **cache, const char *text,
                           wi_occ_match *m);
void wi_occ_cache_free(wi_occ_cache *c);
/* Place a free-text title; 1 if placed (m->group), 0 if not. */
int wi_occ_classify(const wi_occupations *o, const char *text, wi_occ_match *m);
/* "ISCO-08 2330 (education, direct access; occupations V)" or "not placed
 * (V)": short, as a factor's value is shown in a line of the package. */
void wi_occ_explain(const wi_occupations *o, const wi_occ_match *m, char *out, size_t cap);

typedef struct wi_area {
    char area[8], hub[24], force[64];
} wi_area;

/* Another name for an area, as a list's force or area column may give it
 * ("SWP", "Hampshire and Isle of Wight Constabulary"); key as wi_area_key. */
typedef struct wi_area_alias {
    char key[64];
    size_t area;   /* index into wi_routing.areas */
} wi_area_alias;

typedef struct wi_routing {
    char hubs[16][24], hub_names[16][64];
    size_t n_hubs;
    wi_area *areas;
    size_t n_areas;
    wi_area_alias *aliases;
    size_t n_aliases;
    char version[32];   /* the 'version' line: each area routing names it */
    char international_hub[24];
    char unassigned[24];
    int bulk_threshold;
} wi_routing;

enum { WI_F_EMAIL = 0, WI_F_PHONE, WI_F_SCREEN, WI_F_IP, WI_F_NAME, WI_F_DOB,
       WI_F_POSTCODE, WI_NFIELDS };

typedef struct wi_resolve_model {
    double m[WI_NFIELDS], u[WI_NFIELDS];
    double threshold;
    int frequency_cap;
    int shared_names;
    int ip_window_hours;
} wi_resolve_model;

/* Retention policy: how long an open subject goes before a person reviews
 * it, and how long a closed one is kept after its outcome (days). */
extern const char *const wi_outcome_names[WI_N_OUTCOMES];   /* "arrest", ... */
int wi_outcome_index(const char *outcome);                  /* -1 if unknown */

typedef struct wi_retention_policy {
    int review_days;
    int retain_days[WI_N_OUTCOMES];
} wi_retention_policy;

/* ---- the handle ---------------------------------------------------- */

typedef struct wi_cached_stmt {
    const char *sql;    /* the literal's address is the key */
    wsql_stmt *st;
} wi_cached_stmt;

struct ward_intel {
    wsql *db;
    char *path;
    wi_cached_stmt *cache;   /* wi_cached: finalized at close */
    size_t n_cache, cap_cache;
    wi_risk_model risk;
    wi_routing routing;
    wi_resolve_model resolve;
    wi_retention_policy retention;
    wi_occupations occupations;
};

extern const char *const wi_field_names[WI_NFIELDS];
extern const char *const wi_band_names[WI_NBANDS];   /* "very-high", ... */
extern const char *const wi_band_labels[WI_NBANDS];  /* "Very High", ... */
int wi_band_parse(const char *s);                    /* -1 if unknown */

ward_status wi_config_load(ward_intel *in, const char *datadir, ward_error *err);
void wi_config_free(ward_intel *in);
const wi_factor_def *wi_factor_find(const wi_risk_model *m, const char *name);
int wi_factor_forbidden(const wi_risk_model *m, const char *name);
const wi_area *wi_area_find(const wi_routing *r, const char *area);
/* How a force or area column's text is compared: lowercase letters and
 * digits only, '&' read as "and", and the words police, constabulary,
 * service, force, and, the dropped ("Avon & Somerset Police" and "avon and
 * somerset" give the same key). */
void wi_area_key(const char *text, char *out, size_t cap);
/* The area a force or area column names: its code (CF), its force's name
 * or an alias from intel-routing.conf. *how: "code", "force" or "alias".
 * NULL when it names none: the referral waits in triage. */
const wi_area *wi_area_resolve(const wi_routing *r, const char *text, const char **how);
const char *wi_hub_of_holder(const wi_routing *r, const char *holder);

/* What a package and every page say when the identity is of grade D or E:
 * urgency keeps its speed (safeguarding comes first), but no action may be
 * taken against a person on an identity nobody has verified (issue 17). */
#define WI_UNVERIFIED_NOTICE "identity unverified: verify before any action against a person"
/* Whether an attribution grade leaves the identity unverified (D, E, none). */
int wi_grade_unverified(const char *grade);

/* ---- database (db.c) ------------------------------------------------- */

ward_status wi_sqlfail(ward_intel *in, ward_error *err, const char *what);
ward_status wi_exec(ward_intel *in, const char *sql, ward_error *err);
ward_status wi_prepare(ward_intel *in, const char *sql, wsql_stmt **st, ward_error *err);
/* For SQL run once per subject or package in a loop: the statement is
 * prepared once per handle and kept (on PostgreSQL it then runs as a
 * server-side prepared statement: parsed and planned once). sql must be a
 * string literal; the caller resets the statement when done with it, and
 * never finalizes it. */
ward_status wi_cached(ward_intel *in, const char *sql, wsql_stmt **st, ward_error *err);
/* The id the next row of `table` gets: its largest + 1, read under the
 * write lock. ward numbers the rows people name (batches, records, values,
 * subjects, packages) itself, as SQLite numbers them, because a PostgreSQL
 * identity also spends the numbers of rolled-back rows: an ingest killed
 * half-way would shift every later record, value and subject id. */
ward_status wi_next_id(ward_intel *in, const char *table, int64_t *id, ward_error *err);
ward_status wi_begin(ward_intel *in, ward_error *err);
/* The 32-byte secret `name`, made (random) and kept in the store the first
 * time it is asked for; call inside a write transaction. */
ward_status wi_secret(ward_intel *in, const char *name, unsigned char key[32], ward_error *err);
/* wi_begin, then the highest subject id under the lock (score and route
 * size their per-subject tables by it; no subject appears meanwhile). */
ward_status wi_begin_subjects(ward_intel *in, int64_t *max, ward_error *err);
ward_status wi_commit(ward_intel *in, ward_error *err);
void wi_rollback(ward_intel *in);
/* After a bulk write, on PostgreSQL: fresh planner statistics for `tables`
 * (comma-separated). Without them the plans of the command that follows
 * (an update right after a large ingest; autovacuum comes later) guess
 * table sizes and scan whole tables once per subject or package. SQLite
 * plans from its indexes alone: nothing is done there. */
void wi_analyze(ward_intel *in, const char *tables);
/* Ends the transaction wi_begin opened: commits when rc is WARD_OK (and
 * returns the commit's outcome), else rolls back and returns rc. Checks
 * that decide on what to write go between the two, under the write lock
 * (BEGIN IMMEDIATE; an advisory lock on PostgreSQL), so that two processes
 * never both act on what they read before the other wrote. */
ward_status wi_end(ward_intel *in, ward_status rc, ward_error *err);
/* One integer from a query with optional text parameter; *v = dflt if no row. */
ward_status wi_query_int(ward_intel *in, const char *sql, const char *param, int64_t dflt,
                         int64_t *v, ward_error *err);
const char *wi_col(wsql_stmt *st, int i);   /* "" for NULL */
/* Each row of `sql` whose first column is a subject id in 1..max; fn
 * returns non-zero when out of memory, which stops the walk. */
typedef int (*wi_subject_row_fn)(void *ctx, int64_t subject, wsql_stmt *st);
ward_status wi_each_subject_row(ward_intel *in, const char *sql, int64_t max,
                                wi_subject_row_fn fn, void *ctx, ward_error *err);
/* Finalize a report's query: WARD_OK, or the query's failure, or
 * WARD_EIO when `out` could not be written (report.c). */
ward_status wi_done(ward_intel *in, wsql_stmt *st, FILE *out, ward_error *err);
/* Typed views (view_*.c): one more zeroed element of `size` bytes at the
 * end of *items (*n used, *cap allocated), or NULL when out of memory;
 * a copy of a text column, NULL for SQL NULL (*oom set when out of
 * memory). */
void *wi_push(void **items, size_t *n, size_t *cap, size_t size);
char *wi_col_dup(wsql_stmt *st, int i, int *oom);
/* Finalize a view's query: WARD_OK or the query's failure. */
ward_status wi_query_done(ward_intel *in, wsql_stmt *st, ward_error *err);
/* One CSV line into at most `max` fields (RFC 4180 quotes), in place;
 * the number of fields (occupation_report.c). */
int wi_csv_fields(char *line, char **f, int max);
/* A list of records as the caller asked for it (report.c): nothing added
 * for text; one JSON array; or one JSON object per line. Each object is
 * written between wi_list_item and wi_list_item_end (without its own
 * newline); wi_list_end closes the array. */
typedef struct wi_list {
    FILE *out;
    ward_intel_output fmt;
    uint64_t n;
} wi_list;
void wi_list_begin(wi_list *l, FILE *out, ward_intel_output fmt);
void wi_list_item(wi_list *l);
void wi_list_item_end(wi_list *l);
void wi_list_end(wi_list *l);

/* The values of one referral field, each placed by a resolver
 * (value_list.c): known says whether it places value; write gives one
 * placing, a text line or a JSON object between wi_list_item and
 * wi_list_item_end (count -1: not from the store, not shown). */
typedef struct wi_placer {
    int (*known)(const void *ctx, const char *value);
    void (*write)(const void *ctx, const char *value, int64_t count, wi_list *l, FILE *out);
    const void *ctx;
} wi_placer;
/* Each of names placed, in the order given. */
ward_status wi_place_names(const wi_placer *p, const char *const *names, size_t n,
                           ward_intel_output fmt, FILE *out, ward_error *err);
/* The values sql selects (value, count), each placed (only the unplaced
 * ones with unmapped_only), after heading in text; *shown and *unmapped
 * (unplaced, shown or not) counted. The caller writes the summary. */
ward_status wi_list_values(ward_intel *in, const char *sql, const wi_placer *p,
                           const char *heading, int unmapped_only, ward_intel_output fmt,
                           FILE *out, uint64_t *shown, uint64_t *unmapped, ward_error *err);

/* s (NULL: "") as a JSON string literal (report.c). */
void wi_jstr(FILE *out, const char *s);
/* UTC "YYYY-MM-DDTHH:MM:SSZ" of t. */
void wi_time_str(time_t t, char out[32]);
/* Parse wi_time_str's form back; -1 if malformed. */
time_t wi_time_parse(const char *s);
/* Subject display id "S000123". */
void wi_subject_id(int64_t n, char out[16]);
int64_t wi_subject_num(const char *id);   /* 0 if malformed */
void wi_audit(ward_intel *in, time_t now, const char *who, const char *action,
              const char *object, const char *detail);
/* A person's decision on a subject (retention.c): reason and person
 * required, the subject id parsed into *id; WARD_EINVAL naming `what`. */
ward_status wi_decision_args(const char *what, const char *subject, const char *who,
                             const char *reason, int64_t *id, ward_error *err);

/* ---- normalisation (norm.c) ------------------------------------------ */

typedef enum wi_vstatus { WI_OK = 0, WI_QUARANTINED, WI_UNUSABLE, WI_INVALID } wi_vstatus;
extern const char *const wi_vstatus_names[4];

typedef struct wi_norm {
    wi_vstatus status;
    char value[160];    /* normalised form ("" unless WI_OK) */
    char reason[192];   /* why quarantined / invalid: every reason, "; " between */
} wi_norm;

void wi_norm_email(const char *raw, wi_norm *n);
void wi_norm_phone(const char *raw, wi_norm *n);
void wi_norm_screen(const char *raw, wi_norm *n);
/* A chat room or group the referral names ("kik:#lounge", "Telegram: Group
 * 12"): trimmed, runs of white space as one space, case-folded (ASCII).
 * Not an identifier of a person: the resolver never reads it; the graph
 * links the subjects who were in the same room. */
void wi_norm_chat(const char *raw, wi_norm *n);
void wi_norm_name(const char *raw, wi_norm *n);
void wi_norm_postcode(const char *raw, wi_norm *n);
void wi_norm_ip(const char *raw, wi_norm *n);
/* A date (of birth, of a factor): ISO YYYY-MM-DD or D/M/Y forms; D/M
 * ambiguity is quarantined. */
void wi_norm_date(const char *raw, wi_norm *n);
/* A point in time. `zone` (may be NULL) is a separate zone column ("UTC",
 * "+01:00", "Z"). Normalised to UTC "YYYY-MM-DDTHH:MM:SSZ". No zone,
 * 12-hour time without AM/PM, D/M-ambiguous dates: quarantined. */
void wi_norm_time(const char *raw, const char *zone, wi_norm *n);
void wi_norm_hash(const char *raw, wi_norm *n);    /* "md5:hex" etc. */
/* A payment card number (PAN): spaces and hyphens dropped, 12-19 digits,
 * Luhn check digit (a failed check is quarantined). The full number never
 * leaves: n->value is the masked form, first 6 and last 4 digits
 * ("453201******0366"), also when the number is quarantined or invalid (it
 * may be a real card mistyped); *digits (cap >= 20, may be NULL) gets the
 * digits for the keyed hash, "" unless the number is well formed. */
void wi_norm_card(const char *raw, wi_norm *n, char *digits);
/* The masked form of a run of digits: first 6, last 4, '*' between. */
void wi_card_mask(const char *digits, char out[24]);
/* Whether the canonical IP is in the carrier-grade NAT range 100.64/10. */
int wi_ip_is_cgnat(const char *ip);
/* Postcode area (leading letters) of a normalised postcode. */
void wi_postcode_area(const char *postcode, char out[8]);
/* Seconds since the epoch of a normalised time; -1 if not one. */
time_t wi_norm_time_t(const char *norm);
/* Trim blanks; returns a pointer into s (modified in place). */
char *wi_trim(char *s);
/* Why a value that is not UTF-8 is quarantined. */
#define WI_REASON_UTF8 "invalid UTF-8: raw bytes kept escaped as \\xNN"
/* s with its bytes escaped (util/escape.h: reversible); malloc'd, NULL
 * when out of memory. */
char *wi_escaped(const char *s);
/* s itself when it is valid UTF-8 (or NULL), else its escaped form, which
 * *owned then holds (free it); *owned NULL and the result NULL: no memory. */
const char *wi_utf8_text(const char *s, char **owned);

/* ---- intake (intake.c) ------------------------------------------------ */

#define WI_MAX_MULTI 8

typedef struct wi_ip_event {
    const char *address, *port, *time, *zone, *event;
} wi_ip_event;

typedef struct wi_file_ref {
    const char *name, *md5, *sha1, *sha256, *viewed;
} wi_file_ref;

typedef struct wi_factor_in {
    const char *factor, *value, *source, *date, *status;
} wi_factor_in;

/* One referral as a reader parsed it; strings borrowed for the call. */
typedef struct wi_referral {
    const char *ref, *reporter, *reporter_country, *incident_type, *incident_time,
        *incident_zone, *international, *name, *dob, *address, *postcode, *occupation,
        *area;   /* a force or area column: routes when no postcode does */
    const char *typology[WI_MAX_MULTI];
    size_t n_typology;
    const char *emails[WI_MAX_MULTI], *phones[WI_MAX_MULTI], *screens[WI_MAX_MULTI];
    size_t n_emails, n_phones, n_screens;
    const char *cards[WI_MAX_MULTI];   /* payment card numbers (CSV "card") */
    size_t n_cards;
    const char *chats[WI_MAX_MULTI];   /* chat rooms or groups (CSV "chat_room") */
    size_t n_chats;
    wi_ip_event ips[WI_MAX_MULTI];
    size_t n_ips;
    wi_file_ref files[WI_MAX_MULTI];
    size_t n_files;
    wi_factor_in factors[WI_MAX_MULTI];
    size_t n_factors;
    /* Free text of a public report (src/report): the addresses (URLs) it
     * names and the reporter's own words; how to reach the reporter. */
    const char *urls[WI_MAX_MULTI];
    size_t n_urls;
    const char *description, *reporter_contact;
    char where[160];       /* "file:12" or "file: /reports/3" */
} wi_referral;

typedef struct wi_intake wi_intake;   /* the writer a reader feeds */
ward_intel *wi_intake_intel(wi_intake *ik);
/* Store one referral; a non-OK return stops the read (database failure). */
ward_status wi_intake_referral(wi_intake *ik, const wi_referral *r, ward_error *err);
/* A message about `what` at `where` that is neither a refusal nor a bad
 * record (a column not read). */
void wi_intake_note(wi_intake *ik, const char *where, const char *what, const char *why);
/* Note a refused value (a forbidden factor column) at `where`. */
void wi_intake_refuse(wi_intake *ik, const char *where, const char *what);
/* Note a bad record (skipped) at `where`. */
void wi_intake_bad(wi_intake *ik, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One referral that arrived on its own (a public report), as a batch of
 * one named `where` (e.g. "web-form R-ABCD-2345"), inside the caller's
 * transaction (wi_begin): the caller's own rows land with it or not at
 * all. *record gets the record's id, *urgent whether an urgent flag
 * (imminent_risk, meeting_planned, threats) was among its typology. */
ward_status wi_ingest_one(ward_intel *in, const wi_referral *r,
                          const ward_intel_ingest_opts *opts, int64_t *record, int *urgent,
                          ward_intel_ingest_summary *sum, ward_error *err);

ward_status wi_read_csv(wi_intake *ik, const char *path, const char *columns, ward_error *err);
ward_status wi_read_json(wi_intake *ik, const char *path, ward_error *err);
ward_status wi_read_xml(wi_intake *ik, const char *path, ward_error *err);

/* ---- scoring helpers shared by report.c (risk.c) ---------------------- */

/* The band in force for a subject: override if any, else the model's. */
int wi_subject_band(ward_intel *in, int64_t subject, int *model_band, double *score,
                    char deadline[32]);

/* ---- validation of the risk model (validate.c) ------------------------ */

/* One closed package: the model's score and band, and whether its outcome
 * confirmed the risk. */
typedef struct wi_vcase {
    double score;
    int band;
    int positive;
} wi_vcase;

/* The public view (intel.h); its excluded[] is indexed like wi_outcome_names. */
typedef ward_intel_validation wi_validation;
_Static_assert(sizeof ((wi_validation *)0)->excluded / sizeof (size_t) == WI_N_OUTCOMES,
               "one excluded count per outcome");

/* The statistics of n cases (sorted in place by score). */
void wi_validate_stats(wi_vcase *cases, size_t n, wi_validation *v);
/* Wilson 95% interval of k in n (NAN, NAN when n is 0). */
void wi_wilson(size_t k, size_t n, double *lo, double *hi);
/* P(chi-square with df degrees of freedom > chi2). */
double wi_chi2_p(double chi2, int df);
/* The validation of the current store, text or one JSON object (no
 * newline): 'ward intel validate' and the KPI report. */
ward_status wi_validate_print(ward_intel *in, int json, FILE *out, ward_error *err);
/* The validation of the current store, and its rendering (text, or one
 * JSON object without a newline). */
ward_status wi_validation_get(ward_intel *in, wi_validation *v, ward_error *err);
void wi_validation_render(const ward_intel *in, const wi_validation *v, int json, FILE *out);

/* ---- packages (package.c) -------------------------------------------- */

/* The package as JSON (subject, referrals with every value raw and
 * normalised, evidence references, assessment, routing, lifecycle). */
ward_status wi_package_json(ward_intel *in, int64_t package, strbuf *out, ward_error *err);
/* A package view as that JSON, and as the printable HTML page
 * (view_package.c). */
void wi_package_view_json(const ward_intel_package_view *v, strbuf *b);
void wi_package_view_html(const ward_intel_package_view *v, FILE *out);
/* The latest package of a subject: WARD_EINVAL for a malformed id,
 * WARD_ENOTFOUND for no such subject or none yet (report.c). */
ward_status wi_subject_package(ward_intel *in, const char *subject, int64_t *package,
                               ward_error *err);
/* Record a lifecycle event. */
ward_status wi_package_event(ward_intel *in, int64_t package, const char *at, const char *state,
                             const char *who, const char *note, ward_error *err);
/* Whether any well-formed card was ever read (its hash key exists): the
 * card passes of resolve cost nothing on lists without cards. */
ward_status wi_has_cards(ward_intel *in, int *yes, ward_error *err);
/* Cards held under more different names than the resolver's shared_names:
 * one "card-shared" alert each (card.c); *flagged: how many were new. */
ward_status wi_cards_shared(ward_intel *in, const char *at, uint64_t *flagged, ward_error *err);
/* Raise an alert unless the same one (kind, package, text) was raised. */
ward_status wi_alert(ward_intel *in, const char *at, const char *kind, int64_t subject,
                     int64_t package, const char *parties, const char *text, int *raised,
                     ward_error *err);

#endif
