/*
 * ward migrate: move a node's stores between SQLite and PostgreSQL.
 */
#include "cli/cli.h"

#include <getopt.h>
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
"OPTIONS\n"
"    --to URL      postgresql://[user@]host[:port]/db[?param=...] or sqlite:DIR.\n"
"                  ?ward_prefix=NAME keeps installations on one server apart\n"
"                  (schemas NAME_store, NAME_intel, NAME_service; default ward).\n"
"                  Put passwords in ~/.pgpass or PGPASSFILE, not in the URL.\n"
"    --from URL    where the stores are now (default: DIR/store.url when\n"
"                  DIR has moved to a server, else sqlite:DIR).\n"
"    --data DIR    data directory (default $WARD_DATA, else\n"
"                  ~/.local/share/ward).\n"
"    --copy-only   copy and verify, but do not switch DIR to the destination.\n"
"\n"
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

static int run_migrate(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"copy-only", no_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *from = NULL, *to = NULL;
    int copy_only = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            cli_print_help(&cli_cmd_migrate);
            return WARD_EXIT_OK;
        case 'd': data = optarg; break;
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'c': copy_only = 1; break;
        default: return cli_usage("migrate", "bad option");
        }
    }
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
};
