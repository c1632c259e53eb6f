/*
 * NAME
 *	verdict - the names of the traffic verdicts
 * DESCRIPTION
 *	See verdict.h.
 */
#include "autoconfig.h"

#include "model/names.h"
#include "model/verdict.h"

static const char *const verdict_names[VERDICT_COUNT] = {
	"ok", "bulk", "list", "spam", "forged",
};

const char *
verdict_name(enum verdict v)
{
	return names_at(verdict_names, VERDICT_COUNT, (int)v);
}

int
verdict_parse(const char *word, enum verdict *v_r)
{
	int i = names_find(verdict_names, VERDICT_COUNT, word);

	if (i < 0)
		return -1;
	*v_r = (enum verdict)i;
	return 0;
}
