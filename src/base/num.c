/*
 * NAME
 *	num - reading a decimal number a server wrote
 * DESCRIPTION
 *	See num.h.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>

#include "base/num.h"

const char *
num_decimal(const char *p, double *v_r)
{
	double v = 0;
	bool neg = false, any = false;

	if (p == NULL)
		return NULL;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, any = true)
		v = v * 10 + (*p - '0');
	if (*p == '.') {
		double scale = 1;

		for (p++; *p >= '0' && *p <= '9'; p++, any = true)
			v += (*p - '0') * (scale /= 10);
	}
	if (!any)
		return NULL;
	*v_r = neg ? -v : v;
	return p;
}
