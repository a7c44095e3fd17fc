/*
 * ward release: placeholder until the module lands.
 */
#include "cli/cli.h"

#include <stdio.h>

static const char help[] =
"NAME\n"
"    ward release - signed, versioned hash-list releases\n"
"\n"
"    Not implemented yet.\n";

static int run_release(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("release", "not implemented yet");
    return WARD_EXIT_INTERNAL;
}

const cli_command cli_cmd_release = {"release", run_release, "signed, versioned hash-list releases", help};
