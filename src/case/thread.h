/*
 * thread - matching incoming mail to an existing case.
 *
 * Two signs tie a message to a case:
 *
 *   1. One of our own Message-IDs in In-Reply-To or References.  Ours read
 *      "redress.<case id>.<random>.<mac>@<domain>" where random is 16 hex
 *      digits from gnutls_rnd(GNUTLS_RND_NONCE) and mac is the first 16 hex
 *      digits of HMAC-SHA256(key, "<case id>.<random>").  A verified id is
 *      strong evidence: nobody without the key can make one, so it joins
 *      the message to the case whoever sent it.
 *
 *   2. A subject tag "[case 000123]".  Anyone can type one, and customers
 *      quote each other's mails, so a tag alone proves nothing:
 *      thread_tag_find only reports what the subject says.  THE CALLER
 *      DECIDES TRUST: a tag joins a message to its case only when the
 *      sender is that case's customer or is staff; a tag from anyone else
 *      opens a new case.  Matching the staff patterns
 *      (addr_matches, addr.h) is not enough to be staff: From can be
 *      forged, so intake also wants our server's Authentication-Results
 *      (authres.h) or a staff-only envelope recipient.
 *      A tag inside quoted text or after "Re:"/"Fwd:"/"AW:" is still
 *      found; that is by design, trust is decided by the sender.
 *
 * All functions are pure apart from thread_msgid_new's random bytes.
 * Case ids are positive; inputs are capped (ids at THREAD_ID_MAX bytes,
 * address patterns at 256 bytes each) and anything longer is "not ours".
 */
#ifndef REDRESS_THREAD_H
#define REDRESS_THREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/message.h"

#define THREAD_ID_MAX 512

/*
 * A new Message-ID for case_id (> 0), without <>.  Allocated; the caller
 * frees.  NULL when case_id <= 0, domain is empty, or the random source or
 * HMAC fails (gnutls error).
 */
char *thread_msgid_new(const unsigned char *key, size_t keylen,
		       long long case_id, const char *domain);

/*
 * 1 and *case_id_r when id (with or without <>) is ours: our form, domain
 * equal (case-insensitive) and a valid HMAC.  0 otherwise (forged,
 * foreign, malformed, too long); *case_id_r untouched then.  case_id_r may
 * be NULL.
 */
int thread_msgid_verify(const unsigned char *key, size_t keylen,
			const char *id, const char *domain,
			long long *case_id_r);

/*
 * The subject tag: prefix "case" -> "[case 000123]" (6 digits minimum,
 * more if needed).  prefix NULL or "" means "case".  Allocated; the caller
 * frees.  NULL when case_id < 0.
 */
char *thread_tag_format(const char *prefix, long long case_id);

/*
 * Finds "[prefix 000123]" anywhere in subject: prefix case-insensitive,
 * any number of spaces or tabs (also none) around the number and after
 * '[', an optional '#' before the number ("[Case #42]").  The first tag
 * found wins.  1 and *case_id_r (> 0), or 0.  See the trust note above.
 */
int thread_tag_find(const char *subject, const char *prefix,
		    long long *case_id_r);

/*
 * Walks In-Reply-To (in order) then References (newest, i.e. last, first;
 * at most 100 of them) for an id of ours with a valid HMAC: 1 and
 * *case_id_r, or 0.
 */
int thread_find_case(const unsigned char *key, size_t keylen,
		     const char *domain, const struct message *m,
		     long long *case_id_r);

#endif
