/*
 * Fuzz target: NSRL RDSv3 import. An RDS set is an SQLite file fetched
 * from outside, so the whole path is fuzzed as `ward db import` runs it:
 * the bytes become a database file, imported into a scratch store. SQLite
 * itself is hardened against corrupt files; what this exercises is ward's
 * side -- schema discovery, the digest-ordered query, row decoding, and
 * the store's import transaction and its rollback on failure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <ward/store.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One scratch folder and store for the whole run (opening a store
 * creates its schema: too slow to repeat per input). Removed at exit. */
static char dir[64];
static ward_store *store;

static void cleanup(void)
{
    ward_store_close(store);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static int setup(void)
{
    if (store)
        return 0;
    snprintf(dir, sizeof dir, "/tmp/fuzz-nsrl-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char data[96];
    snprintf(data, sizeof data, "%s/data", dir);
    ward_error err;
    if (ward_store_open(data, NULL, 0, &store, &err) != WARD_OK) {
        fprintf(stderr, "fuzz_nsrl: %s\n", err.message);
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (setup() != 0)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "%s/rds.db", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    size_t put = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || put != size)
        return 0;
    ward_import_summary sum;
    ward_error err;
    (void)ward_store_import(store, path, WARD_FMT_NSRL, "nsrl", NULL, &sum, &err);
    unlink(path);
    return 0;
}
