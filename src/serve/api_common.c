/*
 * Replies and the small endpoints: health, metrics, reload, releases.
 */
#include "serve/handlers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void svc_json_reply(svc_reply *rep, int status, yajl_gen g)
{
    rep->status = status;
    rep->body = jw_take(g, NULL);
    rep->content_type = "application/json";
    if (!rep->body)
        rep->status = 500;
}

void svc_error(svc_reply *rep, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(rep->body);
    rep->body = NULL;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        rep->status = status;
        return;
    }
    yajl_gen_map_open(g);
    jw_key(g, "error");
    yajl_gen_map_open(g);
    jw_kv_str(g, "code", code);
    jw_kv_str(g, "message", msg);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    svc_json_reply(rep, status, g);
    rep->status = status;
    yajl_gen_free(g);
}

int svc_parse_address(const char *addr, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return 0;
    }
    return -1;
}

const char *svc_arg(const svc_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void svc_health(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    ward_match_info info;
    ward_match_get_info(ctx->match, &info);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    yajl_gen_map_open(g);
    jw_kv_str(g, "status", "ok");
    jw_kv_str(g, "version", ward_version());
    jw_kv_int(g, "uptime_s", (long long)(svc_mono() - ctx->started));
    jw_key(g, "index");
    yajl_gen_map_open(g);
    jw_kv_int(g, "entries", (long long)info.index_entries);
    jw_kv_int(g, "store_revision", (long long)info.store_revision);
    jw_kv_str(g, "sha256", info.index_sha256);
    jw_kv_int(g, "reloads", (long long)info.reloads);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    svc_json_reply(rep, 200, g);
    yajl_gen_free(g);
}

void svc_metrics_page(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    ward_match_info info;
    ward_match_get_info(ctx->match, &info);
    rep->body = svc_metrics_render(&ctx->metrics, &info, svc_mono() - ctx->started);
    rep->status = rep->body ? 200 : 500;
    rep->content_type = "text/plain; version=0.0.4";
}

void svc_reload(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    int changed = 0;
    ward_error err;
    if (ward_match_reload(ctx->match, &changed, &err) != WARD_OK) {
        atomic_fetch_add(&ctx->metrics.reload_failures, 1);
        svc_error(rep, 503, "unavailable", "reload failed, the old index stays in service: %s",
                  err.message);
        return;
    }
    if (changed)
        atomic_fetch_add(&ctx->metrics.reloads, 1);
    svc_auth_refresh(ctx->auth, NULL);
    svc_audit(ctx->state, req->key_id, "index.reload", NULL, changed ? "changed" : "unchanged",
              NULL);
    ward_match_info info;
    ward_match_get_info(ctx->match, &info);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    yajl_gen_map_open(g);
    jw_kv_bool(g, "changed", changed);
    jw_kv_int(g, "store_revision", (long long)info.store_revision);
    jw_kv_int(g, "entries", (long long)info.index_entries);
    yajl_gen_map_close(g);
    svc_json_reply(rep, 200, g);
    yajl_gen_free(g);
}

/* A path below /v1/releases/ names a file of the release tree: segments of
 * [A-Za-z0-9._-], none "." or "..", "{from}..{to}" allowed as a whole. */
static int safe_release_path(const char *p)
{
    if (!*p || strlen(p) > 512)
        return 0;
    const char *seg = p;
    while (*seg) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (seg[0] == '.')
            return 0;
        for (size_t i = 0; i < n; i++) {
            char c = seg[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_'))
                return 0;
        }
        seg += n;
        if (*seg == '/')
            seg++;
    }
    return 1;
}

void svc_releases(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    if (!ctx->opts.release_root) {
        svc_error(rep, 404, "not_found", "this node publishes no releases");
        return;
    }
    if (!safe_release_path(req->tail)) {
        svc_error(rep, 400, "bad_request", "not a release path: %s", req->url);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", ctx->opts.release_root, req->tail);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        svc_error(rep, 404, "not_found", "no such release file: %s", req->tail);
        return;
    }
    /* Streamed from the file (a full release can be large); MHD closes fd. */
    rep->status = 200;
    rep->fd = fd;
    rep->fd_size = (uint64_t)st.st_size;
    rep->content_type = strstr(req->tail, ".json") || strstr(req->tail, "manifest")
                            ? "application/json" : "application/octet-stream";
}
