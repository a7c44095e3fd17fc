/*
 * Downloads for subscribers (libcurl): small documents into memory, release
 * files into a ".part" file that a later attempt continues with an HTTP
 * Range request. A server that ignores Range answers 200 with the whole
 * file: the part is then started over rather than appended to.
 */
#include "release/fetch.h"
#include "util/error.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sink {
    CURL *c;
    FILE *f;               /* file downloads */
    char *buf;             /* memory downloads */
    size_t n, max;
    uint64_t offset;       /* bytes already in the part file */
    int64_t expect;        /* total size the manifest promises; -1 unknown */
    int checked, too_big;
} sink;

static int restart_if_range_ignored(sink *s)
{
    if (s->checked)
        return 0;
    s->checked = 1;
    long code = 0;
    curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &code);
    if (s->offset && code == 200) {
        if (fflush(s->f) != 0 || ftruncate(fileno(s->f), 0) != 0)
            return -1;
        s->offset = 0;
    }
    return 0;
}

static size_t to_file(char *p, size_t size, size_t nmemb, void *ctx)
{
    sink *s = ctx;
    size_t n = size * nmemb;
    if (restart_if_range_ignored(s))
        return 0;
    if (s->expect >= 0 && s->offset + s->n + n > (uint64_t)s->expect) {
        s->too_big = 1;
        return 0;
    }
    if (fwrite(p, 1, n, s->f) != n)
        return 0;
    s->n += n;
    return n;
}

static size_t to_mem(char *p, size_t size, size_t nmemb, void *ctx)
{
    sink *s = ctx;
    size_t n = size * nmemb;
    if (s->n + n > s->max) {
        s->too_big = 1;
        return 0;
    }
    memcpy(s->buf + s->n, p, n);
    s->n += n;
    return n;
}

static ward_status perform(sink *s, const char *url, ward_error *err)
{
    CURL *c = s->c;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer (under 1 byte/s for a minute) fails; the part
     * stays for the next attempt. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ward/" WARD_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode r = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (r == CURLE_OK)
        return WARD_OK;
    if (s->too_big)
        return err_fail(err, WARD_EFORMAT, "%s: larger than %s", url,
                         s->f ? "the manifest says: tampered or wrong file" : "expected");
    if ((r == CURLE_HTTP_RETURNED_ERROR && (code == 404 || code == 410)) ||
        r == CURLE_FILE_COULDNT_READ_FILE || r == CURLE_REMOTE_FILE_NOT_FOUND)
        return err_fail(err, WARD_ENOTFOUND, "%s: not found", url);
    return err_fail(err, WARD_EIO, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(r));
}

/* "Authorization: Bearer KEY" for a publisher behind `ward serve`. */
static struct curl_slist *with_key(struct curl_slist *h, const char *api_key)
{
    if (!api_key || !*api_key)
        return h;
    char line[256];
    snprintf(line, sizeof line, "Authorization: Bearer %s", api_key);
    return curl_slist_append(h, line);
}

ward_status rel_fetch_mem(const char *url, const char *api_key, size_t max, char **data,
                          size_t *n, ward_error *err)
{
    sink s = {.max = max, .expect = -1};
    *data = NULL;
    if (!(s.c = curl_easy_init()) || !(s.buf = malloc(max + 1))) {
        curl_easy_cleanup(s.c);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, to_mem);
    /* The index and manifests change with each release: a cache in the way
     * must ask the publisher, or a subscriber sees an old version. */
    struct curl_slist *h = with_key(curl_slist_append(NULL, "Cache-Control: no-cache"), api_key);
    curl_easy_setopt(s.c, CURLOPT_HTTPHEADER, h);
    ward_status rc = perform(&s, url, err);
    curl_easy_cleanup(s.c);
    curl_slist_free_all(h);
    if (rc) {
        free(s.buf);
        return rc;
    }
    s.buf[s.n] = 0;
    *data = s.buf;
    *n = s.n;
    return WARD_OK;
}

ward_status rel_fetch_file(const char *url, const char *api_key, const char *part,
                           int64_t expect, ward_error *err)
{
    struct stat st;
    uint64_t have = stat(part, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (expect >= 0 && have > (uint64_t)expect) {
        if (truncate(part, 0) != 0)
            return err_fail_errno(err, errno, "cannot restart %s", part);
        have = 0;
    }
    if (expect >= 0 && have == (uint64_t)expect && have > 0)
        return WARD_OK; /* a finished download waiting to be checked */
    sink s = {.offset = have, .expect = expect};
    if (!(s.f = fopen(part, "ab")))
        return err_fail_errno(err, errno, "cannot write %s", part);
    if (!(s.c = curl_easy_init())) {
        fclose(s.f);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, to_file);
    if (have)
        curl_easy_setopt(s.c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
    struct curl_slist *h = with_key(NULL, api_key);
    if (h)
        curl_easy_setopt(s.c, CURLOPT_HTTPHEADER, h);
    ward_status rc = perform(&s, url, err);
    curl_easy_cleanup(s.c);
    curl_slist_free_all(h);
    if (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0) {
        if (rc == WARD_OK)
            rc = err_fail_errno(err, errno, "cannot write %s", part);
    }
    fclose(s.f);
    return rc;
}
