/*
 * Option tables (opt.h): parsing, the manual's OPTIONS rows and docs/cli.md's
 * tables from one row per option.
 */
#include "cli/opt.h"

#include "cli/cli.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long's value for row i: the short letter if it has one, else a
 * number above every character. */
#define LONG_ONLY_BASE 256

static size_t count_rows(const cli_opt *opts)
{
    size_t n = 0;
    while (opts && opts[n].name)
        n++;
    return n;
}

static int takes_argument(cli_opt_kind k)
{
    return k != CLI_FLAG && k != CLI_UNSET && k != CLI_SET;
}

static int numeric(cli_opt_kind k)
{
    return k == CLI_INT || k == CLI_COUNT || k == CLI_BYTES || k == CLI_SECONDS ||
           k == CLI_NUMBER;
}

/* "text|jsonl|csv" holds word? */
static int is_choice(const char *choices, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* A range without limits worth naming is "any" (a count up to 1e18). */
#define NO_LIMIT 1e15

/* " (1..1024)", " (0.01..3600 s)", " (at least 2)": the range a value must
 * be in, for messages and docs/cli.md; "" when any value goes. */
static void range_text(const cli_opt *o, char *buf, size_t cap)
{
    const char *unit = o->kind == CLI_SECONDS ? " s" : "";
    buf[0] = 0;
    if (o->kind == CLI_CHOICE)
        snprintf(buf, cap, " (one of %s)", o->choices);
    else if (o->kind == CLI_REPEAT)
        snprintf(buf, cap, " (at most %.15g of them)", o->hi);
    else if (!numeric(o->kind))
        return;
    else if (o->hi < NO_LIMIT)
        snprintf(buf, cap, " (%.15g..%.15g%s)", o->lo, o->hi, unit);
    else if (o->lo > 0)
        snprintf(buf, cap, " (at least %.15g%s)", o->lo, unit);
}

/* Bytes: digits and an optional k/M/G, powers of 1024; 0 on success. */
static int parse_bytes(const char *s, uint64_t *out)
{
    uint64_t v;
    char digits[32];
    size_t n = strlen(s);
    int shift = 0;
    if (n && strchr("kKMG", s[n - 1]))
        shift = s[n - 1] == 'M' ? 20 : s[n - 1] == 'G' ? 30 : 10, n--;
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, s, n);
    digits[n] = 0;
    if (cli_parse_count(digits, &v) || v > UINT64_MAX >> shift)
        return -1;
    *out = v << shift;
    return 0;
}

/* Stores the option's value in args; 0 on success, -1 for a bad value. */
static int store(const cli_opt *o, void *args, const char *value)
{
    char *field = (char *)args + o->offset;
    int iv;
    uint64_t cv;
    double dv;
    switch (o->kind) {
    case CLI_FLAG: *(int *)field = 1; return 0;
    case CLI_UNSET: *(int *)field = 0; return 0;
    case CLI_SET: *(const char **)field = o->choices; return 0;
    case CLI_STRING: *(const char **)field = value; return 0;
    case CLI_CHOICE:
        if (!value) /* an optional argument left out */
            value = o->implied;
        if (!is_choice(o->choices, value))
            return -1;
        *(const char **)field = value;
        return 0;
    case CLI_INT:
        if (cli_parse_int(value, (int)o->lo, (int)o->hi, &iv))
            return -1;
        *(int *)field = iv;
        return 0;
    case CLI_COUNT:
    case CLI_BYTES:
        if ((o->kind == CLI_COUNT ? cli_parse_count(value, &cv) : parse_bytes(value, &cv)) ||
            (double)cv < o->lo || (double)cv > o->hi)
            return -1;
        *(uint64_t *)field = cv;
        return 0;
    case CLI_REFUSED: return -1;
    case CLI_REPEAT: {
        cli_strings *l = (cli_strings *)field;
        if (l->n >= CLI_STRINGS_MAX || (double)l->n >= o->hi)
            return -1;
        l->v[l->n++] = value;
        return 0;
    }
    case CLI_SECONDS:
    case CLI_NUMBER:
        if (cli_parse_seconds(value, o->lo, o->hi, &dv))
            return -1;
        *(double *)field = dv;
        return 0;
    }
    return -1;
}

/* getopt_long's tables for c->opts, plus -h/--help. Caller frees *longs. */
static int build_getopt(const cli_opt *opts, struct option **longs, char *shorts, size_t cap)
{
    size_t n = count_rows(opts), k = 0;
    if (!(*longs = calloc(n + 2, sizeof **longs)))
        return -1;
    k += (size_t)snprintf(shorts, cap, ":h");
    for (size_t i = 0; i < n; i++) {
        int arg = takes_argument(opts[i].kind);
        int has_arg = !arg ? no_argument : opts[i].implied ? optional_argument
                                                           : required_argument;
        (*longs)[i] = (struct option){opts[i].name, has_arg,
                                      NULL,
                                      opts[i].short_name ? opts[i].short_name
                                                         : LONG_ONLY_BASE + (int)i};
        if (opts[i].short_name && k + 4 < cap)
            k += (size_t)snprintf(shorts + k, cap - k, "%c%s", opts[i].short_name,
                                  !arg ? "" : opts[i].implied ? "::" : ":");
    }
    (*longs)[n] = (struct option){"help", no_argument, NULL, 'h'};
    return 0;
}

static const cli_opt *row_for(const cli_opt *opts, int val)
{
    size_t n = count_rows(opts);
    if (val >= LONG_ONLY_BASE && (size_t)(val - LONG_ONLY_BASE) < n)
        return &opts[val - LONG_ONLY_BASE];
    for (size_t i = 0; i < n; i++)
        if (opts[i].short_name && opts[i].short_name == val)
            return &opts[i];
    return NULL;
}

int cli_parse_opts(const cli_command *c, void *args, int argc, char **argv, int *operands)
{
    struct option *longs;
    char shorts[128];
    if (build_getopt(c->opts, &longs, shorts, sizeof shorts)) {
        cli_error(c->name, "out of memory");
        return WARD_EXIT_INTERNAL;
    }
    int rc = CLI_GO_ON, ch;
    optind = 1;
    opterr = 0; /* the messages below name the command */
    while (rc == CLI_GO_ON && (ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const char *given = argv[optind - 1];
        const cli_opt *o = row_for(c->opts, ch);
        char range[160];
        if (ch == 'h') {
            cli_print_help(c);
            rc = WARD_EXIT_OK;
        } else if (ch == ':') {
            rc = cli_usage(c->name, "%s needs an argument", given);
        } else if (!o) {
            rc = cli_usage(c->name, "unknown option '%s'", given);
        } else if (o->kind == CLI_REFUSED) {
            char why[512];
            snprintf(why, sizeof why, "%s", o->help);
            for (char *nl; (nl = strchr(why, '\n'));)
                *nl = ' ';
            rc = cli_usage(c->name, "--%s: %s", o->name, why);
        } else if (store(o, args, optarg)) {
            range_text(o, range, sizeof range);
            rc = cli_usage(c->name, "bad --%s '%s'%s", o->name, optarg, range);
        }
    }
    free(longs);
    *operands = optind;
    return rc;
}

/* "    -j, --threads N" or "        --no-pdq": the left column of a row. */
static void left_column(const cli_opt *o, char *buf, size_t cap)
{
    char flag[8] = "    ";
    if (o->short_name)
        snprintf(flag, sizeof flag, "-%c, ", o->short_name);
    const char *arg = !takes_argument(o->kind) ? "" : o->arg ? o->arg : "X";
    if (o->implied) /* --thumbnails[=blur|clear] */
        snprintf(buf, cap, "    %s--%s[=%s]", flag, o->name, arg);
    else
        snprintf(buf, cap, "    %s--%s%s%s", flag, o->name, *arg ? " " : "", arg);
}

#define HELP_COLUMN 27

void cli_opts_print(FILE *out, const cli_opt *opts)
{
    for (size_t i = 0; i < count_rows(opts); i++) {
        const cli_opt *o = &opts[i];
        char left[128];
        left_column(o, left, sizeof left);
        int pad = HELP_COLUMN - (int)strlen(left);
        if (pad < 1) /* too long: the help starts on the next line */
            fprintf(out, "%s\n%*s", left, HELP_COLUMN, "");
        else
            fprintf(out, "%s%*s", left, pad, "");
        int col = HELP_COLUMN;
        for (const char *p = o->help; *p;) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            fprintf(out, "%.*s", len, p);
            col = HELP_COLUMN + len;
            if (!nl)
                break;
            fprintf(out, "\n%*s", HELP_COLUMN, "");
            p = nl + 1;
        }
        if (o->def) { /* on the last line if it fits in 79 columns */
            int len = (int)strlen(o->def) + 11;
            if (col + len > 79)
                fprintf(out, "\n%*s(default %s)", HELP_COLUMN, "", o->def);
            else
                fprintf(out, " (default %s)", o->def);
        }
        fputc('\n', out);
    }
    fprintf(out, "    -h, --help             this manual\n");
}

/* Markdown's table cells: '|' escaped, line breaks as spaces. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++)
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' ? ' ' : *s, out);
}

void cli_opts_markdown(FILE *out, const cli_opt *opts)
{
    fprintf(out, "| option | argument | default | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < count_rows(opts); i++) {
        const cli_opt *o = &opts[i];
        fprintf(out, "| ");
        if (o->short_name)
            fprintf(out, "`-%c`, ", o->short_name);
        fprintf(out, "`--%s` | ", o->name);
        char range[160];
        if (o->implied)
            fputs("[=", out);
        if (o->kind == CLI_CHOICE)
            md_cell(out, o->choices);
        else if (takes_argument(o->kind))
            md_cell(out, o->arg);
        if (o->implied)
            fputs("]", out);
        if (o->kind != CLI_CHOICE) {
            range_text(o, range, sizeof range);
            fputs(range, out);
        }
        fprintf(out, " | ");
        md_cell(out, o->def);
        fprintf(out, " | ");
        md_cell(out, o->help);
        fprintf(out, " |\n");
    }
}
