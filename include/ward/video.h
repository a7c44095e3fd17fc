/*
 * video.h -- sample frames from a video as PDQ-ready luma planes.
 *
 * A ward_video decodes one video stream with FFmpeg's libavformat and
 * libavcodec and hands back a frame every `interval` seconds of stream time
 * (default 1: the rate vPDQ hashes at), each as the float luma plane PDQ
 * takes (see media.h), at full size, as vpdq-hash-video hashes frames (a
 * max_side of 512 resamples them nearest-neighbour to 512x512 as images
 * are, which moved 1080p frames up to 14 bits from the reference's).
 *
 * What it avoids doing (docs/video.md has the figures):
 *   - decoding every frame: when the container has an index (MP4, MOV, MKV,
 *     WebM, AVI) and a key frame lies between the decoder's position and the
 *     next sample time, it seeks there; frames that no other frame refers to
 *     are not decoded at all when samples are sparse (skip_frame), and the
 *     in-loop deblocking filter is skipped (`fast`);
 *   - full-size decoding: codecs that can decode at 1/2, 1/4 or 1/8 size
 *     (MJPEG, MPEG-1/2/4) do so, down to the smallest size that still covers
 *     the 512x512 grid;
 *   - RGB conversion: for 8-bit YUV the Y plane is read directly (limited
 *     range stretched to 0..255), which is the BT.601 luma of the RGB that
 *     vPDQ's sws_scale produces up to rounding; other pixel formats (RGB,
 *     palette GIFs, 10-bit) go through sws_scale to RGB24 like vPDQ does.
 *
 * Input is a file path or a memory buffer; either way ward reads the bytes
 * itself (FFmpeg never opens a path or URL, and nested opens such as
 * playlists or references are refused), and only the containers listed in
 * docs/video.md are probed: MP4/MOV, Matroska/WebM, AVI, MPEG-TS, MPEG-PS,
 * FLV, ASF and animated GIF.
 *
 * Limits (ward_video_opts) are enforced before anything sized by them is
 * allocated and again while decoding; a limit that trips mid-stream, a read
 * error or a truncated stream ends decoding with an error after the frames
 * already delivered (the caller holds a partial result).
 *
 * The library sets no FFmpeg log level: FFmpeg prints warnings about damaged
 * streams to stderr unless the program calls av_log_set_level().
 * A ward_video is used by one thread at a time; separate ones are independent.
 */
#ifndef WARD_VIDEO_H
#define WARD_VIDEO_H

#include <stddef.h>
#include <stdint.h>
#include <ward/media.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_video ward_video;

#define WARD_VIDEO_INTERVAL 1.0            /* seconds between samples (vPDQ's) */
#define WARD_VIDEO_MAX_DURATION 21600.0    /* 6 hours */
#define WARD_VIDEO_MAX_SIDE_PX 8192        /* width and height limit */
#define WARD_VIDEO_MAX_WALL 600.0          /* seconds of decoding per file */
#define WARD_VIDEO_MAX_FRAMES 100000u      /* sampled frames per file */

typedef struct ward_video_opts {
    double interval;      /* seconds of stream time between samples (> 0) */
    double max_duration;  /* refuse longer videos (declared or decoded); 0: none */
    int max_width;        /* refuse wider frames; 0: no limit */
    int max_height;       /* refuse taller frames; 0: no limit */
    double max_wall;      /* stop after this many seconds of wall time; 0: none */
    uint32_t max_frames;  /* stop after delivering this many frames; 0: none */
    int max_side;         /* resample to max_side^2 above it; 0: full size (0) */
    int threads;          /* decoder threads; 1 (callers parallelise files) */
    int fast;             /* skip deblocking, unreferenced frames, lowres (1) */
    int seek;             /* jump to key frames through the index (1) */
    int rgb_luma;         /* always convert via sws_scale to RGB24 and take
                             0.299R+0.587G+0.114B, as vPDQ does (0: Y plane) */
} ward_video_opts;

void ward_video_opts_default(ward_video_opts *opts);

typedef struct ward_video_info {
    char container[32];   /* FFmpeg demuxer, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    char codec[32];       /* e.g. "h264" */
    int width, height;    /* coded size of the stream */
    double fps;           /* average frame rate, 0 if unknown */
    double duration;      /* declared duration in seconds, 0 if unknown */
    double decoded_until; /* stream time of the last frame decoded */
    uint64_t frames_decoded; /* frames the decoder produced */
    uint64_t frames_sampled; /* frames delivered */
    uint64_t seeks;          /* key-frame seeks made */
    uint64_t decode_errors;  /* packets the decoder rejected */
    int lowres;              /* 0, or decoding at 1/2^lowres size */
    int partial;             /* decoding stopped early (error or limit) */
    char warning[96];        /* damage that did not stop decoding, or "" */
} ward_video_info;

/* A sampled frame. `luma` (type WARD_MEDIA_UNKNOWN, width/height the coded
 * size) belongs to the ward_video and stays valid until the next call; the
 * caller may overwrite its pixels (ward_pdq_from_luma does). */
typedef struct ward_video_frame {
    ward_luma luma;
    double timestamp;     /* seconds from the start of the stream */
    int64_t frame_number; /* round(timestamp * fps), as vPDQ counts frames */
} ward_video_frame;

/*
 * Open a video and check it against the limits. The buffer variant reads
 * `buf` in place: it must outlive the ward_video. Errors: WARD_EIO (file),
 * WARD_EUNSUPPORTED (not a container or codec ward reads, no video stream),
 * WARD_EFORMAT (damaged headers), WARD_ELIMIT (size or declared duration),
 * WARD_ENOMEM.
 */
ward_status ward_video_open_file(const char *path, const ward_video_opts *opts,
                                 ward_video **out, ward_error *err);
/* Decode from an open regular file (e.g. evidence opened O_NOATIME). The
 * descriptor stays the caller's: it is duplicated and read with pread, so
 * its file offset does not move. */
ward_status ward_video_open_fd(int fd, const ward_video_opts *opts, ward_video **out,
                               ward_error *err);
ward_status ward_video_open_buffer(const uint8_t *buf, size_t len,
                                   const ward_video_opts *opts, ward_video **out,
                                   ward_error *err);

/*
 * The next sampled frame: WARD_OK with *eof 0 and *frame filled, or WARD_OK
 * with *eof 1 at the end of the stream. Errors end the stream: WARD_ELIMIT
 * (duration, size, wall time or frame count reached mid-stream), WARD_EFORMAT
 * (unreadable packet, truncated stream, decoder failure), WARD_ENOMEM.
 * Packets the decoder rejects but can continue after are counted in
 * info.decode_errors and reported in info.warning.
 */
ward_status ward_video_next(ward_video *v, ward_video_frame *frame, int *eof,
                            ward_error *err);

void ward_video_get_info(const ward_video *v, ward_video_info *info);
void ward_video_close(ward_video *v);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
