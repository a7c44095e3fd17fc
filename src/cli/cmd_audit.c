/*
 * ward audit: check the hash chain of the service's audit log.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <ward/serve.h>

static const char help[] =
"NAME\n"
"    ward audit - verify the audit log\n"
"\n"
"SYNOPSIS\n"
"    ward audit verify [--data DIR]\n"
"\n"
"DESCRIPTION\n"
"    Every change the match service makes (API keys, match events,\n"
"    reviews, reports, allow-list entries, index reloads) and every read of\n"
"    an event or a report is appended to an audit log in service.db (or the\n"
"    service schema of a PostgreSQL store, one log for all nodes). Each\n"
"    record carries the SHA-256 of its fields and of the record before it,\n"
"    so a record altered, removed or inserted afterwards breaks the chain.\n"
"    'verify' recomputes the chain from the first record and names the\n"
"    first one that does not follow.\n"
"\n"
"    The chain shows tampering by anyone who cannot also rewrite every later\n"
"    record. It cannot show records dropped from the end: keep the head hash\n"
"    it prints somewhere else (a ticket, a printout, another machine) and\n"
"    compare it later.\n"
"\n"
"EXIT STATUS\n"
"    0 the chain is intact; 3 it is broken; 4 the log cannot be read.\n";

static int run_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            cli_print_help(&cli_cmd_audit);
            return WARD_EXIT_OK;
        }
        if (c != 'd')
            return cli_usage("audit", "bad option");
        data = optarg;
    }
    if (optind + 1 != argc || strcmp(argv[optind], "verify") != 0)
        return cli_usage("audit", "expected: ward audit verify");
    uint64_t n = 0;
    char head[65] = "";
    ward_error err;
    ward_status st = ward_serve_audit_verify(cli_data_dir(data), &n, head, &err);
    if (st != WARD_OK) {
        cli_error("audit", "%s", err.message);
        return st == WARD_EFORMAT ? WARD_EXIT_DATA : WARD_EXIT_IO;
    }
    printf("audit log intact: %" PRIu64 " records, head %s\n", n, head);
    return WARD_EXIT_OK;
}

const cli_command cli_cmd_audit = {"audit", run_audit, "Verify the audit log of the service", help};
