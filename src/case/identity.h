/*
 * identity - who redress is when it writes: our addresses, our domain and
 * the key that signs our Message-IDs.
 *
 * Built once per configuration, from [smtp] and [autoreply] (read at load:
 * config.h) and the key kept in the store, and shared by intake (which
 * must know our own mail and our Message-IDs when they come back) and the
 * outbox (which writes them).
 *
 * Ownership: identity_new hands out an identity freed by identity_free.
 * Its strings either are its own or borrowed from the configuration it was
 * built from, which must outlive it.
 */
#ifndef REDRESS_CASE_IDENTITY_H
#define REDRESS_CASE_IDENTITY_H

#include <stddef.h>

struct config;
struct store;

#define IDENTITY_MAX_OWN 32
#define IDENTITY_KEY_LEN 32

struct identity {
	const char *from;            /* [smtp] from as written: our mail's From */
	const char *from_name;       /* its display name; NULL: none */
	const char *from_addr;       /* its address: also our X-Loop */
	const char *envelope_from;   /* SMTP MAIL FROM: [smtp] envelope_from,
				      * else from_addr */
	const char *escalate_name;   /* [smtp] escalate_to, read; name may be NULL */
	const char *escalate_addr;
	/* Our own addresses, mail from which is ours: from, envelope_from,
	 * escalate_to and [autoreply] addresses; owned. */
	char *own[IDENTITY_MAX_OWN];
	size_t n_own;
	char *domain;                /* from's domain: our Message-IDs'; owned */
	unsigned char key[IDENTITY_KEY_LEN]; /* signs our Message-IDs (thread.h) */
};

/* 0 and *id_r, or -1 with *error_r: a store error (the key is made on
 * first use and kept in the store). */
int identity_new(const struct config *cfg, struct store *st, struct identity **id_r,
		 char **error_r);
/* NULL-safe; sets *id to NULL. */
void identity_free(struct identity **id);

#endif
