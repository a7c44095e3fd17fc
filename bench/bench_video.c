/*
 * bench_video: vPDQ hashing throughput on one clip, in seconds of video per
 * second of time.
 *
 *   bench_video CLIP [--runs N] [--full] [--rgb] [--no-seek] [--threads T]
 *                    [--interval S] [--compare]
 *
 * Hashes CLIP N times (default 3) with the library defaults (one decoder
 * thread, 1 frame/s, key-frame seeking, skipped deblocking and unreferenced
 * frames, Y plane as luma) and prints one "ward:" line per run and one for
 * the best run: wall and CPU seconds, and video seconds per wall second and
 * per CPU second (the per-core figure: CPU time counts every thread).
 *   --full     fast=0: decode unreferenced frames too, with deblocking
 *   --rgb      take luma from sws_scale RGB24, as vPDQ does
 *   --no-seek  seek=0: decode from start to end, never jump to key frames
 *   --compare  also hash with --full, with --rgb, and as vpdq-hash-video
 *              does (full decode, RGB, full-size frames) and print how far
 *              their frame hashes are from the default's, in bits
 * bench/video.sh makes the clips and times this against ffmpeg.
 */
#include <ward/video.h>
#include <ward/vpdq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct run {
    double wall, cpu, video;
    ward_video_info info;
    size_t frames;
} run;

static int hash_once(const char *clip, const ward_vpdq_opts *o, ward_vpdq *out, run *r)
{
    ward_error err;
    double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    ward_status s = ward_vpdq_hash_file(clip, o, out, &r->info, &err);
    r->wall = clock_s(CLOCK_MONOTONIC) - w0;
    r->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (s) {
        fprintf(stderr, "bench_video: %s: %s\n", clip, err.message);
        return -1;
    }
    r->video = r->info.duration > 0 ? r->info.duration : r->info.decoded_until;
    r->frames = out->count;
    return 0;
}

static void print_run(const char *label, const run *r)
{
    printf("ward: %s video_s=%.1f wall_s=%.3f cpu_s=%.3f x_wall=%.1f x_cpu=%.1f "
           "frames=%zu decoded=%llu seeks=%llu codec=%s size=%dx%d\n",
           label, r->video, r->wall, r->cpu, r->video / r->wall, r->video / r->cpu,
           r->frames, (unsigned long long)r->info.frames_decoded,
           (unsigned long long)r->info.seeks, r->info.codec, r->info.width,
           r->info.height);
}

/* Frame-by-frame distance between two hashings of the same clip. */
static void compare(const char *what, const ward_vpdq *a, const ward_vpdq *b)
{
    ward_vpdq_similarity s;
    (void)ward_vpdq_compare(a, b, NULL, &s, NULL);
    size_t n = a->count < b->count ? a->count : b->count;
    int worst = 0;
    long sum = 0;
    for (size_t i = 0; i < n; i++) {
        int d = ward_pdq_distance(&a->frames[i].hash, &b->frames[i].hash);
        sum += d;
        worst = d > worst ? d : worst;
    }
    printf("ward: compare %s frames=%zu/%zu mean_bits=%.2f worst_bits=%d "
           "match_pct=%.1f/%.1f\n",
           what, a->count, b->count, n ? (double)sum / (double)n : 0.0, worst,
           s.query_match_percent, s.compared_match_percent);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_video CLIP [--runs N] [--full] [--rgb] "
                        "[--threads T] [--interval S] [--compare]\n");
        return 2;
    }
    const char *clip = argv[1];
    int runs = 3, cmp = 0;
    ward_vpdq_opts o;
    ward_vpdq_opts_default(&o);
    o.prune_distance = -1; /* every sampled frame, so that runs compare 1:1 */
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--full")) o.video.fast = 0;
        else if (!strcmp(argv[i], "--rgb")) o.video.rgb_luma = 1;
        else if (!strcmp(argv[i], "--no-seek")) o.video.seek = 0;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) o.video.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--interval") && i + 1 < argc) o.video.interval = atof(argv[++i]);
        else if (!strcmp(argv[i], "--compare")) cmp = 1;
        else { fprintf(stderr, "bench_video: unknown option %s\n", argv[i]); return 2; }
    }
    run best = {0};
    ward_vpdq base = {0};
    for (int i = 0; i < runs; i++) {
        run r;
        ward_vpdq_free(&base);
        if (hash_once(clip, &o, &base, &r))
            return 1;
        char label[32];
        snprintf(label, sizeof label, "run%d", i + 1);
        print_run(label, &r);
        if (i == 0 || r.wall < best.wall)
            best = r;
    }
    print_run("best", &best);
    if (cmp) {
        ward_vpdq other = {0};
        run r;
        ward_vpdq_opts v = o;
        v.video.fast = 0;
        if (hash_once(clip, &v, &other, &r) == 0) {
            print_run("full", &r);
            compare("fast_vs_full", &base, &other);
        }
        ward_vpdq_free(&other);
        v = o;
        v.video.rgb_luma = 1;
        if (hash_once(clip, &v, &other, &r) == 0) {
            print_run("rgb", &r);
            compare("y_vs_rgb", &base, &other);
        }
        ward_vpdq_free(&other);
        v = o;
        v.video.fast = 0;
        v.video.rgb_luma = 1;
        v.video.max_side = 0;
        if (hash_once(clip, &v, &other, &r) == 0) {
            print_run("as_vpdq", &r);
            compare("ward_vs_as_vpdq", &base, &other);
        }
        ward_vpdq_free(&other);
    }
    ward_vpdq_free(&base);
    return 0;
}
