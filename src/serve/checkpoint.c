/*
 * Signed checkpoints of the audit log. The hash chain shows a record
 * altered in the middle, but not the log cut short, rolled back to an
 * older copy, or rewritten whole (anyone who can write the table can
 * recompute every hash). A checkpoint anchors it: the last record's seq,
 * the number of records, the head hash and the time, signed with the
 * node's Ed25519 key (keys/release.key) and shipped elsewhere (a file the
 * operator collects, syslog, GET /v1/audit/checkpoint). Whoever holds an
 * earlier checkpoint then checks the log against it:
 *
 *   ward-audit-checkpoint/1 seq=S records=N head=HEX at=TIME key=ID sig=B64
 *
 * The signature covers the line up to " sig=". What it does not show:
 * records added after the last checkpoint shipped and then removed, and a
 * forger who holds the node's secret key (docs/security.md).
 */
#include "serve/handlers.h"
#include "serve/serve_int.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <ward/keys.h>

#define CP_TAG "ward-audit-checkpoint/1"

/* The last record's seq and hash, and the number of records. */
static ward_status log_head(svc_state *s, svc_checkpoint *cp, ward_error *err)
{
    return svc_audit_head(s, &cp->seq, &cp->records, cp->head, err);
}

/* The signed part of a line. */
static int signed_part(const svc_checkpoint *cp, char *out, size_t cap)
{
    return snprintf(out, cap, CP_TAG " seq=%" PRId64 " records=%" PRIu64 " head=%s at=%s key=%s",
                    cp->seq, cp->records, cp->head, cp->at, cp->key_id);
}

ward_status svc_checkpoint_make(svc_state *s, const ward_seckey *key, svc_checkpoint *cp,
                                char line[WARD_AUDIT_CHECKPOINT_MAX], ward_error *err)
{
    memset(cp, 0, sizeof *cp);
    ward_status rc = log_head(s, cp, err);
    if (rc)
        return rc;
    svc_now(cp->at);
    snprintf(cp->key_id, sizeof cp->key_id, "%s", key->pub.id);
    uint8_t sig[WARD_KEY_SIG_BYTES];
    int n = signed_part(cp, line, WARD_AUDIT_CHECKPOINT_MAX);
    ward_key_sign(key, line, (size_t)n, sig);
    char b64[sodium_base64_ENCODED_LEN(WARD_KEY_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    snprintf(line + n, WARD_AUDIT_CHECKPOINT_MAX - (size_t)n, " sig=%s", b64);
    return WARD_OK;
}

ward_status ward_audit_checkpoint(const char *datadir, const char *store_url, const char *key_file,
                                  char line[WARD_AUDIT_CHECKPOINT_MAX], ward_error *err)
{
    ward_seckey key;
    ward_status rc = ward_key_load_secret(datadir, NULL, &key, err);
    if (rc)
        return rc;
    svc_state *s;
    if (!(rc = svc_open_keyed(datadir, store_url, key_file, &s, err))) {
        svc_checkpoint cp;
        rc = svc_checkpoint_make(s, &key, &cp, line, err);
        if (!rc)
            rc = svc_audit(s, "checkpoint", "audit.checkpoint", NULL, line, err);
        svc_close(s);
    }
    ward_key_wipe(&key);
    return rc;
}

/* Parse one line and check its signature with the key it names: the
 * node's own (keys/release.pub) or a trusted one. */
static ward_status parse_line(const char *datadir, const char *text, svc_checkpoint *cp,
                              ward_error *err)
{
    char sigb64[128] = "";
    int used = 0;
    memset(cp, 0, sizeof *cp);
    if (sscanf(text, CP_TAG " seq=%" SCNd64 " records=%" SCNu64 " head=%64[0-9a-f] at=%31s "
                     "key=%16[0-9a-f]%n", &cp->seq, &cp->records, cp->head, cp->at,
               cp->key_id, &used) != 5 || !used || sscanf(text + used, " sig=%127s", sigb64) != 1)
        return err_fail(err, WARD_EFORMAT, "not a ward audit checkpoint");
    char again[WARD_AUDIT_CHECKPOINT_MAX];
    int n = signed_part(cp, again, sizeof again);
    if (n != used || memcmp(again, text, (size_t)n))
        return err_fail(err, WARD_EFORMAT, "not a ward audit checkpoint (not in canonical form)");
    uint8_t sig[WARD_KEY_SIG_BYTES];
    size_t len = 0;
    if (sodium_base642bin(sig, sizeof sig, sigb64, strlen(sigb64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof sig)
        return err_fail(err, WARD_EFORMAT, "the signature is not base64 of 64 bytes");
    ward_pubkey pub;
    ward_error kerr;
    if (ward_key_load_public(datadir, &pub, &kerr) != WARD_OK || strcmp(pub.id, cp->key_id)) {
        ward_status rc = ward_key_resolve(datadir, cp->key_id, &pub, err);
        if (rc)
            return rc;
    }
    if (!ward_key_verify(&pub, text, (size_t)n, sig))
        return err_fail(err, WARD_EFORMAT, "bad signature (key %s): the checkpoint was altered "
                                            "or not signed by that key", cp->key_id);
    return WARD_OK;
}

typedef struct cp_list {
    svc_checkpoint *v;
    size_t n, next; /* next: the first not yet met in the walk (sorted by seq) */
} cp_list;

static int by_seq(const void *a, const void *b)
{
    const svc_checkpoint *x = a, *y = b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static ward_status read_file(const char *datadir, const char *path, cp_list *l,
                             ward_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return err_fail_errno(err, errno, "cannot open %s", path);
    char buf[1024];
    ward_status rc = WARD_OK;
    for (unsigned line = 1; !rc && fgets(buf, sizeof buf, f); line++) {
        buf[strcspn(buf, "\r\n")] = 0;
        const char *p = strstr(buf, CP_TAG);   /* a syslog line has a prefix */
        if (!buf[0] || (!p && buf[0] == '#'))
            continue;
        svc_checkpoint *v = realloc(l->v, (l->n + 1) * sizeof *v);
        if (!v) {
            rc = err_fail(err, WARD_ENOMEM, "out of memory");
            break;
        }
        l->v = v;
        ward_error e;
        if (!p || parse_line(datadir, p, &l->v[l->n], &e) != WARD_OK)
            rc = err_fail(err, WARD_EFORMAT, "%s:%u: %s", path, line,
                           p ? e.message : "not a ward audit checkpoint");
        l->n++;
    }
    if (!rc && ferror(f))
        rc = err_fail_errno(err, errno, "cannot read %s", path);
    fclose(f);
    if (!rc && l->n == 0)
        rc = err_fail(err, WARD_EFORMAT, "%s holds no checkpoint", path);
    if (!rc)
        qsort(l->v, l->n, sizeof *l->v, by_seq);
    return rc;
}

/* Each record of the walk against the checkpoints at or before its seq. */
static ward_status check_record(void *ctx, int64_t seq, uint64_t n, const char *hash,
                                ward_error *err)
{
    cp_list *l = ctx;
    for (; l->next < l->n && l->v[l->next].seq <= seq; l->next++) {
        const svc_checkpoint *cp = &l->v[l->next];
        if (cp->seq == 0 && cp->records == 0)
            continue;   /* an empty log: anything follows from it */
        if (cp->seq < seq)
            return err_fail(err, WARD_EFORMAT,
                             "audit record %" PRId64 " is gone: the checkpoint of %s ends "
                             "there; the log was rewritten", cp->seq, cp->at);
        if (strcmp(cp->head, hash) || cp->records != n)
            return err_fail(err, WARD_EFORMAT,
                             "audit record %" PRId64 " differs from the checkpoint of %s "
                             "(%s, %" PRIu64 " records; the log has %.16s..., %" PRIu64 "): "
                             "the log was rewritten or rolled back", seq, cp->at,
                             cp->head, cp->records, hash, n);
    }
    return WARD_OK;
}

ward_status ward_serve_audit_verify_checkpoints(const char *datadir, const char *store_url,
                                                const char *key_file, const char *file,
                                                uint64_t *records, char head[65],
                                                size_t *checkpoints, ward_error *err)
{
    cp_list l = {0};
    ward_status rc = read_file(datadir, file, &l, err);
    svc_state *s = NULL;
    uint64_t n = 0;
    if (!rc)
        rc = svc_open_keyed(datadir, store_url, key_file, &s, err);
    if (!rc)
        rc = svc_audit_walk(s, check_record, &l, &n, head, err);
    /* checkpoints past the end: records cut off, or an older copy back */
    for (; !rc && l.next < l.n; l.next++)
        if (l.v[l.next].records > 0)
            rc = err_fail(err, WARD_EFORMAT,
                           "the audit log ends at %" PRIu64 " records, but the checkpoint of "
                           "%s has %" PRIu64 " (up to record %" PRId64 "): records were "
                           "removed from the end, or the log was rolled back",
                           n, l.v[l.next].at, l.v[l.next].records, l.v[l.next].seq);
    if (records)
        *records = n;
    if (checkpoints)
        *checkpoints = l.n;
    svc_close(s);
    free(l.v);
    return rc;
}

/* ---- in the server: every N records or T minutes, and on demand ---------- */

struct svc_cp_state {
    ward_seckey key;
    char *file;
    pthread_mutex_t lock;   /* guards what follows and the file's appends */
    int64_t seq;            /* of the last checkpoint written; -1: none yet */
    double at;              /* svc_mono() then */
};

ward_status svc_checkpoint_start(svc_ctx *ctx, ward_error *err)
{
    ward_seckey key;
    ward_error kerr;
    if (ward_key_load_secret(ctx->opts.datadir, NULL, &key, &kerr) != WARD_OK) {
        /* said, not fatal: a node without a key still serves */
        char line[600];
        snprintf(line, sizeof line, "no signed audit checkpoints: %s (ward keys generate)",
                 kerr.message);
        svc_log_message(ctx, "warning", line);
        return WARD_OK;
    }
    svc_cp_state *cp = calloc(1, sizeof *cp);
    const char *file = ctx->opts.checkpoint_file;
    char def[4096];
    if (!file) {
        snprintf(def, sizeof def, "%s/audit-checkpoints", ctx->opts.datadir);
        file = def;
    }
    if (!cp || !(cp->file = strdup(file))) {
        free(cp);
        ward_key_wipe(&key);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    cp->key = key;
    ward_key_wipe(&key);
    cp->seq = -1;
    pthread_mutex_init(&cp->lock, NULL);
    ctx->cp = cp;
    svc_checkpoint_tick(ctx);   /* a start is worth anchoring */
    return WARD_OK;
}

void svc_checkpoint_stop(svc_ctx *ctx)
{
    svc_cp_state *cp = ctx->cp;
    if (!cp)
        return;
    ward_key_wipe(&cp->key);
    pthread_mutex_destroy(&cp->lock);
    free(cp->file);
    free(cp);
    ctx->cp = NULL;
}

/* Append the line to the file (fsynced) and to syslog; cp->lock held. */
static ward_status ship(svc_cp_state *cp, const char *line, ward_error *err)
{
    syslog(LOG_USER | LOG_NOTICE, "%s", line);
    int fd = open(cp->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    size_t n = strlen(line);
    ward_status rc = WARD_OK;
    if (fd < 0 || write(fd, line, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd))
        rc = err_fail_errno(err, errno, "cannot append the audit checkpoint to %s", cp->file);
    if (fd >= 0)
        close(fd);
    return rc;
}

static ward_status take(svc_ctx *ctx, char line[WARD_AUDIT_CHECKPOINT_MAX], svc_checkpoint *c,
                        ward_error *err)
{
    svc_cp_state *cp = ctx->cp;
    ward_status rc = svc_checkpoint_make(ctx->state, &cp->key, c, line, err);
    if (!rc)
        rc = ship(cp, line, err);
    if (!rc) {
        cp->seq = c->seq;
        cp->at = svc_mono();
    }
    return rc;
}

void svc_checkpoint_tick(svc_ctx *ctx)
{
    svc_cp_state *cp = ctx->cp;
    if (!cp)
        return;
    pthread_mutex_lock(&cp->lock);
    int64_t last = 0;
    ward_error herr;
    int ok = svc_audit_head(ctx->state, &last, NULL, NULL, &herr) == WARD_OK;
    double minutes = (svc_mono() - cp->at) / 60;
    if (ok && (cp->seq < 0 ||
               (last != cp->seq && (last - cp->seq >= ctx->opts.checkpoint_records ||
                                    minutes >= ctx->opts.checkpoint_minutes)))) {
        char line[WARD_AUDIT_CHECKPOINT_MAX];
        svc_checkpoint c;
        ward_error err;
        if (take(ctx, line, &c, &err) != WARD_OK)
            svc_log_internal(ctx, "audit checkpoint", err.message);
    }
    pthread_mutex_unlock(&cp->lock);
}

void svc_audit_checkpoint(svc_ctx *ctx, const svc_request *req, svc_reply *rep)
{
    svc_cp_state *cp = ctx->cp;
    if (!cp) {
        svc_error(rep, 503, "unavailable", "this node has no signing key: no checkpoints");
        return;
    }
    char line[WARD_AUDIT_CHECKPOINT_MAX];
    svc_checkpoint c;
    ward_error err;
    pthread_mutex_lock(&cp->lock);
    ward_status rc = take(ctx, line, &c, &err);
    pthread_mutex_unlock(&cp->lock);
    /* who asked is audited (after the checkpoint, which it cannot cover) */
    if (rc == WARD_OK)
        rc = svc_audit(ctx->state, req->key_id, "audit.checkpoint", NULL, line, &err);
    if (rc != WARD_OK) {
        svc_log_internal(ctx, "audit checkpoint", err.message);
        svc_error(rep, 503, "unavailable", "cannot take an audit checkpoint; the server's log "
                                           "says why");
        return;
    }
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    yajl_gen_map_open(g);
    jw_kv_str(g, "checkpoint", line);
    jw_kv_int(g, "seq", (long long)c.seq);
    jw_kv_int(g, "records", (long long)c.records);
    jw_kv_str(g, "head", c.head);
    jw_kv_str(g, "at", c.at);
    jw_kv_str(g, "key", c.key_id);
    yajl_gen_map_close(g);
    svc_json_reply(rep, 200, g);
    yajl_gen_free(g);
}
