/*
 * bench_victim: retroactive matching at national scale (issue 23 item 5:
 * 10 million stored scan-file hashes re-matched against a 100,000-entry
 * change in under 60 s on 2 cores). Fills a fresh store's register with N
 * sightings (default 10,000,000: SHA-256, SHA-1, MD5, and a PDQ for the
 * share given, default all), imports a change of M entries (default
 * 100,000; some equal to sightings by digest, some a few PDQ bits from one),
 * then times ward_victim_rematch and, as a yardstick in the same run, a
 * plain read of every sighting's hashes (the floor any rematch pays).
 *
 *   bench_victim [sightings (10M)] [entries (100k)] [PDQ share % (100)]
 */
#include "victim/victim_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli/store_env.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void random_bytes(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = next();
        memcpy(b + i, &v, n - i < 8 ? n - i : 8);
    }
}

static void die(const char *what, const ward_error *err)
{
    fprintf(stderr, "bench_victim: %s: %s\n", what, err->message);
    exit(1);
}

/* the hashes of sighting i, reproducible (the change reuses some) */
typedef struct hashes {
    uint8_t sha256[32], sha1[20], md5[16], pdq[32];
} hashes;

static void hashes_of(uint64_t i, hashes *h)
{
    uint64_t keep = rng;
    rng = 0x9E3779B97F4A7C15ull * (i + 1) ^ 0xD1B54A32D192ED03ull;
    random_bytes(h->sha256, 32), random_bytes(h->sha1, 20), random_bytes(h->md5, 16);
    random_bytes(h->pdq, 32);
    rng = keep;
}

static int count_row(void *ctx, wsql_stmt *st)
{
    uint8_t d[32];
    const char *t = wst_text(st, 1);
    if (t && strlen(t) == 64 && ward_unhex(t, 64, d, 32) == WARD_OK)
        ++*(uint64_t *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint64_t m = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000;
    unsigned pdq_pct = argc > 3 ? (unsigned)atoi(argv[3]) : 100;
    char dir[] = "/tmp/bench-victim-XXXXXX";
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    ward_store *s;
    ward_error err = {0};
    if (ward_store_open(dir, store_env_default(), 0, &s, &err))
        die("open", &err);
    /* Filling is not what is measured: no fsync, and without the register's
     * digest indexes (random B-tree inserts made the fill take minutes per
     * million rows here), which the rematch does not use: it reads the
     * sightings in id order. */
    if (wst_exec(s, "PRAGMA synchronous = OFF; DROP INDEX sightings_sha256;"
                    " DROP INDEX sightings_md5; DROP INDEX sightings_scan;", &err))
        die("pragma", &err);

    /* ---- the register ---- */
    double t0 = now_s();
    wsql_stmt *st;
    if (wst_exec(s, "BEGIN IMMEDIATE", &err) ||
        wst_prepare(s,
                    "INSERT INTO sightings(unit, case_ref, contact, scan, class, sha256, sha1,"
                    " md5, pdq, at) VALUES (?, ?, 'x@example.org', 'bench', ?, ?, ?, ?, ?,"
                    " '2026-01-01T00:00:00.000Z')",
                    &st, &err))
        die("prepare", &err);
    for (uint64_t i = 0; i < n; i++) {
        hashes h;
        hashes_of(i, &h);
        char unit[16], cs[16], x256[65], x1[41], x5[33], xq[65];
        snprintf(unit, sizeof unit, "Unit %u", (unsigned)(i % 40));
        snprintf(cs, sizeof cs, "C-%u", (unsigned)(i / 5000));
        ward_hex(h.sha256, 32, x256), ward_hex(h.sha1, 20, x1), ward_hex(h.md5, 16, x5);
        ward_hex(h.pdq, 32, xq);
        wsql_bind_text(st, 1, unit, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 2, cs, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 3, i % 10 ? "new-image" : "near", -1, SQLITE_STATIC);
        wsql_bind_text(st, 4, x256, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 5, x1, -1, SQLITE_TRANSIENT);
        wsql_bind_text(st, 6, x5, -1, SQLITE_TRANSIENT);
        if (i % 100 < pdq_pct)
            wsql_bind_text(st, 7, xq, -1, SQLITE_TRANSIENT);
        else
            wsql_bind_null(st, 7);
        if (wsql_step(st) != SQLITE_DONE)
            return fprintf(stderr, "insert: %s\n", wsql_errmsg(s->db)), 1;
        wsql_reset(st);
    }
    wsql_finalize(st);
    if (wst_exec(s, "COMMIT", &err))
        die("commit", &err);
    double fill = now_s() - t0;

    /* ---- the change: m entries, 100 equal by SHA-256 to sightings, 100 a
     * few PDQ bits from one, the rest random ---- */
    char csv[sizeof dir + 16];
    snprintf(csv, sizeof csv, "%s/change.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "sha256,pdq,quality,category\n");
    for (uint64_t i = 0; i < m; i++) {
        uint8_t d[32], q[32];
        char x256[65], xq[65];
        random_bytes(d, 32), random_bytes(q, 32);
        if (i < 100 && n) {
            hashes h;
            hashes_of(next() % n, &h);
            memcpy(d, h.sha256, 32);
        } else if (i < 200 && n && pdq_pct) {
            hashes h;
            uint64_t k;
            do
                k = next() % n;
            while (k % 100 >= pdq_pct);
            hashes_of(k, &h);
            memcpy(q, h.pdq, 32);
            q[3] ^= 0x5a, q[17] ^= 0x81;   /* 6 bits away */
        }
        ward_hex(d, 32, x256), ward_hex(q, 32, xq);
        fprintf(f, "%s,%s,90,1\n", x256, xq);
    }
    fclose(f);
    ward_import_summary sum;
    /* the change arrives after the watermark: rematch from the store as it was */
    int64_t before = 0;
    if (wst_query_int(s, "SELECT coalesce(max(id), 0) FROM entries", &before, &err))
        die("max", &err);
    if (ward_store_import(s, csv, WARD_FMT_CSV, "change", NULL, &sum, &err))
        die("import", &err);

    /* ---- yardstick: read every sighting's SHA-256 once ---- */
    double y0 = now_s(), yc0 = cpu_s();
    uint64_t rows = 0;
    if (wst_prepare(s, "SELECT id, sha256, sha1, md5, pdq FROM sightings ORDER BY id", &st, &err) ||
        wst_each_row(s, st, count_row, &rows, "read", &err))
        die("yardstick", &err);
    double yw = now_s() - y0, yc = cpu_s() - yc0;

    /* ---- the rematch ---- */
    ward_victim_rematch_opts o;
    ward_victim_rematch_opts_default(&o);
    o.since_entry = before;
    ward_victim_rematch_summary rs;
    double r0 = now_s(), rc0 = cpu_s();
    if (ward_victim_rematch(s, &o, NULL, NULL, &rs, &err))
        die("rematch", &err);
    double rw = now_s() - r0, rc = cpu_s() - rc0;

    printf("register: %" PRIu64 " sightings (%u%% with a PDQ), filled in %.1f s\n", n, pdq_pct,
           fill);
    printf("change: %" PRIu64 " entries imported (%" PRIu64 " added)\n", m, sum.added);
    printf("yardstick: read %" PRIu64 " sightings' hashes: %.2f s wall, %.2f s CPU\n", rows, yw,
           yc);
    printf("rematch: %" PRIu64 " sightings x %" PRIu64 " new entries: %" PRIu64
           " hits, %.2f s wall, %.2f s CPU (target < 60 s)\n",
           rs.sightings, rs.new_entries, rs.hits, rw, rc);
    ward_store_close(s);
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0;
}
