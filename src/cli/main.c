/*
 * ward: git-style front end. `ward CMD ...` runs a subcommand; every
 * subcommand takes --help. Logic lives in libward; see cli.h for the
 * conventions (exit codes, messages).
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/ward.h>

static const cli_command *const commands[] = {
    &cli_cmd_hash,
    &cli_cmd_db,
    &cli_cmd_scan,
    &cli_cmd_grade,
    &cli_cmd_serve,
    &cli_cmd_apikey,
    &cli_cmd_users,
    &cli_cmd_audit,
    &cli_cmd_tipline,
    &cli_cmd_keys,
    &cli_cmd_release,
    &cli_cmd_intel,
    &cli_cmd_exhibit,
    &cli_cmd_graph,
    &cli_cmd_report,
    &cli_cmd_series,
    &cli_cmd_migrate,
    &cli_cmd_doctor,
    &cli_cmd_backup,
    &cli_cmd_restore,
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ward [--version] [--help] [--store URL] <command> [<args>]\n"
            "\n"
            "ward triages media for known child sexual abuse material: it hashes files\n"
            "(MD5, SHA-1, SHA-256, PDQ), matches them against hash sets and reports what\n"
            "is known, near-known, ignorable and new, without anyone viewing known images.\n"
            "It serves the same matching to platforms (with human review and reports),\n"
            "shares hash lists as signed releases, and triages bulk referral lists into\n"
            "prioritised intelligence packages, every verdict going to a person.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "  %-10s %s\n"
            "\n"
            "Exit status (all commands):\n"
            "  0  success, nothing to report\n"
            "  1  findings or a partial result (e.g. some files unreadable)\n"
            "  2  usage error\n"
            "  3  input or store unusable (bad format, refused by a limit)\n"
            "  4  I/O error writing output or accessing the store\n"
            "  5  internal error (out of memory, bug)\n"
            "  6  a store stayed locked by another process: retry\n"
            "\n"
            "Stores (hash sets, intelligence, service state) are SQLite files in the\n"
            "data directory unless DIR/store.url (written by 'ward migrate'), --store URL\n"
            "or $WARD_STORE name a PostgreSQL server: postgresql://[user@]host/db.\n"
            "\n"
            "'ward help <command>' or 'ward <command> --help' shows a command's manual.\n",
            "help", "Show the manual of a command");
}

static const cli_command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* A closed output pipe must turn into a write error we report through
     * the exit code, not a silent death by signal. */
    signal(SIGPIPE, SIG_IGN);
    /* ward --store URL CMD ...: the store of data directories that do not
     * name one in store.url, for this command (as $WARD_STORE). */
    const char *store = NULL;
    while (argc >= 3 && strcmp(argv[1], "--store") == 0) {
        store = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (cli_env_read(store) != 0) {
        fprintf(stderr, "ward: the store URL is too long\n");
        return WARD_EXIT_USAGE;
    }
    if (argc < 2) {
        usage(stderr);
        return WARD_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("ward %s\n", ward_version());
        return WARD_EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return WARD_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return WARD_EXIT_OK;
        }
        /* ward help --markdown CMD: the option table as docs/cli.md holds
         * it (scripts/cli-doc.sh writes it there) */
        int markdown = argc >= 4 && strcmp(argv[2], "--markdown") == 0;
        const cli_command *c = find(argv[2 + markdown]);
        if (!c) {
            fprintf(stderr, "ward: no such command '%s'\n", argv[2 + markdown]);
            return WARD_EXIT_USAGE;
        }
        if (markdown)
            cli_opts_markdown(stdout, c->opts);
        else
            cli_print_help(c);
        return WARD_EXIT_OK;
    }
    const cli_command *c = find(cmd);
    if (!c) {
        fprintf(stderr, "ward: '%s' is not a ward command. See 'ward --help'.\n", cmd);
        return WARD_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
