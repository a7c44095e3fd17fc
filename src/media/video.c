/*
 * Video frame sampling with libavformat/libavcodec (see include/ward/video.h).
 *
 * ward feeds FFmpeg the bytes itself through a custom AVIOContext, for files
 * as well as buffers: a path handed to avformat_open_input would be parsed
 * as a URL ("http:", "concat:", "subfile:" ...), and nested opens (HLS
 * playlists, MOV data references) are refused through io_open. Only the
 * demuxers in CONTAINERS are accepted after probing.
 *
 * Sampling follows vPDQ (one frame per `interval` of stream time, the first
 * at 0) but by timestamp rather than by decoded-frame count, so that it can
 * seek: before reading on, if the stream's index holds a key frame after
 * everything already handed to the decoder and at or before the next sample
 * time, decoding jumps there (docs/video.md).
 */
#include <ward/video.h>
#include "media/decoder.h"
#include "util/error.h"

#include "media/ffmpeg.h" /* FFmpeg's headers; its functions via dlopen */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IO_BUFFER_SIZE 65536
/* A frame this close before a sample time is taken for it (timestamps are
 * rounded to the container's time base). */
#define TIME_EPS 0.001

/* FFmpeg demuxer names ward accepts (docs/video.md lists why). */
static const char *const CONTAINERS[] = {"mov", "mp4", "matroska", "webm", "avi",
                                         "mpegts", "mpeg", "flv", "asf", "gif"};

/* Where the bytes come from: a buffer, or a file descriptor. */
typedef struct byte_source {
    const uint8_t *buf;
    size_t len, pos;
    int fd;          /* -1 for a buffer */
    int64_t size;    /* of the file */
} byte_source;

struct ward_video {
    ward_video_opts opts;
    ward_decode_opts dopts;   /* what the luma sink resamples by */
    byte_source src;
    AVIOContext *avio;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVFrame *frame;
    AVPacket *pkt;
    AVStream *st;
    struct SwsContext *sws;
    uint8_t *rgb[4];          /* RGB24 conversion buffer (rgb_luma / non-YUV) */
    int rgb_stride[4], rgb_w, rgb_h;
    double tb;                /* seconds per time-base tick */
    int64_t start;            /* stream start, ticks */
    double declared;          /* declared duration of the stream, 0 if unknown */
    double next_t;            /* next sample time, seconds */
    double read_t;            /* time of the last packet given to the decoder */
    double last_t;            /* time of the last frame decoded */
    int can_seek;             /* the stream has an index worth seeking in */
    double seek_floor;        /* key frame of the last seek: only later ones */
    double pre_seek_t;        /* read_t before the last seek */
    int check_seek;           /* the next packet shows where the seek landed */
    int backfires;            /* seeks that landed behind the decoder */
    int draining;             /* the end was reached and the decoder flushed */
    int ended;                /* no more frames: end or error */
    double deadline;          /* CLOCK_MONOTONIC seconds; 0: none */
    ward_luma luma;           /* the last frame delivered */
    ward_video_info info;
};

void ward_video_opts_default(ward_video_opts *o)
{
    memset(o, 0, sizeof *o);
    o->interval = WARD_VIDEO_INTERVAL;
    o->max_duration = WARD_VIDEO_MAX_DURATION;
    o->max_width = WARD_VIDEO_MAX_SIDE_PX;
    o->max_height = WARD_VIDEO_MAX_SIDE_PX;
    o->max_wall = WARD_VIDEO_MAX_WALL;
    o->max_frames = WARD_VIDEO_MAX_FRAMES;
    /* Frames at full size, as vpdq-hash-video hashes them: resampling a
     * 720p frame to the 512 grid moved its hash up to 10 bits from the
     * reference's, and a 1080p one up to 14 (docs/video.md). */
    o->max_side = 0;
    o->threads = 1;
    o->fast = 1;
    o->seek = 1;
}

/* ---- I/O ------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int past_deadline(const ward_video *v)
{
    return v->deadline > 0 && now_s() > v->deadline;
}

/* FFmpeg polls this inside long demuxer loops (probing, resyncing). */
static int interrupt_cb(void *opaque) { return past_deadline(opaque); }

static int src_read(void *opaque, uint8_t *dst, int n)
{
    byte_source *s = opaque;
    if (s->fd >= 0) {
        ssize_t r;
        do {
            r = pread(s->fd, dst, (size_t)n, (off_t)s->pos);
        } while (r < 0 && errno == EINTR);
        if (r < 0)
            return AVERROR(errno);
        s->pos += (size_t)r;
        return r == 0 ? AVERROR_EOF : (int)r;
    }
    size_t left = s->len - s->pos, k = (size_t)n < left ? (size_t)n : left;
    if (k == 0)
        return AVERROR_EOF;
    memcpy(dst, s->buf + s->pos, k);
    s->pos += k;
    return (int)k;
}

static int64_t src_seek(void *opaque, int64_t off, int whence)
{
    byte_source *s = opaque;
    int64_t size = s->fd >= 0 ? s->size : (int64_t)s->len;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE)
        return size;
    int64_t cur = (int64_t)s->pos; /* files are read with pread at pos */
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? cur : size;
    if ((whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) ||
        off > INT64_MAX - base || base + off < 0)
        return AVERROR(EINVAL);
    int64_t pos = base + off;
    if (s->fd >= 0) {
        s->pos = (size_t)pos;
        return pos;
    }
    s->pos = pos > size ? (size_t)size : (size_t)pos;
    return pos;
}

/* Nested opens (playlists, external references) never reach the disk. */
static int refuse_open(AVFormatContext *s, AVIOContext **pb, const char *url,
                       int flags, AVDictionary **options)
{
    return AVERROR(EPERM);
}

/* ---- opening ---------------------------------------------------------- */

static int container_allowed(const char *names)
{
    /* A demuxer's name lists its aliases: "mov,mp4,m4a,3gp,3g2,mj2". */
    char buf[64];
    snprintf(buf, sizeof buf, "%s", names);
    for (char *save = NULL, *p = strtok_r(buf, ",", &save); p;
         p = strtok_r(NULL, ",", &save))
        for (size_t i = 0; i < sizeof CONTAINERS / sizeof *CONTAINERS; i++)
            if (strcmp(p, CONTAINERS[i]) == 0)
                return 1;
    return 0;
}

static ward_status av_fail(ward_video *v, ward_error *err, int r, ward_status st,
                           const char *what)
{
    if (r == AVERROR_EXIT || past_deadline(v))
        return err_fail(err, WARD_ELIMIT, "%s: decoding took longer than %g s",
                         what, v->opts.max_wall);
    if (r == AVERROR(ENOMEM))
        return err_fail(err, WARD_ENOMEM, "%s: out of memory", what);
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(r, msg, sizeof msg);
    return err_fail(err, st, "%s: %s", what, msg);
}

static ward_status open_container(ward_video *v, ward_error *err)
{
    uint8_t *iobuf = av_malloc(IO_BUFFER_SIZE);
    v->fmt = avformat_alloc_context();
    if (iobuf)
        v->avio = avio_alloc_context(iobuf, IO_BUFFER_SIZE, 0, &v->src, src_read,
                                     NULL, src_seek);
    if (!v->avio)
        av_free(iobuf);
    if (!v->fmt || !v->avio)
        return err_fail(err, WARD_ENOMEM, "out of memory opening video");
    v->fmt->pb = v->avio;
    v->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    v->fmt->interrupt_callback.callback = interrupt_cb;
    v->fmt->interrupt_callback.opaque = v;
    v->fmt->io_open = refuse_open;

    /* Probe first, so that "not a video" and "a damaged video" differ. */
    const AVInputFormat *in = NULL;
    int r = av_probe_input_buffer2(v->avio, &in, "", v->fmt, 0, 0);
    if (r < 0 || !in)
        return r == AVERROR_EXIT ? av_fail(v, err, r, WARD_ELIMIT, "probing")
                                 : err_fail(err, WARD_EUNSUPPORTED,
                                             "not a video container ward reads");
    if (!container_allowed(in->name))
        return err_fail(err, WARD_EUNSUPPORTED,
                         "'%s' is not a video container ward reads", in->name);
    r = avformat_open_input(&v->fmt, NULL, in, NULL);
    if (r < 0)  /* v->fmt is freed and NULL; our avio is not */
        return av_fail(v, err, r, WARD_EFORMAT, "damaged video container");
    snprintf(v->info.container, sizeof v->info.container, "%s", in->name);
    r = avformat_find_stream_info(v->fmt, NULL);
    if (r < 0)
        return av_fail(v, err, r, WARD_EFORMAT, "unreadable video streams");
    return WARD_OK;
}

static AVStream *pick_stream(AVFormatContext *fmt)
{
    AVStream *best = NULL;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        /* Cover art in an MP4/MKV is a still, not the video. */
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !best &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            best = st;
        else
            st->discard = AVDISCARD_ALL; /* the demuxer skips its packets */
    }
    return best;
}

static ward_status check_size(const ward_video *v, int w, int h, ward_error *err)
{
    if (w <= 0 || h <= 0)
        return err_fail(err, WARD_EFORMAT, "video has no frame size (%dx%d)", w, h);
    if ((v->opts.max_width > 0 && w > v->opts.max_width) ||
        (v->opts.max_height > 0 && h > v->opts.max_height))
        return err_fail(err, WARD_ELIMIT,
                         "video frames are %dx%d, over the limit of %dx%d", w, h,
                         v->opts.max_width, v->opts.max_height);
    return WARD_OK;
}

/* Declared duration of the video stream, or of the file; 0 when unknown or
 * only guessed from the bit rate (a stream written to a pipe), which is no
 * ground to refuse on. */
static double declared_duration(const ward_video *v)
{
    if (v->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return 0; /* then stream durations are that guess too */
    if (v->st->duration != AV_NOPTS_VALUE && v->st->duration > 0)
        return v->st->duration * v->tb;
    if (v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0)
        return v->fmt->duration / (double)AV_TIME_BASE;
    return 0;
}

/* Largest 1/2^n decode (n <= the codec's max_lowres) whose frames still cover
 * the grid the sink samples, so that lowres changes nothing but cost. */
static int pick_lowres(const ward_video *v, const AVCodec *codec, int w, int h)
{
    if (!v->opts.fast || codec->max_lowres == 0)
        return 0;
    int ow, oh, n = 0;
    sink_target(&v->dopts, w, h, &ow, &oh);
    while (n < codec->max_lowres && AV_CEIL_RSHIFT(w, n + 1) >= ow &&
           AV_CEIL_RSHIFT(h, n + 1) >= oh)
        n++;
    return n;
}

static ward_status open_decoder(ward_video *v, ward_error *err)
{
    const AVCodecParameters *par = v->st->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    snprintf(v->info.codec, sizeof v->info.codec, "%s", avcodec_get_name(par->codec_id));
    if (!codec)
        return err_fail(err, WARD_EUNSUPPORTED, "no decoder for %s video",
                         v->info.codec);
    v->dec = avcodec_alloc_context3(codec);
    if (!v->dec || avcodec_parameters_to_context(v->dec, par) < 0)
        return err_fail(err, WARD_ENOMEM, "out of memory opening decoder");
    v->dec->pkt_timebase = v->st->time_base;
    v->dec->thread_count = v->opts.threads > 0 ? v->opts.threads : 1;
    if (v->opts.fast) {
        /* PDQ looks at a 64x64 blur: deblocking does not change what it sees
         * enough to matter, and costs a sixth of H.264 decoding. */
        v->dec->skip_loop_filter = AVDISCARD_ALL;
        /* With several frames between samples, frames nothing refers to
         * need not be decoded; a sample then lands on the next kept frame. */
        if (v->info.fps > 0 && v->opts.interval * v->info.fps >= 3)
            v->dec->skip_frame = AVDISCARD_NONREF;
        v->info.lowres = pick_lowres(v, codec, par->width, par->height);
        v->dec->lowres = v->info.lowres;
    }
    int r = avcodec_open2(v->dec, codec, NULL);
    if (r < 0)
        return av_fail(v, err, r, WARD_EUNSUPPORTED, "cannot open the video decoder");
    v->frame = av_frame_alloc();
    v->pkt = av_packet_alloc();
    if (!v->frame || !v->pkt)
        return err_fail(err, WARD_ENOMEM, "out of memory opening decoder");
    return WARD_OK;
}

static ward_status open_stream(ward_video *v, ward_error *err)
{
    v->st = pick_stream(v->fmt);
    if (!v->st)
        return err_fail(err, WARD_EUNSUPPORTED, "no video stream in the %s container",
                         v->info.container);
    const AVCodecParameters *par = v->st->codecpar;
    v->info.width = par->width;
    v->info.height = par->height;
    ward_status s = check_size(v, par->width, par->height, err);
    if (s)
        return s;
    v->tb = av_q2d(v->st->time_base);
    v->start = v->st->start_time != AV_NOPTS_VALUE ? v->st->start_time : 0;
    AVRational fr = v->st->avg_frame_rate; /* vPDQ's choice, then r_frame_rate */
    if (fr.num <= 0 || fr.den <= 0)
        fr = v->st->r_frame_rate;
    v->info.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    v->declared = declared_duration(v);
    v->info.duration = v->declared;
    if (v->opts.max_duration > 0 && v->declared > v->opts.max_duration)
        return err_fail(err, WARD_ELIMIT, "video lasts %.0f s, over the limit of %.0f s",
                         v->declared, v->opts.max_duration);
    v->can_seek = v->opts.seek && avformat_index_get_entries_count(v->st) > 1;
    return open_decoder(v, err);
}

static ward_status video_open(ward_video *v, const ward_video_opts *opts,
                              ward_video **out, ward_error *err)
{
    err_clear(err);
    if (opts)
        v->opts = *opts;
    else
        ward_video_opts_default(&v->opts);
    if (!(v->opts.interval > 0))
        v->opts.interval = WARD_VIDEO_INTERVAL;
    ward_decode_opts_default(&v->dopts);
    v->dopts.max_side = v->opts.max_side;
    v->dopts.max_pixels = (uint64_t)(v->opts.max_width > 0 ? v->opts.max_width : INT_MAX) *
                          (uint64_t)(v->opts.max_height > 0 ? v->opts.max_height : INT_MAX);
    if (v->opts.max_wall > 0)
        v->deadline = now_s() + v->opts.max_wall;
    ward_status s = open_container(v, err);
    if (!s)
        s = open_stream(v, err);
    if (s) {
        ward_video_close(v);
        return s;
    }
    *out = v;
    return WARD_OK;
}

static ward_video *video_new(void)
{
    ward_video *v = calloc(1, sizeof *v);
    if (v)
        v->src.fd = -1;
    return v;
}

ward_status ward_video_open_buffer(const uint8_t *buf, size_t len,
                                   const ward_video_opts *opts, ward_video **out,
                                   ward_error *err)
{
    *out = NULL;
    if (!buf && len)
        return err_fail(err, WARD_EINVAL, "NULL video buffer");
    ward_status st = media_ff_load(err);
    if (st != WARD_OK)
        return st;
    ward_video *v = video_new();
    if (!v)
        return err_fail(err, WARD_ENOMEM, "out of memory opening video");
    v->src.buf = buf;
    v->src.len = len;
    v->src.size = (int64_t)len;
    return video_open(v, opts, out, err);
}

/* Takes ownership of fd (closed by ward_video_close or on failure). */
static ward_status open_owned_fd(int fd, const char *name, const ward_video_opts *opts,
                                 ward_video **out, ward_error *err)
{
    *out = NULL;
    ward_status st = media_ff_load(err);
    ward_video *v = st == WARD_OK ? video_new() : NULL;
    if (!v) {
        if (fd >= 0) close(fd);
        if (st != WARD_OK)
            return st;
        return err_fail(err, WARD_ENOMEM, "out of memory opening video");
    }
    struct stat sb;
    v->src.fd = fd;
    if (v->src.fd < 0 || fstat(v->src.fd, &sb) < 0) {
        int e = errno;
        ward_video_close(v);
        return err_fail_errno(err, e, "cannot open %s", name);
    }
    if (!S_ISREG(sb.st_mode)) {
        ward_video_close(v);
        return err_fail(err, WARD_EINVAL, "%s is not a regular file", name);
    }
    v->src.size = sb.st_size;
    return video_open(v, opts, out, err);
}

ward_status ward_video_open_file(const char *path, const ward_video_opts *opts,
                                 ward_video **out, ward_error *err)
{
    /* O_NOATIME where allowed: evidence is read, not touched. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    return open_owned_fd(fd, path, opts, out, err);
}

ward_status ward_video_open_fd(int fd, const ward_video_opts *opts, ward_video **out,
                               ward_error *err)
{
    /* A duplicate, so closing stays the caller's business; reads are pread
     * at our own position, so the caller's file offset is left alone. */
    int dup_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    return open_owned_fd(dup_fd, "video", opts, out, err);
}

void ward_video_close(ward_video *v)
{
    if (!v)
        return;
    avcodec_free_context(&v->dec);
    av_frame_free(&v->frame);
    av_packet_free(&v->pkt);
    avformat_close_input(&v->fmt);
    if (v->avio) {
        av_freep(&v->avio->buffer); /* custom I/O: ours to free, not FFmpeg's */
        avio_context_free(&v->avio);
    }
    sws_freeContext(v->sws);
    av_freep(&v->rgb[0]);
    ward_luma_free(&v->luma);
    if (v->src.fd >= 0)
        close(v->src.fd);
    free(v);
}

void ward_video_get_info(const ward_video *v, ward_video_info *info)
{
    *info = v->info;
}

/* ---- turning a decoded frame into luma ------------------------------------ */

/* Sink layout that reads the Y plane of `pf` directly, or 0 if there is no
 * 8-bit Y plane (RGB, palette, high bit depth: those go through sws_scale). */
static int y_plane_layout(int pf)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(pf);
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL |
                           AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
                           AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER)))
        return 0;
    const AVComponentDescriptor *c = &d->comp[0];
    if (c->plane != 0 || c->depth != 8 || c->shift != 0 || c->offset != 0)
        return 0;
    return c->step == 1 ? SINK_GREY : c->step == 2 ? SINK_GREYA : 0;
}

static int full_range(const AVFrame *f)
{
    switch (f->format) {
    case AV_PIX_FMT_YUVJ420P: case AV_PIX_FMT_YUVJ422P: case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P: case AV_PIX_FMT_YUVJ411P:
        return 1;
    case AV_PIX_FMT_GRAY8: case AV_PIX_FMT_YA8:
        return f->color_range != AVCOL_RANGE_MPEG;
    default:
        return f->color_range == AVCOL_RANGE_JPEG;
    }
}

/* Limited-range Y (16..235) to the 0..255 luma PDQ sees for the RGB pixel it
 * converts to: with BT.601 coefficients the chroma terms of
 * 0.299R + 0.587G + 0.114B cancel (to 1e-3), leaving 255/219 (Y - 16). */
static void stretch_limited(ward_luma *l)
{
    const float k = 255.0f / 219.0f;
    size_t n = (size_t)l->rows * (size_t)l->cols;
    for (size_t i = 0; i < n; i++) {
        float y = (l->px[i] - 16.0f) * k;
        l->px[i] = y < 0.0f ? 0.0f : y > 255.0f ? 255.0f : y;
    }
}

static ward_status to_rgb(ward_video *v, const AVFrame *f, ward_error *err)
{
    /* SWS_AREA and no colourspace details: what vPDQ's converter uses. */
    v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, f->width,
                                  f->height, AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL,
                                  NULL);
    if (!v->sws)
        return err_fail(err, WARD_EUNSUPPORTED, "cannot convert %s frames",
                         av_get_pix_fmt_name(f->format));
    if (v->rgb_w != f->width || v->rgb_h != f->height) {
        av_freep(&v->rgb[0]);
        v->rgb_w = v->rgb_h = 0;
        if (av_image_alloc(v->rgb, v->rgb_stride, f->width, f->height,
                           AV_PIX_FMT_RGB24, 32) < 0)
            return err_fail(err, WARD_ENOMEM, "out of memory for a %dx%d frame",
                             f->width, f->height);
        v->rgb_w = f->width;
        v->rgb_h = f->height;
    }
    sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
              v->rgb, v->rgb_stride);
    return WARD_OK;
}

static ward_status frame_to_luma(ward_video *v, const AVFrame *f, ward_error *err)
{
    int layout = v->opts.rgb_luma ? 0 : y_plane_layout(f->format);
    ward_status s = WARD_OK;
    if (!layout)
        s = to_rgb(v, f, err);
    ward_luma_free(&v->luma);
    memset(&v->luma, 0, sizeof v->luma);
    luma_sink sink = {.opts = &v->dopts, .out = &v->luma};
    int w = v->info.lowres ? v->info.width : f->width;
    int h = v->info.lowres ? v->info.height : f->height;
    if (!s)
        s = sink_begin(&sink, w, h, f->width, f->height, err);
    if (s)
        return s;
    for (int y = 0; y < f->height; y++) {
        if (!sink_wants_row(&sink, y))
            continue;
        if (layout)
            sink_row(&sink, y, f->data[0] + (ptrdiff_t)y * f->linesize[0], layout);
        else
            sink_row(&sink, y, v->rgb[0] + (ptrdiff_t)y * v->rgb_stride[0], SINK_RGB);
    }
    sink_free(&sink);
    if (layout && !full_range(f))
        stretch_limited(&v->luma);
    return WARD_OK;
}

/* ---- the decoding loop ---------------------------------------------------- */

static double frame_dur(const ward_video *v)
{
    return v->info.fps > 0 ? 1.0 / v->info.fps : 0.04;
}

/* Jump to the key frame at or before the next sample when it lies past
 * everything the decoder already has: the frames in between are skipped.
 *
 * Index entries carry decode times, but demuxers seek by presentation time
 * (MOV lands on the last key frame shown at or before the time asked): the
 * seek asks for the later of the sample time and the key frame's decode time
 * plus the reorder delay, so that it lands on that key frame. A seek that
 * still lands behind the decoder is noticed (feed) and, twice, ends seeking;
 * seek_floor keeps it from looping on one key frame. */
static void maybe_seek(ward_video *v)
{
    if (!v->can_seek)
        return;
    int64_t target = v->start + (int64_t)llround(v->next_t / v->tb);
    const AVIndexEntry *e =
        avformat_index_get_entry_from_timestamp(v->st, target, AVSEEK_FLAG_BACKWARD);
    if (!e || !(e->flags & AVINDEX_KEYFRAME))
        return;
    double kt = (e->timestamp - v->start) * v->tb;
    if (kt <= v->read_t + 2 * frame_dur(v) || kt <= v->seek_floor)
        return; /* nothing worth skipping */
    int64_t delay = (int64_t)llround((v->st->codecpar->video_delay + 1) * frame_dur(v) / v->tb);
    int64_t ts = e->timestamp + delay > target ? e->timestamp + delay : target;
    if (av_seek_frame(v->fmt, v->st->index, ts, AVSEEK_FLAG_BACKWARD) < 0) {
        v->can_seek = 0; /* decode on from here instead */
        return;
    }
    avcodec_flush_buffers(v->dec);
    v->pre_seek_t = v->read_t;
    v->seek_floor = kt;
    v->read_t = kt;
    v->check_seek = 1;
    v->info.seeks++;
}

/* The first packet after a seek: did it go forward as intended? */
static void check_landing(ward_video *v)
{
    v->check_seek = 0;
    if (v->read_t < v->pre_seek_t && ++v->backfires >= 2)
        v->can_seek = 0;
}

static void note_damage(ward_video *v)
{
    v->info.decode_errors++;
    snprintf(v->info.warning, sizeof v->info.warning,
             "%llu damaged packet(s), the first near %.1f s",
             (unsigned long long)v->info.decode_errors,
             v->info.decode_errors == 1 ? (v->read_t > 0 ? v->read_t : 0)
                                        : v->info.decoded_until);
}

/* Read one packet of the stream and hand it to the decoder; at the end of
 * the data, flush the decoder instead. */
static ward_status feed(ward_video *v, ward_error *err)
{
    if (v->draining)
        return err_fail(err, WARD_EINTERNAL, "decoder asked for input after the end");
    maybe_seek(v);
    for (;;) {
        int r = av_read_frame(v->fmt, v->pkt);
        if (r == AVERROR_EOF) {
            v->draining = 1;
            avcodec_send_packet(v->dec, NULL);
            return WARD_OK;
        }
        if (r < 0)
            return av_fail(v, err, r, WARD_EFORMAT, "unreadable video data");
        if (v->pkt->stream_index != v->st->index) {
            av_packet_unref(v->pkt);
            continue;
        }
        int64_t ts = v->pkt->dts != AV_NOPTS_VALUE ? v->pkt->dts : v->pkt->pts;
        if (ts != AV_NOPTS_VALUE)
            v->read_t = (ts - v->start) * v->tb;
        if (v->check_seek)
            check_landing(v);
        r = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (r == AVERROR(ENOMEM))
            return err_fail(err, WARD_ENOMEM, "out of memory decoding video");
        if (r < 0 && r != AVERROR(EAGAIN))
            note_damage(v); /* decoders resynchronise on the next packet */
        return WARD_OK;
    }
}

/* Book-keeping for a decoded frame; *take says whether it is a sample. */
static ward_status on_frame(ward_video *v, const AVFrame *f, double *t, int *take,
                            ward_error *err)
{
    int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp
                                                            : f->pts;
    *t = ts != AV_NOPTS_VALUE ? (ts - v->start) * v->tb
         : v->info.frames_decoded ? v->last_t + frame_dur(v) : 0;
    v->last_t = *t;
    if (*t > v->info.decoded_until)
        v->info.decoded_until = *t;
    v->info.frames_decoded++;
    if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT))
        note_damage(v);
    int lr = v->info.lowres; /* a 1/2^lr frame: its size rounded up */
    ward_status s = check_size(v, (f->width << lr) - ((1 << lr) - 1),
                               (f->height << lr) - ((1 << lr) - 1), err);
    if (s)
        return s;
    if (v->opts.max_duration > 0 && *t > v->opts.max_duration)
        return err_fail(err, WARD_ELIMIT, "video runs past the limit of %.0f s",
                         v->opts.max_duration);
    *take = *t + TIME_EPS >= v->next_t;
    if (*take && v->opts.max_frames && v->info.frames_sampled >= v->opts.max_frames)
        return err_fail(err, WARD_ELIMIT, "video has more than %u sampled frames",
                         v->opts.max_frames);
    while (*take && v->next_t <= *t + TIME_EPS)
        v->next_t += v->opts.interval;
    return WARD_OK;
}

static ward_status deliver(ward_video *v, const AVFrame *f, double t,
                           ward_video_frame *out, ward_error *err)
{
    ward_status s = frame_to_luma(v, f, err);
    if (s)
        return s;
    if (t < 0)
        t = 0; /* a frame before the stream's start time (reordering slack) */
    out->luma = v->luma;
    out->timestamp = t;
    out->frame_number = v->info.fps > 0 ? llround(t * v->info.fps)
                                        : (int64_t)v->info.frames_sampled;
    v->info.frames_sampled++;
    return WARD_OK;
}

/* The stream ended: a header that promised more than arrived means the file
 * was cut short (the tolerance covers audio-led durations and rounding). */
static ward_status finish(ward_video *v, int *eof, ward_error *err)
{
    v->ended = 1;
    *eof = 1;
    if (v->info.frames_decoded == 0)
        return err_fail(err, WARD_EFORMAT, "no video frame could be decoded");
    double slack = 2.0 + 2 * v->opts.interval;
    if (v->declared > 0 && v->info.decoded_until + slack < v->declared) {
        v->info.partial = 1;
        return err_fail(err, WARD_EFORMAT,
                         "video data ends at %.1f s of the %.1f s declared (truncated)",
                         v->info.decoded_until, v->declared);
    }
    return WARD_OK;
}

static ward_status stop(ward_video *v, ward_status s)
{
    v->ended = 1;
    v->info.partial = 1;
    return s;
}

ward_status ward_video_next(ward_video *v, ward_video_frame *out, int *eof,
                            ward_error *err)
{
    *eof = 0;
    if (v->ended) {
        *eof = 1;
        return WARD_OK;
    }
    for (;;) {
        if (past_deadline(v))
            return stop(v, err_fail(err, WARD_ELIMIT,
                                     "decoding took longer than %g s (at %.1f s)",
                                     v->opts.max_wall, v->info.decoded_until));
        int r = avcodec_receive_frame(v->dec, v->frame);
        if (r == AVERROR_EOF)
            return finish(v, eof, err);
        if (r == AVERROR(EAGAIN)) {
            ward_status s = feed(v, err);
            if (s)
                return stop(v, s);
            continue;
        }
        if (r < 0)
            return stop(v, av_fail(v, err, r, WARD_EFORMAT, "video decoder failed"));
        double t;
        int take = 0;
        ward_status s = on_frame(v, v->frame, &t, &take, err);
        if (!s && take)
            s = deliver(v, v->frame, t, out, err);
        av_frame_unref(v->frame);
        if (s)
            return stop(v, s);
        if (take)
            return WARD_OK;
    }
}
