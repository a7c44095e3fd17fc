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

/*
 * The exported surface. libward is built with -fvisibility=hidden, so a
 * function is visible to programs linking libward.so only if it is declared
 * with default visibility. Every public header wraps its declarations in
 * WARD_API_BEGIN ... WARD_API_END (a visibility push, as libffi and others
 * do) instead of marking each line: a declaration added to a public header is
 * exported without further ceremony, one defined elsewhere is not.
 * WARD_API marks a single declaration outside such a block.
 * scripts/check-exports.sh (ctest api.exports) compares `nm -D libward.so`
 * with the declarations in include/ward/ both ways.
 */
#if defined(__GNUC__) || defined(__clang__)
#define WARD_API __attribute__((visibility("default")))
#define WARD_API_BEGIN _Pragma("GCC visibility push(default)")
#define WARD_API_END _Pragma("GCC visibility pop")
#else
#define WARD_API
#define WARD_API_BEGIN
#define WARD_API_END
#endif

/*
 * A status must be looked at. WARD_NODISCARD marks one function; the
 * ward_status type itself carries the same mark (WARD_NODISCARD_TYPE), so
 * that every call returning a status, public or internal, present or added
 * later, warns when its result is dropped. A deliberate drop is written
 * (void)call(...) with a comment saying why.
 */
#if defined(__GNUC__) || defined(__clang__)
#define WARD_NODISCARD __attribute__((warn_unused_result))
#else
#define WARD_NODISCARD
#endif
#if defined(__clang__)
#define WARD_NODISCARD_TYPE __attribute__((warn_unused_result))
#elif defined(__GNUC__) && __GNUC__ >= 11
#define WARD_NODISCARD_TYPE [[nodiscard]]
#else
#define WARD_NODISCARD_TYPE
#endif

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

/* The one version number: CMakeLists.txt reads it from here (project()
 * VERSION, the shared library's soname version, pkg-config, the .deb), and
 * tests/e2e/version.sh checks debian/changelog against it. */
#define WARD_VERSION_STRING "0.1.0"

typedef enum WARD_NODISCARD_TYPE ward_status {
    WARD_OK = 0,
    WARD_EINVAL,      /* a caller passed a bad argument */
    WARD_ENOMEM,      /* an allocation failed */
    WARD_EIO,         /* a read or write failed; sys_errno says why */
    WARD_EFORMAT,     /* input is malformed (truncated, bad header, ...) */
    WARD_EUNSUPPORTED,/* input is well formed but a variant ward cannot handle */
    WARD_ELIMIT,      /* input refused by a resource limit (pixels, size, ...) */
    WARD_ENOTFOUND,   /* the thing asked for does not exist */
    WARD_EINTERNAL,   /* a bug or an unexpected library failure */
    WARD_EBUSY,       /* a store's write lock stayed held by another process
                         past the wait (10 s): nothing was changed; retry */
    WARD_EREFUSED     /* well asked, but refused: by the other side (a remote
                         service rejected the credentials) or by the state of
                         what is asked about (nothing held to act on); not a
                         bad argument, so not a usage error */
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

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
