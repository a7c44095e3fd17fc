/*
 * ward.h -- common definitions for libward.
 *
 * libward is the library behind the `ward` command: hashing, media decoding,
 * hash-set indexes, triage scans and intelligence triage. Each module has its
 * own header in include/ward/; this one holds what they all share: the version
 * and the error type.
 *
 * Conventions (all modules):
 *   - Functions that can fail return a ward_status (WARD_OK == 0) and, where
 *     they take a `ward_error *err`, fill it with a human-readable reason.
 *     `err` may be NULL when the caller does not want the text.
 *   - The library never prints, never exits and keeps no global state.
 *   - Objects are created by a _new or _open function and released by the
 *     matching _free or _close;
 *     passing NULL to a release function is a no-op.
 */
#ifndef WARD_WARD_H
#define WARD_WARD_H

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_VERSION_STRING "0.1.0"

typedef enum ward_status {
    WARD_OK = 0,
    WARD_EINVAL,      /* a caller passed a bad argument */
    WARD_ENOMEM,      /* an allocation failed */
    WARD_EIO,         /* a read or write failed; sys_errno says why */
    WARD_EFORMAT,     /* input is malformed (truncated, bad header, ...) */
    WARD_EUNSUPPORTED,/* input is well formed but a variant ward cannot handle */
    WARD_ELIMIT,      /* input refused by a resource limit (pixels, size, ...) */
    WARD_ENOTFOUND,   /* the thing asked for does not exist */
    WARD_EINTERNAL,   /* a bug or an unexpected library failure */
    WARD_EBUSY        /* a store's write lock stayed held by another process
                         past the wait (10 s): nothing was changed; retry */
} ward_status;

typedef struct ward_error {
    ward_status status;
    int sys_errno;      /* errno for WARD_EIO, else 0 */
    char message[256];  /* one line, no trailing newline */
} ward_error;

/* Short constant name of a status, e.g. "format error". */
const char *ward_status_str(ward_status status);

/* Library version, e.g. "0.1.0". */
const char *ward_version(void);

#ifdef __cplusplus
}
#endif
#endif
