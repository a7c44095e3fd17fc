/*
 * ward intel: placeholder until the module lands.
 */
#include "cli/cli.h"

#include <stdio.h>

static const char help[] =
"NAME\n"
"    ward intel - bulk referral triage\n"
"\n"
"    Not implemented yet.\n";

static int run_intel(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("intel", "not implemented yet");
    return WARD_EXIT_INTERNAL;
}

const cli_command cli_cmd_intel = {"intel", run_intel, "bulk referral triage", help};
