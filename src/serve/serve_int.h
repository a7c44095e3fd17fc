/*
 * Internals of the match service: its state database (service.db), the key
 * cache with rate limits, metrics and the HTTP plumbing the handlers share.
 */
#ifndef WARD_SERVE_INT_H
#define WARD_SERVE_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <ward/match.h>
#include <ward/serve.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "scan/jsonl.h"

/* ---- service.db (state*.c: state_int.h says which file owns which table) -- */

typedef struct svc_state svc_state; /* a writer and a reader connection, each locked */

/* A signed checkpoint of the audit log (checkpoint.c). */
typedef struct svc_checkpoint {
    int64_t seq;        /* the last record's seq (0: an empty log) */
    uint64_t records;
    char head[65];      /* its hash */
    char at[32];
    char key_id[17];
} svc_checkpoint;
struct ward_seckey;
/* Read the log's head and sign it: the line (no newline) in line. */
ward_status svc_checkpoint_make(svc_state *s, const struct ward_seckey *key, svc_checkpoint *cp,
                                char line[WARD_AUDIT_CHECKPOINT_MAX], ward_error *err);

/* Recompute the audit chain (ward_serve_audit_verify); each (may be NULL)
 * is called for every record that follows, in order: its seq, its
 * position n (1-based) and its hash; a status other than WARD_OK stops. */
typedef ward_status (*svc_audit_fn)(void *ctx, int64_t seq, uint64_t n, const char *hash,
                                    ward_error *err);
ward_status svc_audit_walk(svc_state *s, svc_audit_fn each, void *ctx, uint64_t *records,
                           char head[65], ward_error *err);
/* store_url: where the service store lives when datadir has no store.url
 * (store.h; NULL: service.db in datadir); key_file: service.db is
 * encrypted with it (store/crypt.h; NULL: in clear). */
ward_status svc_open_keyed(const char *datadir, const char *store_url, const char *key_file,
                           svc_state **out, ward_error *err);
void svc_close(svc_state *s);
/* For a long-running server (SQLite only; a no-op on PostgreSQL): WAL
 * checkpoints on a thread of their own instead of on the commit of a match
 * event (state_wal.c). svc_close stops it. */
ward_status svc_wal_start(svc_state *s, ward_error *err);

/* The audit log's last record: its seq (0: empty), the number of records
 * and its hash (all zeros: empty). Any may be NULL. */
ward_status svc_audit_head(svc_state *s, int64_t *seq, uint64_t *records, char head[65],
                           ward_error *err);
/* Records whose actor is `actor` ("" any) and whose action, object or
 * detail contains q ("" any), newest first, at most limit, copied out
 * (svc_audit_rows_free). */
typedef struct svc_audit_row {
    int64_t seq;
    char at[32];
    char *actor, *action, *object, *detail;
    char hash[65];
} svc_audit_row;
ward_status svc_audit_search(svc_state *s, const char *q, const char *actor, int limit,
                             svc_audit_row **rows, size_t *n, ward_error *err);
void svc_audit_rows_free(svc_audit_row *rows, size_t n);

/* ---- flood control's counts (state_flood.c) ------------------------------- */

typedef struct svc_flood_count {
    uint64_t keys;  /* distinct API keys that hit the hash since `since` */
    uint64_t hits;
} svc_flood_count;
/* Record that key_id hit each of the n hash keys ("sha256:HEX", ...) at
 * now (seconds since the epoch), adds[i] times (repeats remembered since
 * the last write), and count each one's keys and hits since `since`
 * (older rows are dropped); counts has n slots. */
ward_status svc_flood_note(svc_state *s, const char *key_id, const char *const *hashes,
                           const uint32_t *adds, size_t n, double now, double since,
                           svc_flood_count *counts, ward_error *err);

/* ---- CyberTipline submissions (state_tipline.c, for src/tipline/submit.c) -- */

typedef struct svc_tipline_report {
    char state[16];    /* "" (never sent), submitting, submitted, finished, failed */
    char ncmec_id[64];
    char note[256];
    int attempts;
} svc_tipline_report;

typedef struct svc_tipline_file {
    char state[16];    /* "" (never sent), uploading, uploaded, described */
    char file_id[64];
    char md5[40];
} svc_tipline_file;

/* The report's submission row (state "" when none). */
ward_status svc_tipline_report_get(svc_state *s, int64_t id, svc_tipline_report *r,
                                   ward_error *err);
/* The file's (SHA-256, lower hex) row of the report's submission. */
ward_status svc_tipline_file_get(svc_state *s, int64_t id, const char *sha256,
                                 svc_tipline_file *f, ward_error *err);
/* Claim the report's submit (sha256 NULL; endpoint recorded) or one file's
 * upload: insert its 'submitting' / 'uploading' row, committed before the
 * call. *claimed 0 when a row was there already (another submitter). */
ward_status svc_tipline_claim(svc_state *s, int64_t id, const char *sha256,
                              const char *endpoint, int *claimed, ward_error *err);
/* Move the report's row on; ncmec_id NULL: unchanged. */
ward_status svc_tipline_report_set(svc_state *s, int64_t id, const char *state,
                                   const char *ncmec_id, const char *note, ward_error *err);
/* Drop a claim whose call did not reach NCMEC (its files' claims too). */
ward_status svc_tipline_report_forget(svc_state *s, int64_t id, ward_error *err);
/* file_id, md5 NULL: unchanged. */
ward_status svc_tipline_file_set(svc_state *s, int64_t id, const char *sha256,
                                 const char *state, const char *file_id, const char *md5,
                                 ward_error *err);
/* Drop a file's 'uploading' claim. */
ward_status svc_tipline_file_forget(svc_state *s, int64_t id, const char *sha256,
                                    ward_error *err);
/* Every service report with its submission row (state "" when none), by
 * id; non-zero from cb stops. */
ward_status svc_tipline_each(svc_state *s,
                             int (*cb)(void *ctx, int64_t id, const svc_tipline_report *r),
                             void *ctx, ward_error *err);
/* How many of the report's files are in state (described, uploading, ...);
 * 0 when it cannot tell. */
int svc_tipline_files_in(svc_state *s, int64_t id, const char *state);

/* ---- the web application's people (state_users.c) -------------------------- */

typedef struct svc_user_row {
    char name[64];
    char role[32];      /* as stored: web/users.c parses it */
    char unit[64];
    int disabled;
    int totp;
    char created[32];
    char created_by[64];
} svc_user_row;
/* Each change and its audit record (who, the action, the user, detail) are
 * one transaction; a change other than an add ends the user's sessions.
 * WARD_EINVAL: the name is taken (add); WARD_ENOTFOUND: no such user. */
ward_status svc_user_add(svc_state *s, const char *name, const char *role, const char *unit,
                         const char *pwhash, const char *who, const char *detail,
                         ward_error *err);
typedef enum {
    SVC_USER_DISABLE,   /* value unused */
    SVC_USER_ROLE,      /* value the role's name; unit NULL keeps the unit */
    SVC_USER_PASSWORD,  /* value the Argon2id string */
    SVC_USER_TOTP       /* value the base32 secret, NULL removes it */
} svc_user_field;
ward_status svc_user_set(svc_state *s, const char *name, svc_user_field field,
                         const char *value, const char *unit, const char *who,
                         const char *detail, ward_error *err);
ward_status svc_users_each(svc_state *s, int (*cb)(void *ctx, const svc_user_row *u),
                           void *ctx, ward_error *err);
/* 0 and the user (with their password hash and TOTP secret when asked), or
 * -1 when unknown or unreadable. */
int svc_user_get(svc_state *s, const char *name, svc_user_row *u, char *pwhash, size_t pcap,
                 char *totp, size_t tcap);
/* Failed logins of name after since; -1 when it cannot tell. */
int svc_login_failures(svc_state *s, const char *name, double since);
/* Count one failure at now; failures before forget_before are dropped. */
void svc_login_failure_add(svc_state *s, const char *name, double now, double forget_before);
void svc_login_failures_clear(svc_state *s, const char *name);
/* Sessions by the SHA-256 of their cookie. Adding one sweeps those idle
 * since idle_before or made before created_before. */
ward_status svc_session_add(svc_state *s, const char *id_sha256, const char *user,
                            const char *csrf, double now, double idle_before,
                            double created_before, ward_error *err);
/* 0 and the session's user and CSRF token, its last use set to now; -1
 * when there is no live one. */
int svc_session_touch(svc_state *s, const char *id_sha256, double idle_before,
                      double created_before, double now, char *user, size_t ucap, char *csrf,
                      size_t ccap);
void svc_session_drop(svc_state *s, const char *id_sha256);

/* Now as "YYYY-MM-DDTHH:MM:SSZ". */
void svc_now(char out[32]);

typedef struct svc_key {
    char id[24];
    uint8_t secret_sha256[32];
    unsigned scopes;
    double rate, burst;
} svc_key;

/* Changes whenever the API keys may have changed elsewhere: on SQLite when
 * another connection (e.g. `ward apikey`) committed, on PostgreSQL when any
 * node or process added or revoked a key. */
int64_t svc_data_version(svc_state *s);

/* Every live key; caller frees *keys. */
ward_status svc_keys_load(svc_state *s, svc_key **keys, size_t *n, ward_error *err);

ward_status svc_key_create(svc_state *s, const char *id, const char *name, const uint8_t sha[32],
                           unsigned scopes, double rate, double burst, const char *who,
                           ward_error *err);
ward_status svc_key_revoke(svc_state *s, const char *id, const char *who, const char *reason,
                           ward_error *err);
ward_status svc_keys_each(svc_state *s, int (*cb)(void *ctx, const ward_apikey *key), void *ctx,
                          ward_error *err);

/* A match event: the platform's context object (JSON text), the hashes
 * asked about and what matched (JSON arrays). */
typedef struct svc_event_in {
    const char *key_id;
    const char *context_json; /* {} if none */
    const char *hashes_json;
    const char *matches_json;
    uint64_t store_revision;
} svc_event_in;
ward_status svc_event_add(svc_state *s, const svc_event_in *ev, int64_t *id, ward_error *err);

/* Events with `status` ("pending", "confirmed", "rejected" or NULL: all),
 * newest first, as a JSON array into g. */
ward_status svc_events_json(svc_state *s, const char *status, int limit, yajl_gen g,
                            ward_error *err);
/* The same, oldest first when oldest_first (the review page: the events
 * nearest their deadline must be the ones a limit keeps). */
ward_status svc_events_json_ordered(svc_state *s, const char *status, int limit,
                                    int oldest_first, yajl_gen g, ward_error *err);
/* Every event's id, key and hashes (JSON array text as stored), oldest
 * first; the strings live for the call. Non-zero from cb stops. */
ward_status svc_events_each_hashes(svc_state *s, int (*cb)(void *ctx, int64_t id,
                                                           const char *key_id,
                                                           const char *hashes_json),
                                   void *ctx, ward_error *err);
/* One event (WARD_ENOTFOUND). */
ward_status svc_event_json(svc_state *s, int64_t id, yajl_gen g, ward_error *err);

typedef struct svc_review_in {
    int64_t event_id;
    const char *reviewer;     /* a person's name or id: required */
    const char *key_id;
    int confirm;              /* 1 confirm, 0 reject */
    const char *notes;
    int viewed;               /* the reviewer looked at the file */
    int allowlist;            /* reject: put the event's hashes on the allow-list */
    const char *reporter;     /* organisation, for the report */
} svc_review_in;
/* Record a review; a confirmation writes the report (*report_id, else 0).
 * WARD_ENOTFOUND for an unknown event, WARD_EINVAL if already reviewed. */
ward_status svc_review(svc_state *s, const svc_review_in *r, int64_t *review_id,
                       int64_t *report_id, ward_error *err);
/* The hashes of an event as stored (JSON array text; caller frees). */
ward_status svc_event_hashes(svc_state *s, int64_t id, char **hashes_json, ward_error *err);
/* Where evidence files of an event are kept: <datadir>/evidence/<id>. */
void svc_evidence_dir(const char *datadir, int64_t event_id, char *out, size_t cap);
const char *svc_datadir(const svc_state *s);
/* The report's JSON text (caller frees). */
ward_status svc_report_get(svc_state *s, int64_t id, char **json, ward_error *err);
/* Is this hash (lower hex) on the allow-list? (The node's in-memory copy.) */
int svc_allowlisted(svc_state *s, const char *hex);
/* Re-reads the allow-list when other processes or nodes added to it (its
 * row count moved); called at each reload tick. */
ward_status svc_allow_refresh(svc_state *s, ward_error *err);
/* Append to the audit log (its own transaction). */
ward_status svc_audit(svc_state *s, const char *actor, const char *action,
                      const char *object, const char *detail, ward_error *err);

/* ---- metrics (metrics.c) ------------------------------------------------- */

enum svc_endpoint {
    EP_HASH, EP_MATCH, EP_HEALTH, EP_METRICS, EP_EVENTS, EP_REVIEWS, EP_REPORTS,
    EP_RELEASES, EP_ADMIN, EP_OTHER, EP_COUNT
};
#define SVC_LAT_BUCKETS 14

typedef struct svc_metrics {
    atomic_ullong requests[EP_COUNT][6];      /* by status class 0xx..5xx */
    atomic_ullong lat_bucket[EP_COUNT][SVC_LAT_BUCKETS + 1];
    atomic_ullong lat_sum_us[EP_COUNT];
    atomic_ullong hashes_checked, matches, alert_matches, events;
    atomic_ullong rate_limited, auth_failures, reloads, reload_failures;
    atomic_ullong uploads_busy; /* refused 503: upload workers and queue full */
} svc_metrics;

void svc_metrics_observe(svc_metrics *m, int ep, int status, double seconds);
/* Prometheus text exposition format; caller frees. */
/* uploads: upload jobs running and waiting now. */
char *svc_metrics_render(const svc_metrics *m, const ward_match_info *info, double uptime_s,
                         const int uploads[2]);
const char *svc_endpoint_name(int ep);

/* ---- keys and rate limits (auth.c) --------------------------------------- */

typedef struct svc_auth svc_auth;
svc_auth *svc_auth_new(svc_state *state);
void svc_auth_free(svc_auth *a);
/* Re-read the keys (revocations, new keys). */
ward_status svc_auth_refresh(svc_auth *a, ward_error *err);

typedef enum { AUTH_OK, AUTH_MISSING, AUTH_BAD, AUTH_SCOPE, AUTH_RATE } svc_auth_result;
/* Check a token for a scope and take one token from its bucket. On
 * AUTH_RATE *retry_after_s says when the bucket has one again. */
svc_auth_result svc_auth_check(svc_auth *a, const char *token, unsigned scope,
                               char key_id[24], unsigned *scopes, double *retry_after_s);

/* ---- JSON helpers (json.c) ----------------------------------------------- */

void jw_str(yajl_gen g, const char *s);           /* string or null */
void jw_kv_str(yajl_gen g, const char *k, const char *v);
void jw_kv_int(yajl_gen g, const char *k, long long v);
void jw_kv_bool(yajl_gen g, const char *k, int v);
void jw_key(yajl_gen g, const char *k);
/* Copy a parsed yajl value into g as it is (strings byte for byte). */
void jw_value(yajl_gen g, yajl_val v);
/* A parsed value as compact JSON text (caller frees; NULL when out of memory). */
char *jw_value_text(yajl_val v);
/* The text of g, copied (caller frees), and the generator cleared. */
char *jw_take(yajl_gen g, size_t *len);
/* Whether JSON text nests arrays/objects at most max_depth deep. Checked
 * before yajl_tree_parse, whose tree (and freeing it) recurses per level:
 * a body of a million '[' must be refused, not parsed. */
int jw_depth_ok(const char *text, size_t len, int max_depth);
#define SVC_JSON_MAX_DEPTH 32
/* Strict reading of a request body, before it is used: a duplicate key in
 * any object, or a string holding U+0000 (NUL, which yajl's tree would cut
 * there) anywhere but under the JSON pointer nul_ok_under (e.g. "/context",
 * kept byte for byte; NULL: nowhere), is refused. 0, or -1 with a message
 * naming the member ("/hashes/0: ..."). */
int jw_check(const char *text, size_t len, const char *nul_ok_under, char *msg, size_t cap);
/* Write into g the value at a JSON pointer of text ("" the whole text,
 * "/upload/time" a member's member), strings byte for byte; null when there
 * is none (returns 0). */
int jw_copy_at(yajl_gen g, const char *text, size_t len, const char *pointer);
/* The same as compact JSON text (caller frees); NULL when absent. */
char *jw_text_at(const char *text, size_t len, const char *pointer);
/* Largest platform context kept with a match event. */
#define SVC_MAX_CONTEXT (64 * 1024)

/* jv_get, jv_str: members of a parsed object (shared with scan/jsonl.h). */

#endif
