/*
 * bench_pdq_stages: where the time of a JPEG's PDQ goes, stage by stage, in
 * one process (no process start-up, no file system: every file is read into
 * memory once, then each stage runs on the same bytes).
 *
 *   bench_pdq_stages [-r REPS] [-c] FILE...
 *
 * -c times CPU time of the thread rather than wall time (for a busy machine).
 * Stages, each timed on its own (best of REPS runs per file, summed):
 *   grey1/8    libjpeg greyscale decode at 1/8: every bit is still
 *              entropy-decoded, but only each luma block's DC term is
 *              transformed. The cheapest full read of a JPEG through libjpeg:
 *              the floor for any decoder built on it.
 *   rgb1/8     libjpeg RGB decode at 1/8 (what `djpeg -scale 1/8` decodes).
 *   ward_dec   ward_image_decode_luma, default fast path (DCT-scaled luma).
 *   ward_pdq   ward_pdq_from_luma on that plane (blur, DCT, bits).
 *   full_dec   ward_image_decode_luma with jpeg_fast = 0 (--full-decode).
 *   rgb_full   libjpeg full-size RGB decode to a buffer, what the reference's
 *              CImg loader does before its own copy and resize.
 *
 * ward's own per-image cost is ward_dec + ward_pdq; the remainder over
 * `grey1/8` is all that a faster IDCT or sink could still win.
 * (jpeg_read_coefficients is no floor: it buffers the whole image's
 * coefficients and is slower than a scaled decode.) Output: one line
 * per file, then totals; the last line is machine-readable
 * (TOTAL_MS key=value ...).
 */
#include <ward/media.h>
#include <ward/pdq.h>

#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ST_GREY8, ST_RGB8, ST_WARD_DEC, ST_WARD_PDQ, ST_FULL_DEC, ST_RGB_FULL, ST_N };
static const char *const stage_names[ST_N] = {"grey1/8", "rgb1/8", "ward_dec",
                                              "ward_pdq", "full_dec", "rgb_full"};

/* -c: CPU time of this (single) thread instead of wall time. On a shared
 * machine it leaves out the time other processes hold the core, though not
 * what they cost in shared caches. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!*buf || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    fclose(f);
    *len = (size_t)n;
    return 0;
}

typedef struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} jerr;

static void on_error(j_common_ptr c) { longjmp(((jerr *)c->err)->jump, 1); }
static void on_message(j_common_ptr c) { (void)c; }

/* mode 0: greyscale at scale 1/8; 1: RGB at scale 1/8; 2: RGB full size. */
static int libjpeg_pass(const unsigned char *buf, size_t len, int mode)
{
    struct jpeg_decompress_struct ci;
    jerr e;
    unsigned char *volatile row = NULL;
    volatile int ok = 0;
    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = on_error;
    e.mgr.output_message = on_message;
    if (setjmp(e.jump))
        goto out;
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, buf, (unsigned long)len);
    jpeg_read_header(&ci, TRUE);
    ci.out_color_space = mode == 0 ? JCS_GRAYSCALE : JCS_RGB;
    ci.scale_num = mode == 2 ? 8 : 1;
    ci.scale_denom = 8;
    ci.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&ci);
    row = malloc((size_t)ci.output_width * ci.output_components);
    if (!row)
        goto out;
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW rp = row;
        jpeg_read_scanlines(&ci, &rp, 1);
    }
    jpeg_finish_decompress(&ci);
    ok = 1;
out:
    jpeg_destroy_decompress(&ci);
    free(row);
    return ok;
}

/* Returns seconds for one run of `stage` on the file, or -1 on failure. */
static double run_stage(int stage, const unsigned char *buf, size_t len,
                        float **plane, float **scratch, size_t *cap)
{
    ward_decode_opts opts;
    ward_decode_opts_default(&opts);
    ward_luma l;
    ward_error err;
    double t0, t1;
    switch (stage) {
    case ST_GREY8:
    case ST_RGB8:
    case ST_RGB_FULL: {
        int mode = stage == ST_GREY8 ? 0 : stage == ST_RGB8 ? 1 : 2;
        t0 = now_s();
        int ok = libjpeg_pass(buf, len, mode);
        t1 = now_s();
        return ok ? t1 - t0 : -1;
    }
    case ST_WARD_DEC:
    case ST_FULL_DEC:
        opts.jpeg_fast = stage == ST_WARD_DEC;
        t0 = now_s();
        if (ward_image_decode_luma(buf, len, &opts, &l, &err) != WARD_OK)
            return -1;
        t1 = now_s();
        ward_luma_free(&l);
        return t1 - t0;
    case ST_WARD_PDQ: {
        if (ward_image_decode_luma(buf, len, &opts, &l, &err) != WARD_OK)
            return -1;
        size_t n = (size_t)l.rows * (size_t)l.cols;
        if (n > *cap) {
            free(*plane);
            free(*scratch);
            *plane = malloc(n * sizeof(float));
            *scratch = malloc(n * sizeof(float));
            *cap = n;
            if (!*plane || !*scratch)
                exit(5);
        }
        ward_pdq_result r;
        /* Copy first: PDQ works in place; the copy is not timed. */
        memcpy(*plane, l.px, n * sizeof(float));
        t0 = now_s();
        (void)ward_pdq_from_luma(*plane, *scratch, l.rows, l.cols, 0, &r);
        t1 = now_s();
        ward_luma_free(&l);
        return t1 - t0;
    }
    }
    return -1;
}

int main(int argc, char **argv)
{
    int reps = 3, argi = 1;
    for (;;) {
        if (argi + 1 < argc && strcmp(argv[argi], "-r") == 0) {
            reps = atoi(argv[argi + 1]);
            argi += 2;
        } else if (argi < argc && strcmp(argv[argi], "-c") == 0) {
            clock_id = CLOCK_THREAD_CPUTIME_ID;
            argi++;
        } else {
            break;
        }
    }
    if (argi >= argc || reps < 1) {
        fprintf(stderr, "usage: bench_pdq_stages [-r REPS] [-c] FILE...\n");
        return 2;
    }
    double total[ST_N] = {0};
    float *plane = NULL, *scratch = NULL;
    size_t cap = 0;
    int files = 0;
    uint64_t bytes = 0;
    printf("%-44s", "file (ms, best of runs)");
    for (int s = 0; s < ST_N; s++)
        printf(" %9s", stage_names[s]);
    printf("\n");
    for (; argi < argc; argi++) {
        unsigned char *buf;
        size_t len;
        if (read_file(argv[argi], &buf, &len) != 0) {
            fprintf(stderr, "bench_pdq_stages: cannot read %s\n", argv[argi]);
            continue;
        }
        double best[ST_N];
        int ok = 1;
        for (int s = 0; s < ST_N && ok; s++) {
            best[s] = 1e30;
            for (int r = 0; r < reps; r++) {
                double t = run_stage(s, buf, len, &plane, &scratch, &cap);
                if (t < 0) {
                    ok = 0;
                    break;
                }
                if (t < best[s])
                    best[s] = t;
            }
        }
        free(buf);
        if (!ok) {
            fprintf(stderr, "bench_pdq_stages: %s: not a decodable JPEG, skipped\n",
                    argv[argi]);
            continue;
        }
        const char *base = strrchr(argv[argi], '/');
        base = base ? base + 1 : argv[argi];
        printf("%-44.44s", base);
        for (int s = 0; s < ST_N; s++) {
            printf(" %9.2f", best[s] * 1e3);
            total[s] += best[s];
        }
        printf("\n");
        files++;
        bytes += len;
    }
    free(plane);
    free(scratch);
    printf("%-44s", "TOTAL");
    for (int s = 0; s < ST_N; s++)
        printf(" %9.1f", total[s] * 1e3);
    printf("\n");
    if (total[ST_GREY8] > 0) {
        printf("%-44s", "relative to grey1/8");
        for (int s = 0; s < ST_N; s++)
            printf(" %8.2fx", total[s] / total[ST_GREY8]);
        printf("\n");
    }
    printf("TOTAL_MS files=%d bytes=%llu", files, (unsigned long long)bytes);
    for (int s = 0; s < ST_N; s++) {
        char key[16];
        snprintf(key, sizeof key, "%s", stage_names[s]);
        for (char *p = key; *p; p++)
            if (*p == '/')
                *p = '_';
        printf(" %s=%.3f", key, total[s] * 1e3);
    }
    printf("\n");
    return files ? 0 : 1;
}
