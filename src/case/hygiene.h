/*
 * hygiene - what a person does about a case's traffic verdict
 * (policy/traffic.h): "case spam" and "case release".
 *
 *   hygiene_spam     marks a case spam: it moves to quarantined, its
 *                    traffic becomes spam, its clocks stop and every job
 *                    still queued for it (ack, follow-up, escalation,
 *                    warning) is suppressed; event "spam".
 *   hygiene_release  takes a quarantined or informational case as ok from
 *                    now on: it becomes a new case, with the ack (kind by
 *                    its outcome) and the SLA clocks of a case that
 *                    arrived now, and a complaint's follow-up; event
 *                    "release".  No escalation: the rules' escalation
 *                    at intake is not replayed (tick escalates on breach
 *                    as for any case).  A case whose ack went out
 *                    before it was marked spam is not acked again: it
 *                    is acknowledged, with its clocks from now.
 *
 * Both change the case in the caller's transaction; author is the
 * person's name for the event (NULL: redress itself, as when the
 * outbox's second scan finds spam).  1 done, 0 refused
 * (*error_r, allocated, says why: the case is spam already, or is not in
 * quarantine), -1 store error.
 */
#ifndef REDRESS_CASE_HYGIENE_H
#define REDRESS_CASE_HYGIENE_H

#include <time.h>

struct config;
struct identity;
struct store;
struct store_case;

int hygiene_spam(struct store *st, struct store_case *c, time_t now, const char *author,
		 char **error_r);
int hygiene_release(struct store *st, const struct config *cfg, const struct identity *id,
		    struct store_case *c, time_t now, const char *author, char **error_r);

#endif
