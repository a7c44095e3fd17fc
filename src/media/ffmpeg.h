/*
 * FFmpeg, loaded when the first video is opened (src/media/ffmpeg.c).
 *
 * Linking libavformat and libavcodec pulls about 130 shared libraries (every
 * codec FFmpeg was built with) into every ward process, and the dynamic
 * loader then spends about 0.12 s starting each one: `ward db lookup` in an
 * examiner's shell loop, a CGI-style caller, every test. Only video needs
 * them, so src/media/video.c reaches FFmpeg through this table, filled by
 * dlopen() on first use, and a command that never opens a video never pays.
 *
 * Include this after FFmpeg's headers: it redirects the names video.c calls
 * to the table, so that file reads as ordinary FFmpeg code.
 */
#ifndef WARD_MEDIA_FFMPEG_H
#define WARD_MEDIA_FFMPEG_H

#include <ward/ward.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* X(library, function): every FFmpeg function ward calls, by library. */
#define WARD_FF_FUNCTIONS(X)                                                         \
    X(AVUTIL, av_frame_alloc) X(AVUTIL, av_frame_free) X(AVUTIL, av_frame_unref)     \
    X(AVUTIL, av_free) X(AVUTIL, av_freep) X(AVUTIL, av_malloc)                      \
    X(AVUTIL, av_get_pix_fmt_name) X(AVUTIL, av_pix_fmt_desc_get)                    \
    X(AVUTIL, av_image_alloc) X(AVUTIL, av_strerror)                                 \
    X(SWSCALE, sws_getCachedContext) X(SWSCALE, sws_scale) X(SWSCALE, sws_freeContext) \
    X(AVCODEC, av_packet_alloc) X(AVCODEC, av_packet_free) X(AVCODEC, av_packet_unref) \
    X(AVCODEC, avcodec_alloc_context3) X(AVCODEC, avcodec_find_decoder)              \
    X(AVCODEC, avcodec_flush_buffers) X(AVCODEC, avcodec_free_context)               \
    X(AVCODEC, avcodec_get_name) X(AVCODEC, avcodec_open2)                           \
    X(AVCODEC, avcodec_parameters_to_context) X(AVCODEC, avcodec_receive_frame)      \
    X(AVCODEC, avcodec_send_packet)                                                  \
    X(AVFORMAT, av_probe_input_buffer2) X(AVFORMAT, av_read_frame)                   \
    X(AVFORMAT, av_seek_frame) X(AVFORMAT, avformat_alloc_context)                   \
    X(AVFORMAT, avformat_close_input) X(AVFORMAT, avformat_find_stream_info)         \
    X(AVFORMAT, avformat_index_get_entries_count)                                    \
    X(AVFORMAT, avformat_index_get_entry_from_timestamp)                             \
    X(AVFORMAT, avformat_open_input) X(AVFORMAT, avio_alloc_context)                 \
    X(AVFORMAT, avio_context_free)

typedef struct media_ff {
#define WARD_FF_MEMBER(lib, fn) __typeof__(fn) *fn;
    WARD_FF_FUNCTIONS(WARD_FF_MEMBER)
#undef WARD_FF_MEMBER
} media_ff;

/* Loads FFmpeg once per process (thread-safe; the table never changes after
 * that). WARD_EUNSUPPORTED, naming the library and Debian's package, when a
 * library or function is missing: video is then "not examined", never a
 * crash. */
ward_status media_ff_load(ward_error *err);

/* The loaded table; only after media_ff_load() succeeded. */
const media_ff *media_ff_get(void);

/* A name missing here links to the real symbol, which libward does not
 * link against: the build fails, nothing is silently skipped. */
#ifndef WARD_FF_NO_REDIRECT
#define av_frame_alloc (media_ff_get()->av_frame_alloc)
#define av_frame_free (media_ff_get()->av_frame_free)
#define av_frame_unref (media_ff_get()->av_frame_unref)
#define av_free (media_ff_get()->av_free)
#define av_freep (media_ff_get()->av_freep)
#define av_malloc (media_ff_get()->av_malloc)
#define av_get_pix_fmt_name (media_ff_get()->av_get_pix_fmt_name)
#define av_pix_fmt_desc_get (media_ff_get()->av_pix_fmt_desc_get)
#define av_image_alloc (media_ff_get()->av_image_alloc)
#define av_strerror (media_ff_get()->av_strerror)
#define sws_getCachedContext (media_ff_get()->sws_getCachedContext)
#define sws_scale (media_ff_get()->sws_scale)
#define sws_freeContext (media_ff_get()->sws_freeContext)
#define av_packet_alloc (media_ff_get()->av_packet_alloc)
#define av_packet_free (media_ff_get()->av_packet_free)
#define av_packet_unref (media_ff_get()->av_packet_unref)
#define avcodec_alloc_context3 (media_ff_get()->avcodec_alloc_context3)
#define avcodec_find_decoder (media_ff_get()->avcodec_find_decoder)
#define avcodec_flush_buffers (media_ff_get()->avcodec_flush_buffers)
#define avcodec_free_context (media_ff_get()->avcodec_free_context)
#define avcodec_get_name (media_ff_get()->avcodec_get_name)
#define avcodec_open2 (media_ff_get()->avcodec_open2)
#define avcodec_parameters_to_context (media_ff_get()->avcodec_parameters_to_context)
#define avcodec_receive_frame (media_ff_get()->avcodec_receive_frame)
#define avcodec_send_packet (media_ff_get()->avcodec_send_packet)
#define av_probe_input_buffer2 (media_ff_get()->av_probe_input_buffer2)
#define av_read_frame (media_ff_get()->av_read_frame)
#define av_seek_frame (media_ff_get()->av_seek_frame)
#define avformat_alloc_context (media_ff_get()->avformat_alloc_context)
#define avformat_close_input (media_ff_get()->avformat_close_input)
#define avformat_find_stream_info (media_ff_get()->avformat_find_stream_info)
#define avformat_index_get_entries_count (media_ff_get()->avformat_index_get_entries_count)
#define avformat_index_get_entry_from_timestamp \
    (media_ff_get()->avformat_index_get_entry_from_timestamp)
#define avformat_open_input (media_ff_get()->avformat_open_input)
#define avio_alloc_context (media_ff_get()->avio_alloc_context)
#define avio_context_free (media_ff_get()->avio_context_free)
#endif

#endif
