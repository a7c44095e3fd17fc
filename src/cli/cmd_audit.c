/*
 * ward audit: check the hash chain of the service's audit log.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ward/serve.h>

static const char help[] =
"NAME\n"
"    ward audit - verify the audit log\n"
"\n"
"SYNOPSIS\n"
"    ward audit verify [--data DIR] [--checkpoint FILE]\n"
"    ward audit checkpoint [--data DIR] [--out FILE]\n"
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
"    The chain alone cannot show records dropped from the end, the log\n"
"    rolled back to an older copy, or the whole chain rewritten. Signed\n"
"    checkpoints anchor it: 'checkpoint' signs the log's last record, its\n"
"    hash, the number of records and the time with the node's key\n"
"    ('ward keys generate'), prints the line and appends it to FILE; ward\n"
"    serve writes one every --checkpoint-records records or\n"
"    --checkpoint-minutes minutes (and GET /v1/audit/checkpoint). Ship the\n"
"    lines elsewhere; 'verify --checkpoint FILE' checks the log against\n"
"    every checkpoint in FILE (signature, record, hash, position).\n"
"\n"
"";

static const char help_tail[] =
"EXIT STATUS\n"
"    0 the chain is intact (and matches every checkpoint); 3 it is broken,\n"
"    or a checkpoint is badly signed or does not match; 4 the log or FILE\n"
"    cannot be read, or no signing key (checkpoint).\n";

static int checkpoint(const char *data, const char *out)
{
    char line[WARD_AUDIT_CHECKPOINT_MAX];
    ward_error err;
    ward_status st = ward_audit_checkpoint(cli_data_dir(data), cli_store_url(),
                                           cli_intel_key_file(), line, &err);
    if (st != WARD_OK) {
        cli_error("audit", "%s", err.message);
        return WARD_EXIT_IO;
    }
    printf("%s\n", line);   /* shown even when FILE fails: it is taken */
    FILE *f = out ? fopen(out, "ae") : NULL;
    int bad = out && (!f || fprintf(f, "%s\n", line) < 0 || fflush(f) != 0 ||
                      fsync(fileno(f)) != 0);
    int e = errno;
    if (f && fclose(f) != 0)
        bad = 1;
    if (bad) {
        cli_error("audit", "cannot append to %s: %s", out, strerror(e));
        return WARD_EXIT_IO;
    }
    return WARD_EXIT_OK;
}

typedef struct audit_args {
    const char *data, *checkpoint, *out;
} audit_args;

static const cli_opt options[] = {
    CLI_OPT_DATA(audit_args, data),
    {"checkpoint", 0, CLI_STRING, CLI_AT_STR(audit_args, checkpoint), "FILE",
     .help = "verify: also check the log against every signed\ncheckpoint line in FILE"},
    {"out", 0, CLI_STRING, CLI_AT_STR(audit_args, out), "FILE",
     .help = "checkpoint: also append the signed line to FILE"},
    CLI_OPT_END};

static int run_audit(int argc, char **argv)
{
    audit_args a = {0};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_audit, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    const char *data = a.data, *cp = a.checkpoint, *out = a.out;
    if (optind + 1 == argc && !strcmp(argv[optind], "checkpoint") && !cp)
        return checkpoint(data, out);
    if (optind + 1 != argc || strcmp(argv[optind], "verify") != 0 || out)
        return cli_usage("audit", "expected: ward audit verify [--checkpoint FILE] | "
                                  "ward audit checkpoint [--out FILE]");
    uint64_t n = 0;
    size_t ncp = 0;
    char head[65] = "";
    ward_error err;
    ward_status st =
        cp ? ward_serve_audit_verify_checkpoints(cli_data_dir(data), cli_store_url(),
                                                 cli_intel_key_file(), cp, &n, head, &ncp, &err)
           : ward_serve_audit_verify(cli_data_dir(data), cli_store_url(), cli_intel_key_file(), &n,
                                     head, &err);
    if (st != WARD_OK) {
        cli_error("audit", "%s", err.message);
        return st == WARD_EFORMAT ? WARD_EXIT_DATA : WARD_EXIT_IO;
    }
    printf("audit log intact: %" PRIu64 " records, head %s", n, head);
    if (cp)
        printf("; matches %zu checkpoint%s in %s", ncp, ncp == 1 ? "" : "s", cp);
    printf("\n");
    return WARD_EXIT_OK;
}

const cli_command cli_cmd_audit = {
    .name = "audit",
    .run = run_audit,
    .summary = "Verify the audit log of the service",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
