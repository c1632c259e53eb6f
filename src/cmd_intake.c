/* cmd_intake.c - stub until its module lands. */
#include "autoconfig.h"

#include <stdio.h>
#include <sysexits.h>

#include "cmd.h"

int
cmd_ingest(struct app *app, int argc, char **argv)
{
	fprintf(stderr, "redress: %s: not implemented yet\n", argv[0]);
	return EX_SOFTWARE;
}

int
cmd_filter(struct app *app, int argc, char **argv)
{
	fprintf(stderr, "redress: %s: not implemented yet\n", argv[0]);
	return EX_SOFTWARE;
}
