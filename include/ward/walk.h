/*
 * walk.h -- deterministic, read-only traversal of evidence trees.
 *
 * Entries are visited in byte order of their names (not locale order), so two
 * runs over the same tree list files identically. Symbolic links met during
 * the walk are reported, not followed, unless opts.follow_symlinks is set, in
 * which case directory cycles are detected and reported. A path given as the
 * root is always resolved (like `find -H`). Devices, FIFOs and sockets found
 * inside a tree are reported and never opened: reading a FIFO would hang and
 * reading /dev nodes is not what an examiner asked for.
 */
#ifndef WARD_WALK_H
#define WARD_WALK_H

#include <sys/stat.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef enum ward_walk_event {
    WARD_WALK_FILE,     /* a regular file (or the root, whatever it is) to read */
    WARD_WALK_SYMLINK,  /* a symlink not followed */
    WARD_WALK_SPECIAL,  /* device, FIFO or socket, skipped */
    WARD_WALK_CYCLE,    /* a directory already on the current path, skipped */
    WARD_WALK_ERROR     /* could not stat or list; err says why */
} ward_walk_event;

typedef struct ward_walk_opts {
    int follow_symlinks;
} ward_walk_opts;

/* Called for each entry; return non-zero to stop the walk (returned by
 * ward_walk as WARD_EINTERNAL is not used: the callback's value is kept in
 * *stopped). `st` is NULL for WARD_WALK_ERROR. */
typedef int (*ward_walk_fn)(void *ctx, const char *path, const struct stat *st,
                            ward_walk_event event, const ward_error *err);

/* Walk `root`. Returns WARD_OK when the walk ran to the end or was stopped by
 * the callback (then *stopped, if given, is set to its value), or
 * WARD_ENOMEM. Per-entry problems go to the callback as WARD_WALK_ERROR. */
ward_status ward_walk(const char *root, const ward_walk_opts *opts, ward_walk_fn fn,
                      void *ctx, int *stopped);

/* Open a file of evidence for reading: read-only, close-on-exec, and without
 * updating its access time where the kernel allows (O_NOATIME needs the
 * file's owner or CAP_FOWNER; otherwise it opens normally). -1 and errno. */
int ward_open_evidence(const char *path);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
