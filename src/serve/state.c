/*
 * service.db: what the match service remembers -- API keys, match events,
 * reviews, reports, the allow-list, an append-only, hash-chained audit log
 * and the web application's users. This file opens it (SQLite, or the
 * schema PREFIX_service on a PostgreSQL server), migrates it and holds the
 * two connections and the transaction helpers; each group of tables has
 * its own module with typed calls (state_int.h lists them). No connection
 * leaves these modules.
 *
 * On PostgreSQL several `ward serve` nodes share these tables. Every write
 * runs inside BEGIN IMMEDIATE, which there takes the schema's advisory lock:
 * the audit chain's append (read the head, hash, insert) is then one
 * sequence across all nodes, never a fork. What stays per node: the
 * in-memory copies (allow-list, key cache and rate-limit buckets).
 */
#include "serve/state_int.h"
#include "store/crypt.h"
#include "util/error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SVC_SCHEMA_VERSION 4

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

/* v4: platform hits of alert entries, for flood control (state_flood.c,
 * issue 23): one row per hash key and API key, with its first and last
 * hit and count in the flood window. Counting distinct keys per hash here, shared by every
 * node of a PostgreSQL schema, finds a spike that no single node sees. */
static const char schema_v4[] =
    "CREATE TABLE platform_hits("
    "  hash TEXT NOT NULL, key_id TEXT NOT NULL, first_at REAL NOT NULL,"
    "  last_at REAL NOT NULL, hits INTEGER NOT NULL, PRIMARY KEY(hash, key_id));"
    "CREATE INDEX platform_hits_last ON platform_hits(last_at);";

void svc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

ward_status state_fail(wsql *db, ward_error *err, const char *what)
{
    return err_fail(err, WARD_EIO, "service.db: %s: %s", what, wsql_errmsg(db));
}

static ward_status db_fail(svc_state *s, ward_error *err, const char *what)
{
    return state_fail(s->db, err, what);
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
        return err_fail(err, WARD_EUNSUPPORTED,
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
    if (rc == SQLITE_OK && version < 4)
        rc = wsql_exec(s->db, schema_v4, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = wsql_exec(s->db, "PRAGMA user_version=4; COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        err_fail(err, WARD_EIO, "service.db: creating the schema: %s",
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
        return err_fail(err, WARD_EINVAL,
                         "%s: the service store is on PostgreSQL; --key-file encrypts "
                         "service.db and intel.db only - there, encryption at rest is the "
                         "server's (docs/postgresql.md)",
                         t->display);
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    sqlite3 *lite = NULL;
    ward_status rc = wst_crypt_key_read(key_file, datadir, key, err);
    if (!rc)
        rc = wsql_create_private(t->sqlite_path, err);
    if (!rc)
        rc = wst_crypt_open(t->sqlite_path, key, &lite, err);
    sodium_memzero(key, sizeof key);
    if (!rc && wsql_adopt_sqlite(lite, db) != SQLITE_OK)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    return rc;
}

/* Without a key, an encrypted service.db is refused as such, not as a
 * damaged database. */
static ward_status refuse_encrypted(const wsql_target *t, ward_error *err)
{
    wst_crypt_kind kind = WARD_CRYPT_EMPTY;
    int matches;
    ward_status rc = WARD_OK;
    if (t->backend == WSQL_SQLITE && access(t->sqlite_path, F_OK) == 0)
        rc = wst_crypt_probe(t->sqlite_path, NULL, &kind, &matches, err);
    if (!rc && kind == WARD_CRYPT_ENCRYPTED)
        rc = err_fail(err, WARD_EINVAL, "%s is encrypted: give its key with --key-file FILE "
                                         "(or WARD_INTEL_KEY_FILE)", t->sqlite_path);
    return rc;
}

ward_status ward_serve_encrypt(const char *datadir, const char *key_file, ward_error *err)
{
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    char path[4096];
    wst_crypt_kind kind = WARD_CRYPT_EMPTY;
    int matches = 0;
    snprintf(path, sizeof path, "%s/service.db", datadir);
    ward_status rc = wst_crypt_key_read(key_file, datadir, key, err);
    if (!rc && access(path, F_OK) == 0)
        rc = wst_crypt_probe(path, key, &kind, &matches, err);
    if (!rc && !(kind == WARD_CRYPT_ENCRYPTED && matches) && access(path, F_OK) == 0)
        rc = wst_crypt_convert(path, key, err);
    sodium_memzero(key, sizeof key);
    return rc;
}

/* One connection to service.db: encrypted with key_file's key, or plain
 * (an encrypted file is then refused as such). */
static ward_status open_conn(const wsql_target *t, const char *datadir, const char *key_file,
                             wsql **db, ward_error *err)
{
    ward_status st;
    int rc = SQLITE_OK;
    if (key_file)
        st = open_encrypted(t, datadir, key_file, db, err);
    else if ((st = refuse_encrypted(t, err)) == WARD_OK)
        rc = wsql_open(t, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                       NULL, db);
    if (rc != SQLITE_OK)
        st = err_fail(err, WARD_EIO, "cannot open %s: %s", t->display,
                       *db ? wsql_errmsg(*db) : "out of memory");
    if (st == WARD_OK) {
        /* PostgreSQL: a writer waits this long for the schema's lock. */
        wsql_busy_timeout(*db, 10000);
        if (wsql_backend_of(*db) == WSQL_SQLITE)
            sqlite3_exec(wsql_sqlite(*db), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                           "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    }
    return st;
}

ward_status svc_open_keyed(const char *datadir, const char *store_url, const char *key_file,
                           svc_state **out, ward_error *err)
{
    /* The data directory is needed on PostgreSQL too: evidence files. */
    wsql_target t;
    ward_status st = wsql_resolve(datadir, store_url, "service", "service.db", &t, err);
    if (st != WARD_OK)
        return st;
    if (mkdir(datadir, 0700) != 0 && access(datadir, W_OK) != 0)
        return err_fail(err, WARD_EIO, "cannot use data directory %s", datadir);
    svc_state *s = calloc(1, sizeof *s);
    if (!s)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    if (!(s->datadir = strdup(datadir))) {
        free(s);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    pthread_rwlock_init(&s->allow.lock, NULL);
    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_done, NULL);
    mode_t old = umask(077); /* keys, events and reports are not for others */
    s->target = t;
    if (key_file && !(s->key_file = strdup(key_file)))
        st = err_fail(err, WARD_ENOMEM, "out of memory");
    if (st == WARD_OK)
        st = open_conn(&t, datadir, key_file, &s->db, err);
    if (st == WARD_OK)
        st = migrate(s, err);
    /* The reader after the migration: it never sees a schema half made. */
    if (st == WARD_OK)
        st = open_conn(&t, datadir, key_file, &s->rd, err);
    umask(old);
    if (st == WARD_OK)
        st = state_allow_load(s, err);
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
    state_wal_stop(s);
    wsql_finalize(s->st_event);
    wsql_finalize(s->st_head);
    wsql_finalize(s->st_audit);
    wsql_close(s->db);
    wsql_close(s->rd);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->rlock);
    pthread_rwlock_destroy(&s->allow.lock);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_done);
    free(s->allow.v);
    free(s->key_file);
    free(s->datadir);
    free(s);
}

ward_status state_open_conn(svc_state *s, wsql **db, ward_error *err)
{
    return open_conn(&s->target, s->datadir, s->key_file, db, err);
}

const char *state_col(wsql_stmt *st, int i)
{
    return (const char *)wsql_column_text(st, i);
}

/* An INSERT whose new id the caller wants. On PostgreSQL it gets
 * "RETURNING id" (the id in the same round trip; lastval() would be a
 * second); on SQLite last_insert_rowid() is free while RETURNING costs
 * about 9 us more a statement to compile, so SQLite keeps the plain form. */
int state_prepare_insert(wsql *db, const char *sql, wsql_stmt **st)
{
    char pg[512];
    if (wsql_backend_of(db) == WSQL_POSTGRES) {
        if (snprintf(pg, sizeof pg, "%s RETURNING id", sql) >= (int)sizeof pg)
            return SQLITE_TOOBIG;
        sql = pg;
    }
    return wsql_prepare_v2(db, sql, -1, st, NULL);
}

/* Steps a statement from state_prepare_insert(); *id the new row's. */
int state_step_insert(wsql *db, wsql_stmt *st, int64_t *id)
{
    int rc = wsql_step(st);
    if (rc == SQLITE_ROW) {
        *id = wsql_column_int64(st, 0);
        rc = SQLITE_DONE;
    } else if (rc == SQLITE_DONE) {
        *id = wsql_last_insert_rowid(db);
    }
    return rc;
}

int state_cached(wsql *db, wsql_stmt **slot, const char *sql,
                 int (*prepare)(wsql *, const char *, wsql_stmt **))
{
    return *slot ? SQLITE_OK : prepare(db, sql, slot);
}

int state_prepare_plain(wsql *db, const char *sql, wsql_stmt **st)
{
    return wsql_prepare_v2(db, sql, -1, st, NULL);
}

/* Reset: on SQLite a SELECT left unreset keeps its read snapshot open. */
void state_release(wsql_stmt *st)
{
    wsql_reset(st);
    wsql_clear_bindings(st);
}

ward_status state_begin(svc_state *s, ward_error *err)
{
    s->head[0] = '\0';
    return wsql_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
               ? WARD_OK : db_fail(s, err, "starting a transaction");
}

ward_status state_finish(svc_state *s, ward_status rc, ward_error *err)
{
    s->head[0] = '\0'; /* once the lock is gone, another node may append */
    if (rc == WARD_OK && wsql_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(s, err, "committing");
    if (rc != WARD_OK)
        wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

wsql *state_read_lock(svc_state *s)
{
    pthread_mutex_lock(&s->rlock);
    return s->rd;
}

void state_read_unlock(svc_state *s)
{
    pthread_mutex_unlock(&s->rlock);
}

const char *svc_datadir(const svc_state *s)
{
    return s->datadir;
}

/*
 * SQLite: PRAGMA data_version, which moves only when another connection
 * committed, and costs no disk read. It is read on the writer: the reader
 * never commits, while reading it on the reader would see this node's own
 * match events as changes. PostgreSQL has no such counter per
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
