/*
 * t_fuzz_regress - every input in tests/fuzz/regress/TARGET/ goes through
 * the same entry point as the fuzz target (tests/fuzz/fuzz_TARGET.c), in
 * the ordinary build and the sanitizer build, without clang or libFuzzer:
 * what the fuzzers once found stays fixed.  A file passes when the entry
 * point returns without a broken promise (fuzz_fail) and, under the
 * sanitizers, without a report.  One test per file, plus one per target
 * that the directory holds at least one input.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tap.h"
#include "base/xmem.h"

struct target {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
};

static const struct target targets[] = {
	{ "message", fuzz_message_one },
	{ "rules", fuzz_rules_one },
	{ "template", fuzz_template_one },
	{ "compose", fuzz_compose_one },
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_target(const char *top, const struct target *t)
{
	char *dir = xasprintf("%s/tests/fuzz/regress/%s", top, t->name);
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);

	if (d != NULL) {
		const struct dirent *de;

		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			names = xgrow(names, &cap, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	ok(n > 0, "%s: %zu regression inputs in %s", t->name, n, dir);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		size_t len = 0;
		char *data = tap_slurp(path, &len);
		unsigned long before = fuzz_failures;

		if (data == NULL) {
			ok(false, "%s/%s: readable", t->name, names[i]);
		} else {
			/* An exact-size copy, as libFuzzer passes it, so that the
			 * sanitizers see reads past the end. */
			uint8_t *exact = xmalloc(len > 0 ? len : 1);

			memcpy(exact, data, len);
			t->one(exact, len);
			ok(fuzz_failures == before, "%s/%s (%zu bytes)", t->name, names[i], len);
			free(exact);
		}
		free(data);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");

	if (top == NULL || *top == '\0')
		top = ".";
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		run_target(top, &targets[i]);
	fuzz_template_cleanup();
	return tap_exit();
}
