/*
 * ward keys: the Ed25519 keys that sign hash-list releases (keys.h).
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <stdio.h>
#include <string.h>
#include <ward/keys.h>

static const char help[] =
"NAME\n"
"    ward keys - manage release signing keys\n"
"\n"
"SYNOPSIS\n"
"    ward keys generate [--force]\n"
"    ward keys export\n"
"    ward keys trust FILE|KEYTEXT\n"
"    ward keys list\n"
"    (every action takes --data DIR)\n"
"\n"
"DESCRIPTION\n"
"    A publisher signs every release manifest with its Ed25519 key; a\n"
"    subscriber accepts only releases signed by a key it trusts. Keys live in\n"
"    the data directory: keys/release.key (secret, mode 0600) and\n"
"    keys/release.pub on the publisher, trusted-keys/<id>.pub on the\n"
"    subscriber. A key is named by its id: 16 hex digits of a digest of the\n"
"    public key. Hand the public key text to partners by a channel you trust\n"
"    and compare ids out of band (a phone call): the signature is only worth\n"
"    that check.\n"
"\n"
"ACTIONS\n"
"    generate    Make the signing key. An existing key is kept unless\n"
"                --force: replacing it breaks every subscriber's trust.\n"
"    export      Print the public key text (one line: ward-ed25519 BASE64 ID)\n"
"                for subscribers to 'ward keys trust'.\n"
"    trust       Trust a publisher's public key, given as a file or as the\n"
"                text itself; prints its id.\n"
"    list        The own key (if any) and the trusted keys.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"SECURITY\n"
"    The secret key file is created 0600 and refused, not used, if group or\n"
"    others may read it: fix the mode and treat the key as compromised if\n"
"    anyone else could have read it.\n"
"\n"
"EXIT STATUS\n"
"    0 done; 2 usage or a refused key file; 3 not a key; 4 I/O.\n"
"\n"
"EXAMPLES\n"
"    ward keys generate && ward keys export > national.pub\n"
"    ward keys trust national.pub\n";

static int fail(ward_status st, const ward_error *err) { return cli_fail("keys", st, err); }

static int print_key(void *ctx, const ward_pubkey *k)
{
    char text[WARD_PUBKEY_TEXT_MAX];
    ward_pubkey_format(k, text);
    printf("%s  trusted  %s\n", k->id, text);
    return 0;
}

static int do_list(const char *data)
{
    ward_error err = {0};
    ward_pubkey own;
    char text[WARD_PUBKEY_TEXT_MAX];
    if (ward_key_load_public(data, &own, &err) == WARD_OK) {
        ward_pubkey_format(&own, text);
        printf("%s  own      %s\n", own.id, text);
    }
    ward_status st = ward_keys_trusted(data, print_key, NULL, &err);
    return st ? fail(st, &err) : WARD_EXIT_OK;
}

enum { OPT_DATA = 256, OPT_FORCE };

typedef struct keys_args {
    const char *data;
    int force;
} keys_args;

static const cli_opt options[] = {
    CLI_OPT_DATA(keys_args, data),
    {"force", 0, CLI_FLAG, CLI_AT_INT(keys_args, force),
     .help = "generate: replace an existing key"},
    CLI_OPT_END};

static int run_keys(int argc, char **argv)
{
    keys_args a = {0};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_keys, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    const char *data = a.data;
    int force = a.force;
    if (optind >= argc) return cli_usage("keys", "no action given");
    const char *action = argv[optind++];
    int n = argc - optind;
    data = cli_data_dir(data);
    ward_error err = {0};
    ward_pubkey k;
    char text[WARD_PUBKEY_TEXT_MAX];
    ward_status st;
    if (!strcmp(action, "generate")) {
        if (n) return cli_usage("keys", "generate takes no arguments");
        if ((st = ward_key_generate(data, force, &k, &err))) return fail(st, &err);
        printf("generated key %s (secret: %s/keys/release.key, mode 0600)\n", k.id, data);
    } else if (!strcmp(action, "export")) {
        if (n) return cli_usage("keys", "export takes no arguments");
        if ((st = ward_key_load_public(data, &k, &err))) return fail(st, &err);
        ward_pubkey_format(&k, text);
        printf("%s\n", text);
    } else if (!strcmp(action, "trust")) {
        if (n != 1) return cli_usage("keys", "trust needs one FILE or key text");
        if ((st = ward_key_resolve(data, argv[optind], &k, &err)) ||
            (st = ward_key_trust(data, &k, &err)))
            return fail(st, &err);
        printf("trusted key %s\n", k.id);
    } else if (!strcmp(action, "list")) {
        if (n) return cli_usage("keys", "list takes no arguments");
        return do_list(data);
    } else {
        return cli_usage("keys", "unknown action '%s'", action);
    }
    return fflush(stdout) != 0 ? WARD_EXIT_IO : WARD_EXIT_OK;
}

const cli_command cli_cmd_keys = {
    .name = "keys",
    .run = run_keys,
    .summary = "Release signing keys: generate, export, trust",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
