/*
 * serve.h -- the HTTP match service (`ward serve`) and its state.
 *
 * A platform calls the service on upload: POST /v1/match with the bytes, or a
 * JSON batch of hashes, answers with every known-list entry they match. A
 * match of an alert-class entry is recorded as a match event (which key,
 * when, the hashes, the platform's own content and account ids; never the
 * image unless the platform later sends it as evidence). A reviewer confirms
 * or rejects the event; a confirmation produces a report in a
 * CyberTipline-like JSON form, a rejection may put the hash on the service's
 * allow-list. Every change is appended to a hash-chained audit log.
 * docs/serve.md is the API reference.
 *
 * State lives in <datadir>/service.db (SQLite, WAL), or in the "service"
 * schema of the data directory's PostgreSQL store, shared by every node
 * using it (docs/deploy.md): API keys (only the SHA-256 of each secret),
 * events, reviews, reports, allow-list, audit. The hash sets are read
 * through ward_match (match.h).
 */
#ifndef WARD_SERVE_H
#define WARD_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* ---- API keys ------------------------------------------------------------ */

/* Scopes: what a key may do. */
enum {
    WARD_SCOPE_MATCH = 1u << 0,  /* /v1/hash, /v1/match, releases */
    WARD_SCOPE_SUBMIT = 1u << 1, /* send evidence for a match event */
    WARD_SCOPE_REVIEW = 1u << 2, /* list events, review, read reports */
    WARD_SCOPE_ADMIN = 1u << 3,  /* reload, audit */
    WARD_SCOPE_LOOKUP = 1u << 4  /* /v1/match batches with "record_event":
                                    false: a partner's federated lookup,
                                    audited instead of queued for review */
};

/* "match,review" -> bits; WARD_EINVAL naming the unknown word. */
ward_status ward_scopes_parse(const char *text, unsigned *scopes, ward_error *err);
/* bits -> "match,review" into buf. */
const char *ward_scopes_format(unsigned scopes, char *buf, size_t cap);

/* A new key's secret is shown once: "wk_<id>_<secret>". */
#define WARD_APIKEY_TOKEN_MAX 96

typedef struct ward_apikey {
    char id[24];         /* public key id, e.g. "k3f9a1c2e" */
    const char *name;    /* who it is for */
    unsigned scopes;
    double rate;         /* requests per second (token bucket refill) */
    double burst;        /* bucket size */
    const char *created, *created_by;
    const char *revoked; /* NULL: live */
    const char *revoked_by, *revoked_reason;
} ward_apikey;

/* Create a key; the token (to give the client) is written to `token`. */
ward_status ward_apikey_create(const char *datadir, const char *store_url, const char *key_file,
                               const char *name, unsigned scopes, double rate, double burst,
                               const char *who, char token[WARD_APIKEY_TOKEN_MAX], ward_error *err);
/* Every key, live and revoked; cb returns non-zero to stop. */
ward_status ward_apikey_list(const char *datadir, const char *store_url, const char *key_file,
                             int (*cb)(void *ctx, const ward_apikey *key), void *ctx,
                             ward_error *err);
/* Revoke by id: refused from then on (a running server notices within its
 * reload interval). WARD_ENOTFOUND for an unknown or already revoked id. */
ward_status ward_apikey_revoke(const char *datadir, const char *store_url, const char *key_file,
                               const char *id, const char *who, const char *reason,
                               ward_error *err);

/* ---- the audit log ---------------------------------------------------------- */

/* Recompute the hash chain of the service's audit log. WARD_EFORMAT naming
 * the first record that does not follow from the one before; *records gets
 * the number checked and head (may be NULL) the hash of the last record:
 * kept elsewhere, it shows later whether records were dropped from the end,
 * which no chain can show by itself. */
ward_status ward_serve_audit_verify(const char *datadir, const char *store_url,
                                    const char *key_file, uint64_t *records, char head[65],
                                    ward_error *err);
/* Append one record to the service's audit log (for changes made outside
 * the server, such as 'ward exhibit'): who did what to which object. */
ward_status ward_serve_audit_append(const char *datadir, const char *store_url,
                                    const char *key_file, const char *actor, const char *action,
                                    const char *object, const char *detail, ward_error *err);

/* Convert a plaintext service.db to one encrypted with the key in key_file
 * (as ward_intel_encrypt does intel.db); nothing may have it open. No
 * service.db, or one already encrypted with that key: nothing to do. */
ward_status ward_serve_encrypt(const char *datadir, const char *key_file, ward_error *err);

/* Retroactive matching of the match service's recorded platform events
 * (issue 23): the hashes of every event in datadir's service store are
 * matched against the store's alert-list entries with ids in (after,
 * upto] (ward_victim_rematch_hashes), and each hit is an alert
 * ("retro-match-platform") in the store to the unit "key:ID" of the API
 * key that sent the event, naming the event, the hash and the list.
 * Nothing to do (*hits 0) when the data directory has no service store.
 * *events: events read. */
struct ward_store;
ward_status ward_serve_rematch_events(const char *datadir, const char *store_url,
                                      const char *key_file, struct ward_store *store, int64_t after,
                                      int64_t upto, int radius, uint64_t *events, uint64_t *hits,
                                      ward_error *err);

/* Signed checkpoints of the audit log (docs/security.md, "Audit
 * checkpoints"): one line, "ward-audit-checkpoint/1 seq=S records=N
 * head=HEX at=TIME key=ID sig=BASE64", signed with the node's Ed25519 key
 * (<datadir>/keys/release.key, 'ward keys generate'). */
#define WARD_AUDIT_CHECKPOINT_MAX 320

/* A checkpoint of the log now, in line (no newline); the taking is itself
 * audited. WARD_ENOTFOUND/WARD_EIO when the node has no key. */
ward_status ward_audit_checkpoint(const char *datadir, const char *store_url, const char *key_file,
                                  char line[WARD_AUDIT_CHECKPOINT_MAX], ward_error *err);

/* ward_serve_audit_verify, and the log checked against every checkpoint in
 * file (one a line; a syslog prefix before each is skipped), each signed by
 * the node's key or a trusted one: WARD_EFORMAT when one is badly signed,
 * when a record a checkpoint names has another hash or position (rewritten,
 * or rolled back and written on), or when the log ends before one
 * (truncated, or rolled back). *checkpoints gets how many were checked. */
ward_status ward_serve_audit_verify_checkpoints(const char *datadir, const char *store_url,
                                                const char *key_file, const char *file,
                                                uint64_t *records, char head[65],
                                                size_t *checkpoints, ward_error *err);

/* ---- the server ------------------------------------------------------------- */

/* What the server tells its log (ward_serve_opts.log): a request answered,
 * or an index swapped in or refused. Strings live for the call only. */
typedef struct ward_serve_event {
    const char *kind;     /* "request", "reload", "reload_failed", or "warning",
                             "error" and "info" (message: what happened; info:
                             e.g. the web's link-analysis graph was rebuilt) */
    const char *method;   /* request: "GET", ... */
    const char *path;     /* request: the path, without the query string
                             (which carries platforms' content and account
                             ids: never logged) */
    int status;           /* request: the HTTP status */
    double seconds;       /* request: body received to reply queued */
    const char *key_id;   /* request: the caller's API key id, "" if none */
    uint64_t revision;    /* reload: the store revision now in service */
    const char *message;  /* reload_failed: why (the old index is kept);
                             warning, error, info: the line */
} ward_serve_event;

typedef struct ward_serve_opts {
    const char *datadir;
    const char *store_url;    /* the stores when datadir has no store.url
                                 (NULL: SQLite in datadir; store.h) */
    const char *address;      /* listen address, default "127.0.0.1" */
    int port;                 /* 0: any free port (see ward_server_port) */
    int threads;              /* event-loop threads (default: 2 x CPUs, >= 4) */
    int upload_workers;       /* threads decoding uploads (default: CPUs) */
    int upload_queue;         /* uploads waiting for a worker beyond those
                                 decoding; more are refused 503 (-1, the
                                 default: 4 x upload_workers) */
    const char *tls_cert;     /* PEM files: both or neither */
    const char *tls_key;
    uint64_t max_upload;      /* bytes of an image/video body (default 64 MiB) */
    uint64_t max_json;        /* bytes of a JSON body (default 4 MiB) */
    int max_batch;            /* hashes in one /v1/match batch (default 1000) */
    unsigned timeout_s;       /* idle connection timeout (default 30) */
    unsigned max_connections; /* default 4096 */
    unsigned per_ip_connections; /* 0: unlimited (default) */
    double reload_interval_s; /* how often to look for a changed store (5) */
    const char *reporter;     /* organisation named in reports */
    uint64_t max_pixels;      /* decode limit for uploads (100 Mpx) */
    uint64_t index_memory;    /* in-memory copy of the PDQ index, when it
                                 fits in this many bytes (1 GiB; 0: none) */
    int radius;               /* default PDQ radius (31) */
    const char *release_root; /* served under /v1/releases/ (NULL: <datadir>/releases) */
    const char *scans_root;   /* scan reports browsable at /scans: UNIT/SCAN/ folders
                                 of `ward scan --out` (NULL: none) */
    const char *intel_key_file; /* intel.db's and service.db's key (NULL: in clear) */
    const char *checkpoint_file; /* signed audit checkpoints appended here (NULL:
                                    <datadir>/audit-checkpoints), and to syslog */
    int64_t checkpoint_records;  /* one every this many audit records (1000) */
    double checkpoint_minutes;   /* or after this long, if any was added (60) */
    double review_deadline_h;    /* a match event should be reviewed within this
                                    many hours of arrival: the review page shows
                                    each event's age against it (24) */
    /* Flood control of platform hits (docs/serve.md): a hash of an alert
     * entry hit by flood_keys distinct API keys within flood_hours is
     * quarantined (matches still recorded, alert and blocking paused). */
    int flood_keys;              /* default 5; 0: no flood control */
    double flood_hours;          /* default 24 */
    /* The public report form at /report and the duty queue (docs/report.md). */
    int report_per_hour;         /* reports one address may send in an hour (5) */
    int duty_escalate_minutes;   /* an urgent entry not acknowledged this long is
                                    escalated (15) */
    const char *duty_escalate_to; /* to whom (a user name; "duty-manager") */
    /* Called from the serving threads for each reload, and for each request
     * when log_requests is set; it must be thread-safe. NULL: no log. */
    void (*log)(void *ctx, const ward_serve_event *ev);
    void *log_ctx;
    int log_requests;
    int batch_workers;           /* threads matching JSON batches of about 20
                                    hashes or more, off the event loops
                                    (default: CPUs) */
} ward_serve_opts;
void ward_serve_opts_default(ward_serve_opts *opts);

typedef struct ward_server ward_server;

/* Open the store and service state, bind, and start serving on background
 * threads. Fails (and serves nothing) if the port cannot be bound, the TLS
 * files cannot be read or the data directory holds no store. */
ward_status ward_server_start(const ward_serve_opts *opts, ward_server **out,
                              ward_error *err);
/* The port actually bound. */
int ward_server_port(const ward_server *srv);
/* Look for a changed store now instead of at the next interval. Not
 * async-signal-safe: call it from a normal thread. */
void ward_server_reload(ward_server *srv);
/* Stop accepting, finish requests in flight, free everything. */
void ward_server_stop(ward_server *srv);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
