/*
 * NAME
 *	cmd_queue - "redress queue list" and "redress queue retry ID"
 * DESCRIPTION
 *	list prints every outbound job with its state, due time, attempts and
 *	last error (--json: the array of doc/contract.md).  retry queues a
 *	failed job again, due now, with a whole [smtp] lifetime before it; a
 *	suppressed job is refused, since it was decided it must not go.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmem.h"
#include "cmd/cmd.h"
#include "cmd/cmd_util.h"
#include "store/store.h"

static const char queue_usage[] =
"usage: redress queue list [--format table|csv|json] | redress queue retry ID\n"
"list: every outbound job (ack, ack-plain, followup, escalation, warning)\n"
"  with its state (queued, sending, sent, failed, suppressed), due time,\n"
"  attempts and last error.  retry: queue a failed job again, due now, with\n"
"  a whole [smtp] lifetime before it (a suppressed job is refused: it was\n"
"  decided it must not go).\n";

int
cmd_queue(struct app *app, int argc, char **argv)
{
	struct store *st = NULL;
	struct store_job *jobs = NULL;
	size_t n = 0;
	char *error = NULL;
	struct buf b;
	bool csv = false;
	int ret;

	if (cmd_wants_help(argc, argv)) {
		fputs(queue_usage, stdout);
		return EX_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "list") == 0 && argc != 2 &&
			 !(argc == 4 && strcmp(argv[2], "--format") == 0) &&
			 !(argc == 3 && strncmp(argv[2], "--format=", 9) == 0)) ||
	    (strcmp(argv[1], "retry") == 0 && argc != 3) ||
	    (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "retry") != 0))
		return cmd_usage(queue_usage);
	if (strcmp(argv[1], "list") == 0 && argc > 2 &&
	    cmd_format_arg(app, "queue list", argc == 4 ? argv[3] : argv[2] + 9, &csv) != EX_OK)
		return EX_USAGE;
	ret = cmd_open_store(app, &st);
	if (ret != EX_OK) {
		store_close(&st);
		return ret;
	}
	if (strcmp(argv[1], "retry") == 0) {
		struct store_job j = { 0 };
		const char *author;
		long long id;
		int r;

		if (cmd_id_arg("queue retry", "job", argv[2], &id) != EX_OK ||
		    cmd_author(&author) != EX_OK) {
			store_close(&st);
			return EX_USAGE;
		}
		r = store_job_get(st, id, &j, &error);
		if (r <= 0) {
			if (r < 0)
				log_error("%s", error);
			else
				fprintf(stderr, "redress: no job %lld\n", id);
			free(error);
			store_close(&st);
			return r < 0 ? EX_SOFTWARE : EX_NOINPUT;
		}
		/* A suppressed job was judged not to be sent (an ack to an
		 * out-of-office, an escalation of a settled case): retrying
		 * it would send what redress decided must not go. */
		if (j.state == JOB_SUPPRESSED) {
			fprintf(stderr, "redress: job %lld was suppressed (%s), not failed: "
				"only a failed job can be retried\n", id,
				j.last_error != NULL ? j.last_error : "no reason recorded");
			store_job_clear(&j);
			store_close(&st);
			return EX_DATAERR;
		}
		if (j.state != JOB_FAILED) {
			fprintf(stderr, "redress: job %lld is %s, not failed: only a failed "
				"job can be retried\n", id, job_state_name(j.state));
			store_job_clear(&j);
			store_close(&st);
			return EX_DATAERR;
		}
		if (j.unconfirmed > 0)
			fprintf(stderr, "redress: warning: job %lld got no reply to its final "
				"dot %d time(s): the server may already have it, and the "
				"retry may deliver another copy\n", id, j.unconfirmed);
		j.state = JOB_QUEUED;
		j.due = app->now;
		/* A new start: a whole [smtp] lifetime, and the bound on
		 * unconfirmed attempts counts again. */
		j.first_try = 0;
		j.unconfirmed = 0;
		if (store_job_update(st, &j, &error) < 0 ||
		    store_event_add_by(st, j.case_id, app->now, "retry",
				       job_kind_name(j.kind), author, &error) < 0) {
			log_error("%s", error);
			free(error);
			ret = EX_SOFTWARE;
		} else if (app->verbose >= 0) {
			printf("job %lld queued again\n", id);
		}
		store_job_clear(&j);
		store_close(&st);
		return ret;
	}
	if (store_jobs_list(st, 0, &jobs, &n, &error) < 0) {
		log_error("%s", error);
		free(error);
		store_close(&st);
		return EX_SOFTWARE;
	}
	buf_init(&b, BUF_NO_LIMIT);
	if (csv) {
		static const char *const head[] = {
			"id", "case", "kind", "state", "due", "attempts", "rcpt", "last_error",
		};

		for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
			cmd_csv_field(&b, i == 0, head[i]);
		cmd_csv_end(&b);
		for (size_t i = 0; i < n; i++) {
			char due[CLOCK_ISO_LEN];

			clock_format_iso8601(jobs[i].due, due);
			cmd_csv_int(&b, true, jobs[i].id);
			cmd_csv_int(&b, false, jobs[i].case_id);
			cmd_csv_field(&b, false, job_kind_name(jobs[i].kind));
			cmd_csv_field(&b, false, job_state_name(jobs[i].state));
			cmd_csv_field(&b, false, due);
			cmd_csv_int(&b, false, jobs[i].attempts);
			cmd_csv_field(&b, false, jobs[i].rcpt);
			cmd_csv_field(&b, false, jobs[i].last_error);
			cmd_csv_end(&b);
		}
	} else if (app->json) {
		cmd_jobs_json(&b, jobs, n);
		buf_putc(&b, '\n');
	} else {
		buf_printf(&b, "%-6s %-6s %-11s %-10s %-20s %-8s %s\n", "ID", "CASE", "KIND",
			   "STATE", "DUE", "ATTEMPTS", "LAST ERROR");
		for (size_t i = 0; i < n; i++) {
			char due[CLOCK_ISO_LEN];

			clock_format_iso8601(jobs[i].due, due);
			buf_printf(&b, "%-6lld %-6lld %-11s %-10s %-20s %-8d %s\n", jobs[i].id,
				   jobs[i].case_id, job_kind_name(jobs[i].kind),
				   job_state_name(jobs[i].state), due,
				   jobs[i].attempts, jobs[i].last_error ? jobs[i].last_error : "");
		}
	}
	cmd_print(&b);
	store_jobs_free(&jobs, n);
	store_close(&st);
	return EX_OK;
}
