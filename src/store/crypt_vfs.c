/*
 * The "ward-aead" SQLite VFS: page-level authenticated encryption of a
 * database, its rollback journal and its WAL, the way SQLCipher and SEE do
 * it, as a shim over the default VFS (Debian's SQLite has no codec hooks).
 *
 * Every page is 4096 bytes; SQLite is told to leave the last 40 of each
 * page alone (reserve bytes) and they hold the page's random nonce (24) and
 * Poly1305 tag (16). A page is sealed with XChaCha20-Poly1305 under a key
 * derived from the connection's master key, with the file kind and the
 * page's offset as associated data, so a page moved to another place or
 * another file fails to open. Page 1 of the main file begins with a
 * plaintext magic and key id in place of "SQLite format 3\0".
 *
 * The WAL's 32-byte header and 24-byte frame headers and the journal's
 * headers and page numbers stay in clear: they hold no content, and SQLite
 * needs them to find the frames. The frame checksums SQLite keeps are over
 * the plaintext, which this VFS hands back after decryption.
 *
 * Process-wide state: the VFS object itself, registered once, because
 * SQLite's VFS registry is process-wide. It holds no key; each file gets
 * its key from the URI parameter "key" of the database it belongs to.
 */
#include "store/crypt.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    PAGE = 4096,
    NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,   /* 24 */
    TAG = crypto_aead_xchacha20poly1305_ietf_ABYTES,        /* 16 */
    RESERVE = NONCE + TAG,
    USABLE = PAGE - RESERVE,
    PREFIX = 16,               /* page 1: magic (8) + key id (8) */
    WAL_HDR = 32,
    WAL_FHDR = 24,
    WAL_FRAME = WAL_FHDR + PAGE,
};

static const unsigned char magic[8] = {'W', 'A', 'R', 'D', 'A', 'E', 'A', 'D'};
static const char sqlite_magic[16] = "SQLite format 3";

/* What a file is to SQLite; also the first byte of each page's AAD. */
enum { K_PASS = 0, K_DB = 'D', K_WAL = 'W', K_JOURNAL = 'J' };

typedef struct cfile {
    sqlite3_file base;
    sqlite3_file *real;                 /* the default VFS's file, after us */
    int kind;
    int layout_ok;                      /* page 1 seen with our reserve bytes */
    unsigned char key[32];              /* page key, derived; wiped on close */
    unsigned char kid[8];
    sqlite3_int64 bad_off;              /* last refusal, -1 none */
    const char *bad_why;
    unsigned char page[PAGE];
} cfile;

static const sqlite3_io_methods methods;

/* ---- keys ------------------------------------------------------------ */

/* The master key never encrypts anything itself: pages use a subkey, and
 * the key id shown in files is another, so neither reveals the master. */
static void derive(const unsigned char master[WARD_CRYPT_KEY_BYTES], unsigned char page_key[32],
                   unsigned char kid[8])
{
    unsigned char id[crypto_kdf_BYTES_MIN];
    crypto_kdf_derive_from_key(page_key, 32, 1, "wardpage", master);
    crypto_kdf_derive_from_key(id, sizeof id, 2, "ward-kid", master);
    memcpy(kid, id, 8);
    sodium_memzero(id, sizeof id);
}

/* ---- sealing pages --------------------------------------------------- */

static size_t make_aad(unsigned char *ad, int kind, sqlite3_int64 off, const unsigned char *prefix)
{
    ad[0] = (unsigned char)kind;
    for (int i = 0; i < 8; i++)
        ad[1 + i] = (unsigned char)((uint64_t)off >> (8 * i));
    if (!prefix)
        return 9;
    memcpy(ad + 9, prefix, PREFIX);
    return 9 + PREFIX;
}

/* Encrypt buf[start, USABLE) in place; nonce and tag go in the reserve. */
static void seal(const cfile *f, unsigned char *buf, sqlite3_int64 off, size_t start)
{
    unsigned char ad[9 + PREFIX];
    size_t adlen = make_aad(ad, f->kind, off, start ? buf : NULL);
    randombytes_buf(buf + USABLE, NONCE);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        buf + start, buf + USABLE + NONCE, NULL, buf + start, USABLE - start, ad, adlen, NULL,
        buf + USABLE, f->key);
}

/* Decrypt in place; -1 when the page fails authentication. The reserve
 * comes back zeroed, as SQLite wrote it (the WAL checksums cover it). */
static int unseal(const cfile *f, unsigned char *buf, sqlite3_int64 off, size_t start)
{
    unsigned char ad[9 + PREFIX];
    size_t adlen = make_aad(ad, f->kind, off, start ? buf : NULL);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            buf + start, NULL, buf + start, USABLE - start, buf + USABLE + NONCE, ad, adlen,
            buf + USABLE, f->key) != 0)
        return -1;
    memset(buf + USABLE, 0, RESERVE);
    return 0;
}

static int refuse(cfile *f, sqlite3_int64 off, const char *why, int rc)
{
    f->bad_off = off;
    f->bad_why = why;
    return rc;
}

static int all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* A page 1 image must carry our reserve: a page without room for the
 * nonce and tag would lose its last 40 bytes of content to them. */
static int header_ok(const unsigned char *p)
{
    return memcmp(p, sqlite_magic, 16) != 0 ||
           (p[16] == (PAGE >> 8 & 0xff) && p[17] == (PAGE & 0xff) && p[20] == RESERVE);
}

/* ---- main database file ------------------------------------------------ */

/* Read and open the page at page offset `off` into f->page. */
static int db_load(cfile *f, sqlite3_int64 off)
{
    int rc = f->real->pMethods->xRead(f->real, f->page, PAGE, off);
    if (rc != SQLITE_OK)
        return rc;   /* a short read comes back zero-filled, as SQLite expects */
    if (off == 0) {
        if (memcmp(f->page, magic, 8) != 0)
            return refuse(f, off, "is not a ward encrypted database", SQLITE_IOERR_DATA);
        if (sodium_memcmp(f->page + 8, f->kid, 8) != 0)
            return refuse(f, off, "was encrypted with another key (wrong key)",
                          SQLITE_IOERR_DATA);
    }
    if (unseal(f, f->page, off, off == 0 ? PREFIX : 0) != 0)
        return refuse(f, off, "failed authentication (tampered, moved or damaged)",
                      SQLITE_IOERR_DATA);
    if (off == 0) {
        memcpy(f->page, sqlite_magic, 16);
        if (!header_ok(f->page))
            return refuse(f, off, "has no room for encryption (reserve bytes)",
                          SQLITE_IOERR_DATA);
        f->layout_ok = 1;
    }
    return SQLITE_OK;
}

static int db_read(cfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
    int short_read = 0;
    while (amt > 0) {
        sqlite3_int64 pg = off - off % PAGE;
        int po = (int)(off - pg), n = amt < PAGE - po ? amt : PAGE - po;
        int rc = db_load(f, pg);
        if (rc == SQLITE_IOERR_SHORT_READ) {
            memset(f->page, 0, PAGE);
            short_read = 1;
        } else if (rc != SQLITE_OK)
            return rc;
        memcpy(out, f->page + po, (size_t)n);
        out += n, off += n, amt -= n;
    }
    return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

/* Before the first write of a page other than 1, make sure the file's
 * page 1 (already on disk: SQLite writes pages in order) has our layout. */
static int db_check_layout(cfile *f)
{
    if (f->layout_ok)
        return SQLITE_OK;
    int rc = db_load(f, 0);
    if (rc == SQLITE_IOERR_SHORT_READ)
        return refuse(f, 0, "has no page 1 before a later page is written", SQLITE_IOERR_WRITE);
    return rc;
}

static int db_write(cfile *f, const unsigned char *in, int amt, sqlite3_int64 off)
{
    if (amt != PAGE || off % PAGE)
        return refuse(f, off, "got a write that is not one whole page", SQLITE_IOERR_WRITE);
    int rc = off == 0 ? SQLITE_OK : db_check_layout(f);
    if (rc != SQLITE_OK)
        return rc;
    memcpy(f->page, in, PAGE);
    size_t start = 0;
    if (off == 0) {
        if (memcmp(f->page, sqlite_magic, 16) != 0 || !header_ok(f->page))
            return refuse(f, off, "got a page 1 without room for encryption",
                          SQLITE_IOERR_WRITE);
        memcpy(f->page, magic, 8);
        memcpy(f->page + 8, f->kid, 8);
        start = PREFIX;
        f->layout_ok = 1;
    }
    seal(f, f->page, off, start);
    return f->real->pMethods->xWrite(f->real, f->page, PAGE, off);
}

/* ---- WAL ---------------------------------------------------------------- */

/* Reads are split along the WAL's layout: the file header and frame
 * headers pass through, a frame's page is read whole and opened. Recovery
 * (walIndexRecover) reads whole frames, header included; there a page that
 * fails to open comes back as zeros, so SQLite's checksum rejects the frame
 * and ends the log there, as it does for a frame torn by a power cut. */
static int wal_read(cfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
    sqlite3_int64 first = off;
    int short_read = 0;
    while (amt > 0) {
        sqlite3_int64 r = off < WAL_HDR ? -1 : (off - WAL_HDR) % WAL_FRAME;
        int n, rc;
        if (r < WAL_FHDR) {                 /* file or frame header: clear */
            sqlite3_int64 end = r < 0 ? WAL_HDR : off - r + WAL_FHDR;
            n = amt < end - off ? amt : (int)(end - off);
            rc = f->real->pMethods->xRead(f->real, out, n, off);
        } else {
            sqlite3_int64 ps = off - r + WAL_FHDR;
            int po = (int)(off - ps);
            n = amt < PAGE - po ? amt : PAGE - po;
            rc = f->real->pMethods->xRead(f->real, f->page, PAGE, ps);
            if (rc == SQLITE_OK && unseal(f, f->page, ps, 0) != 0) {
                if (first > ps - WAL_FHDR)
                    return refuse(f, ps, "failed authentication (tampered, moved or damaged)",
                                  SQLITE_IOERR_DATA);
                memset(f->page, 0, PAGE);
            }
            if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ)
                memcpy(out, f->page + po, (size_t)n);
        }
        if (rc == SQLITE_IOERR_SHORT_READ)
            short_read = 1;
        else if (rc != SQLITE_OK)
            return rc;
        out += n, off += n, amt -= n;
    }
    return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

static int wal_write(cfile *f, const unsigned char *in, int amt, sqlite3_int64 off)
{
    sqlite3_int64 r = off < WAL_HDR ? -1 : (off - WAL_HDR) % WAL_FRAME;
    if (off == 0 && amt == WAL_HDR) {
        uint32_t pgsz = (uint32_t)in[8] << 24 | in[9] << 16 | in[10] << 8 | in[11];
        if (pgsz != PAGE)
            return refuse(f, off, "got a WAL for another page size", SQLITE_IOERR_WRITE);
        return f->real->pMethods->xWrite(f->real, in, amt, off);
    }
    if (r == 0 && amt == WAL_FHDR)
        return f->real->pMethods->xWrite(f->real, in, amt, off);
    if (r != WAL_FHDR || amt != PAGE)
        return refuse(f, off, "got a WAL write it cannot place", SQLITE_IOERR_WRITE);
    /* The frame checksum covers the reserve, which comes back as zeros. */
    if (!header_ok(in) || !all_zero(in + USABLE, RESERVE))
        return refuse(f, off, "got a page without room for encryption", SQLITE_IOERR_WRITE);
    memcpy(f->page, in, PAGE);
    seal(f, f->page, off, 0);
    return f->real->pMethods->xWrite(f->real, f->page, PAGE, off);
}

/* ---- rollback journal ----------------------------------------------------- */

/* A journal record is a 4-byte page number, the page, a 4-byte checksum,
 * after a header of one sector (a power of two of at least 512): a page
 * always starts 4 bytes past a multiple of 8, a header never does. The
 * checksum samples bytes below the reserve, so it holds on plaintext. */
static int is_journal_page(int amt, sqlite3_int64 off) { return amt == PAGE && off % 8 == 4; }

static int journal_read(cfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
    if (!is_journal_page(amt, off))
        return f->real->pMethods->xRead(f->real, out, amt, off);
    int rc = f->real->pMethods->xRead(f->real, f->page, PAGE, off);
    if (rc == SQLITE_OK && unseal(f, f->page, off, 0) != 0)
        return refuse(f, off, "failed authentication (tampered, moved or damaged)",
                      SQLITE_IOERR_DATA);
    if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ)
        memcpy(out, f->page, PAGE);
    return rc;
}

static int journal_write(cfile *f, const unsigned char *in, int amt, sqlite3_int64 off)
{
    if (!is_journal_page(amt, off)) {
        /* Page numbers, checksums and the super-journal name are small; a
         * header may be a sector long but starts on a sector boundary. */
        if (amt > 512 && off % 512)
            return refuse(f, off, "got a journal write it cannot place", SQLITE_IOERR_WRITE);
        return f->real->pMethods->xWrite(f->real, in, amt, off);
    }
    memcpy(f->page, in, PAGE);
    seal(f, f->page, off, 0);
    return f->real->pMethods->xWrite(f->real, f->page, PAGE, off);
}

/* ---- io methods ------------------------------------------------------- */

static int x_close(sqlite3_file *file)
{
    cfile *f = (cfile *)file;
    int rc = f->real->pMethods->xClose(f->real);
    sodium_memzero(f->key, sizeof f->key);
    sodium_memzero(f->page, sizeof f->page);
    return rc;
}

static int x_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    cfile *f = (cfile *)file;
    switch (f->kind) {
    case K_DB: return db_read(f, buf, amt, off);
    case K_WAL: return wal_read(f, buf, amt, off);
    case K_JOURNAL: return journal_read(f, buf, amt, off);
    default: return f->real->pMethods->xRead(f->real, buf, amt, off);
    }
}

static int x_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    cfile *f = (cfile *)file;
    switch (f->kind) {
    case K_DB: return db_write(f, buf, amt, off);
    case K_WAL: return wal_write(f, buf, amt, off);
    case K_JOURNAL: return journal_write(f, buf, amt, off);
    default: return f->real->pMethods->xWrite(f->real, buf, amt, off);
    }
}

#define REAL(file) (((cfile *)(file))->real)
static int x_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    return REAL(p)->pMethods->xTruncate(REAL(p), size);
}
static int x_sync(sqlite3_file *p, int flags) { return REAL(p)->pMethods->xSync(REAL(p), flags); }
static int x_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
    return REAL(p)->pMethods->xFileSize(REAL(p), size);
}
static int x_lock(sqlite3_file *p, int l) { return REAL(p)->pMethods->xLock(REAL(p), l); }
static int x_unlock(sqlite3_file *p, int l) { return REAL(p)->pMethods->xUnlock(REAL(p), l); }
static int x_check_reserved(sqlite3_file *p, int *out)
{
    return REAL(p)->pMethods->xCheckReservedLock(REAL(p), out);
}
static int x_file_control(sqlite3_file *p, int op, void *arg)
{
    return REAL(p)->pMethods->xFileControl(REAL(p), op, arg);
}
static int x_sector_size(sqlite3_file *p) { return REAL(p)->pMethods->xSectorSize(REAL(p)); }
static int x_device(sqlite3_file *p)
{
    return REAL(p)->pMethods->xDeviceCharacteristics(REAL(p));
}
static int x_shm_map(sqlite3_file *p, int pg, int sz, int extend, void volatile **out)
{
    return REAL(p)->pMethods->xShmMap(REAL(p), pg, sz, extend, out);
}
static int x_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
    return REAL(p)->pMethods->xShmLock(REAL(p), off, n, flags);
}
static void x_shm_barrier(sqlite3_file *p) { REAL(p)->pMethods->xShmBarrier(REAL(p)); }
static int x_shm_unmap(sqlite3_file *p, int del)
{
    return REAL(p)->pMethods->xShmUnmap(REAL(p), del);
}

/* Version 2: no xFetch, so SQLite never maps the file and always reads
 * pages through x_read. The -shm holds only the WAL index, no content. */
static const sqlite3_io_methods methods = {
    .iVersion = 2,
    .xClose = x_close,
    .xRead = x_read,
    .xWrite = x_write,
    .xTruncate = x_truncate,
    .xSync = x_sync,
    .xFileSize = x_file_size,
    .xLock = x_lock,
    .xUnlock = x_unlock,
    .xCheckReservedLock = x_check_reserved,
    .xFileControl = x_file_control,
    .xSectorSize = x_sector_size,
    .xDeviceCharacteristics = x_device,
    .xShmMap = x_shm_map,
    .xShmLock = x_shm_lock,
    .xShmBarrier = x_shm_barrier,
    .xShmUnmap = x_shm_unmap,
};

/* ---- the VFS --------------------------------------------------------------- */

#define ROOT(vfs) ((sqlite3_vfs *)(vfs)->pAppData)

/* Main database, journal and WAL are encrypted; any other file (temporary
 * databases, statement journals) passes through, which is why encrypted
 * connections keep temp_store in memory. The key comes from the URI of the
 * database the file belongs to (SQLite >= 3.31 finds it from a journal's
 * or WAL's name too); without one the file is refused. */
static int x_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                  int *out_flags)
{
    cfile *f = (cfile *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    f->bad_off = -1;
    f->kind = flags & SQLITE_OPEN_MAIN_DB        ? K_DB
              : flags & SQLITE_OPEN_WAL          ? K_WAL
              : flags & SQLITE_OPEN_MAIN_JOURNAL ? K_JOURNAL
                                                 : K_PASS;
    if (f->kind != K_PASS) {
        const char *hex = name ? sqlite3_uri_parameter(name, "key") : NULL;
        unsigned char master[WARD_CRYPT_KEY_BYTES];
        size_t len = 0;
        int bad = !hex || sodium_hex2bin(master, sizeof master, hex, strlen(hex), NULL, &len,
                                         NULL) != 0 || len != sizeof master;
        if (!bad)
            derive(master, f->key, f->kid);
        sodium_memzero(master, sizeof master);
        if (bad)
            return SQLITE_CANTOPEN;
    }
    int rc = ROOT(vfs)->xOpen(ROOT(vfs), name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        sodium_memzero(f->key, sizeof f->key);
        f->base.pMethods = NULL;
        return rc;
    }
    f->base.pMethods = &methods;
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *v, const char *n, int s) { return ROOT(v)->xDelete(ROOT(v), n, s); }
static int v_access(sqlite3_vfs *v, const char *n, int fl, int *out)
{
    return ROOT(v)->xAccess(ROOT(v), n, fl, out);
}
static int v_full(sqlite3_vfs *v, const char *n, int cap, char *out)
{
    return ROOT(v)->xFullPathname(ROOT(v), n, cap, out);
}
static void *v_dlopen(sqlite3_vfs *v, const char *n) { return ROOT(v)->xDlOpen(ROOT(v), n); }
static void v_dlerror(sqlite3_vfs *v, int n, char *msg) { ROOT(v)->xDlError(ROOT(v), n, msg); }
static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
    return ROOT(v)->xDlSym(ROOT(v), h, s);
}
static void v_dlclose(sqlite3_vfs *v, void *h) { ROOT(v)->xDlClose(ROOT(v), h); }
static int v_random(sqlite3_vfs *v, int n, char *out) { return ROOT(v)->xRandomness(ROOT(v), n, out); }
static int v_sleep(sqlite3_vfs *v, int us) { return ROOT(v)->xSleep(ROOT(v), us); }
static int v_time(sqlite3_vfs *v, double *t) { return ROOT(v)->xCurrentTime(ROOT(v), t); }
static int v_last_error(sqlite3_vfs *v, int n, char *s)
{
    return ROOT(v)->xGetLastError(ROOT(v), n, s);
}
static int v_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
    return ROOT(v)->xCurrentTimeInt64(ROOT(v), t);
}

static sqlite3_vfs crypt_vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered_rc = SQLITE_ERROR;

static void register_vfs(void)
{
    sqlite3_vfs *root = sqlite3_vfs_find(NULL);
    if (!root || root->iVersion < 2 || sodium_init() < 0)
        return;
    crypt_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(cfile) + root->szOsFile,
        .mxPathname = root->mxPathname,
        .zName = WARD_CRYPT_VFS,
        .pAppData = root,
        .xOpen = x_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full,
        .xDlOpen = v_dlopen,
        .xDlError = v_dlerror,
        .xDlSym = v_dlsym,
        .xDlClose = v_dlclose,
        .xRandomness = v_random,
        .xSleep = v_sleep,
        .xCurrentTime = v_time,
        .xGetLastError = v_last_error,
        .xCurrentTimeInt64 = v_time64,
    };
    registered_rc = sqlite3_vfs_register(&crypt_vfs, 0);
}

static ward_status vfs_ready(ward_error *err)
{
    pthread_once(&once, register_vfs);
    return registered_rc == SQLITE_OK
               ? WARD_OK
               : err_fail(err, WARD_EINTERNAL, "cannot register the encryption VFS");
}

/* ---- refusals, for error messages ------------------------------------------ */

static const cfile *ours(sqlite3 *db, int op)
{
    sqlite3_file *p = NULL;
    if (sqlite3_file_control(db, "main", op, &p) != SQLITE_OK || !p || p->pMethods != &methods)
        return NULL;
    const cfile *f = (const cfile *)p;
    return f->bad_off >= 0 ? f : NULL;
}

const char *wst_crypt_failure(sqlite3 *db, char *buf, size_t cap)
{
    const cfile *f = ours(db, SQLITE_FCNTL_FILE_POINTER);
    if (f) {
        snprintf(buf, cap, "page %lld %s", (long long)(f->bad_off / PAGE + 1), f->bad_why);
        return buf;
    }
    if ((f = ours(db, SQLITE_FCNTL_JOURNAL_POINTER)) && f->kind == K_WAL)
        snprintf(buf, cap, "WAL frame %lld %s",
                 (long long)((f->bad_off - WAL_HDR) / WAL_FRAME + 1), f->bad_why);
    else if (f)
        snprintf(buf, cap, "journal record at byte %lld %s", (long long)f->bad_off, f->bad_why);
    else if (sqlite3_extended_errcode(db) == SQLITE_IOERR_DATA)   /* only this VFS says so */
        snprintf(buf, cap, "a page of the file, its journal or its WAL failed "
                           "authentication (tampered or damaged)");
    else
        return NULL;
    return buf;
}

/* ---- opening ------------------------------------------------------------ */

ward_status wst_crypt_probe(const char *path, const unsigned char *key, wst_crypt_kind *kind,
                             int *key_matches, ward_error *err)
{
    unsigned char head[PREFIX];
    sqlite3_int64 n = 0;
    *key_matches = 0;
    /* Read through SQLite's own VFS, never with open()/close(): closing a
     * descriptor of a file drops every POSIX lock this process holds on it,
     * so a serving process probing a file its connections have open would
     * let another process delete their WAL (issue 16 item 13). SQLite
     * keeps such a descriptor open until its last lock is gone. */
    sqlite3 *db = NULL;
    sqlite3_file *f = NULL;
    int r = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f);
    if (r == SQLITE_OK && f && f->pMethods)
        r = f->pMethods->xFileSize(f, &n);
    if (r == SQLITE_OK && n > 0 && f && f->pMethods) {
        r = f->pMethods->xRead(f, head, sizeof head, 0);
        if (r == SQLITE_IOERR_SHORT_READ) {
            r = SQLITE_OK;
            n = n < PREFIX ? n : PREFIX;
        }
    }
    ward_status rc = r == SQLITE_OK ? WARD_OK
                                    : err_fail(err, WARD_EIO, "cannot read %s: %s", path,
                                                db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    if (rc)
        return rc;
    if (n > PREFIX)
        n = PREFIX;
    if (n == 0)
        *kind = WARD_CRYPT_EMPTY;
    else if (n == PREFIX && !memcmp(head, sqlite_magic, PREFIX))
        *kind = WARD_CRYPT_PLAIN;
    else if (n == PREFIX && !memcmp(head, magic, 8)) {
        *kind = WARD_CRYPT_ENCRYPTED;
        if (key) {
            unsigned char page_key[32], kid[8];
            derive(key, page_key, kid);
            *key_matches = !sodium_memcmp(kid, head + 8, 8);
            sodium_memzero(page_key, sizeof page_key);
        }
    } else
        *kind = WARD_CRYPT_OTHER;
    return WARD_OK;
}

char *wst_crypt_uri(const char *path, const char *vfs, const unsigned char *key)
{
    size_t n = strlen(path);
    char *uri = malloc(3 * n + strlen(vfs) + 2 * WARD_CRYPT_KEY_BYTES + 64), *o = uri;
    if (!uri)
        return NULL;
    o += sprintf(o, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    o += sprintf(o, "?vfs=%s", vfs);
    if (key) {
        o += sprintf(o, "&key=");
        sodium_bin2hex(o, 2 * WARD_CRYPT_KEY_BYTES + 1, key, WARD_CRYPT_KEY_BYTES);
    }
    return uri;
}

static ward_status refuse_kind(const char *path, const unsigned char *key, wst_crypt_kind kind,
                               int matches, ward_error *err)
{
    if (!key && kind == WARD_CRYPT_ENCRYPTED)
        return err_fail(err, WARD_EINVAL,
                         "%s is encrypted: give its key with --key-file FILE "
                         "(or WARD_INTEL_KEY_FILE)", path);
    if (key && kind == WARD_CRYPT_PLAIN)
        return err_fail(err, WARD_EINVAL,
                         "%s is not encrypted: convert it with 'ward intel encrypt "
                         "--key-file FILE' first", path);
    if (key && kind == WARD_CRYPT_ENCRYPTED && !matches)
        return err_fail(err, WARD_EFORMAT, "%s: wrong key (the file was encrypted with "
                                            "another key)", path);
    if (key && kind == WARD_CRYPT_OTHER)
        return err_fail(err, WARD_EFORMAT, "%s is not a ward encrypted database", path);
    return WARD_OK;
}

static ward_status sql_fail(sqlite3 *db, const char *path, const char *what, ward_error *err)
{
    char detail[160];
    const char *why = wst_crypt_failure(db, detail, sizeof detail);
    return err_fail(err, WARD_EFORMAT, "%s: %s: %s", path, what,
                     why ? why : sqlite3_errmsg(db));
}

ward_status wst_crypt_open(const char *path, const unsigned char *key, sqlite3 **db,
                            ward_error *err)
{
    *db = NULL;
    wst_crypt_kind kind;
    int matches;
    ward_status rc = wst_crypt_probe(path, key, &kind, &matches, err);
    if (!rc)
        rc = refuse_kind(path, key, kind, matches, err);
    if (!rc && key)
        rc = vfs_ready(err);
    if (rc)
        return rc;
    if (!key) {
        if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
            return WARD_OK;
        rc = err_fail(err, WARD_EIO, "%s: open: %s", path, sqlite3_errmsg(*db));
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    char *uri = wst_crypt_uri(path, WARD_CRYPT_VFS, key);
    if (!uri)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    int orc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
    sodium_memzero(uri, strlen(uri));
    free(uri);
    /* The layout must be fixed before the first page is written: 4096-byte
     * pages with 40 reserve bytes (no effect on an existing file). */
    int reserve = RESERVE;
    /* SQLite reads page 1's header while opening: a refusal shows here. */
    if (orc != SQLITE_OK && sqlite3_extended_errcode(*db) == SQLITE_IOERR_DATA)
        rc = err_fail(err, WARD_EFORMAT, "%s: open: page 1 failed authentication "
                                          "(tampered or damaged)", path);
    else if (orc != SQLITE_OK)
        rc = err_fail(err, WARD_EIO, "%s: open: %s", path, sqlite3_errmsg(*db));
    else if (sqlite3_exec(*db, "PRAGMA page_size = 4096; PRAGMA temp_store = MEMORY", NULL, NULL,
                          NULL) != SQLITE_OK)
        rc = sql_fail(*db, path, "open", err);
    else if (sqlite3_file_control(*db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) !=
             SQLITE_OK)
        rc = err_fail(err, WARD_EINTERNAL, "%s: cannot reserve room for encryption", path);
    else if (sqlite3_exec(*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
             SQLITE_OK)   /* reads page 1: a wrong key or tampering shows here */
        rc = sql_fail(*db, path, "open", err);
    if (rc) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}
