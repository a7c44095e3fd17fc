/* Internal helpers for filling a ward_error. */
#ifndef WARD_UTIL_ERROR_H
#define WARD_UTIL_ERROR_H
#include <ward/ward.h>

/* Set *err (if not NULL) and return `status`, so callers can write
 *     return ward_fail(err, WARD_EFORMAT, "bad header in %s", what);        */
ward_status ward_fail(ward_error *err, ward_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As ward_fail with WARD_EIO, recording errno and appending strerror. */
ward_status ward_fail_errno(ward_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void ward_error_clear(ward_error *err)
{
    if (err) { err->status = WARD_OK; err->sys_errno = 0; err->message[0] = 0; }
}
#endif
