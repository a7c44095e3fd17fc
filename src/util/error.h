/* Internal helpers for filling a ward_error. */
#ifndef WARD_UTIL_ERROR_H
#define WARD_UTIL_ERROR_H
#include <ward/ward.h>

/* Set *err (if not NULL) and return `status`, so callers can write
 *     return err_fail(err, WARD_EFORMAT, "bad header in %s", what);
 * ward_status is marked nodiscard (include/ward/ward.h), but filling an
 * error without returning its status at once (the status is returned a few
 * lines on, or kept in another field) is this helper's ordinary use: the
 * functions return int, and the macros give the result its type back. */
int err_fail_set(ward_error *err, ward_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define err_fail(...) ((ward_status)err_fail_set(__VA_ARGS__))

/* As err_fail with WARD_EIO, recording errno and appending strerror. */
int err_fail_errno_set(ward_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define err_fail_errno(...) ((ward_status)err_fail_errno_set(__VA_ARGS__))

static inline void err_clear(ward_error *err)
{
    if (err) { err->status = WARD_OK; err->sys_errno = 0; err->message[0] = 0; }
}
#endif
