/*
 * SQLite files seen from outside the stores' own code: the quick check a
 * doctor runs on intel.db and service.db, and the online backup that copies
 * a store while ward serve goes on writing to it.
 */
#include "ops/ops_int.h"
#include "store/crypt.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ward_status open_db(const char *path, const unsigned char *key, int readonly,
                           sqlite3 **db, ward_error *err)
{
    *db = NULL;
    if (key)
        return wst_crypt_open(path, key, db, err);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        ward_status rc = err_fail(err, WARD_EIO, "%s: %s", path,
                                   *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(*db, 10000);
    return WARD_OK;
}

ward_status ops_sqlite_check(const char *path, const unsigned char *key, char *problem,
                             size_t cap, ward_error *err)
{
    sqlite3 *db;
    *problem = 0;
    ward_status rc = open_db(path, key, 1, &db, err);
    if (rc != WARD_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (res && strcmp(res, "ok") != 0)
            snprintf(problem, cap, "%s", res);
        r = SQLITE_OK;
    }
    if (r != SQLITE_OK) /* a file too damaged to prepare on is a finding too */
        snprintf(problem, cap, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return WARD_OK;
}

ward_status ops_sqlite_backup(const char *src, const char *dst, const unsigned char *key,
                              ward_error *err)
{
    /* The encrypting VFS opens existing files only: create an empty one. */
    int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot create %s", dst);
    close(fd);
    sqlite3 *from = NULL, *to = NULL;
    ward_status rc = open_db(src, key, 1, &from, err);
    if (rc == WARD_OK)
        rc = open_db(dst, key, 0, &to, err);
    sqlite3_backup *b = rc == WARD_OK ? sqlite3_backup_init(to, "main", from, "main") : NULL;
    if (rc == WARD_OK && !b)
        rc = err_fail(err, WARD_EIO, "%s: backup refused: %s", src, sqlite3_errmsg(to));
    if (b) {
        /* Whole file in one step; a writer holding the lock only delays us. */
        int r;
        for (int tries = 0; (r = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
                            r == SQLITE_LOCKED; tries++) {
            if (tries == 600)
                break;
            sqlite3_sleep(50);
        }
        sqlite3_backup_finish(b);
        if (r != SQLITE_DONE)
            rc = err_fail(err, WARD_EIO, "%s: backup failed: %s", src, sqlite3_errstr(r));
    }
    if (rc == WARD_OK && sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        rc = err_fail(err, WARD_EIO, "%s: %s", dst, sqlite3_errmsg(to));
    sqlite3_close(from);
    if (sqlite3_close(to) != SQLITE_OK && rc == WARD_OK)
        rc = err_fail(err, WARD_EIO, "cannot close %s", dst);
    if (rc != WARD_OK)
        unlink(dst);
    return rc;
}
