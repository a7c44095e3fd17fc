/*
 * vPDQ: PDQ per sampled frame, and the bag-of-frames comparison of
 * ThreatExchange's vpdq (see include/ward/vpdq.h for the definitions).
 *
 * Where the references differ, ward follows python-threatexchange's matcher,
 * which is what exchanges vPDQ signals: frames match at distance <= D (the
 * C++ matchTwoHash uses < D), and only distinct hashes are counted (the C++
 * brute matcher counts repeated frames again), so a video that lingers on one
 * scene does not outweigh the rest.
 */
#include <ward/vpdq.h>
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

ward_status ward_vpdq_append(ward_vpdq *v, const ward_vpdq_frame *f, ward_error *err)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        ward_vpdq_frame *p = realloc(v->frames, cap * sizeof *p);
        if (!p)
            return err_fail(err, WARD_ENOMEM, "out of memory for %zu video frames", cap);
        v->frames = p;
        v->cap = cap;
    }
    v->frames[v->count++] = *f;
    return WARD_OK;
}

void ward_vpdq_free(ward_vpdq *v)
{
    if (!v)
        return;
    free(v->frames);
    memset(v, 0, sizeof *v);
}

void ward_vpdq_opts_default(ward_vpdq_opts *o)
{
    ward_video_opts_default(&o->video);
    o->prune_distance = WARD_VPDQ_PRUNE;
}

void ward_vpdq_match_opts_default(ward_vpdq_match_opts *o)
{
    o->distance = WARD_VPDQ_DISTANCE;
    o->quality = WARD_VPDQ_QUALITY;
    o->query_pct = WARD_VPDQ_QUERY_PCT;
    o->compared_pct = WARD_VPDQ_COMPARED_PCT;
}

/* ---- hashing -------------------------------------------------------------- */

/* Scratch for ward_pdq_from_luma, grown to the largest frame seen. */
typedef struct scratch {
    float *px;
    size_t cap;
} scratch;

static ward_status hash_frame(ward_video_frame *f, scratch *sc, ward_vpdq_frame *out,
                              ward_error *err)
{
    size_t n = (size_t)f->luma.rows * (size_t)f->luma.cols;
    if (n > sc->cap) {
        float *p = realloc(sc->px, n * sizeof *p);
        if (!p)
            return err_fail(err, WARD_ENOMEM, "out of memory hashing a frame");
        sc->px = p;
        sc->cap = n;
    }
    ward_pdq_result r;
    if (ward_pdq_from_luma(f->luma.px, sc->px, f->luma.rows, f->luma.cols, 0, &r))
        return err_fail(err, WARD_EUNSUPPORTED, "video frames are %dx%d, too small for PDQ",
                         f->luma.cols, f->luma.rows);
    out->hash = r.hash[0];
    out->quality = r.quality;
    out->frame_number = f->frame_number;
    out->timestamp = f->timestamp;
    return WARD_OK;
}

ward_status ward_vpdq_hash_video(ward_video *v, int prune_distance, ward_vpdq *out,
                                 ward_error *err)
{
    scratch sc = {0};
    const size_t first = out->count;
    ward_status s;
    for (;;) {
        ward_video_frame f;
        ward_vpdq_frame h;
        int eof;
        s = ward_video_next(v, &f, &eof, err);
        if (s || eof)
            break;
        if ((s = hash_frame(&f, &sc, &h, err)))
            break;
        /* Prune against the last frame kept, not the last one seen, so a
         * slow drift still leaves a frame every prune_distance bits. */
        if (prune_distance >= 0 && out->count > first &&
            ward_pdq_distance(&out->frames[out->count - 1].hash, &h.hash) <= prune_distance)
            continue;
        if ((s = ward_vpdq_append(out, &h, err)))
            break;
    }
    free(sc.px);
    return s;
}

static ward_status hash_opened(ward_status s, ward_video *v, const ward_vpdq_opts *opts,
                               ward_vpdq *out, ward_video_info *info, ward_error *err)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (s)
        return s;
    s = ward_vpdq_hash_video(v, opts ? opts->prune_distance : WARD_VPDQ_PRUNE, out, err);
    if (info)
        ward_video_get_info(v, info);
    ward_video_close(v);
    return s;
}

ward_status ward_vpdq_hash_file(const char *path, const ward_vpdq_opts *opts,
                                ward_vpdq *out, ward_video_info *info, ward_error *err)
{
    ward_video *v = NULL;
    ward_status s = ward_video_open_file(path, opts ? &opts->video : NULL, &v, err);
    return hash_opened(s, v, opts, out, info, err);
}

ward_status ward_vpdq_hash_fd(int fd, const ward_vpdq_opts *opts, ward_vpdq *out,
                              ward_video_info *info, ward_error *err)
{
    ward_video *v = NULL;
    ward_status s = ward_video_open_fd(fd, opts ? &opts->video : NULL, &v, err);
    return hash_opened(s, v, opts, out, info, err);
}

ward_status ward_vpdq_hash_buffer(const uint8_t *buf, size_t len,
                                  const ward_vpdq_opts *opts, ward_vpdq *out,
                                  ward_video_info *info, ward_error *err)
{
    ward_video *v = NULL;
    ward_status s = ward_video_open_buffer(buf, len, opts ? &opts->video : NULL, &v, err);
    return hash_opened(s, v, opts, out, info, err);
}

/* ---- comparing two videos ------------------------------------------------- */

static int cmp_pdq(const void *a, const void *b) { return memcmp(a, b, sizeof(ward_pdq)); }

/* The distinct hashes of frames with quality >= min_quality, sorted. */
static ward_status distinct(const ward_vpdq *v, int min_quality, ward_pdq **out,
                            size_t *n, ward_error *err)
{
    *n = 0;
    *out = malloc((v->count ? v->count : 1) * sizeof **out);
    if (!*out)
        return err_fail(err, WARD_ENOMEM, "out of memory comparing videos");
    for (size_t i = 0; i < v->count; i++)
        if (v->frames[i].quality >= min_quality)
            (*out)[(*n)++] = v->frames[i].hash;
    qsort(*out, *n, sizeof **out, cmp_pdq);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k == 0 || memcmp(&(*out)[k - 1], &(*out)[i], sizeof(ward_pdq)) != 0)
            (*out)[k++] = (*out)[i];
    *n = k;
    return WARD_OK;
}

/* How many of a[] are within `d` bits of some b[]. */
static size_t count_found(const ward_pdq *a, size_t na, const ward_pdq *b, size_t nb,
                          int d)
{
    size_t found = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (ward_pdq_distance(&a[i], &b[j]) <= d) {
                found++;
                break;
            }
    return found;
}

ward_status ward_vpdq_compare(const ward_vpdq *query, const ward_vpdq *compared,
                              const ward_vpdq_match_opts *opts,
                              ward_vpdq_similarity *out, ward_error *err)
{
    ward_vpdq_match_opts def;
    if (!opts) {
        ward_vpdq_match_opts_default(&def);
        opts = &def;
    }
    memset(out, 0, sizeof *out);
    ward_pdq *q = NULL, *c = NULL;
    ward_status s = distinct(query, opts->quality, &q, &out->query_frames, err);
    if (!s)
        s = distinct(compared, opts->quality, &c, &out->compared_frames, err);
    if (!s && out->query_frames && out->compared_frames) {
        out->query_matched = count_found(q, out->query_frames, c, out->compared_frames,
                                         opts->distance);
        out->compared_matched = count_found(c, out->compared_frames, q,
                                            out->query_frames, opts->distance);
        out->query_match_percent = out->query_matched * 100.0 / out->query_frames;
        out->compared_match_percent =
            out->compared_matched * 100.0 / out->compared_frames;
        out->is_match = out->query_match_percent >= opts->query_pct &&
                        out->compared_match_percent >= opts->compared_pct;
    }
    free(q);
    free(c);
    return s;
}

/* ---- frames against an image index ------------------------------------- */

typedef struct hit_list {
    ward_vpdq_index_hit *v;
    size_t n, cap;
} hit_list;

static ward_status add_hits(hit_list *h, size_t frame, const ward_pdq_match *m,
                            size_t n, ward_error *err)
{
    if (h->n + n > h->cap) {
        size_t cap = h->cap ? h->cap : 64;
        while (cap < h->n + n)
            cap *= 2;
        ward_vpdq_index_hit *p = realloc(h->v, cap * sizeof *p);
        if (!p)
            return err_fail(err, WARD_ENOMEM, "out of memory for index hits");
        h->v = p;
        h->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        h->v[h->n++] = (ward_vpdq_index_hit){frame, m[i].entry_id, m[i].distance};
    return WARD_OK;
}

/* All matches of one hash; *m grows to hold them. */
static ward_status query_one(const ward_index *ix, const ward_pdq *h, int radius,
                             ward_pdq_match **m, size_t *cap, size_t *n,
                             ward_error *err)
{
    if (ward_index_query_pdq(ix, h, 1, radius, *m, *cap, n) != WARD_OK)
        return err_fail(err, WARD_EINVAL, "no index to query");
    if (*n <= *cap)
        return WARD_OK;
    ward_pdq_match *p = realloc(*m, *n * sizeof *p);
    if (!p)
        return err_fail(err, WARD_ENOMEM, "out of memory for %zu index matches", *n);
    *m = p;
    *cap = *n;
    return ward_index_query_pdq(ix, h, 1, radius, *m, *cap, n) == WARD_OK
               ? WARD_OK
               : err_fail(err, WARD_EINVAL, "no index to query");
}

ward_status ward_vpdq_query_index(const ward_index *ix, const ward_vpdq *v,
                                  int radius, int min_quality,
                                  ward_vpdq_index_hit **hits, size_t *nhits,
                                  size_t *frames_matched, ward_error *err)
{
    hit_list h = {0};
    size_t cap = 64, n = 0, matched = 0;
    ward_pdq_match *m = malloc(cap * sizeof *m);
    ward_status s = m ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
    for (size_t i = 0; !s && i < v->count; i++) {
        const ward_vpdq_frame *f = &v->frames[i];
        if (f->quality < min_quality)
            continue;
        /* Consecutive frames often share a hash: reuse the answer. */
        int same = i > 0 && memcmp(&v->frames[i - 1].hash, &f->hash,
                                        sizeof f->hash) == 0 &&
                   v->frames[i - 1].quality >= min_quality;
        if (!same)
            s = query_one(ix, &f->hash, radius, &m, &cap, &n, err);
        if (!s && n) {
            matched++;
            s = add_hits(&h, i, m, n, err);
        }
    }
    free(m);
    if (s) {
        free(h.v);
        h = (hit_list){0};
        matched = 0;
    }
    *hits = h.v;
    *nhits = h.n;
    if (frames_matched)
        *frames_matched = matched;
    return s;
}
