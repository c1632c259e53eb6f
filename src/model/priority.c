/*
 * NAME
 *	priority - the names of the priorities
 * DESCRIPTION
 *	See priority.h.
 */
#include "autoconfig.h"

#include "model/names.h"
#include "model/priority.h"

static const char *const priority_names[PRIORITY_COUNT] = {
	"urgent", "high", "normal", "low",
};

const char *
priority_name(enum priority p)
{
	return names_at(priority_names, PRIORITY_COUNT, (int)p);
}

int
priority_parse(const char *s, enum priority *p_r)
{
	int i = names_find(priority_names, PRIORITY_COUNT, s);

	if (i < 0)
		return -1;
	*p_r = (enum priority)i;
	return 0;
}
