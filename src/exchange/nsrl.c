/*
 * NIST NSRL RDSv3: an SQLite database, opened read-only. The minimal sets
 * have a FILE table (sha256, sha1, md5, crc32, file_name, file_size,
 * package_id, primary key leading with sha256); the full sets a METADATA
 * table and a FILE view of the same columns. Rows are read in digest order
 * (the primary key's order, so no sort on the minimal sets) and rows
 * repeating the previous digests (the same file in another package) are
 * counted as duplicates without touching the store. Digests are upper-case
 * hex in RDSv3.
 */
#include "exchange/exchange.h"
#include "util/error.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct cols {
    char sha256[64], sha1[64], md5[64], name[64], size[64];
} cols;

static int pick(const char *have, const char *const *names, char out[64])
{
    for (; *names; names++)
        if (strcasecmp(have, *names) == 0) {
            snprintf(out, 64, "\"%s\"", have);
            return 1;
        }
    return 0;
}

/* Columns of a table or view; 1 if it has md5 or sha1 or sha256. */
static int table_cols(sqlite3 *db, const char *table, cols *c)
{
    static const char *const SHA256[] = {"sha256", "sha-256", NULL};
    static const char *const SHA1[] = {"sha1", "sha-1", NULL};
    static const char *const MD5[] = {"md5", NULL};
    static const char *const NAME[] = {"file_name", "filename", NULL};
    static const char *const SIZE[] = {"file_size", "filesize", NULL};
    memset(c, 0, sizeof *c);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 1);
        if (!n)
            continue;
        if (!pick(n, SHA256, c->sha256) && !pick(n, SHA1, c->sha1) && !pick(n, MD5, c->md5) &&
            !pick(n, NAME, c->name))
            pick(n, SIZE, c->size);
    }
    sqlite3_finalize(st);
    return c->sha256[0] || c->sha1[0] || c->md5[0];
}

static void read_version(sqlite3 *db, char version[128])
{
    version[0] = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT * FROM VERSION LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = NULL, *set = NULL;
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *n = sqlite3_column_name(st, i);
            if (!strcasecmp(n, "version"))
                v = (const char *)sqlite3_column_text(st, i);
            else if (!strcasecmp(n, "build_set"))
                set = (const char *)sqlite3_column_text(st, i);
        }
        snprintf(version, 128, "%s%s%s", v ? v : "", v && set ? " " : "", set ? set : "");
    }
    sqlite3_finalize(st);
}

/* The query over the set's FILE table (or METADATA view), in digest order;
 * *table names it for messages. */
static ward_status nsrl_query(sqlite3 *db, const char *path, const char **table,
                              sqlite3_stmt **st, ward_error *err)
{
    cols c;
    *table = table_cols(db, "FILE", &c)       ? "FILE"
             : table_cols(db, "METADATA", &c) ? "METADATA"
                                              : NULL;
    if (!*table)
        return err_fail(err, WARD_EFORMAT,
                         "%s: not an NSRL RDSv3 database (no FILE or METADATA table "
                         "with md5/sha1/sha256 columns)",
                         path);
    char order[256] = "", sql[512];
    size_t off = 0;
    const char *dcols[3] = {c.sha256, c.sha1, c.md5};
    for (int i = 0; i < 3; i++)
        if (dcols[i][0])
            off += (size_t)snprintf(order + off, sizeof order - off, "%s%s",
                                    off ? ", " : "", dcols[i]);
    snprintf(sql, sizeof sql, "SELECT %s, %s, %s, %s, %s FROM \"%s\" ORDER BY %s",
             c.sha256[0] ? c.sha256 : "NULL", c.sha1[0] ? c.sha1 : "NULL",
             c.md5[0] ? c.md5 : "NULL", c.name[0] ? c.name : "NULL",
             c.size[0] ? c.size : "NULL", *table, order);
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return err_fail(err, WARD_EFORMAT, "%s: %s", path, sqlite3_errmsg(db));
    return WARD_OK;
}

/* One row: a record, a bad one, or a duplicate of the previous row (the
 * same file in another package), which the sink only counts. */
static ward_status nsrl_row(sqlite3_stmt *st, const char *where, const wx_sink *sink,
                            ward_digests *prev)
{
    static const int kind_of_col[3] = {WX_SHA256, WX_SHA1, WX_MD5};
    wx_record rec;
    wx_record_clear(&rec);
    for (int i = 0; i < 3; i++) {
        const char *t = (const char *)sqlite3_column_text(st, i);
        if (t && wx_record_set_hex(&rec, kind_of_col[i], t, strlen(t)) < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "invalid %s '%.70s'", wx_kind_label[kind_of_col[i]], t);
            return sink->bad(sink->ctx, where, msg);
        }
    }
    if (!rec.dg.present)
        return sink->bad(sink->ctx, where, "no MD5, SHA1 or SHA256");
    /* prev->present is 0 before the first record: never a duplicate. */
    if (prev->present == rec.dg.present && memcmp(prev->md5, rec.dg.md5, 16) == 0 &&
        memcmp(prev->sha1, rec.dg.sha1, 20) == 0 &&
        memcmp(prev->sha256, rec.dg.sha256, 32) == 0) {
        sink->duplicate(sink->ctx);
        return WARD_OK;
    }
    *prev = rec.dg;
    rec.name = (const char *)sqlite3_column_text(st, 3);
    if (rec.name && !*rec.name)
        rec.name = NULL;
    if (sqlite3_column_type(st, 4) == SQLITE_INTEGER)
        rec.size = sqlite3_column_int64(st, 4);
    rec.where = where;
    return sink->record(sink->ctx, &rec);
}

ward_status wx_read_nsrl(const char *path, const wx_sink *sink, char version[128],
                         ward_error *err)
{
    sqlite3 *db = NULL;
    version[0] = 0;
    int r = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (r != SQLITE_OK) {
        ward_status rc = err_fail(err, WARD_EIO, "%s: cannot open as SQLite: %s", path,
                                   db ? sqlite3_errmsg(db) : sqlite3_errstr(r));
        sqlite3_close(db);
        return rc;
    }
    const char *table;
    sqlite3_stmt *st = NULL;
    ward_status rc = nsrl_query(db, path, &table, &st, err);
    if (rc == WARD_OK)
        read_version(db, version);
    ward_digests prev;
    memset(&prev, 0, sizeof prev);
    for (uint64_t row = 1; rc == WARD_OK && (r = sqlite3_step(st)) == SQLITE_ROW; row++) {
        char where[64];
        snprintf(where, sizeof where, "%s row %llu", table, (unsigned long long)row);
        rc = nsrl_row(st, where, sink, &prev);
    }
    if (rc == WARD_OK && r != SQLITE_DONE)
        rc = err_fail(err, (r & 0xff) == SQLITE_NOTADB || (r & 0xff) == SQLITE_CORRUPT
                                ? WARD_EFORMAT
                                : WARD_EIO,
                       "%s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
