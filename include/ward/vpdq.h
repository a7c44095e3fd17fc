/*
 * vpdq.h -- video hashing and matching compatible with Meta's vPDQ.
 *
 * A vPDQ hash is a list of frame features: the PDQ hash of a frame sampled
 * every second (video.h), its PDQ quality, its timestamp and frame number.
 * Two videos are compared as unordered bags of frames (ThreatExchange
 * vpdq/README.md, python-threatexchange vpdq_brute_matcher.py):
 *
 *   Q' = distinct hashes of the query with quality >= Fq
 *   C' = distinct hashes of the compared video with quality >= Fq
 *   query_match_percent    = 100 * |{q in Q' : some c in C', d(q,c) <= D}| / |Q'|
 *   compared_match_percent = 100 * |{c in C' : some q in Q', d(q,c) <= D}| / |C'|
 *   match  <=>  query_match_percent >= Pq and compared_match_percent >= Pc
 *
 * with D = 31, Fq = 50, Pq = 80 %, Pc = 0 % by default (python-threatexchange's
 * VPDQ_* constants). A clip cut from a known video matches it as the query
 * (all its frames are found) while the known video, as the query, matches
 * the clip only for the share of its length the clip covers.
 *
 * Frames are also searchable one by one in an image index, so that a still
 * taken from a known video, or a video made of known images, is found.
 *
 * Text form (ThreatExchange vpdq-hash-video output, one frame per line):
 *     frame_number,quality,pdq_hex,timestamp
 * e.g. "30,100,e271017837246aac...055c,1.000" (timestamp with 3 decimals).
 */
#ifndef WARD_VPDQ_H
#define WARD_VPDQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ward/index.h>
#include <ward/pdq.h>
#include <ward/video.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

#define WARD_VPDQ_DISTANCE 31      /* frames match within this many bits */
#define WARD_VPDQ_QUALITY 50       /* frames below this quality are ignored */
#define WARD_VPDQ_QUERY_PCT 80.0   /* Pq */
#define WARD_VPDQ_COMPARED_PCT 0.0 /* Pc */
/* Hashing drops a frame within this distance of the last frame kept (the
 * D_prune of vpdq/README.md's example); -1 keeps every sampled frame, as
 * vpdq-hash-video does. */
#define WARD_VPDQ_PRUNE 2

typedef struct ward_vpdq_frame {
    ward_pdq hash;
    int quality;          /* 0..100 */
    int64_t frame_number; /* frame of the video the hash was taken from */
    double timestamp;     /* seconds */
} ward_vpdq_frame;

/* A growable list of frame features; zero-initialise, release with
 * ward_vpdq_free. */
typedef struct ward_vpdq {
    ward_vpdq_frame *frames;
    size_t count, cap;
} ward_vpdq;

ward_status ward_vpdq_append(ward_vpdq *v, const ward_vpdq_frame *f, ward_error *err);
void ward_vpdq_free(ward_vpdq *v);

/* ---- hashing ------------------------------------------------------------ */

typedef struct ward_vpdq_opts {
    ward_video_opts video;
    int prune_distance;   /* WARD_VPDQ_PRUNE; -1 keeps all frames */
} ward_vpdq_opts;

void ward_vpdq_opts_default(ward_vpdq_opts *opts);

/*
 * Hash every sampled frame of an open video, appending to `out`. On an error
 * `out` keeps the frames hashed before it (a partial hash; info.partial of
 * the video says so too). Frames under 5x5 pixels cannot be hashed:
 * WARD_EUNSUPPORTED.
 */
ward_status ward_vpdq_hash_video(ward_video *v, int prune_distance, ward_vpdq *out,
                                 ward_error *err);

/* Open, hash, close. `info` (may be NULL) receives the video's info, also on
 * errors after opening. */
ward_status ward_vpdq_hash_file(const char *path, const ward_vpdq_opts *opts,
                                ward_vpdq *out, ward_video_info *info,
                                ward_error *err);
ward_status ward_vpdq_hash_fd(int fd, const ward_vpdq_opts *opts, ward_vpdq *out,
                              ward_video_info *info, ward_error *err);
ward_status ward_vpdq_hash_buffer(const uint8_t *buf, size_t len,
                                  const ward_vpdq_opts *opts, ward_vpdq *out,
                                  ward_video_info *info, ward_error *err);

/* ---- video against video ------------------------------------------------ */

typedef struct ward_vpdq_match_opts {
    int distance;         /* D: match if Hamming distance <= distance */
    int quality;          /* Fq: ignore frames below this quality */
    double query_pct;     /* Pq */
    double compared_pct;  /* Pc */
} ward_vpdq_match_opts;

void ward_vpdq_match_opts_default(ward_vpdq_match_opts *opts);

typedef struct ward_vpdq_similarity {
    double query_match_percent;
    double compared_match_percent;
    size_t query_frames;      /* |Q'|: distinct hashes of quality */
    size_t compared_frames;   /* |C'| */
    size_t query_matched;     /* of Q' */
    size_t compared_matched;  /* of C' */
    int is_match;             /* both percentages reach their thresholds */
} ward_vpdq_similarity;

/* Both percentages are 0 (and no match) when Q' or C' is empty.
 * WARD_ENOMEM is the only error. */
ward_status ward_vpdq_compare(const ward_vpdq *query, const ward_vpdq *compared,
                              const ward_vpdq_match_opts *opts,
                              ward_vpdq_similarity *out, ward_error *err);

/* ---- frames against an image index -------------------------------------- */

typedef struct ward_vpdq_index_hit {
    size_t frame;         /* index into the video's frames */
    uint64_t entry_id;
    int distance;
} ward_vpdq_index_hit;

/*
 * Query every frame of quality >= min_quality against an index within
 * `radius`: all hits, ordered by frame, then distance and entry id, into a
 * malloc'd array (*hits, free() it; NULL when none). *frames_matched (may be
 * NULL) counts the frames with at least one hit.
 */
ward_status ward_vpdq_query_index(const ward_index *ix, const ward_vpdq *v,
                                  int radius, int min_quality,
                                  ward_vpdq_index_hit **hits, size_t *nhits,
                                  size_t *frames_matched, ward_error *err);

/* ---- text form (src/exchange/vpdq.c) ------------------------------------- */

/*
 * Parse vPDQ text (frame_number,quality,pdq_hex,timestamp per line; also the
 * 3-field pdq_hex,quality,timestamp lines of python-threatexchange, numbered
 * 0, 1, ... by their position), appending to `out`. Blank lines
 * and lines starting with '#' are skipped; CRLF is accepted. A bad line fails
 * with WARD_EFORMAT and a message starting "line N: "; `out` then holds the
 * frames of the lines before it.
 */
ward_status ward_vpdq_parse(const char *text, size_t len, ward_vpdq *out,
                            ward_error *err);
/* ward_vpdq_parse over a file's contents; WARD_EIO if it cannot be read. */
ward_status ward_vpdq_read_file(const char *path, ward_vpdq *out, ward_error *err);

/* The text form as vpdq-hash-video writes it, one line per frame, into a
 * malloc'd NUL-terminated string (*len its length without the NUL). */
ward_status ward_vpdq_format(const ward_vpdq *v, char **text, size_t *len,
                             ward_error *err);
/* Write the text form to a stream (WARD_EIO on a write error). */
ward_status ward_vpdq_write(FILE *f, const ward_vpdq *v, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
