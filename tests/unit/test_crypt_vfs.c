/* The "ward-aead" VFS (src/store/crypt_vfs.c): round trips in WAL and
 * rollback mode, no plaintext in the database, WAL or journal while a
 * transaction is open or after, and refusals: no key, wrong key, a
 * tampered byte, swapped pages, a plaintext file. */
#include "testutil.h"

#include "store/crypt.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fake person: a name no real data contains. */
#define FAKE "Quillon Fakenby-Zarquette"

typedef struct fx {
    char *dir, path[96];
    unsigned char key[WARD_CRYPT_KEY_BYTES], other[WARD_CRYPT_KEY_BYTES];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = scratch_dir("ward-crypt");
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    close(open(f->path, O_RDWR | O_CREAT, 0600));
    for (int i = 0; i < WARD_CRYPT_KEY_BYTES; i++)
        f->key[i] = (unsigned char)(i + 1), f->other[i] = (unsigned char)(200 - i);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    scratch_remove(f->dir);
    free(f);
    return 0;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static sqlite3 *open_enc(const fx *f, const unsigned char *key)
{
    sqlite3 *db = NULL;
    ward_error err = {0};
    if (wst_crypt_open(f->path, key, &db, &err) != WARD_OK)
        fail_msg("open: %s", err.message);
    return db;
}

/* Whether the file path+suffix holds FAKE anywhere (absent file: no). */
static int leaks(const fx *f, const char *suffix)
{
    char p[128];
    snprintf(p, sizeof p, "%s%s", f->path, suffix);
    FILE *fp = fopen(p, "rb");
    if (!fp)
        return 0;
    fclose(fp);
    size_t n;
    uint8_t *b = read_file_or_fail(p, &n);
    int found = memmem(b, n, FAKE, strlen(FAKE)) != NULL || memmem(b, n, "Fakenby", 7) != NULL;
    free(b);
    return found;
}

static int exists(const fx *f, const char *suffix)
{
    char p[128];
    snprintf(p, sizeof p, "%s%s", f->path, suffix);
    return access(p, F_OK) == 0;
}

static void no_leaks(const fx *f)
{
    assert_false(leaks(f, ""));
    assert_false(leaks(f, "-wal"));
    assert_false(leaks(f, "-journal"));
}

static void fill(sqlite3 *db, int from, int to)
{
    char sql[256];
    for (int i = from; i < to; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO people(name, note) VALUES('%s %d', "
                                  "printf('%%.300c', 'x'))", FAKE, i);
        exec_ok(db, sql);
    }
}

/* Create, fill, change inside an open transaction (the cache kept small
 * so pages spill), look at the raw files then and after, reopen. */
static void roundtrip(void **state, const char *mode)
{
    fx *f = *state;
    sqlite3 *db = open_enc(f, f->key);
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode = %s", mode);
    exec_ok(db, sql);
    exec_ok(db, "PRAGMA cache_size = 4; CREATE TABLE people(name TEXT, note TEXT);"
                "CREATE INDEX people_name ON people(name)");
    exec_ok(db, "BEGIN");
    fill(db, 0, 300);
    exec_ok(db, "COMMIT; BEGIN; UPDATE people SET note = note || 'y'");
    fill(db, 300, 400);
    assert_true(exists(f, strcmp(mode, "WAL") ? "-journal" : "-wal"));
    no_leaks(f);
    exec_ok(db, "COMMIT");
    no_leaks(f);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    no_leaks(f);
    db = open_enc(f, f->key);
    assert_int_equal(query_int(db, "SELECT count(*) FROM people WHERE name LIKE '%Fakenby%'"),
                     400);
    assert_int_equal(query_int(db, "SELECT count(*) FROM people WHERE note LIKE '%y'"), 300);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_integrity_check "
                                   "WHERE integrity_check = 'ok'"), 1);
    assert_int_equal(query_int(db, "PRAGMA page_size"), 4096);
    /* VACUUM rebuilds every page (in memory: temp_store) and keeps the
     * reserve bytes the encryption needs. */
    exec_ok(db, "DELETE FROM people WHERE rowid % 2 = 0; VACUUM");
    assert_int_equal(query_int(db, "SELECT count(*) FROM people"), 200);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_integrity_check "
                                   "WHERE integrity_check = 'ok'"), 1);
    no_leaks(f);
    sqlite3_close(db);
    no_leaks(f);
}

static void test_roundtrip_wal(void **state) { roundtrip(state, "WAL"); }
static void test_roundtrip_delete(void **state) { roundtrip(state, "DELETE"); }

/* A process killed (SIGKILL) in the middle of a transaction whose pages
 * have spilled to the database (rollback mode) or the WAL, after 100
 * committed rows: reopening replays the encrypted journal or recovers the
 * encrypted WAL, and exactly the committed rows are there. */
static void crash(void **state, const char *mode)
{
    fx *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db = NULL;
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA journal_mode = %s", mode);
        if (wst_crypt_open(f->path, f->key, &db, NULL) != WARD_OK ||
            sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "PRAGMA cache_size = 4; CREATE TABLE people(name TEXT, note TEXT)",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        fill(db, 0, 100);
        if (sqlite3_exec(db, "BEGIN; UPDATE people SET note = 'z'", NULL, NULL, NULL))
            _exit(1);
        fill(db, 100, 200);
        raise(SIGKILL);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_true(exists(f, strcmp(mode, "WAL") ? "-journal" : "-wal"));
    no_leaks(f);
    sqlite3 *db = open_enc(f, f->key);
    assert_int_equal(query_int(db, "SELECT count(*) FROM people"), 100);
    assert_int_equal(query_int(db, "SELECT count(*) FROM people WHERE note = 'z'"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_integrity_check "
                                   "WHERE integrity_check = 'ok'"), 1);
    sqlite3_close(db);
    no_leaks(f);
}

static void test_crash_wal(void **state) { crash(state, "WAL"); }
static void test_crash_delete(void **state) { crash(state, "DELETE"); }

/* The same crash, then a byte of the hot journal's first page altered:
 * the rollback is refused, naming the journal record, rather than
 * replaying a forged page. */
static void test_crash_tampered_journal(void **state)
{
    fx *f = *state;
    char j[128];
    snprintf(j, sizeof j, "%s-journal", f->path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db = NULL;
        if (wst_crypt_open(f->path, f->key, &db, NULL) != WARD_OK ||
            sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA cache_size = 4;"
                             "CREATE TABLE people(name TEXT, note TEXT)", NULL, NULL, NULL))
            _exit(1);
        fill(db, 0, 100);
        sqlite3_exec(db, "BEGIN; UPDATE people SET note = 'z'", NULL, NULL, NULL);
        raise(SIGKILL);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    int fd = open(j, O_RDWR);
    assert_true(fd >= 0);
    uint8_t x;
    assert_int_equal(pread(fd, &x, 1, 512 + 4 + 700), 1);   /* header sector, page number */
    x ^= 0x10;
    assert_int_equal(pwrite(fd, &x, 1, 512 + 4 + 700), 1);
    close(fd);
    sqlite3 *db = NULL;
    ward_error err = {0};
    if (wst_crypt_open(f->path, f->key, &db, &err) == WARD_OK) {
        int rc = sqlite3_exec(db, "SELECT count(*) FROM people", NULL, NULL, NULL);
        char why[160];
        if (rc == SQLITE_OK || !wst_crypt_failure(db, why, sizeof why) ||
            !strstr(why, "authentication"))
            fail_msg("rc %d: %s", rc, sqlite3_errmsg(db));
        sqlite3_close(db);
    } else if (!strstr(err.message, "authentication"))
        fail_msg("%s", err.message);
    assert_true(exists(f, "-journal"));   /* kept for a person to look at */
}

/* A closed database of several pages under f->key. */
static void make_db(fx *f)
{
    sqlite3 *db = open_enc(f, f->key);
    exec_ok(db, "PRAGMA journal_mode = WAL; CREATE TABLE people(name TEXT, note TEXT)");
    fill(db, 0, 60);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_false(exists(f, "-wal"));
}

static void test_no_key_wrong_key(void **state)
{
    fx *f = *state;
    make_db(f);
    sqlite3 *db = NULL;
    ward_error err = {0};
    assert_int_equal(wst_crypt_open(f->path, NULL, &db, &err), WARD_EINVAL);
    assert_null(db);
    assert_non_null(strstr(err.message, f->path));
    assert_non_null(strstr(err.message, "--key-file"));
    assert_int_equal(wst_crypt_open(f->path, f->other, &db, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "wrong key"));
    /* Past the early check, straight through the VFS: still refused when
     * SQLite reads the header. */
    char *uri = wst_crypt_uri(f->path, WARD_CRYPT_VFS, f->other);
    assert_int_equal(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL),
                     SQLITE_IOERR);
    assert_int_equal(sqlite3_extended_errcode(db), SQLITE_IOERR_DATA);
    free(uri);
    sqlite3_close(db);
    /* The plain default VFS sees no SQLite file at all. */
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_exec(db, "SELECT * FROM people", NULL, NULL, NULL) != SQLITE_NOTADB)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void patch(const fx *f, long off, const void *bytes, size_t n)
{
    int fd = open(f->path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, n, off), (ssize_t)n);
    close(fd);
}

/* Opening succeeds (page 1 is whole); reading the table fails naming the
 * page. */
static void expect_refused_page(fx *f, const char *page)
{
    sqlite3 *db = open_enc(f, f->key);
    assert_int_not_equal(sqlite3_exec(db, "SELECT max(note) FROM people", NULL, NULL, NULL),
                         SQLITE_OK);
    char why[160];
    assert_non_null(wst_crypt_failure(db, why, sizeof why));
    assert_non_null(strstr(why, page));
    assert_non_null(strstr(why, "authentication"));
    sqlite3_close(db);
}

static void test_tampered_byte(void **state)
{
    fx *f = *state;
    make_db(f);
    size_t n;
    uint8_t *b = read_file_or_fail(f->path, &n);
    assert_true(n >= 4 * 4096);
    uint8_t x = b[2 * 4096 + 1000] ^ 0x01;
    free(b);
    patch(f, 2 * 4096 + 1000, &x, 1);
    expect_refused_page(f, "page 3 ");
}

static void test_swapped_pages(void **state)
{
    fx *f = *state;
    make_db(f);
    size_t n;
    uint8_t *b = read_file_or_fail(f->path, &n);
    patch(f, 2 * 4096, b + 3 * 4096, 4096);
    patch(f, 3 * 4096, b + 2 * 4096, 4096);
    free(b);
    expect_refused_page(f, "page 3 ");
}

static void test_tampered_header(void **state)
{
    fx *f = *state;
    make_db(f);
    /* Flip a bit rather than write a constant: the ciphertext is random, so
     * a constant would equal the byte already there once in 256 runs and the
     * "tampered" file would open (CI saw it). */
    size_t n;
    uint8_t *b = read_file_or_fail(f->path, &n);
    assert_true(n > 40);
    uint8_t x = b[40] ^ 0x01;
    free(b);
    patch(f, 40, &x, 1);   /* inside page 1's encrypted SQLite header */
    sqlite3 *db = NULL;
    ward_error err = {0};
    assert_int_not_equal(wst_crypt_open(f->path, f->key, &db, &err), WARD_OK);
    if (!strstr(err.message, "page 1"))
        fail_msg("%s", err.message);
}

/* A page in the WAL altered while another connection holds the WAL open
 * (no recovery: the frame is read as a page): refused, naming the frame.
 * The last frame holds the newest copy of its page, so it is read. */
static void test_tampered_wal(void **state)
{
    fx *f = *state;
    sqlite3 *a = open_enc(f, f->key);
    exec_ok(a, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
               "CREATE TABLE people(name TEXT, note TEXT)");
    fill(a, 0, 40);
    assert_true(exists(f, "-wal"));
    assert_false(leaks(f, "-wal"));
    char wal[128];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    int fd = open(wal, O_RDWR);
    off_t frames = (lseek(fd, 0, SEEK_END) - 32) / (24 + 4096);
    off_t at = 32 + (frames - 1) * (24 + 4096) + 24 + 500;   /* the last frame's page */
    uint8_t x;
    assert_true(frames > 3);
    assert_int_equal(pread(fd, &x, 1, at), 1);
    x ^= 0x04;
    assert_int_equal(pwrite(fd, &x, 1, at), 1);
    close(fd);
    char frame[32];
    snprintf(frame, sizeof frame, "WAL frame %lld ", (long long)frames);
    sqlite3 *b = open_enc(f, f->key);
    int rc = sqlite3_exec(b, "SELECT max(note) FROM people", NULL, NULL, NULL);
    char why[160];
    if (rc == SQLITE_OK || !wst_crypt_failure(b, why, sizeof why) ||
        !strstr(why, frame))
        fail_msg("rc %d: %s", rc, sqlite3_errmsg(b));
    sqlite3_close(b);
    sqlite3_close(a);
}

/* A plaintext database: refused with a key until converted; then every
 * row is there and no name is left in clear. */
static void test_convert(void **state)
{
    fx *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA user_version = 7;"
                "CREATE TABLE people(name TEXT, note TEXT); CREATE INDEX pn ON people(name);"
                "CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);"
                "INSERT INTO seq(v) VALUES('a'), ('b'), ('c'); DELETE FROM seq WHERE id = 3");
    fill(db, 0, 50);
    ward_error err = {0};
    sqlite3 *enc = NULL;
    assert_int_equal(wst_crypt_open(f->path, f->key, &enc, &err), WARD_EINVAL);
    assert_non_null(strstr(err.message, "not encrypted"));
    sqlite3_close(db);
    assert_true(leaks(f, ""));
    if (wst_crypt_convert(f->path, f->key, &err) != WARD_OK)
        fail_msg("convert: %s", err.message);
    no_leaks(f);
    db = open_enc(f, f->key);
    assert_int_equal(query_int(db, "SELECT count(*) FROM people"), 50);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 7);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'pn'"), 1);
    exec_ok(db, "INSERT INTO seq(v) VALUES('d')");   /* the counter came along: id 4, not 3 */
    assert_int_equal(query_int(db, "SELECT max(id) FROM seq"), 4);
    sqlite3_close(db);
    assert_int_equal(wst_crypt_convert(f->path, f->key, &err), WARD_EINVAL);
    assert_non_null(strstr(err.message, "already encrypted"));
}

static void test_key_files(void **state)
{
    fx *f = *state;
    char kf[128], inside[128];
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    ward_error err = {0};
    snprintf(kf, sizeof kf, "%s/k.key", f->dir);
    snprintf(inside, sizeof inside, "%s/data", f->dir);
    mkdir(inside, 0700);
    assert_int_equal(wst_crypt_key_generate(kf, inside, &err), WARD_OK);
    assert_int_equal(wst_crypt_key_read(kf, inside, key, &err), WARD_OK);
    assert_int_not_equal(wst_crypt_key_generate(kf, inside, &err), WARD_OK);   /* exists */
    assert_int_equal(wst_crypt_key_read(kf, f->dir, key, &err), WARD_EINVAL);  /* inside */
    assert_non_null(strstr(err.message, "inside the data directory"));
    chmod(kf, 0640);
    assert_int_equal(wst_crypt_key_read(kf, inside, key, &err), WARD_EINVAL);
    assert_non_null(strstr(err.message, "group or others"));
    snprintf(kf, sizeof kf, "%s/data/k.key", f->dir);
    assert_int_equal(wst_crypt_key_generate(kf, inside, &err), WARD_EINVAL);
    assert_int_equal(wst_crypt_key_read(f->dir, NULL, key, &err), WARD_EINVAL); /* a dir */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_tampered_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_key_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
