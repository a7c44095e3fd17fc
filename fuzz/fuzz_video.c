/*
 * Fuzz target: the video front end (ward's I/O under libavformat's
 * demuxers, the decoders, frame sampling, vPDQ). A seized phone holds
 * videos in every state of repair; none may crash or hang a scan.
 */
#include <stddef.h>
#include <stdint.h>
#include <ward/vpdq.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ward_vpdq_opts opts;
    ward_vpdq_opts_default(&opts);
    /* Small bounds keep each input cheap; the limit paths run too. */
    opts.video.max_wall = 2.0;
    opts.video.max_frames = 8;
    opts.video.max_width = 1024;
    opts.video.max_height = 1024;
    ward_vpdq out = {0};
    ward_video_info info;
    ward_error err;
    (void)ward_vpdq_hash_buffer(data, size, &opts, &out, &info, &err);
    ward_vpdq_free(&out);
    return 0;
}
