/*
 * imap_fetch - fetching new messages and marking them, part of the imap
 * module (imap.h: imap_fetch_new).
 *
 * A listing (UID FETCH n:* (UID RFC822.SIZE), filtered: it always returns
 * the highest UID; taken response by response), then, in slices of
 * IMAP_SLICE listed UIDs, bodies (always BODY.PEEK[]<0.max_size+1>, so no
 * literal may be larger) in answers of up to 1000 messages, one command
 * always in flight while the sink works (built from libetpan's public
 * pieces, since mailimap_uid_fetch waits), commits every batch and at the
 * end of each answer (no store transaction stays open across a network
 * wait), marks once per answer, and a repair pass for committed but
 * unmarked mail left by a crash.  Each listed UID has a state (enum
 * imap_state); last_uid only passes UIDs stored or proven gone.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "base/buf.h"
#include "base/xmem.h"
#include "net/imap.h"
#include "net/imap_guard.h"
#include "net/imap_int.h"

/* What is known about one listed UID. */
enum imap_state {
	IMAP_PENDING,             /* listed, not answered yet */
	IMAP_HANDED,              /* handed to the sink, not committed yet */
	IMAP_STORED,              /* committed */
	IMAP_MARKED,              /* committed and marked (or moved) */
	IMAP_MISSING,             /* not in the answer: gone, or held back? */
	IMAP_ABSENT,              /* no longer listed: expunged meanwhile */
	IMAP_UNDELIVERED,         /* still listed but not delivered */
};

struct imap_entry {
	uint32_t uid;
	uint32_t size;            /* RFC822.SIZE */
	enum imap_state state;
};

/* ------------------------------------------------------------------ */
/* fetch */

static int
imap_entry_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct imap_entry *)a)->uid;
	uint32_t y = ((const struct imap_entry *)b)->uid;

	return x < y ? -1 : x > y;
}

/* A UID set of exactly the UIDs of e[0..n) (sorted) that are in state
 * want, runs as ranges; *count_r gets their number.  NULL when out of
 * memory. */
static struct mailimap_set *
imap_uid_set(const struct imap_entry *e, size_t n, enum imap_state want,
	     size_t *count_r)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0;

	*count_r = 0;
	if (set == NULL)
		return NULL;
	while (i < n) {
		size_t j;

		if (e[i].state != want) {
			i++;
			continue;
		}
		j = i;
		while (j + 1 < n && e[j + 1].uid == e[j].uid + 1 &&
		       e[j + 1].state == want)
			j++;
		if (mailimap_set_add_interval(set, e[i].uid, e[j].uid) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
		*count_r += j - i + 1;
		i = j + 1;
	}
	return set;
}

/* UID and the first body section (or RFC822.SIZE) of one FETCH response.
 * *body_r is NULL for BODY[] NIL. */
static void
imap_msg_att_read(struct mailimap_msg_att *att, uint32_t *uid_r,
		  uint32_t *size_r, bool *has_size_r, const char **body_r,
		  size_t *len_r, bool *has_body_r)
{
	clistiter *it;

	*uid_r = 0;
	*has_size_r = *has_body_r = false;
	for (it = clist_begin(att->att_list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st == NULL)
			continue;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid_r = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size_r = st->att_data.att_rfc822_size;
			*has_size_r = true;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section != NULL) {
				*body_r = st->att_data.att_body_section->sec_body_part;
				*len_r = st->att_data.att_body_section->sec_length;
				if (*body_r == NULL)
					*len_r = 0;
				*has_body_r = true;
			}
			break;
		default:
			break;
		}
	}
}

/* The listing being received: FETCH responses one at a time. */
struct imap_listing {
	uint32_t lo;
	struct imap_entry *list;  /* owned */
	size_t n, cap;
};

static void
imap_on_listed(struct mailimap_msg_att *att, void *ctx)
{
	struct imap_listing *l = ctx;
	uint32_t uid, size = 0;
	bool has_size, has_body;
	const char *body;
	size_t len;

	imap_msg_att_read(att, &uid, &size, &has_size, &body, &len, &has_body);
	/* "n:*" always returns the highest UID, even below n. */
	if (uid < l->lo)
		return;
	l->list = xgrow(l->list, &l->cap, l->n + 1, sizeof(*l->list));
	memset(&l->list[l->n], 0, sizeof(l->list[l->n]));
	l->list[l->n].uid = uid;
	l->list[l->n].size = has_size ? size : 0;
	l->list[l->n].state = IMAP_PENDING;
	l->n++;
}

/* Asks libetpan for the handler path (it takes it only when a progress
 * callback is set). */
static void
imap_on_progress(size_t current, size_t maximum, void *ctx)
{
	(void)current;
	(void)maximum;
	(void)ctx;
}

/*
 * The listing of UIDs lo:* with their sizes, sorted, unique.  Its FETCH
 * responses are taken one by one as libetpan parses them, so that only
 * their text is held until the answer ends (a listing may be long).
 */
static int
imap_list(struct imap_session *s, uint32_t lo, struct imap_entry **list_r,
	  size_t *n_r, char **error_r, bool *temporary_r)
{
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	struct imap_listing l;
	clist *result = NULL;
	size_t i, w;
	int r;

	*list_r = NULL;
	*n_r = 0;
	memset(&l, 0, sizeof(l));
	l.lo = lo;
	set = mailimap_set_new_interval(lo, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (set == NULL || ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_rfc822_size()) != MAILIMAP_NO_ERROR) {
		if (set != NULL)
			mailimap_set_free(set);
		if (ft != NULL)
			mailimap_fetch_type_free(ft);
		*error_r = xstrdup("out of memory building UID FETCH");
		*temporary_r = true;
		return -1;
	}
	imap_guard_arm(s->guard, (double)s->timeout * IMAP_MAILBOX_FACTOR,
		       IMAP_SMALL_LITERAL, IMAP_SMALL_LITERALS, IMAP_LISTING_MAX);
	mailimap_set_msg_att_handler(s->imap, imap_on_listed, &l);
	mailimap_set_progress_callback(s->imap, NULL, imap_on_progress, &l);
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_set_progress_callback(s->imap, NULL, NULL, NULL);
	mailimap_set_msg_att_handler(s->imap, NULL, NULL);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		free(l.list);
		imap_fail(s, r, "UID FETCH (listing new mail)", error_r, temporary_r);
		/* A NO here is the server's trouble, not the mail's: retry. */
		*temporary_r = true;
		return -1;
	}
	if (result != NULL)
		mailimap_fetch_list_free(result);
	if (l.n > 1)
		qsort(l.list, l.n, sizeof(*l.list), imap_entry_cmp);
	/* unsolicited responses may repeat a UID */
	for (i = 0, w = 0; i < l.n; i++)
		if (w == 0 || l.list[w - 1].uid != l.list[i].uid)
			l.list[w++] = l.list[i];
	*list_r = l.list;
	*n_r = w;
	return 0;
}

static struct imap_entry *
imap_find(struct imap_entry *e, size_t n, uint32_t uid)
{
	struct imap_entry key;

	memset(&key, 0, sizeof(key));
	key.uid = uid;
	return bsearch(&key, e, n, sizeof(*e), imap_entry_cmp);
}

/* One run of imap_fetch_new: one slice of the listing at a time, and how
 * far last_uid may go. */
struct imap_run {
	struct imap_session *s;
	const struct imap_sink *sink;
	struct imap_entry *list;  /* the slice's UIDs, sorted */
	size_t n;
	size_t handed;            /* entries in state HANDED */
	size_t safe_idx;          /* list[0..safe_idx) are stored or gone */
	uint32_t safe;            /* the last_uid that may be recorded */
	uint32_t recorded;        /* the last_uid the sink last recorded */
	bool stuck;               /* a UID was listed and not delivered */
	size_t *fetched;
	double started;
};

/*
 * How far last_uid may go: over the entries stored (or being stored by
 * the commit about to happen) or proven gone, in UID order, never past one
 * still pending, missing or undelivered.
 */
static void
imap_safe_advance(struct imap_run *run)
{
	while (!run->stuck && run->safe_idx < run->n) {
		enum imap_state st = run->list[run->safe_idx].state;

		if (st == IMAP_UNDELIVERED)
			run->stuck = true;
		if (st != IMAP_HANDED && st != IMAP_STORED && st != IMAP_MARKED &&
		    st != IMAP_ABSENT)
			break;
		run->safe = run->list[run->safe_idx++].uid;
	}
}

/* Commits what the sink took and records how far last_uid may go. */
static int
imap_commit(struct imap_run *run, char **error_r, bool *temporary_r)
{
	size_t i;

	imap_safe_advance(run);
	if (run->handed == 0 && run->safe == run->recorded)
		return 0;
	if (run->sink->commit(run->sink->ctx, run->s->uidvalidity, run->safe,
			      error_r, temporary_r) < 0)
		return -1;
	run->recorded = run->safe;
	for (i = 0; i < run->n && run->handed > 0; i++)
		if (run->list[i].state == IMAP_HANDED) {
			run->list[i].state = IMAP_STORED;
			run->handed--;
		}
	return 0;
}

static int
imap_hand_over(struct imap_run *run, struct imap_entry *e, const char *body,
	       size_t len, const char *hold, char **error_r, bool *temporary_r)
{
	e->state = IMAP_HANDED;
	run->handed++;
	if (run->sink->message(run->sink->ctx, run->s->uidvalidity, e->uid,
			       body, len, hold, error_r, temporary_r) < 0)
		return -1;
	(*run->fetched)++;
	if (run->handed >= run->s->batch)
		return imap_commit(run, error_r, temporary_r);
	return 0;
}

/* The answer to one UID FETCH being handed over. */
struct imap_chunk {
	struct imap_run *run;
	struct imap_entry *e;     /* the chunk: run->list[first..first+n) */
	size_t n;
	bool failed;
	char *error;
	bool temporary;
};

/* One FETCH response of the answer, in the order the server sent it. */
static void
imap_on_msg_att(struct mailimap_msg_att *att, struct imap_chunk *c)
{
	uint32_t uid, size;
	bool has_size, has_body;
	const char *body = NULL;
	size_t len = 0;
	struct imap_entry *hit;

	if (c->failed)
		return;
	imap_msg_att_read(att, &uid, &size, &has_size, &body, &len, &has_body);
	hit = imap_find(c->e, c->n, uid);
	/* Flag updates from other clients arrive as FETCH responses too. */
	if (hit == NULL || !has_body || hit->state != IMAP_PENDING)
		return;
	if (imap_hand_over(c->run, hit, body != NULL ? body : "", len,
			   body == NULL ? "the IMAP server sent no body for it "
			   "(BODY[] NIL)" : NULL, &c->error, &c->temporary) < 0)
		c->failed = true;
}

/* Bytes of bodies to expect for e[0..n): the listed sizes, each at most
 * what a partial fetch can bring. */
static uint64_t
imap_expect(const struct imap_session *s, const struct imap_entry *e, size_t n)
{
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bytes += e[i].size > s->max_size ? s->max_size + 1 : e[i].size;
	return bytes;
}

/*
 * Sends UID FETCH for e[0..n) without waiting for the answer, so that the
 * server works on the next chunk while the sink stores this one (what
 * mbsync gains by pipelining).  libetpan has no call for that, but its
 * public pieces do: mailimap_send_current_tag, then the command through
 * mailstream_write, later mailimap_read_line + mailimap_parse_response.
 * Only one command is ever outstanding.  Every body is a partial fetch of
 * max_size + 1 bytes: a server that keeps to the protocol never sends a
 * literal larger than that, so the guard may refuse one.
 */
static int
imap_fetch_send(struct imap_session *s, const struct imap_entry *e, size_t n,
		char **error_r, bool *temporary_r)
{
	struct buf b;
	size_t i = 0;
	int r;

	buf_init(&b, BUF_NO_LIMIT);
	(void)buf_puts(&b, "UID FETCH ");
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && e[j + 1].uid == e[j].uid + 1)
			j++;
		if (i > 0)
			(void)buf_putc(&b, ',');
		if (j == i)
			(void)buf_printf(&b, "%" PRIu32, e[i].uid);
		else
			(void)buf_printf(&b, "%" PRIu32 ":%" PRIu32, e[i].uid, e[j].uid);
		i = j + 1;
	}
	(void)buf_printf(&b, " (UID BODY.PEEK[]<0.%zu>)\r\n", s->max_size + 1);
	imap_arm(s, IMAP_X_SHORT);
	r = mailimap_send_current_tag(s->imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(s->imap->imap_stream, b.data, b.len) != (ssize_t)b.len ||
	     mailstream_flush(s->imap->imap_stream) == -1))
		r = MAILIMAP_ERROR_STREAM;
	buf_free(&b);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		return -1;
	}
	return 0;
}

/*
 * Reads the answer to the UID FETCH just sent, which carries about bytes
 * of bodies: MAILIMAP_NO_ERROR, or MAILIMAP_ERROR_UID_FETCH for NO (*bad_r
 * false) or BAD (true), with *result_r (the caller frees it; may be NULL;
 * a NO may come with the messages the server could deliver), else a
 * stream-level code.
 */
static int
imap_fetch_recv(struct imap_session *s, uint64_t bytes, clist **result_r,
		bool *bad_r)
{
	struct mailimap_response *response = NULL;
	struct mailimap_response_done *done;
	clist *list = NULL;
	int r, code = -1;

	*result_r = NULL;
	*bad_r = false;
	imap_arm_bodies(s, bytes);
	if (mailimap_read_line(s->imap) == NULL)
		return MAILIMAP_ERROR_STREAM;
	r = mailimap_parse_response(s->imap, &response);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	if (s->imap->imap_response_info != NULL) {
		list = s->imap->imap_response_info->rsp_fetch_list;
		s->imap->imap_response_info->rsp_fetch_list = NULL;
	}
	done = response->rsp_resp_done;
	if (done != NULL && done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
	    done->rsp_data.rsp_tagged != NULL &&
	    done->rsp_data.rsp_tagged->rsp_cond_state != NULL)
		code = done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	*result_r = list;
	if (code == MAILIMAP_RESP_COND_STATE_OK)
		return MAILIMAP_NO_ERROR;
	if (code == -1) {
		if (list != NULL)
			mailimap_fetch_list_free(list);
		*result_r = NULL;
		return MAILIMAP_ERROR_PARSE;
	}
	*bad_r = code == MAILIMAP_RESP_COND_STATE_BAD;
	return MAILIMAP_ERROR_UID_FETCH;
}

/*
 * A NO to a body fetch that says "later" (RFC 5530): the message stays
 * unmarked and last_uid below it, and the round fails (temporary).  Any
 * other NO is about the message, and asking again will not help.
 */
static bool
imap_refusal_is_transient(const struct imap_session *s)
{
	return imap_server_code_is(s, "UNAVAILABLE") ||
	       imap_server_code_is(s, "INUSE") ||
	       imap_server_code_is(s, "LIMIT");
}

static int imap_fetch_chunk(struct imap_run *run, size_t first, size_t n,
			    char **error_r, bool *temporary_r);

/*
 * Hands over the answer (r, bad, result) to the UID FETCH of
 * list[first..first+n) and commits; frees result.  A NO for several
 * messages is retried one by one (synchronously: nothing may be
 * outstanding then); a NO for one message hands it over to be held with
 * the server's words, so that it does not block every later one - unless
 * it says the message was expunged ([EXPUNGEISSUED]) or will be there
 * later ([UNAVAILABLE], ...).  A message missing from the answer is
 * MISSING until imap_verify finds out whether it is gone.
 */
static int
imap_chunk_take(struct imap_run *run, size_t first, size_t n, int r, bool bad,
		clist *result, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	struct imap_chunk c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.run = run;
	c.e = &run->list[first];
	c.n = n;
	if (result != NULL) {
		clistiter *it;

		for (it = clist_begin(result); it != NULL; it = clist_next(it))
			imap_on_msg_att(clist_content(it), &c);
		mailimap_fetch_list_free(result);
	}
	if (c.failed) {
		*error_r = c.error;
		*temporary_r = c.temporary;
		return -1;
	}
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_UID_FETCH) {
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		*temporary_r = true;
		return -1;
	}
	if (r == MAILIMAP_ERROR_UID_FETCH &&
	    (bad || imap_refusal_is_transient(s))) {
		/* Keep what came; the rest waits for the next round. */
		if (imap_commit(run, error_r, temporary_r) < 0)
			return -1;
		imap_fail(s, r, "UID FETCH", error_r, temporary_r);
		*temporary_r = true;
		return -1;
	}
	if (r == MAILIMAP_ERROR_UID_FETCH) {
		bool expunged = imap_server_code_is(s, "EXPUNGEISSUED");

		/* No network wait with a transaction open. */
		if (n > 1 && imap_commit(run, error_r, temporary_r) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			char *why;
			int rc;

			if (c.e[i].state != IMAP_PENDING)
				continue;
			if (n > 1) {
				if (imap_fetch_chunk(run, first + i, 1, error_r,
						     temporary_r) < 0)
					return -1;
				continue;
			}
			if (expunged)
				continue;
			why = xasprintf("the IMAP server refused to deliver it: "
					"NO %s", imap_server_text(s));
			rc = imap_hand_over(run, &c.e[i], "", 0, why, error_r,
					    temporary_r);
			free(why);
			if (rc < 0)
				return -1;
		}
	}
	for (i = 0; i < n; i++)
		if (c.e[i].state == IMAP_PENDING)
			c.e[i].state = IMAP_MISSING;
	return imap_commit(run, error_r, temporary_r);
}

/* Fetches and hands over list[first..first+n), without pipelining. */
static int
imap_fetch_chunk(struct imap_run *run, size_t first, size_t n,
		 char **error_r, bool *temporary_r)
{
	clist *result = NULL;
	bool bad;
	int r;

	if (imap_fetch_send(run->s, &run->list[first], n, error_r,
			    temporary_r) < 0)
		return -1;
	r = imap_fetch_recv(run->s, imap_expect(run->s, &run->list[first], n),
			    &result, &bad);
	return imap_chunk_take(run, first, n, r, bad, result, error_r,
			       temporary_r);
}

/*
 * Where the UID FETCH starting at list[j] ends: up to IMAP_CHUNK_MSGS
 * messages or IMAP_CHUNK_BYTES by the listed sizes, across batch
 * boundaries (round trips, not bytes, are what costs).
 */
static size_t
imap_chunk_end(const struct imap_run *run, size_t j)
{
	size_t k = j;
	uint64_t bytes = 0;

	while (k < run->n && k - j < IMAP_CHUNK_MSGS) {
		uint64_t b = imap_expect(run->s, &run->list[k], 1);

		if (k > j && bytes + b > IMAP_CHUNK_BYTES)
			break;
		bytes += b;
		k++;
	}
	return k;
}

/* Marks or moves exactly the entries of e[0..n) in state STORED; they
 * become MARKED.  One command. */
static int
imap_mark_some(struct imap_session *s, struct imap_entry *e, size_t n,
	       char **error_r, bool *temporary_r)
{
	struct mailimap_set *set;
	struct mailimap_flag_list *flags;
	struct mailimap_store_att_flags *store;
	size_t count, i;
	int r;

	set = imap_uid_set(e, n, IMAP_STORED, &count);
	if (set == NULL)
		goto nomem;
	if (count == 0) {
		mailimap_set_free(set);
		return 0;
	}
	imap_arm(s, IMAP_X_MAILBOX);
	if (s->move_folder != NULL && s->has_move) {
		r = mailimap_uid_move(s->imap, set, s->move_folder);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "UID MOVE", error_r, temporary_r);
			return -1;
		}
		goto done;
	}
	if (s->move_folder != NULL) {
		r = mailimap_uid_copy(s->imap, set, s->move_folder);
		if (r != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			imap_fail(s, r, "UID COPY", error_r, temporary_r);
			return -1;
		}
	}
	flags = mailimap_flag_list_new_empty();
	if (flags == NULL) {
		mailimap_set_free(set);
		goto nomem;
	}
	if (s->move_folder != NULL) {
		if (mailimap_flag_list_add(flags, mailimap_flag_new_deleted()) !=
		    MAILIMAP_NO_ERROR)
			goto nomem_flags;
	} else {
		/* The constructor takes ownership: never pass a literal. */
		if (mailimap_flag_list_add(flags, mailimap_flag_new_seen()) !=
			    MAILIMAP_NO_ERROR ||
		    mailimap_flag_list_add(flags,
			    mailimap_flag_new_flag_keyword(xstrdup(s->keyword))) !=
			    MAILIMAP_NO_ERROR)
			goto nomem_flags;
	}
	store = mailimap_store_att_flags_new_add_flags_silent(flags);
	if (store == NULL)
		goto nomem_flags;
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_uid_store(s->imap, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		imap_fail(s, r, "UID STORE", error_r, temporary_r);
		return -1;
	}
	if (s->move_folder != NULL) {
		/* UID EXPUNGE (UIDPLUS): only our UIDs, never other clients'
		 * \Deleted mail. */
		imap_arm(s, IMAP_X_MAILBOX);
		r = mailimap_uid_expunge(s->imap, set);
		if (r != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			imap_fail(s, r, "UID EXPUNGE", error_r, temporary_r);
			return -1;
		}
	}
	mailimap_set_free(set);
done:
	for (i = 0; i < n; i++)
		if (e[i].state == IMAP_STORED)
			e[i].state = IMAP_MARKED;
	return 0;
nomem_flags:
	mailimap_flag_list_free(flags);
	mailimap_set_free(set);
nomem:
	*error_r = xstrdup("out of memory building UID STORE");
	*temporary_r = true;
	return -1;
}

/* Marks or moves the STORED entries of e[0..n), at most IMAP_CHUNK_MSGS
 * per command: the answer to a MOVE or EXPUNGE has a line per message. */
static int
imap_mark(struct imap_session *s, struct imap_entry *e, size_t n,
	  char **error_r, bool *temporary_r)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, stored = 0;

		while (j < n && stored < IMAP_CHUNK_MSGS)
			if (e[j++].state == IMAP_STORED)
				stored++;
		if (stored > 0 && imap_mark_some(s, e + i, j - i, error_r,
						 temporary_r) < 0)
			return -1;
		i = j;
	}
	return 0;
}

/*
 * A crash between a commit and its mark leaves committed messages (UID <=
 * last_uid) unmarked, and UID tracking would never look at them again:
 * find them (flag: without the keyword; move: still here) and finish the
 * job.
 */
static int
imap_repair(struct imap_session *s, uint32_t last_uid, char **error_r,
	    bool *temporary_r)
{
	struct mailimap_search_key *key, *uids;
	struct mailimap_set *set;
	struct imap_entry *list = NULL;
	clist *result = NULL;
	clistiter *it;
	size_t n = 0, cap = 0;
	int r, rc;

	if (last_uid == 0)
		return 0;
	set = mailimap_set_new_interval(1, last_uid);
	uids = set != NULL ? mailimap_search_key_new_uid(set) : NULL;
	if (uids == NULL) {
		if (set != NULL)
			mailimap_set_free(set);
		goto nomem;
	}
	if (s->move_folder != NULL) {
		key = uids;
	} else {
		struct mailimap_search_key *kw, *not;

		key = mailimap_search_key_new_multiple_empty();
		if (key == NULL) {
			mailimap_search_key_free(uids);
			goto nomem;
		}
		if (mailimap_search_key_multiple_add(key, uids) != MAILIMAP_NO_ERROR) {
			mailimap_search_key_free(uids);
			mailimap_search_key_free(key);
			goto nomem;
		}
		kw = mailimap_search_key_new_keyword(xstrdup(s->keyword));
		not = kw != NULL ? mailimap_search_key_new_not(kw) : NULL;
		if (not == NULL ||
		    mailimap_search_key_multiple_add(key, not) != MAILIMAP_NO_ERROR) {
			if (not != NULL)
				mailimap_search_key_free(not);
			else if (kw != NULL)
				mailimap_search_key_free(kw);
			mailimap_search_key_free(key);
			goto nomem;
		}
	}
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_uid_search(s->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(s, r, "UID SEARCH (unmarked committed mail)", error_r,
			  temporary_r);
		return -1;
	}
	for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
		uint32_t *uid = clist_content(it);

		if (uid == NULL || *uid == 0 || *uid > last_uid)
			continue;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		memset(&list[n], 0, sizeof(list[n]));
		list[n].uid = *uid;
		list[n++].state = IMAP_STORED;
	}
	mailimap_search_result_free(result);
	if (n > 1)
		qsort(list, n, sizeof(*list), imap_entry_cmp);
	rc = imap_mark(s, list, n, error_r, temporary_r);
	free(list);
	return rc;
nomem:
	*error_r = xstrdup("out of memory building UID SEARCH");
	*temporary_r = true;
	return -1;
}

/*
 * The UIDs the listing gave but the answers lacked: are they gone (the
 * server no longer lists them: ABSENT, last_uid may pass them) or held
 * back (UNDELIVERED: last_uid stays below, the next round asks again)?
 * At most IMAP_CHUNK_MSGS are asked about per slice; the rest count as
 * held back, which is safe.  Nothing may be outstanding.
 */
static int
imap_verify(struct imap_run *run, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	struct mailimap_set *set;
	struct mailimap_fetch_type *ft;
	struct imap_entry *ask = NULL;
	clist *result = NULL;
	size_t count, i, n = 0, cap = 0, held = 0;
	uint32_t first = 0;
	int r;

	for (i = 0; i < run->n && n < IMAP_CHUNK_MSGS; i++)
		if (run->list[i].state == IMAP_MISSING) {
			ask = xgrow(ask, &cap, n + 1, sizeof(*ask));
			ask[n++] = run->list[i];
		}
	if (n == 0)
		return 0;
	set = imap_uid_set(ask, n, IMAP_MISSING, &count);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (set == NULL || ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR) {
		if (ft != NULL)
			mailimap_fetch_type_free(ft);
		if (set != NULL)
			mailimap_set_free(set);
		free(ask);
		*error_r = xstrdup("out of memory building UID FETCH");
		*temporary_r = true;
		return -1;
	}
	imap_arm(s, IMAP_X_MAILBOX);
	r = mailimap_uid_fetch(s->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR && imap_is_stream_error(r)) {
		free(ask);
		imap_fail(s, r, "UID FETCH (messages not delivered)", error_r,
			  temporary_r);
		return -1;
	}
	/* Asked about and not listed again: gone.  On a NO (result already
	 * freed by libetpan) nothing is proven. */
	for (i = 0; i < n && r == MAILIMAP_NO_ERROR; i++) {
		struct imap_entry *e = imap_find(run->list, run->n, ask[i].uid);

		e->state = IMAP_ABSENT;
	}
	if (r == MAILIMAP_NO_ERROR) {
		clistiter *it;

		for (it = clist_begin(result); it != NULL; it = clist_next(it)) {
			uint32_t uid, size;
			bool has_size, has_body;
			const char *body;
			size_t len;
			struct imap_entry *hit;

			imap_msg_att_read(clist_content(it), &uid, &size, &has_size,
					  &body, &len, &has_body);
			hit = imap_find(run->list, run->n, uid);
			if (hit != NULL && hit->state == IMAP_ABSENT &&
			    imap_find(ask, n, uid) != NULL)
				hit->state = IMAP_UNDELIVERED;
		}
		mailimap_fetch_list_free(result);
	}
	free(ask);
	for (i = 0; i < run->n; i++) {
		struct imap_entry *e = &run->list[i];

		if (e->state == IMAP_MISSING)
			e->state = IMAP_UNDELIVERED;
		if (e->state == IMAP_UNDELIVERED && held++ == 0)
			first = e->uid;
	}
	if (held > 0 && run->sink->note != NULL) {
		char *text = xasprintf("%s: %zu listed message%s not delivered "
				       "(UID %" PRIu32 "%s); asked for again next "
				       "time, and the mailbox's last UID stays below",
				       s->mailbox, held, held == 1 ? " was" : "s were",
				       first, held == 1 ? "" : " first");

		run->sink->note(run->sink->ctx, text);
		free(text);
	}
	return 0;
}

static bool
imap_round_over(const struct imap_run *run)
{
	return imap_now() - run->started >= IMAP_ROUND_SECONDS;
}

/*
 * Fetches the bodies of the slice in run->list: pipelined (while the sink
 * takes chunk c, the UID FETCH for chunk c + 1 is already on its way), then
 * the missing ones verified, everything committed and marked.  0, 1 when
 * the round is over before the slice is, or -1.
 */
static int
imap_fetch_slice(struct imap_run *run, char **error_r, bool *temporary_r)
{
	struct imap_session *s = run->s;
	size_t j = 0, k = 0;
	bool more = false;
	int rc = 0;

	if (run->n > 0) {
		k = imap_chunk_end(run, 0);
		rc = imap_fetch_send(s, &run->list[0], k, error_r, temporary_r);
	}
	while (rc == 0 && j < run->n) {
		clist *result = NULL;
		size_t nk = 0;
		bool bad, ahead = false;
		int r = imap_fetch_recv(s, imap_expect(s, &run->list[j], k - j),
					&result, &bad);

		/* Nothing outstanding: what is committed gets marked. */
		if (r == MAILIMAP_NO_ERROR)
			rc = imap_mark(s, run->list, run->n, error_r, temporary_r);
		if (rc == 0 && r == MAILIMAP_NO_ERROR && k < run->n) {
			if (imap_round_over(run)) {
				more = true;
			} else {
				nk = imap_chunk_end(run, k);
				rc = imap_fetch_send(s, &run->list[k], nk - k,
						     error_r, temporary_r);
				ahead = rc == 0;
			}
		}
		if (rc < 0) {
			if (result != NULL)
				mailimap_fetch_list_free(result);
			break;
		}
		rc = imap_chunk_take(run, j, k - j, r, bad, result, error_r,
				     temporary_r);
		if (rc < 0) {
			/* An answer is still on its way: the session cannot
			 * be used for anything else now. */
			if (ahead)
				s->broken = true;
			break;
		}
		j = k;
		if (ahead) {
			k = nk;
		} else if (j < run->n && !more) {
			if (imap_round_over(run)) {
				more = true;
				break;
			}
			k = imap_chunk_end(run, j);
			rc = imap_fetch_send(s, &run->list[j], k - j, error_r,
					     temporary_r);
		} else {
			break;
		}
	}
	if (rc == 0)
		rc = imap_verify(run, error_r, temporary_r);
	if (rc == 0)
		rc = imap_commit(run, error_r, temporary_r);
	if (rc == 0)
		rc = imap_mark(s, run->list, run->n, error_r, temporary_r);
	/* The sink failed mid-chunk: what it did commit is still marked. */
	if (rc < 0 && !s->broken) {
		char *e2 = NULL;
		bool t2;

		if (imap_mark(s, run->list, run->n, &e2, &t2) < 0)
			free(e2);
	}
	if (rc < 0)
		return -1;
	return more ? 1 : 0;
}

int
imap_fetch_new(struct imap_session *s, uint32_t last_uid,
	       const struct imap_sink *sink, size_t *fetched_r,
	       char **error_r, bool *temporary_r)
{
	struct imap_run run;
	struct imap_entry *all = NULL;
	size_t total = 0, a;
	int rc = 0;

	*fetched_r = 0;
	*temporary_r = false;
	memset(&run, 0, sizeof(run));
	run.s = s;
	run.sink = sink;
	run.fetched = fetched_r;
	run.safe = run.recorded = last_uid;
	run.started = imap_now();
	if (imap_repair(s, last_uid, error_r, temporary_r) < 0)
		return -1;
	if (last_uid == UINT32_MAX)
		return 0;
	if (imap_list(s, last_uid + 1, &all, &total, error_r, temporary_r) < 0)
		return -1;
	/* Slice by slice; last_uid moves on only while every UID before is
	 * stored or gone (imap_safe_advance). */
	for (a = 0; a < total; a += run.n) {
		run.list = all + a;
		run.n = total - a < IMAP_SLICE ? total - a : IMAP_SLICE;
		run.safe_idx = 0;
		run.handed = 0;
		rc = imap_fetch_slice(&run, error_r, temporary_r);
		if (rc != 0)
			break;
		if (a + run.n < total && imap_round_over(&run)) {
			rc = 1;
			break;
		}
	}
	free(all);
	return rc;
}

