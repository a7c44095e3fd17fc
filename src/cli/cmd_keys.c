/*
 * ward keys: placeholder until the module lands.
 */
#include "cli/cli.h"

#include <stdio.h>

static const char help[] =
"NAME\n"
"    ward keys - manage release signing keys\n"
"\n"
"    Not implemented yet.\n";

static int run_keys(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("keys", "not implemented yet");
    return WARD_EXIT_INTERNAL;
}

const cli_command cli_cmd_keys = {"keys", run_keys, "manage release signing keys", help};
