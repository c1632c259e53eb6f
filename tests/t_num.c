/* num_decimal: a server's decimal number, whatever the locale. */
#include "autoconfig.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "tap.h"

static void
one(const char *in, const char *rest, double want)
{
	double v = -12345;
	const char *end = num_decimal(in, &v);

	if (rest == NULL) {
		ok(end == NULL && v == -12345, "\"%s\": not a number, nothing set", in);
		return;
	}
	ok(end != NULL && strcmp(end, rest) == 0 && v > want - 1e-9 && v < want + 1e-9,
	   "\"%s\": %g, stops at \"%s\" (got %g, \"%s\")", in, want, rest, v,
	   end != NULL ? end : "(null)");
}

int
main(void)
{
	one("5.3/5.0", "/5.0", 5.3);
	one("-0.5 ", " ", -0.5);
	one("+2", "", 2);
	one("12.", "", 12);
	one(".25,", ",", 0.25);
	one("1e3", "e3", 1);
	one("007.50", "", 7.5);
	one("", NULL, 0);
	one("-", NULL, 0);
	one(".", NULL, 0);
	one("abc", NULL, 0);
	one(" 1", NULL, 0);
	ok(num_decimal(NULL, &(double){ 0 }) == NULL, "NULL: NULL");
	/* A locale with a decimal comma changes nothing. */
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL || setlocale(LC_NUMERIC, "fr_FR.UTF-8") != NULL)
		one("3.5", "", 3.5);
	else
		skip(1, "no locale with a decimal comma installed");
	return tap_exit();
}
