/*
 * NAME
 *	outcome - the names of the outcomes
 * DESCRIPTION
 *	See outcome.h.
 */
#include "autoconfig.h"

#include "model/names.h"
#include "model/outcome.h"

static const char *const outcome_names[OUTCOME_COUNT] = {
	"complaint", "question", "praise", "spam",
};

const char *
outcome_name(enum outcome o)
{
	return names_at(outcome_names, OUTCOME_COUNT, (int)o);
}

int
outcome_parse(const char *word, enum outcome *o_r)
{
	int i = names_find(outcome_names, OUTCOME_COUNT, word);

	if (i < 0)
		return -1;
	*o_r = (enum outcome)i;
	return 0;
}
