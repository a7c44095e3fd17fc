#include "cli/cli.h"

#include "cli/opt.h"
#include "cli/store_env.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ward %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ward %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'ward %s --help'.\n", cmd);
    return WARD_EXIT_USAGE;
}

int cli_exit_for(ward_status st)
{
    switch (st) {
    case WARD_OK: return WARD_EXIT_OK;
    case WARD_EIO: return WARD_EXIT_IO;
    case WARD_ENOMEM: case WARD_EINTERNAL: return WARD_EXIT_INTERNAL;
    case WARD_EINVAL: return WARD_EXIT_USAGE;
    case WARD_EBUSY: return WARD_EXIT_BUSY;
    case WARD_EREFUSED: return WARD_EXIT_DATA; /* docs/cli.md: "refused" is 3 */
    default: return WARD_EXIT_DATA;
    }
}

int cli_fail(const char *cmd, ward_status st, const ward_error *err)
{
    cli_error(cmd, "%s", err && err->message[0] ? err->message : ward_status_str(st));
    return cli_exit_for(st);
}

int cli_parse_int(const char *s, int lo, int hi, int *v)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (!*s || *end || n < lo || n > hi)
        return -1;
    *v = (int)n;
    return 0;
}

int cli_parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K') mul = 1000ull, end++;
    else if (*end == 'M') mul = 1000000ull, end++;
    else if (*end == 'G') mul = 1000000000ull, end++;
    if (*end)
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

int cli_parse_seconds(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

char *cli_join_argv(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 3;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        int quote = strpbrk(argv[i], " \t") != NULL;
        p += sprintf(p, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i], quote ? "'" : "");
    }
    *p = 0;
    return s;
}

void cli_print_help(const cli_command *c)
{
    assert(c->opts);   /* every command parses from its option table */
    fputs(c->help, stdout);
    fputs("OPTIONS\n", stdout);
    cli_opts_print(stdout, c->opts);
    if (c->help_tail) {
        fputc('\n', stdout);
        fputs(c->help_tail, stdout);
    }
}

const char *cli_data_dir(const char *opt)
{
    static char buf[4096];
    if (opt && *opt) return opt;
    const char *env = getenv("WARD_DATA");
    if (env && *env) return env;
    const char *home = getenv("HOME");
    snprintf(buf, sizeof buf, "%s/.local/share/ward", home && *home ? home : ".");
    return buf;
}

/* The environment as main() found it (cli_env_read): libward never reads
 * it, so every store, key and scratch location it needs is passed from
 * here. */
static struct {
    char url[4096];
    const char *store_url, *intel_key_file, *tmp_dir;
} env;

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

int cli_env_read(const char *store)
{
    env.store_url = store_env_url(store, env.url, sizeof env.url);
    if (!env.store_url && (nonempty(store) || nonempty(getenv("WARD_STORE"))))
        return -1;
    env.intel_key_file = nonempty(getenv("WARD_INTEL_KEY_FILE"));
    env.tmp_dir = nonempty(getenv("TMPDIR"));
    return 0;
}

const char *cli_store_url(void) { return env.store_url; }

const char *cli_intel_key_file(void) { return env.intel_key_file; }

const char *cli_tmp_dir(void) { return env.tmp_dir; }

const char *cli_user(void)
{
    const char *u = getenv("WARD_USER");
    if (!u || !*u) u = getenv("USER");
    return u && *u ? u : "unknown";
}

int cli_parse_now(const char *s, time_t *t)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
    if (!end || *end)
        return -1;
    *t = timegm(&tm);
    return 0;
}

void cli_json_field(const char *key, const char *value, int first)
{
    printf("%s\"%s\":\"", first ? "" : ",", key);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    putchar('"');
}
