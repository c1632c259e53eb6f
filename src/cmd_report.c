/* cmd_report - stub until the report lands. */
#include "autoconfig.h"

#include <stdio.h>
#include <sysexits.h>

#include "cmd.h"

int
cmd_report(struct app *app, int argc, char **argv)
{
	fprintf(stderr, "redress: %s: not implemented yet\n", argv[0]);
	return EX_SOFTWARE;
}
