#include "util/path.h"
#include "util/error.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *path_stem(const char *path, size_t n, char *out, size_t cap)
{
    const char *start = path, *end = path + n;
    for (const char *p = path; p < end; p++)
        if (*p == '/') start = p + 1;
    const char *dot = memchr(start, '.', (size_t)(end - start));
    if (dot && dot != start) end = dot;
    snprintf(out, cap, "%.*s", (int)(end - start), start);
    return out;
}

/* Components are copied one by one into out, which never grows longer than
 * cwd + path + 2: "." and empty components are dropped, ".." removes the
 * component before it (never the root). Lexical, as hashdeep does it: a
 * symbolic link followed by ".." is not resolved. */
char *path_absolute(const char *cwd, const char *path)
{
    size_t cl = path[0] == '/' ? 0 : strlen(cwd), pl = strlen(path);
    char *in = malloc(cl + pl + 2), *out = malloc(cl + pl + 2);
    if (!in || !out) {
        free(in);
        free(out);
        return NULL;
    }
    memcpy(in, cwd, cl);
    in[cl] = '/';
    memcpy(in + cl + 1, path, pl + 1);
    size_t n = 0;
    for (char *p = in; *p;) {
        char *slash = strchr(p, '/');
        size_t k = slash ? (size_t)(slash - p) : strlen(p);
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--; /* the slash before the removed component */
        } else if (k && !(k == 1 && p[0] == '.')) {
            out[n++] = '/';
            memcpy(out + n, p, k);
            n += k;
        }
        p += k + (slash != NULL);
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = 0;
    free(in);
    return out;
}

ward_status path_mkdirs(const char *dir, ward_error *err)
{
    char *p = strdup(dir);
    if (!p)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    ward_status rc = WARD_OK;
    for (char *q = p + 1; rc == WARD_OK; q++) {
        if (*q != '/' && *q != 0)
            continue;
        char c = *q;
        *q = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = err_fail_errno(err, errno, "cannot create %s", p);
        *q = c;
        if (!c)
            break;
    }
    struct stat st;
    if (rc == WARD_OK && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = err_fail(err, WARD_EIO, "%s is not a directory", dir);
    free(p);
    return rc;
}
