/*
 * remote.h -- ask a peer ward node whether it knows some hashes.
 *
 * Federated lookup: a partner agency's node answers from its own lists
 * without anyone copying them. The request goes to the peer's match API
 * (POST /v1/match) with an API key of scope "match", marked as a lookup so
 * the peer records it in its audit log rather than as an upload event.
 * Answers carry the peer's list name and category exactly as it sent them.
 */
#ifndef WARD_REMOTE_H
#define WARD_REMOTE_H

#include <stddef.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_remote_hit {
    const char *list, *category, *category_label, *category_class, *series;
    const char *kind;   /* "md5", "sha1", "sha256", "pdq" */
    const char *hash;   /* the peer entry's hash */
    int distance;
} ward_remote_hit;

typedef struct ward_remote_opts {
    const char *api_key;  /* required */
    int radius;           /* PDQ radius, -1: the peer's default */
    const char *ca_file;  /* PEM bundle for https, NULL: the system's */
    long timeout_s;       /* whole request (default 30) */
} ward_remote_opts;

/*
 * Look up n hashes (text as for ward_match_text) at the node whose base URL
 * is `url` (e.g. "https://hub.example:8077"). For each hash, cb is called
 * once per hit, or once with hit NULL when the peer knows nothing of it.
 * Strings are valid during the call. Errors: WARD_EIO (unreachable, TLS),
 * WARD_EFORMAT (the peer's reply is not what ward serves), WARD_EINVAL (the
 * peer refused the request; its message is in err).
 */
ward_status ward_remote_lookup(const char *url, const char *const *hashes, size_t n,
                               const ward_remote_opts *opts,
                               int (*cb)(void *ctx, const char *query, const ward_remote_hit *hit),
                               void *ctx, ward_error *err);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
