/*
 * The scan engine. One thread reads the sources (sequentially, as the
 * evidence media prefers) and emits results; a pool of workers hashes and
 * looks up. Results come back in source order, so files.jsonl is the same
 * byte for byte whatever the thread count, and a checkpoint is simply "the
 * first N items are in files.jsonl up to byte B".
 */
#include "exchange/videojson.h"
#include "scan/record.h"
#include "scan/scan_int.h"
#include "util/error.h"
#include "util/escape.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <ward/matcher.h>
#include <ward/pool.h>
#include <ward/thumb.h>
#include <ward/walk.h>

#define MAX_EXACT 32
#define MAX_NEAR 32
#define THUMB_SIDE 128
#define THUMB_BLUR 4

static const char *const verdict_names[WARD_VERDICT_COUNT] = {
    "known", "near", "ignorable", "new-image", "new-video", "other", "error"};

const char *ward_verdict_name(ward_verdict v)
{
    return v < WARD_VERDICT_COUNT ? verdict_names[v] : "?";
}

int scan_verdict_parse(const char *name)
{
    for (int i = 0; i < WARD_VERDICT_COUNT; i++)
        if (strcmp(name, verdict_names[i]) == 0)
            return i;
    return -1;
}

void ward_scan_opts_default(ward_scan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = ward_cpu_count();
    o->radius = WARD_INDEX_PDQ_RADIUS;
    o->min_quality = WARD_INDEX_PDQ_MIN_QUALITY;
    o->pdq = 1;
    o->checkpoint_s = 2.0;
    ward_source_opts_default(&o->source);
    ward_hash_opts_default(&o->hash);
}

/* ---- jobs ----------------------------------------------------------- */

typedef struct frame_hit {
    uint32_t frame;
    uint64_t entry;
} frame_hit;

#define MAX_FRAME_HITS 4096

typedef struct job {
    uint64_t seq;
    int skip;                 /* done before the checkpoint: nothing to do */
    const char *source;       /* root it came from (owned by the caller) */
    ward_item item;           /* path/fs_path/data owned by the job */
    ward_file_hash h;
    uint64_t exact[MAX_EXACT];
    size_t nexact;
    int looked_up;            /* exact[] is filled */
    ward_pdq_match near[MAX_NEAR];
    size_t nnear;
    ward_thumb thumb;         /* --thumbnails: kept until the verdict is known */
    frame_hit *hits;          /* videos: every (frame, entry) within the radius */
    size_t nhits;
} job;

typedef struct worker {
    ward_hasher *hasher;
    const ward_matcher *matcher;
    const ward_scan_opts *opts;
    job *current;
} worker;

/* Hasher gate: PDQ only for files no list knows exactly. */
static int want_pdq(void *ctx, const ward_digests *d)
{
    worker *w = ctx;
    job *j = w->current;
    /* the arguments are the scan's own: WARD_OK, or a count of 0 */
    (void)ward_matcher_exact(w->matcher, d, j->exact, MAX_EXACT, &j->nexact);
    if (j->nexact > MAX_EXACT) j->nexact = MAX_EXACT;
    j->looked_up = 1;
    return j->nexact == 0;
}

/* Hasher hook: keep a small thumbnail of every decoded image; the emitter
 * writes it only if the image turns out to be new (never known material). */
static void on_image(void *ctx, const ward_luma *luma)
{
    worker *w = ctx;
    int blur = w->opts->thumbnails == WARD_THUMBS_CLEAR ? 0 : THUMB_BLUR;
    if (w->opts->thumbnails)
        /* a thumbnail is a convenience: without one (out of memory) the
         * record is complete, its "thumb" field only absent */
        (void)ward_thumb_make(luma, THUMB_SIDE, blur, &w->current->thumb, NULL);
}

/* Each sampled frame of good quality against the image index: a still of
 * a known video, or a video made from known images, is found. One match per
 * entry, at the frame where it is closest; near[].query is the frame. */
static void match_video(worker *w, job *j)
{
    const ward_vpdq *v = &j->h.video;
    for (size_t f = 0; f < v->count; f++) {
        if (v->frames[f].quality < w->opts->min_quality)
            continue;
        ward_pdq_match m[8];
        size_t n = 0;
        (void)ward_matcher_near(w->matcher, &v->frames[f].hash, 1, w->opts->radius, m, 8, &n);
        for (size_t k = 0; k < n && k < 8; k++) {
            if (!j->hits) j->hits = malloc(MAX_FRAME_HITS * sizeof *j->hits);
            if (j->hits && j->nhits < MAX_FRAME_HITS)
                j->hits[j->nhits++] = (frame_hit){(uint32_t)f, m[k].entry_id};
            size_t i = 0;
            while (i < j->nnear && j->near[i].entry_id != m[k].entry_id) i++;
            if (i == j->nnear && j->nnear == MAX_NEAR) continue;
            if (i == j->nnear) j->nnear++;
            else if (j->near[i].distance <= m[k].distance) continue;
            j->near[i] = m[k];
            j->near[i].query = (int)f;
        }
    }
}

static void do_work(void *state, void *item)
{
    worker *w = state;
    job *j = item;
    if (j->skip)
        return;
    w->current = j;
    switch (j->item.kind) {
    case WARD_ITEM_FILE: {
        int fd = ward_open_evidence(j->item.fs_path);
        if (fd < 0) {
            j->h.read_status = err_fail_errno(&j->h.read_error, errno, "cannot open");
            return;
        }
        (void)ward_hasher_fd(w->hasher, fd, &j->h); /* status in j->h.read_status */
        close(fd);
        break;
    }
    case WARD_ITEM_DATA:
        (void)ward_hasher_buffer(w->hasher, j->item.data, j->item.len, &j->h);
        free(j->item.data);
        j->item.data = NULL;
        break;
    case WARD_ITEM_DIGESTED:
        memset(&j->h, 0, sizeof j->h);
        j->h.size = j->item.len;
        j->h.digests = j->item.digests;
        want_pdq(w, &j->h.digests);
        return;
    default:
        return; /* notices: nothing to compute */
    }
    /* The hasher asks the gate only for images it decodes: everything else
     * (documents, executables, images with --no-pdq) is looked up here. */
    if (!j->looked_up && j->h.read_status == WARD_OK)
        want_pdq(w, &j->h.digests);
    if (j->h.has_video)
        match_video(w, j);
    if (j->h.has_pdq && j->h.pdq.quality >= w->opts->min_quality) {
        (void)ward_matcher_near(w->matcher, j->h.pdq.hash, j->h.pdq.count, w->opts->radius,
                                j->near, MAX_NEAR, &j->nnear);
        if (j->nnear > MAX_NEAR) j->nnear = MAX_NEAR;
    }
}

/* ---- the emitting side ---------------------------------------------- */

typedef struct scan {
    const ward_scan_opts *opts;
    ward_matcher *matcher;
    ward_pool *pool;
    FILE *files, *notices;
    char out_dir[4096];
    dup_table *dups;
    ward_scan_progress prog;
    uint64_t seq;             /* next sequence number to hand out */
    uint64_t emitted;         /* items written */
    uint64_t resume_seq;      /* items before this were done already */
    double t0, last_progress, last_checkpoint;
    strbuf line, esc;
    ward_status fatal;
    ward_error fatal_err;
    const char *source;       /* root being read */
} scan;

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void add(scan *s, const char *str) { strbuf_add(&s->line, str, strlen(str)); }

#define add_fmt(s, ...) strbuf_addf(&(s)->line, __VA_ARGS__)

static void add_key_str(scan *s, const char *key, const char *val)
{
    add_fmt(s, ",\"%s\":", key);
    esc_json_string(&s->line, val, strlen(val));
}

/* Escaped (lossless, see docs/cli.md) name as a JSON value. */
static void add_key_name(scan *s, const char *key, const char *raw)
{
    /* out of memory: s->esc would still hold the previous name */
    if (!esc_name(&s->esc, raw, strlen(raw))) {
        s->line.failed = 1;
        return;
    }
    add_fmt(s, ",\"%s\":", key);
    esc_json_string(&s->line, s->esc.s, s->esc.len);
}

static void add_time(scan *s, const char *key, int64_t t)
{
    if (!t) return;
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[40];
    if (gmtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        add_fmt(s, ",\"%s\":\"%s\"", key, buf);
}

static const char *match_by(const ward_entry *e, const ward_digests *d)
{
    if ((d->present & e->digests.present & WARD_DIGEST_SHA256) && !memcmp(d->sha256, e->digests.sha256, 32)) return "sha256";
    if ((d->present & e->digests.present & WARD_DIGEST_SHA1) && !memcmp(d->sha1, e->digests.sha1, 20)) return "sha1";
    if ((d->present & e->digests.present & WARD_DIGEST_MD5) && !memcmp(d->md5, e->digests.md5, 16)) return "md5";
    return "?";
}

static int entry_alerts(const ward_entry *e)
{
    return e->list_kind == WARD_LIST_ALERT &&
           !(e->category_class && strcmp(e->category_class, WARD_CLASS_IGNORABLE) == 0);
}

/* The entry's half of a match record; the caller adds how it matched and
 * writes it with match_record_jsonl (src/scan/record.h: the one serializer
 * of a match, shared with the API). */
static match_record entry_record(const ward_entry *e)
{
    match_record m = {
        .entry_id = e->id, .list = e->list,
        .list_kind = e->list_kind == WARD_LIST_KNOWN_GOOD ? "known-good" : "alert",
        .scheme = e->scheme, .category = e->category, .category_label = e->category_label,
        .category_class = e->category_class, .series = e->series, .media_id = e->media_id,
        .victim_identified = e->victim_identified, .transform = -1, .frame = -1};
    return m;
}

/* Per known video (entries imported from a vPDQ list share a media_id):
 * the share of this video's good frames that match one of its frames
 * (vPDQ's query_match_percent) and the share of its frames matched by one
 * of ours (compared_match_percent; the import already dropped repeats). */
typedef struct video_tally {
    char video[256], list[128];
    size_t frames, targets;
    int64_t last_frame;
    uint64_t *seen;           /* target entries counted (targets of them) */
    size_t cap;
} video_tally;

/* Hits come in frame order, so a new frame number is a newly matched frame;
 * target entries are counted once each (a short linear search: hits per
 * video are at most MAX_FRAME_HITS). */
static void tally_hit(video_tally *t, const frame_hit *h)
{
    if ((int64_t)h->frame != t->last_frame) t->frames++;
    t->last_frame = h->frame;
    for (size_t i = 0; i < t->targets; i++)
        if (t->seen[i] == h->entry) return;
    if (t->targets == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        uint64_t *p = realloc(t->seen, cap * sizeof *p);
        if (!p) return; /* counted as unmatched: an undercount, never an overcount */
        t->seen = p;
        t->cap = cap;
    }
    t->seen[t->targets++] = h->entry;
}

static void add_video_matches(scan *s, const job *j)
{
    video_tally t[16];
    size_t nt = 0, good = 0;
    for (size_t f = 0; f < j->h.video.count; f++)
        good += j->h.video.frames[f].quality >= s->opts->min_quality;
    for (size_t i = 0; i < j->nhits; i++) {
        ward_entries *es = NULL;
        if (ward_matcher_entry(s->matcher, j->hits[i].entry, &es, NULL) == WARD_OK && es->count &&
            es->v[0].media_id && entry_alerts(&es->v[0])) {
            size_t k = 0;
            while (k < nt && (strcmp(t[k].video, es->v[0].media_id) || strcmp(t[k].list, es->v[0].list)))
                k++;
            if (k == nt && nt < 16) {
                memset(&t[nt], 0, sizeof t[nt]);
                snprintf(t[nt].video, sizeof t[nt].video, "%s", es->v[0].media_id);
                snprintf(t[nt].list, sizeof t[nt].list, "%s", es->v[0].list);
                t[nt++].last_frame = -1;
            }
            if (k < nt) tally_hit(&t[k], &j->hits[i]);
        }
        ward_entries_free(es);
    }
    for (size_t k = 0; k < nt; k++) {
        uint64_t total = 0;
        /* unknown (0) when the store cannot say: the match itself stands */
        (void)ward_matcher_video_frames(s->matcher, t[k].list, t[k].video, &total, NULL);
        add(s, k ? ",{" : ",\"video_matches\":[{");
        add(s, "\"video\":");
        esc_json_string(&s->line, t[k].video, strlen(t[k].video));
        add_key_str(s, "list", t[k].list);
        add_fmt(s, ",\"query_frames\":%zu,\"frames_matched\":%zu,\"query_match_percent\":%.1f"
                   ",\"target_frames\":%" PRIu64 ",\"target_frames_matched\":%zu"
                   ",\"compared_match_percent\":%.1f}",
                good, t[k].frames, good ? 100.0 * (double)t[k].frames / (double)good : 0.0,
                total, t[k].targets,
                total ? 100.0 * (double)(t[k].targets < total ? t[k].targets : total) / (double)total
                      : 0.0);
        free(t[k].seen);
    }
    if (nt) add(s, "]");
}

/* Appends the matches array; returns the verdict it implies (or -1: none). */
static int add_matches(scan *s, job *j)
{
    int verdict = -1, first = 1;
    if (j->nexact) {
        verdict = WARD_VERDICT_IGNORABLE;
        add(s, ",\"matches\":[");
        for (size_t i = 0; i < j->nexact; i++) {
            ward_entries *es = NULL;
            if (ward_matcher_entry(s->matcher, j->exact[i], &es, NULL) != WARD_OK || !es->count) {
                ward_entries_free(es);
                continue;
            }
            const ward_entry *e = &es->v[0];
            if (entry_alerts(e)) verdict = WARD_VERDICT_KNOWN;
            match_record m = entry_record(e);
            m.by = match_by(e, &j->h.digests);
            if (!first) add(s, ",");
            match_record_jsonl(&m, &s->line);
            first = 0;
            ward_entries_free(es);
        }
        add(s, "]");
        return verdict;
    }
    for (size_t i = 0; i < j->nnear; i++) {
        ward_entries *es = NULL;
        if (ward_matcher_entry(s->matcher, j->near[i].entry_id, &es, NULL) != WARD_OK || !es->count) {
            ward_entries_free(es);
            continue;
        }
        const ward_entry *e = &es->v[0];
        if (entry_alerts(e)) {
            add(s, first ? ",\"matches\":[" : ",");
            match_record m = entry_record(e);
            m.by = "pdq";
            m.distance = j->near[i].distance;
            if (j->h.has_video) {
                const ward_vpdq_frame *fr = &j->h.video.frames[j->near[i].query];
                m.frame = fr->frame_number;
                m.timestamp = fr->timestamp;
            } else {
                m.transform = j->near[i].query;
            }
            char hex[65];
            if (e->has_pdq) {
                ward_pdq_to_hex(&e->pdq, hex);
                m.hash = hex;
            }
            match_record_jsonl(&m, &s->line);
            first = 0;
            verdict = WARD_VERDICT_NEAR;
        }
        ward_entries_free(es);
    }
    if (!first) add(s, "]");
    if (j->h.has_video && j->nhits)
        add_video_matches(s, j);
    return verdict;
}

static void add_hash_fields(scan *s, const job *j)
{
    char hex[65];
    for (int i = 0; i < 3; i++) {
        const char *name = ward_digest_hex(&j->h.digests, ward_digest_kinds[i], hex);
        if (name) add_key_str(s, name, hex);
    }
    if (j->h.media != WARD_MEDIA_UNKNOWN)
        add_key_str(s, "media", ward_media_type_name(j->h.media));
    if (j->h.width)
        add_fmt(s, ",\"width\":%d,\"height\":%d", j->h.width, j->h.height);
    if (j->h.has_pdq) {
        ward_pdq_to_hex(&j->h.pdq.hash[0], hex);
        add_key_str(s, "pdq", hex);
        add_fmt(s, ",\"pdq_quality\":%d", j->h.pdq.quality);
        /* The 7 other dihedral hashes, so `ward grade` can group a mirrored
         * or rotated copy with its original from files.jsonl alone. */
        if (j->h.pdq.count == WARD_DIH_COUNT) {
            add(s, ",\"pdq_dihedral\":[");
            for (int i = 1; i < WARD_DIH_COUNT; i++) {
                ward_pdq_to_hex(&j->h.pdq.hash[i], hex);
                add_fmt(s, "%s\"%s\"", i > 1 ? "," : "", hex);
            }
            add(s, "]");
        }
    }
}

static const uint8_t *content_key(const ward_digests *d, uint8_t key[32])
{
    memset(key, 0, 32);
    if (d->present & WARD_DIGEST_SHA256) memcpy(key, d->sha256, 32);
    else if (d->present & WARD_DIGEST_SHA1) memcpy(key, d->sha1, 20);
    else if (d->present & WARD_DIGEST_MD5) memcpy(key, d->md5, 16);
    else return NULL;
    return key;
}

/* Write the record built in s->line. An append that ran out of memory left
 * a hole in it: the record is not written, and the scan stops with the
 * error rather than leave a line that says less than the file was. */
static void write_line(scan *s, FILE *f)
{
    if (s->line.failed) {
        s->line.failed = 0;
        if (s->fatal == WARD_OK)
            s->fatal = err_fail(&s->fatal_err, WARD_ENOMEM, "out of memory writing a record");
        return;
    }
    fwrite(s->line.s, 1, s->line.len, f);
}

/* One line of notices.jsonl. Uses s->line: call it before or after a
 * files.jsonl record is built, never in the middle. */
static void notice_line(scan *s, uint64_t seq, const char *path, ward_item_kind kind,
                        const char *reason)
{
    static const char *const kinds[] = {"", "", "", "error", "limit", "skipped"};
    s->line.len = 0;
    add_fmt(s, "{\"seq\":%" PRIu64, seq);
    add_key_name(s, "path", path);
    add_key_str(s, "kind", kinds[kind]);
    add_key_str(s, "reason", reason);
    add(s, "}\n");
    write_line(s, s->notices);
    s->prog.notices++;
}

static void write_notice(scan *s, job *j)
{
    notice_line(s, j->seq, j->item.path, j->item.kind, j->item.message);
}

/* A file whose image or video a limit refused (--max-pixels,
 * --max-video-duration) is an error record with its digests, and also a
 * limit in notices.jsonl, as every other limit hit is (docs/scan.md). */
static void limit_notices(scan *s, const job *j)
{
    if (j->h.read_status != WARD_OK)
        return;
    if (ward_media_is_image(j->h.media) && j->h.image_status == WARD_ELIMIT)
        notice_line(s, j->seq, j->item.path, WARD_ITEM_LIMIT, j->h.image_error.message);
    if (j->h.has_video && j->h.video_error.status == WARD_ELIMIT)
        notice_line(s, j->seq, j->item.path, WARD_ITEM_LIMIT, j->h.video_error.message);
}

/* thumbs/NNNNNN.jpg, named by sequence number so a resumed scan writes
 * the same names. A thumbnail that cannot be written is only not listed. */
static void write_thumb(scan *s, job *j)
{
    char rel[64], path[4200];
    snprintf(rel, sizeof rel, "thumbs/%06" PRIu64 ".jpg", j->seq);
    snprintf(path, sizeof path, "%s/thumbs", s->out_dir);
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return;
    snprintf(path, sizeof path, "%s/%s", s->out_dir, rel);
    if (ward_thumb_write_jpeg(&j->thumb, path, NULL) == WARD_OK)
        add_key_str(s, "thumbnail", rel);
}

/* An E01's acquired media: its digests as read through libewf, those the
 * acquiring tool stored, and whether they agree (ewfverify's check). The
 * record's own md5/sha1/sha256 stay the container file's. */
static void add_acquired(scan *s, const ward_acquired *a)
{
    if (!a->present)
        return;
    char hex[65];
    add_fmt(s, ",\"acquired\":{\"size\":%" PRIu64, a->size);
    int bad = 0, checked = 0;
    for (int i = 0; i < 3; i++) {
        const char *name = ward_digest_hex(&a->digests, ward_digest_kinds[i], hex);
        if (name) add_key_str(s, name, hex);
        const char *stored = ward_digest_kinds[i] == WARD_DIGEST_MD5    ? a->stored_md5
                             : ward_digest_kinds[i] == WARD_DIGEST_SHA1 ? a->stored_sha1
                                                                        : "";
        if (name && stored[0]) {
            checked = 1;
            bad |= strcmp(hex, stored) != 0;
        }
    }
    if (a->stored_md5[0]) add_key_str(s, "stored_md5", a->stored_md5);
    if (a->stored_sha1[0]) add_key_str(s, "stored_sha1", a->stored_sha1);
    add_fmt(s, ",\"verified\":%s}", !checked ? "null" : bad ? "false" : "true");
}

/* A file nothing matched: what needs a person, and what could not be read. */
static int unmatched_verdict(const ward_file_hash *h)
{
    if (ward_media_is_image(h->media))
        return h->image_status != WARD_OK ? WARD_VERDICT_ERROR : WARD_VERDICT_NEW_IMAGE;
    if (h->has_video)  /* a video with no frame at all could not be examined */
        return h->video.count ? WARD_VERDICT_NEW_VIDEO : WARD_VERDICT_ERROR;
    return ward_media_is_video(h->media) ? WARD_VERDICT_NEW_VIDEO : WARD_VERDICT_OTHER;
}

static void write_file(scan *s, job *j)
{
    s->line.len = 0;
    add_fmt(s, "{\"seq\":%" PRIu64, j->seq);
    add_key_name(s, "path", j->item.path);
    add_key_name(s, "source", j->source);
    if (j->item.depth) add(s, ",\"in_container\":true");
    if (j->item.deleted) add(s, ",\"deleted\":true");
    if (j->item.has_inode) add_fmt(s, ",\"inode\":%" PRIu64, j->item.inode);
    int verdict;
    if (j->h.read_status != WARD_OK) {
        add_key_str(s, "class", "error");
        add_key_str(s, "error", j->h.read_error.message);
        add(s, "}\n");
        verdict = WARD_VERDICT_ERROR;
    } else {
        add_fmt(s, ",\"size\":%" PRIu64, j->h.size);
        add_time(s, "mtime", j->item.mtime);
        add_time(s, "atime", j->item.atime);
        add_time(s, "ctime", j->item.ctime);
        add_time(s, "crtime", j->item.crtime);
        add_hash_fields(s, j);
        add_acquired(s, &j->item.acquired);
        /* class goes before matches in the text, but depends on them */
        strbuf head = s->line;
        s->line = (strbuf){0};
        verdict = add_matches(s, j);
        strbuf tail = s->line;
        s->line = head;
        if (verdict < 0)
            verdict = unmatched_verdict(&j->h);
        add_key_str(s, "class", ward_verdict_name((ward_verdict)verdict));
        if (tail.len) strbuf_add(&s->line, tail.s, tail.len);
        strbuf_free(&tail);
        if (ward_media_is_image(j->h.media) && j->h.image_status != WARD_OK)
            add_key_str(s, "error", j->h.image_error.message);
        else if (ward_media_is_image(j->h.media) && !j->h.has_pdq && !j->h.pdq_skipped &&
                 j->h.image_error.message[0])
            add_key_str(s, "pdq_note", j->h.image_error.message);
        if (j->h.image_warning[0])
            add_key_str(s, "image_warning", j->h.image_warning);
        if (j->h.has_video && verdict == WARD_VERDICT_ERROR)
            add_key_str(s, "error", j->h.video_error.message); /* the reason, as for images */
        if (j->h.has_video)
            wx_video_json(&s->line, &j->h);
        if (verdict == WARD_VERDICT_NEW_IMAGE && j->thumb.px)
            write_thumb(s, j);
        uint8_t key[32];
        const char *first = content_key(&j->h.digests, key) ? dup_check(s->dups, key, j->item.path) : NULL;
        if (first) add_key_name(s, "duplicate_of", first);
        add(s, "}\n");
        s->prog.bytes += j->h.size;
    }
    write_line(s, s->files);
    s->prog.files++;
    s->prog.counts[verdict]++;
    limit_notices(s, j);
}

static void free_job(job *j)
{
    free(j->item.path);
    free(j->item.fs_path);
    free(j->item.data);
    ward_thumb_free(&j->thumb);
    ward_file_hash_clear(&j->h);
    free(j->hits);
    free(j);
}

static ward_status write_checkpoint(scan *s);

static void do_emit(void *ctx, void *item)
{
    scan *s = ctx;
    job *j = item;
    /* The ordered pool hands every item over once, in sequence order
     * (skipped ones of a resumed scan too): files.jsonl's order and the
     * checkpoint's item count rest on it. */
    assert(j->seq == s->emitted);
    if (!j->skip) {
        if (j->item.kind >= WARD_ITEM_ERROR) write_notice(s, j);
        else write_file(s, j);
        if (j->item.kind == WARD_ITEM_FILE && j->h.read_status == WARD_OK && !j->item.depth)
            s->prog.host_bytes_done += j->h.size;
    }
    s->emitted = j->seq + 1;
    free_job(j);
}

static void report_progress(scan *s, int force)
{
    double t = now();
    if (!force && t - s->last_progress < 0.25)
        return;
    s->last_progress = t;
    s->prog.elapsed = t - s->t0;
    if (s->opts->progress)
        s->opts->progress(s->opts->progress_ctx, &s->prog);
    if (t - s->last_checkpoint >= s->opts->checkpoint_s) {
        s->last_checkpoint = t;
        /* A failure leaves the stream's error flag set: the final
         * checkpoint sees it and the scan reports it (ckpt_bad). */
        (void)write_checkpoint(s);
    }
}

/* ---- checkpoint ----------------------------------------------------- */

static void out_path(const scan *s, char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", s->out_dir, name);
}

/* files and notices are flushed and synced before the checkpoint that
 * names their length is renamed into place. */
static ward_status write_checkpoint(scan *s)
{
    /* Once a write has failed (a full disk) the stream may have dropped
     * what it held while its offset moved on: a checkpoint now would vouch
     * for lines that are not there, and --resume would refuse the folder. */
    if (ferror(s->files) || ferror(s->notices))
        return WARD_EIO;
    if (fflush(s->files) || fflush(s->notices) || fsync(fileno(s->files)) ||
        fsync(fileno(s->notices)))
        return WARD_EIO;
    char path[4200], tmp[4300];
    out_path(s, path, sizeof path, SCAN_CHECKPOINT);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return WARD_EIO;
    /* A resumed scan passes the items it skips through the same ordered
     * queue: until it has emitted past its resume point, the outputs still
     * end where the checkpoint it resumed from said, so that checkpoint's
     * count stands. (Writing s->emitted here, 0 at first, made the next
     * --resume scan everything again after the kept records: duplicates.) */
    uint64_t items = s->emitted > s->resume_seq ? s->emitted : s->resume_seq;
    fprintf(f, "{\"items\":%" PRIu64 ",\"files_bytes\":%ld,\"notices_bytes\":%ld}\n", items,
            ftell(s->files), ftell(s->notices));
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    fclose(f);
    if (bad || rename(tmp, path) != 0) return WARD_EIO;
    return WARD_OK;
}

static int read_checkpoint(const char *path, uint64_t *items, long *fb, long *nb)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = fscanf(f, "{\"items\":%" SCNu64 ",\"files_bytes\":%ld,\"notices_bytes\":%ld}", items, fb,
                    nb) == 3;
    fclose(f);
    return ok;
}

/* ---- reading the sources ------------------------------------------ */

static int on_item(void *ctx, ward_item *it)
{
    scan *s = ctx;
    job *j = calloc(1, sizeof *j);
    if (!j || !(j->item.path = strdup(it->path)) ||
        (it->fs_path && !(j->item.fs_path = strdup(it->fs_path)))) {
        if (j) free(j->item.path);
        free(j);
        free(it->data);
        s->fatal = err_fail(&s->fatal_err, WARD_ENOMEM, "out of memory");
        return 1;
    }
    char *path = j->item.path, *fs_path = j->item.fs_path;
    j->item = *it;
    j->item.path = path;
    j->item.fs_path = fs_path;
    j->source = s->source;
    j->seq = s->seq++;
    if (j->seq < s->resume_seq) {
        j->skip = 1;
        free(j->item.data);
        j->item.data = NULL;
        s->prog.resumed = 1;
    }
    ward_pool_submit(s->pool, j);
    report_progress(s, 0);
    return s->opts->interrupt && *s->opts->interrupt;
}

static int count_bytes(void *ctx, const char *path, const struct stat *st,
                       ward_walk_event ev, const ward_error *err)
{
    (void)path; (void)err;
    if (ev == WARD_WALK_FILE && st) *(uint64_t *)ctx += (uint64_t)st->st_size;
    return 0;
}

/* A fingerprint of what decides the output, so --resume refuses to mix
 * two different scans in one folder. 0 when out of memory: a partial one
 * must not be written (test_oom found it written, and NULL passed to
 * fwrite). */
static int fingerprint(const char *const *src, int n, const ward_scan_opts *o, strbuf *b)
{
    char tmp[512];
    int ok = 1;
    for (int i = 0; i < n; i++) {
        ok &= strbuf_add(b, src[i], strlen(src[i]));
        ok &= strbuf_add(b, "\n", 1);
    }
    int k = snprintf(tmp, sizeof tmp,
                     "r=%d q=%d pdq=%d thumbs=%d d=%u px=%llu depth=%d ratio=%llu follow=%d "
                     "spool=%llu\n",
                     o->radius, o->min_quality, o->pdq, o->thumbnails, o->hash.digests,
                     (unsigned long long)o->hash.decode.max_pixels, o->source.max_depth,
                     (unsigned long long)o->source.max_ratio, o->source.follow_symlinks,
                     (unsigned long long)o->source.max_spool);
    ok &= strbuf_add(b, tmp, (size_t)k);
    return ok;
}

static ward_status write_state(scan *s, const char *const *src, int n, int complete,
                               const ward_scan_opts *o, ward_error *err);

static ward_status open_outputs(scan *s, const char *const *src, int n, ward_error *err)
{
    char path[4200];
    if (mkdir(s->out_dir, 0750) != 0 && errno != EEXIST)
        return err_fail_errno(err, errno, "cannot create %s", s->out_dir);
    strbuf fp = {0};
    if (!fingerprint(src, n, s->opts, &fp)) {
        strbuf_free(&fp);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    out_path(s, path, sizeof path, "scan.fingerprint");
    long fbytes = 0, nbytes = 0;
    int from_start = !s->opts->resume;
    if (s->opts->resume) {
        uint64_t items = 0;
        char cp[4200];
        out_path(s, cp, sizeof cp, SCAN_CHECKPOINT);
        FILE *f = fopen(path, "r");
        char old[8192] = {0};
        size_t got = f ? fread(old, 1, sizeof old - 1, f) : 0;
        if (f) fclose(f);
        int have_checkpoint = read_checkpoint(cp, &items, &fbytes, &nbytes);
        if (!have_checkpoint && got == 0) {
            strbuf_free(&fp);
            /* EFORMAT, not EINVAL: the arguments are fine, the report
             * folder's resume state does not fit them (exit 3, not 2). */
            return err_fail(err, WARD_EFORMAT,
                             "%s: no checkpoint to resume from (no scan got under way "
                             "there: run it without --resume)", s->out_dir);
        }
        if (got != fp.len || memcmp(old, fp.s, fp.len) != 0) {
            strbuf_free(&fp);
            return err_fail(err, WARD_EFORMAT,
                             "%s: the checkpoint is for other sources or options; "
                             "resume with the same command line", s->out_dir);
        }
        /* Killed before its first checkpoint (the first seconds of every
         * scan): nothing was saved, so resuming is starting afresh. */
        if (!have_checkpoint)
            items = 0, fbytes = nbytes = 0, from_start = 1;
        s->resume_seq = items;
    } else {
        FILE *f = fopen(path, "w");
        if (!f || fwrite(fp.s, 1, fp.len, f) != fp.len) {
            if (f) fclose(f);
            strbuf_free(&fp);
            return err_fail_errno(err, errno, "cannot write %s", path);
        }
        fclose(f);
        out_path(s, path, sizeof path, SCAN_CHECKPOINT);
        unlink(path);
    }
    strbuf_free(&fp);
    out_path(s, path, sizeof path, SCAN_FILES);
    s->files = fopen(path, from_start ? "w" : "r+");
    char npath[4200];
    out_path(s, npath, sizeof npath, SCAN_NOTICES);
    s->notices = fopen(npath, from_start ? "w" : "r+");
    if (!s->files || !s->notices)
        return err_fail_errno(err, errno, "cannot write %s", s->files ? npath : path);
    if (s->opts->resume) {
        /* Drop whatever was written after the checkpoint, then rebuild the
         * counters and duplicate groups from what stays. */
        if (ftruncate(fileno(s->files), fbytes) || ftruncate(fileno(s->notices), nbytes))
            return err_fail_errno(err, errno, "cannot truncate outputs in %s", s->out_dir);
        fseek(s->files, fbytes, SEEK_SET);
        fseek(s->notices, nbytes, SEEK_SET);
        ward_status st = scan_replay_files(path, (uint64_t)fbytes, &s->prog, s->dups, err);
        if (st != WARD_OK) return st;
        s->prog.notices = 0;
        FILE *nf = fopen(npath, "r");
        int c;
        while (nf && (c = fgetc(nf)) != EOF)
            s->prog.notices += c == '\n';
        if (nf) fclose(nf);
    }
    return write_state(s, src, n, 0, s->opts, err);
}

/* scan-state.json: what was scanned, how, against what. */
static ward_status write_state(scan *s, const char *const *src, int n, int complete,
                               const ward_scan_opts *o, ward_error *err)
{
    char path[4200], tmp[4300];
    out_path(s, path, sizeof path, SCAN_STATE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ward_matcher_info mi;
    ward_matcher_get_info(s->matcher, &mi);
    s->line.len = 0;
    add_fmt(s, "{\"ward_version\":\"%s\"", ward_version());
    add_key_str(s, "command", o->command ? o->command : "");
    add(s, ",\"sources\":[");
    for (int i = 0; i < n; i++) {
        add(s, i ? "," : "");
        if (esc_name(&s->esc, src[i], strlen(src[i])))
            esc_json_string(&s->line, s->esc.s, s->esc.len);
        else
            s->line.failed = 1;
    }
    add(s, "]");
    add_key_name(s, "data_dir", o->data_dir);
    add_fmt(s, ",\"store_revision\":%" PRIu64 ",\"index_entries\":%" PRIu64, mi.store_revision,
            mi.index_entries);
    add_key_str(s, "index_sha256", mi.index_sha256);
    add_fmt(s, ",\"radius\":%d,\"min_quality\":%d,\"threads\":%d,\"pdq\":%s,\"thumbnails\":%d",
            o->radius, o->min_quality, o->threads, o->pdq ? "true" : "false", o->thumbnails);
    add_fmt(s, ",\"limits\":{\"max_pixels\":%llu,\"max_depth\":%d,\"max_ratio\":%llu,"
               "\"max_member\":%llu,\"max_path\":%d,\"max_spool\":%llu}",
            (unsigned long long)o->hash.decode.max_pixels, o->source.max_depth,
            (unsigned long long)o->source.max_ratio, (unsigned long long)o->source.max_member,
            o->source.max_path, (unsigned long long)o->source.max_spool);
    add_fmt(s, ",\"complete\":%s,\"files\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"elapsed_s\":%.3f,\"resumed\":%s}\n",
            complete ? "true" : "false", s->prog.files, s->prog.bytes, now() - s->t0,
            s->prog.resumed ? "true" : "false");
    if (s->line.failed) {
        s->line.failed = 0;
        return err_fail(err, WARD_ENOMEM, "out of memory writing %s", path);
    }
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(s->line.s, 1, s->line.len, f) != s->line.len || fclose(f) != 0)
        return err_fail_errno(err, errno, "cannot write %s", tmp);
    if (rename(tmp, path) != 0)
        return err_fail_errno(err, errno, "cannot write %s", path);
    return WARD_OK;
}

static void cleanup(scan *s, worker *ws, int nw)
{
    for (int i = 0; ws && i < nw; i++)
        ward_hasher_free(ws[i].hasher);
    free(ws);
    if (s->files) fclose(s->files);
    if (s->notices) fclose(s->notices);
    dup_free(s->dups);
    strbuf_free(&s->line);
    strbuf_free(&s->esc);
    ward_matcher_close(s->matcher);
}

ward_status ward_scan_run(const char *const *sources, int nsources, const ward_scan_opts *opts,
                          ward_scan_result *result, ward_error *err)
{
    scan s = {.opts = opts, .t0 = now()};
    memset(result, 0, sizeof *result);
    snprintf(s.out_dir, sizeof s.out_dir, "%s", opts->out_dir);
    s.last_checkpoint = s.t0;
    ward_status st = ward_matcher_open(opts->data_dir, opts->store_url, &s.matcher, err);
    if (st != WARD_OK)
        return st;
    if (!(s.dups = dup_new())) {
        cleanup(&s, NULL, 0);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    if ((st = open_outputs(&s, sources, nsources, err)) != WARD_OK) {
        cleanup(&s, NULL, 0);
        return st;
    }
    int nw = opts->threads > 0 ? opts->threads : 1;
    worker *ws = calloc((size_t)nw, sizeof *ws);
    void **states = calloc((size_t)nw, sizeof *states);
    ward_hash_opts hopts = opts->hash;
    hopts.pdq = opts->pdq;
    hopts.dihedral = 1;
    hopts.want_pdq = want_pdq;
    hopts.on_image = opts->thumbnails ? on_image : NULL;
    for (int i = 0; ws && states && i < nw; i++) {
        ws[i] = (worker){.matcher = s.matcher, .opts = opts};
        hopts.want_pdq_ctx = &ws[i];
        hopts.on_image_ctx = &ws[i];
        ws[i].hasher = ward_hasher_new(&hopts);
        states[i] = &ws[i];
        if (!ws[i].hasher) st = WARD_ENOMEM;
    }
    if (!ws || !states || st != WARD_OK ||
        !(s.pool = ward_pool_new(nw, states, do_work, do_emit, &s))) {
        free(states);
        cleanup(&s, ws, nw);
        return err_fail(err, WARD_ENOMEM, "out of memory starting workers");
    }
    free(states);
    if (opts->progress)
        for (int i = 0; i < nsources; i++) {
            ward_walk_opts w = {.follow_symlinks = opts->source.follow_symlinks};
            /* only the progress estimate's total: the scan's own walk
             * reports what it cannot read */
            (void)ward_walk(sources[i], &w, count_bytes, &s.prog.host_bytes_total, NULL);
        }
    for (int i = 0; i < nsources && s.fatal == WARD_OK; i++) {
        if (opts->interrupt && *opts->interrupt) break;
        s.source = sources[i];
        ward_error serr;
        if (ward_source_read(sources[i], &opts->source, on_item, &s, &serr) != WARD_OK &&
            s.fatal == WARD_OK)
            s.fatal = err_fail(&s.fatal_err, serr.status, "%s", serr.message);
    }
    ward_pool_finish(s.pool);
    result->interrupted = opts->interrupt && *opts->interrupt;
    /* A write error (a full disk) is named by its file, not the folder. The
     * checkpoint's flush also leaves the error on the stream that failed. */
    int ckpt_bad = write_checkpoint(&s) != WARD_OK;
    int io_errno = errno;
    const char *bad_out = ferror(s.files)     ? SCAN_FILES
                          : ferror(s.notices) ? SCAN_NOTICES
                          : ckpt_bad          ? SCAN_CHECKPOINT
                                              : NULL;
    report_progress(&s, 1);
    result->totals = s.prog;
    if (s.fatal != WARD_OK || bad_out) {
        char bad_path[4200];
        out_path(&s, bad_path, sizeof bad_path, bad_out ? bad_out : SCAN_FILES);
        if (err && s.fatal != WARD_OK) *err = s.fatal_err;
        else err_fail_errno(err, io_errno, "cannot write %s", bad_path);
        cleanup(&s, ws, nw);
        return s.fatal != WARD_OK ? s.fatal : WARD_EIO;
    }
    st = write_state(&s, sources, nsources, !result->interrupted, opts, err);
    cleanup(&s, ws, nw);
    if (st == WARD_OK && !result->interrupted)
        st = ward_scan_write_reports(opts->out_dir, err);
    return st;
}
