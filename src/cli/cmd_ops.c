/*
 * ward doctor, ward backup, ward restore: operating a data directory. Thin
 * front ends over libward's ops.h.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <stdio.h>
#include <string.h>
#include <ward/ops.h>

static const char doctor_help[] =
"NAME\n"
"    ward doctor - check a data directory and say what to fix\n"
"\n"
"SYNOPSIS\n"
"    ward doctor [--data DIR] [--key-file FILE] [--quiet]\n"
"\n"
"DESCRIPTION\n"
"    Looks at everything a node needs and changes nothing:\n"
"\n"
"    datadir      the directory's owner (the user running ward) and mode\n"
"                 (0700: stores, keys and evidence are inside)\n"
"    permissions  every file owned by that user\n"
"    keys         secret keys (keys/) and evidence (evidence/) readable by\n"
"                 that user only; the intel.db key file (--key-file)\n"
"                 private and outside DIR\n"
"    store        the hash-set store's integrity checks ('ward db check')\n"
"    index        index.wdx intact and built from the store's current\n"
"                 revision (behind: 'ward db index', or let ward serve\n"
"                 rebuild it)\n"
"    intel,       intel.db and service.db pass SQLite's quick_check (an\n"
"    service      encrypted intel.db only with its key)\n"
"    disk         free space on the directory's file system\n"
"\n"
"    Each line is 'ok', 'WARN' or 'FAIL', the check, the file and what was\n"
"    found; a line 'fix:' under it says what to do. Run it as the user the\n"
"    service runs as (sudo -u ward ward doctor --data /var/lib/ward).\n"
"\n"
""; /* OPTIONS: from the table below */

static const char doctor_help_tail[] =
"EXIT STATUS\n"
"    0 every check passed; 1 warnings or failures (listed); 3 DIR does not\n"
"    exist.\n"
"\n"
"EXAMPLES\n"
"    sudo -u ward ward doctor --data /var/lib/ward\n";

static const char backup_help[] =
"NAME\n"
"    ward backup - copy a data directory while ward runs\n"
"\n"
"SYNOPSIS\n"
"    ward backup [--data DIR] [--key-file FILE] DEST\n"
"\n"
"DESCRIPTION\n"
"    Copies the data directory into DEST, a new directory (mode 0700).\n"
"    SQLite stores (ward.db, intel.db, service.db) are copied with SQLite's\n"
"    online backup: a consistent snapshot of each, taken while ward serve,\n"
"    scans or pulls go on writing. Keys, releases, subscriptions, evidence\n"
"    and store.url are copied as files with their modes. The index is\n"
"    derived and left out (rebuilt on first use). DEST/MANIFEST lists the\n"
"    SHA-256 of every file; 'ward restore' checks it.\n"
"\n"
"    An encrypted intel.db stays encrypted in the backup and needs its key\n"
"    to be copied (--key-file); without it, it is left out with a notice.\n"
"    Stores on a PostgreSQL server are not in the directory: back them up\n"
"    with pg_dump (docs/deploy.md); the backup then holds the rest.\n"
"\n"
"    The backup holds the release signing key and evidence: keep it as\n"
"    safe as the node itself.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char backup_help_tail[] =
"EXIT STATUS\n"
"    0 everything copied; 1 copied, but some part was left out (listed);\n"
"    2 usage, or DEST exists; 3 a store is not usable; 4 I/O error.\n"
"\n"
"EXAMPLES\n"
"    sudo -u ward ward backup --data /var/lib/ward /var/backups/ward/$(date +%F)\n";

static const char restore_help[] =
"NAME\n"
"    ward restore - put a backup back into a new data directory\n"
"\n"
"SYNOPSIS\n"
"    ward restore [--data DIR] [--key-file FILE] BACKUP\n"
"\n"
"DESCRIPTION\n"
"    Checks every file of BACKUP (made by 'ward backup') against its\n"
"    MANIFEST and every SQLite store with SQLite's integrity check, and only\n"
"    then copies it into DIR, assembled next to DIR and renamed into place.\n"
"    DIR must not exist or be empty: a restore never overwrites a data\n"
"    directory. Stop the services using DIR and move it aside first.\n"
"    The index is rebuilt on first use.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char restore_help_tail[] =
"EXIT STATUS\n"
"    0 restored; 2 usage, or DIR is not empty; 3 the backup is damaged\n"
"    (nothing written); 4 I/O error.\n"
"\n"
"EXAMPLES\n"
"    systemctl stop ward-serve && mv /var/lib/ward /var/lib/ward.broken\n"
"    sudo -u ward ward restore --data /var/lib/ward /var/backups/ward/2026-12-01\n";

typedef struct ops_args {
    const char *data, *key_file;
    int quiet;
    const char *operand;
} ops_args;

#define KEY_FILE_ROW(what)                                                      \
    {"key-file", 0, CLI_STRING, CLI_AT_STR(ops_args, key_file), "FILE",          \
     .def = "$WARD_INTEL_KEY_FILE", .help = what}

static const cli_opt doctor_opts[] = {
    CLI_OPT_DATA(ops_args, data),
    KEY_FILE_ROW("intel.db's key"),
    {"quiet", 0, CLI_FLAG, CLI_AT_INT(ops_args, quiet),
     .help = "print only warnings and failures"},
    CLI_OPT_END};

static const cli_opt backup_opts[] = {
    CLI_OPT_DATA(ops_args, data),
    KEY_FILE_ROW("intel.db's key"),
    CLI_OPT_END};

static const cli_opt restore_opts[] = {
    {"data", 0, CLI_STRING, CLI_AT_STR(ops_args, data), "DIR",
     .def = "$WARD_DATA, else ~/.local/share/ward", .help = "the data directory to create"},
    KEY_FILE_ROW("intel.db's key, to check an encrypted intel.db"),
    CLI_OPT_END};

/* The command's options; operand: the one argument backup and restore
 * need (NULL for none). Returns 0 to go on, -1 after --help, else an exit
 * code. */
static int parse(const cli_command *cmd, int argc, char **argv, int want_operand, ops_args *a)
{
    memset(a, 0, sizeof *a);
    int optind, rc = cli_parse_opts(cmd, a, argc, argv, &optind);
    if (rc != CLI_GO_ON)
        return rc == WARD_EXIT_OK ? -1 : rc;
    if (want_operand && optind + 1 != argc)
        return cli_usage(cmd->name, "expected one directory");
    if (!want_operand && optind < argc)
        return cli_usage(cmd->name, "unexpected argument '%s'", argv[optind]);
    a->operand = want_operand ? argv[optind] : NULL;
    a->data = cli_data_dir(a->data);
    if (!a->key_file)
        a->key_file = cli_intel_key_file();
    return 0;
}

typedef struct doctor_out {
    int quiet, problems;
} doctor_out;

static void print_finding(void *ctx, const ward_doctor_finding *f)
{
    doctor_out *o = ctx;
    static const char *const level[] = {"ok", "WARN", "FAIL"};
    o->problems += f->level != WARD_DOCTOR_OK;
    if (o->quiet && f->level == WARD_DOCTOR_OK)
        return;
    printf("%-4s  %-11s %s: %s\n", level[f->level], f->check, f->subject, f->message);
    if (f->fix)
        printf("      fix: %s\n", f->fix);
}

static int run_doctor(int argc, char **argv)
{
    ops_args a;
    int rc = parse(&cli_cmd_doctor, argc, argv, 0, &a);
    if (rc)
        return rc < 0 ? WARD_EXIT_OK : rc;
    ward_doctor_opts opts;
    ward_doctor_opts_default(&opts);
    opts.intel_key_file = a.key_file;
    doctor_out o = {a.quiet, 0};
    ward_error err;
    ward_status st = ward_doctor(a.data, cli_store_url(), &opts, print_finding, &o, &err);
    if (st != WARD_OK)
        return cli_fail("doctor", st, &err);
    if (o.problems)
        printf("%d problem%s: see 'fix:' above\n", o.problems, o.problems == 1 ? "" : "s");
    else if (!a.quiet)
        printf("all checks passed\n");
    if (fflush(stdout) != 0)
        return WARD_EXIT_IO;
    return o.problems ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static void print_note(void *ctx, const char *message)
{
    fprintf(stderr, "ward %s: notice: %s\n", (const char *)ctx, message);
}

static int run_backup(int argc, char **argv)
{
    ops_args a;
    int rc = parse(&cli_cmd_backup, argc, argv, 1, &a);
    if (rc)
        return rc < 0 ? WARD_EXIT_OK : rc;
    ward_error err;
    int partial = 0;
    ward_status st = ward_backup(a.data, cli_store_url(), a.operand, a.key_file, print_note,
                                 "backup", &partial, &err);
    if (st != WARD_OK)
        return cli_fail("backup", st, &err);
    printf("%s backed up to %s%s\n", a.data, a.operand,
           partial ? " (partly: see the notices)" : "");
    return partial ? WARD_EXIT_FINDINGS : WARD_EXIT_OK;
}

static int run_restore(int argc, char **argv)
{
    ops_args a;
    int rc = parse(&cli_cmd_restore, argc, argv, 1, &a);
    if (rc)
        return rc < 0 ? WARD_EXIT_OK : rc;
    ward_error err;
    ward_status st = ward_restore(a.operand, a.data, a.key_file, print_note, "restore", &err);
    if (st != WARD_OK)
        return cli_fail("restore", st, &err);
    printf("%s restored into %s (the index is rebuilt on first use)\n", a.operand, a.data);
    return WARD_EXIT_OK;
}

const cli_command cli_cmd_doctor = {
    .name = "doctor",
    .run = run_doctor,
    .summary = "Check a data directory and say what to fix",
    .help = doctor_help,
    .opts = doctor_opts,
    .help_tail = doctor_help_tail,
};
const cli_command cli_cmd_backup = {
    .name = "backup",
    .run = run_backup,
    .summary = "Copy a data directory while ward runs",
    .help = backup_help,
    .opts = backup_opts,
    .help_tail = backup_help_tail,
};
const cli_command cli_cmd_restore = {
    .name = "restore",
    .run = run_restore,
    .summary = "Put a backup back into a new data directory",
    .help = restore_help,
    .opts = restore_opts,
    .help_tail = restore_help_tail,
};
