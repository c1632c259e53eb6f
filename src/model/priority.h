/*
 * priority - how urgent a case is: the four priorities a case can have,
 * shared by the classifier, the SLA clock and the store.  Lower value is
 * more urgent.
 *
 * The names below are the ones the rules file, redress.conf ([sla] urgent
 * ...), the store and every output use; they appear in priority.c and
 * nowhere else in the code.
 */
#ifndef REDRESS_MODEL_PRIORITY_H
#define REDRESS_MODEL_PRIORITY_H

enum priority {
	PRIORITY_NONE = -1,     /* a held case has none */
	PRIORITY_URGENT,
	PRIORITY_HIGH,
	PRIORITY_NORMAL,
	PRIORITY_LOW,
};
#define PRIORITY_COUNT 4

/* "urgent", "high", "normal", "low"; NULL for PRIORITY_NONE. */
const char *priority_name(enum priority p);
/* The reverse: 0 and *p_r, or -1 for a word that is no priority. */
int priority_parse(const char *s, enum priority *p_r);

#endif
