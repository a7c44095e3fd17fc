#include <ward/walk.h>
#include "util/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

typedef struct walker {
    const ward_walk_opts *opts;
    ward_walk_fn fn;
    void *ctx;
    int stop;
    dir_id *stack;       /* directories on the current path (cycle check) */
    size_t depth, stack_cap;
} walker;

int ward_open_evidence(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void report_error(walker *w, const char *path, int errnum, const char *what)
{
    ward_error err;
    err_fail_errno(&err, errnum, "%s", what);
    if (!w->stop)
        w->stop = w->fn(w->ctx, path, NULL, WARD_WALK_ERROR, &err);
}

/* Names in a directory, sorted bytewise; NULL with errno on failure. */
static char **list_dir(const char *path, size_t *count)
{
    DIR *d = opendir(path);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *names);
            if (!p) goto oom;
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) goto oom;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    *count = n;
    if (!names) names = calloc(1, sizeof *names); /* empty dir: non-NULL */
    return names;
oom:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    errno = ENOMEM;
    return NULL;
}

static ward_status walk_path(walker *w, const char *path, int is_root);

static ward_status walk_dir(walker *w, const char *path, const struct stat *st)
{
    for (size_t i = 0; i < w->depth; i++)
        if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino) {
            w->stop = w->fn(w->ctx, path, st, WARD_WALK_CYCLE, NULL);
            return WARD_OK;
        }
    if (w->depth == w->stack_cap) {
        size_t cap = w->stack_cap ? w->stack_cap * 2 : 32;
        dir_id *p = realloc(w->stack, cap * sizeof *p);
        if (!p) return WARD_ENOMEM;
        w->stack = p;
        w->stack_cap = cap;
    }
    w->stack[w->depth++] = (dir_id){st->st_dev, st->st_ino};

    size_t n = 0;
    char **names = list_dir(path, &n);
    ward_status rc = WARD_OK;
    if (!names) {
        if (errno == ENOMEM) rc = WARD_ENOMEM;
        else report_error(w, path, errno, "cannot list directory");
    }
    size_t plen = strlen(path);
    int sep = plen > 0 && path[plen - 1] != '/';
    for (size_t i = 0; names && i < n; i++) {
        if (rc == WARD_OK && !w->stop) {
            size_t nlen = strlen(names[i]);
            char *child = malloc(plen + sep + nlen + 1);
            if (!child) {
                rc = WARD_ENOMEM;
            } else {
                memcpy(child, path, plen);
                if (sep) child[plen] = '/';
                memcpy(child + plen + sep, names[i], nlen + 1);
                rc = walk_path(w, child, 0);
                free(child);
            }
        }
        free(names[i]);
    }
    free(names);
    w->depth--;
    return rc;
}

static ward_status walk_path(walker *w, const char *path, int is_root)
{
    struct stat st;
    int follow = is_root || w->opts->follow_symlinks;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
        /* A dangling symlink under --follow is still a symlink to report. */
        if (follow && !is_root && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
            w->stop = w->fn(w->ctx, path, &st, WARD_WALK_SYMLINK, NULL);
            return WARD_OK;
        }
        report_error(w, path, errno, "cannot stat");
        return WARD_OK;
    }
    if (S_ISDIR(st.st_mode))
        return walk_dir(w, path, &st);
    ward_walk_event ev = WARD_WALK_FILE;
    if (S_ISLNK(st.st_mode))
        ev = WARD_WALK_SYMLINK;
    else if (!S_ISREG(st.st_mode) && !is_root)
        ev = WARD_WALK_SPECIAL;
    w->stop = w->fn(w->ctx, path, &st, ev, NULL);
    return WARD_OK;
}

ward_status ward_walk(const char *root, const ward_walk_opts *opts, ward_walk_fn fn,
                      void *ctx, int *stopped)
{
    ward_walk_opts defaults = {0};
    walker w = {.opts = opts ? opts : &defaults, .fn = fn, .ctx = ctx};
    ward_status rc = walk_path(&w, root, 1);
    free(w.stack);
    if (stopped)
        *stopped = w.stop;
    return rc;
}
