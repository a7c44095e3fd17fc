/*
 * Conventions shared by every `ward` subcommand. The CLI is a thin layer:
 * it parses options, calls libward, prints, and maps outcomes to exit codes.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stdint.h>
#include <time.h>
#include <ward/index.h> /* the PDQ defaults the manuals quote */
#include <ward/ward.h>

/* A numeric macro as a string literal, for help text: CLI_NUM(WARD_INDEX_PDQ_RADIUS) */
#define CLI_NUM_(x) #x
#define CLI_NUM(x) CLI_NUM_(x)

/* Exit codes: the same meaning in every subcommand (docs/cli.md). */
enum {
    WARD_EXIT_OK = 0,       /* done, nothing to report */
    WARD_EXIT_FINDINGS = 1, /* done, with findings or a partial result
                               (some inputs unreadable/undecodable, matches) */
    WARD_EXIT_USAGE = 2,    /* bad command line */
    WARD_EXIT_DATA = 3,     /* input or store unusable (bad format, refused) */
    WARD_EXIT_IO = 4,       /* could not write output or access the store */
    WARD_EXIT_INTERNAL = 5, /* out of memory or a bug */
    WARD_EXIT_BUSY = 6      /* a store stayed locked by another process: retry */
};

struct cli_opt;
typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *help;       /* the manual, the part before OPTIONS */
    const struct cli_opt *opts; /* the option table (opt.h): parsing, --help
                                   and docs/cli.md all come from it */
    const char *help_tail;  /* the manual after OPTIONS */
} cli_command;

extern const cli_command cli_cmd_hash;

/* "ward hash: <message>" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As cli_error plus "Try 'ward CMD --help'."; returns WARD_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for a libward status: EIO 4, EINVAL 2 (usage), ENOMEM and
 * EINTERNAL 5, EBUSY 6, any other failure 3 (data unusable, or refused:
 * EREFUSED). */
int cli_exit_for(ward_status st);
/* Print err's message (or the status name) as cli_error does; returns
 * cli_exit_for(st). */
int cli_fail(const char *cmd, ward_status st, const ward_error *err);
/* Parse a non-negative integer with optional k/M/G suffix (powers of 1000
 * for counts); 0 on success. */
int cli_parse_count(const char *s, uint64_t *out);
/* Parse a decimal integer within [lo, hi] (no suffix, nothing after it);
 * 0 on success, -1 with *v untouched otherwise. */
int cli_parse_int(const char *s, int lo, int hi, int *v);
/* Parse seconds (a decimal number) within [lo, hi]; 0 on success. */
int cli_parse_seconds(const char *s, double lo, double hi, double *out);
/* The command line as one string (for report headers); caller frees. */
char *cli_join_argv(int argc, char **argv);
/* --now: UTC "YYYY-MM-DDTHH:MM:SSZ" into *t; 0 on success. */
int cli_parse_now(const char *s, time_t *t);
/* Print a command's manual (its OPTIONS from its table when it has one). */
void cli_print_help(const cli_command *c);

#endif

extern const cli_command cli_cmd_db;
extern const cli_command cli_cmd_scan;
extern const cli_command cli_cmd_grade;
/* ward grade conflicts / ward db conflicts: exit status as documented. */
int cli_grade_conflicts(const char *datadir);
/* ward grade intake / ward db import of a contribution. */
int cli_grade_intake(const char *datadir, const char *list, int verifiers, int nfiles,
                     char **files);
extern const cli_command cli_cmd_serve;
extern const cli_command cli_cmd_apikey;
extern const cli_command cli_cmd_users;
extern const cli_command cli_cmd_audit;
extern const cli_command cli_cmd_migrate;
extern const cli_command cli_cmd_keys;
extern const cli_command cli_cmd_release;
extern const cli_command cli_cmd_intel;
extern const cli_command cli_cmd_doctor;
extern const cli_command cli_cmd_backup;
extern const cli_command cli_cmd_restore;
extern const cli_command cli_cmd_exhibit;
extern const cli_command cli_cmd_graph;
extern const cli_command cli_cmd_tipline;
extern const cli_command cli_cmd_report;
extern const cli_command cli_cmd_series;

/* The data directory: --data DIR if given, else $WARD_DATA, else
 * $HOME/.local/share/ward. Never NULL. */
const char *cli_data_dir(const char *opt);
/* The environment, read once by main() before any command runs (libward
 * never reads it): store is `ward --store URL`'s, else NULL. -1 when the
 * store URL is too long. */
int cli_env_read(const char *store);
/* The store_url libward's store openers take (store.h): --store or
 * $WARD_STORE, with ?ward_per_datadir=1 added for
 * $WARD_STORE_PER_DATADIR=1 on a PostgreSQL URL; NULL: none. */
const char *cli_store_url(void);
/* intel.db's (and service.db's) key file when --key-file is not given:
 * $WARD_INTEL_KEY_FILE, else NULL (in clear). */
const char *cli_intel_key_file(void);
/* $TMPDIR, else NULL (libward then uses P_tmpdir, /tmp). */
const char *cli_tmp_dir(void);
/* ward scan --exhibit REF (cmd_exhibit.c): before the scan, the image
 * against the exhibit's acquisition digests; after it, the summary attached.
 * Both return an exit code (0 ok) and print their own error. */
int cli_exhibit_scan_check(const char *data, const char *ref, const char *image);
int cli_exhibit_scan_attach(const char *data, const char *ref, const char *out_dir);
/* ward scan --unit U --case C --contact X (cmd_series.c): the finished
 * scan checked against the series and the register, and registered.
 * Returns an exit code (1: something to tell) and prints its findings. */
int cli_series_scan_check(const char *data, const char *out_dir, const char *unit,
                          const char *case_ref, const char *contact, const char *exhibit);
/* After entries were added to the store (ward db import): earlier scans'
 * sightings matched against the new entries (ward series rematch). Prints
 * the hits; returns an exit code (1 when there were hits or it failed
 * after the import had landed). */
struct ward_store;
int cli_series_rematch(struct ward_store *s, const char *data);
/* Release glue (cmd_series.c): the series of the released lists written to
 * path (*any 0: none, the release leaves the file out), and a pulled
 * version's series applied to the store (alerts printed); exit codes. */
int cli_series_release_write(struct ward_store *s, const char *const *lists, size_t n,
                             const char *path, int *any);
int cli_series_release_apply(const char *data, const char *list, uint64_t version,
                             const char *key_id);
/* ,"key":"value" on standard output (no comma when first): quotes,
 * backslashes and control characters escaped, other bytes as they are
 * (ward exhibit and ward series print their records this way). */
void cli_json_field(const char *key, const char *value, int first);
/* The person running the command, for audit fields ($WARD_USER, $USER). */
const char *cli_user(void);
