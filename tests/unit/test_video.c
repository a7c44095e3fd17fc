/* ward-test: no-store (not run again on PostgreSQL) */
/*
 * Video hashing (vPDQ) end to end on videos made here with ffmpeg from the
 * bundled benign photos (tests/data/pdq/images) and lavfi's test pattern:
 *
 *   orig.mp4     five photos, 2 s each, 256x256 H.264 at 15 fps (10 s)
 *   variants     re-encoded at CRF 38, half size, 24 fps, VP9 WebM, MPEG-4
 *                in MKV, MPEG-2 in MPEG-TS, Sorenson FLV, MOV, animated GIF,
 *                MJPEG AVI
 *   big.avi      MJPEG at 1152x1152, which ward decodes at half size
 *   trim.mp4     seconds 4..8 only (two of the five photos)
 *   live.mkv     written to a pipe: no duration, no index
 *   other.mp4    testsrc2: unrelated
 *   broken       truncated, without its index, overwritten in the middle
 *
 * Every variant must match the original both ways above the default
 * thresholds, the unrelated video must not, the trimmed one only as the
 * query; frames must find their photo in an image index; limits and broken
 * input must fail with clear errors and keep the frames hashed before.
 * Without ffmpeg the tests that need videos are skipped (with a message).
 */
#include "testutil.h"

#include <ward/index.h>
#include <ward/media.h>
#include <ward/pdq.h>
#include <ward/video.h>
#include <ward/vpdq.h>

#include <libavutil/log.h>
#include <math.h>
#include <unistd.h>

/* Square photos shown square: PDQ is robust to scaling, less so to a change
 * of aspect ratio. (q0122, a smooth seascape, is left out: smooth pictures
 * have many DCT coefficients near the median, and its hash moves 40 bits
 * at half size.) */
#define NPHOTOS 5
static const char *const PHOTOS[NPHOTOS] = {"q0291.jpg", "q0746.jpg", "q1050.jpg",
                                            "q2821.jpg", "bridge-1-original.jpg"};
#define SECONDS (2 * NPHOTOS)

typedef struct fixture {
    char dir[256];
    int have_ffmpeg;
    ward_vpdq orig; /* orig.mp4, default options */
} fixture;

static fixture *fx(void **state) { return *state; }

static const char *path_in(const fixture *f, const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", f->dir, name);
    return p;
}

/* ---- making the videos ---------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        print_error("command failed (%d): %s\n", rc, cmd);
    return rc;
}

static int make_slideshow(const fixture *f)
{
    char inputs[4096] = "", graph[2048] = "", cat[256] = "", imgs[4096];
    /* ffmpeg runs in the scratch directory: the photo folder must be absolute. */
    if (!realpath(pdq_data_dir(), imgs))
        return -1;
    for (int i = 0; i < NPHOTOS; i++) {
        size_t n = strlen(inputs);
        snprintf(inputs + n, sizeof inputs - n, " -framerate 15 -loop 1 -t 2 -i '%s/images/%s'",
                 imgs, PHOTOS[i]);
        n = strlen(graph);
        snprintf(graph + n, sizeof graph - n, "[%d]scale=256:256,setsar=1,format=yuv420p[p%d];",
                 i, i);
        n = strlen(cat);
        snprintf(cat + n, sizeof cat - n, "[p%d]", i);
    }
    return sh("cd '%s' && ffmpeg -v error -y %s -filter_complex '%s%sconcat=n=%d:v=1[v]' "
              "-map '[v]' -c:v libx264 -preset veryfast -crf 20 -g 30 -movflags +faststart "
              "orig.mp4",
              f->dir, inputs, graph, cat, NPHOTOS);
}

static int make_variants(const fixture *f)
{
    static const char *const cmds[] = {
        "-c:v libx264 -preset veryfast -crf 38 crf38.mp4",
        "-vf scale=128:128 -c:v libx264 -preset veryfast half.mp4",
        "-r 24 -c:v libx264 -preset veryfast fps24.mp4",
        "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k vp9.webm",
        "-c:v mpeg4 -q:v 4 mpeg4.mkv",
        "-c:v mpeg2video -q:v 4 -f mpegts mpeg2.ts",
        "-c:v flv -q:v 4 sorenson.flv",
        "-c copy orig.mov",
        "-vf fps=5 anim.gif",
        "-c:v mjpeg -q:v 4 mjpeg.avi",
        "-vf scale=1152:1152 -r 2 -c:v mjpeg -q:v 6 big.avi",
        "-ss 4 -t 4 -c:v libx264 -preset veryfast trim.mp4",
        "-c copy nomoov.mp4",
        "-frames:v 1 -ss 5 still.png",
    };
    /* 1080p with fine detail and saturated colours, for frame size. */
    if (sh("cd '%s' && ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=5 -t 4 "
           "-c:v libx264 -preset ultrafast -pix_fmt yuv420p big1080.mp4", f->dir))
        return -1;
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (sh("cd '%s' && ffmpeg -v error -y -i orig.mp4 %s", f->dir, cmds[i]))
            return -1;
    if (sh("cd '%s' && ffmpeg -v error -y -i orig.mp4 -c copy -f matroska - > live.mkv",
           f->dir))
        return -1;
    return sh("cd '%s' && ffmpeg -v error -y -f lavfi -i testsrc2=size=256x256:rate=15:duration=10 "
              "-c:v libx264 -preset veryfast other.mp4",
              f->dir);
}

static uint8_t *slurp(const char *path, size_t *len) { return read_file_or_fail(path, len); }

static void spit(const char *path, const uint8_t *buf, size_t len)
{
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(buf, 1, len, o), len);
    fclose(o);
}

/* Broken copies of orig.mp4: cut at 60 %, an index-less (non-faststart) copy
 * cut likewise, and one with a stretch of its data overwritten. */
static void make_broken(const fixture *f)
{
    size_t len;
    uint8_t *buf = slurp(path_in(f, "orig.mp4"), &len);
    spit(path_in(f, "cut.mp4"), buf, len * 6 / 10);
    for (size_t i = len / 2; i < len / 2 + 4000 && i < len; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    spit(path_in(f, "garbled.mp4"), buf, len);
    free(buf);
    buf = slurp(path_in(f, "nomoov.mp4"), &len);
    spit(path_in(f, "nomoov-cut.mp4"), buf, len * 6 / 10);
    free(buf);
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/ward-video-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    f->have_ffmpeg = system("ffmpeg -version >/dev/null 2>&1") == 0;
    if (!f->have_ffmpeg) {
        print_message("ffmpeg not found: video tests that need videos are skipped "
                      "(scripts/deps.sh installs it)\n");
        return 0;
    }
    if (make_slideshow(f) || make_variants(f))
        return -1;
    make_broken(f);
    ward_vpdq_opts o;
    ward_vpdq_opts_default(&o);
    ward_error err;
    if (ward_vpdq_hash_file(path_in(f, "orig.mp4"), &o, &f->orig, NULL, &err)) {
        print_error("orig.mp4: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    ward_vpdq_free(&f->orig);
    sh("rm -rf '%s'", f->dir);
    free(f);
    return 0;
}

#define NEED_FFMPEG(f)                                                     \
    do {                                                                   \
        if (!(f)->have_ffmpeg) {                                           \
            print_message("skipped: ffmpeg is not installed\n");          \
            skip();                                                        \
        }                                                                  \
    } while (0)

/* ---- helpers -------------------------------------------------------------- */

static void hash_ok(const fixture *f, const char *name, const ward_vpdq_opts *o,
                    ward_vpdq *out, ward_video_info *info)
{
    ward_error err;
    ward_vpdq_opts def;
    if (!o) {
        ward_vpdq_opts_default(&def);
        o = &def;
    }
    if (ward_vpdq_hash_file(path_in(f, name), o, out, info, &err))
        fail_msg("%s: %s", name, err.message);
}

static ward_vpdq_similarity similarity(const ward_vpdq *q, const ward_vpdq *c)
{
    ward_vpdq_similarity s;
    assert_int_equal(ward_vpdq_compare(q, c, NULL, &s, NULL), WARD_OK);
    return s;
}

static int photo_pdq(int i, ward_pdq *out)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/images/%s", pdq_data_dir(), PHOTOS[i]);
    size_t len;
    uint8_t *buf = read_file_or_fail(p, &len);
    ward_decode_opts o;
    ward_decode_opts_default(&o);
    ward_luma l;
    assert_int_equal(ward_image_decode_luma(buf, len, &o, &l, NULL), WARD_OK);
    free(buf);
    float *scratch = malloc(sizeof(float) * (size_t)l.rows * l.cols);
    ward_pdq_result r;
    assert_int_equal(ward_pdq_from_luma(l.px, scratch, l.rows, l.cols, 0, &r), WARD_OK);
    free(scratch);
    ward_luma_free(&l);
    *out = r.hash[0];
    return r.quality;
}

/* ---- videos against videos ------------------------------------------------ */

static void test_original(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq all = {0};
    ward_vpdq_opts o;
    ward_vpdq_opts_default(&o);
    o.prune_distance = -1;
    ward_video_info info;
    hash_ok(f, "orig.mp4", &o, &all, &info);
    /* One frame a second; pruning keeps at least one per photo. */
    assert_int_equal(all.count, SECONDS);
    assert_string_equal(info.codec, "h264");
    assert_int_equal(info.width, 256);
    assert_int_equal(info.partial, 0);
    assert_true(fabs(info.fps - 15) < 1e-9);
    for (size_t i = 0; i < all.count; i++) {
        assert_true(fabs(all.frames[i].timestamp - (double)i) < 0.07);
        assert_int_equal(all.frames[i].frame_number, llround(all.frames[i].timestamp * 15));
        assert_true(all.frames[i].quality >= 50);
    }
    assert_true(f->orig.count >= NPHOTOS && f->orig.count <= SECONDS);
    print_message("orig.mp4: %zu frames, %zu after pruning; %llu decoded, %llu seeks\n",
                  all.count, f->orig.count, (unsigned long long)info.frames_decoded,
                  (unsigned long long)info.seeks);
    ward_vpdq_similarity s = similarity(&all, &f->orig);
    assert_true(s.is_match);
    assert_true(s.query_match_percent == 100 && s.compared_match_percent == 100);
    ward_vpdq_free(&all);
}

static void test_variants_match(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    static const struct {
        const char *name, *container, *codec;
    } v[] = {
        {"crf38.mp4", "mov,mp4,m4a,3gp,3g2,mj2", "h264"},
        {"half.mp4", "mov,mp4,m4a,3gp,3g2,mj2", "h264"},
        {"fps24.mp4", "mov,mp4,m4a,3gp,3g2,mj2", "h264"},
        {"vp9.webm", "matroska,webm", "vp9"},
        {"mpeg4.mkv", "matroska,webm", "mpeg4"},
        {"mpeg2.ts", "mpegts", "mpeg2video"},
        {"sorenson.flv", "flv", "flv1"},
        {"orig.mov", "mov,mp4,m4a,3gp,3g2,mj2", "h264"},
        {"anim.gif", "gif", "gif"},
        {"mjpeg.avi", "avi", "mjpeg"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        ward_vpdq h = {0};
        ward_video_info info;
        hash_ok(f, v[i].name, NULL, &h, &info);
        ward_vpdq_similarity a = similarity(&h, &f->orig), b = similarity(&f->orig, &h);
        print_message("%-13s %-14s %3zu frames  query %5.1f%%  compared %5.1f%%  "
                      "(reverse %5.1f%% / %5.1f%%) seeks %llu lowres %d\n",
                      v[i].name, info.codec, h.count, a.query_match_percent,
                      a.compared_match_percent, b.query_match_percent,
                      b.compared_match_percent, (unsigned long long)info.seeks,
                      info.lowres);
        assert_string_equal(info.container, v[i].container);
        assert_string_equal(info.codec, v[i].codec);
        assert_int_equal(info.partial, 0);
        assert_true(a.is_match && b.is_match);
        assert_true(a.query_match_percent >= 80 && a.compared_match_percent >= 80);
        assert_true(b.query_match_percent >= 80 && b.compared_match_percent >= 80);
        ward_vpdq_free(&h);
    }
}

static void test_trimmed_one_direction(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq t = {0};
    hash_ok(f, "trim.mp4", NULL, &t, NULL);
    /* The clip is all in the original; the original is a third in the clip. */
    ward_vpdq_similarity a = similarity(&t, &f->orig), b = similarity(&f->orig, &t);
    print_message("trim as query: %.1f%% / %.1f%%; original as query: %.1f%% / %.1f%%\n",
                  a.query_match_percent, a.compared_match_percent, b.query_match_percent,
                  b.compared_match_percent);
    assert_true(a.is_match);
    assert_true(a.query_match_percent == 100);
    assert_true(a.compared_match_percent < 50);
    assert_false(b.is_match);
    assert_true(b.query_match_percent < 50 && b.compared_match_percent == 100);
    ward_vpdq_free(&t);
}

static void test_unrelated_no_match(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq o = {0};
    hash_ok(f, "other.mp4", NULL, &o, NULL);
    ward_vpdq_similarity a = similarity(&o, &f->orig), b = similarity(&f->orig, &o);
    print_message("testsrc2 vs orig: %.1f%% / %.1f%%\n", a.query_match_percent,
                  a.compared_match_percent);
    assert_true(a.query_frames > 0);
    assert_false(a.is_match);
    assert_false(b.is_match);
    assert_true(a.query_match_percent < 20 && b.query_match_percent < 20);
    ward_vpdq_free(&o);
}

static void test_buffer_equals_file(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    static const char *const names[] = {"orig.mp4", "vp9.webm", "mpeg2.ts", "anim.gif"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        ward_vpdq a = {0}, b = {0};
        hash_ok(f, names[i], NULL, &a, NULL);
        size_t len;
        uint8_t *buf = slurp(path_in(f, names[i]), &len);
        ward_error err;
        if (ward_vpdq_hash_buffer(buf, len, NULL, &b, NULL, &err))
            fail_msg("%s from memory: %s", names[i], err.message);
        free(buf);
        assert_int_equal(a.count, b.count);
        for (size_t k = 0; k < a.count; k++) {
            assert_memory_equal(&a.frames[k].hash, &b.frames[k].hash, sizeof(ward_pdq));
            assert_int_equal(a.frames[k].quality, b.frames[k].quality);
            assert_int_equal(a.frames[k].frame_number, b.frames[k].frame_number);
            assert_true(a.frames[k].timestamp == b.frames[k].timestamp);
        }
        ward_vpdq_free(&a);
        ward_vpdq_free(&b);
    }
}

/* ---- how the luma is taken ------------------------------------------------ */

static void frame_distances(const ward_vpdq *a, const ward_vpdq *b, const char *what,
                            int max_bits)
{
    assert_int_equal(a->count, b->count);
    int worst = 0, sum = 0, qworst = 0;
    for (size_t i = 0; i < a->count; i++) {
        int d = ward_pdq_distance(&a->frames[i].hash, &b->frames[i].hash);
        int dq = abs(a->frames[i].quality - b->frames[i].quality);
        sum += d;
        worst = d > worst ? d : worst;
        qworst = dq > qworst ? dq : qworst;
    }
    print_message("%s: %zu frames, mean %.1f bits, worst %d bits, quality within %d\n",
                  what, a->count, (double)sum / (double)a->count, worst, qworst);
    assert_true(worst <= max_bits);
}

static void test_y_plane_vs_rgb(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq_opts o;
    ward_vpdq_opts_default(&o);
    o.prune_distance = -1;
    ward_vpdq y = {0}, rgb = {0}, full = {0};
    hash_ok(f, "orig.mp4", &o, &y, NULL);
    o.video.rgb_luma = 1;
    hash_ok(f, "orig.mp4", &o, &rgb, NULL);
    frame_distances(&y, &rgb, "Y plane vs sws RGB24 luma", 8);
    o.video.rgb_luma = 0;
    o.video.fast = 0;
    hash_ok(f, "orig.mp4", &o, &full, NULL);
    frame_distances(&y, &full, "fast (no deblocking, no unreferenced frames) vs full", 16);
    ward_vpdq_free(&y);
    ward_vpdq_free(&rgb);
    ward_vpdq_free(&full);

    /* 1152x1152 MJPEG decoded at 576x576 (lowres) vs in full, both sampled
     * to the 512 grid (lowres only pays when frames are resampled). */
    ward_vpdq low = {0}, high = {0};
    ward_video_info info;
    o.video.max_side = 512;
    o.video.fast = 1;
    hash_ok(f, "big.avi", &o, &low, &info);
    assert_int_equal(info.lowres, 1);
    o.video.fast = 0;
    hash_ok(f, "big.avi", &o, &high, &info);
    assert_int_equal(info.lowres, 0);
    frame_distances(&low, &high, "MJPEG 1152 px: half-size decode vs full", 12);
    ward_vpdq_free(&low);
    ward_vpdq_free(&high);
}

/* ---- frames against images ------------------------------------------------ */

/* Issue 18.6: the same frames (every one decoded, no seeking) against the
 * reference, vpdq-hash-video's way: RGB, the PDQ reference on the
 * full-size frame. Resampled to the 512 grid first, 1080p frames were up to
 * 12 bits away; at full size only the Y plane differs (docs/video.md). */
static void test_frame_size_vs_reference(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq_opts o;
    ward_vpdq_opts_default(&o);
    o.prune_distance = -1;
    o.video.fast = 0;
    o.video.seek = 0;
    ward_vpdq ours = {0}, ref = {0};
    hash_ok(f, "big1080.mp4", &o, &ours, NULL);
    o.video.rgb_luma = 1;
    o.video.max_side = 0;
    hash_ok(f, "big1080.mp4", &o, &ref, NULL);
    frame_distances(&ours, &ref, "1080p, default frame size vs reference", 9);
    ward_vpdq_free(&ours);
    ward_vpdq_free(&ref);
}

static void test_frames_find_photos(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    char ixpath[512];
    snprintf(ixpath, sizeof ixpath, "%s/photos.idx", f->dir);
    ward_index_builder *b = ward_index_builder_new();
    for (int i = 0; i < NPHOTOS; i++) {
        ward_pdq h;
        photo_pdq(i, &h);
        assert_int_equal(ward_index_builder_add(b, 100 + (uint64_t)i, NULL, &h, NULL), WARD_OK);
    }
    assert_int_equal(ward_index_builder_write(b, ixpath, NULL), WARD_OK);
    ward_index_builder_free(b);
    ward_index *ix;
    assert_int_equal(ward_index_open(ixpath, &ix, NULL), WARD_OK);

    ward_vpdq_index_hit *hits;
    size_t n, matched;
    assert_int_equal(ward_vpdq_query_index(ix, &f->orig, WARD_INDEX_PDQ_RADIUS,
                                           WARD_VPDQ_QUALITY, &hits, &n, &matched, NULL),
                     WARD_OK);
    /* Every frame finds the photo on screen at its time, and nothing else. */
    assert_int_equal(matched, f->orig.count);
    int seen[NPHOTOS] = {0};
    for (size_t i = 0; i < n; i++) {
        const ward_vpdq_frame *fr = &f->orig.frames[hits[i].frame];
        int photo = (int)(fr->timestamp / 2 + 1e-6);
        assert_int_equal(hits[i].entry_id, 100 + (uint64_t)photo);
        seen[photo]++;
    }
    for (int i = 0; i < NPHOTOS; i++)
        assert_true(seen[i] > 0);
    free(hits);

    /* A still exported by ffmpeg (RGB, as a PNG) hashes like its frame. */
    size_t len;
    uint8_t *png = slurp(path_in(f, "still.png"), &len);
    ward_decode_opts d;
    ward_decode_opts_default(&d);
    ward_luma l;
    assert_int_equal(ward_image_decode_luma(png, len, &d, &l, NULL), WARD_OK);
    free(png);
    float *scratch = malloc(sizeof(float) * (size_t)l.rows * l.cols);
    ward_pdq_result r;
    assert_int_equal(ward_pdq_from_luma(l.px, scratch, l.rows, l.cols, 0, &r), WARD_OK);
    free(scratch);
    ward_luma_free(&l);
    int best = 256;
    for (size_t i = 0; i < f->orig.count; i++) {
        int dd = ward_pdq_distance(&r.hash[0], &f->orig.frames[i].hash);
        best = dd < best ? dd : best;
    }
    print_message("still at 5 s vs nearest frame: %d bits\n", best);
    assert_true(best <= 8);
    ward_pdq_match m[4];
    n = 0;
    assert_int_equal(ward_index_query_pdq(ix, &r.hash[0], 1, WARD_INDEX_PDQ_RADIUS, m, 4, &n),
                     WARD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].entry_id, 102);
    ward_index_close(ix);
}

/* ---- limits and broken input ---------------------------------------------- */

static ward_status hash_with(const fixture *f, const char *name, const ward_vpdq_opts *o,
                             ward_vpdq *out, ward_video_info *info, ward_error *err)
{
    ward_status s = ward_vpdq_hash_file(path_in(f, name), o, out, info, err);
    print_message("%s: %s: %s\n", name, ward_status_str(s), s ? err->message : "ok");
    return s;
}

static void test_limits(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq_opts o;
    ward_vpdq h = {0};
    ward_video_info info;
    ward_error err;

    ward_vpdq_opts_default(&o);
    o.video.max_duration = 5;
    assert_int_equal(hash_with(f, "orig.mp4", &o, &h, &info, &err), WARD_ELIMIT);
    assert_non_null(strstr(err.message, "over the limit of 5 s"));
    assert_int_equal(h.count, 0);
    /* A Matroska file written to a pipe declares no duration: the limit
     * trips while decoding, and the frames before it are kept. */
    assert_int_equal(hash_with(f, "live.mkv", &o, &h, &info, &err), WARD_ELIMIT);
    assert_non_null(strstr(err.message, "runs past the limit"));
    assert_true(h.count >= 3 && info.partial);
    ward_vpdq_free(&h);

    ward_vpdq_opts_default(&o);
    o.video.max_width = 200;
    assert_int_equal(hash_with(f, "orig.mp4", &o, &h, &info, &err), WARD_ELIMIT);
    assert_non_null(strstr(err.message, "256x256"));

    ward_vpdq_opts_default(&o);
    o.video.max_frames = 3;
    o.prune_distance = -1;
    assert_int_equal(hash_with(f, "orig.mp4", &o, &h, &info, &err), WARD_ELIMIT);
    assert_int_equal(h.count, 3);
    assert_true(info.partial);
    ward_vpdq_free(&h);

    ward_vpdq_opts_default(&o);
    o.video.max_wall = 1e-9;
    assert_int_equal(hash_with(f, "orig.mp4", &o, &h, &info, &err), WARD_ELIMIT);
    assert_non_null(strstr(err.message, "longer than"));
    ward_vpdq_free(&h);
}

static void test_broken_input(void **state)
{
    fixture *f = fx(state);
    NEED_FFMPEG(f);
    ward_vpdq h = {0};
    ward_video_info info;
    ward_error err;

    /* Cut short: the frames up to the cut, then an error naming it. */
    assert_int_equal(hash_with(f, "cut.mp4", NULL, &h, &info, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "truncated"));
    assert_true(h.count >= 3 && info.partial);
    ward_vpdq_similarity s = similarity(&h, &f->orig);
    assert_true(s.query_match_percent == 100);
    ward_vpdq_free(&h);

    /* Cut before its index (moov at the end): nothing to go on. */
    assert_int_equal(hash_with(f, "nomoov-cut.mp4", NULL, &h, &info, &err), WARD_EFORMAT);
    assert_int_equal(h.count, 0);

    /* Overwritten in the middle: decoded through, damage reported. */
    ward_status st = hash_with(f, "garbled.mp4", NULL, &h, &info, &err);
    print_message("garbled: %zu frames, %llu damaged, warning '%s'\n", h.count,
                  (unsigned long long)info.decode_errors, info.warning);
    assert_true(st == WARD_OK || st == WARD_EFORMAT);
    assert_true(h.count >= 3);
    ward_vpdq_free(&h);

    /* Not a video; an empty buffer; a still image; a missing file. */
    size_t len;
    uint8_t *buf = slurp(path_in(f, "still.png"), &len);
    assert_int_equal(ward_vpdq_hash_buffer(buf, len, NULL, &h, NULL, &err), WARD_EUNSUPPORTED);
    print_message("png: %s\n", err.message);
    free(buf);
    static const uint8_t text[] = "just some text, not a video at all\n";
    assert_int_equal(ward_vpdq_hash_buffer(text, sizeof text, NULL, &h, NULL, &err),
                     WARD_EUNSUPPORTED);
    assert_int_equal(ward_vpdq_hash_buffer(text, 0, NULL, &h, NULL, &err), WARD_EUNSUPPORTED);
    assert_int_equal(ward_vpdq_hash_file(path_in(f, "missing.mp4"), NULL, &h, NULL, &err),
                     WARD_EIO);
    assert_int_equal(h.count, 0);

    /* Every prefix length class of a valid file fails cleanly, never crashes. */
    buf = slurp(path_in(f, "vp9.webm"), &len);
    for (size_t cut = 0; cut < len; cut += len / 7 + 1) {
        ward_vpdq p = {0};
        (void)ward_vpdq_hash_buffer(buf, cut, NULL, &p, NULL, &err);
        ward_vpdq_free(&p);
    }
    free(buf);
}

/* ---- matching definition on synthetic lists -------------------------------- */

static ward_vpdq_frame frame(const ward_pdq *h, int quality, int64_t n)
{
    ward_vpdq_frame fr = {.hash = *h, .quality = quality, .frame_number = n,
                          .timestamp = (double)n};
    return fr;
}

static void flip_bits(ward_pdq *h, int first, int count)
{
    for (int b = first; b < first + count; b++)
        h->b[b >> 3] ^= (uint8_t)(1u << (b & 7));
}

static void test_compare_definition(void **state)
{
    (void)state;
    ward_pdq a, b, near, far;
    memset(&a, 0x5a, sizeof a);
    memset(&b, 0xc3, sizeof b);
    near = a;
    flip_bits(&near, 0, WARD_VPDQ_DISTANCE);      /* exactly at the radius */
    far = a;
    flip_bits(&far, 0, WARD_VPDQ_DISTANCE + 1);   /* just outside */
    ward_vpdq q = {0}, c = {0};
    /* Query: a three times (counted once), b, and a low-quality frame. */
    ward_vpdq_frame fr[] = {frame(&a, 90, 0), frame(&a, 90, 1), frame(&a, 80, 2),
                            frame(&b, 70, 3), frame(&far, 10, 4)};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(ward_vpdq_append(&q, &fr[i], NULL), WARD_OK);
    ward_vpdq_frame cf = frame(&near, 60, 0);
    assert_int_equal(ward_vpdq_append(&c, &cf, NULL), WARD_OK);

    ward_vpdq_similarity s = similarity(&q, &c);
    assert_int_equal(s.query_frames, 2);
    assert_int_equal(s.compared_frames, 1);
    assert_int_equal(s.query_matched, 1);
    assert_true(s.query_match_percent == 50 && s.compared_match_percent == 100);
    assert_false(s.is_match); /* 50 % < Pq 80 % */

    ward_vpdq_match_opts mo;
    ward_vpdq_match_opts_default(&mo);
    mo.query_pct = 50;
    assert_int_equal(ward_vpdq_compare(&q, &c, &mo, &s, NULL), WARD_OK);
    assert_true(s.is_match);
    mo.distance = WARD_VPDQ_DISTANCE - 1;       /* now `near` is out of reach */
    assert_int_equal(ward_vpdq_compare(&q, &c, &mo, &s, NULL), WARD_OK);
    assert_true(s.query_matched == 0 && !s.is_match);
    /* The low-quality frame counts once the filter allows it. */
    mo = (ward_vpdq_match_opts){.distance = 0, .quality = 0, .query_pct = 0};
    assert_int_equal(ward_vpdq_compare(&q, &q, &mo, &s, NULL), WARD_OK);
    assert_int_equal(s.query_frames, 3);

    /* Nothing of quality on one side: 0 %, no match. */
    ward_vpdq empty = {0};
    s = similarity(&q, &empty);
    assert_true(s.query_match_percent == 0 && !s.is_match);
    ward_vpdq_free(&q);
    ward_vpdq_free(&c);
}

/* ---- text form ------------------------------------------------------------ */

static void test_text_round_trip(void **state)
{
    fixture *f = fx(state);
    ward_vpdq v = {0}, back = {0};
    if (f->have_ffmpeg) {
        for (size_t i = 0; i < f->orig.count; i++)
            assert_int_equal(ward_vpdq_append(&v, &f->orig.frames[i], NULL), WARD_OK);
    }
    ward_pdq h;
    memset(&h, 0xa5, sizeof h);
    ward_vpdq_frame extra = {.hash = h, .quality = 7, .frame_number = 123456,
                             .timestamp = 4115.2};
    assert_int_equal(ward_vpdq_append(&v, &extra, NULL), WARD_OK);

    char *text;
    size_t len;
    assert_int_equal(ward_vpdq_format(&v, &text, &len, NULL), WARD_OK);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "123456,7,a5a5"));
    assert_non_null(strstr(text, ",4115.200\n"));
    assert_int_equal(ward_vpdq_parse(text, len, &back, NULL), WARD_OK);
    assert_int_equal(back.count, v.count);
    for (size_t i = 0; i < v.count; i++) {
        assert_memory_equal(&back.frames[i].hash, &v.frames[i].hash, sizeof h);
        assert_int_equal(back.frames[i].quality, v.frames[i].quality);
        assert_int_equal(back.frames[i].frame_number, v.frames[i].frame_number);
        assert_true(fabs(back.frames[i].timestamp - v.frames[i].timestamp) <= 0.0005);
    }
    /* Writing what was read gives the same text. */
    char *again;
    size_t len2;
    assert_int_equal(ward_vpdq_format(&back, &again, &len2, NULL), WARD_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(text, again, len);

    /* The file path too, through a stream. */
    char p[512];
    snprintf(p, sizeof p, "%s/hashes.txt", f->dir);
    FILE *o = fopen(p, "w");
    assert_int_equal(ward_vpdq_write(o, &v, NULL), WARD_OK);
    fclose(o);
    ward_vpdq_free(&back);
    assert_int_equal(ward_vpdq_read_file(p, &back, NULL), WARD_OK);
    assert_int_equal(back.count, v.count);
    free(text);
    free(again);
    ward_vpdq_free(&back);
    ward_vpdq_free(&v);
}

static void test_text_parsing(void **state)
{
    (void)state;
    const char *hex = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";
    char ok[1024];
    snprintf(ok, sizeof ok,
             "\xef\xbb\xbf# comment\r\n0,100,%s,0.000\r\n\n  1 , 98 ,%s, 1.033 \n"
             "%s,80,2.5\n",
             hex, hex, hex);
    ward_vpdq v = {0};
    ward_error err;
    assert_int_equal(ward_vpdq_parse(ok, strlen(ok), &v, &err), WARD_OK);
    assert_int_equal(v.count, 3);
    assert_int_equal(v.frames[1].quality, 98);
    assert_true(fabs(v.frames[1].timestamp - 1.033) < 1e-9);
    assert_int_equal(v.frames[2].frame_number, 2); /* compact form: position */
    assert_int_equal(v.frames[2].quality, 80);
    ward_vpdq_free(&v);

    static const struct {
        const char *body, *msg;
    } bad[] = {
        {"0,100,%s,0.000\n1,101,%s,1.000\n", "line 2: bad quality"},
        {"0,100,%s,0.000\n\n1,100,%s\n", "line 3: bad PDQ hash"},
        {"0,100,%s,-1\n%s", "line 1: bad timestamp"},
        {"0,100,%s,nan\n%s", "line 1: bad timestamp"},
        {"x,100,%s,1\n%s", "line 1: bad frame number"},
        {"0,100,%s,1,extra\n%s", "line 1: expected frame,quality,pdq_hash,timestamp"},
        {"0,100,%.63s,1\n%s", "line 1: bad PDQ hash"},
        {"0;100;%s;1\n%s", "line 1: expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[1024];
        snprintf(text, sizeof text, bad[i].body, hex, hex);
        assert_int_equal(ward_vpdq_parse(text, strlen(text), &v, &err), WARD_EFORMAT);
        if (strncmp(err.message, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("case %zu: '%s' does not start with '%s'", i, err.message, bad[i].msg);
        ward_vpdq_free(&v);
    }
    assert_int_equal(ward_vpdq_parse("", 0, &v, NULL), WARD_OK);
    assert_int_equal(v.count, 0);
    assert_int_equal(ward_vpdq_read_file("/nonexistent/vpdq.txt", &v, &err), WARD_EIO);
}

int main(void)
{
    /* The library leaves FFmpeg's logging to its caller: keep the damaged
     * stream tests from printing FFmpeg's own complaints. */
    av_log_set_level(AV_LOG_FATAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_original),
        cmocka_unit_test(test_variants_match),
        cmocka_unit_test(test_trimmed_one_direction),
        cmocka_unit_test(test_unrelated_no_match),
        cmocka_unit_test(test_buffer_equals_file),
        cmocka_unit_test(test_y_plane_vs_rgb),
        cmocka_unit_test(test_frame_size_vs_reference),
        cmocka_unit_test(test_frames_find_photos),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_broken_input),
        cmocka_unit_test(test_compare_definition),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_text_parsing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
