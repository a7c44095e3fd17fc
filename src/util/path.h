/* Small path helpers shared by the CLI and the importers. */
#ifndef WARD_UTIL_PATH_H
#define WARD_UTIL_PATH_H

#include <stddef.h>
#include <ward/ward.h>

/* The last component of the n bytes at path, up to its first '.' (a name
 * starting with '.' keeps it): "/x/clip.final.mp4" -> "clip". Written
 * NUL-terminated into out (cap bytes, truncated if longer); returns out. */
char *path_stem(const char *path, size_t n, char *out, size_t cap);

/* cwd joined with path (path as is when absolute), with "." and empty
 * components removed and ".." resolved lexically: the absolute name
 * hashdeep writes for a file it was given or found as `path`. Returns a
 * malloc'd string, NULL when out of memory. */
char *path_absolute(const char *cwd, const char *path);

/* mkdir -p: dir and every missing parent, created 0700 (ward's data, keys
 * and releases are private until the administrator says otherwise).
 * WARD_EIO naming the component that failed, or when dir exists and is
 * not a directory. */
ward_status path_mkdirs(const char *dir, ward_error *err);

#endif
