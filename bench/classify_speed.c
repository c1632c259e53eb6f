/*
 * classify_speed - how fast classify_run goes over real text.
 *
 * usage: classify_speed RULES TEXTS [--no-jit] [--no-prefilter] [--seconds S] [--loads N]
 *
 * TEXTS holds records: a decimal byte count, a newline, then that many bytes
 * of message body.  The program loads RULES (best of N loads is reported
 * as load_ms), then classifies every text, round after round, until S
 * seconds (default 2) have passed and at least one round is done, and
 * prints one line of key=value pairs:
 *
 *   rules=500 prefiltered=480 jit=1 load_ms=12.3 texts=300 bytes=336000 rounds=7
 *   seconds=2.01 mb_per_s=1.17 msgs_per_s=1045 hits=12345
 *
 * MB/s counts the bytes of text classified (10^6 bytes), each text once per
 * round, whatever the number of rules.  bench/classify_speed.sh runs it and
 * compares with the interpreter and Python's re.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xmem.h"
#include "policy/classify.h"

#define SPEED_MAX_TEXT (16 * 1024 * 1024)

struct speed_text {
	char *data;
	size_t len;
};

static double
speed_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct speed_text *
speed_read(const char *path, size_t *n_r, size_t *bytes_r)
{
	FILE *f = fopen(path, "rb");
	struct speed_text *t = NULL;
	size_t n = 0, cap = 0;
	char line[64];

	*bytes_r = 0;
	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		unsigned long len = strtoul(line, &end, 10);

		if (end == line || *end != '\n' || len > SPEED_MAX_TEXT)
			break;
		t = xgrow(t, &cap, n + 1, sizeof(*t));
		t[n].data = xmalloc(len + 1);
		if (fread(t[n].data, 1, len, f) != len) {
			free(t[n].data);
			break;
		}
		t[n].data[len] = '\0';
		t[n].len = len;
		*bytes_r += len;
		n++;
	}
	fclose(f);
	*n_r = n;
	return t;
}

int
main(int argc, char **argv)
{
	struct classify_options opt = { .no_jit = false };
	struct classify_rules *rules = NULL;
	struct speed_text *texts;
	size_t n_texts, bytes, hits = 0;
	double seconds = 2, load_ms = 1e9, t0, t1;
	long rounds = 0;
	int loads = 5;
	char *error;

	if (argc < 3) {
		fputs("usage: classify_speed RULES TEXTS [--no-jit] [--no-prefilter] [--lazy-ucp] "
		      "[--seconds S] "
		      "[--loads N] [--weights FILE]\n", stderr);
		return 64;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--no-jit") == 0)
			opt.no_jit = true;
		else if (strcmp(argv[i], "--no-prefilter") == 0)
			opt.no_prefilter = true;
		else if (strcmp(argv[i], "--lazy-ucp") == 0)
			opt.lazy_ucp = true;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--loads") == 0 && i + 1 < argc)
			loads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc)
			opt.weights = argv[++i];
		else {
			fprintf(stderr, "classify_speed: unknown option %s\n", argv[i]);
			return 64;
		}
	}
	for (int i = 0; i < (loads > 0 ? loads : 1); i++) {
		double ms;

		classify_rules_free(&rules);
		t0 = speed_now();
		if (classify_load_opts(argv[1], &opt, &rules, &error) < 0) {
			fprintf(stderr, "%s\n", error);
			free(error);
			return 78;
		}
		ms = (speed_now() - t0) * 1e3;
		if (ms < load_ms)
			load_ms = ms;
	}
	texts = speed_read(argv[2], &n_texts, &bytes);
	if (texts == NULL || n_texts == 0) {
		fprintf(stderr, "classify_speed: no texts in %s\n", argv[2]);
		classify_rules_free(&rules);
		return 66;
	}
	t0 = speed_now();
	do {
		for (size_t i = 0; i < n_texts; i++) {
			struct classify_input in = { .subject = "", .from = "",
						     .body = texts[i].data,
						     .body_len = texts[i].len };
			struct classify_result *res;

			if (classify_run(rules, &in, &res) < 0) {
				fputs("classify_speed: classify_run failed\n", stderr);
				return 70;
			}
			hits += res->n_hits;
			classify_result_free(&res);
		}
		rounds++;
		t1 = speed_now();
	} while (t1 - t0 < seconds);
	printf("rules=%zu prefiltered=%zu jit=%d load_ms=%.3f texts=%zu bytes=%zu rounds=%ld seconds=%.3f "
	       "mb_per_s=%.3f msgs_per_s=%.1f hits=%zu\n",
	       classify_rules_count(rules), classify_rules_prefiltered(rules),
	       classify_rules_jit(rules) ? 1 : 0, load_ms,
	       n_texts, bytes, rounds, t1 - t0,
	       (double)bytes * (double)rounds / (t1 - t0) / 1e6,
	       (double)n_texts * (double)rounds / (t1 - t0), hits / (size_t)rounds);
	for (size_t i = 0; i < n_texts; i++)
		free(texts[i].data);
	free(texts);
	classify_rules_free(&rules);
	return 0;
}
