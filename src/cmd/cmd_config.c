/*
 * cmd_config - "redress config show": the effective configuration, with
 * secrets masked, so an admin can see what redress will really do.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "config/config.h"

static const char cmd_config_usage[] =
"usage: redress config show\n"
"Prints the effective configuration as INI: the file's values over the\n"
"built-in defaults.  Passwords are shown as ********.\n";

int
cmd_config(struct app *app, int argc, char **argv)
{
	char *dump;

	if (cmd_wants_help(argc, argv)) {
		fputs(cmd_config_usage, stdout);
		return EX_OK;
	}
	if (argc != 2 || strcmp(argv[1], "show") != 0)
		return cmd_usage(cmd_config_usage);
	dump = config_dump(app->cfg);
	fputs(dump, stdout);
	free(dump);
	return EX_OK;
}
