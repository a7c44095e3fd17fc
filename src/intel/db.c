/*
 * intel.db: opening, schema migrations and the small SQL helpers the intel
 * files share. The file is separate from the hash-set store so that
 * intelligence (people) and known-material lists (hashes) can be held,
 * backed up and destroyed on different terms.
 */
#include "intel/intel_int.h"
#include "store/crypt.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a command waits for another's write to finish before failing.
 * The longest writes (ingesting or updating an operation's 30,000
 * referrals: seconds on SQLite, tens of seconds on a busy PostgreSQL
 * server) must not make an analyst's concurrent command fail. */
#define BUSY_TIMEOUT_MS 60000

/* Each migration takes the schema from version i to i+1 and never changes:
 * a released schema is only ever extended by a new step. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE batches(id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
    "  path TEXT NOT NULL, file_sha256 TEXT, format TEXT NOT NULL,"
    "  received TEXT NOT NULL, ingested TEXT NOT NULL, international INTEGER NOT NULL,"
    "  bulk INTEGER NOT NULL, records INTEGER NOT NULL DEFAULT 0,"
    "  quarantined INTEGER NOT NULL DEFAULT 0, bad INTEGER NOT NULL DEFAULT 0);"
    /* One referral. Every value it carried is a row of vals. */
    "CREATE TABLE records(id INTEGER PRIMARY KEY,"
    "  batch INTEGER NOT NULL REFERENCES batches(id), ref TEXT, locator TEXT NOT NULL,"
    "  international INTEGER NOT NULL DEFAULT 0, typology TEXT, urgent TEXT);"
    "CREATE INDEX records_batch ON records(batch);"
    /* raw: exactly as received; norm: normalised form, NULL unless status is
     * ok or resolved (a person settled a quarantined value). grp ties the
     * parts of one IP event or file together. */
    "CREATE TABLE vals(id INTEGER PRIMARY KEY, record INTEGER NOT NULL REFERENCES records(id),"
    "  field TEXT NOT NULL, grp INTEGER NOT NULL DEFAULT 0, raw TEXT NOT NULL, norm TEXT,"
    "  status TEXT NOT NULL, reason TEXT, resolved_by TEXT, resolved_at TEXT,"
    "  resolved_reason TEXT);"
    "CREATE INDEX vals_record ON vals(record, field);"
    "CREATE INDEX vals_status ON vals(status);"
    "CREATE TABLE file_hits(record INTEGER NOT NULL, val INTEGER NOT NULL, list TEXT,"
    "  category TEXT, class TEXT, series TEXT);"
    "CREATE INDEX file_hits_val ON file_hits(val);"
    "CREATE TABLE factors(id INTEGER PRIMARY KEY, record INTEGER, subject INTEGER,"
    "  factor TEXT NOT NULL, value TEXT, source TEXT NOT NULL, date_raw TEXT, date TEXT,"
    "  status TEXT NOT NULL, added_by TEXT, added_at TEXT NOT NULL);"
    "CREATE INDEX factors_record ON factors(record);"
    "CREATE INDEX factors_subject ON factors(subject);"
    "CREATE TABLE subjects(id INTEGER PRIMARY KEY, created TEXT NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1, grade TEXT, grade_reasons TEXT);"
    "CREATE TABLE subject_records(record INTEGER PRIMARY KEY, subject INTEGER NOT NULL);"
    "CREATE INDEX subject_records_subject ON subject_records(subject);"
    "CREATE TABLE subject_history(id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
    "  action TEXT NOT NULL, subject INTEGER NOT NULL, other INTEGER, detail TEXT, by TEXT);"
    "CREATE TABLE link_decisions(id INTEGER PRIMARY KEY, rec_a INTEGER NOT NULL,"
    "  rec_b INTEGER NOT NULL, kind TEXT NOT NULL CHECK(kind IN ('apart','join')),"
    "  by TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL);"
    "CREATE TABLE assessments(id INTEGER PRIMARY KEY, subject INTEGER NOT NULL,"
    "  at TEXT NOT NULL, score REAL NOT NULL, band INTEGER NOT NULL, deadline TEXT NOT NULL,"
    "  factors TEXT NOT NULL, changes TEXT);"
    "CREATE INDEX assessments_subject ON assessments(subject);"
    "CREATE TABLE overrides(id INTEGER PRIMARY KEY, subject INTEGER NOT NULL,"
    "  at TEXT NOT NULL, by TEXT NOT NULL, band INTEGER NOT NULL, deadline TEXT NOT NULL,"
    "  reason TEXT NOT NULL);"
    "CREATE TABLE packages(id INTEGER PRIMARY KEY, subject INTEGER NOT NULL,"
    "  version INTEGER NOT NULL, holder TEXT NOT NULL, route_reason TEXT NOT NULL,"
    "  state TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,"
    "  deadline TEXT NOT NULL, band INTEGER NOT NULL, records INTEGER NOT NULL,"
    "  assessment INTEGER NOT NULL, outcome TEXT, outcome_reason TEXT);"
    "CREATE INDEX packages_subject ON packages(subject);"
    "CREATE TABLE package_versions(package INTEGER NOT NULL, version INTEGER NOT NULL,"
    "  at TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY(package, version));"
    "CREATE TABLE package_events(id INTEGER PRIMARY KEY, package INTEGER NOT NULL,"
    "  at TEXT NOT NULL, state TEXT NOT NULL, by TEXT, note TEXT);"
    "CREATE TABLE alerts(id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,"
    "  subject INTEGER, package INTEGER, parties TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT,"
    "  action TEXT NOT NULL, object TEXT, detail TEXT);",
    /* 1 -> 2: retention. review_by and retain_until are derived from the
     * subject's changes and outcomes under the retention policy; they are
     * filled in by the next 'ward intel update' or 'retention' (the policy
     * is not loaded yet while migrating), NULL until then. The last
     * decision a person took is kept beside them; every decision is also a
     * subject_history and an audit row. */
    "ALTER TABLE subjects ADD COLUMN review_by TEXT;"
    "ALTER TABLE subjects ADD COLUMN retain_until TEXT;"
    "ALTER TABLE subjects ADD COLUMN retention TEXT CHECK(retention IN ('keep','dispose'));"
    "ALTER TABLE subjects ADD COLUMN retention_by TEXT;"
    "ALTER TABLE subjects ADD COLUMN retention_at TEXT;"
    "ALTER TABLE subjects ADD COLUMN retention_reason TEXT;",
    /* 2 -> 3: disposal. A disposed subject keeps its row as a tombstone
     * (active 0, so nothing lists it and its id is never reused): when,
     * by whom, why and what was removed; its personal data is deleted. */
    "ALTER TABLE subjects ADD COLUMN disposed TEXT;"
    "ALTER TABLE subjects ADD COLUMN disposed_by TEXT;"
    "ALTER TABLE subjects ADD COLUMN disposed_reason TEXT;"
    "ALTER TABLE subjects ADD COLUMN disposed_removed TEXT;",
    /* 3 -> 4: a package's lifecycle and a subject's overrides are read per
     * package when routing; without these each read scanned the table. */
    "CREATE INDEX package_events_package ON package_events(package);"
    "CREATE INDEX overrides_subject ON overrides(subject);",
    /* 4 -> 5: exhibits and the examination queue (src/casework,
     * docs/casework.md). They live here, beside the subjects and packages
     * they link to, under the same encryption at rest. exhibit_log is the
     * continuity log, hash-chained per exhibit (prev, hash). */
    "CREATE TABLE exhibits(id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL, kind TEXT NOT NULL, force TEXT NOT NULL, unit TEXT,"
    "  lab TEXT, seized_raw TEXT NOT NULL, seized TEXT NOT NULL, place TEXT NOT NULL,"
    "  seal TEXT, subject INTEGER, package INTEGER, status INTEGER NOT NULL,"
    "  child_at_risk INTEGER NOT NULL DEFAULT 0, child_flagged TEXT,"
    "  needs_grading INTEGER NOT NULL DEFAULT 0, registered TEXT NOT NULL, started TEXT,"
    "  triaged TEXT, reported TEXT, holder TEXT, image TEXT, md5 TEXT, sha1 TEXT,"
    "  sha256 TEXT, bytes INTEGER, override_band INTEGER, override_by TEXT,"
    "  override_reason TEXT, override_at TEXT);"
    "CREATE INDEX exhibits_lab_status ON exhibits(lab, status);"
    "CREATE INDEX exhibits_subject ON exhibits(subject);"
    "CREATE INDEX exhibits_lab ON exhibits(lab, reported);"
    "CREATE TABLE exhibit_log(id INTEGER PRIMARY KEY, exhibit INTEGER NOT NULL,"
    "  at TEXT NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL, holder TEXT, place TEXT,"
    "  detail TEXT, prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX exhibit_log_exhibit ON exhibit_log(exhibit, id);"
    "CREATE TABLE exhibit_scans(id INTEGER PRIMARY KEY, exhibit INTEGER NOT NULL,"
    "  at TEXT NOT NULL, by TEXT NOT NULL, summary TEXT NOT NULL);"
    "CREATE INDEX exhibit_scans_exhibit ON exhibit_scans(exhibit);"
    "CREATE TABLE labs(name TEXT PRIMARY KEY, examiners INTEGER NOT NULL,"
    "  hours REAL NOT NULL, updated TEXT NOT NULL, updated_by TEXT NOT NULL);",
    /* 5 -> 6: secrets the store keeps for itself, such as the key of the
     * keyed hash of payment card numbers (hex). They live inside the
     * store, so under its encryption at rest when that is on. */
    "CREATE TABLE secrets(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    /* cards are few beside a list's other values: resolve reads them alone */
    "CREATE INDEX vals_card ON vals(norm) WHERE field = 'card';",
    /* 6 -> 7: public reports, the duty queue and feedback to referrers
     * (src/report, docs/report.md). A public report is also a referral
     * (records.id = public_reports.record); its answers are kept here as
     * given, under intel.db's encryption at rest. duty holds one row per
     * urgent report or referral, duty_steps its timed checklist;
     * feedback_sent what each referring source has been told, and when. */
    "CREATE TABLE public_reports(id INTEGER PRIMARY KEY, receipt TEXT NOT NULL UNIQUE,"
    "  at TEXT NOT NULL, record INTEGER NOT NULL, urgent INTEGER NOT NULL,"
    "  answers TEXT NOT NULL);"
    "CREATE TABLE duty(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, record INTEGER NOT NULL"
    "  UNIQUE, ref TEXT NOT NULL, arrived TEXT NOT NULL, flags TEXT NOT NULL,"
    "  acknowledged_at TEXT, acknowledged_by TEXT, escalated_at TEXT, escalated_to TEXT,"
    "  closed_at TEXT, closed_by TEXT);"
    "CREATE TABLE duty_steps(id INTEGER PRIMARY KEY, duty INTEGER NOT NULL, at TEXT NOT NULL,"
    "  step TEXT NOT NULL, by TEXT NOT NULL, detail TEXT);"
    "CREATE INDEX duty_steps_duty ON duty_steps(duty);"
    "CREATE TABLE feedback_sent(id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
    "  at TEXT NOT NULL, by TEXT NOT NULL, upto TEXT NOT NULL, items INTEGER NOT NULL);"
    "CREATE INDEX feedback_sent_source ON feedback_sent(source, at);",
    /* 7 -> 8: ISP subscriber requests (isp.c, isp_answer.c). isp_ranges is
     * the provider table as imported (each range as written, with the
     * file and line it came from). A request copies its IP event's values
     * as received and the UTC time, so that what was sent stays readable
     * whatever later happens to the values; ip_val ties it to the event.
     * A request has at most one answer; a found answer's identifiers are
     * a referral of their own (record). An event with the same address,
     * port and time as another request of the batch is kept with same_as
     * naming that one: it is not sent again, and its answer is that one's. */
    "CREATE TABLE isp_ranges(id INTEGER PRIMARY KEY, provider TEXT NOT NULL,"
    "  prefix TEXT NOT NULL, asn TEXT, asn_name TEXT, file TEXT NOT NULL,"
    "  line INTEGER NOT NULL, imported TEXT NOT NULL, imported_by TEXT);"
    "CREATE TABLE isp_batches(id INTEGER PRIMARY KEY, provider TEXT NOT NULL,"
    "  created TEXT NOT NULL, created_by TEXT, legal_basis TEXT NOT NULL,"
    "  due TEXT NOT NULL, requests INTEGER NOT NULL);"
    "CREATE TABLE isp_requests(id INTEGER PRIMARY KEY, batch INTEGER NOT NULL,"
    "  subject INTEGER NOT NULL, record INTEGER NOT NULL, ip_val INTEGER NOT NULL,"
    "  ip_raw TEXT NOT NULL, ip TEXT NOT NULL, port_raw TEXT, port TEXT,"
    "  time_raw TEXT NOT NULL, time_utc TEXT NOT NULL, time_settled_by TEXT,"
    "  prefix TEXT NOT NULL, asn TEXT, same_as INTEGER);"
    "CREATE INDEX isp_requests_batch ON isp_requests(batch);"
    "CREATE INDEX isp_requests_val ON isp_requests(ip_val);"
    "CREATE INDEX isp_requests_subject ON isp_requests(subject);"
    "CREATE TABLE isp_answers(id INTEGER PRIMARY KEY, request INTEGER NOT NULL UNIQUE,"
    "  outcome TEXT NOT NULL CHECK(outcome IN ('found','no-trace','not-retained',"
    "  'wrong-zone')), answered_raw TEXT NOT NULL, answered TEXT NOT NULL,"
    "  received TEXT NOT NULL, by TEXT, source TEXT NOT NULL, status TEXT NOT NULL,"
    "  provider_ref TEXT, record INTEGER, file TEXT NOT NULL, line INTEGER NOT NULL);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int ward_intel_schema_version(void) { return N_MIGRATIONS; }

ward_status wi_sqlfail(ward_intel *in, ward_error *err, const char *what)
{
    int rc = wsql_errcode(in->db) & 0xff;
    char detail[160];
    if ((rc == SQLITE_IOERR || rc == SQLITE_CORRUPT) && wsql_sqlite(in->db) &&
        wst_crypt_failure(wsql_sqlite(in->db), detail, sizeof detail)) /* which page */
        return err_fail(err, WARD_EFORMAT, "%s: %s: %s", in->path, what, detail);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return err_fail(err, WARD_EBUSY, "%s: %s: the store is busy: another process held "
                                          "its write lock past the wait; retry (%s)",
                         in->path, what, wsql_errmsg(in->db));
    ward_status st = rc == SQLITE_IOERR ||
                     rc == SQLITE_FULL || rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY
                         ? WARD_EIO
                     : rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? WARD_EFORMAT
                     : rc == SQLITE_NOMEM                           ? WARD_ENOMEM
                                                                    : WARD_EINTERNAL;
    return err_fail(err, st, "%s: %s: %s", in->path, what, wsql_errmsg(in->db));
}

ward_status wi_exec(ward_intel *in, const char *sql, ward_error *err)
{
    if (wsql_exec(in->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return wi_sqlfail(in, err, "exec");
    return WARD_OK;
}

ward_status wi_prepare(ward_intel *in, const char *sql, wsql_stmt **st, ward_error *err)
{
    if (wsql_prepare_v2(in->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return wi_sqlfail(in, err, "prepare");
    }
    return WARD_OK;
}

ward_status wi_cached(ward_intel *in, const char *sql, wsql_stmt **st, ward_error *err)
{
    for (size_t i = 0; i < in->n_cache; i++)
        if (in->cache[i].sql == sql) {
            *st = in->cache[i].st;
            wsql_reset(*st);
            wsql_clear_bindings(*st);
            return WARD_OK;
        }
    if (in->n_cache == in->cap_cache) {
        size_t cap = in->cap_cache ? in->cap_cache * 2 : 16;
        wi_cached_stmt *c = realloc(in->cache, cap * sizeof *c);
        if (!c)
            return err_fail(err, WARD_ENOMEM, "out of memory");
        in->cache = c, in->cap_cache = cap;
    }
    ward_status rc = wi_prepare(in, sql, st, err);
    if (!rc)
        in->cache[in->n_cache++] = (wi_cached_stmt){sql, *st};
    return rc;
}

ward_status wi_next_id(ward_intel *in, const char *table, int64_t *id, ward_error *err)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) + 1 FROM %s", table);
    return wi_query_int(in, sql, NULL, 1, id, err);
}

ward_status wi_begin(ward_intel *in, ward_error *err)
{
    return wi_exec(in, "BEGIN IMMEDIATE", err);
}

ward_status wi_begin_subjects(ward_intel *in, int64_t *max, ward_error *err)
{
    *max = 0;
    ward_status rc = wi_begin(in, err);
    if (rc || (rc = wi_query_int(in, "SELECT coalesce(max(id), 0) FROM subjects", NULL, 0, max,
                                 err)))
        wi_rollback(in);
    return rc;
}

ward_status wi_commit(ward_intel *in, ward_error *err)
{
    return wi_exec(in, "COMMIT", err);
}

void wi_analyze(ward_intel *in, const char *tables)
{
    if (wsql_backend_of(in->db) != WSQL_POSTGRES)
        return;
    char sql[256];
    snprintf(sql, sizeof sql, "ANALYZE %s", tables);
    wsql_exec(in->db, sql, NULL, NULL, NULL);   /* statistics only: failure costs speed */
}

void wi_rollback(ward_intel *in)
{
    if (!wsql_get_autocommit(in->db))
        wsql_exec(in->db, "ROLLBACK", NULL, NULL, NULL);
}

ward_status wi_end(ward_intel *in, ward_status rc, ward_error *err)
{
    if (!rc)
        rc = wi_commit(in, err);
    if (rc)
        wi_rollback(in);
    return rc;
}

ward_status wi_secret(ward_intel *in, const char *name, unsigned char key[32], ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "SELECT value FROM secrets WHERE name = ?", &st, err);
    if (rc)
        return rc;
    wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int r = wsql_step(st);
    char hex[65] = "";
    if (r == SQLITE_ROW)
        snprintf(hex, sizeof hex, "%s", wi_col(st, 0));
    else if (r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "secret");
    wsql_finalize(st);
    if (rc)
        return rc;
    if (*hex) {
        if (strlen(hex) != 64 || sodium_hex2bin(key, 32, hex, 64, NULL, NULL, NULL))
            return err_fail(err, WARD_EFORMAT, "intel store: secret '%s' is damaged", name);
        return WARD_OK;
    }
    randombytes_buf(key, 32);
    sodium_bin2hex(hex, sizeof hex, key, 32);
    if ((rc = wi_prepare(in, "INSERT INTO secrets(name, value) VALUES(?, ?)", &st, err)))
        return rc;
    wsql_bind_text(st, 1, name, -1, SQLITE_STATIC);
    wsql_bind_text(st, 2, hex, -1, SQLITE_STATIC);
    rc = wsql_step(st) == SQLITE_DONE ? WARD_OK : wi_sqlfail(in, err, "secret");
    wsql_finalize(st);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

ward_status wi_query_int(ward_intel *in, const char *sql, const char *param, int64_t dflt,
                         int64_t *v, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, sql, &st, err);
    if (rc)
        return rc;
    if (param)
        wsql_bind_text(st, 1, param, -1, SQLITE_STATIC);
    int r = wsql_step(st);
    *v = r == SQLITE_ROW ? wsql_column_int64(st, 0) : dflt;
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "query");
    wsql_finalize(st);
    return rc;
}

const char *wi_col(wsql_stmt *st, int i)
{
    const char *s = (const char *)wsql_column_text(st, i);
    return s ? s : "";
}

ward_status wi_each_subject_row(ward_intel *in, const char *sql, int64_t max,
                                wi_subject_row_fn fn, void *ctx, ward_error *err)
{
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, sql, &st, err);
    int r = SQLITE_DONE;
    while (!rc && (r = wsql_step(st)) == SQLITE_ROW) {
        int64_t s = wsql_column_int64(st, 0);
        if (s >= 1 && s <= max && fn(ctx, s, st))
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if (!rc && r != SQLITE_DONE)
        rc = wi_sqlfail(in, err, "query");
    wsql_finalize(st);
    return rc;
}

void wi_time_str(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t wi_time_parse(const char *s)
{
    struct tm tm = {0};
    if (!s || !*s)
        return -1;
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -1;
    return timegm(&tm);
}

void wi_subject_id(int64_t n, char out[16]) { snprintf(out, 16, "S%06lld", (long long)n); }

int64_t wi_subject_num(const char *id)
{
    if (!id || (id[0] != 'S' && id[0] != 's'))
        return 0;
    char *end;
    long long n = strtoll(id + 1, &end, 10);
    return *end || n <= 0 ? 0 : n;
}

void wi_audit(ward_intel *in, time_t now, const char *who, const char *action,
              const char *object, const char *detail)
{
    wsql_stmt *st;
    char at[32];
    wi_time_str(now, at);
    if (wsql_prepare_v2(in->db,
                        "INSERT INTO audit(at, who, action, object, detail) "
                        "VALUES(?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return;
    wsql_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
    wsql_bind_text(st, 2, who, -1, SQLITE_STATIC);
    wsql_bind_text(st, 3, action, -1, SQLITE_STATIC);
    wsql_bind_text(st, 4, object, -1, SQLITE_STATIC);
    wsql_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    wsql_step(st);   /* the audit row rides on the caller's transaction */
    wsql_finalize(st);
}

static ward_status schema_version(ward_intel *in, int64_t *version, ward_error *err)
{
    ward_status rc = wi_query_int(in, "PRAGMA user_version", NULL, 0, version, err);
    if (!rc && *version > N_MIGRATIONS)
        rc = err_fail(err, WARD_EUNSUPPORTED,
                       "%s: schema version %lld is newer than this ward (%d)", in->path,
                       (long long)*version, N_MIGRATIONS);
    return rc;
}

static ward_status migrate(ward_intel *in, ward_error *err)
{
    int64_t version;
    ward_status rc = schema_version(in, &version, err);
    if (rc || version == N_MIGRATIONS)
        return rc;
    /* Read again under the write lock: two processes opening a new store
     * at once both saw the old version, and only the first may migrate. */
    if ((rc = wi_begin(in, err)))
        return rc;
    if ((rc = schema_version(in, &version, err))) {
        wi_rollback(in);
        return rc;
    }
    for (int v = (int)version; v < N_MIGRATIONS; v++)
        if ((rc = wi_exec(in, migrations[v], err))) {
            wi_rollback(in);
            return rc;
        }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", N_MIGRATIONS);
    if ((rc = wi_exec(in, pragma, err)) || (rc = wi_commit(in, err)))
        wi_rollback(in);
    return rc;
}

/* intel.db in the data directory - plaintext, or encrypted with the key
 * in key_file (store/crypt.h) - or the schema PREFIX_intel on the
 * PostgreSQL server the data directory is configured for (wsql_resolve). */
static ward_status open_db(ward_intel *in, const char *datadir, const char *store_url,
                           const char *key_file, ward_error *err)
{
    /* the directory first: it holds the configuration either way, and a
     * per-datadir store is keyed by its real path */
    if (mkdir(datadir, 0700) != 0 && errno != EEXIST)
        return err_fail_errno(err, errno, "cannot create %s", datadir);
    wsql_target t;
    ward_status rc = wsql_resolve(datadir, store_url, "intel", "intel.db", &t, err);
    if (rc)
        return rc;
    if (!(in->path = strdup(t.display)))
        return err_fail(err, WARD_ENOMEM, "out of memory");
    if (t.backend != WSQL_SQLITE) {
        if (key_file)
            return err_fail(err, WARD_EINVAL,
                             "%s: the intelligence store is on PostgreSQL; --key-file encrypts "
                             "intel.db only - there, encryption at rest is the server's "
                             "(docs/postgresql.md)",
                             in->path);
        if (wsql_open(&t, SQLITE_OPEN_READWRITE, NULL, &in->db) != SQLITE_OK)
            return in->db ? wi_sqlfail(in, err, "open")
                          : err_fail(err, WARD_ENOMEM, "out of memory");
        wsql_busy_timeout(in->db, BUSY_TIMEOUT_MS);
        return WARD_OK;
    }
    /* created by us so that it is private from the first byte: SQLite
     * would create it with the umask's permissions */
    if ((rc = wsql_create_private(t.sqlite_path, err)))
        return rc;
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    sqlite3 *lite = NULL;
    rc = key_file ? wst_crypt_key_read(key_file, datadir, key, err) : WARD_OK;
    if (!rc)
        rc = wst_crypt_open(t.sqlite_path, key_file ? key : NULL, &lite, err);
    sodium_memzero(key, sizeof key);
    if (rc)
        return rc;
    if (wsql_adopt_sqlite(lite, &in->db) != SQLITE_OK)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    wsql_busy_timeout(in->db, BUSY_TIMEOUT_MS);
    /* Reads through a memory map, not a pread() per page: each web request
     * opens the store afresh, with a cold page cache, and the examination
     * queue reads every queued exhibit (at 100,000 exhibits a third of a
     * lab page's time went on those system calls). SQLite falls back to
     * reads where it cannot map (the encrypting VFS). */
    return wi_exec(in, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                       "PRAGMA foreign_keys = ON; PRAGMA mmap_size = 1073741824", err);
}

ward_status ward_intel_open(const char *datadir, const char *store_url, ward_intel **out,
                            ward_error *err)
{
    return ward_intel_open_keyed(datadir, store_url, NULL, out, err);
}

ward_status ward_intel_open_keyed(const char *datadir, const char *store_url, const char *key_file,
                                  ward_intel **out, ward_error *err)
{
    *out = NULL;
    if (!datadir || !*datadir)
        return err_fail(err, WARD_EINVAL, "no data directory");
    ward_intel *in = calloc(1, sizeof *in);
    if (!in)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = open_db(in, datadir, store_url, key_file, err);
    if (!rc)
        rc = migrate(in, err);
    if (!rc)
        rc = wi_config_load(in, datadir, err);
    if (rc) {
        ward_intel_close(in);
        return rc;
    }
    *out = in;
    return WARD_OK;
}

void ward_intel_close(ward_intel *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_cache; i++)
        wsql_finalize(in->cache[i].st);
    free(in->cache);
    wsql_close(in->db);
    wi_config_free(in);
    free(in->path);
    free(in);
}
