/*
 * spamwords - a learned spam filter over the words of a message: the
 * "words" signal of the traffic verdict (traffic.h, doc/design.md "Words
 * that mean spam").
 *
 * A words file counts, for every word, in how many spam and how many
 * good messages of a training set it appeared.  A message is scored as
 * SpamBayes scores it (Gary Robinson's method): each known word gets a
 * probability of spam, pulled towards 1/2 the rarer the word is; the
 * 150 words furthest from 1/2 (at least 0.1 away) are combined with
 * Fisher's chi-squared method into a spam and a ham indication, and the
 * score is (spam - ham + 1) / 2, from 0 (surely good) to 1 (surely spam).
 * A message with no such word scores 1/2.
 *
 * Words are what the rules read: the decoded Subject (as "s:WORD") and
 * the fresh text of the body, its first SPAMWORDS_MAX_BODY bytes.  A word
 * is a run of ASCII letters, digits and the marks ' - $ % _, lowercased,
 * 2 to 20 bytes long, with a letter in it or a leading $ or a trailing
 * %.  Text in other scripts is not read: the shipped words learnt good
 * mail in English only, and a language is no sign of spam.  Each word
 * counts once per message.
 *
 * The file is plain text: "# ..." comments, then
 *   redress-spam-words 1
 *   messages SPAM HAM
 *   WORD<TAB>SPAM<TAB>HAM        (one per word, in strcmp order)
 * Loading refuses anything else with "FILE:LINE: reason".
 */
#ifndef REDRESS_POLICY_SPAMWORDS_H
#define REDRESS_POLICY_SPAMWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define SPAMWORDS_MAX_BODY (64 * 1024)
#define SPAMWORDS_MAX_WORD 20
#define SPAMWORDS_MAX_CLUES 150
#define SPAMWORDS_MAX_FILE (64L * 1024 * 1024)

struct spamwords;
struct spamwords_trainer;

/* A word that counted for a score, with its probability of spam. */
struct spamwords_clue {
	char word[SPAMWORDS_MAX_WORD + 3];  /* "s:" and the word */
	double p;
};

/* Loads a words file: 0 and *sw_r, or -1 and *error_r ("FILE:LINE: reason"). */
int spamwords_load(const char *path, struct spamwords **sw_r, char **error_r);
void spamwords_free(struct spamwords **swp);
const char *spamwords_file(const struct spamwords *sw);

/*
 * The spam score of a message, 0..1.  When clues is not NULL, the up to
 * n_clues words that leaned furthest towards spam are stored there (most
 * first) and *n_clues_r says how many.
 */
double spamwords_score(const struct spamwords *sw, const char *subject, const char *body,
		       size_t body_len, struct spamwords_clue *clues, size_t n_clues,
		       size_t *n_clues_r);

/*
 * Calls fn(word, len, ctx) for each word of the message, as the score
 * sees them (a word may come more than once).
 */
void spamwords_each(const char *subject, const char *body, size_t body_len,
		    void (*fn)(const char *word, size_t len, void *ctx), void *ctx);

/* Training: count messages, then write a words file. */
struct spamwords_trainer *spamwords_trainer_new(void);
void spamwords_trainer_add(struct spamwords_trainer *tr, bool spam, const char *subject,
			   const char *body, size_t body_len);
void spamwords_trainer_counts(const struct spamwords_trainer *tr, size_t *spam_r,
			      size_t *ham_r, size_t *words_r);
/* Appends the file to out, keeping the words seen in at least min_count
 * messages; note (may be NULL) becomes "# " comment lines. */
size_t spamwords_trainer_write(const struct spamwords_trainer *tr, long min_count,
			       const char *note, struct buf *out);
void spamwords_trainer_free(struct spamwords_trainer **trp);

#endif
