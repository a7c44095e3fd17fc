/*
 * The acquired media of an E01, checked as ewfverify checks it: the media
 * stream is read through libewf (decompressed, across every segment), its
 * MD5, SHA-1 and SHA-256 computed, and the MD5/SHA-1 the acquiring tool
 * stored in the EWF compared with them. The container file's own digests
 * (what the worker computes for the .E01 as a file) say the file is the
 * one received; these say the disk inside it is the disk acquired.
 */
#include "scan/source_int.h"

#include <ctype.h>
#include <libewf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1 << 20)

static void ewf_why(libewf_error_t **e, char *why, size_t cap, const char *what)
{
    char msg[200] = "";
    if (*e) {
        libewf_error_sprint(*e, msg, sizeof msg);
        libewf_error_free(e);
    }
    /* libewf's messages run over several lines: keep the first. */
    msg[strcspn(msg, "\r\n")] = 0;
    snprintf(why, cap, "%s%s%s", what, msg[0] ? ": " : "", msg);
}

/* The stored hash `name` ("MD5", "SHA1") as lower-case hex, or "". */
static void stored_hash(libewf_handle_t *h, const char *name, char *out, size_t cap)
{
    uint8_t v[128];
    libewf_error_t *e = NULL;
    out[0] = 0;
    if (libewf_handle_get_utf8_hash_value(h, (const uint8_t *)name, strlen(name), v, sizeof v, &e) == 1) {
        size_t i = 0;
        for (; v[i] && i + 1 < cap; i++)
            out[i] = (char)tolower(v[i]);
        out[i] = 0;
    }
    if (e) libewf_error_free(&e);
}

static int read_media(libewf_handle_t *h, ward_digester *dg, uint64_t size, char *why, size_t cap)
{
    uint8_t *buf = malloc(CHUNK);
    if (!buf) { snprintf(why, cap, "out of memory"); return -1; }
    uint64_t done = 0;
    while (done < size) {
        libewf_error_t *e = NULL;
        size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
        ssize_t got = libewf_handle_read_buffer(h, buf, want, &e);
        if (got <= 0) {
            char what[80];
            snprintf(what, sizeof what, "media unreadable after %llu bytes", (unsigned long long)done);
            if (!e) snprintf(what, sizeof what, "media ends after %llu of %llu bytes",
                             (unsigned long long)done, (unsigned long long)size);
            ewf_why(&e, why, cap, what);
            free(buf);
            return -1;
        }
        ward_digester_update(dg, buf, (size_t)got);
        done += (uint64_t)got;
    }
    free(buf);
    return 0;
}

int src_ewf_media(const char *open_path, ward_acquired *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    libewf_error_t *e = NULL;
    char **names = NULL;
    int nnames = 0;
    libewf_handle_t *h = NULL;
    int rc = -1;
    if (libewf_glob(open_path, strlen(open_path), LIBEWF_FORMAT_UNKNOWN, &names, &nnames, &e) != 1) {
        ewf_why(&e, why, cap, "EWF segments not found");
        return -1;
    }
    if (libewf_handle_initialize(&h, &e) != 1 ||
        libewf_handle_open(h, names, nnames, LIBEWF_OPEN_READ, &e) != 1) {
        ewf_why(&e, why, cap, "EWF image unreadable");
        goto done;
    }
    size64_t size = 0;
    if (libewf_handle_get_media_size(h, &size, &e) != 1) {
        ewf_why(&e, why, cap, "EWF media size unreadable");
        goto done;
    }
    ward_digester *dg = ward_digester_new(WARD_DIGEST_ALL);
    if (!dg) { snprintf(why, cap, "out of memory"); goto done; }
    if (read_media(h, dg, size, why, cap) == 0) {
        ward_digester_final(dg, &out->digests);
        out->size = size;
        stored_hash(h, "MD5", out->stored_md5, sizeof out->stored_md5);
        stored_hash(h, "SHA1", out->stored_sha1, sizeof out->stored_sha1);
        out->present = 1;
        rc = 0;
    }
    ward_digester_free(dg);
done:
    if (h) {
        libewf_handle_close(h, NULL);
        libewf_handle_free(&h, NULL);
    }
    libewf_glob_free(names, nnames, NULL);
    return rc;
}

/* Compares one stored digest with the computed one; 1 on a mismatch. */
static int differs(const ward_digests *d, unsigned k, const char *stored, char *hex)
{
    return stored[0] && ward_digest_hex(d, k, hex) && strcmp(hex, stored) != 0;
}

void src_ewf_check(src_ctx *s, const char *open_path, const char *path, int depth, ward_item *it)
{
    char why[256];
    if (src_ewf_media(open_path, &it->acquired, why, sizeof why) != 0) {
        src_notice(s, WARD_ITEM_ERROR, path, depth, "%s", why);
        return;
    }
    const ward_acquired *a = &it->acquired;
    char hex[65];
    if (differs(&a->digests, WARD_DIGEST_MD5, a->stored_md5, hex))
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "EWF media MD5 %s differs from the MD5 stored at acquisition %s", hex,
                   a->stored_md5);
    if (differs(&a->digests, WARD_DIGEST_SHA1, a->stored_sha1, hex))
        src_notice(s, WARD_ITEM_ERROR, path, depth,
                   "EWF media SHA-1 %s differs from the SHA-1 stored at acquisition %s", hex,
                   a->stored_sha1);
}
