/*
 * NAME
 *	merge - one case made of two
 * DESCRIPTION
 *	See merge.h.  Refusing to merge into a merged case keeps the chains
 *	intake follows short (each merge adds at most one hop, and a case is
 *	merged once).
 */
#include "autoconfig.h"

#include <stdlib.h>

#include "base/xmem.h"
#include "case/merge.h"
#include "store/store.h"

int
merge_cases(struct store *st, long long into, long long from, const char *author,
	    time_t now, char **error_r)
{
	struct store_case ci, cf;
	char *why = NULL, *detail = NULL;
	long n_msgs = 0, n_jobs = 0;
	int r, ret = -1;

	store_case_init(&ci);
	store_case_init(&cf);
	if (into == from) {
		*error_r = xasprintf("case %lld cannot be merged into itself", into);
		return 0;
	}
	if ((r = store_case_get(st, into, &ci, error_r)) <= 0 ||
	    (r = store_case_get(st, from, &cf, error_r)) <= 0) {
		if (r == 0) {
			*error_r = xasprintf("no case %lld", ci.id == 0 ? into : from);
			ret = 0;
		}
		goto out;
	}
	if (cf.state == CASE_MERGED || ci.state == CASE_MERGED) {
		const struct store_case *m = cf.state == CASE_MERGED ? &cf : &ci;

		*error_r = xasprintf("case %lld was merged into case %lld already%s", m->id,
				     m->merged_into, m == &ci ? ": merge into that one" : "");
		ret = 0;
		goto out;
	}
	why = xasprintf("case %lld merged into case %lld", from, into);
	if (store_case_merge(st, into, from, why, &n_msgs, &n_jobs, error_r) < 0)
		goto out;
	if (case_state_is_open(cf.state))
		cf.last_active_state = cf.state;
	cf.state = CASE_MERGED;
	cf.merged_into = into;
	cf.paused_at = 0;
	cf.updated = now;
	ci.updated = now;
	detail = xasprintf("case %lld merged in (%ld message(s); %ld queued job(s) "
			   "stopped)", from, n_msgs, n_jobs);
	if (store_case_update(st, &cf, error_r) < 0 ||
	    store_case_update(st, &ci, error_r) < 0 ||
	    store_event_add_by(st, into, now, "merged", detail, author, error_r) < 0)
		goto out;
	free(detail);
	detail = xasprintf("into case %lld", into);
	if (store_event_add_by(st, from, now, "merged", detail, author, error_r) < 0)
		goto out;
	ret = 1;
out:
	free(why);
	free(detail);
	store_case_clear(&ci);
	store_case_clear(&cf);
	return ret;
}
