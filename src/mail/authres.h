/*
 * authres - what our own mail server says about a sender's domain, read
 * from the Authentication-Results header fields it added (RFC 8601).
 *
 * A mail server that checks DKIM, SPF or DMARC on arrival records the
 * outcome in an Authentication-Results header field that starts with its
 * own name, the authserv-id:
 *
 *	Authentication-Results: mx.example.com;
 *	    dkim=pass header.d=example.com header.s=sel1;
 *	    spf=pass smtp.mailfrom=anna@example.com;
 *	    dmarc=pass (p=reject) header.from=example.com
 *
 * Anyone can write such a field into a message before sending it, with
 * any authserv-id.  So only fields whose authserv-id the admin lists
 * ([spam] authserv_id) count, and of those only the topmost one: a mail
 * server prepends its field, so the one it added is above anything the
 * sender wrote.  That needs the server to add one to every message it
 * accepts (rspamd does; OpenDKIM with AlwaysAddARHeader; OpenDMARC), or
 * to remove fields that claim its name (RFC 8601 section 5).
 *
 * The domain is authenticated (AUTHRES_PASS) when that field has
 * dkim=pass with header.d (or the domain of header.i) equal to it,
 * spf=pass with the domain of smtp.mailfrom equal to it, or dmarc=pass
 * with header.from equal to it; exact domains, case-insensitive, no
 * subdomains.  dmarc=fail for the domain is AUTHRES_FAIL, whatever else
 * the field says.  The values are read as written in the raw header:
 * never after RFC 2047 decoding, which would let a sender's
 * "=?utf-8?q?...=3B_dkim=3Dpass...?=" in its MAIL FROM become results.
 *
 * Pure functions; nothing allocated outlives a call.
 */
#ifndef REDRESS_AUTHRES_H
#define REDRESS_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#define AUTHRES_MAX_RESULTS 16   /* resinfo kept from one field */
#define AUTHRES_MAX_PROPS 8      /* properties kept from one resinfo */

struct authres_prop {
	char name[48];           /* "header.d", "smtp.mailfrom": lower case */
	char value[256];         /* unquoted, as written */
};

struct authres_result {
	char method[32];         /* "dkim", "spf", "dmarc": lower case, no version */
	char result[16];         /* "pass", "fail", "none", ...: lower case */
	size_t n_props;
	struct authres_prop props[AUTHRES_MAX_PROPS];
};

struct authres {
	char authserv_id[256];   /* as written (unquoted) */
	bool none;               /* the field said "none" */
	size_t n_results;
	struct authres_result results[AUTHRES_MAX_RESULTS];
};

enum authres_verdict {
	AUTHRES_NONE = 0,        /* nothing trusted says anything about the domain */
	AUTHRES_PASS,            /* a trusted dkim, spf or dmarc pass for it */
	AUTHRES_FAIL,            /* a trusted dmarc=fail for it */
};

/*
 * Parses one Authentication-Results value (unfolded, not decoded):
 * authserv-id, optional version, then "none" or results with their
 * reason and properties; comments and white space anywhere.  Results and
 * properties past the caps above are skipped, values longer than their
 * field are cut.  0, or -1 when the value does not follow the grammar
 * (ar then holds what was read before the fault).
 */
int authres_parse(const char *value, struct authres *ar);

/*
 * What the topmost field (of values, top to bottom, n of them) whose
 * authserv-id is in trusted_ids (separated by commas or white space;
 * case-insensitive) says about domain (see above).  A topmost trusted
 * field that does not parse says nothing: AUTHRES_NONE.  *how_r (may be
 * NULL) gets a static description such as "dkim=pass header.d" or NULL.
 */
enum authres_verdict authres_judge(const char *const *values, size_t n,
				   const char *trusted_ids, const char *domain,
				   const char **how_r);

/*
 * Whether the topmost trusted field (as authres_judge finds it) says the
 * From domain is forged: dmarc=fail with header.from equal to it, or
 * spf=fail with smtp.mailfrom in it and no dkim=pass aligned with it
 * (header.d, or the domain of header.i, equal to it).  An SPF failure of
 * another domain (a list's or a forwarder's bounce address) says nothing
 * about From.  True with *how_r a static description ("dmarc=fail
 * header.from", "spf=fail smtp.mailfrom, no aligned dkim=pass"); *id_r
 * (may be NULL) gets the authserv-id that said so, up to id_size bytes.
 */
bool authres_forged(const char *const *values, size_t n, const char *trusted_ids,
		    const char *domain, const char **how_r, char *id_r, size_t id_size);

#endif
