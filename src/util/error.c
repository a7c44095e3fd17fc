#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ward_status_str(ward_status status)
{
    switch (status) {
    case WARD_OK: return "ok";
    case WARD_EINVAL: return "invalid argument";
    case WARD_ENOMEM: return "out of memory";
    case WARD_EIO: return "I/O error";
    case WARD_EFORMAT: return "format error";
    case WARD_EUNSUPPORTED: return "unsupported";
    case WARD_ELIMIT: return "limit exceeded";
    case WARD_ENOTFOUND: return "not found";
    case WARD_EINTERNAL: return "internal error";
    case WARD_EBUSY: return "store busy";
    case WARD_EREFUSED: return "refused";
    }
    return "unknown status";
}

const char *ward_version(void) { return WARD_VERSION_STRING; }

int err_fail_set(ward_error *err, ward_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
        err->sys_errno = 0;
    }
    return status;
}

int err_fail_errno_set(ward_error *err, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof err->message)
            snprintf(err->message + n, sizeof err->message - (size_t)n, ": %s",
                     strerror(errnum));
        err->status = WARD_EIO;
        err->sys_errno = errnum;
    }
    return WARD_EIO;
}
