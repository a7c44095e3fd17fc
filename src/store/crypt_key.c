/*
 * Key files for the encrypted stores, and converting a plaintext database
 * to an encrypted one. A key file is 64 hex digits (32 random bytes) and a
 * newline, mode 0600, kept outside the data directory: a copy of the data
 * directory (a stolen disk, a backup) must not carry its own key.
 */
#include "store/crypt.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether `path` (resolved) lies inside `dir` (resolved). A directory
 * that does not exist yet holds nothing. */
static int inside(const char *path, const char *dir)
{
    char rd[PATH_MAX];
    if (!dir || !realpath(dir, rd))
        return 0;
    size_t n = strlen(rd);
    return n == 1 || (!strncmp(path, rd, n) && (path[n] == '/' || path[n] == 0));
}

/* The resolved form of a file that may not exist yet: its directory
 * resolved, its name appended. */
static int resolve_new(const char *path, char out[PATH_MAX])
{
    char a[PATH_MAX], b[PATH_MAX], dir[PATH_MAX];
    snprintf(a, sizeof a, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    if (!realpath(dirname(a), dir))
        return -1;
    return snprintf(out, PATH_MAX, "%s/%s", dir, basename(b)) >= PATH_MAX ? -1 : 0;
}

ward_status wst_crypt_key_generate(const char *key_file, const char *datadir, ward_error *err)
{
    char real[PATH_MAX];
    if (resolve_new(key_file, real) != 0)
        return err_fail_errno(err, errno, "cannot resolve %s", key_file);
    if (inside(real, datadir))
        return err_fail(err, WARD_EINVAL, "%s: a key file must not be inside the data "
                                           "directory %s", key_file, datadir);
    if (sodium_init() < 0)
        return err_fail(err, WARD_EINTERNAL, "libsodium failed to start");
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    char hex[2 * WARD_CRYPT_KEY_BYTES + 2];
    randombytes_buf(key, sizeof key);
    sodium_bin2hex(hex, sizeof hex - 1, key, sizeof key);
    sodium_memzero(key, sizeof key);
    strcat(hex, "\n");
    ward_status rc = WARD_OK;
    int fd = open(key_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        rc = err_fail_errno(err, errno, "cannot create %s", key_file);
    else if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
        rc = err_fail_errno(err, errno, "cannot write %s", key_file);
        unlink(key_file);
    }
    if (fd >= 0)
        close(fd);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

ward_status wst_crypt_key_read(const char *key_file, const char *datadir,
                                unsigned char key[WARD_CRYPT_KEY_BYTES], ward_error *err)
{
    char real[PATH_MAX];
    if (!realpath(key_file, real))
        return err_fail_errno(err, errno, "key file %s", key_file);
    if (inside(real, datadir))
        return err_fail(err, WARD_EINVAL, "key file %s is inside the data directory %s: "
                                           "keep it apart from the data", key_file, datadir);
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot open key file %s", key_file);
    struct stat sb;
    char text[130];
    ssize_t n = -1;
    ward_status rc = WARD_OK;
    if (fstat(fd, &sb) != 0)
        rc = err_fail_errno(err, errno, "cannot stat key file %s", key_file);
    else if (!S_ISREG(sb.st_mode))
        rc = err_fail(err, WARD_EINVAL, "key file %s is not a regular file", key_file);
    else if (sb.st_mode & 077)
        rc = err_fail(err, WARD_EINVAL, "key file %s may be read or written by group or "
                                         "others (mode %03o): chmod 600 it", key_file,
                       (unsigned)(sb.st_mode & 0777));
    else if ((n = read(fd, text, sizeof text - 1)) < 0)
        rc = err_fail_errno(err, errno, "cannot read key file %s", key_file);
    close(fd);
    if (rc)
        return rc;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    size_t len = 0;
    const char *end = NULL;
    if (sodium_hex2bin(key, WARD_CRYPT_KEY_BYTES, text, (size_t)n, NULL, &len, &end) != 0 ||
        len != WARD_CRYPT_KEY_BYTES || end != text + n)
        rc = err_fail(err, WARD_EFORMAT, "key file %s: not 64 hex digits "
                                          "(make one with 'ward intel key generate')", key_file);
    sodium_memzero(text, sizeof text);
    if (rc)
        sodium_memzero(key, WARD_CRYPT_KEY_BYTES);
    return rc;
}

/* ---- converting --------------------------------------------------------- */

static ward_status exec(sqlite3 *db, const char *path, const char *sql, ward_error *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return WARD_OK;
    char detail[160];
    const char *why = wst_crypt_failure(db, detail, sizeof detail);
    return err_fail(err, WARD_EIO, "%s: %s", path, why ? why : sqlite3_errmsg(db));
}

/* Fold the WAL into the file and leave it in rollback mode, so that no
 * plaintext -wal is left to be replayed into the encrypted file. */
static ward_status settle_plain(const char *path, ward_error *err)
{
    sqlite3 *db = NULL;
    ward_status rc = WARD_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = err_fail(err, WARD_EIO, "%s: %s", path, sqlite3_errmsg(db));
    else {
        sqlite3_busy_timeout(db, 10000);
        rc = exec(db, path, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE",
                  err);
    }
    sqlite3_close(db);
    return rc;
}

/* Every table's rows, then indexes, triggers and views, then the schema
 * version: the layout the encrypted file needs rules out a page copy
 * (VACUUM INTO and the backup API keep the source's reserve bytes). */
static ward_status copy_all(sqlite3 *db, const char *path, ward_error *err)
{
    static const char *const passes[] = {
        "SELECT name, sql FROM src.sqlite_schema WHERE type = 'table' AND sql NOT NULL "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        "SELECT NULL, sql FROM src.sqlite_schema WHERE type <> 'table' AND sql NOT NULL "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    };
    ward_status rc = exec(db, path, "BEGIN", err);
    for (int p = 0; p < 2 && !rc; p++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, passes[p], -1, &st, NULL) != SQLITE_OK)
            rc = err_fail(err, WARD_EIO, "%s: %s", path, sqlite3_errmsg(db));
        while (!rc && sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            rc = exec(db, path, (const char *)sqlite3_column_text(st, 1), err);
            char *copy = name ? sqlite3_mprintf("INSERT INTO main.\"%w\" SELECT * FROM "
                                                "src.\"%w\"", name, name) : NULL;
            if (!rc && name)
                rc = copy ? exec(db, path, copy, err) : err_fail(err, WARD_ENOMEM, "no memory");
            sqlite3_free(copy);
        }
        sqlite3_finalize(st);
    }
    /* AUTOINCREMENT counters: the copied rows set main's from the largest
     * id left; the source's may be higher (rows deleted since). */
    if (!rc && sqlite3_table_column_metadata(db, "src", "sqlite_sequence", "seq", NULL, NULL,
                                             NULL, NULL, NULL) == SQLITE_OK)
        rc = exec(db, path, "DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence "
                            "SELECT * FROM src.sqlite_sequence", err);
    sqlite3_stmt *st = NULL;
    if (!rc && sqlite3_prepare_v2(db, "PRAGMA src.user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        char *v = sqlite3_mprintf("PRAGMA main.user_version = %d", sqlite3_column_int(st, 0));
        rc = v ? exec(db, path, v, err) : err_fail(err, WARD_ENOMEM, "out of memory");
        sqlite3_free(v);
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = exec(db, path, "COMMIT", err);
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static ward_status integrity(sqlite3 *db, const char *path, ward_error *err)
{
    sqlite3_stmt *st = NULL;
    ward_status rc = WARD_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA main.integrity_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = err_fail(err, WARD_EIO, "%s: integrity check: %s", path, sqlite3_errmsg(db));
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok"))
        rc = err_fail(err, WARD_EFORMAT, "%s: integrity check: %s", path,
                       (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

static ward_status sync_path(const char *path, ward_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        ward_status rc = err_fail_errno(err, errno, "cannot sync %s", path);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return WARD_OK;
}

/* The plaintext file is attached read-only through the default VFS, named
 * in a URI, so that it does not go through the encrypting one. */
static ward_status attach_plain(sqlite3 *db, const char *path, ward_error *err)
{
    char *uri = wst_crypt_uri(path, sqlite3_vfs_find(NULL)->zName, NULL);
    char *sql = uri ? sqlite3_mprintf("ATTACH '%q&mode=ro' AS src", uri) : NULL;
    ward_status rc = sql ? exec(db, path, sql, err) : err_fail(err, WARD_ENOMEM, "out of memory");
    sqlite3_free(sql);
    free(uri);
    return rc;
}

ward_status wst_crypt_convert(const char *path, const unsigned char *key, ward_error *err)
{
    wst_crypt_kind kind;
    int matches;
    ward_status rc = wst_crypt_probe(path, key, &kind, &matches, err);
    if (rc || kind == WARD_CRYPT_EMPTY)
        return rc;   /* an empty file becomes encrypted when first written */
    if (kind == WARD_CRYPT_ENCRYPTED)
        return err_fail(err, WARD_EINVAL, "%s is already encrypted%s", path,
                         matches ? "" : " (with another key)");
    if (kind != WARD_CRYPT_PLAIN)
        return err_fail(err, WARD_EFORMAT, "%s is not an SQLite database", path);
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.encrypting", path) < 0)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = err_fail_errno(err, errno, "cannot create %s", tmp);
        free(tmp);
        return rc;
    }
    close(fd);
    sqlite3 *db = NULL;
    rc = settle_plain(path, err);
    if (!rc)
        rc = wst_crypt_open(tmp, key, &db, err);
    if (!rc)
        rc = attach_plain(db, path, err);
    if (!rc)
        rc = copy_all(db, tmp, err);
    if (!rc)
        rc = exec(db, tmp, "DETACH src", err);
    if (!rc)
        rc = integrity(db, tmp, err);
    if (db && sqlite3_close(db) != SQLITE_OK && !rc)
        rc = err_fail(err, WARD_EIO, "%s: close failed", tmp);
    if (!rc)
        rc = sync_path(tmp, err);
    if (!rc && rename(tmp, path) != 0)
        rc = err_fail_errno(err, errno, "cannot rename %s over %s", tmp, path);
    if (rc)
        unlink(tmp);
    else {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        rc = sync_path(dirname(dir), err);
    }
    free(tmp);
    return rc;
}
