/*
 * Scan reports in the web application: /scans lists the output folders of
 * `ward scan --out` kept under `ward serve --scans DIR`, one sub-folder per
 * unit (DIR/<unit>/<scan>/), and shows a scan's summary and report.html.
 *
 * Compartments as for packages: a force sees its own unit's scans, a hub
 * those of its region's forces, a national analyst all. Names from the
 * folder are never trusted as paths: a request names a unit and a scan that
 * must be one of the folders listed, each a single path segment, and only
 * summary.txt and report.html are ever opened. The report page keeps the
 * scan engine's own rule: known and near material appear as counts only.
 * Every view is audited.
 */
#include "web/web.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ward/intel.h>

/* A folder name we will put in a URL and a path: one plain segment. */
static int plain_segment(const char *s)
{
    if (!*s || s[0] == '.' || strlen(s) > 200)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20)
            return 0;
    return 1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The whole of a small text file, NUL-terminated (caller frees). */
static char *slurp(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(max + 1);
    ssize_t n = buf ? read(fd, buf, max) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

/* One segment of the path into out; -1 if too long. The path arrives
 * already percent-decoded (libmicrohttpd decodes it once): decoding again
 * would let "%252e" become "." here. */
static int path_segment(const char *in, size_t n, char *out, size_t cap)
{
    if (n >= cap)
        return -1;
    memcpy(out, in, n);
    out[n] = 0;
    return 0;
}

void web_url_escape(strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.')
            strbuf_add(b, (const char *)p, 1);
        else
            strbuf_addf(b, "%%%02X", *p);
    }
}

static int scans_configured(web_page *w)
{
    if (w->ctx->opts.scans_root)
        return 1;
    page_message(w, 404, "No scan reports",
                 "This server publishes no scan reports (ward serve --scans DIR).");
    return 0;
}

static void list_unit(web_page *w, const char *root, const char *unit)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, unit);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char sum[4400];
        snprintf(sum, sizeof sum, "%s/%s/summary.txt", dir, de->d_name);
        struct stat st;
        if (!plain_segment(de->d_name) || stat(sum, &st) != 0)
            continue;
        char when[32];
        struct tm tm;
        gmtime_r(&st.st_mtime, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        strbuf_addf(&w->out, "<tr><td><a href=\"/scans/");
        web_url_escape(&w->out, unit);
        strbuf_add(&w->out, "/", 1);
        web_url_escape(&w->out, de->d_name);
        html_f(&w->out, "\">%s</a></td><td>%s</td><td>%s</td></tr>\n", de->d_name, unit, when);
    }
    if (d)
        closedir(d);
}

static void scans_index(web_page *w, ward_intel *in)
{
    const char *root = w->ctx->opts.scans_root;
    page_begin(w, "Scan reports");
    html_f(&w->out, "<p class=\"note\">Triage scans of seized media. Known and near-known "
                    "material appears only as counts; nobody needs to view it.</p>\n"
                    "<table><tr><th>Scan</th><th>Unit</th><th>Finished</th></tr>\n");
    DIR *d = opendir(root);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, de->d_name);
        if (plain_segment(de->d_name) && is_dir(path) && web_covers(w, in, de->d_name))
            list_unit(w, root, de->d_name);
    }
    if (d)
        closedir(d);
    html_f(&w->out, "</table>\n");
    page_audit(w, "web.scans.list", NULL, NULL);
    page_end(w, 200);
}

static void scan_view(web_page *w, const char *unit, const char *scan, const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    char *summary = slurp(path, 256 * 1024);
    page_begin(w, "Scan report");
    html_f(&w->out, "<p>Unit <b>%s</b>, scan <b>%s</b>.", unit, scan);
    snprintf(path, sizeof path, "%s/report.html", dir);
    if (access(path, R_OK) == 0) {
        strbuf_add(&w->out, " <a href=\"/scans/", 17);
        web_url_escape(&w->out, unit);
        strbuf_add(&w->out, "/", 1);
        web_url_escape(&w->out, scan);
        strbuf_addf(&w->out, "/report.html\">The full report</a>.");
    }
    html_f(&w->out, "</p>\n<pre>%s</pre>\n", summary ? summary : "(no summary.txt)");
    free(summary);
    page_audit(w, "web.scan.read", dir + strlen(w->ctx->opts.scans_root), NULL);
    page_end(w, 200);
}

static void scan_report(web_page *w, const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = slurp(path, 64u << 20);
    if (!html) {
        page_message(w, 404, "Not found", "This scan has no report.html.");
        return;
    }
    page_audit(w, "web.scan.report", dir + strlen(w->ctx->opts.scans_root), NULL);
    w->rep->status = 200;
    w->rep->body = html;
    w->rep->content_type = "text/html; charset=utf-8";
    /* The report is self-contained: inline CSS and data: thumbnails of new
     * images only, never a script or anything fetched. */
    w->rep->csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
                  " frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
}

void web_scans(web_page *w)
{
    if (!scans_configured(w))
        return;
    ward_intel *in = web_intel_open(w);
    if (!in)
        return;
    const char *rest = w->req->url + strlen("/scans");
    char unit[256], scan[256];
    const char *a = rest[0] == '/' ? rest + 1 : rest;
    const char *b = strchr(a, '/');
    const char *c = b ? strchr(b + 1, '/') : NULL;
    if (!*a) {
        scans_index(w, in);
    } else if (!b || path_segment(a, (size_t)(b - a), unit, sizeof unit) != 0 ||
               path_segment(b + 1, c ? (size_t)(c - b - 1) : strlen(b + 1), scan, sizeof scan) != 0 ||
               !plain_segment(unit) || !plain_segment(scan) ||
               (c && strcmp(c, "/report.html") != 0)) {
        page_message(w, 404, "Not found", "There is no such scan.");
    } else if (!web_covers(w, in, unit)) {
        page_denied(w, w->req->url, "scan of another unit");
    } else {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/%s", w->ctx->opts.scans_root, unit, scan);
        if (!is_dir(dir))
            page_message(w, 404, "Not found", "There is no such scan.");
        else if (c)
            scan_report(w, dir);
        else
            scan_view(w, unit, scan, dir);
    }
    ward_intel_close(in);
}
