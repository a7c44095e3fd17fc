/*
 * ward backup / ward restore: a data directory copied while ward runs, and
 * put back only if every byte is what was copied.
 *
 * Why not cp -a: an SQLite store in WAL mode is the .db file plus its -wal,
 * and a copy of the two taken while a writer commits can be inconsistent.
 * SQLite's online backup API reads a consistent snapshot instead. The rest
 * of the directory (keys, releases, subscriptions, evidence) is written
 * once and renamed into place by ward, so copying the files is enough.
 *
 * A backup is a directory: the files under their names, and MANIFEST with
 * "SHA256  PATH" per file, so a restore can refuse a damaged backup before
 * it writes anything.
 */
#include "ops/ops_int.h"
#include "store/crypt.h"
#include "util/error.h"
#include "util/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ward/store.h>

#define MANIFEST "MANIFEST"
#define MANIFEST_MAGIC "ward-backup 1"

/* ---- files ------------------------------------------------------------------ */

static void hexify(const unsigned char *md, char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Read fd to the end, hashing it and writing it to out (-1: nowhere). */
static ward_status pump(int fd, int out, const char *src, const char *dst, char hex[65],
                        ward_error *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    static const size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap);
    ward_status rc = buf ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
    ssize_t n;
    while (rc == WARD_OK && (n = read(fd, buf, cap)) != 0) {
        if (n < 0) {
            if (errno != EINTR)
                rc = err_fail_errno(err, errno, "cannot read %s", src);
            continue;
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
        for (ssize_t off = 0, w; out >= 0 && rc == WARD_OK && off < n; off += w)
            if ((w = write(out, buf + off, (size_t)(n - off))) < 0)
                rc = err_fail_errno(err, errno, "cannot write %s", dst);
    }
    unsigned char digest[32];
    if (rc == WARD_OK && hex && EVP_DigestFinal_ex(md, digest, NULL) == 1)
        hexify(digest, hex);
    free(buf);
    EVP_MD_CTX_free(md);
    return rc;
}

ward_status ops_sha256_file(const char *path, char hex[65], ward_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_fail_errno(err, errno, "cannot open %s", path);
    ward_status rc = pump(fd, -1, path, NULL, hex, err);
    close(fd);
    return rc;
}

ward_status ops_copy_file(const char *src, const char *dst, unsigned mode, char hex[65],
                          ward_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return err_fail_errno(err, errno, "cannot open %s", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
    if (out < 0) {
        close(in);
        return err_fail_errno(err, errno, "cannot create %s", dst);
    }
    ward_status rc = pump(in, out, src, dst, hex, err);
    if (rc == WARD_OK && fsync(out) != 0)
        rc = err_fail_errno(err, errno, "cannot sync %s", dst);
    close(in);
    if (close(out) != 0 && rc == WARD_OK)
        rc = err_fail_errno(err, errno, "cannot write %s", dst);
    return rc;
}

/* ---- backup ---------------------------------------------------------------- */

typedef struct backup {
    const char *dir, *dest;
    const char *store_url;
    size_t dirlen;
    const unsigned char *key; /* intel.db's, or NULL */
    FILE *manifest;
    ward_ops_note_cb note;
    void *ctx;
    int partial;
    ward_status rc;
    ward_error *err;
} backup;
static _Thread_local backup *cur; /* nftw has no context argument */

static void note(backup *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(backup *b, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->partial = 1;
    if (b->note)
        b->note(b->ctx, msg);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Derived or transient: rebuilt or recreated by ward, never copied. */
static int skipped(const char *rel)
{
    return !strcmp(rel, "index.wdx") || !strcmp(rel, "index.rev") || ends_with(rel, "-wal") ||
           ends_with(rel, "-shm") || ends_with(rel, "-journal") || ends_with(rel, ".tmp");
}

static ward_status backup_db(backup *b, const char *path, const char *rel, const char *to)
{
    wst_crypt_kind kind;
    int matches = 0;
    ward_status rc = wst_crypt_probe(path, b->key, &kind, &matches, b->err);
    if (rc != WARD_OK)
        return rc;
    if (kind == WARD_CRYPT_ENCRYPTED && !b->key) {
        note(b, "%s: encrypted; not backed up without its key (--key-file)", rel);
        return WARD_OK;
    }
    if (kind == WARD_CRYPT_ENCRYPTED && !matches)
        return err_fail(b->err, WARD_EINVAL, "%s: encrypted with another key than the one given",
                         path);
    if (kind == WARD_CRYPT_OTHER)
        return err_fail(b->err, WARD_EFORMAT, "%s is not an SQLite database", path);
    if (kind == WARD_CRYPT_EMPTY)
        return ops_copy_file(path, to, 0600, NULL, b->err);
    return ops_sqlite_backup(path, to, kind == WARD_CRYPT_ENCRYPTED ? b->key : NULL, b->err);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    backup *b = cur;
    if (ftw->level == 0)
        return 0;
    const char *rel = path + b->dirlen + 1;
    if (skipped(rel))
        return 0;
    char to[8192];
    snprintf(to, sizeof to, "%s/%s", b->dest, rel);
    if (type == FTW_D) {
        if (mkdir(to, (st->st_mode & 0777) | 0700) != 0)
            b->rc = err_fail_errno(b->err, errno, "cannot create %s", to);
        return b->rc != WARD_OK;
    }
    if (type == FTW_DNR || type == FTW_NS) {
        note(b, "%s: cannot be read; not backed up", rel);
        return 0;
    }
    if (type != FTW_F) {
        note(b, "%s: not a regular file (a link?); not backed up", rel);
        return 0;
    }
    char hex[65];
    if (ftw->level == 1 && ends_with(rel, ".db")) {
        b->rc = backup_db(b, path, rel, to);
        if (b->rc == WARD_OK && access(to, F_OK) == 0)
            b->rc = ops_sha256_file(to, hex, b->err);
        else if (b->rc == WARD_OK)
            return 0; /* left out, with a note */
    } else {
        b->rc = ops_copy_file(path, to, st->st_mode, hex, b->err);
    }
    if (b->rc == WARD_OK && fprintf(b->manifest, "%s  %s\n", hex, rel) < 0)
        b->rc = err_fail_errno(b->err, errno, "cannot write the MANIFEST");
    return b->rc != WARD_OK;
}

/* Stores on a PostgreSQL server are not in the directory: say so. */
static ward_status note_postgres(backup *b)
{
    int exists = 0;
    ward_status rc = ward_store_exists(b->dir, b->store_url, &exists, b->err);
    if (rc != WARD_OK || !exists)
        return rc;
    ward_store *s;
    if ((rc = ward_store_open(b->dir, b->store_url, WARD_STORE_READONLY, &s, b->err)) != WARD_OK)
        return rc;
    if (strncmp(ward_store_where(s), "postgres", 8) == 0)
        note(b, "the stores are on a PostgreSQL server (%s): not in this backup; back them up "
                "with pg_dump (docs/deploy.md)", ward_store_where(s));
    ward_store_close(s);
    return WARD_OK;
}

static ward_status read_key(const char *key_file, const char *dir,
                            unsigned char key[WARD_CRYPT_KEY_BYTES], const unsigned char **k,
                            ward_error *err)
{
    *k = NULL;
    if (!key_file)
        return WARD_OK;
    ward_status rc = wst_crypt_key_read(key_file, dir, key, err);
    if (rc == WARD_OK)
        *k = key;
    return rc;
}

ward_status ward_backup(const char *dir, const char *store_url, const char *dest,
                        const char *key_file, ward_ops_note_cb note_cb, void *ctx, int *partial,
                        ward_error *err)
{
    struct stat st;
    *partial = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_fail(err, WARD_ENOTFOUND, "%s is not a data directory", dir);
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    backup b = {dir, dest, store_url, strlen(dir), NULL, NULL, note_cb, ctx, 0, WARD_OK, err};
    while (b.dirlen > 1 && dir[b.dirlen - 1] == '/')
        b.dirlen--;
    ward_status rc = read_key(key_file, dir, key, &b.key, err);
    if (rc != WARD_OK)
        return rc;
    if (mkdir(dest, 0700) != 0) {
        rc = errno == EEXIST ? err_fail(err, WARD_EINVAL, "%s exists: a backup goes into a new "
                                                            "directory", dest)
                             : err_fail_errno(err, errno, "cannot create %s", dest);
        memset(key, 0, sizeof key);
        return rc;
    }
    char path[8192], rdir[PATH_MAX], rdest[PATH_MAX];
    if (realpath(dir, rdir) && realpath(dest, rdest) && strncmp(rdest, rdir, strlen(rdir)) == 0 &&
        rdest[strlen(rdir)] == '/') {
        rmdir(dest);
        memset(key, 0, sizeof key);
        return err_fail(err, WARD_EINVAL, "%s is inside the data directory", dest);
    }
    snprintf(path, sizeof path, "%s/" MANIFEST, dest);
    if (!(b.manifest = fopen(path, "wx")))
        rc = err_fail_errno(err, errno, "cannot create %s", path);
    if (rc == WARD_OK)
        fprintf(b.manifest, MANIFEST_MAGIC "\n");
    cur = &b;
    if (rc == WARD_OK && nftw(dir, visit, 16, FTW_PHYS) != 0 && b.rc == WARD_OK)
        b.rc = err_fail_errno(err, errno, "cannot walk %s", dir);
    cur = NULL;
    rc = rc != WARD_OK ? rc : b.rc;
    if (rc == WARD_OK)
        rc = note_postgres(&b);
    if (b.manifest && (fflush(b.manifest) != 0 || fsync(fileno(b.manifest)) != 0) &&
        rc == WARD_OK)
        rc = err_fail_errno(err, errno, "cannot write %s", path);
    if (b.manifest && fclose(b.manifest) != 0 && rc == WARD_OK)
        rc = err_fail_errno(err, errno, "cannot write %s", path);
    memset(key, 0, sizeof key);
    *partial = b.partial;
    return rc;
}

/* ---- restore ----------------------------------------------------------------- */

/* One MANIFEST line: "HEX  PATH"; the path must stay inside the backup. */
static ward_status parse_line(char *line, const char *manifest, int lineno, char **hex,
                              char **rel, ward_error *err)
{
    line[strcspn(line, "\n")] = 0;
    char *sep = strstr(line, "  ");
    if (!sep || sep - line != 64)
        return err_fail(err, WARD_EFORMAT, "%s, line %d: expected 'SHA256  PATH'", manifest,
                         lineno);
    *sep = 0;
    *hex = line;
    *rel = sep + 2;
    if (!**rel || **rel == '/' || strstr(*rel, "..") || strchr(*rel, '\\'))
        return err_fail(err, WARD_EFORMAT, "%s, line %d: path '%s' leaves the backup", manifest,
                         lineno, *rel);
    return WARD_OK;
}

/* Each line of the manifest, after the magic, to fn. */
static ward_status each_entry(const char *backup_dir,
                              ward_status (*fn)(void *ctx, const char *hex, const char *rel),
                              void *ctx, ward_error *err)
{
    char path[8192], line[8192];
    snprintf(path, sizeof path, "%s/" MANIFEST, backup_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_fail_errno(err, errno, "cannot open %s (not a ward backup?)", path);
    ward_status rc = WARD_OK;
    if (!fgets(line, sizeof line, f) || strncmp(line, MANIFEST_MAGIC "\n", sizeof line) != 0)
        rc = err_fail(err, WARD_EFORMAT, "%s, line 1: not a ward backup manifest", path);
    for (int lineno = 2; rc == WARD_OK && fgets(line, sizeof line, f); lineno++) {
        char *hex = NULL, *rel = NULL;
        if ((rc = parse_line(line, path, lineno, &hex, &rel, err)) == WARD_OK)
            rc = fn(ctx, hex, rel);
    }
    if (rc == WARD_OK && ferror(f))
        rc = err_fail_errno(err, errno, "cannot read %s", path);
    fclose(f);
    return rc;
}

typedef struct restore {
    const char *backup, *dir, *tmp;
    const unsigned char *key;
    ward_ops_note_cb note;
    void *ctx;
    ward_error *err;
} restore;

/* Pass 1: every file is what the manifest says, every store passes
 * integrity_check. Nothing is written. */
static ward_status verify_one(void *ctx, const char *hex, const char *rel)
{
    restore *r = ctx;
    char path[8192], got[65];
    snprintf(path, sizeof path, "%s/%s", r->backup, rel);
    ward_status rc = ops_sha256_file(path, got, r->err);
    if (rc != WARD_OK)
        return rc;
    if (strcmp(got, hex) != 0)
        return err_fail(r->err, WARD_EFORMAT,
                         "%s: SHA-256 differs from the MANIFEST: the backup is damaged", path);
    if (strchr(rel, '/') || !ends_with(rel, ".db"))
        return WARD_OK;
    wst_crypt_kind kind;
    int matches = 0;
    if ((rc = wst_crypt_probe(path, r->key, &kind, &matches, r->err)) != WARD_OK)
        return rc;
    if (kind == WARD_CRYPT_EMPTY)
        return WARD_OK;
    if (kind == WARD_CRYPT_ENCRYPTED && !r->key) {
        if (r->note) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: encrypted; integrity not checked without its key", rel);
            r->note(r->ctx, msg);
        }
        return WARD_OK;
    }
    char problem[512];
    if ((rc = ops_sqlite_check(path, kind == WARD_CRYPT_ENCRYPTED ? r->key : NULL, problem,
                               sizeof problem, r->err)) != WARD_OK)
        return rc;
    return *problem ? err_fail(r->err, WARD_EFORMAT, "%s: integrity check: %s", path, problem)
                    : WARD_OK;
}

/* The directories above root/rel, as mkdir -p makes them. */
static ward_status mkdirs(const char *root, const char *rel, ward_error *err)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    *slash = 0; /* there is one: after root */
    return path_mkdirs(path, err);
}

/* Pass 2: the files into the scratch directory next to the target. */
static ward_status copy_one(void *ctx, const char *hex, const char *rel)
{
    restore *r = ctx;
    char from[8192], to[8192];
    struct stat st;
    snprintf(from, sizeof from, "%s/%s", r->backup, rel);
    snprintf(to, sizeof to, "%s/%s", r->tmp, rel);
    if (stat(from, &st) != 0)
        return err_fail_errno(r->err, errno, "cannot stat %s", from);
    ward_status rc = mkdirs(r->tmp, rel, r->err);
    return rc == WARD_OK ? ops_copy_file(from, to, st.st_mode & 0700, NULL, r->err) : rc;
}

static int empty_dir(const char *path, int *exists)
{
    DIR *d = opendir(path);
    *exists = d != NULL || errno != ENOENT;
    if (!d)
        return errno == ENOENT;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

ward_status ward_restore(const char *backup_dir, const char *dir, const char *key_file,
                         ward_ops_note_cb note_cb, void *ctx, ward_error *err)
{
    int exists = 0;
    if (!empty_dir(dir, &exists))
        return err_fail(err, WARD_EINVAL, "%s is not empty: a restore never overwrites a data "
                                           "directory (move it aside first)", dir);
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    char tmp[8192];
    snprintf(tmp, sizeof tmp, "%s.restore-%ld", dir, (long)getpid());
    restore r = {backup_dir, dir, tmp, NULL, note_cb, ctx, err};
    ward_status rc = read_key(key_file, NULL, key, &r.key, err);
    if (rc == WARD_OK)
        rc = each_entry(backup_dir, verify_one, &r, err);
    if (rc == WARD_OK && mkdir(tmp, 0700) != 0)
        rc = err_fail_errno(err, errno, "cannot create %s", tmp);
    else if (rc == WARD_OK) {
        rc = each_entry(backup_dir, copy_one, &r, err);
        if (rc == WARD_OK && exists && rmdir(dir) != 0)
            rc = err_fail_errno(err, errno, "cannot replace the empty %s", dir);
        if (rc == WARD_OK && rename(tmp, dir) != 0)
            rc = err_fail_errno(err, errno, "cannot rename %s to %s", tmp, dir);
        if (rc != WARD_OK)
            nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    memset(key, 0, sizeof key);
    return rc;
}
