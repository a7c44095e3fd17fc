/*
 * A command's options as one table (curl's way): each row names the option,
 * its argument's type and range, its default and its help line, and is the
 * only place any of that is written. From the table come the parsing (with
 * the same messages in every command), the OPTIONS section of --help (and so
 * the man pages, which scripts/help2man.sh makes from --help) and the option
 * tables of docs/cli.md (`ward help --markdown CMD`, checked by
 * tests/e2e/cli_docs.sh).
 */
#ifndef WARD_CLI_OPT_H
#define WARD_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cli_command;

typedef enum cli_opt_kind {
    CLI_FLAG,    /* no argument: *(int *) = 1 */
    CLI_UNSET,   /* no argument: *(int *) = 0 (--no-X turning a default off) */
    CLI_STRING,  /* *(const char **) = the argument, checked by the command */
    CLI_INT,     /* *(int *): a decimal integer within [lo, hi] */
    CLI_COUNT,   /* *(uint64_t *): digits with an optional k/M/G (x1000) */
    CLI_BYTES,   /* *(uint64_t *): bytes, an optional k/M/G as powers of 1024 */
    CLI_SECONDS, /* *(double *): a decimal number of seconds within [lo, hi] */
    CLI_NUMBER,  /* *(double *): a decimal number within [lo, hi] */
    CLI_CHOICE,  /* *(const char **): one of `choices` ("text|jsonl|csv") */
    CLI_SET,     /* no argument: *(const char **) = `choices` (--jsonl for
                    --format jsonl: the shorthand's row names the same field) */
    CLI_REFUSED, /* never accepted: the usage error is `help` (--password:
                    a secret on the command line shows in ps and history) */
    CLI_REPEAT   /* *(cli_strings *): each use adds one (--list A --list B),
                    at most `hi` of them */
} cli_opt_kind;

typedef struct cli_opt {
    const char *name;    /* the long name, without "--" */
    char short_name;     /* 'j' for -j, or 0 */
    cli_opt_kind kind;
    size_t offset;       /* offsetof() the field in the command's argument struct */
    const char *arg;     /* the argument's name in the manual ("N", "DIR") */
    double lo, hi;       /* CLI_INT, CLI_COUNT, CLI_SECONDS: the range */
    const char *choices; /* CLI_CHOICE: the words; CLI_SET: the value */
    const char *def;     /* the default, as the manual shows it, or NULL */
    const char *help;    /* the help text: lines separated by '\n' */
    const char *implied; /* CLI_CHOICE only: the argument is optional
                            ("--thumbnails[=blur|clear]") and this is the
                            value given without one */
} cli_opt;

/* A repeatable option's values, in the order given. */
#define CLI_STRINGS_MAX 64
typedef struct cli_strings {
    const char *v[CLI_STRINGS_MAX];
    size_t n;
} cli_strings;

/* offsetof(ST, M), refused at compile time unless M has type T: a row can
 * never write an int through a uint64_t field's offset. */
#define CLI_AT_(st, m, T) \
    (offsetof(st, m) + \
     0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((st *)0)->m), T) ? 1 : -1]))
#define CLI_AT_INT(st, m) CLI_AT_(st, m, int)          /* FLAG, UNSET, INT */
#define CLI_AT_U64(st, m) CLI_AT_(st, m, uint64_t)     /* COUNT, BYTES */
#define CLI_AT_SECONDS(st, m) CLI_AT_(st, m, double)   /* SECONDS, NUMBER */

/* The row every command with a data directory has (cli_data_dir). */
#define CLI_OPT_DATA(st, m)                                                 \
    {"data", 0, CLI_STRING, CLI_AT_STR(st, m), "DIR",                        \
     .def = "$WARD_DATA, else ~/.local/share/ward", .help = "data directory"}
/* --now TIME, the same row in every command that dates what it records
 * (tests, replaying a day); each command parses the time itself. */
#define CLI_OPT_NOW(st, m)                                                  \
    {"now", 0, CLI_STRING, CLI_AT_STR(st, m), "TIME",                        \
     .help = "the time to act as now (UTC, YYYY-MM-DDTHH:MM:SSZ)"}
#define CLI_AT_STR(st, m) CLI_AT_(st, m, const char *) /* STRING, CHOICE, SET */
#define CLI_AT_STRINGS(st, m) CLI_AT_(st, m, cli_strings) /* REPEAT */

/* The table's end. */
#define CLI_OPT_END {0}

/* Parses argv (argv[0] is the command's name) into args by c->opts. Returns
 * CLI_GO_ON with *operands the index of the first operand; or the exit code
 * the command returns at once: WARD_EXIT_OK after printing the manual
 * (-h, --help), WARD_EXIT_USAGE after naming the bad option or value. */
#define CLI_GO_ON (-1)
int cli_parse_opts(const struct cli_command *c, void *args, int argc, char **argv,
                   int *operands);

/* The OPTIONS section's rows, as the manual prints them. */
void cli_opts_print(FILE *out, const cli_opt *opts);
/* The same table in Markdown, for docs/cli.md. */
void cli_opts_markdown(FILE *out, const cli_opt *opts);

#endif
