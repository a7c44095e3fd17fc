/*
 * Fuzz target: referral intake (`ward intel ingest`, src/intel/intake*.c).
 * Referral lists come from outside agencies and platforms, so the whole
 * path is fuzzed as the command runs it: the input becomes a file ingested
 * into an intel store (with a hash-set store for file-hash lookups).
 *
 * The first byte chooses how the rest is read:
 *   bits 0-1  format: auto-detect, CSV, JSON, XML
 *   bit 2     CSV column mapping (COLUMNS below) instead of names
 *   bit 3     international list      bit 4  bulk operation
 * After each input every table of intel.db is emptied (row ids restart),
 * so each input meets the same empty store and a run is deterministic.
 */
#include "fuzztmp.h"
#include "intel/intel_int.h"

#include <ward/store.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char COLUMNS[] = "ref=Ref,name=Full Name,email=E-mail,phone=Tel,ip=Address,"
                              "ip_time=When,ip_zone=TZ,file_md5=MD5,typology=Kind";

static ward_intel *intel;
static ward_store *store;
static char input_path[160];
static char *reset_sql;

static void cleanup(void)
{
    ward_intel_close(intel);
    ward_store_close(store);
    free(reset_sql);
}

/* "BEGIN; DELETE FROM t; ...; COMMIT" over every table intel.db has, with
 * foreign keys off meanwhile (the order of the tables is not theirs). */
static char *reset_statement(void)
{
    wsql_stmt *st;
    if (wsql_prepare_v2(intel->db, "SELECT name FROM sqlite_master WHERE type = 'table'"
                                   " AND name NOT LIKE 'sqlite_%'", -1, &st, NULL))
        return NULL;
    size_t cap = 8192, len = 0;
    char *sql = malloc(cap);
    if (sql)
        len = (size_t)snprintf(sql, cap, "PRAGMA foreign_keys=OFF;BEGIN;");
    while (sql && wsql_step(st) == SQLITE_ROW && len < cap - 200)
        len += (size_t)snprintf(sql + len, cap - len, "DELETE FROM \"%s\";",
                                (const char *)wsql_column_text(st, 0));
    wsql_finalize(st);
    if (sql)
        snprintf(sql + len, cap - len, "COMMIT;PRAGMA foreign_keys=ON;");
    return sql;
}

/* A store holding the md5 that the seed referrals name as a file. */
static void open_store(const char *datadir)
{
    char list[192];
    ward_error err;
    fuzztmp_path(list, sizeof list, "known.txt");
    static const char SUMS[] = "5d41402abc4b2a76b9719d911017c592  upload1.jpg\n";
    ward_import_summary sum;
    if (ward_store_open(datadir, NULL, 0, &store, &err) != WARD_OK ||
        fuzztmp_write(list, SUMS, sizeof SUMS - 1) != 0 ||
        ward_store_import(store, list, WARD_FMT_AUTO, "known", NULL, &sum, &err) != WARD_OK) {
        fprintf(stderr, "fuzz_referral: %s\n", err.message);
        abort();
    }
}

static void setup(void)
{
    if (intel)
        return;
    char datadir[160];
    fuzztmp_make("referral");
    fuzztmp_path(datadir, sizeof datadir, "data");
    fuzztmp_path(input_path, sizeof input_path, "referrals");
    open_store(datadir);
    ward_error err;
    if (ward_intel_open(datadir, NULL, &intel, &err) != WARD_OK) {
        fprintf(stderr, "fuzz_referral: %s\n", err.message);
        abort();
    }
    if (!(reset_sql = reset_statement()))
        abort();
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    setup();
    uint8_t how = data[0];
    if (fuzztmp_write(input_path, data + 1, size - 1) != 0)
        return 0;
    ward_intel_ingest_opts o = {
        .source = "fuzz",
        .format = (ward_intel_format)(how & 3),
        .columns = how & 4 ? COLUMNS : NULL,
        .international = !!(how & 8),
        .bulk = how & 16 ? 1 : -1,
        .received = "2026-03-01T00:00:00Z",
        .now = 1772323200, /* 2026-03-01: a fixed clock, so ages are too */
    };
    ward_intel_ingest_summary sum;
    ward_error err;
    (void)ward_intel_ingest(intel, input_path, &o, store, &sum, &err);
    char *why = NULL;
    if (wsql_exec(intel->db, reset_sql, NULL, NULL, &why) != SQLITE_OK) {
        fprintf(stderr, "fuzz_referral: cannot empty intel.db: %s\n", why);
        abort();
    }
    return 0;
}
