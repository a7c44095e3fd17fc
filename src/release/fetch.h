/* Downloads for subscribers (fetch.c). */
#ifndef WARD_RELEASE_FETCH_H
#define WARD_RELEASE_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <ward/ward.h>

/* GET url into a NUL-terminated buffer of at most max bytes. api_key (may
 * be NULL) is sent as a bearer token, for a publisher behind `ward serve`.
 * WARD_ENOTFOUND for 404 / a missing file, WARD_EIO for other failures. */
ward_status rel_fetch_mem(const char *url, const char *api_key, size_t max, char **data,
                          size_t *n, ward_error *err);

/* GET url into `part`, continuing what is already there (Range). expect:
 * the size the signed manifest gives (-1: unknown); more bytes than that
 * fail as WARD_EFORMAT. A part of exactly `expect` bytes is not fetched
 * again. */
ward_status rel_fetch_file(const char *url, const char *api_key, const char *part,
                           int64_t expect, ward_error *err);

#endif
