#include "util/path.h"

#include <stdio.h>
#include <string.h>

char *ward_path_stem(const char *path, size_t n, char *out, size_t cap)
{
    const char *start = path, *end = path + n;
    for (const char *p = path; p < end; p++)
        if (*p == '/') start = p + 1;
    const char *dot = memchr(start, '.', (size_t)(end - start));
    if (dot && dot != start) end = dot;
    snprintf(out, cap, "%.*s", (int)(end - start), start);
    return out;
}
