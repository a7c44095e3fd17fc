/*
 * ward doctor: is a data directory as ward needs it? Each check reports
 * what it found and, when something is wrong, the command that fixes it,
 * so that an administrator at 3 a.m. does not have to know ward's layout.
 *
 * Nothing here changes the directory: stores are opened read-only, files
 * are only stat()ed. The store's own checks (SQLite's integrity_check, or
 * ward's on PostgreSQL) are ward_store_check's; this file adds what lies
 * around the store: ownership, modes, the other SQLite files, the index and
 * the disk.
 */
#include "ops/ops_int.h"
#include "store/crypt.h"
#include "util/error.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <ward/index.h>
#include <ward/store.h>

/* At most this many findings of one kind are listed; the rest are counted,
 * so that a directory full of wrongly owned files gives a readable report. */
#define MAX_LISTED 5

typedef struct doctor {
    const char *dir;
    const ward_doctor_opts *opts;
    ward_doctor_cb cb;
    void *ctx;
    const char *store_url; /* the stores when dir has no store.url */
} doctor;

static void say(doctor *d, ward_doctor_level level, const char *check, const char *subject,
                const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void say(doctor *d, ward_doctor_level level, const char *check, const char *subject,
                const char *fix, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ward_doctor_finding f = {level, check, subject, msg, fix};
    d->cb(d->ctx, &f);
}

void ward_doctor_opts_default(ward_doctor_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_free_bytes = 1ull << 30;
    o->min_free_ratio = 0.05;
}

/* ---- the directory and what is in it ----------------------------------- */

static void check_datadir(doctor *d, const struct stat *st)
{
    char fix[600];
    if (st->st_uid != geteuid()) {
        snprintf(fix, sizeof fix, "run ward as the directory's owner (uid %u), or: chown -R %u %s",
                 (unsigned)st->st_uid, (unsigned)geteuid(), d->dir);
        say(d, WARD_DOCTOR_WARN, "datadir", d->dir, fix,
            "owned by uid %u, but this command runs as uid %u", (unsigned)st->st_uid,
            (unsigned)geteuid());
    }
    if (st->st_mode & 077) {
        snprintf(fix, sizeof fix, "chmod 700 %s", d->dir);
        say(d, WARD_DOCTOR_WARN, "datadir", d->dir, fix,
            "mode %04o: group or others may enter it (stores, keys and evidence inside)",
            (unsigned)(st->st_mode & 07777));
    } else {
        say(d, WARD_DOCTOR_OK, "datadir", d->dir, NULL, "mode %04o, owner uid %u",
            (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid);
    }
}

/* The walk's state: nftw has no context pointer, so one walk at a time per
 * thread keeps it in a thread-local. */
typedef struct walk_state {
    doctor *d;
    size_t dirlen;
    uint64_t foreign, loose_secret, files;
} walk_state;
static _Thread_local walk_state *walk;

/* Secrets: anyone who reads them can sign releases, decrypt or see
 * evidence. Everything else in the directory should be private too, but a
 * readable store is a warning, a readable key a failure. */
static int is_secret(const char *rel)
{
    return strncmp(rel, "keys/", 5) == 0 || strncmp(rel, "evidence/", 9) == 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    walk_state *w = walk;
    doctor *d = w->d;
    const char *rel = path + w->dirlen + (path[w->dirlen] == '/');
    if (ftw->level == 0)
        return 0;
    if (type == FTW_DNR || type == FTW_NS) {
        say(d, WARD_DOCTOR_FAIL, "permissions", path, "check its owner and mode (ls -l)",
            "cannot be read by uid %u: not examined", (unsigned)geteuid());
        return 0;
    }
    w->files += type == FTW_F;
    char fix[600];
    if (st->st_uid != geteuid() && w->foreign++ < MAX_LISTED) {
        snprintf(fix, sizeof fix, "chown -R --reference=%s %s (or run ward as uid %u)", d->dir,
                 d->dir, (unsigned)st->st_uid);
        say(d, WARD_DOCTOR_FAIL, "permissions", path, fix,
            "owned by uid %u, not by the uid ward runs as (%u): ward may fail to write it",
            (unsigned)st->st_uid, (unsigned)geteuid());
    }
    /* Other files are guarded by the directory's own mode (checked above);
     * secrets must be private even in a directory someone opened up. */
    if (type == FTW_F && (st->st_mode & 077) && is_secret(rel) && w->loose_secret++ < MAX_LISTED) {
        snprintf(fix, sizeof fix, "chmod 600 %s", path);
        say(d, WARD_DOCTOR_FAIL, "keys", path, fix,
            "mode %04o: group or others may read it (a secret key or evidence)",
            (unsigned)(st->st_mode & 07777));
    }
    return 0;
}

static void check_tree(doctor *d)
{
    walk_state w = {d, strlen(d->dir), 0, 0, 0};
    walk = &w;
    if (nftw(d->dir, visit, 16, FTW_PHYS) != 0)
        say(d, WARD_DOCTOR_FAIL, "permissions", d->dir, NULL, "cannot walk the directory: %s",
            strerror(errno));
    walk = NULL;
    if (w.foreign > MAX_LISTED)
        say(d, WARD_DOCTOR_FAIL, "permissions", d->dir, NULL,
            "%" PRIu64 " more files owned by another uid", w.foreign - MAX_LISTED);
    if (w.loose_secret > MAX_LISTED)
        say(d, WARD_DOCTOR_FAIL, "keys", d->dir, NULL,
            "%" PRIu64 " more keys or evidence files readable by group or others",
            w.loose_secret - MAX_LISTED);
    if (!w.foreign && !w.loose_secret)
        say(d, WARD_DOCTOR_OK, "permissions", d->dir, NULL,
            "%" PRIu64 " files, all owned by uid %u; keys and evidence private", w.files,
            (unsigned)geteuid());
}

/* ---- stores -------------------------------------------------------------- */

typedef struct problems {
    doctor *d;
    const char *subject;
    uint64_t listed;
} problems;

static void store_problem(void *ctx, const char *problem)
{
    problems *p = ctx;
    if (p->listed++ < MAX_LISTED)
        say(p->d, WARD_DOCTOR_FAIL, "store", p->subject,
            "restore from a backup (ward restore), or copy what is readable: ward db export",
            "%s", problem);
}

/* The hash-set store, then the index built from it. */
static void check_store(doctor *d)
{
    ward_error err;
    int exists = 0;
    if (ward_store_exists(d->dir, d->store_url, &exists, &err) != WARD_OK) {
        say(d, WARD_DOCTOR_FAIL, "store", d->dir, NULL, "%s", err.message);
        return;
    }
    if (!exists) {
        say(d, WARD_DOCTOR_WARN, "store", d->dir,
            "import a list (ward db import) or pull a release (ward release pull)",
            "no hash-set store yet: nothing can be matched");
        return;
    }
    ward_store *s = NULL;
    if (ward_store_open(d->dir, d->store_url, WARD_STORE_READONLY, &s, &err) != WARD_OK) {
        say(d, WARD_DOCTOR_FAIL, "store", d->dir,
            "a migration may be due: run any 'ward db' command once as the service user",
            "cannot open the store read-only: %s", err.message);
        return;
    }
    char where[1024];
    snprintf(where, sizeof where, "%s", ward_store_where(s));
    problems p = {d, where, 0};
    uint64_t n = 0, rev = 0;
    if (ward_store_check(s, store_problem, &p, &n, &err) != WARD_OK)
        say(d, WARD_DOCTOR_FAIL, "store", where, NULL, "check did not run: %s", err.message);
    else if (n)
        say(d, WARD_DOCTOR_FAIL, "store", where, NULL, "%" PRIu64 " problems in all", n);
    else
        say(d, WARD_DOCTOR_OK, "store", where, NULL, "integrity checks pass");
    ward_status rst = ward_store_revision(s, &rev, &err);
    ward_store_close(s);
    if (rst != WARD_OK) {
        say(d, WARD_DOCTOR_FAIL, "index", where, NULL, "store revision unreadable: %s",
            err.message);
        return;
    }
    ops_check_index(d->dir, rev, d->cb, d->ctx);
}

void ops_check_index(const char *dir, uint64_t store_rev, ward_doctor_cb cb, void *ctx)
{
    doctor dd = {dir, NULL, cb, ctx, NULL}, *d = &dd;
    char path[4096], revpath[4096];
    snprintf(path, sizeof path, "%s/index.wdx", dir);
    snprintf(revpath, sizeof revpath, "%s/index.rev", dir);
    const char *rebuild = "ward db index (ward scan and ward serve also rebuild it themselves)";
    ward_index *ix = NULL;
    ward_error err;
    if (access(path, F_OK) != 0) {
        say(d, WARD_DOCTOR_WARN, "index", path, rebuild, "no index yet");
        return;
    }
    if (ward_index_open(path, &ix, &err) != WARD_OK || ward_index_verify(ix, &err) != WARD_OK) {
        ward_index_close(ix);
        say(d, WARD_DOCTOR_FAIL, "index", path, rebuild, "damaged: %s", err.message);
        return;
    }
    ward_index_close(ix);
    uint64_t rev = 0;
    FILE *f = fopen(revpath, "r");
    int known = f && fscanf(f, "%" SCNu64, &rev) == 1;
    if (f)
        fclose(f);
    if (!known)
        say(d, WARD_DOCTOR_WARN, "index", path, rebuild,
            "the store revision it was built from is unknown (no index.rev)");
    else if (rev != store_rev)
        say(d, WARD_DOCTOR_WARN, "index", path, rebuild,
            "behind the store: built from revision %" PRIu64 ", the store is at %" PRIu64
            " (a running ward serve swaps in a new index within its reload interval)",
            rev, store_rev);
    else
        say(d, WARD_DOCTOR_OK, "index", path, NULL, "structure verified, current (revision %" PRIu64 ")",
            rev);
}

/* intel.db and service.db: SQLite's quick_check, when they are SQLite files
 * here (not on a PostgreSQL server). */
static void check_sqlite(doctor *d, const char *name, const char *check)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    if (access(path, F_OK) != 0)
        return; /* not used on this node */
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    const unsigned char *k = NULL;
    wst_crypt_kind kind;
    int matches = 0;
    ward_error err;
    if (wst_crypt_probe(path, NULL, &kind, &matches, &err) != WARD_OK) {
        say(d, WARD_DOCTOR_FAIL, check, path, NULL, "%s", err.message);
        return;
    }
    if (kind == WARD_CRYPT_EMPTY || kind == WARD_CRYPT_OTHER) {
        say(d, kind == WARD_CRYPT_OTHER ? WARD_DOCTOR_FAIL : WARD_DOCTOR_WARN, check, path,
            kind == WARD_CRYPT_OTHER ? "restore it from a backup (ward restore)" : NULL,
            kind == WARD_CRYPT_OTHER ? "not an SQLite database" : "empty");
        return;
    }
    if (kind == WARD_CRYPT_ENCRYPTED) {
        if (!d->opts->intel_key_file) {
            say(d, WARD_DOCTOR_WARN, check, path, "give --key-file (or $WARD_INTEL_KEY_FILE)",
                "encrypted: not examined without its key");
            return;
        }
        if (wst_crypt_key_read(d->opts->intel_key_file, d->dir, key, &err) != WARD_OK) {
            say(d, WARD_DOCTOR_FAIL, "keys", d->opts->intel_key_file, NULL, "%s", err.message);
            return;
        }
        k = key;
    }
    char problem[512] = "";
    ward_status st = ops_sqlite_check(path, k, problem, sizeof problem, &err);
    if (k)
        memset(key, 0, sizeof key);
    if (st != WARD_OK)
        say(d, WARD_DOCTOR_FAIL, check, path, NULL, "cannot check: %s", err.message);
    else if (*problem)
        say(d, WARD_DOCTOR_FAIL, check, path, "restore it from a backup (ward restore)",
            "integrity: %s", problem);
    else
        say(d, WARD_DOCTOR_OK, check, path, NULL, "integrity checks pass%s",
            k ? " (encrypted, key fits)" : "");
}

static void check_disk(doctor *d)
{
    struct statvfs vfs;
    if (statvfs(d->dir, &vfs) != 0) {
        say(d, WARD_DOCTOR_WARN, "disk", d->dir, NULL, "free space unknown: %s", strerror(errno));
        return;
    }
    double total = (double)vfs.f_blocks * vfs.f_frsize;
    double avail = (double)vfs.f_bavail * vfs.f_frsize;
    double ratio = total > 0 ? avail / total : 0;
    int low = avail < (double)d->opts->min_free_bytes || ratio < d->opts->min_free_ratio;
    say(d, low ? WARD_DOCTOR_WARN : WARD_DOCTOR_OK, "disk", d->dir,
        low ? "free space (imports, index rebuilds and releases need room for a second copy "
              "of the index and store while they work)" : NULL,
        "%.1f GiB free of %.1f GiB (%.0f%%)", avail / (1 << 30), total / (1 << 30), ratio * 100);
}

ward_status ward_doctor(const char *dir, const char *store_url, const ward_doctor_opts *opts,
                        ward_doctor_cb cb, void *ctx, ward_error *err)
{
    ward_doctor_opts defaults;
    if (!opts) {
        ward_doctor_opts_default(&defaults);
        opts = &defaults;
    }
    if (!dir || !cb)
        return err_fail(err, WARD_EINVAL, "no data directory or callback");
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? err_fail(err, WARD_ENOTFOUND, "%s does not exist", dir)
                               : err_fail_errno(err, errno, "cannot stat %s", dir);
    if (!S_ISDIR(st.st_mode))
        return err_fail(err, WARD_EINVAL, "%s is not a directory", dir);
    doctor d = {dir, opts, cb, ctx, store_url};
    check_datadir(&d, &st);
    check_tree(&d);
    if (opts->intel_key_file) {
        unsigned char key[WARD_CRYPT_KEY_BYTES];
        ward_error kerr;
        if (wst_crypt_key_read(opts->intel_key_file, dir, key, &kerr) != WARD_OK)
            say(&d, WARD_DOCTOR_FAIL, "keys", opts->intel_key_file,
                "chmod 600 the key file and keep it outside the data directory", "%s",
                kerr.message);
        memset(key, 0, sizeof key);
    }
    check_store(&d);
    check_sqlite(&d, "intel.db", "intel");
    check_sqlite(&d, "service.db", "service");
    check_disk(&d);
    return WARD_OK;
}
