/*
 * tick - the SLA clock's regular check.
 *
 * For every open case: a first response or resolution past its deadline is
 * marked breached (once), and one escalation per breach is queued to
 * [smtp] escalate_to, held back to the end of quiet hours if any; a case
 * [sla] warn_percent of the way to a deadline gets one breach warning.
 * Both go through the caps of escalate.h (one open per case, a number per
 * sender and window); one that is held back is recorded as a suppressed
 * job with the reason.
 * Waiting cases have their resolution clock paused and are not checked for
 * it.  Running tick twice at the same time queues nothing the second time.
 */
#ifndef REDRESS_TICK_H
#define REDRESS_TICK_H

#include <time.h>

struct config;
struct store;

struct tick_stats {
	unsigned long checked, breaches, escalations, warnings;
};

/* 0, or -1 with a store error (the transaction is rolled back). */
int tick_run(struct store *st, const struct config *cfg, time_t now,
	     struct tick_stats *stats, char **error_r);

#endif
