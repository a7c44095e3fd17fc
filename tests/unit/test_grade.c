/* The grade room without a browser or a scan: a files.jsonl written here
 * with made-up hashes (no picture at all), so each rule is seen on its own.
 *
 *   grouping     same SHA-256; PDQ within the radius, through a dihedral
 *                variant too; a PDQ 40 bits away only at --radius 47;
 *                videos by vPDQ both ways, a clip of a longer one not;
 *                order (beside known material first) and group ids;
 *                a damaged record named by line
 *   grade once   one decision grades the whole group; replay, undo, the
 *                scheme fixed; the export has one Media per content
 *   intake       the two-person rule: one grader is pending, two who agree
 *                are promoted once, two who differ are a conflict, listed
 *                with who said what; grades awaiting a second grader
 *                pre-fill another examiner's queue
 */
#include "storetest.h"

#include <ward/grade.h>
#include <ctype.h>
#include <unistd.h>

#include "grade/grade_int.h"

/* ---- made-up hashes ------------------------------------------------------ */

/* A fixed pseudo-random hash for `seed`. */
static ward_pdq hash_of(unsigned seed)
{
    ward_pdq h;
    uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
    for (int i = 0; i < 32; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        h.b[i] = (uint8_t)x;
    }
    return h;
}

/* h with `bits` bits flipped from the from-th on (spread over all 16
 * chunks, so no chunk is left equal by chance). */
static ward_pdq flip_from(ward_pdq h, int from, int bits)
{
    for (int k = from; k < from + bits; k++) {
        int bit = (k % 16) * 16 + k / 16;
        h.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    return h;
}

static ward_pdq flip(ward_pdq h, int bits) { return flip_from(h, 0, bits); }

static const char *hex(ward_pdq h)
{
    static char buf[8][65];
    static int i;
    i = (i + 1) % 8;
    ward_pdq_to_hex(&h, buf[i]);
    return buf[i];
}

/* A 64-hex SHA-256 look-alike from a letter: its code in hex, 32 times
 * (letters past 'f' are not hex digits themselves). */
static const char *sha(char c)
{
    static char buf[8][65];
    static int i;
    i = (i + 1) % 8;
    for (int k = 0; k < 32; k++) snprintf(buf[i] + 2 * k, 3, "%02x", (unsigned char)c);
    return buf[i];
}

static void image(FILE *f, int seq, const char *path, char content, ward_pdq h)
{
    fprintf(f, "{\"seq\":%d,\"path\":\"%s\",\"size\":100,\"sha256\":\"%s\",\"media\":\"jpeg\","
               "\"class\":\"new-image\",\"pdq\":\"%s\",\"pdq_quality\":90}\n",
            seq, path, sha(content), hex(h));
}

/* An image whose original hash is `h` and whose 7 other dihedral hashes
 * are unrelated except the flip-x one, `mirror`. */
static void image_dih(FILE *f, int seq, const char *path, char content, ward_pdq h,
                      ward_pdq mirror)
{
    fprintf(f, "{\"seq\":%d,\"path\":\"%s\",\"size\":100,\"sha256\":\"%s\",\"class\":\"new-image\","
               "\"pdq\":\"%s\",\"pdq_quality\":90,\"pdq_dihedral\":[",
            seq, path, sha(content), hex(h));
    for (int i = 1; i < 8; i++)
        fprintf(f, "%s\"%s\"", i > 1 ? "," : "", hex(i == 4 ? mirror : hash_of(900 + seq * 8 + i)));
    fprintf(f, "]}\n");
}

static void video(FILE *f, int seq, const char *path, char content, const ward_pdq *fr, int n)
{
    fprintf(f, "{\"seq\":%d,\"path\":\"%s\",\"size\":100,\"sha256\":\"%s\",\"media\":\"mp4\","
               "\"class\":\"new-video\",\"video\":{\"codec\":\"h264\"},\"vpdq\":[",
            seq, path, sha(content));
    for (int i = 0; i < n; i++)
        fprintf(f, "%s{\"frame\":%d,\"timestamp\":%d.000,\"pdq\":\"%s\",\"quality\":100}",
                i ? "," : "", i * 25, i, hex(fr[i]));
    fprintf(f, "]}\n");
}

static char *dir; /* the scan's report directory */

/*
 * The scan:                                       expected group (id)
 *   0 ev/a/orig.jpg     content a, hash H         0
 *   1 ev/a/copy.jpg     content a (same SHA-256)  0
 *   2 ev/a/near.jpg     content b, H + 20 bits    0
 *   3 ev/a/far.jpg      content c, H + 40 bits    alone (0 at radius 47)
 *   4 ev/a/mirror.jpg   content d, unrelated, its flip-x = H + 10 bits: 0
 *   5 ev/k/known.jpg    known
 *   6 ev/k/beside.jpg   content e, unrelated      alone, first (beside known)
 *   7 ev/v/one.mp4      frames F0 F1 F2           7
 *   8 ev/v/small.mp4    F0 F1 F2 + 8 bits each    7
 *   9 ev/v/clip.mp4     F0 F1 only                alone (a clip of 7)
 *  10 ev/v/other.mp4    three unrelated frames    alone
 */
static int setup(void **state)
{
    (void)state;
    dir = scratch_dir("ward-grade");
    FILE *f = fopen(path_in(dir, "files.jsonl"), "w");
    assert_non_null(f);
    ward_pdq H = hash_of(1);
    image(f, 0, "ev/a/orig.jpg", 'a', H);
    image(f, 1, "ev/a/copy.jpg", 'a', H);
    image(f, 2, "ev/a/near.jpg", 'b', flip(H, 20));
    image(f, 3, "ev/a/far.jpg", 'c', flip_from(H, 100, 40)); /* 60 from near, 50 from mirror */
    image_dih(f, 4, "ev/a/mirror.jpg", 'd', hash_of(2), flip(H, 10));
    fprintf(f, "{\"seq\":5,\"path\":\"ev/k/known.jpg\",\"class\":\"known\"}\n");
    image(f, 6, "ev/k/beside.jpg", 'e', hash_of(3));
    ward_pdq fr[3] = {hash_of(10), hash_of(11), hash_of(12)};
    ward_pdq fr2[3] = {flip(fr[0], 8), flip(fr[1], 8), flip(fr[2], 8)};
    ward_pdq fr3[3] = {hash_of(20), hash_of(21), hash_of(22)};
    video(f, 7, "ev/v/one.mp4", 'f', fr, 3);
    video(f, 8, "ev/v/small.mp4", 'g', fr2, 3);
    video(f, 9, "ev/v/clip.mp4", 'h', fr, 2);
    video(f, 10, "ev/v/other.mp4", 'i', fr3, 3);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_remove(dir);
    return 0;
}

static ward_grade_queue *load(int radius, const char *datadir)
{
    ward_grade_opts o;
    ward_grade_opts_default(&o);
    if (radius >= 0) o.radius = radius;
    o.datadir = datadir;
    o.store_url = test_store_url();
    ward_grade_queue *q = NULL;
    ward_error err;
    if (ward_grade_queue_load(dir, &o, &q, &err) != WARD_OK) fail_msg("load: %s", err.message);
    return q;
}

/* The group holding the item of this seq. */
static const ward_grade_group *group_of(const ward_grade_queue *q, uint64_t seq)
{
    for (size_t i = 0; i < q->nitems; i++)
        if (q->items[i].seq == seq) return &q->groups[q->items[i].group];
    fail_msg("no item %llu", (unsigned long long)seq);
    return NULL;
}

static void grouping(void **state)
{
    (void)state;
    ward_grade_queue *q = load(-1, NULL);
    assert_int_equal(q->nitems, 10); /* the known file is not to grade */
    /* copy, near, mirrored: one group, its id the smallest seq */
    const ward_grade_group *g = group_of(q, 0);
    assert_int_equal(g->id, 0);
    assert_int_equal(g->count, 4);
    assert_ptr_equal(group_of(q, 1), g);
    assert_ptr_equal(group_of(q, 2), g);
    assert_ptr_equal(group_of(q, 4), g);
    /* 40 bits: outside the default radius */
    assert_int_equal(group_of(q, 3)->count, 1);
    /* videos: re-encoded together; the clip and an unrelated one alone */
    assert_int_equal(group_of(q, 7)->id, 7);
    assert_ptr_equal(group_of(q, 8), group_of(q, 7));
    assert_int_equal(group_of(q, 9)->count, 1);
    assert_int_equal(group_of(q, 10)->count, 1);
    assert_int_equal(q->ngroups, 6);
    assert_int_equal(q->items[9].vpdq.count, 3); /* seq 10: frames kept */
    /* order: beside known material first, with the reason in words */
    assert_int_equal(q->groups[0].id, 6);
    assert_int_equal(q->groups[0].reason, WARD_GRADE_BESIDE_KNOWN);
    assert_non_null(strstr(q->groups[0].why, "same folder as known"));
    assert_int_equal(q->groups[1].reason, WARD_GRADE_REST);
    assert_non_null(ward_grade_queue_find(q, 7));
    assert_null(ward_grade_queue_find(q, 8)); /* not a group's id */
    ward_grade_queue_free(q);
    /* a wider radius takes the 40-bit one in; no radius, only SHA-256 */
    q = load(47, NULL);
    assert_int_equal(group_of(q, 0)->count, 5);
    ward_grade_queue_free(q);
    ward_grade_opts o;
    ward_grade_opts_default(&o);
    o.radius = 48;
    ward_error err;
    assert_int_equal(ward_grade_queue_load(dir, &o, &q, &err), WARD_EINVAL);
}

static void damaged_record(void **state)
{
    (void)state;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/bad", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_text(path_in(sub, "files.jsonl"),
               "{\"seq\":0,\"path\":\"a.jpg\",\"class\":\"other\"}\n"
               "{\"seq\":1,\"path\":\"v.mp4\",\"class\":\"new-video\",\"vpdq\":[{\"pdq\":\"zz\",\"quality\":9}]}\n");
    ward_grade_queue *q = NULL;
    ward_error err;
    assert_int_equal(ward_grade_queue_load(sub, NULL, &q, &err), WARD_EFORMAT);
    assert_null(q);
    assert_non_null(strstr(err.message, "line 2"));
    assert_non_null(strstr(err.message, "vpdq[0]"));
    write_text(path_in(sub, "files.jsonl"), "{\"path\":\"a.jpg\",\"class\":\"new-image\"}\n");
    assert_int_equal(ward_grade_queue_load(sub, NULL, &q, &err), WARD_EFORMAT);
    assert_non_null(strstr(err.message, "line 1"));
}

static ward_grade_decision decision(uint64_t group, const char *cat, const char *grader)
{
    ward_grade_decision d;
    memset(&d, 0, sizeof d);
    d.group = group;
    snprintf(d.category, sizeof d.category, "%s", cat);
    snprintf(d.grader, sizeof d.grader, "%s", grader);
    snprintf(d.time, sizeof d.time, "2026-12-07T08:00:00Z");
    return d;
}

static void grade_once(void **state)
{
    (void)state;
    ward_error err;
    ward_grade_queue *q = load(-1, NULL);
    ward_grade_log *g = NULL;
    assert_int_equal(ward_grade_log_open(dir, "projectvic", &g, &err), WARD_OK);
    assert_string_equal(ward_grade_log_scheme(g), "projectvic");
    assert_false(ward_grade_category_valid("projectvic", "A"));
    assert_true(ward_grade_category_valid("projectvic", "1"));
    assert_true(ward_grade_category_valid("uk", "not-relevant"));
    ward_grade_decision d = decision(0, "1", "alice");
    assert_int_equal(ward_grade_log_set(g, &d, &err), WARD_OK);
    d = decision(6, "not-relevant", "alice");
    assert_int_equal(ward_grade_log_set(g, &d, &err), WARD_OK);
    d = decision(7, "2", "alice");
    assert_int_equal(ward_grade_log_set(g, &d, &err), WARD_OK);
    uint64_t undone = 0;
    assert_int_equal(ward_grade_log_undo(g, "alice", &undone, &err), WARD_OK);
    assert_int_equal(undone, 7);
    ward_grade_log_close(g);
    /* replayed: two decisions, the undone one gone; the scheme is fixed */
    assert_int_equal(ward_grade_log_open(dir, "uk", &g, &err), WARD_EINVAL);
    assert_int_equal(ward_grade_log_open(dir, NULL, &g, &err), WARD_OK);
    assert_int_equal(ward_grade_log_count(g), 2);
    assert_null(ward_grade_log_get(g, 7));
    assert_string_equal(ward_grade_log_get(g, 0)->category, "1");
    /* one decision, the whole group: 4 files, 3 contents (a, b, d) */
    size_t n = 0;
    assert_int_equal(ward_grade_export_vics(q, g, "Test Unit 7", path_in(dir, "c1.json"), &n, &err),
                     WARD_OK);
    assert_int_equal(n, 3);
    size_t len;
    char *text = (char *)read_file_or_fail(path_in(dir, "c1.json"), &len);
    text = realloc(text, len + 1);
    text[len] = 0;
    assert_non_null(strstr(text, "\"ward:Contribution\":true"));
    assert_null(strstr(text, "ev/a")); /* no path leaves */
    for (const char *c = "abd"; *c; c++) {
        char up[65];
        snprintf(up, sizeof up, "%s", sha(*c));
        for (int i = 0; i < 64; i++) up[i] = (char)toupper((unsigned char)up[i]);
        assert_non_null(strstr(text, up));
    }
    free(text);
    ward_grade_log_close(g);
    ward_grade_queue_free(q);
}

/* A contribution from `grader`, who grades groups[i] cats[i]; it must
 * have `media` Media (one per content). */
static const char *contribution_of(const char *grader, const uint64_t *groups,
                                   const char *const *cats, size_t n, size_t media)
{
    static char out[8][300];
    static int k;
    k = (k + 1) % 8;
    char sub[300], cmd[700];
    snprintf(sub, sizeof sub, "%s/by-%s", dir, grader);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s/files.jsonl' '%s/'", sub,
             sub, dir, sub);
    assert_int_equal(system(cmd), 0);
    ward_error err;
    ward_grade_opts o;
    ward_grade_opts_default(&o);
    ward_grade_queue *q = NULL;
    assert_int_equal(ward_grade_queue_load(sub, &o, &q, &err), WARD_OK);
    ward_grade_log *g = NULL;
    assert_int_equal(ward_grade_log_open(sub, "projectvic", &g, &err), WARD_OK);
    for (size_t i = 0; i < n; i++) {
        ward_grade_decision d = decision(groups[i], cats[i], grader);
        assert_int_equal(ward_grade_log_set(g, &d, &err), WARD_OK);
    }
    snprintf(out[k], sizeof out[k], "%s/contribution.json", sub);
    size_t got;
    assert_int_equal(ward_grade_export_vics(q, g, "Unit", out[k], &got, &err), WARD_OK);
    assert_int_equal(got, media);
    ward_grade_log_close(g);
    ward_grade_queue_free(q);
    return out[k];
}

/* A contribution from `grader`, who grades group 0 `cat0` and the beside
 * picture (group 6) `cat6`. */
static const char *contribution(const char *grader, const char *cat0, const char *cat6)
{
    const uint64_t groups[] = {0, 6};
    const char *const cats[] = {cat0, cat6};
    return contribution_of(grader, groups, cats, 2, 4);
}

typedef struct seen {
    int n;
    int carol_2, dave_3;
    uint64_t imports[2];
} seen;

static void on_conflict(void *ctx, const char *sha256, const char *scheme, const char *category,
                        const char *grader, const char *unit, const char *time, uint64_t import_id)
{
    seen *s = ctx;
    (void)unit, (void)time;
    if (s->n < 2) s->imports[s->n] = import_id;
    assert_string_equal(scheme, "projectvic");
    assert_string_equal(sha256, sha('e'));
    s->n++;
    s->carol_2 |= !strcmp(grader, "carol") && !strcmp(category, "2");
    s->dave_3 |= !strcmp(grader, "dave") && !strcmp(category, "3");
}

typedef struct prov {
    int contributions;
    uint64_t carol_import, dave_import, verified_import;
} prov;

static int on_import(void *ctx, const ward_import_info *i)
{
    prov *p = ctx;
    if (!strcmp(i->format, "ward-grade-contribution")) {
        p->contributions++;
        assert_non_null(i->file_sha256);
        assert_int_equal(i->records, 2 * 2); /* group 0's 3 contents + group 6's */
        assert_int_equal(i->added, 0);
        if (strstr(i->path, "by-carol")) p->carol_import = i->id;
        if (strstr(i->path, "by-dave")) p->dave_import = i->id;
    } else if (strstr(i->path, "grade-verified-")) {
        p->verified_import = i->id;
    }
    return 0;
}

static void two_person_rule(void **state)
{
    (void)state;
    ward_error err;
    const char *nat = path_in(dir, "nat");
    char natdir[300];
    snprintf(natdir, sizeof natdir, "%s", nat);
    ward_grade_intake_summary sum;
    /* one grader: nothing is an entry yet; 4 pictures wait */
    const char *c1 = contribution("carol", "1", "2");
    assert_true(ward_grade_is_contribution(c1));
    assert_int_equal(ward_grade_intake(natdir, test_store_url(), "graded", 2, &c1, 1, &sum, &err),
                     WARD_OK);
    assert_int_equal(sum.grades, 4);
    assert_int_equal(sum.promoted, 0);
    assert_int_equal(sum.pending, 4);
    /* another examiner's queue shows the pending grade, as a prompt */
    ward_grade_queue *q = load(-1, natdir);
    assert_non_null(strstr(group_of(q, 0)->prior, "projectvic 1 by carol"));
    assert_non_null(strstr(group_of(q, 0)->prior, "awaiting a second grader"));
    assert_string_equal(group_of(q, 3)->prior, "");
    ward_grade_queue_free(q);
    /* the second agrees on group 0's 3 contents, differs on group 6's */
    const char *c2 = contribution("dave", "1", "3");
    assert_int_equal(ward_grade_intake(natdir, test_store_url(), "graded", 2, &c2, 1, &sum, &err),
                     WARD_OK);
    assert_int_equal(sum.promoted, 3);
    assert_int_equal(sum.conflicts, 1);
    assert_int_equal(sum.pending, 0);
    assert_true(sum.import_id > 0);
    ward_store *s = store_open_ok(natdir);
    assert_int_equal(live_entries(s), 3);
    ward_store_close(s);
    seen sn = {0};
    size_t count = 0;
    assert_int_equal(ward_grade_conflicts(natdir, test_store_url(), on_conflict, &sn, &count, &err),
                     WARD_OK);
    assert_int_equal(count, 1);
    assert_int_equal(sn.n, 2);
    assert_true(sn.carol_2 && sn.dave_3);
    /* provenance: each contribution is an import of its own, and each
     * grade names the one it came in */
    prov pv = {0};
    s = store_open_ok(natdir);
    assert_int_equal(ward_store_imports(s, on_import, &pv, &err), WARD_OK);
    ward_store_close(s);
    assert_int_equal(pv.contributions, 2);
    assert_true(pv.carol_import > 0 && pv.dave_import > pv.carol_import);
    assert_true(sn.imports[0] == pv.carol_import && sn.imports[1] == pv.dave_import);
    assert_true(pv.verified_import > 0);
    /* the entries say whose grades and which imports made them */
    s = store_open_ok(natdir);
    ward_entries *es = NULL;
    assert_int_equal(ward_store_lookup(s, sha('a'), 0, &es, &err), WARD_OK);
    assert_int_equal(es->count, 1);
    char want[64];
    snprintf(want, sizeof want, "import %llu)", (unsigned long long)pv.dave_import);
    assert_non_null(es->v[0].tags);
    assert_non_null(strstr(es->v[0].tags, "graded by carol"));
    assert_non_null(strstr(es->v[0].tags, want));
    ward_entries_free(es);
    ward_store_close(s);
    /* the intake, in the store, names the scan each grade was graded from */
    assert_int_equal(access(path_in(natdir, "grade-intake.jsonl"), F_OK), -1);
    ward_store *vs = NULL;
    grade_votes gv = {0};
    assert_int_equal(grade_votes_open(natdir, test_store_url(), 0, &vs, &err), WARD_OK);
    assert_int_equal(grade_votes_load(vs, 0, &gv, &err), WARD_OK);
    assert_int_equal(gv.n, 8); /* 4 pictures, 2 graders */
    for (size_t i = 0; i < gv.n; i++) {
        assert_int_equal(strlen(gv.v[i].scan), 64);
        assert_true(gv.v[i].import == pv.carol_import || gv.v[i].import == pv.dave_import);
        assert_int_equal(gv.v[i].promoted, strcmp(gv.v[i].sha256, sha('e')) != 0);
    }
    grade_votes_free(&gv);
    ward_store_close(vs);
    /* a third examiner's queue: group 0 is an entry now, verified */
    q = load(-1, natdir);
    assert_non_null(strstr(group_of(q, 0)->prior, "in list graded as projectvic 1, verified by two graders"));
    assert_non_null(strstr(group_of(q, 6)->prior, "in conflict elsewhere"));
    assert_non_null(strstr(group_of(q, 6)->prior, "projectvic 2 by carol"));
    ward_grade_queue_free(q);
    /* again: promoted once only */
    assert_int_equal(ward_grade_intake(natdir, test_store_url(), "graded", 2, &c2, 1, &sum, &err),
                     WARD_OK);
    assert_int_equal(sum.promoted, 0);
    s = store_open_ok(natdir);
    assert_int_equal(live_entries(s), 3);
    ward_store_close(s);
    /* not a contribution: named, nothing read */
    const char *bad = write_in(dir, "plain.json", "{\"value\":[{\"Media\":[]}]}");
    assert_false(ward_grade_is_contribution(bad));
    assert_int_equal(ward_grade_intake(natdir, test_store_url(), "graded", 2, &bad, 1, &sum, &err),
                     WARD_EFORMAT);
    assert_non_null(strstr(err.message, "plain.json"));
}

/* A verified video: its good frames become PDQ entries sharing its SHA-256
 * as media id, as a vPDQ list's frames do, so a scan matches a re-encode. */
static void video_verified(void **state)
{
    (void)state;
    ward_error err;
    char natdir[300];
    snprintf(natdir, sizeof natdir, "%s", path_in(dir, "natv"));
    const uint64_t groups[] = {7};
    const char *const cats[] = {"1"};
    ward_grade_intake_summary sum;
    for (int i = 0; i < 2; i++) {
        const char *c = contribution_of(i ? "bob" : "amy", groups, cats, 1, 2);
        assert_int_equal(
            ward_grade_intake(natdir, test_store_url(), "videos", 2, &c, 1, &sum, &err), WARD_OK);
    }
    assert_int_equal(sum.promoted, 2); /* one.mp4 and small.mp4 */
    ward_store *s = store_open_ok(natdir);
    uint64_t frames = 0;
    assert_int_equal(ward_store_video_frames(s, "videos", sha('f'), &frames, &err), WARD_OK);
    assert_int_equal(frames, 3);
    ward_entries *es = NULL;
    char q[80];
    snprintf(q, sizeof q, "pdq:%s", hex(hash_of(11)));
    assert_int_equal(ward_store_lookup(s, q, 0, &es, &err), WARD_OK);
    assert_int_equal(es->count, 1);
    assert_string_equal(es->v[0].media_id, sha('f'));
    assert_string_equal(es->v[0].category, "1");
    assert_non_null(strstr(es->v[0].tags, "video-frame"));
    assert_non_null(strstr(es->v[0].tags, "graded by bob"));
    assert_non_null(strstr(es->v[0].name, "frame 25 at 1.000 s"));
    ward_entries_free(es);
    ward_store_close(s);
    /* a frame that does not parse is named, nothing taken in */
    const char *bad = write_in(dir, "badframe.json",
                               "{\"value\":[{\"ward:Contribution\":true,\"Media\":[{\"SHA256\":\""
                               "0000000000000000000000000000000000000000000000000000000000000000\","
                               "\"Category\":1,\"ward:Grader\":\"amy\",\"ward:vPDQ\":[{\"frame\":0,"
                               "\"pdq\":\"zz\",\"quality\":90}]}]}]}");
    assert_int_equal(ward_grade_intake(natdir, test_store_url(), "videos", 2, &bad, 1, &sum, &err),
                     WARD_EFORMAT);
    assert_non_null(strstr(err.message, "/value/0/Media/0/ward:vPDQ/0"));
}

/* A node's grade-intake.jsonl from before migration 5 is moved into the
 * store once, and its grades meet those taken in later. */
static void legacy_intake_file(void **state)
{
    (void)state;
    ward_error err;
    char old[300];
    snprintf(old, sizeof old, "%s", path_in(dir, "old"));
    ward_store_close(store_open_ok(old));
    char lines[2048];
    snprintf(lines, sizeof lines,
             "{\"sha256\":\"%s\",\"grader\":\"carol\",\"scheme\":\"projectvic\",\"category\":\"1\","
             "\"unit\":\"U\",\"time\":\"T\",\"scan\":\"\",\"import\":77}\n"
             "{\"sha256\":\"%s\",\"grader\":\"carol\",\"scheme\":\"projectvic\",\"category\":\"2\"}\n"
             "{\"sha256\":\"%s\",\"grader\":\"dave\",\"scheme\":\"projectvic\",\"category\":\"3\"}\n"
             "{\"sha256\":\"%s\",\"grader\":\"carol\",\"scheme\":\"projectvic\",\"category\":\"1\"}\n"
             "{\"sha256\":\"%s\",\"grader\":\"dave\",\"scheme\":\"projectvic\",\"category\":\"1\"}\n"
             "{\"sha256\":\"%s\",\"grader\":\"carol\",\"promoted\":true}\n",
             sha('a'), sha('e'), sha('e'), sha('i'), sha('i'), sha('i'));
    write_in(old, "grade-intake.jsonl", lines);
    seen sn = {0};
    size_t count = 0;
    assert_int_equal(ward_grade_conflicts(old, test_store_url(), on_conflict, &sn, &count, &err),
                     WARD_OK);
    assert_int_equal(count, 1);
    assert_true(sn.carol_2 && sn.dave_3);
    assert_true(sn.imports[0] == 0); /* import 77 is not in this store */
    assert_int_equal(access(path_in(old, "grade-intake.jsonl"), F_OK), -1);
    assert_int_equal(access(path_in(old, "grade-intake.jsonl.imported"), F_OK), 0);
    /* dave agrees with carol's old grade of a: promoted; i was already */
    const char *c = contribution("dave", "1", "3");
    ward_grade_intake_summary sum;
    assert_int_equal(ward_grade_intake(old, test_store_url(), "graded", 2, &c, 1, &sum, &err),
                     WARD_OK);
    assert_int_equal(sum.promoted, 1);
    assert_int_equal(sum.conflicts, 1);
    assert_int_equal(sum.pending, 2); /* b and d */
    /* a damaged old file is named, and nothing of it moved */
    char bad[300];
    snprintf(bad, sizeof bad, "%s", path_in(dir, "oldbad"));
    ward_store_close(store_open_ok(bad));
    write_in(bad, "grade-intake.jsonl", "{\"sha256\":\"x\",\"grader\":\"a\"}\nnot json\n");
    assert_int_equal(ward_grade_conflicts(bad, test_store_url(), on_conflict, &sn, &count, &err),
                     WARD_EFORMAT);
    assert_non_null(strstr(err.message, "grade-intake.jsonl: 1 lines are not JSON"));
    assert_int_equal(access(path_in(bad, "grade-intake.jsonl"), F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grouping),
        cmocka_unit_test(damaged_record),
        cmocka_unit_test(grade_once),
        cmocka_unit_test(two_person_rule),
        cmocka_unit_test(video_verified),
        cmocka_unit_test(legacy_intake_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
