/*
 * fuzz - the entry points shared by the libFuzzer targets (tests/fuzz/
 * fuzz_*.c, built by tests/t_fuzz.sh with clang -fsanitize=fuzzer) and by
 * the plain regression test (tests/t_fuzz_regress.c, built by make with
 * any compiler).
 *
 * Each fuzz_X_one() feeds one input through a module the way redress does
 * and then checks the module's promises (valid UTF-8, no control
 * characters in header strings, no injected header, ...).  A broken
 * promise calls fuzz_fail(): under libFuzzer that prints the reason and
 * aborts, so the input is saved as a crash; in the regression test it
 * prints a TAP diagnostic and counts a failure (fuzz_failures).
 *
 * When REDRESS_LIBFUZZER is defined each fuzz_X.c also defines
 * LLVMFuzzerTestOneInput; t_fuzz.sh passes -DREDRESS_LIBFUZZER.
 *
 * Input formats (so that regression files can be written by hand):
 *   message   the raw message
 *   rules     rules file text, then optionally NUL and a message to
 *             classify as fields: subject NUL body NUL from NUL
 *             header-name NUL header-value ...
 *   template  template file text (an ack-fuzz.txt), then optionally NUL
 *             and values for the placeholders, NUL-separated, in the
 *             order of template_placeholders[]
 *   compose   NUL-separated fields: from, to_name, to_addr, subject,
 *             body, message_id, in_reply_to, references (space
 *             separated), auto_submitted, x_loop, date (decimal);
 *             a missing field takes a sane default
 */
#ifndef REDRESS_FUZZ_H
#define REDRESS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int fuzz_message_one(const uint8_t *data, size_t size);
int fuzz_rules_one(const uint8_t *data, size_t size);
int fuzz_template_one(const uint8_t *data, size_t size);
int fuzz_compose_one(const uint8_t *data, size_t size);
/* Removes the template fuzzer's scratch directory (also done at exit). */
void fuzz_template_cleanup(void);

/* LLVMFuzzerTestOneInput for a target, in its fuzz_X.c under
 * REDRESS_LIBFUZZER: FUZZ_LIBFUZZER_ENTRY(fuzz_X_one) */
#define FUZZ_LIBFUZZER_ENTRY(one)						\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);		\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)		\
	{									\
		return one(data, size);						\
	}

/* Reports a broken promise (see above). */
void fuzz_fail(const char *target, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Broken promises so far (regression builds; abort() ends libFuzzer's). */
extern unsigned long fuzz_failures;

/* Checks shared by the targets. */
bool fuzz_utf8_ok(const char *s, size_t len);
/* Valid UTF-8 with no C0/C1 control character and no DEL. */
bool fuzz_header_string_ok(const char *s);
/* Splits data at NUL bytes into at most max fields; returns the count.
 * The fields point into a NUL-terminated copy the caller frees (*copy_r). */
size_t fuzz_split(const uint8_t *data, size_t size, const char **fields,
		  size_t max, char **copy_r);

#endif
