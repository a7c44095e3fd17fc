/*
 * bench_grade: grouping a scan's new images, and showing the next one.
 *
 *   bench_grade [--n N] [--dir DIR] [--image FILE] [--reps R] [--radius R]
 *
 * Grouping: writes DIR/files.jsonl with N new-image records (default
 * 100,000): 80% random PDQs, 20% in clusters of 2..16 near copies (1..20
 * bits from the centre, and every 5th copy stored mirrored: its original
 * hash appears only among the others' dihedral hashes). Then times
 * ward_grade_queue_load (read, exact groups, PDQ groups with dihedral
 * variants, order) against a yardstick in the same run: one pass of the
 * JSON-lines reader over the same file, which every use of files.jsonl pays.
 * Target: under 10 s for 100,000.
 *
 * Next item: with --image FILE (a benign picture, e.g. tests/data/pdq/
 * images/q0291.jpg), times what the page waits for when it shows an item:
 * re-read, SHA-256 verify, decode, greyscale thumbnail, JPEG (p50/p99 over
 * R runs). Target: under 50 ms.
 *
 * All PDQs are random numbers; nothing here is, or is derived from, an image.
 */
#include <ward/digest.h>
#include <ward/grade.h>
#include "scan/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_pdq(ward_pdq *p)
{
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = next();
        memcpy(p->b + i, &r, 8);
    }
}

static void flip(ward_pdq *p, int bits)
{
    for (int i = 0; i < bits; i++) {
        int b = (int)(next() % 256);
        p->b[b / 8] ^= (uint8_t)(1u << (b % 8));
    }
}

static void write_record(FILE *f, size_t seq, const ward_pdq *h, int nh)
{
    char hex[65];
    fprintf(f, "{\"seq\":%zu,\"path\":\"/ev/d%zu/img%zu.jpg\",\"class\":\"new-image\",\"size\":1000,"
               "\"sha256\":\"%064zx\",\"media\":\"jpeg\"",
            seq, seq / 100, seq, seq + 1);
    ward_pdq_to_hex(&h[0], hex);
    fprintf(f, ",\"pdq\":\"%s\",\"pdq_quality\":100,\"pdq_dihedral\":[", hex);
    for (int i = 1; i < nh; i++) {
        ward_pdq_to_hex(&h[i], hex);
        fprintf(f, "%s\"%s\"", i > 1 ? "," : "", hex);
    }
    fprintf(f, "]}\n");
}

static int count_line(void *ctx, yajl_val v)
{
    (void)v;
    ++*(size_t *)ctx;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench_thumb(const char *image, int reps)
{
    FILE *f = fopen(image, "rb");
    if (!f) return perror(image), 1;
    ward_digester *d = ward_digester_new(WARD_DIGEST_SHA256);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) ward_digester_update(d, buf, n);
    fclose(f);
    ward_digests dg;
    ward_digester_final(d, &dg);
    ward_digester_free(d);
    ward_grade_item it;
    memset(&it, 0, sizeof it);
    it.path = (char *)image;
    ward_digest_hex(&dg, WARD_DIGEST_SHA256, it.sha256);
    double *t = calloc((size_t)reps, sizeof *t);
    size_t bytes = 0;
    for (int i = 0; i < reps; i++) {
        uint8_t *jpeg;
        size_t len;
        ward_error err;
        double t0 = now();
        if (ward_grade_item_thumb(&it, 256, NULL, &jpeg, &len, &err) != WARD_OK)
            return fprintf(stderr, "thumb: %s\n", err.message), 1;
        t[i] = (now() - t0) * 1000;
        bytes = len;
        free(jpeg);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    printf("ward: next_item_ms_p50=%.2f next_item_ms_p99=%.2f thumb_bytes=%zu reps=%d "
           "(target < 50 ms)\n",
           t[reps / 2], t[(reps * 99) / 100], bytes, reps);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 100000;
    const char *dir = "/tmp/bench_grade", *image = NULL;
    int reps = 50, radius = WARD_GRADE_GROUP_RADIUS;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--image")) image = argv[i + 1];
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--radius")) radius = atoi(argv[i + 1]);
    }
    mkdir(dir, 0700);
    char path[4096];
    snprintf(path, sizeof path, "%s/files.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!f) return perror(path), 1;
    size_t seq = 0;
    ward_pdq h[8], c[8];
    while (seq < n) {
        if (next() % 100 < 80) {
            for (int i = 0; i < 8; i++) random_pdq(&h[i]);
            write_record(f, seq++, h, 8);
            continue;
        }
        for (int i = 0; i < 8; i++) random_pdq(&c[i]);
        int members = 2 + (int)(next() % 15);
        for (int m = 0; m < members && seq < n; m++) {
            memcpy(h, c, sizeof h);
            for (int i = 0; i < 8; i++) flip(&h[i], 1 + (int)(next() % 20));
            if (m % 5 == 4) { /* mirrored: swap original and flip-x */
                ward_pdq t = h[0];
                h[0] = h[WARD_DIH_FLIPX];
                h[WARD_DIH_FLIPX] = t;
            }
            write_record(f, seq++, h, 8);
        }
    }
    fclose(f);

    size_t lines = 0;
    double t0 = now();
    jsonl_each(path, 0, count_line, &lines, NULL);
    double yard = now() - t0;

    ward_grade_opts o;
    ward_grade_opts_default(&o);
    o.radius = radius;
    ward_grade_queue *q;
    ward_error err;
    t0 = now();
    if (ward_grade_queue_load(dir, &o, &q, &err) != WARD_OK)
        return fprintf(stderr, "load: %s\n", err.message), 1;
    double load = now() - t0;
    printf("ward: items=%zu groups=%zu group_s=%.2f yardstick_jsonl_read_s=%.2f ratio=%.2f "
           "(target < 10 s for 100000)\n",
           q->nitems, q->ngroups, load, yard, yard > 0 ? load / yard : 0);
    ward_grade_queue_free(q);
    return image ? bench_thumb(image, reps) : 0;
}
