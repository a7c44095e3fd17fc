/*
 * The publisher's tree as readers see it: versions, manifests, index.json,
 * deltas between any two versions (made on first request), and the map from
 * request paths to files that `ward serve` uses.
 */
#include "release/rel_int.h"
#include "util/error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *ward_release_root(const char *datadir) { return rel_fmt("%s/releases", datadir); }

/* A version number as a path segment: decimal, no leading zero. */
static int parse_version(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 18 || s[0] == '0')
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

ward_status rel_versions(const char *root, const char *list, uint64_t **v, size_t *n,
                         ward_error *err)
{
    *v = NULL;
    *n = 0;
    char *dir = rel_fmt("%s/%s", root, list);
    if (!dir)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    free(dir);
    if (!d)
        return errno == ENOENT ? WARD_OK : err_fail_errno(err, errno, "cannot read %s", root);
    size_t cap = 0;
    struct dirent *e;
    ward_status rc = WARD_OK;
    while (rc == WARD_OK && (e = readdir(d))) {
        uint64_t x;
        if (parse_version(e->d_name, strlen(e->d_name), &x))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *nv = realloc(*v, cap * sizeof *nv);
            if (!nv) {
                rc = err_fail(err, WARD_ENOMEM, "out of memory");
                break;
            }
            *v = nv;
        }
        (*v)[(*n)++] = x;
    }
    closedir(d);
    if (rc == WARD_OK && *n)
        qsort(*v, *n, sizeof **v, cmp_u64);
    return rc;
}

ward_status ward_release_versions(const char *root, const char *list, uint64_t **v,
                                  size_t *n, ward_error *err)
{
    if (!rel_valid_name(list, strlen(list)))
        return err_fail(err, WARD_EINVAL, "'%s' is not a release name", list);
    return rel_versions(root, list, v, n, err);
}

void rel_info_from_manifest(const rel_manifest *m, ward_release_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->list, sizeof info->list, "%s", m->list);
    info->version = m->version;
    info->parent = m->parent;
    snprintf(info->created, sizeof info->created, "%s", m->created);
    info->entries = m->entries;
    info->conflicts = m->conflicts;
    info->added = m->delta_added;
    info->removed = m->delta_removed;
    memcpy(info->full_sha256, m->full_sha256, sizeof info->full_sha256);
    info->full_bytes = m->full_bytes;
    memcpy(info->key_id, m->key_id, sizeof info->key_id);
}

ward_status ward_release_info_get(const char *root, const char *list, uint64_t version,
                                  ward_release_info *info, ward_error *err)
{
    char *p = rel_fmt("%s/%s/%llu/manifest", root, list, (unsigned long long)version);
    if (!p)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    rel_manifest m;
    ward_status rc = rel_manifest_load(p, NULL, &m, err);
    if (rc == WARD_ENOTFOUND)
        err_fail(err, rc, "release %s has no version %llu", list, (unsigned long long)version);
    free(p);
    if (rc)
        return rc;
    rel_info_from_manifest(&m, info);
    rel_manifest_free(&m);
    return WARD_OK;
}

ward_status rel_write_index(const char *root, const char *list, ward_error *err)
{
    uint64_t *v;
    size_t n;
    ward_status rc = rel_versions(root, list, &v, &n, err);
    if (rc)
        return rc;
    size_t cap = 128 + strlen(list) + n * 21;
    char *s = malloc(cap), *path = rel_fmt("%s/%s/index.json", root, list);
    if (!s || !path) {
        free(s);
        free(path);
        free(v);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    size_t o = (size_t)snprintf(s, cap, "{\"list\":\"%s\",\"latest\":%llu,\"versions\":[", list,
                                (unsigned long long)(n ? v[n - 1] : 0));
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
    o += (size_t)snprintf(s + o, cap - o, "]}\n");
    rc = rel_write_atomic(path, s, o, 0644, err);
    free(s);
    free(path);
    free(v);
    return rc;
}

/* Publish the staged version directory, then its delta: a crash between
 * the two leaves a delta that ward_release_make_delta rebuilds. */
/* ---- deltas on demand ---------------------------------------------------- */

ward_status ward_release_delta_path(const char *root, const char *list, uint64_t from,
                                    uint64_t to, char **path, ward_error *err)
{
    if (!rel_valid_name(list, strlen(list)) || from == 0 || from >= to)
        return err_fail(err, WARD_EINVAL, "no delta %s %llu..%llu: need 0 < from < to", list,
                         (unsigned long long)from, (unsigned long long)to);
    *path = rel_fmt("%s/%s/%llu..%llu/delta", root, list, (unsigned long long)from,
                    (unsigned long long)to);
    return *path ? WARD_OK : err_fail(err, WARD_ENOMEM, "out of memory");
}

ward_status ward_release_make_delta(const char *root, const char *list, uint64_t from,
                                    uint64_t to, char **path, ward_error *err)
{
    char *dp = NULL;
    ward_status rc = ward_release_delta_path(root, list, from, to, &dp, err);
    if (rc)
        return rc;
    if (rel_exists(dp)) {
        if (path)
            *path = dp;
        else
            free(dp);
        return WARD_OK;
    }
    char *a = rel_fmt("%s/%s/%llu/full", root, list, (unsigned long long)from);
    char *b = rel_fmt("%s/%s/%llu/full", root, list, (unsigned long long)to);
    char *rm = rel_fmt("%s/%s/%llu/removed", root, list, (unsigned long long)to);
    char *dir = strdup(dp);
    /* mkstemp: two server threads may build the same delta at once; each
     * writes its own file and the complete one is renamed into place. */
    char *tmp = rel_fmt("%s.tmp.XXXXXX", dp);
    rel_reasons reasons = {0};
    FILE *f = NULL;
    if (!a || !b || !rm || !dir || !tmp)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    else if (!rel_exists(a) || !rel_exists(b))
        rc = err_fail(err, WARD_ENOTFOUND, "release %s has no version %llu", list,
                       (unsigned long long)(rel_exists(a) ? to : from));
    if (rc == WARD_OK && rel_exists(rm))
        rc = rel_reasons_load(&reasons, rm, 0, err);
    if (rc == WARD_OK) {
        *strrchr(dir, '/') = 0;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            rc = err_fail_errno(err, errno, "cannot create %s", dir);
        else {
            int fd = mkstemp(tmp);
            if (fd < 0 || fchmod(fd, 0644) != 0 || !(f = fdopen(fd, "w"))) {
                rc = err_fail_errno(err, errno, "cannot create %s", tmp);
                if (fd >= 0) {
                    close(fd);
                    unlink(tmp);
                }
            }
        }
    }
    if (f) {
        rc = rel_delta_write(a, b, &reasons, list, from, to, f, NULL, err);
        ward_status rc2 = rel_close_synced(f, tmp, err);
        rc = rc ? rc : rc2;
        /* Two builders racing both rename a complete file of their own:
         * either wins, the content is the same. */
        if (rc == WARD_OK && rename(tmp, dp) != 0)
            rc = err_fail_errno(err, errno, "cannot publish %s", dp);
        if (rc)
            unlink(tmp);
    }
    rel_reasons_free(&reasons);
    free(a);
    free(b);
    free(rm);
    free(dir);
    free(tmp);
    if (rc == WARD_OK && path)
        *path = dp;
    else
        free(dp);
    return rc;
}

/* ---- request paths ------------------------------------------------------ */

ward_status ward_release_resolve(const char *root, const char *url_path, unsigned flags,
                                 char **path, ward_error *err)
{
    *path = NULL;
    const char *seg[4];
    size_t len[4];
    int n = 0;
    const char *p = url_path;
    while (*p == '/')
        p++;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t l = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 4)
            return err_fail(err, WARD_EINVAL, "not a release path: %.100s", url_path);
        seg[n] = p;
        len[n++] = l;
        if (!slash)
            break;
        if (slash[1] == 0) {
            if (n > 1) /* "list/" names the index; a file has no slash after it */
                return err_fail(err, WARD_EINVAL, "not a release path: %.100s", url_path);
            break;
        }
        p = slash + 1;
    }
    if (!rel_valid_name(seg[0], len[0]))
        return err_fail(err, WARD_EINVAL, "not a release name: %.100s", url_path);
    int nl = (int)len[0];
    char *out = NULL;
    uint64_t a, b;
    if (n == 1 || (n == 2 && len[1] == 10 && !memcmp(seg[1], "index.json", 10)))
        out = rel_fmt("%s/%.*s/index.json", root, nl, seg[0]);
    else if (n == 3 && parse_version(seg[1], len[1], &a) == 0 &&
             ((len[2] == 8 && !memcmp(seg[2], "manifest", 8)) ||
              (len[2] == 4 && !memcmp(seg[2], "full", 4)) ||
              (len[2] == 6 && !memcmp(seg[2], "series", 6))))
        out = rel_fmt("%s/%.*s/%llu/%.*s", root, nl, seg[0], (unsigned long long)a,
                      (int)len[2], seg[2]);
    else if (n == 3 && len[2] == 5 && !memcmp(seg[2], "delta", 5)) {
        const char *dots = memmem(seg[1], len[1], "..", 2);
        if (!dots || parse_version(seg[1], (size_t)(dots - seg[1]), &a) ||
            parse_version(dots + 2, len[1] - (size_t)(dots - seg[1]) - 2, &b) || a >= b)
            return err_fail(err, WARD_EINVAL, "not a delta path: %.100s", url_path);
        char list[128];
        snprintf(list, sizeof list, "%.*s", nl, seg[0]);
        if (flags & WARD_RELEASE_RESOLVE_BUILD)
            return ward_release_make_delta(root, list, a, b, path, err);
        ward_status rc = ward_release_delta_path(root, list, a, b, &out, err);
        if (rc)
            return rc;
    } else
        return err_fail(err, WARD_EINVAL, "not a release path: %.100s", url_path);
    if (!out)
        return err_fail(err, WARD_ENOMEM, "out of memory");
    if (!rel_exists(out)) {
        err_fail(err, WARD_ENOTFOUND, "no such release file: %.100s", url_path);
        free(out);
        return WARD_ENOTFOUND;
    }
    *path = out;
    return WARD_OK;
}

