/*
 * NAME
 *	names - looking words up in an enum's name table
 * DESCRIPTION
 *	See names.h.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "model/names.h"

const char *
names_at(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : NULL;
}

int
names_find(const char *const *names, int n, const char *word)
{
	for (int i = 0; word != NULL && i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	return -1;
}

void
names_append(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "", name);
}
