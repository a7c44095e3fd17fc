/*
 * Replies and the small endpoints: health, metrics, reload, releases.
 */
#include "serve/handlers.h"
#include "serve/pool.h"

#include <ward/release.h>

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

void svc_log_internal(svc_ctx *ctx, const char *what, const char *msg)
{
    /* a store gone away fails every request: a line a second says enough */
    long long now = (long long)svc_mono(), last = atomic_load(&ctx->internal_logged);
    if (last != now && atomic_compare_exchange_strong(&ctx->internal_logged, &last, now)) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", what, msg);
        svc_log_message(ctx, "error", line);
    }
}

void svc_log_message(svc_ctx *ctx, const char *kind, const char *message)
{
    if (ctx->opts.log) {
        ward_serve_event ev = {.kind = kind, .message = message};
        ctx->opts.log(ctx->opts.log_ctx, &ev);
    } else {
        fprintf(stderr, "ward serve: %s\n", message);
    }
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
    int uploads[2] = {0, 0};
    if (ctx->uploads)
        svc_pool_load(ctx->uploads, &uploads[0], &uploads[1]);
    rep->body = svc_metrics_render(&ctx->metrics, &info, svc_mono() - ctx->started, uploads);
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
    (void)svc_auth_refresh(ctx->auth, NULL); /* else the keys in memory stay */
    ward_error aerr;
    if (svc_audit(ctx->state, req->key_id, "index.reload", NULL,
                  changed ? "changed" : "unchanged", &aerr) != WARD_OK)
        svc_log_internal(ctx, "audit", aerr.message);
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

/* GET /v1/releases/...: the release tree (release.h) as files. A delta
 * between two versions no one asked for before is built on first request
 * and cached beside the others. */
void svc_releases(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    char *root = ctx->opts.release_root ? strdup(ctx->opts.release_root)
                                        : ward_release_root(ctx->opts.datadir);
    char *path = NULL;
    ward_error err;
    ward_status rc = root ? ward_release_resolve(root, req->tail, WARD_RELEASE_RESOLVE_BUILD,
                                                 &path, &err)
                          : WARD_ENOMEM;
    free(root);
    if (rc == WARD_EINVAL) {
        svc_error(rep, 400, "bad_request", "%s", err.message);
        return;
    }
    if (rc == WARD_ENOTFOUND) {
        svc_error(rep, 404, "not_found", "%s", err.message);
        return;
    }
    if (rc != WARD_OK) {
        svc_error(rep, 500, "internal", "%s", rc == WARD_ENOMEM ? "out of memory" : err.message);
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        svc_error(rep, 404, "not_found", "no such release file: %s", req->tail);
        return;
    }
    /* Streamed from the file (a full release can be large); MHD closes fd. */
    rep->status = 200;
    rep->has_fd = 1;
    rep->fd = fd;
    rep->fd_size = (uint64_t)st.st_size;
    rep->content_type = strstr(req->tail, "index.json") || strstr(req->tail, "manifest") ||
                                !strchr(req->tail, '/')
                            ? "application/json" : "application/octet-stream";
}
