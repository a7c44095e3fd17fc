/*
 * Schema migrations. MIGRATIONS[i] brings a database from user_version i to
 * i + 1; each runs in its own transaction together with the user_version
 * update, so a crash leaves either the old version or the new one. Never edit
 * a migration that has shipped: append a new one. See docs/store.md.
 */
#include "store/store_int.h"
#include "util/error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/digest.h>

static const char *const MIGRATIONS[] = {
    /* 1: the base schema. */
    "PRAGMA application_id = 2002874980;\n" /* WST_APPLICATION_ID */
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO meta(key, value) VALUES\n"
    "  ('store_id', lower(hex(randomblob(16)))),\n"
    "  ('revision', '0'),\n"
    "  ('created', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));\n"
    "CREATE TABLE schemes (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
    "  description TEXT NOT NULL DEFAULT '',\n"
    "  builtin     INTEGER NOT NULL DEFAULT 0,\n"
    "  created     TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE categories (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  scheme_id INTEGER NOT NULL REFERENCES schemes(id),\n"
    "  code      TEXT NOT NULL COLLATE NOCASE,\n"
    "  label     TEXT NOT NULL,\n"
    "  class     TEXT NOT NULL CHECK (class IN ('alert', 'ignorable', 'unknown')),\n"
    "  UNIQUE (scheme_id, code)\n"
    ");\n"
    "CREATE TABLE lists (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
    "  description TEXT NOT NULL DEFAULT '',\n"
    "  scheme_id   INTEGER NOT NULL REFERENCES schemes(id),\n"
    "  kind        TEXT NOT NULL CHECK (kind IN ('alert', 'known-good')),\n"
    "  created     TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE imports (\n"
    "  id             INTEGER PRIMARY KEY,\n"
    "  list_id        INTEGER REFERENCES lists(id),\n"
    "  list_name      TEXT NOT NULL,\n"
    "  path           TEXT NOT NULL,\n"
    "  file_sha256    TEXT,\n"
    "  file_size      INTEGER,\n"
    "  format         TEXT NOT NULL,\n"
    "  source_version TEXT,\n"
    "  started        TEXT NOT NULL,\n"
    "  finished       TEXT,\n"
    "  records        INTEGER NOT NULL DEFAULT 0,\n"
    "  added          INTEGER NOT NULL DEFAULT 0,\n"
    "  updated        INTEGER NOT NULL DEFAULT 0,\n"
    "  duplicate      INTEGER NOT NULL DEFAULT 0,\n"
    "  removed        INTEGER NOT NULL DEFAULT 0,\n"
    "  bad            INTEGER NOT NULL DEFAULT 0,\n"
    "  status         TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'aborted')),\n"
    "  message        TEXT\n"
    ");\n"
    "CREATE TABLE history (\n"
    "  id              INTEGER PRIMARY KEY,\n"
    "  at              TEXT NOT NULL,\n"
    "  action          TEXT NOT NULL CHECK (action IN ('remove', 'recategorise')),\n"
    "  entry_id        INTEGER NOT NULL,\n"
    "  import_id       INTEGER REFERENCES imports(id),\n"
    "  who             TEXT,\n"
    "  reason          TEXT,\n"
    "  old_category_id INTEGER REFERENCES categories(id),\n"
    "  new_category_id INTEGER REFERENCES categories(id)\n"
    ");\n"
    "CREATE INDEX history_entry ON history(entry_id);\n"
    "CREATE TABLE entries (\n"
    "  id                INTEGER PRIMARY KEY,\n"
    "  list_id           INTEGER NOT NULL REFERENCES lists(id),\n"
    "  md5               BLOB CHECK (md5 IS NULL OR length(md5) = 16),\n"
    "  sha1              BLOB CHECK (sha1 IS NULL OR length(sha1) = 20),\n"
    "  sha256            BLOB CHECK (sha256 IS NULL OR length(sha256) = 32),\n"
    "  pdq               BLOB CHECK (pdq IS NULL OR length(pdq) = 32),\n"
    "  pdq_quality       INTEGER CHECK (pdq_quality BETWEEN 0 AND 100),\n"
    "  hex_case          INTEGER NOT NULL DEFAULT 0,\n"
    "  hex_orig          TEXT,\n"
    "  category_id       INTEGER REFERENCES categories(id),\n"
    "  series            TEXT,\n"
    "  victim_identified INTEGER CHECK (victim_identified IN (0, 1)),\n"
    "  first_seen        TEXT,\n"
    "  first_seen_utc    TEXT,\n"
    "  updated           TEXT,\n"
    "  updated_utc       TEXT,\n"
    "  tags              TEXT,\n"
    "  name              TEXT,\n"
    "  media_id          TEXT,\n"
    "  size              INTEGER,\n"
    "  import_id         INTEGER NOT NULL REFERENCES imports(id),\n"
    "  updated_import_id INTEGER REFERENCES imports(id),\n"
    "  removed_id        INTEGER REFERENCES history(id),\n"
    "  CHECK (md5 IS NOT NULL OR sha1 IS NOT NULL OR sha256 IS NOT NULL\n"
    "         OR pdq IS NOT NULL)\n"
    ");\n"
    "CREATE INDEX entries_md5 ON entries(md5) WHERE md5 IS NOT NULL;\n"
    "CREATE INDEX entries_sha1 ON entries(sha1) WHERE sha1 IS NOT NULL;\n"
    "CREATE INDEX entries_sha256 ON entries(sha256) WHERE sha256 IS NOT NULL;\n"
    "CREATE INDEX entries_pdq ON entries(pdq) WHERE pdq IS NOT NULL;\n"
    "CREATE INDEX entries_list ON entries(list_id, category_id);\n"
    "CREATE INDEX entries_removed ON entries(removed_id) WHERE removed_id IS NOT NULL;\n",

    /* 2: the built-in category schemes. */
    "INSERT INTO schemes(name, description, builtin, created) VALUES\n"
    "  ('uk-sentencing', 'UK Sentencing Council indecent image categories A/B/C "
    "(Sexual Offences Definitive Guideline, 2014)', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
    "  ('projectvic', 'Project VIC / VICS numeric categories; no category = "
    "uncategorised', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
    "  ('known-good', 'Known files of no interest (NSRL and the like)', 1, "
    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));\n"
    "INSERT INTO categories(scheme_id, code, label, class)\n"
    "  SELECT s.id, c.code, c.label, c.class FROM schemes s JOIN (\n"
    "    SELECT 'uk-sentencing' AS scheme, 'A' AS code, 'Category A' AS label, 'alert' AS class\n"
    "    UNION ALL SELECT 'uk-sentencing', 'B', 'Category B', 'alert'\n"
    "    UNION ALL SELECT 'uk-sentencing', 'C', 'Category C', 'alert'\n"
    "    UNION ALL SELECT 'projectvic', '0', 'Non-pertinent', 'ignorable'\n"
    "    UNION ALL SELECT 'projectvic', '1', 'Child abuse material', 'alert'\n"
    "    UNION ALL SELECT 'projectvic', '2', 'Child exploitive (age difficult)', 'alert'\n"
    "    UNION ALL SELECT 'projectvic', '3', 'CGI / animation', 'alert'\n"
    "    UNION ALL SELECT 'known-good', 'known-good', 'Known good', 'ignorable'\n"
    "  ) c ON c.scheme = s.name;\n",

    /* 3: video lists: frames of one video share a media_id (vPDQ import);
     * scans count a video's frames to report vPDQ's compared percent. */
    "CREATE INDEX entries_media ON entries(list_id, media_id) WHERE media_id IS NOT NULL;\n",

    /* 4: victim identification (src/victim, docs/victim.md): series, the
     * register of sightings by unit and case, alerts to units, flood
     * quarantine. Hashes as lower-case hex text (several frame PDQs of a
     * video in one field, space-separated); never an image. */
    "CREATE TABLE series (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
    "  status      TEXT NOT NULL DEFAULT 'unidentified'\n"
    "              CHECK (status IN ('unidentified', 'identified', 'safeguarded')),\n"
    "  team        TEXT NOT NULL DEFAULT '',\n"
    "  contact     TEXT NOT NULL DEFAULT '',\n"
    "  created     TEXT NOT NULL,\n"
    "  created_by  TEXT NOT NULL,\n"
    "  status_at   TEXT,\n"
    "  status_by   TEXT,\n"
    "  merged_into INTEGER REFERENCES series(id)\n"
    ");\n"
    "CREATE TABLE series_names (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  name      TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
    "  series_id INTEGER NOT NULL REFERENCES series(id)\n"
    ");\n"
    "CREATE TABLE series_log (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  series_id INTEGER NOT NULL REFERENCES series(id),\n"
    "  at        TEXT NOT NULL,\n"
    "  who       TEXT NOT NULL,\n"
    "  action    TEXT NOT NULL,\n"
    "  detail    TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE INDEX series_log_series ON series_log(series_id, id);\n"
    "CREATE TABLE series_entries (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  series_id INTEGER NOT NULL REFERENCES series(id),\n"
    "  sha256    TEXT,\n"
    "  sha1      TEXT,\n"
    "  md5       TEXT,\n"
    "  pdq       TEXT,\n"
    "  label     TEXT NOT NULL DEFAULT '',\n"
    "  added     TEXT NOT NULL,\n"
    "  added_by  TEXT NOT NULL,\n"
    "  CHECK (sha256 IS NOT NULL OR sha1 IS NOT NULL OR md5 IS NOT NULL OR pdq IS NOT NULL)\n"
    ");\n"
    "CREATE INDEX series_entries_series ON series_entries(series_id);\n"
    "CREATE INDEX series_entries_sha256 ON series_entries(sha256) WHERE sha256 IS NOT NULL;\n"
    "CREATE INDEX series_entries_md5 ON series_entries(md5) WHERE md5 IS NOT NULL;\n"
    "CREATE TABLE sightings (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  unit      TEXT NOT NULL,\n"
    "  case_ref  TEXT NOT NULL,\n"
    "  exhibit   TEXT NOT NULL DEFAULT '',\n"
    "  contact   TEXT NOT NULL,\n"
    "  scan      TEXT NOT NULL,\n"
    "  class     TEXT NOT NULL,\n"
    "  sha256    TEXT,\n"
    "  sha1      TEXT,\n"
    "  md5       TEXT,\n"
    "  pdq       TEXT,\n"
    "  series_id INTEGER REFERENCES series(id),\n"
    "  at        TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX sightings_sha256 ON sightings(sha256) WHERE sha256 IS NOT NULL;\n"
    "CREATE INDEX sightings_md5 ON sightings(md5) WHERE md5 IS NOT NULL;\n"
    "CREATE INDEX sightings_scan ON sightings(unit, case_ref, scan);\n"
    "CREATE INDEX sightings_series ON sightings(series_id) WHERE series_id IS NOT NULL;\n"
    "CREATE TABLE victim_alerts (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  at        TEXT NOT NULL,\n"
    "  unit      TEXT NOT NULL,\n"
    "  priority  TEXT NOT NULL CHECK (priority IN ('high', 'normal')),\n"
    "  kind      TEXT NOT NULL,\n"
    "  series_id INTEGER REFERENCES series(id),\n"
    "  hash      TEXT NOT NULL DEFAULT '',\n"
    "  message   TEXT NOT NULL,\n"
    "  state     TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paused', 'done')),\n"
    "  done_by   TEXT\n"
    ");\n"
    "CREATE INDEX victim_alerts_unit ON victim_alerts(unit, state);\n"
    "CREATE TABLE quarantine (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  hash       TEXT NOT NULL UNIQUE,\n"
    "  state      TEXT NOT NULL CHECK (state IN ('quarantined', 'released', 'removed')),\n"
    "  at         TEXT NOT NULL,\n"
    "  units      INTEGER NOT NULL,\n"
    "  hits       INTEGER NOT NULL,\n"
    "  decided_at TEXT,\n"
    "  decided_by TEXT,\n"
    "  reason     TEXT\n"
    ");\n"
    /* rematched_entry: entries up to this id have been matched against the
     * register (retroactive matching); those of the day count as done. */
    "CREATE TABLE victim_meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "INSERT INTO victim_meta(key, value)\n"
    "  SELECT 'rematched_entry', CAST(coalesce(max(id), 0) AS TEXT) FROM entries;\n",

    /* 5: grading's two-person rule (src/grade, docs/grade.md): the grades
     * taken in from contributions, one per picture (lower-case hex SHA-256)
     * and grader, a later grade of the same grader replacing the earlier,
     * so that on a store shared by several nodes two graders' grades meet
     * whichever node took them in; and the pictures already promoted to an
     * entry (promoted once). vpdq: a video's frames in vPDQ's text form
     * (its good frames become entries once verified). A node's
     * grade-intake.jsonl from before is moved in by src/grade/votes.c, not
     * here: it is a file. */
    "CREATE TABLE grade_votes (\n"
    "  id          INTEGER PRIMARY KEY,\n"
    "  sha256      TEXT NOT NULL,\n"
    "  grader      TEXT NOT NULL,\n"
    "  md5         TEXT NOT NULL DEFAULT '',\n"
    "  sha1        TEXT NOT NULL DEFAULT '',\n"
    "  pdq         TEXT NOT NULL DEFAULT '',\n"
    "  pdq_quality INTEGER NOT NULL DEFAULT 0,\n"
    "  vpdq        TEXT,\n"
    "  scheme      TEXT NOT NULL,\n"
    "  category    TEXT NOT NULL,\n"
    "  series      TEXT NOT NULL DEFAULT '',\n"
    "  unit        TEXT NOT NULL DEFAULT '',\n"
    "  graded_at   TEXT NOT NULL DEFAULT '',\n"
    "  scan        TEXT NOT NULL DEFAULT '',\n"
    "  import_id   INTEGER REFERENCES imports(id),\n"
    "  taken       TEXT NOT NULL,\n"
    "  UNIQUE (sha256, grader)\n"
    ");\n"
    "CREATE TABLE grade_promoted (\n"
    "  sha256    TEXT PRIMARY KEY,\n"
    "  import_id INTEGER REFERENCES imports(id),\n"
    "  at        TEXT NOT NULL\n"
    ");\n",
};

#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

/*
 * On PostgreSQL the migrations run as they are, but for what SQLite
 * computes with its own functions: the store id (random) and the times
 * (now) are computed here and written as literals, which gives the same
 * values. Before the first one, the schema gets the collation the name
 * columns declare (COLLATE NOCASE): ICU's case-insensitive comparison, so
 * that names are unique and equal whatever their case, as on SQLite
 * (PostgreSQL folds Unicode case where SQLite folds ASCII only, and sorts
 * punctuation before digits where SQLite sorts by byte).
 */
static const char PG_NOCASE[] =
    "CREATE COLLATION IF NOT EXISTS nocase (provider = icu,"
    " locale = 'und-u-ks-level2', deterministic = false);\n";
static const char SQL_NOW[] = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
static const char SQL_RANDOM_ID[] = "lower(hex(randomblob(16)))";

/* Appends src to *out (malloc'd, growing); 0 or -1 when out of memory. */
static int append(char **out, size_t *len, const char *src, size_t n)
{
    char *p = realloc(*out, *len + n + 1);
    if (!p)
        return -1;
    memcpy(p + *len, src, n);
    *len += n;
    p[*len] = '\0';
    *out = p;
    return 0;
}

/* Migration `version` for PostgreSQL, malloc'd; NULL when out of memory. */
static char *pg_migration(int version)
{
    char now[32], q_now[40], id[40], q_id[40];
    uint8_t raw[16];
    wst_now(now);
    snprintf(q_now, sizeof q_now, "'%s'", now);
    randombytes_buf(raw, sizeof raw);
    ward_hex(raw, sizeof raw, id);
    snprintf(q_id, sizeof q_id, "'%s'", id);
    char *out = NULL;
    size_t len = 0;
    if (version == 0 && append(&out, &len, PG_NOCASE, strlen(PG_NOCASE)))
        return NULL;
    for (const char *p = MIGRATIONS[version]; *p;) {
        const char *a = strstr(p, SQL_NOW), *b = strstr(p, SQL_RANDOM_ID);
        const char *at = a && (!b || a < b) ? a : b;
        size_t n = at ? (size_t)(at - p) : strlen(p);
        const char *with = at == a ? q_now : q_id;
        if (append(&out, &len, p, n) || (at && append(&out, &len, with, strlen(with)))) {
            free(out);
            return NULL;
        }
        p += n + (!at ? 0 : at == a ? sizeof SQL_NOW - 1 : sizeof SQL_RANDOM_ID - 1);
    }
    return out;
}

/* Runs migration `version` (inside the caller's transaction). */
static ward_status run_migration(ward_store *s, int version, ward_error *err)
{
    if (!wst_pg(s))
        return wst_exec(s, MIGRATIONS[version], err);
    char *sql = pg_migration(version);
    if (!sql)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    ward_status rc = wst_exec(s, sql, err);
    free(sql);
    return rc;
}

int wst_schema_latest(void) { return N_MIGRATIONS; }
int ward_store_schema_version(void) { return N_MIGRATIONS; }

ward_status wst_migrate(ward_store *s, int target, ward_error *err)
{
    if (target > N_MIGRATIONS)
        return err_fail(err, WARD_EINTERNAL, "no migration to version %d", target);
    for (;;) {
        int64_t version = 0;
        ward_status rc = wst_query_int(s, "PRAGMA user_version", &version, err);
        if (rc)
            return rc;
        if (version >= target)
            return WARD_OK;
        if (s->readonly)
            return err_fail(err, WARD_EUNSUPPORTED,
                             "%s: schema version %d needs migrating to %d; "
                             "open the store read-write once",
                             s->path, (int)version, target);
        /* BEGIN IMMEDIATE takes the write lock, then re-read the version:
         * another process may have migrated while we waited. */
        rc = wst_exec(s, "BEGIN IMMEDIATE", err);
        if (rc)
            return rc;
        rc = wst_query_int(s, "PRAGMA user_version", &version, err);
        if (rc == WARD_OK && version < target) {
            rc = run_migration(s, (int)version, err);
            if (rc == WARD_OK) {
                char sql[64];
                snprintf(sql, sizeof sql, "PRAGMA user_version = %d", (int)version + 1);
                rc = wst_exec(s, sql, err);
            }
        }
        if (rc == WARD_OK)
            rc = wst_exec(s, "COMMIT", err);
        if (rc) {
            wsql_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
}
