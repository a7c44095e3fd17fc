/*
 * The store URL a program built on libward takes from the environment.
 * libward never reads the environment (store.h): `ward` (cli.c), the unit
 * tests (tests/unit/testutil.h) and the benches read $WARD_STORE and
 * $WARD_STORE_PER_DATADIR here, once, and pass the result to the store
 * openers as their store_url. Header-only: it is no part of libward.
 */
#ifndef WARD_CLI_STORE_ENV_H
#define WARD_CLI_STORE_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* store (ward --store URL), else $WARD_STORE, into out; with
 * $WARD_STORE_PER_DATADIR=1 and a PostgreSQL URL, ?ward_per_datadir=1 added
 * (each data directory its own schemas on the one server, as the test
 * suite's PostgreSQL pass runs). Returns out, NULL when there is none or it
 * does not fit. */
static inline const char *store_env_url(const char *store, char *out, size_t cap)
{
    if (!store || !*store)
        store = getenv("WARD_STORE");
    if (!store || !*store)
        return NULL;
    const char *per = getenv("WARD_STORE_PER_DATADIR");
    int n = per && strcmp(per, "1") == 0 && strncmp(store, "postgres", 8) == 0
                ? snprintf(out, cap, "%s%cward_per_datadir=1", store,
                           strchr(store, '?') ? '&' : '?')
                : snprintf(out, cap, "%s", store);
    return n < 0 || (size_t)n >= cap ? NULL : out;
}

/* store_env_url(NULL, ...) read once, for programs that never take
 * --store (the unit tests, the benches). */
static inline const char *store_env_default(void)
{
    static char url[4096];
    static const char *got;
    static int read;
    if (!read) {
        got = store_env_url(NULL, url, sizeof url);
        read = 1;
    }
    return got;
}

#endif
