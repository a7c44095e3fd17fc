/*
 * FFmpeg loaded on first use (see ffmpeg.h for why).
 *
 * The libraries are opened by the sonames of the headers ward was built
 * against (libavformat.so.59 for FFmpeg 5.1), never by an unversioned name:
 * a different major version has a different ABI, and the struct fields
 * video.c reads would be wrong. RTLD_LOCAL keeps FFmpeg's symbols out of the
 * global namespace; if the program already has them loaded (it linked
 * FFmpeg itself, say to call av_log_set_level), dlopen returns that same
 * instance, so its settings apply.
 *
 * The table is the one piece of process-wide state in libward: written once
 * under pthread_once and read-only after, like OpenSSL's own initialisation.
 * The libraries are never unloaded (FFmpeg keeps static codec tables).
 */
#define WARD_FF_NO_REDIRECT
#include "media/ffmpeg.h"
#include "util/error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define STR2(x) #x
#define STR(x) STR2(x)

enum { AVUTIL, SWSCALE, AVCODEC, AVFORMAT, N_LIBS };

/* In dependency order; the Debian package names the error message gives. */
static const struct {
    const char *soname, *package;
} LIBS[N_LIBS] = {
    {"libavutil.so." STR(LIBAVUTIL_VERSION_MAJOR), "libavutil" STR(LIBAVUTIL_VERSION_MAJOR)},
    {"libswscale.so." STR(LIBSWSCALE_VERSION_MAJOR), "libswscale" STR(LIBSWSCALE_VERSION_MAJOR)},
    {"libavcodec.so." STR(LIBAVCODEC_VERSION_MAJOR), "libavcodec" STR(LIBAVCODEC_VERSION_MAJOR)},
    {"libavformat.so." STR(LIBAVFORMAT_VERSION_MAJOR), "libavformat" STR(LIBAVFORMAT_VERSION_MAJOR)},
};

static struct {
    pthread_once_t once;
    media_ff table;
    int ok;
    char why[512];
} ff = {.once = PTHREAD_ONCE_INIT};

static void load_once(void)
{
    void *lib[N_LIBS];
    for (int i = 0; i < N_LIBS; i++) {
        lib[i] = dlopen(LIBS[i].soname, RTLD_NOW | RTLD_LOCAL);
        if (!lib[i]) {
            snprintf(ff.why, sizeof ff.why,
                     "video needs FFmpeg's %s (Debian package %s), which cannot be loaded: %s",
                     LIBS[i].soname, LIBS[i].package, dlerror());
            return;
        }
    }
#define WARD_FF_RESOLVE(l, fn)                                                           \
    if (!(*(void **)&ff.table.fn = dlsym(lib[l], #fn))) {                                \
        snprintf(ff.why, sizeof ff.why, "video needs %s from %s, which lacks it",        \
                 #fn, LIBS[l].soname);                                                    \
        return;                                                                          \
    }
    WARD_FF_FUNCTIONS(WARD_FF_RESOLVE)
#undef WARD_FF_RESOLVE
    ff.ok = 1;
}

ward_status media_ff_load(ward_error *err)
{
    pthread_once(&ff.once, load_once);
    return ff.ok ? WARD_OK : err_fail(err, WARD_EUNSUPPORTED, "%s", ff.why);
}

const media_ff *media_ff_get(void)
{
    return &ff.table;
}
