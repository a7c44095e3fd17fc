/*
 * service.db: what the match service remembers -- API keys, match events,
 * reviews, reports, the allow-list and an append-only, hash-chained audit
 * log. One connection (wsql: SQLite, or the schema PREFIX_service on a
 * PostgreSQL server) behind a mutex: writes are rare next to matching (only
 * matches write) and the store serialises writers anyway.
 *
 * On PostgreSQL several `ward serve` nodes share these tables. Every write
 * runs inside BEGIN IMMEDIATE, which there takes the schema's advisory lock:
 * the audit chain's append (read the head, hash, insert) is then one
 * sequence across all nodes, never a fork. What stays per node: the
 * in-memory copies (allow-list, key cache and rate-limit buckets).
 */
#include "serve/serve_int.h"
#include "store/crypt.h"
#include "store/sql.h"
#include "util/error.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <ward/digest.h>

/* The allow-list is consulted for every hash matched, so it is held in
 * memory (sorted, binary-searched) behind a read-write lock instead of
 * costing a query under the connection's mutex. The copy is refreshed after
 * each insert of this node and, for other processes' inserts (another node
 * on the same PostgreSQL schema, a second ward serve on the same SQLite
 * file), at each reload tick when the table's row count moved (rows are
 * never deleted, so the count is a version). */
typedef struct allow_set {
    pthread_rwlock_t lock;
    char (*v)[72];
    size_t n;
} allow_set;

struct svc_state {
    char *datadir;
    wsql *db;
    pthread_mutex_t lock;
    /* The audit chain's head inside the current write transaction (read
     * once under its lock, then carried from append to append): a batch of
     * N events costs one read of the head, not N. "" outside one. */
    char head[65];
    /* The statements every match event runs, prepared once per connection
     * (cached(), under the lock): SQLite skips the compile, PostgreSQL the
     * parse and plan (a statement run twice is prepared server-side). */
    wsql_stmt *st_event, *st_head, *st_audit;
    allow_set allow;
    pthread_mutex_t q_lock;    /* group commit of match events */
    pthread_cond_t q_done;
    struct pending_event *q_head;
    int q_leader;
};

#define SVC_SCHEMA_VERSION 3

static const char schema_v1[] =
    "CREATE TABLE api_keys("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 BLOB NOT NULL,"
    "  scopes INTEGER NOT NULL, rate REAL NOT NULL, burst REAL NOT NULL,"
    "  created TEXT NOT NULL, created_by TEXT NOT NULL,"
    "  revoked TEXT, revoked_by TEXT, revoked_reason TEXT);"
    "CREATE TABLE events("
    "  id INTEGER PRIMARY KEY, created TEXT NOT NULL, key_id TEXT NOT NULL,"
    "  context TEXT NOT NULL, hashes TEXT NOT NULL, matches TEXT NOT NULL,"
    "  store_revision INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK(status IN ('pending','confirmed','rejected')));"
    "CREATE INDEX events_status ON events(status, id);"
    "CREATE TABLE reviews("
    "  id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL UNIQUE REFERENCES events(id),"
    "  reviewer TEXT NOT NULL, key_id TEXT, decision TEXT NOT NULL"
    "    CHECK(decision IN ('confirm','reject')),"
    "  notes TEXT, viewed INTEGER NOT NULL, created TEXT NOT NULL);"
    "CREATE TABLE reports("
    "  id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL UNIQUE REFERENCES events(id),"
    "  created TEXT NOT NULL, body TEXT NOT NULL);"
    "CREATE TABLE allowlist("
    "  hash TEXT PRIMARY KEY, added TEXT NOT NULL, added_by TEXT NOT NULL,"
    "  event_id INTEGER, reason TEXT);"
    "CREATE TABLE audit("
    "  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
    "  action TEXT NOT NULL, object TEXT, detail TEXT,"
    "  prev TEXT NOT NULL, hash TEXT NOT NULL);";

/* v2: people of the web application (users.c, session.c). Passwords are
 * Argon2id strings; session ids and TOTP secrets never stored in clear
 * (sessions by SHA-256). "user" is quoted: a reserved word (CURRENT_USER)
 * on PostgreSQL, the same column on SQLite. */
static const char schema_v2[] =
    "CREATE TABLE users("
    "  name TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT NOT NULL,"
    "  pwhash TEXT NOT NULL, totp_secret TEXT, disabled INTEGER NOT NULL DEFAULT 0,"
    "  created TEXT NOT NULL, created_by TEXT NOT NULL);"
    "CREATE TABLE sessions("
    "  id_sha256 TEXT PRIMARY KEY, \"user\" TEXT NOT NULL REFERENCES users(name),"
    "  csrf TEXT NOT NULL, created REAL NOT NULL, seen REAL NOT NULL);"
    "CREATE TABLE login_failures(\"user\" TEXT NOT NULL, at REAL NOT NULL);"
    "CREATE INDEX login_failures_user ON login_failures(\"user\", at);";

/* v3: CyberTipline submissions (src/tipline/, docs/tipline.md). A row is
 * written before each transaction that creates something at NCMEC (submit,
 * upload) and completed after its answer: a row left 'submitting' or
 * 'uploading' is a call whose outcome is unknown, held for a person instead
 * of sent again. The PRIMARY KEYs are the claim two submitters race for. */
static const char schema_v3[] =
    "CREATE TABLE tipline_reports("
    "  report_id INTEGER PRIMARY KEY REFERENCES reports(id),"
    "  state TEXT NOT NULL CHECK(state IN ('submitting','submitted','finished','failed')),"
    "  ncmec_id TEXT, endpoint TEXT NOT NULL, started TEXT NOT NULL, updated TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0, note TEXT);"
    "CREATE TABLE tipline_files("
    "  report_id INTEGER NOT NULL REFERENCES tipline_reports(report_id),"
    "  sha256 TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK(state IN ('uploading','uploaded','described')),"
    "  file_id TEXT, md5 TEXT, updated TEXT NOT NULL, PRIMARY KEY(report_id, sha256));";

void svc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static ward_status allow_load(svc_state *s, ward_error *err);

static ward_status db_fail(svc_state *s, ward_error *err, const char *what)
{
    return ward_fail(err, WARD_EIO, "service.db: %s: %s", what, wsql_errmsg(s->db));
}

static int schema_version(svc_state *s)
{
    wsql_stmt *st;
    int version = -1;
    if (wsql_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (wsql_step(st) == SQLITE_ROW)
        version = wsql_column_int(st, 0);
    wsql_finalize(st);
    return version;
}

static ward_status migrate(svc_state *s, ward_error *err)
{
    int version = schema_version(s);
    if (version < 0)
        return db_fail(s, err, "reading the schema version");
    if (version > SVC_SCHEMA_VERSION)
        return ward_fail(err, WARD_EUNSUPPORTED,
                         "service.db has schema %d, newer than this ward (%d)", version,
                         SVC_SCHEMA_VERSION);
    if (version == SVC_SCHEMA_VERSION)
        return WARD_OK;
    char *msg = NULL;
    int rc = wsql_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    /* Another process (ward serve starting while ward apikey runs) may have
     * migrated between the read above and the lock: read again under it. */
    if (rc == SQLITE_OK && (version = schema_version(s)) >= SVC_SCHEMA_VERSION)
        return wsql_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
                   ? WARD_OK : db_fail(s, err, "reading the schema version");
    if (rc == SQLITE_OK && version < 1)
        rc = wsql_exec(s->db, schema_v1, NULL, NULL, &msg);
    if (rc == SQLITE_OK && version < 2)
        rc = wsql_exec(s->db, schema_v2, NULL, NULL, &msg);
    if (rc == SQLITE_OK && version < 3)
        rc = wsql_exec(s->db, schema_v3, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = wsql_exec(s->db, "PRAGMA user_version=3; COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        ward_fail(err, WARD_EIO, "service.db: creating the schema: %s",
                  msg ? msg : wsql_errmsg(s->db));
        wsql_free(msg);
        wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return WARD_EIO;
    }
    return WARD_OK;
}

/* service.db through the encrypting VFS (store/crypt.h) with the key in
 * key_file, as intel.db: what the service keeps (override reasons, review
 * notes, audited search terms, events' context) is as sensitive. */
static ward_status open_encrypted(const wsql_target *t, const char *datadir,
                                  const char *key_file, wsql **db, ward_error *err)
{
    if (t->backend != WSQL_SQLITE)
        return ward_fail(err, WARD_EINVAL,
                         "%s: the service store is on PostgreSQL; --key-file encrypts "
                         "service.db and intel.db only - there, encryption at rest is the "
                         "server's (docs/postgresql.md)",
                         t->display);
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    sqlite3 *lite = NULL;
    ward_status rc = ward_crypt_key_read(key_file, datadir, key, err);
    if (!rc)
        rc = wsql_create_private(t->sqlite_path, err);
    if (!rc)
        rc = ward_crypt_open(t->sqlite_path, key, &lite, err);
    sodium_memzero(key, sizeof key);
    if (!rc && wsql_adopt_sqlite(lite, db) != SQLITE_OK)
        rc = ward_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

/* Without a key, an encrypted service.db is refused as such, not as a
 * damaged database. */
static ward_status refuse_encrypted(const wsql_target *t, ward_error *err)
{
    ward_crypt_kind kind = WARD_CRYPT_EMPTY;
    int matches;
    ward_status rc = WARD_OK;
    if (t->backend == WSQL_SQLITE && access(t->sqlite_path, F_OK) == 0)
        rc = ward_crypt_probe(t->sqlite_path, NULL, &kind, &matches, err);
    if (!rc && kind == WARD_CRYPT_ENCRYPTED)
        rc = ward_fail(err, WARD_EINVAL, "%s is encrypted: give its key with --key-file FILE "
                                         "(or WARD_INTEL_KEY_FILE)", t->sqlite_path);
    return rc;
}

ward_status ward_serve_encrypt(const char *datadir, const char *key_file, ward_error *err)
{
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    char path[4096];
    ward_crypt_kind kind = WARD_CRYPT_EMPTY;
    int matches = 0;
    snprintf(path, sizeof path, "%s/service.db", datadir);
    ward_status rc = ward_crypt_key_read(key_file, datadir, key, err);
    if (!rc && access(path, F_OK) == 0)
        rc = ward_crypt_probe(path, key, &kind, &matches, err);
    if (!rc && !(kind == WARD_CRYPT_ENCRYPTED && matches) && access(path, F_OK) == 0)
        rc = ward_crypt_convert(path, key, err);
    sodium_memzero(key, sizeof key);
    return rc;
}

ward_status svc_open(const char *datadir, svc_state **out, ward_error *err)
{
    /* Callers that name no key (ward apikey, ward users, ward audit) take
     * the one the environment names, as the command line does. */
    const char *env = getenv("WARD_INTEL_KEY_FILE");
    return svc_open_keyed(datadir, env && *env ? env : NULL, out, err);
}

ward_status svc_open_keyed(const char *datadir, const char *key_file, svc_state **out,
                           ward_error *err)
{
    /* The data directory is needed on PostgreSQL too: evidence files. */
    wsql_target t;
    ward_status st = wsql_resolve(datadir, NULL, "service", "service.db", &t, err);
    if (st != WARD_OK)
        return st;
    if (mkdir(datadir, 0700) != 0 && access(datadir, W_OK) != 0)
        return ward_fail(err, WARD_EIO, "cannot use data directory %s", datadir);
    svc_state *s = calloc(1, sizeof *s);
    if (!s)
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    if (!(s->datadir = strdup(datadir))) {
        free(s);
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_rwlock_init(&s->allow.lock, NULL);
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_done, NULL);
    mode_t old = umask(077); /* keys, events and reports are not for others */
    int rc = SQLITE_OK;
    if (key_file)
        st = open_encrypted(&t, datadir, key_file, &s->db, err);
    else if ((st = refuse_encrypted(&t, err)) != WARD_OK)
        ;
    else
        rc = wsql_open(&t, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL, &s->db);
    umask(old);
    if (rc != SQLITE_OK)
        st = ward_fail(err, WARD_EIO, "cannot open %s: %s", t.display,
                       s->db ? wsql_errmsg(s->db) : "out of memory");
    if (st == WARD_OK) {
        /* PostgreSQL: a writer waits this long for the schema's lock. */
        wsql_busy_timeout(s->db, 10000);
        if (wsql_backend_of(s->db) == WSQL_SQLITE)
            sqlite3_exec(wsql_sqlite(s->db), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                             "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
        st = migrate(s, err);
    }
    if (st == WARD_OK)
        st = allow_load(s, err);
    if (st != WARD_OK) {
        svc_close(s);
        return st;
    }
    *out = s;
    return WARD_OK;
}

void svc_close(svc_state *s)
{
    if (!s)
        return;
    wsql_finalize(s->st_event);
    wsql_finalize(s->st_head);
    wsql_finalize(s->st_audit);
    wsql_close(s->db);
    pthread_mutex_destroy(&s->lock);
    pthread_rwlock_destroy(&s->allow.lock);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_done);
    free(s->allow.v);
    free(s->datadir);
    free(s);
}

static const char *col_text(wsql_stmt *st, int i)
{
    return (const char *)wsql_column_text(st, i);
}

/* An INSERT whose new id the caller wants. On PostgreSQL it gets
 * "RETURNING id" (the id in the same round trip; lastval() would be a
 * second); on SQLite last_insert_rowid() is free while RETURNING costs
 * about 9 us more a statement to compile, so SQLite keeps the plain form. */
static int prepare_insert(svc_state *s, const char *sql, wsql_stmt **st)
{
    char pg[512];
    if (wsql_backend_of(s->db) == WSQL_POSTGRES) {
        if (snprintf(pg, sizeof pg, "%s RETURNING id", sql) >= (int)sizeof pg)
            return SQLITE_TOOBIG;
        sql = pg;
    }
    return wsql_prepare_v2(s->db, sql, -1, st, NULL);
}

/* Steps a statement from prepare_insert(); *id the new row's. */
static int step_insert(svc_state *s, wsql_stmt *st, int64_t *id)
{
    int rc = wsql_step(st);
    if (rc == SQLITE_ROW) {
        *id = wsql_column_int64(st, 0);
        rc = SQLITE_DONE;
    } else if (rc == SQLITE_DONE) {
        *id = wsql_last_insert_rowid(s->db);
    }
    return rc;
}

/* *slot, prepared on first use by prepare (wsql_prepare_v2 or
 * prepare_insert); hand it back with release() once read. */
static int cached(svc_state *s, wsql_stmt **slot, const char *sql,
                  int (*prepare)(svc_state *, const char *, wsql_stmt **))
{
    return *slot ? SQLITE_OK : prepare(s, sql, slot);
}

static int prepare_plain(svc_state *s, const char *sql, wsql_stmt **st)
{
    return wsql_prepare_v2(s->db, sql, -1, st, NULL);
}

/* Reset: on SQLite a SELECT left unreset keeps its read snapshot open. */
static void release(wsql_stmt *st)
{
    wsql_reset(st);
    wsql_clear_bindings(st);
}

/* ---- audit ---------------------------------------------------------------- */

static void audit_hash(const char *prev, const char *at, const char *actor, const char *action,
                       const char *object, const char *detail, char out[65])
{
    /* Each field as its length in decimal and ':' before the bytes ("N;"
     * for NULL), so two different records never hash the same text
     * whatever the fields contain (a client's notes may hold anything). */
    const char *f[6] = {prev, at, actor, action, object, detail};
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    for (int i = 0; d && i < 6; i++) {
        char len[24];
        int n = f[i] ? snprintf(len, sizeof len, "%zu:", strlen(f[i])) : snprintf(len, sizeof len, "N;");
        ward_digester_update(d, len, (size_t)n);
        if (f[i])
            ward_digester_update(d, f[i], strlen(f[i]));
    }
    ward_digests dg = {0};
    if (d)
        ward_digester_final(d, &dg);
    ward_digester_free(d);
    ward_hex(dg.sha256, 32, out);
}

/* Inside a write transaction (begin(): the store's write lock, so no other
 * process or node appends meanwhile): append one record after the last. */
static ward_status audit_append(svc_state *s, const char *actor, const char *action,
                                const char *object, const char *detail, ward_error *err)
{
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    if (s->head[0]) {
        memcpy(prev, s->head, sizeof prev);
    } else {
        if (cached(s, &s->st_head, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1",
                   prepare_plain) != SQLITE_OK)
            return db_fail(s, err, "reading the audit log");
        int rc = wsql_step(s->st_head);
        if (rc == SQLITE_ROW && col_text(s->st_head, 0))
            snprintf(prev, sizeof prev, "%s", col_text(s->st_head, 0));
        ward_status out = WARD_OK;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) /* never chain onto a head not read */
            out = db_fail(s, err, "reading the audit log");
        release(s->st_head);
        if (out != WARD_OK)
            return out;
    }
    char at[32], hash[65];
    svc_now(at);
    audit_hash(prev, at, actor, action, object, detail, hash);
    if (cached(s, &s->st_audit, "INSERT INTO audit(at,actor,action,object,detail,prev,hash)"
                                " VALUES(?,?,?,?,?,?,?)", prepare_plain) != SQLITE_OK)
        return db_fail(s, err, "writing the audit log");
    const char *v[7] = {at, actor, action, object, detail, prev, hash};
    for (int i = 0; i < 7; i++)
        wsql_bind_text(s->st_audit, i + 1, v[i], -1, SQLITE_STATIC);
    ward_status out = wsql_step(s->st_audit) == SQLITE_DONE
                          ? WARD_OK : db_fail(s, err, "writing the audit log");
    release(s->st_audit);
    if (out == WARD_OK)
        memcpy(s->head, hash, sizeof s->head);
    return out;
}

/* A write transaction: SQLite's write lock, or on PostgreSQL the schema's
 * advisory lock, which every node's writers take (sql.h). */
static ward_status begin(svc_state *s, ward_error *err)
{
    s->head[0] = '\0';
    return wsql_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? WARD_OK : db_fail(s, err, "starting a transaction");
}

static ward_status finish(svc_state *s, ward_status rc, ward_error *err)
{
    s->head[0] = '\0'; /* once the lock is gone, another node may append */
    if (rc == WARD_OK && wsql_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(s, err, "committing");
    if (rc != WARD_OK)
        wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

ward_status svc_audit(svc_state *s, const char *actor, const char *action, const char *object,
                      const char *detail, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = begin(s, err);
    if (rc == WARD_OK)
        rc = finish(s, audit_append(s, actor, action, object, detail, err), err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status ward_serve_audit_append(const char *datadir, const char *actor, const char *action,
                                    const char *object, const char *detail, ward_error *err)
{
    svc_state *s = NULL;
    ward_status rc = svc_open(datadir, &s, err);
    if (rc == WARD_OK)
        rc = svc_audit(s, actor, action, object, detail, err);
    svc_close(s);
    return rc;
}

/* The log is read in pages by seq: PostgreSQL hands a statement's whole
 * result over at once, and a busy service's log runs to millions of rows. */
#define AUDIT_PAGE 10000
#define AUDIT_PAGE_SQL "10000"

ward_status ward_serve_audit_verify(const char *datadir, uint64_t *records, char head[65],
                                    ward_error *err)
{
    svc_state *s;
    ward_status rc = svc_open(datadir, &s, err);
    if (rc != WARD_OK)
        return rc;
    rc = svc_audit_walk(s, NULL, NULL, records, head, err);
    svc_close(s);
    return rc;
}

ward_status svc_audit_walk(svc_state *s, svc_audit_fn each, void *ctx, uint64_t *records,
                           char head[65], ward_error *err)
{
    ward_status rc = WARD_OK;
    wsql_stmt *st;
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    uint64_t n = 0;
    if (wsql_prepare_v2(s->db, "SELECT seq,at,actor,action,object,detail,prev,hash FROM audit"
                               " WHERE seq > ? ORDER BY seq LIMIT " AUDIT_PAGE_SQL,
                        -1, &st, NULL) != SQLITE_OK) {
        return db_fail(s, err, "reading the audit log");
    }
    int64_t after = INT64_MIN;
    int page;
    do {
        page = 0;
        wsql_reset(st);
        wsql_bind_int64(st, 1, after);
        int step = SQLITE_DONE;
        while (rc == WARD_OK && (step = wsql_step(st)) == SQLITE_ROW) {
            char h[65];
            after = wsql_column_int64(st, 0);
            audit_hash(prev, col_text(st, 1), col_text(st, 2), col_text(st, 3),
                       col_text(st, 4), col_text(st, 5), h);
            const char *stored_prev = col_text(st, 6), *stored = col_text(st, 7);
            if (!stored_prev || strcmp(stored_prev, prev) != 0 || !stored ||
                strcmp(stored, h) != 0)
                rc = ward_fail(err, WARD_EFORMAT,
                               "audit record %lld does not follow from the one before: the "
                               "log was altered", (long long)after);
            memcpy(prev, h, sizeof prev);
            n++;
            page++;
            if (rc == WARD_OK && each)
                rc = each(ctx, after, n, h, err);
        }
        if (rc == WARD_OK && step != SQLITE_DONE) /* not "intact" after reading half */
            rc = db_fail(s, err, "reading the audit log");
    } while (rc == WARD_OK && page == AUDIT_PAGE);
    wsql_finalize(st);
    if (records)
        *records = n;
    if (head)
        memcpy(head, prev, 65);
    return rc;
}

wsql *svc_lock(svc_state *s)
{
    pthread_mutex_lock(&s->lock);
    return s->db;
}

void svc_unlock(svc_state *s)
{
    pthread_mutex_unlock(&s->lock);
}

/*
 * SQLite: PRAGMA data_version, which moves only when another connection
 * committed, and costs no disk read. PostgreSQL has no such counter per
 * schema: the translated PRAGMA is the server's WAL position, which every
 * write anywhere moves (each match event of this very node would look like
 * a change, and every unknown token would then cost a reload of all keys).
 * There the stamp is read from api_keys itself: keys are never deleted and
 * revoked at most once, so rows + revoked rows grows with every change,
 * whichever node made it.
 */
int64_t svc_data_version(svc_state *s)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    int64_t v = -1;
    const char *sql = wsql_backend_of(s->db) == WSQL_SQLITE
                          ? "PRAGMA data_version"
                          : "SELECT count(*) + count(revoked) FROM api_keys";
    if (wsql_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (wsql_step(st) == SQLITE_ROW)
            v = wsql_column_int64(st, 0);
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return v;
}

/* ---- keys ----------------------------------------------------------------- */

ward_status svc_keys_load(svc_state *s, svc_key **keys, size_t *n, ward_error *err)
{
    *keys = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(s->db, "SELECT id,secret_sha256,scopes,rate,burst FROM api_keys"
                               " WHERE revoked IS NULL", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, err, "reading API keys");
        pthread_mutex_unlock(&s->lock);
        return rc;
    }
    size_t cap = 0;
    int step = SQLITE_DONE;
    while (rc == WARD_OK && (step = wsql_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            svc_key *v = realloc(*keys, cap * sizeof *v);
            if (!v) {
                rc = ward_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            *keys = v;
        }
        svc_key *k = &(*keys)[(*n)++];
        memset(k, 0, sizeof *k);
        snprintf(k->id, sizeof k->id, "%s", col_text(st, 0));
        if (wsql_column_bytes(st, 1) == 32)
            memcpy(k->secret_sha256, wsql_column_blob(st, 1), 32);
        k->scopes = (unsigned)wsql_column_int(st, 2);
        k->rate = wsql_column_double(st, 3);
        k->burst = wsql_column_double(st, 4);
    }
    if (rc == WARD_OK && step != SQLITE_DONE) /* not "no keys" when unreadable */
        rc = db_fail(s, err, "reading API keys");
    wsql_finalize(st);
    pthread_mutex_unlock(&s->lock);
    if (rc != WARD_OK) {
        free(*keys);
        *keys = NULL;
        *n = 0;
    }
    return rc;
}

static ward_status key_insert(svc_state *s, const char *id, const char *name,
                              const uint8_t sha[32], unsigned scopes, double rate, double burst,
                              const char *who, ward_error *err)
{
    wsql_stmt *st;
    char now[32];
    svc_now(now);
    if (wsql_prepare_v2(s->db, "INSERT INTO api_keys(id,name,secret_sha256,scopes,rate,burst,"
                               "created,created_by) VALUES(?,?,?,?,?,?,?,?)", -1, &st,
                        NULL) != SQLITE_OK)
        return db_fail(s, err, "adding the key");
    wsql_bind_text(st, 1, id, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, name, -1, SQLITE_STATIC);
    wsql_bind_blob(st, 3, sha, 32, SQLITE_STATIC);
    wsql_bind_int(st, 4, (int)scopes);
    wsql_bind_double(st, 5, rate);
    wsql_bind_double(st, 6, burst);
    wsql_bind_text(st, 7, now, -1, SQLITE_STATIC);
    wsql_bind_text(st, 8, who, -1, SQLITE_STATIC);
    int rc = wsql_step(st);
    wsql_finalize(st);
    return rc == SQLITE_DONE ? WARD_OK : db_fail(s, err, "adding the key");
}

ward_status svc_key_create(svc_state *s, const char *id, const char *name, const uint8_t sha[32],
                           unsigned scopes, double rate, double burst, const char *who,
                           ward_error *err)
{
    char detail[160];
    char sc[64];
    snprintf(detail, sizeof detail, "name=%.60s scopes=%s rate=%g burst=%g", name,
             ward_scopes_format(scopes, sc, sizeof sc), rate, burst);
    pthread_mutex_lock(&s->lock);
    ward_status rc = begin(s, err);
    if (rc == WARD_OK) {
        rc = key_insert(s, id, name, sha, scopes, rate, burst, who, err);
        if (rc == WARD_OK)
            rc = audit_append(s, who, "apikey.create", id, detail, err);
        rc = finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_key_revoke(svc_state *s, const char *id, const char *who, const char *reason,
                           ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    ward_status rc = begin(s, err);
    if (rc == WARD_OK) {
        wsql_stmt *st;
        char now[32];
        svc_now(now);
        if (wsql_prepare_v2(s->db, "UPDATE api_keys SET revoked=?,revoked_by=?,"
                                   "revoked_reason=? WHERE id=? AND revoked IS NULL", -1,
                            &st, NULL) != SQLITE_OK) {
            rc = db_fail(s, err, "revoking the key");
        } else {
            wsql_bind_text(st, 1, now, -1, SQLITE_STATIC);
            wsql_bind_text(st, 2, who, -1, SQLITE_STATIC);
            wsql_bind_text(st, 3, reason, -1, SQLITE_STATIC);
            wsql_bind_text(st, 4, id, -1, SQLITE_STATIC);
            if (wsql_step(st) != SQLITE_DONE)
                rc = db_fail(s, err, "revoking the key");
            else if (wsql_changes(s->db) == 0)
                rc = ward_fail(err, WARD_ENOTFOUND, "no live API key with id '%s'", id);
            wsql_finalize(st);
        }
        if (rc == WARD_OK)
            rc = audit_append(s, who, "apikey.revoke", id, reason, err);
        rc = finish(s, rc, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_keys_each(svc_state *s, int (*cb)(void *ctx, const ward_apikey *key), void *ctx,
                          ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(s->db, "SELECT id,name,scopes,rate,burst,created,created_by,revoked,"
                               "revoked_by,revoked_reason FROM api_keys ORDER BY created, id",
                        -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, err, "reading API keys");
    } else {
        int step;
        while ((step = wsql_step(st)) == SQLITE_ROW) {
            ward_apikey k = {0};
            snprintf(k.id, sizeof k.id, "%s", col_text(st, 0));
            k.name = col_text(st, 1);
            k.scopes = (unsigned)wsql_column_int(st, 2);
            k.rate = wsql_column_double(st, 3);
            k.burst = wsql_column_double(st, 4);
            k.created = col_text(st, 5);
            k.created_by = col_text(st, 6);
            k.revoked = col_text(st, 7);
            k.revoked_by = col_text(st, 8);
            k.revoked_reason = col_text(st, 9);
            if (cb(ctx, &k)) {
                step = SQLITE_DONE;
                break;
            }
        }
        if (step != SQLITE_DONE)
            rc = db_fail(s, err, "reading API keys");
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- events ----------------------------------------------------------------- */

/* One event inside the current transaction. */
static ward_status event_insert(svc_state *s, const svc_event_in *ev, int64_t *id,
                                ward_error *err)
{
    char now[32], obj[32];
    svc_now(now);
    if (cached(s, &s->st_event, "INSERT INTO events(created,key_id,context,hashes,matches,"
                                "store_revision) VALUES(?,?,?,?,?,?)",
               prepare_insert) != SQLITE_OK)
        return db_fail(s, err, "recording the match event");
    wsql_stmt *st = s->st_event;
    wsql_bind_text(st, 1, now, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, ev->key_id, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, ev->context_json, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, ev->hashes_json, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, ev->matches_json, -1, SQLITE_STATIC);
    wsql_bind_int64(st, 6, (wsql_int64)ev->store_revision);
    ward_status rc = step_insert(s, st, id) == SQLITE_DONE
                         ? WARD_OK : db_fail(s, err, "recording the match event");
    release(st);
    if (rc != WARD_OK)
        return rc;
    snprintf(obj, sizeof obj, "event/%lld", (long long)*id);
    return audit_append(s, ev->key_id, "event.create", obj, NULL, err);
}

/*
 * Group commit. Match events arrive from every event-loop thread at once
 * when a wave of known material is uploaded; one transaction each would
 * serialise them on the connection. Instead the first thread to arrive
 * becomes the leader and commits everything queued meanwhile in one
 * transaction; the others wait for their id. Nobody is answered before
 * their event is committed.
 */
typedef struct pending_event {
    const svc_event_in *in;
    int64_t id;
    ward_status rc;
    ward_error err;
    int done;
    struct pending_event *next;
} pending_event;

static void commit_batch(svc_state *s, pending_event *batch)
{
    pthread_mutex_lock(&s->lock);
    ward_error err;
    ward_status rc = begin(s, &err);
    for (pending_event *p = batch; rc == WARD_OK && p; p = p->next)
        rc = event_insert(s, p->in, &p->id, &err);
    rc = finish(s, rc, &err);
    pthread_mutex_unlock(&s->lock);
    for (pending_event *p = batch; p; p = p->next) {
        p->rc = rc;
        if (rc != WARD_OK) {
            p->err = err;
            p->id = 0;
        }
    }
}

ward_status svc_event_add(svc_state *s, const svc_event_in *ev, int64_t *id, ward_error *err)
{
    pending_event me = {.in = ev};
    pthread_mutex_lock(&s->q_lock);
    me.next = s->q_head;
    s->q_head = &me;
    while (!me.done && s->q_leader)
        pthread_cond_wait(&s->q_done, &s->q_lock);
    while (!me.done) { /* lead: commit what is queued, mine included */
        s->q_leader = 1;
        pending_event *batch = s->q_head;
        s->q_head = NULL;
        pthread_mutex_unlock(&s->q_lock);
        commit_batch(s, batch);
        pthread_mutex_lock(&s->q_lock);
        for (pending_event *p = batch, *next; p; p = next) {
            next = p->next;
            p->done = 1; /* p may be freed by its owner from here on */
        }
        s->q_leader = 0;
        pthread_cond_broadcast(&s->q_done);
    }
    pthread_mutex_unlock(&s->q_lock);
    *id = me.id;
    if (me.rc != WARD_OK && err)
        *err = me.err;
    return me.rc;
}

/* Emit a JSON text column parsed back into structure (it was written by us). */
static void emit_json_column(yajl_gen g, const char *key, const char *text)
{
    jw_key(g, key);
    if (text) /* from the text, not a tree: a "\u0000" in the context stays */
        jw_copy_at(g, text, strlen(text), "");
    else
        yajl_gen_null(g);
}

static void emit_event_row(yajl_gen g, wsql_stmt *st)
{
    yajl_gen_map_open(g);
    jw_kv_int(g, "id", wsql_column_int64(st, 0));
    jw_kv_str(g, "created", col_text(st, 1));
    jw_kv_str(g, "key_id", col_text(st, 2));
    jw_kv_str(g, "status", col_text(st, 6));
    jw_kv_int(g, "store_revision", wsql_column_int64(st, 7));
    emit_json_column(g, "context", col_text(st, 3));
    emit_json_column(g, "hashes", col_text(st, 4));
    emit_json_column(g, "matches", col_text(st, 5));
    yajl_gen_map_close(g);
}

#define EVENT_COLS "id,created,key_id,context,hashes,matches,status,store_revision"

ward_status svc_events_json(svc_state *s, const char *status, int limit, yajl_gen g,
                            ward_error *err)
{
    return svc_events_json_ordered(s, status, limit, 0, g, err);
}

ward_status svc_events_json_ordered(svc_state *s, const char *status, int limit,
                                    int oldest_first, yajl_gen g, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    /* The CAST: PostgreSQL cannot tell a lone "? IS NULL" parameter's type. */
    if (wsql_prepare_v2(s->db, oldest_first
                            ? "SELECT " EVENT_COLS " FROM events WHERE CAST(?1 AS TEXT)"
                              " IS NULL OR status=?1 ORDER BY id LIMIT ?2"
                            : "SELECT " EVENT_COLS " FROM events WHERE CAST(?1 AS TEXT)"
                              " IS NULL OR status=?1 ORDER BY id DESC LIMIT ?2",
                        -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, err, "reading events");
    } else {
        wsql_bind_text(st, 1, status, -1, SQLITE_STATIC);
        wsql_bind_int(st, 2, limit);
        yajl_gen_array_open(g);
        int step;
        while ((step = wsql_step(st)) == SQLITE_ROW)
            emit_event_row(g, st);
        yajl_gen_array_close(g);
        if (step != SQLITE_DONE)
            rc = db_fail(s, err, "reading events");
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_event_json(svc_state *s, int64_t id, yajl_gen g, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(s->db, "SELECT " EVENT_COLS " FROM events WHERE id=?", -1, &st,
                        NULL) != SQLITE_OK) {
        rc = db_fail(s, err, "reading the event");
    } else {
        wsql_bind_int64(st, 1, id);
        if (wsql_step(st) == SQLITE_ROW)
            emit_event_row(g, st);
        else
            rc = ward_fail(err, WARD_ENOTFOUND, "no match event %lld", (long long)id);
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- allow-list ------------------------------------------------------------- */

static int cmp_allow(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Re-read the allow-list into memory; with s->lock held. */
static ward_status allow_load(svc_state *s, ward_error *err)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(s->db, "SELECT hash FROM allowlist ORDER BY hash", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(s, err, "reading the allow-list");
    char (*v)[72] = NULL;
    size_t n = 0, cap = 0;
    ward_status rc = WARD_OK;
    int step = SQLITE_DONE;
    while (rc == WARD_OK && (step = wsql_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char (*nv)[72] = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = ward_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        snprintf(v[n++], 72, "%s", col_text(st, 0));
    }
    if (rc == WARD_OK && step != SQLITE_DONE) /* keep the copy we have */
        rc = db_fail(s, err, "reading the allow-list");
    wsql_finalize(st);
    if (rc != WARD_OK) {
        free(v);
        return rc;
    }
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(v, n, sizeof *v, cmp_allow); /* strcmp order, whatever SQLite's collation */
    pthread_rwlock_wrlock(&s->allow.lock);
    free(s->allow.v);
    s->allow.v = v;
    s->allow.n = n;
    pthread_rwlock_unlock(&s->allow.lock);
    return WARD_OK;
}

ward_status svc_allow_refresh(svc_state *s, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    int64_t rows = -1;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(s->db, "SELECT count(*) FROM allowlist", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(s, err, "reading the allow-list");
    } else {
        if (wsql_step(st) == SQLITE_ROW)
            rows = wsql_column_int64(st, 0);
        wsql_finalize(st);
        if (rows < 0)
            rc = db_fail(s, err, "reading the allow-list");
    }
    pthread_rwlock_rdlock(&s->allow.lock);
    int moved = rows >= 0 && (size_t)rows != s->allow.n;
    pthread_rwlock_unlock(&s->allow.lock);
    if (moved)
        rc = allow_load(s, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int svc_allowlisted(svc_state *s, const char *hex)
{
    char key[72];
    snprintf(key, sizeof key, "%s", hex);
    pthread_rwlock_rdlock(&s->allow.lock);
    int found = s->allow.n && bsearch(key, s->allow.v, s->allow.n, sizeof *s->allow.v, cmp_allow);
    pthread_rwlock_unlock(&s->allow.lock);
    return found;
}

/* The event's hash values, each allow-listed (inside a transaction). */
static ward_status allowlist_event(svc_state *s, int64_t event_id, const char *hashes_json,
                                   const char *who, const char *reason, ward_error *err)
{
    char ebuf[64], now[32];
    svc_now(now);
    yajl_val v = yajl_tree_parse(hashes_json, ebuf, sizeof ebuf);
    ward_status rc = WARD_OK;
    for (size_t i = 0; rc == WARD_OK && v && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        const char *h = jv_str(v->u.array.values[i], "hash");
        if (!h)
            continue;
        wsql_stmt *st;
        if (wsql_prepare_v2(s->db, "INSERT OR IGNORE INTO allowlist(hash,added,added_by,"
                                   "event_id,reason) VALUES(?,?,?,?,?)", -1, &st,
                            NULL) != SQLITE_OK) {
            rc = db_fail(s, err, "updating the allow-list");
            break;
        }
        wsql_bind_text(st, 1, h, -1, SQLITE_STATIC);
        wsql_bind_text(st, 2, now, -1, SQLITE_STATIC);
        wsql_bind_text(st, 3, who, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 4, event_id);
        wsql_bind_text(st, 5, reason, -1, SQLITE_STATIC);
        if (wsql_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "updating the allow-list");
        wsql_finalize(st);
        if (rc == WARD_OK)
            rc = audit_append(s, who, "allowlist.add", h, reason, err);
    }
    yajl_tree_free(v);
    return rc;
}

/* ---- reviews and reports ------------------------------------------------------ */

typedef struct event_row {
    char created[40];
    char *context, *hashes, *matches, *key_id;
    char status[16];
} event_row;

static void event_row_free(event_row *e)
{
    free(e->context);
    free(e->hashes);
    free(e->matches);
    free(e->key_id);
}

static ward_status event_load(svc_state *s, int64_t id, event_row *e, ward_error *err)
{
    memset(e, 0, sizeof *e);
    wsql_stmt *st;
    if (wsql_prepare_v2(s->db, "SELECT created,context,hashes,matches,key_id,status"
                               " FROM events WHERE id=?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading the event");
    wsql_bind_int64(st, 1, id);
    ward_status rc = WARD_OK;
    if (wsql_step(st) == SQLITE_ROW) {
        snprintf(e->created, sizeof e->created, "%s", col_text(st, 0));
        e->context = strdup(col_text(st, 1));
        e->hashes = strdup(col_text(st, 2));
        e->matches = strdup(col_text(st, 3));
        e->key_id = strdup(col_text(st, 4));
        snprintf(e->status, sizeof e->status, "%s", col_text(st, 5));
        if (!e->context || !e->hashes || !e->matches || !e->key_id)
            rc = ward_fail(err, WARD_ENOMEM, "out of memory");
    } else {
        rc = ward_fail(err, WARD_ENOTFOUND, "no match event %lld", (long long)id);
    }
    wsql_finalize(st);
    return rc;
}

void svc_evidence_dir(const char *datadir, int64_t event_id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/evidence/%lld", datadir, (long long)event_id);
}

ward_status svc_event_hashes(svc_state *s, int64_t id, char **hashes_json, ward_error *err)
{
    pthread_mutex_lock(&s->lock);
    event_row e;
    ward_status rc = event_load(s, id, &e, err);
    pthread_mutex_unlock(&s->lock);
    *hashes_json = NULL;
    if (rc == WARD_OK) {
        *hashes_json = e.hashes;
        e.hashes = NULL;
    }
    event_row_free(&e);
    return rc;
}

const char *svc_datadir(const svc_state *s)
{
    return s->datadir;
}


/*
 * The report: modelled on the fields of NCMEC's CyberTipline reports, all
 * copied from what the platform sent (never re-typed): reporter, incident
 * time with its zone, the uploader's identifiers, IP capture events, and per
 * file its hashes, what it matched and whether a person viewed it.
 */
/* The SHA-256 names of the evidence files kept for an event, as a JSON
 * array (empty when the platform sent none). */
static void emit_evidence(yajl_gen g, const char *datadir, int64_t event_id)
{
    char dir[4096];
    svc_evidence_dir(datadir, event_id, dir, sizeof dir);
    yajl_gen_array_open(g);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strlen(de->d_name) == 64 + 4 && strcmp(de->d_name + 64, ".bin") == 0) {
            char hex[65];
            memcpy(hex, de->d_name, 64);
            hex[64] = 0;
            jw_str(g, hex);
        }
    if (d)
        closedir(d);
    yajl_gen_array_close(g);
}

static char *build_report(const char *datadir, int64_t report_id, int64_t event_id,
                          const event_row *e, const svc_review_in *r, const char *now)
{
    char ebuf[64];
    yajl_val ctx = yajl_tree_parse(e->context, ebuf, sizeof ebuf);
    yajl_val hashes = yajl_tree_parse(e->hashes, ebuf, sizeof ebuf);
    yajl_val matches = yajl_tree_parse(e->matches, ebuf, sizeof ebuf);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        yajl_tree_free(ctx);
        yajl_tree_free(hashes);
        yajl_tree_free(matches);
        return NULL;
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    jw_kv_str(g, "schema", "ward-report/1");
    jw_kv_int(g, "report_id", report_id);
    jw_kv_int(g, "event_id", event_id);
    jw_kv_str(g, "created", now);
    jw_key(g, "reporter");
    yajl_gen_map_open(g);
    jw_kv_str(g, "organisation", r->reporter);
    jw_kv_str(g, "api_key", e->key_id);
    yajl_gen_map_close(g);
    jw_key(g, "incident");
    yajl_gen_map_open(g);
    jw_kv_str(g, "type", "apparent child sexual abuse material");
    yajl_val up = jv_get(ctx, "upload");
    jw_key(g, "time");
    jw_copy_at(g, e->context, strlen(e->context), "/upload/time"); /* as written, zone too */
    jw_kv_str(g, "received", e->created);
    yajl_gen_map_close(g);
    jw_key(g, "reported_person");
    jw_copy_at(g, e->context, strlen(e->context), "/account");
    jw_key(g, "ip_capture_events");
    yajl_val ips = jv_get(ctx, "ip_events");
    if (ips && YAJL_IS_ARRAY(ips)) {
        jw_copy_at(g, e->context, strlen(e->context), "/ip_events");
    } else {
        yajl_gen_array_open(g);
        if (jv_get(up, "ip"))
            jw_copy_at(g, e->context, strlen(e->context), "/upload");
        yajl_gen_array_close(g);
    }
    jw_key(g, "files");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    jw_key(g, "content_id");
    jw_copy_at(g, e->context, strlen(e->context), "/content_id");
    jw_key(g, "hashes");
    jw_value(g, hashes);
    jw_key(g, "matches");
    jw_value(g, matches);
    jw_kv_bool(g, "viewed_by_person", r->viewed);
    jw_key(g, "evidence_sha256"); /* files the platform kept with ward */
    emit_evidence(g, datadir, event_id);
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    jw_key(g, "review");
    yajl_gen_map_open(g);
    jw_kv_str(g, "reviewer", r->reviewer);
    jw_kv_str(g, "decision", "confirmed");
    jw_kv_str(g, "time", now);
    jw_kv_str(g, "notes", r->notes);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    char *out = jw_take(g, NULL);
    yajl_gen_free(g);
    yajl_tree_free(ctx);
    yajl_tree_free(hashes);
    yajl_tree_free(matches);
    return out;
}

static ward_status insert_review(svc_state *s, const svc_review_in *r, const char *now,
                                 int64_t *id, ward_error *err)
{
    wsql_stmt *st;
    if (prepare_insert(s, "INSERT INTO reviews(event_id,reviewer,key_id,decision,notes,"
                          "viewed,created) VALUES(?,?,?,?,?,?,?)", &st) != SQLITE_OK)
        return db_fail(s, err, "recording the review");
    wsql_bind_int64(st, 1, r->event_id);
    wsql_bind_text(st, 2, r->reviewer, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, r->key_id, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, r->confirm ? "confirm" : "reject", -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, r->notes, -1, SQLITE_STATIC);
    wsql_bind_int(st, 6, r->viewed != 0);
    wsql_bind_text(st, 7, now, -1, SQLITE_STATIC);
    int rc = step_insert(s, st, id);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, err, "recording the review");
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE events SET status='%s' WHERE id=%lld",
             r->confirm ? "confirmed" : "rejected", (long long)r->event_id);
    return wsql_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? WARD_OK : db_fail(s, err, "updating the event");
}

static ward_status insert_report(svc_state *s, int64_t event_id, const event_row *e,
                                 const svc_review_in *r, const char *now, int64_t *id,
                                 ward_error *err)
{
    wsql_stmt *st;
    if (prepare_insert(s, "INSERT INTO reports(event_id,created,body) VALUES(?,?,'')", &st) !=
        SQLITE_OK)
        return db_fail(s, err, "writing the report");
    wsql_bind_int64(st, 1, event_id);
    wsql_bind_text(st, 2, now, -1, SQLITE_STATIC);
    int rc = step_insert(s, st, id);
    wsql_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, err, "writing the report");
    char *body = build_report(s->datadir, *id, event_id, e, r, now);
    if (!body)
        return ward_fail(err, WARD_ENOMEM, "out of memory");
    ward_status out = WARD_OK;
    if (wsql_prepare_v2(s->db, "UPDATE reports SET body=? WHERE id=?", -1, &st, NULL) !=
        SQLITE_OK) {
        out = db_fail(s, err, "writing the report");
    } else {
        wsql_bind_text(st, 1, body, -1, SQLITE_STATIC);
        wsql_bind_int64(st, 2, *id);
        if (wsql_step(st) != SQLITE_DONE)
            out = db_fail(s, err, "writing the report");
        wsql_finalize(st);
    }
    free(body);
    return out;
}

/* Over the API the reviewer is only what the client wrote: the chain names
 * the key that authenticated (the actor) and keeps the claim beside it, as
 * {"claimed_reviewer": ..., "notes": ...} in the detail. A web review's
 * reviewer is the logged-in user: the actor itself, with the notes. */
static char *review_detail(const svc_review_in *r)
{
    if (!r->key_id || !r->key_id[0])
        return r->notes ? strdup(r->notes) : NULL;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_map_open(g);
    jw_kv_str(g, "claimed_reviewer", r->reviewer);
    jw_kv_str(g, "notes", r->notes);
    yajl_gen_map_close(g);
    char *out = jw_take(g, NULL);
    yajl_gen_free(g);
    return out;
}

static ward_status review_locked(svc_state *s, const svc_review_in *r, int64_t *review_id,
                                 int64_t *report_id, ward_error *err)
{
    int api = r->key_id && r->key_id[0];
    const char *actor = api ? r->key_id : r->reviewer;
    char *detail = review_detail(r);
    event_row e;
    ward_status rc = event_load(s, r->event_id, &e, err);
    if (rc == WARD_OK && strcmp(e.status, "pending") != 0)
        rc = ward_fail(err, WARD_EINVAL, "match event %lld was already reviewed (%s)",
                       (long long)r->event_id, e.status);
    char now[32], obj[48];
    svc_now(now);
    snprintf(obj, sizeof obj, "event/%lld", (long long)r->event_id);
    if (rc == WARD_OK)
        rc = insert_review(s, r, now, review_id, err);
    if (rc == WARD_OK)
        rc = (detail || (!api && !r->notes))
                 ? audit_append(s, actor, r->confirm ? "review.confirm" : "review.reject", obj,
                                detail, err)
                 : ward_fail(err, WARD_ENOMEM, "out of memory");
    if (rc == WARD_OK && r->confirm) {
        rc = insert_report(s, r->event_id, &e, r, now, report_id, err);
        snprintf(obj, sizeof obj, "report/%lld", (long long)*report_id);
        if (rc == WARD_OK)
            rc = audit_append(s, actor, "report.create", obj, NULL, err);
    }
    if (rc == WARD_OK && !r->confirm && r->allowlist)
        rc = allowlist_event(s, r->event_id, e.hashes, actor,
                             r->notes ? r->notes : "rejected on review", err);

    free(detail);
    event_row_free(&e);
    return rc;
}

ward_status svc_review(svc_state *s, const svc_review_in *r, int64_t *review_id,
                       int64_t *report_id, ward_error *err)
{
    *review_id = *report_id = 0;
    pthread_mutex_lock(&s->lock);
    ward_status rc = begin(s, err);
    if (rc == WARD_OK)
        rc = finish(s, review_locked(s, r, review_id, report_id, err), err);
    if (rc == WARD_OK && !r->confirm && r->allowlist)
        rc = allow_load(s, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

ward_status svc_report_get(svc_state *s, int64_t id, char **json, ward_error *err)
{
    *json = NULL;
    pthread_mutex_lock(&s->lock);
    wsql_stmt *st;
    ward_status rc = WARD_OK;
    if (wsql_prepare_v2(s->db, "SELECT body FROM reports WHERE id=?", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_fail(s, err, "reading the report");
    } else {
        wsql_bind_int64(st, 1, id);
        if (wsql_step(st) == SQLITE_ROW) {
            if (!(*json = strdup(col_text(st, 0))))
                rc = ward_fail(err, WARD_ENOMEM, "out of memory");
        } else {
            rc = ward_fail(err, WARD_ENOTFOUND, "no report %lld", (long long)id);
        }
        wsql_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
