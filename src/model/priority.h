/*
 * priority - the four priorities a case can have, shared by the classifier,
 * the SLA clock and the store.  Lower value is more urgent.
 */
#ifndef REDRESS_PRIORITY_H
#define REDRESS_PRIORITY_H

#include <string.h>

enum priority {
	PRIORITY_URGENT,
	PRIORITY_HIGH,
	PRIORITY_NORMAL,
	PRIORITY_LOW,
};
#define PRIORITY_COUNT 4

static inline const char *
priority_name(enum priority p)
{
	static const char *const names[] = { "urgent", "high", "normal", "low" };

	return (unsigned)p < PRIORITY_COUNT ? names[p] : "normal";
}

/* Returns 0 and sets *p_r, or -1 for an unknown name. */
static inline int
priority_parse(const char *s, enum priority *p_r)
{
	for (int i = 0; i < PRIORITY_COUNT; i++) {
		if (strcmp(s, priority_name((enum priority)i)) == 0) {
			*p_r = (enum priority)i;
			return 0;
		}
	}
	return -1;
}

#endif
