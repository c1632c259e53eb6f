/*
 * config - redress.conf(5): one INI file, read once, checked at load.
 *
 * Every known key lives in one table in config.c with its default, so the
 * embedded defaults, the man page and the checks cannot drift apart.  Values
 * stay strings here unless they are plain numbers or sizes; modules that own
 * a richer syntax (the SLA calendar, durations) parse their own values and
 * report errors against config_where() so the admin still sees file:line.
 *
 * Errors read "FILE:LINE: what is wrong"; the caller exits 78 (EX_CONFIG).
 * The struct owns every string in it; config_free releases them.
 */
#ifndef REDRESS_CONFIG_H
#define REDRESS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
	char *file;               /* where it came from; NULL: embedded defaults */

	/* [store] */
	char *store_path;
	long store_busy_timeout;  /* milliseconds */
	bool store_others_may_read; /* accept a store other users can read */

	/* [intake] */
	long intake_max_size;     /* bytes; a larger message is kept held */
	long intake_max_depth;    /* MIME nesting */
	long intake_max_parts;
	char *intake_reply_to;    /* "header" (Reply-To/From) or "envelope" */

	/* [imap] */
	char *imap_url;
	char *imap_user;
	char *imap_password;      /* secret: never print */
	char *imap_password_file;
	char *imap_tls;           /* implicit | starttls | none | NULL (from URL) */
	char *imap_ca_file;
	char *imap_processed;     /* "flag" or "move:FOLDER" */
	char *imap_keyword;
	long imap_timeout;        /* seconds, every network wait */
	long imap_batch;          /* messages per transaction */
	long imap_poll;           /* seconds between polls without IDLE */

	/* [smtp] */
	char *smtp_url;
	char *smtp_user;
	char *smtp_password;      /* secret: never print */
	char *smtp_password_file;
	char *smtp_tls;
	char *smtp_ca_file;
	char *smtp_from;
	char *smtp_envelope_from;
	char *smtp_escalate_to;
	long smtp_timeout;        /* seconds */
	char *smtp_lifetime;      /* a duration: give up on a job after it */
	char *smtp_lease;         /* a duration: the send lock and job claims
				   * hold this long unless renewed */

	/* [outbox] */
	char *outbox_path;

	/* [sla] */
	char *sla_timezone;
	char *sla_hours;
	char *sla_holidays;
	char *sla_urgent;
	char *sla_high;
	char *sla_normal;
	char *sla_low;
	long sla_warn_percent;
	char *sla_quiet_hours;    /* escalations wait outside these, "" = none */
	char *sla_question;       /* first-response target of a question, "off" = none */
	long sla_escalate_per_sender; /* escalations about one sender's cases per window; 0: no cap */
	char *sla_escalate_window;    /* a duration */

	/* [followup] */
	char *followup_after;
	char *followup_from;      /* intake | resolution */

	/* [autoreply] */
	long autoreply_per_hour;
	long autoreply_per_day;
	char *autoreply_addresses; /* our own addresses besides smtp from */
	long autoreply_per_domain_hour; /* acks per hour to one domain; 0: no cap */
	char *autoreply_big_domains;    /* domains without the per-domain cap */

	/* [staff] */
	char *staff_addresses;    /* patterns like *@example.com */
	char *staff_mailbox;      /* envelope recipients only staff can reach */

	/* [spam] */
	char *spam_authserv_id;   /* Authentication-Results from these are believed */

	/* [case] */
	char *case_tag;           /* prefix of the subject tag: "case" -> [case 000123] */

	/* [classify] */
	long classify_repeat_count;
	long classify_repeat_days;

	/* [paths] */
	char *paths_rules;
	char *paths_templates;

	/* [log] */
	char *log_target;         /* stderr | syslog */
	char *log_level;          /* error | warning | info | debug */

	/* A problem that is not an error (a password in a file others can
	 * read), for the caller to log; owned, NULL when none. */
	char *warning;

	/* key positions, for errors found after load; owned */
	struct config_where *where;
	size_t n_where;
};

/* The embedded defaults, as if from an empty file. */
struct config *config_new_default(void);
/*
 * Reads path over the embedded defaults.  Returns 0, or -1 with *error_r
 * set to an allocated "FILE:LINE: reason" string the caller frees.
 */
int config_load(const char *path, struct config **cfg_r, char **error_r);
/*
 * Finds the config the way DESIGN.md says: explicit path, else
 * ./redress.conf, else SYSCONFDIR/redress/redress.conf, else the embedded
 * defaults.  Same results as config_load.
 */
int config_find_and_load(const char *explicit_path, struct config **cfg_r,
			 char **error_r);
/* "FILE:LINE" of a key as set, or "(default)" when it was not; static. */
const char *config_where(const struct config *cfg, const char *section,
			 const char *key);
/* Reads a secret from value or file (file wins, and must not be readable by
 * others).  Returns 0 and an allocated secret (NULL if none), or -1. */
int config_secret(const char *value, const char *file, char **secret_r,
		  char **error_r);
/* Prints the effective config as INI, secrets masked; returns an allocated
 * string. */
char *config_dump(const struct config *cfg);
void config_free(struct config **cfg);

/*
 * Parses a duration: "90s", "30m", "8h", "2d", "1w", or combinations "1d 4h".
 * Calendar units: used where business time does not apply.  0 or -1.
 */
int config_parse_duration(const char *s, long *seconds_r);

#endif
