/*
 * bench_import: generate a synthetic VICS 2.0 hash-set file (random digests,
 * fake names) and time ward's import of it into a fresh store, then the
 * re-import (all duplicates), a VICS export, the index walk and lookups.
 * Prints the figures and the process's peak RSS (getrusage).
 *
 *   bench_import [records (1000000)] [work dir (/tmp)] [--keep]
 *
 * Targets (issue): 1M records in < 30 s, < 300 MB peak RSS.
 */
#include <ward/store.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli/store_env.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void hex(char *out, size_t digits, int upper)
{
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < digits; i += 16) {
        uint64_t v = next();
        for (size_t k = 0; k < 16 && i + k < digits; k++, v >>= 4)
            out[i + k] = d[v & 15];
    }
    out[digits] = 0;
}

/* Shaped like a national VICS hash-set file: MediaID, Category, upper-case
 * MD5, SHA1, MediaSize, DateUpdated, IsPrecategorized, plus some records
 * with SHA256, series, victim flag and EXIF metadata. */
static int generate(const char *path, long n, char first_md5[33])
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
          "Default/$metadata#Media\",\"value\":[\n", f);
    for (long i = 0; i < n; i++) {
        char md5[33], sha1[41], sha256[65];
        hex(md5, 32, 1);
        hex(sha1, 40, 1);
        if (i == 0)
            memcpy(first_md5, md5, 33);
        uint64_t r = next();
        int cat = (int)(r % 5);
        fprintf(f, "%s{\"MediaID\":%ld,\"Category\":", i ? "," : "", i + 1);
        if (cat == 4)
            fputs("null", f);
        else
            fprintf(f, "%d", cat);
        fprintf(f, ",\"MD5\":\"%s\",\"SHA1\":\"%s\",\"MediaSize\":%" PRIu64
                   ",\"DateUpdated\":\"2023-06-%02dT02:31:49.8300Z\",\"IsPrecategorized\":true",
                md5, sha1, (r >> 8) % 10000000, (int)((r >> 40) % 28) + 1);
        if (i % 4 == 0) {
            hex(sha256, 64, 0);
            fprintf(f, ",\"SHA256\":\"%s\"", sha256);
        }
        if (i % 10 == 0)
            fprintf(f, ",\"Series\":\"synthetic-series-%d\",\"VictimIdentified\":\"%s\"",
                    (int)((r >> 20) % 500), (r >> 30) & 1 ? "true" : "false");
        if (i % 3 == 0)
            fprintf(f, ",\"Name\":\"sample-%07ld.jpg\",\"Exifs\":[{\"PropertyName\":\"Make\","
                       "\"PropertyValue\":\"none\"},{\"PropertyName\":\"Width\","
                       "\"PropertyValue\":\"640\"}]",
                    i);
        fputs("}\n", f);
    }
    fputs("]}\n", f);
    return fclose(f);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static int count_cb(void *ctx, uint64_t id, const ward_digests *d, const ward_pdq *p)
{
    (void)id; (void)d; (void)p;
    ++*(uint64_t *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    long n = 1000000;
    const char *base = "/tmp";
    int keep = 0;
    for (int i = 1, pos = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (pos++ == 0)
            n = atol(argv[i]);
        else
            base = argv[i];
    }
    if (n <= 0) {
        fprintf(stderr, "usage: bench_import [records] [work dir] [--keep]\n");
        return 2;
    }
    char dir[4096], json[4200], store[4200];
    snprintf(dir, sizeof dir, "%s/ward-bench-import-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 1;
    }
    snprintf(json, sizeof json, "%s/vics2-%ld.json", dir, n);
    snprintf(store, sizeof store, "%s/store", dir);

    char first_md5[33];
    double t0 = now();
    if (generate(json, n, first_md5) != 0) {
        perror(json);
        return 1;
    }
    struct stat st;
    stat(json, &st);
    double mb = (double)st.st_size / 1e6;
    printf("generated   %ld records, %.1f MB VICS 2.0 JSON in %.1f s (%s)\n", n, mb,
           now() - t0, json);
    long rss_gen = peak_rss_kb();

    ward_store *s;
    ward_error err;
    if (ward_store_open(store, store_env_default(), 0, &s, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    ward_import_summary *sum = calloc(1, sizeof *sum);
    double c0 = cpu_s();
    t0 = now();
    if (ward_store_import(s, json, WARD_FMT_AUTO, "bench", NULL, sum, &err)) {
        fprintf(stderr, "import: %s\n", err.message);
        return 1;
    }
    double t_import = now() - t0, c_import = cpu_s() - c0;
    long rss_import = peak_rss_kb();
    printf("import      %.2f s (cpu %.2f s)  %.0f records/s  %.1f MB/s  added %" PRIu64
           " bad %" PRIu64 "  format %s\n",
           t_import, c_import, n / t_import, mb / t_import, sum->added, sum->bad, sum->format);
    printf("peak RSS    %.1f MB after import (%.1f MB before it)\n", rss_import / 1024.0,
           rss_gen / 1024.0);

    c0 = cpu_s();
    t0 = now();
    if (ward_store_import(s, json, WARD_FMT_AUTO, "bench", NULL, sum, &err)) {
        fprintf(stderr, "re-import: %s\n", err.message);
        return 1;
    }
    double t_reimport = now() - t0;
    printf("re-import   %.2f s (cpu %.2f s)  duplicate %" PRIu64 " added %" PRIu64 "\n",
           t_reimport, cpu_s() - c0, sum->duplicate, sum->added);

    FILE *null = fopen("/dev/null", "w");
    uint64_t written = 0;
    t0 = now();
    if (ward_store_export(s, null, WARD_FMT_VICS, NULL, &written, NULL, &err)) {
        fprintf(stderr, "export: %s\n", err.message);
        return 1;
    }
    printf("export vics %.2f s  %" PRIu64 " entries\n", now() - t0, written);
    fclose(null);

    uint64_t count = 0, rev = 0;
    t0 = now();
    if (ward_store_iterate(s, count_cb, &count, &rev, &err)) {
        fprintf(stderr, "iterate: %s\n", err.message);
        return 1;
    }
    printf("iterate     %.2f s  %" PRIu64 " entries (revision %" PRIu64 ")\n", now() - t0, count,
           rev);

    t0 = now();
    int found = 0;
    for (int i = 0; i < 10000; i++) {
        char q[33];
        hex(q, 32, 0);
        if (i == 0)
            memcpy(q, first_md5, 33);
        ward_entries *e;
        if (ward_store_lookup(s, q, 0, &e, &err) == WARD_OK) {
            found += e->count > 0;
            ward_entries_free(e);
        }
    }
    printf("lookup      %.1f us each (10000 MD5 lookups, %d hit)\n", (now() - t0) * 100.0, found);
    ward_store_close(s);
    stat(store, &st);
    char db[4300];
    snprintf(db, sizeof db, "%s/ward.db", store);
    stat(db, &st);
    long rss_end = peak_rss_kb();
    printf("store       %.1f MB on disk\n", st.st_size / 1e6);
    printf("peak RSS    %.1f MB overall\n", rss_end / 1024.0);
    printf("targets     import %s (%.1f s < 30 s for 1M), memory %s (%.1f MB < 300 MB)\n",
           t_import * 1e6 / n < 30.0 ? "ok" : "MISSED", t_import * 1e6 / n,
           rss_import / 1024.0 < 300 ? "ok" : "MISSED", rss_import / 1024.0);
    free(sum);
    if (!keep)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    else
        printf("kept        %s\n", dir);
    return 0;
}
