/*
 * parse_bench - message_parse speed: every file under $REDRESS_CORPORA/mail
 * (or the directory given as the first argument) read into memory once,
 * then parsed ROUNDS times in-process (default 100, or the second
 * argument).  Prints messages per second and MB per second.
 */
#include "autoconfig.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/xmem.h"
#include "mail/message.h"

struct blob {
	char *data;
	size_t len;
};

static struct blob *blobs;
static size_t n_blobs, cap_blobs;

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		data = xgrow(data, &cap, len + 65536, 1);
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*len_r = len;
	return data;
}

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len;
	char *data;

	(void)st;
	(void)ftw;
	if (type != FTW_F || (data = slurp(path, &len)) == NULL)
		return 0;
	blobs = xgrow(blobs, &cap_blobs, n_blobs + 1, sizeof(*blobs));
	blobs[n_blobs].data = data;
	blobs[n_blobs].len = len;
	n_blobs++;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *corpus = getenv("REDRESS_CORPORA");
	char *dir = argc > 1 ? xstrdup(argv[1])
			     : xasprintf("%s/mail", corpus != NULL ? corpus : "../shared/corpora");
	int rounds = argc > 2 ? atoi(argv[2]) : 100;
	struct message_limits lim = { 25u << 20, 20, 1000 };
	size_t bytes = 0, held = 0, count = 0;
	char fp[65];
	double t0, t1, t2;

	nftw(dir, collect, 16, FTW_PHYS);
	if (n_blobs == 0) {
		fprintf(stderr, "parse_bench: no messages under %s\n", dir);
		free(dir);
		return 1;
	}
	for (size_t i = 0; i < n_blobs; i++)
		bytes += blobs[i].len;
	t0 = now();
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < n_blobs; i++) {
			struct message *m = message_parse(blobs[i].data, blobs[i].len, &lim);

			held += m->problem != NULL;
			count++;
			message_free(&m);
		}
	}
	t1 = now();
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n_blobs; i++)
			message_fingerprint(blobs[i].data, blobs[i].len, fp);
	t2 = now();
	printf("parse_bench: %zu messages (%zu bytes) x %d rounds\n", n_blobs, bytes, rounds);
	printf("message_parse: %.0f messages/s, %.1f MB/s (%zu held of %zu)\n",
	       (double)count / (t1 - t0), (double)bytes * rounds / (t1 - t0) / 1e6, held, count);
	printf("message_fingerprint: %.0f messages/s, %.1f MB/s\n",
	       (double)count / (t2 - t1), (double)bytes * rounds / (t2 - t1) / 1e6);
	for (size_t i = 0; i < n_blobs; i++)
		free(blobs[i].data);
	free(blobs);
	free(dir);
	return 0;
}
