/*
 * Schema migrations. MIGRATIONS[i] brings a database from user_version i to
 * i + 1; each runs in its own transaction together with the user_version
 * update, so a crash leaves either the old version or the new one. Never edit
 * a migration that has shipped: append a new one. See docs/store.md.
 */
#include "store/store_int.h"
#include "util/error.h"

#include <stdio.h>

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
};

#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

int wst_schema_latest(void) { return N_MIGRATIONS; }
int ward_store_schema_version(void) { return N_MIGRATIONS; }

ward_status wst_migrate(ward_store *s, int target, ward_error *err)
{
    if (target > N_MIGRATIONS)
        return ward_fail(err, WARD_EINTERNAL, "no migration to version %d", target);
    for (;;) {
        int64_t version = 0;
        ward_status rc = wst_query_int(s, "PRAGMA user_version", &version, err);
        if (rc)
            return rc;
        if (version >= target)
            return WARD_OK;
        if (s->readonly)
            return ward_fail(err, WARD_EUNSUPPORTED,
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
            rc = wst_exec(s, MIGRATIONS[version], err);
            if (rc == WARD_OK) {
                char sql[64];
                snprintf(sql, sizeof sql, "PRAGMA user_version = %d", (int)version + 1);
                rc = wst_exec(s, sql, err);
            }
        }
        if (rc == WARD_OK)
            rc = wst_exec(s, "COMMIT", err);
        if (rc) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
}
