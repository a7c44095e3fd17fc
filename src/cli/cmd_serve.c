/*
 * ward serve: placeholder until the module lands.
 */
#include "cli/cli.h"

#include <stdio.h>

static const char help[] =
"NAME\n"
"    ward serve - HTTP match service for platforms\n"
"\n"
"    Not implemented yet.\n";

static int run_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("serve", "not implemented yet");
    return WARD_EXIT_INTERNAL;
}

const cli_command cli_cmd_serve = {"serve", run_serve, "HTTP match service for platforms", help};
