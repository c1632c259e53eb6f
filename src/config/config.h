/*
 * config - redress.conf(5): one INI file, read once, checked and typed at
 * load.
 *
 * Every known key lives in one table in config.c with its default, so the
 * embedded defaults, the man page and the checks cannot drift apart, and
 * no module keeps a default of its own.  Each value is parsed when the
 * file loads into the field that the modules read: numbers and sizes,
 * booleans, choices (enums), durations (seconds), and the values built
 * from several keys or by the module that owns their syntax
 * (config_derive.c): the SLA policy, our addresses, the address patterns,
 * the IMAP settings, the message limits.  So every command -- "config
 * show" too -- refuses a bad value with its FILE:LINE, before any mail is
 * touched.  Only the form of a value is checked, never the world: a
 * password file, a CA file or a server that is missing is found when it
 * is used.
 *
 * Errors read "FILE:LINE: what is wrong"; the caller exits 78 (EX_CONFIG).
 * The struct owns everything in it; config_free releases it all.
 */
#ifndef REDRESS_CONFIG_H
#define REDRESS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/log.h"
#include "mail/message.h"
#include "net/imap.h"
#include "policy/sla.h"

/* [intake] reply_to: where the ack goes when the envelope sender and the
 * conversation address (Reply-To, else From) differ. */
enum config_reply_to {
	CONFIG_REPLY_TO_HEADER,
	CONFIG_REPLY_TO_ENVELOPE,
};

/* [followup] from: when the follow-up's week starts. */
enum config_followup_from {
	CONFIG_FOLLOWUP_INTAKE,
	CONFIG_FOLLOWUP_RESOLUTION,
};

/* A mailbox of ours, "Name <addr>" as configured, read. */
struct config_mailbox {
	char *name;               /* the display name, cleaned; NULL: none */
	char *addr;               /* the bare address */
};

struct config_where;

/* [agents]: an agent's name (as in "case assign ID NAME") and address. */
struct config_agent {
	char *name;
	char *text;               /* the address as written */
	int line;                 /* where it was set */
	struct config_mailbox box; /* text, read (config_derive) */
};

struct config {
	char *file;               /* where it came from; NULL: embedded defaults */

	/* [store] */
	char *store_path;
	char *store_url;          /* postgresql://...: that store, not path's */
	char *store_node;         /* this node's name in locks and claims;
				   * NULL: the host name (config_node) */
	long store_busy_timeout;  /* milliseconds */
	bool store_others_may_read; /* accept a store other users can read */

	/* [intake] */
	long intake_max_size;     /* bytes; a larger message is kept held */
	long intake_max_depth;    /* MIME nesting */
	long intake_max_parts;
	enum config_reply_to intake_reply_to;
	struct message_limits intake_limits;  /* the three above, for message_parse */

	/* [imap] */
	char *imap_url;           /* NULL: no mailbox to read */
	char *imap_user;
	char *imap_password;      /* secret: never print */
	char *imap_password_file;
	char *imap_ca_file;
	char *imap_processed;     /* "flag" or "move:FOLDER" */
	char *imap_keyword;
	long imap_timeout;        /* seconds, every network wait */
	long imap_batch;          /* messages per transaction */
	long imap_poll;           /* seconds between polls without IDLE */
	struct imap_options imap; /* all of [imap], read: when imap_url is set */

	/* [smtp] */
	char *smtp_url;           /* NULL: the outbox directory */
	char *smtp_user;
	char *smtp_password;      /* secret: never print */
	char *smtp_password_file;
	char *smtp_ca_file;
	char *smtp_from;          /* as written: "Customer Care <care@...>" */
	char *smtp_envelope_from; /* a bare address; NULL: from's */
	char *smtp_escalate_to;   /* as written */
	long smtp_timeout;        /* seconds */
	long smtp_lifetime;       /* seconds: give up on a job after it */
	long smtp_lease;          /* seconds: the send lock and job claims
				   * hold this long unless renewed */
	long smtp_record_wait;    /* seconds a sent job's record may wait to
				   * share a transaction; 0: none waits */
	struct config_mailbox from;      /* smtp_from, read */
	struct config_mailbox escalate;  /* smtp_escalate_to, read */

	/* [outbox] */
	char *outbox_path;

	/* [sla]: timezone, hours, holidays, the targets per priority,
	 * warn_percent, quiet_hours and question make one policy. */
	struct sla_policy *sla;   /* owned */
	long sla_warn_percent;
	long sla_escalate_per_sender; /* escalations about one sender's cases per window; 0: no cap */
	long sla_escalate_window;     /* seconds */

	/* [followup] */
	long followup_after;      /* seconds */
	enum config_followup_from followup_from;

	/* [autoreply] */
	long autoreply_per_hour;
	long autoreply_per_day;
	char *autoreply_addresses; /* our own addresses besides smtp from; checked */
	long autoreply_per_domain_hour; /* acks per hour to one domain; 0: no cap */
	char *autoreply_big_domains;    /* domains without the per-domain cap */

	/* [staff] */
	char *staff_addresses;    /* patterns like *@example.com; checked */
	char *staff_mailbox;      /* envelope recipients only staff can reach */

	/* [spam] */
	char *spam_authserv_id;   /* Authentication-Results from these are believed */
	bool spam_trust_headers;  /* believe X-Spam-Flag, X-Spam-Status, X-Spam,
				   * X-Rspamd-Action, X-Spamd-Result */
	char *spam_spamd;         /* HOST:PORT of spamd; "": none */
	char *spam_rspamd;        /* rspamd's URL (http://HOST:11333); "": none */
	long spam_timeout;        /* seconds for one scan, connecting included */
	long spam_max_size;       /* bytes: larger messages are not scanned */
	long spam_wait;           /* seconds an ack waits for a scanner that is down */
	char *spam_words;         /* a words file (rules spam-words); "": none */
	long spam_words_score;    /* percent: a words score from here is spam */

	/* [case] */
	char *case_tag;           /* the word of the subject tag: [case 000123] */

	/* [classify] */
	long classify_repeat_count;
	long classify_repeat_days;
	char *classify_weights;    /* "rules train" weights file; "" = hand weights */

	/* [paths] */
	char *paths_rules;
	char *paths_templates;

	/* [log] */
	enum log_target log_target;
	char *log_file;            /* target = file: an absolute path; "" = none */
	enum log_level log_level;

	/* [agents]: every key is an agent's name, its value their address;
	 * escalations and warnings of a case they own go there. */
	struct config_agent *agents;
	size_t n_agents;

	/* A problem that is not an error (a password in a file others can
	 * read), for the caller to log; owned, NULL when none. */
	char *warning;

	/* The text of every key as set (or its default), for config show and
	 * messages; and where each key was set.  Owned; read them through
	 * config_text and config_where. */
	char **texts;
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
 * Finds the config the way redress(1) says: explicit path, else
 * ./redress.conf, else SYSCONFDIR/redress/redress.conf, else the embedded
 * defaults.  Same results as config_load.
 */
int config_find_and_load(const char *explicit_path, struct config **cfg_r,
			 char **error_r);
/* This process's name in the store's locks and claims: "PID@NODE", NODE
 * from [store] node or the host name; cut to size. */
void config_owner(const struct config *cfg, char *owner, size_t size);
/* "FILE:LINE" of a key as set, or "FILE: [section] key (default)" when it
 * was not; static, valid until the next call. */
const char *config_where(const struct config *cfg, const char *section,
			 const char *key);
/* The text of a key as set or by default ("5d", "header"), or NULL when it
 * is not set; owned by cfg. */
const char *config_text(const struct config *cfg, const char *section, const char *key);
/* Reads a secret from value or file (file wins, and must not be readable by
 * others).  Returns 0 and an allocated secret (NULL if none), or -1. */
int config_secret(const char *value, const char *file, char **secret_r,
		  char **error_r);
/* The [agents] entry of an agent by name, or NULL when it has none. */
const struct config_agent *config_agent(const struct config *cfg, const char *name);
/* The [agents] entry whose address is addr (case aside), or NULL. */
const struct config_agent *config_agent_by_addr(const struct config *cfg,
						const char *addr);
/* Where the escalations and warnings of a case owned by owner (NULL:
 * nobody) go: the owner's [agents] mailbox, else [smtp] escalate_to. */
const struct config_mailbox *config_escalate_for(const struct config *cfg,
						 const char *owner);
/* True for a usable agent name: 1 to 64 bytes of letters, digits and
 * . _ - + @ (shown in tables, matched in [agents]). */
bool config_agent_name_ok(const char *name);

/* Prints the effective config as INI, secrets masked; returns an allocated
 * string. */
char *config_dump(const struct config *cfg);
void config_free(struct config **cfg);

/*
 * Parses a duration: "90s", "30m", "8h", "2d", "1w", or combinations "1d 4h".
 * Calendar units: used where business time does not apply.  0 or -1.
 */
int config_parse_duration(const char *s, long *seconds_r);

/*
 * The values built from the keys once they are all read (config_derive.c):
 * the SLA policy, our mailboxes, the checks of addresses, patterns, the
 * case tag and the SMTP settings, the IMAP settings and the message
 * limits.  0, or -1 with *error_r "FILE:LINE: [section] key: ...".
 * config_load and config_new_default call it; config_underive frees what
 * it built.
 */
int config_derive(struct config *cfg, char **error_r);
void config_underive(struct config *cfg);

#endif
