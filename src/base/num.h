/*
 * num - reading a decimal number a server wrote, whatever the locale.
 *
 * num_decimal reads [+-]digits[.digits] (at least one digit, before or
 * after the point) at p, as spamd writes its score and rspamd a JSON
 * number (an exponent is not read: the caller sees where it stopped).
 * It returns the first byte after the number and sets *v_r, or NULL
 * (and leaves *v_r) when p does not start with one.  Pure, no
 * allocation, no strtod: the C library's follows LC_NUMERIC.
 */
#ifndef REDRESS_BASE_NUM_H
#define REDRESS_BASE_NUM_H

const char *num_decimal(const char *p, double *v_r);

#endif
