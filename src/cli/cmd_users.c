/*
 * ward users: the people of the analysts' web application (users.h).
 * Passwords come from stdin or a file, never the command line, where
 * `ps` and shell history would show them.
 */
#include "cli/cli.h"
#include "cli/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <ward/users.h>

static const char help[] =
"NAME\n"
"    ward users - users of the analysts' web application\n"
"\n"
"SYNOPSIS\n"
"    ward users add --role ROLE --unit UNIT [--password-file FILE] NAME\n"
"    ward users role --role ROLE [--unit UNIT] NAME\n"
"    ward users password [--password-file FILE] NAME\n"
"    ward users totp [--off] NAME\n"
"    ward users disable NAME\n"
"    ward users list\n"
"    (every action takes --data DIR)\n"
"\n"
"DESCRIPTION\n"
"    'ward serve' offers intelligence officers a web application on the\n"
"    port of its API (see docs/web.md). Each user has a role, which says\n"
"    what they may do, and a unit, which says what they may see:\n"
"\n"
"      national-analyst  every package and subject (unit: national)\n"
"      hub-officer       their hub's packages and its region's forces'\n"
"                        (unit: the hub id of intel-routing.conf, e.g. north)\n"
"      force-officer     their force's packages (unit: the force's name as\n"
"                        the routing rules spell it, e.g. 'Kent Police')\n"
"      reviewer          the match review queue of platform matches\n"
"      auditor           the audit log\n"
"      admin             the audit log; users are managed with this command\n"
"\n"
"    The password is read from the first line of --password-file, or of\n"
"    standard input, never from the command line; it needs at least 12\n"
"    characters and is kept only as an Argon2id hash. Five failed logins\n"
"    within 15 minutes lock a user for 15 minutes.\n"
"\n"
"    'totp' enrols a second factor (RFC 6238: SHA-1, 6 digits, 30 s) and\n"
"    prints its base32 secret once, for the user's authenticator app;\n"
"    --off removes it. 'disable', 'role', 'password' and 'totp' end the\n"
"    user's sessions at once. Every change goes to the audit log.\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done, 2 usage, 3 refused (unknown user, weak password, name taken),\n"
"    4 I/O.\n"
"\n"
"EXAMPLES\n"
"    ward users add --role force-officer --unit 'Kent Police' jo.bloggs < pw.txt\n"
"    ward users add --role hub-officer --unit north --password-file pw sam\n"
"    ward users role --role reviewer sam\n"
"    ward users disable jo.bloggs\n";

typedef struct users_args {
    const char *role, *unit, *pwfile, *data;
    int off;
} users_args;

static const cli_opt options[] = {
    {"role", 0, CLI_STRING, CLI_AT_STR(users_args, role), "ROLE",
     .help = "one of the roles above"},
    {"unit", 0, CLI_STRING, CLI_AT_STR(users_args, unit), "UNIT",
     .help = "force name, hub id, or 'national'"},
    {"password-file", 0, CLI_STRING, CLI_AT_STR(users_args, pwfile), "FILE",
     .def = "stdin", .help = "read the password from FILE ('-': stdin)"},
    /* Named so that getopt does not take it as an abbreviation of
     * --password-file: refused, never read. */
    {"password", 0, CLI_REFUSED, 0, "TEXT",
     .help = "a password is never taken on the command line\n(ps and shell history show it): "
             "use stdin or\n--password-file"},
    {"off", 0, CLI_FLAG, CLI_AT_INT(users_args, off), .help = "totp: remove the second factor"},
    CLI_OPT_DATA(users_args, data),
    CLI_OPT_END};

/* The first line of the file (or stdin), without its newline; 0 if read. */
static int read_password(const char *path, char *out, size_t cap)
{
    FILE *f = !path || strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(out, (int)cap, f) != NULL;
    if (f != stdin)
        fclose(f);
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = 0;
    return 0;
}

static int parse_role(const char *s, ward_role *r)
{
    int v = s ? ward_role_parse(s) : -1;
    if (v < 0)
        return cli_usage("users", "--role: national-analyst, hub-officer, force-officer, "
                                  "reviewer, auditor or admin");
    *r = (ward_role)v;
    return 0;
}

static int with_password(const users_args *a, const char *name, int add)
{
    ward_role role = WARD_ROLE_NATIONAL;
    if (add && (parse_role(a->role, &role) || !a->unit))
        return a->unit ? WARD_EXIT_USAGE : cli_usage("users", "add needs --role and --unit");
    char pw[512];
    if (read_password(a->pwfile, pw, sizeof pw) != 0) {
        cli_error("users", "cannot read a password from %s",
                  a->pwfile ? "the --password-file" : "stdin");
        return WARD_EXIT_IO;
    }
    ward_error err;
    ward_status st =
        add ? ward_user_add(cli_data_dir(a->data), cli_store_url(), cli_intel_key_file(), name,
                            role, a->unit, pw, cli_user(), &err)
            : ward_user_set_password(cli_data_dir(a->data), cli_store_url(), cli_intel_key_file(),
                                     name, pw, cli_user(), &err);
    sodium_memzero(pw, sizeof pw);
    if (st != WARD_OK)
        return cli_fail("users", st == WARD_EINVAL ? WARD_EFORMAT : st, &err);
    fprintf(stderr, "ward users: %s %s\n", add ? "added" : "new password for", name);
    return WARD_EXIT_OK;
}

static int print_user(void *ctx, const ward_user *u)
{
    (void)ctx;
    printf("%-20s %-17s %-28s%s%s created %s by %s\n", u->name, ward_role_name(u->role),
           u->unit, u->totp ? " totp" : "", u->disabled ? " DISABLED" : "", u->created,
           u->created_by);
    return 0;
}

static int act(const users_args *a, const char *action, const char *name)
{
    ward_error err;
    ward_status st;
    const char *dir = cli_data_dir(a->data);
    if (strcmp(action, "add") == 0 || strcmp(action, "password") == 0)
        return with_password(a, name, action[0] == 'a');
    if (strcmp(action, "disable") == 0)
        st = ward_user_disable(dir, cli_store_url(), cli_intel_key_file(), name, cli_user(), &err);
    else if (strcmp(action, "role") == 0) {
        ward_role role = WARD_ROLE_NATIONAL;
        if (parse_role(a->role, &role))
            return WARD_EXIT_USAGE;
        st = ward_user_set_role(dir, cli_store_url(), cli_intel_key_file(), name, role, a->unit,
                                cli_user(), &err);
    } else if (strcmp(action, "totp") == 0) {
        char secret[40];
        st = ward_user_totp(dir, cli_store_url(), cli_intel_key_file(), name, !a->off, secret,
                            cli_user(), &err);
        if (st == WARD_OK && !a->off)
            printf("%s\n", secret);
    } else
        return cli_usage("users", "unknown action '%s' (add, role, password, totp, disable, "
                                  "list)", action);
    if (st != WARD_OK)
        return cli_fail("users", st == WARD_EINVAL || st == WARD_ENOTFOUND ? WARD_EFORMAT : st,
                        &err);
    fprintf(stderr, "ward users: %s %s: done\n", action, name);
    return WARD_EXIT_OK;
}

static int run_users(int argc, char **argv)
{
    users_args a = {0};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_users, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    if (optind >= argc)
        return cli_usage("users", "which action? add, role, password, totp, disable or list");
    const char *action = argv[optind++];
    if (strcmp(action, "list") == 0) {
        if (optind < argc)
            return cli_usage("users", "unexpected '%s'", argv[optind]);
        ward_error err;
        ward_status st = ward_user_list(cli_data_dir(a.data), cli_store_url(), cli_intel_key_file(),
                                        print_user, NULL, &err);
        return st == WARD_OK ? WARD_EXIT_OK : cli_fail("users", st, &err);
    }
    if (optind + 1 != argc)
        return cli_usage("users", "%s needs one user name", action);
    return act(&a, action, argv[optind]);
}

const cli_command cli_cmd_users = {
    .name = "users",
    .run = run_users,
    .summary = "Users of the analysts' web application",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
