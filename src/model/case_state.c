/*
 * NAME
 *	case_state - the names of a case's states
 * DESCRIPTION
 *	See case_state.h.
 */
#include "autoconfig.h"

#include <stdbool.h>

#include "model/case_state.h"
#include "model/names.h"

static const char *const case_state_names[CASE_STATE_COUNT] = {
	"new", "acknowledged", "responded", "waiting", "resolved", "closed", "held",
	"merged", "quarantined", "informational",
};

const char *
case_state_name(enum case_state s)
{
	return names_at(case_state_names, CASE_STATE_COUNT, (int)s);
}

int
case_state_parse(const char *word, enum case_state *s_r)
{
	int i = names_find(case_state_names, CASE_STATE_COUNT, word);

	if (i < 0)
		return -1;
	*s_r = (enum case_state)i;
	return 0;
}

const char *
case_state_list(void)
{
	static char list[160];

	if (list[0] == '\0') {
		for (int i = 0; i < CASE_STATE_COUNT; i++)
			names_append(list, sizeof(list), case_state_names[i]);
	}
	return list;
}

bool
case_state_is_open(enum case_state s)
{
	return s == CASE_NEW || s == CASE_ACKNOWLEDGED || s == CASE_RESPONDED ||
	       s == CASE_WAITING;
}
