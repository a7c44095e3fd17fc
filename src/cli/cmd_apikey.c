/*
 * ward apikey: the match service's API keys (serve.h). A key's secret is
 * printed once, at creation; the service keeps only its SHA-256.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/serve.h>

static const char help[] =
"NAME\n"
"    ward apikey - API keys of the match service\n"
"\n"
"SYNOPSIS\n"
"    ward apikey add --name NAME --scopes LIST [--rate N] [--burst N]\n"
"    ward apikey list\n"
"    ward apikey revoke --reason TEXT ID\n"
"    (every action takes --data DIR)\n"
"\n"
"DESCRIPTION\n"
"    'ward serve' answers only requests that carry a key with the scope\n"
"    the endpoint needs:\n"
"\n"
"      match   /v1/hash, /v1/match, /v1/releases (a platform)\n"
"      submit  send evidence for a match event\n"
"      review  list match events, confirm or reject them, read reports\n"
"              (a platform's trust-and-safety reviewers)\n"
"      admin   reload the index\n"
"      lookup  federated lookups (\"record_event\": false, as 'ward db\n"
"              lookup --remote' sends): audited, not queued for review;\n"
"              give it to partner nodes, with match\n"
"      all     every scope\n"
"\n"
"    Each key has a token-bucket rate limit: --rate requests a second on\n"
"    average, bursts of up to --burst. Over the limit the service answers\n"
"    429 with Retry-After.\n"
"\n"
"    'add' prints the token (wk_<id>_<secret>) once: give it to the client\n"
"    over a safe channel; it cannot be shown again. The data directory keeps\n"
"    only its SHA-256. 'revoke' takes effect in a running server within its\n"
"    reload interval. Creations and revocations go to the audit log.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXAMPLES\n"
"    ward apikey add --name platform-a --scopes match --rate 500\n"
"    ward apikey add --name tns-team --scopes review\n"
"    ward apikey revoke --reason 'laptop lost' k3f9a1c2e\n";

typedef struct key_args {
    const char *name, *scopes, *reason, *data;
    double rate, burst;
} key_args;

static const cli_opt options[] = {
    {"name", 0, CLI_STRING, CLI_AT_STR(key_args, name), "NAME",
     .help = "who the key is for (required for add)"},
    {"scopes", 0, CLI_STRING, CLI_AT_STR(key_args, scopes), "LIST",
     .help = "comma-separated scopes (required for add)"},
    {"rate", 0, CLI_NUMBER, CLI_AT_SECONDS(key_args, rate), "N", 0.001, 1e9, .def = "100",
     .help = "requests per second"},
    {"burst", 0, CLI_NUMBER, CLI_AT_SECONDS(key_args, burst), "N", 1, 1e9,
     .def = "2 x rate, at least 10", .help = "bucket size"},
    {"reason", 0, CLI_STRING, CLI_AT_STR(key_args, reason), "TEXT",
     .help = "why a key is revoked (required for revoke)"},
    CLI_OPT_DATA(key_args, data),
    CLI_OPT_END};

static int add_key(const key_args *a)
{
    if (!a->name || !a->scopes)
        return cli_usage("apikey", "add needs --name and --scopes");
    unsigned scopes;
    ward_error err;
    if (ward_scopes_parse(a->scopes, &scopes, &err) != WARD_OK)
        return cli_usage("apikey", "--scopes: %s", err.message);
    double rate = a->rate > 0 ? a->rate : 100;
    double burst = a->burst > 0 ? a->burst : (rate * 2 < 10 ? 10 : rate * 2);
    char token[WARD_APIKEY_TOKEN_MAX];
    if (ward_apikey_create(cli_data_dir(a->data), cli_store_url(), cli_intel_key_file(), a->name,
                           scopes, rate, burst, cli_user(), token, &err) != WARD_OK) {
        cli_error("apikey", "%s", err.message);
        return err.status == WARD_EIO ? WARD_EXIT_IO : WARD_EXIT_DATA;
    }
    printf("%s\n", token);
    fprintf(stderr, "ward apikey: shown once; the data directory keeps only its digest\n");
    return WARD_EXIT_OK;
}

static int print_key(void *ctx, const ward_apikey *k)
{
    char sc[64];
    printf("%-10s %-20s %-22s rate=%g burst=%g created=%s by=%s%s%s%s%s\n", k->id, k->name,
           ward_scopes_format(k->scopes, sc, sizeof sc), k->rate, k->burst, k->created,
           k->created_by, k->revoked ? " REVOKED=" : "", k->revoked ? k->revoked : "",
           k->revoked ? " reason=" : "", k->revoked_reason ? k->revoked_reason : "");
    return 0;
}

static int run_apikey(int argc, char **argv)
{
    key_args a = {0};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_apikey, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    if (optind >= argc)
        return cli_usage("apikey", "which action? add, list or revoke");
    const char *action = argv[optind++];
    ward_error err;
    if (strcmp(action, "add") == 0)
        return optind < argc ? cli_usage("apikey", "unexpected '%s'", argv[optind]) : add_key(&a);
    if (strcmp(action, "list") == 0) {
        if (ward_apikey_list(cli_data_dir(a.data), cli_store_url(), cli_intel_key_file(), print_key,
                             NULL, &err) != WARD_OK) {
            cli_error("apikey", "%s", err.message);
            return WARD_EXIT_IO;
        }
        return WARD_EXIT_OK;
    }
    if (strcmp(action, "revoke") == 0) {
        if (optind + 1 != argc || !a.reason)
            return cli_usage("apikey", "revoke needs --reason TEXT and one key id");
        if (ward_apikey_revoke(cli_data_dir(a.data), cli_store_url(), cli_intel_key_file(),
                               argv[optind], cli_user(), a.reason, &err) != WARD_OK) {
            cli_error("apikey", "%s", err.message);
            return err.status == WARD_ENOTFOUND ? WARD_EXIT_DATA : WARD_EXIT_IO;
        }
        fprintf(stderr, "ward apikey: revoked %s\n", argv[optind]);
        return WARD_EXIT_OK;
    }
    return cli_usage("apikey", "unknown action '%s' (add, list, revoke)", action);
}

const cli_command cli_cmd_apikey = {
    .name = "apikey",
    .run = run_apikey,
    .summary = "API keys of the match service",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
