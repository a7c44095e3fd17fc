/*
 * ward migrate: move a node's stores between SQLite and PostgreSQL.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <stdio.h>
#include <string.h>
#include <ward/migrate.h>

static const char help[] =
"NAME\n"
"    ward migrate - move a node's stores to PostgreSQL (or back)\n"
"\n"
"SYNOPSIS\n"
"    ward migrate --to URL [--from URL] [--data DIR] [--copy-only]\n"
"\n"
"DESCRIPTION\n"
"    Copies every row of the node's stores - the hash sets (ward.db),\n"
"    intelligence (intel.db) and the match service's state (service.db:\n"
"    API keys, events, reviews, reports, users, the audit chain) - from\n"
"    --from to --to, then proves the copy: for each table the row counts\n"
"    and a SHA-256 digest of its rows must agree at both ends, and each\n"
"    table's result is printed. The source is opened read-only and never\n"
"    changed; the destination must not already hold data (a migration\n"
"    never merges or overwrites; the empty store 'ward db init' makes is\n"
"    fine). Every store is copied and verified before any is committed, so\n"
"    a failure leaves the destination as it was. Stop 'ward serve' and cron\n"
"    jobs on the node while it runs: later writes would stay at the source.\n"
"\n"
"    When every table verifies, DIR/store.url is written so that every later\n"
"    command and 'ward serve' on DIR use the destination (--copy-only leaves\n"
"    DIR as it was). The SQLite files stay in DIR untouched: keep them until\n"
"    you are satisfied, then remove or archive them under your retention\n"
"    rules. Keys, releases, configuration and index files stay in DIR.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXAMPLES\n"
"    ward migrate --data /srv/ward --to 'postgresql://ward@db.hub/ward'\n"
"    ward migrate --data /srv/ward --from 'postgresql://ward@db.hub/ward' \\\n"
"                 --to sqlite:/srv/ward-local --copy-only\n"
"\n"
"EXIT STATUS\n"
"    0 copied and verified; 2 usage; 3 a table did not verify, or the\n"
"    destination already holds data; 4 a store could not be read or written.\n";

static void print_table(void *ctx, const ward_migrate_table *t)
{
    (void)ctx;
    printf("%-8s %-24s %10lld rows %10lld copied  %s\n", t->store, t->table,
           (long long)t->rows_from, (long long)t->rows_to,
           t->match ? "verified" : "MISMATCH");
    if (!t->match)
        printf("         digest %s\n         copied %s\n", t->digest_from, t->digest_to);
}

typedef struct migrate_args {
    const char *data, *from, *to;
    int copy_only;
} migrate_args;

static const cli_opt options[] = {
    {"to", 0, CLI_STRING, CLI_AT_STR(migrate_args, to), "URL",
     .help = "postgresql://[user@]host[:port]/db[?param=...] or\nsqlite:DIR. "
             "?ward_prefix=NAME keeps installations\non one server apart (schemas "
             "NAME_store,\nNAME_intel, NAME_service; default ward). Put\npasswords in "
             "~/.pgpass or PGPASSFILE, not in the\nURL"},
    {"from", 0, CLI_STRING, CLI_AT_STR(migrate_args, from), "URL",
     .def = "DIR/store.url, else sqlite:DIR",
     .help = "where the stores are now"},
    CLI_OPT_DATA(migrate_args, data),
    {"copy-only", 0, CLI_FLAG, CLI_AT_INT(migrate_args, copy_only),
     .help = "copy and verify, but do not switch DIR to the\ndestination"},
    CLI_OPT_END};

static int run_migrate(int argc, char **argv)
{
    migrate_args a = {0};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_migrate, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    const char *data = a.data, *from = a.from, *to = a.to;
    int copy_only = a.copy_only;
    if (optind != argc || !to)
        return cli_usage("migrate", "expected: ward migrate --to URL [--from URL]");
    data = cli_data_dir(data);
    ward_error err;
    ward_status st = ward_migrate(data, from, to, print_table, NULL, &err);
    if (st == WARD_OK && !copy_only)
        st = ward_store_use(data, to, &err);
    if (st != WARD_OK)
        return cli_fail("migrate", st, &err);
    char shown[4200];
    ward_store_url_display(to, shown, sizeof shown);
    if (copy_only)
        printf("copied and verified; %s still uses its own store (--copy-only)\n", data);
    else
        printf("copied and verified; %s now uses %s (%s/store.url)\n", data, shown, data);
    return WARD_EXIT_OK;
}

const cli_command cli_cmd_migrate = {
    .name = "migrate",
    .run = run_migrate,
    .summary = "Move a node's stores to PostgreSQL or back",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
