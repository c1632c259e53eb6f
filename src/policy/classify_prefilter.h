/*
 * classify_prefilter - skipping the classifier rules that cannot match.
 *
 * Part of the classify module, not used elsewhere.  Running 500 patterns
 * over a message costs 500 scans of it, and most rules cannot match most
 * messages.  So at load each caseless pattern is read (a conservative
 * reading of PCRE2 syntax) for a set of ASCII literals one of which every
 * match must contain; at match time one pass over the message's
 * case-folded text finds which literals occur, and a rule whose literals
 * are all absent is skipped.  Anything the reader does not understand
 * gives "no set" (the rule always runs), so the prefilter can only save
 * work, never change a result.
 *
 * Folding: ASCII lower case, plus the two non-ASCII characters that match
 * ASCII letters caselessly under PCRE2_UCP (U+017F LONG S = s, U+212A
 * KELVIN SIGN = k).  Literals are ASCII only.
 *
 * Ownership: classify_prefilter_literals hands out an array of strings
 * (caller frees each and the array); the table owns what is added to it
 * and is freed by classify_prefilter_free.  The table is read-only once
 * classify_prefilter_finish has run.
 */
#ifndef REDRESS_CLASSIFY_PREFILTER_H
#define REDRESS_CLASSIFY_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLASSIFY_PREFILTER_MIN 3         /* shorter literals do not filter well */
#define CLASSIFY_PREFILTER_MAX_SET 256   /* more alternatives: no set */
#define CLASSIFY_PREFILTER_MAX_PRODUCT 64
#define CLASSIFY_PREFILTER_BUCKETS 4096

struct classify_prefilter;

/*
 * The literal set of a caseless pattern: 1 with *lits_r (allocated, n_r
 * strings, each lower-case ASCII of at least CLASSIFY_PREFILTER_MIN bytes),
 * or 0 when no usable set was found.
 */
int classify_prefilter_literals(const char *pat, size_t len, char ***lits_r, size_t *n_r);

struct classify_prefilter *classify_prefilter_new(void);
/* Adds a literal (the table takes it) and returns its id; equal literals share one. */
uint32_t classify_prefilter_add(struct classify_prefilter *pf, char *lit);
/* Builds the lookup structure; no more adds after it. */
void classify_prefilter_finish(struct classify_prefilter *pf);
/* Number of distinct literals: the size of a "present" array. */
size_t classify_prefilter_count(const struct classify_prefilter *pf);
/*
 * Folds the n texts (each read up to max bytes) and sets present[id] for
 * every literal that occurs in one of them.  present must have
 * classify_prefilter_count entries, all false.
 */
void classify_prefilter_scan(const struct classify_prefilter *pf, const char *const *texts,
			     const size_t *lens, size_t n, size_t max, bool *present);
void classify_prefilter_free(struct classify_prefilter **pf);

#endif
