#!/bin/sh
# t_crash.sh - crash consistency: SIGKILL at random moments, then check.
#
# Three phases, each compared with a reference store made the same way
# without any kill (same messages, same --now), so that "the same" is exact:
#   ingest  CRASH_MESSAGES generated complaints (the contrib/samples with a
#           unique sender, Message-ID and X-Crash-Number each), in slices;
#           each slice is ingested by runs SIGKILLed after a random delay
#           until one finishes, then everything once more uninterrupted:
#           every message stored exactly once, the same cases and the same
#           jobs (every complaint has its ack) as the reference.
#   send    the acks and escalations that ingest queued, sent to smtp-sink
#           by runs SIGKILLed at random until nothing is left, then one
#           uninterrupted run: no job lost (job and case states as in the
#           reference), each job delivered under one Message-ID, and every
#           extra delivery within doc/design.md's bound: only of a job that
#           was "sending" (claimed, in the batch in hand) when a run was
#           killed, at most once per such kill.
#           The duplicates seen are reported (diag).
#   fetch   CRASH_FETCH_MESSAGES put into a throw-away Dovecot in rounds;
#           fetch SIGKILLed at random during each, then one uninterrupted
#           run: each message stored exactly once, all marked \Seen and with
#           the keyword, none left unseen, jobs as in the reference.
# After each phase the store passes PRAGMA integrity_check.
#
# Environment: CRASH_ITERATIONS (kills aimed at per phase, default 60),
# CRASH_MESSAGES (default 1000), CRASH_FETCH_MESSAGES (default 600),
# CRASH_BUDGET (seconds for each phase's kill loop, default 30),
# CRASH_SEED (the random delays; printed, so that a run can be repeated as
# far as timing allows), CRASH_KEEP=1 (keep the work directory).  Delays
# are scaled to timed reference runs, so that the kills land inside the
# work also when the binary is slower (sanitizers, a busy machine).  Send
# and fetch are skipped only when smtp-sink or Dovecot is not installed.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

ITER=${CRASH_ITERATIONS:-60}
NMSG=${CRASH_MESSAGES:-1000}
NFETCH=${CRASH_FETCH_MESSAGES:-600}
BUDGET=${CRASH_BUDGET:-30}
SEED=${CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
NOW_IN=2026-11-23T10:00:00Z
NOW_OUT=2026-11-23T10:00:30Z
S=$top_srcdir/contrib/samples

command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 command is not installed"
command -v timeout >/dev/null 2>&1 || skip_all "timeout(1) is not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/t_crash.XXXXXX")
chmod 0755 "$T"   # smtp-sink runs as nobody and writes its dumps below
WATCHDOG=
DOVECOT_UP=0
cleanup() {
	sink_stop_all
	[ "$DOVECOT_UP" = 1 ] && dovecot_stop
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	if [ -n "${CRASH_KEEP:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
if sink_available; then
	sink_init "$T/sinks"
fi
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 170 t_crash.sh

diag "seed $SEED; $ITER kills aimed at per phase; $NMSG messages, $NFETCH over IMAP"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# delay LO_MS HI_MS: the next duration from the seeded stream, in seconds
# (at least 1 ms: timeout(1) takes 0 as "no limit").
RN=0
delay() {
	RN=$((RN + 1))
	awk -v s="$SEED" -v k="$RN" -v lo="$1" -v hi="$2" 'BEGIN {
		srand(s); for (i = 0; i < k; i++) r = rand()
		d = lo + r * (hi - lo); if (d < 1) d = 1
		printf "%.3f\n", d / 1000 }'
}

# killrun SECONDS CMD...: CMD, SIGKILLed after SECONDS if still running;
# sets ST: 137 when the kill landed, 124 when the time ran out just as CMD
# ended by itself (a race: the outcome is unknown, the run is repeated).
# --foreground: timeout kills only CMD and reaps it, as a supervisor would.
killrun() {
	_kd=$1
	shift
	_k0=$(now_ms)
	env "$KILLABLE" timeout --foreground -s KILL "$_kd" "$@" >>"$T/runs.log" 2>&1
	ST=$?
	echo "== $ST after $(( $(now_ms) - _k0 )) ms (limit $_kd s): $*" >>"$T/runs.log"
}

# crashloop K LO_MS HI_MS CMD...: runs of CMD, each killed at a random
# moment, until one finishes (returns 0).  The k-th kill falls in the k-th
# of K equal parts of [LO_MS, HI_MS] (a sweep from the end of the start-up
# to past the expected end, so that the kills spread over the whole run
# whatever the timing noise); past HI_MS the parts go on, up to 2K runs or
# the phase's budget (returns 1).  After each kill, $AFTER_KILL is run.
# Counts into RUNS KILLS FINISHED RACED OTHER.
crashloop() {
	_ck=$1
	_clo=$2
	_chi=$3
	shift 3
	[ "$_chi" -gt "$_clo" ] || _chi=$((_clo + 1))
	_ci=0
	while [ $_ci -lt $((2 * _ck)) ] && [ $(( $(date +%s) - PHASE_START )) -lt "$BUDGET" ]; do
		RUNS=$((RUNS + 1))
		killrun "$(delay $((_clo + (_chi - _clo) * _ci / _ck)) \
			$((_clo + (_chi - _clo) * (_ci + 1) / _ck)))" "$@"
		_ci=$((_ci + 1))
		case $ST in
		137) KILLS=$((KILLS + 1)); [ -z "$AFTER_KILL" ] || eval "$AFTER_KILL" ;;
		124) RACED=$((RACED + 1)) ;;
		0) FINISHED=$((FINISHED + 1)); return 0 ;;
		*) OTHER=$((OTHER + 1)); diag "run $RUNS of $* exited $ST" ;;
		esac
	done
	return 1
}
phase() { # phase: zero the counters, start the budget clock
	RUNS=0 KILLS=0 FINISHED=0 RACED=0 OTHER=0 AFTER_KILL=
	PHASE_START=$(date +%s)
}

q() { # q DIR SQL: sqlite3 on DIR/redress.db (fails, creating nothing, while
	# there is no store yet: redress refuses an empty file at its path)
	[ -s "$1/redress.db" ] || return 1
	sqlite3 "$1/redress.db" "$2"
}

stored() { # stored DIR: how many messages DIR's store holds (0 without one)
	_sn=$(q "$1" "SELECT count(*) FROM messages WHERE direction = 'in'" 2>/dev/null)
	echo "${_sn:-0}"
}

integrity() { # integrity DIR PHASE
	is "$(q "$1" 'PRAGMA integrity_check' 2>&1)" ok "$2: the store passes PRAGMA integrity_check"
}

# Facts that must be the same in a store and its reference, each named by
# the source Message-ID (one message received per case here; the
# messages redress sent are kept on the case too, direction 'out').
CASES_SQL="SELECT m.message_id, c.state, c.category, c.priority, c.complaint
	FROM cases c JOIN messages m ON m.case_id = c.id AND m.direction = 'in' ORDER BY 1"
JOBS_SQL="SELECT m.message_id, j.kind, j.state, j.rcpt
	FROM jobs j JOIN messages m ON m.case_id = j.case_id AND m.direction = 'in'
	ORDER BY 1, 2, 3, 4"
same() { # same DIR REFDIR SQL DESC
	q "$1" "$3" >"$T/got.txt"
	q "$2" "$3" >"$T/want.txt"
	if [ -s "$T/want.txt" ] && cmp -s "$T/got.txt" "$T/want.txt"; then
		ok 0 "$4"
	else
		ok 1 "$4"
		diff "$T/want.txt" "$T/got.txt" | head -20 | sed 's/^/# /'
	fi
}

conf() { # conf DIR SINKPORT [LINE...]: a redress.conf in DIR
	_cd=$1
	_cp=$2
	shift 2
	mkdir -p "$_cd"
	{
		echo "[smtp]"
		echo "url = smtp://127.0.0.1:$_cp"
		echo "tls = none"
		echo "from = Customer Care <care@example.com>"
		echo "envelope_from = bounces@example.com"
		echo "escalate_to = Duty Manager <duty@example.com>"
		echo "timeout = 10"
		for _l in "$@"; do echo "$_l"; done
	} >"$_cd/redress.conf"
}

# The source messages: the samples in turn, each with its own sender,
# Message-ID and number, so that each is a new case of its own; cut into
# slices of about 200 (src/gK: one ingest transaction each), each a unit
# of new work for the kills.
SLICES=$((NMSG / 200))
[ $SLICES -ge 1 ] || SLICES=1
awk -v n="$NMSG" -v slices=$SLICES -v dir="$T/src" '
	FNR == 1 { ns++ }
	{ text[ns] = text[ns] $0 "\n" }
	END {
		for (i = 1; i <= n; i++) {
			g = int((i - 1) * slices / n) + 1
			if (!made[g]++)
				system("mkdir -p " dir "/g" g)
			f = dir "/g" g "/m" i ".eml"
			printf "Return-Path: <customer%d@example.net>\n", i > f
			printf "From: Customer %d <customer%d@example.net>\n", i, i > f
			printf "Message-ID: <crash-%d@redress.test>\nX-Crash-Number: %d\n", i, i > f
			nl = split(text[(i - 1) % ns + 1], line, "\n")
			hdr = 1
			skip = 0
			for (k = 1; k < nl; k++) {
				if (hdr && line[k] == "")
					hdr = 0
				if (hdr && line[k] ~ /^(From|Return-Path|Message-ID):/) {
					skip = 1
					continue
				}
				if (hdr && skip && line[k] ~ /^[ \t]/)
					continue
				skip = 0
				print line[k] > f
			}
			close(f)
		}
	}' "$S"/*.eml
i=1
while [ $i -le "$NMSG" ]; do echo "crash-$i@redress.test"; i=$((i + 1)); done | sort >"$T/ids.want"

if sink_available; then
	sink_start ref || exit 1
	REF_PORT=$SINK_PORT
	sink_start crash || exit 1
	CRASH_PORT=$SINK_PORT
else
	REF_PORT=9 CRASH_PORT=9   # never used: send is skipped
fi
conf "$T/ref" "$REF_PORT"
conf "$T/ing" "$CRASH_PORT"

# ---------------------------------------------------------------- ingest
# The reference takes the slices one by one, timed, and then each again
# (all duplicates: about the part of a run before any new work).
cd "$T/ref" || exit 1
g=1
while [ $g -le $SLICES ]; do
	t0=$(now_ms)
	"$REDRESS" --now "$NOW_IN" ingest "$T/src/g$g" >/dev/null 2>>"$T/runs.log" || break
	t1=$(now_ms)
	"$REDRESS" --now "$NOW_IN" ingest "$T/src/g$g" >/dev/null 2>>"$T/runs.log" || break
	t2=$(now_ms)
	echo "$((t1 - t0 + 1)) $((t2 - t1 + 1))" >"$T/ref.g$g"
	g=$((g + 1))
done
is "$g" $((SLICES + 1)) "reference: ingest of $SLICES slices exits 0"
is "$(q "$T/ref" "SELECT count(*) FROM messages WHERE direction = 'in'")" "$NMSG" "reference: $NMSG messages stored"
diag "reference ingest, ms per slice (new, again): $(cat "$T"/ref.g* | tr '\n' ' ')"

# Each slice: runs killed from the end of the start-up to a little past
# the reference's time, until one finishes.  A kill after which the
# slice is stored fell between the commit and the exit.
cd "$T/ing" || exit 1
phase
AFTER_KILL='[ "$(stored "$T/ing")" -gt "$before" ] && late=$((late + 1))'
late=0
g=1
while [ $g -le $SLICES ]; do
	read -r tnew tdup <"$T/ref.g$g"
	before=$(stored "$T/ing")
	crashloop $(( (ITER + SLICES - 1) / SLICES )) $((tdup * 8 / 10)) $((tnew * 13 / 10)) \
		"$REDRESS" --now "$NOW_IN" ingest "$T/src/g$g"
	g=$((g + 1))
done
diag "ingest: $RUNS runs over $SLICES slices: $KILLS SIGKILLed ($late after the commit), $FINISHED finished, $RACED raced; $(stored "$T/ing") of $NMSG stored before the last run"
is "$OTHER" 0 "ingest: each run was killed or finished (no other exit)"
ok $([ "$KILLS" -gt 0 ]; echo $?) "ingest: the kills landed ($KILLS)"
"$REDRESS" --now "$NOW_IN" ingest "$T/src"/g* >/dev/null 2>>"$T/runs.log"
is "$?" 0 "ingest: the last, uninterrupted run exits 0"
integrity "$T/ing" ingest
is "$(q "$T/ing" "SELECT count(*), count(DISTINCT fingerprint), count(DISTINCT message_id) FROM messages WHERE direction = 'in'")" \
   "$NMSG|$NMSG|$NMSG" "ingest: $NMSG messages, each stored exactly once"
q "$T/ing" "SELECT message_id FROM messages WHERE direction = 'in'" | sort >"$T/ids.got"
cmp -s "$T/ids.got" "$T/ids.want"; ok $? "ingest: the stored Message-IDs are exactly the source's"
is "$(q "$T/ing" 'SELECT count(*) FROM cases')" "$(q "$T/ref" 'SELECT count(*) FROM cases')" \
   "ingest: as many cases as the reference"
same "$T/ing" "$T/ref" "$CASES_SQL" "ingest: every case as in the reference (state, category, priority)"
same "$T/ing" "$T/ref" "$JOBS_SQL" "ingest: every case has the reference's jobs (acks, follow-ups, escalations)"
is "$(q "$T/ing" "SELECT count(*) FROM cases c WHERE c.complaint = 1 AND NOT EXISTS
	(SELECT 1 FROM jobs j WHERE j.case_id = c.id AND j.kind IN ('ack', 'ack-plain'))")" 0 \
   "ingest: no complaint case without its ack job"

# ---------------------------------------------------------------- send
DUE="due <= strftime('%s', '$NOW_OUT')"
if ! sink_available; then
	skip 1 "send: smtp-sink is not installed (apt-get install postfix)"
else
	cd "$T/ref" || exit 1
	t0=$(now_ms)
	"$REDRESS" --now "$NOW_OUT" send --once >/dev/null 2>>"$T/runs.log"
	is "$?" 0 "reference: send --once exits 0"
	t1=$(now_ms)
	"$REDRESS" --now "$NOW_OUT" send --once >/dev/null 2>>"$T/runs.log"
	t2=$(now_ms)
	REF_SEND=$((t1 - t0 + 1)) REF_IDLE=$((t2 - t1 + 1))
	JOBS=$(q "$T/ref" "SELECT count(*) FROM jobs WHERE state = 'sent'")
	is "$(sink_count ref)" "$JOBS" "reference: smtp-sink has one message per sent job"
	diag "reference send of $JOBS jobs: $REF_SEND ms; a run with nothing to send: $REF_IDLE ms"

	# Each run is killed after the start-up plus up to the time of a
	# ITER-th of the queue: ITER kills or more empty it.  The jobs left
	# "sending" by a kill (the batch in hand) are the only ones that may
	# go out twice.
	cd "$T/ing" || exit 1
	phase
	AFTER_KILL='q "$T/ing" "SELECT id FROM jobs WHERE state = '"'sending'"'" >>"$T/inflight"'
	: >"$T/inflight"
	while [ "$(q "$T/ing" "SELECT count(*) FROM jobs WHERE state IN ('queued', 'sending') AND $DUE")" -gt 0 ] &&
	      [ "$RUNS" -lt $((3 * ITER)) ]; do
		crashloop 1 $((REF_IDLE * 8 / 10)) $((REF_IDLE + (REF_SEND - REF_IDLE) / ITER + 2)) \
			"$REDRESS" --now "$NOW_OUT" send --once || true
		[ $(( $(date +%s) - PHASE_START )) -lt "$BUDGET" ] || break
	done
	inhand=$(wc -l <"$T/inflight")
	left=$(q "$T/ing" "SELECT count(*) FROM jobs WHERE state IN ('queued', 'sending') AND $DUE")
	diag "send: $RUNS runs: $KILLS SIGKILLed ($inhand jobs in hand at them), $FINISHED finished, $RACED raced; $left jobs left for the last run"
	is "$OTHER" 0 "send: each run was killed or finished (none refused: a dead sender's lock is taken over)"
	ok $([ "$KILLS" -gt 0 ]; echo $?) "send: the kills landed ($KILLS)"
	"$REDRESS" --now "$NOW_OUT" send --once >/dev/null 2>>"$T/runs.log"
	is "$?" 0 "send: the last, uninterrupted run exits 0"
	integrity "$T/ing" send
	is "$(q "$T/ing" "SELECT count(*) FROM jobs WHERE state IN ('queued', 'sending', 'failed') AND $DUE")" 0 \
	   "send: no due job left queued, in hand or failed"
	same "$T/ing" "$T/ref" "$JOBS_SQL" "send: every job ends as in the reference (no ack lost)"
	same "$T/ing" "$T/ref" "$CASES_SQL" "send: every case ends as in the reference (acknowledged)"
	# Each message sent is kept on its case once, however often a kill made
	# it go again.
	is "$(q "$T/ing" "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE direction = 'out'")" \
	   "$(q "$T/ing" "SELECT count(*), count(*) FROM jobs WHERE state = 'sent'")" \
	   "send: each sent job's message kept on its case, once"

	# What smtp-sink received, by Message-ID (it dumps a message when the
	# final dot arrives, so one killed before the reply counts too).
	sink_dumps crash | while read -r d; do sed -n 's/^Message-ID: //p' "$d" | head -1; done |
		sort | uniq -c | awk '{ print $2, $1 }' >"$T/delivered"
	q "$T/ing" "SELECT '<' || msgid || '>', id FROM jobs WHERE state = 'sent' ORDER BY 1" |
		tr '|' ' ' >"$T/sentjobs"
	delivered=$(sink_count crash)
	distinct=$(wc -l <"$T/delivered")
	sent=$(wc -l <"$T/sentjobs")
	dups=$((delivered - distinct))
	is "$sent" "$JOBS" "send: as many jobs sent as in the reference"
	is "$distinct" "$sent" "send: one Message-ID at smtp-sink per sent job (a job sent again keeps its Message-ID)"
	cut -d' ' -f1 "$T/sentjobs" >"$T/a"
	cut -d' ' -f1 "$T/delivered" >"$T/b"
	cmp -s "$T/a" "$T/b"; ok $? "send: every sent job's Message-ID reached smtp-sink"
	# The bound: a job delivered k times was in hand at k - 1 kills or more.
	over=$(awk '
		FILENAME == ARGV[1] { inflight[$1]++; next }
		FILENAME == ARGV[2] { job[$1] = $2; next }
		$2 > 1 && $2 - 1 > inflight[job[$1]] + 0 { over++ }
		END { print over + 0 }' "$T/inflight" "$T/sentjobs" "$T/delivered")
	is "$over" 0 "send: a job goes out twice only after a kill with it in hand"
	ok $([ "$dups" -le "$inhand" ]; echo $?) "send: $dups duplicate deliveries, within the bound of one per job in hand at a kill ($inhand)"
	diag "send: $delivered deliveries of $sent jobs: $dups duplicate(s) after $KILLS kills ($inhand jobs in hand at them)"

	# Two senders at once: "redress run" holds the "send" lock while its
	# round has a job in hand (smtp-sink waits before answering DATA), so
	# "send --once" stays out instead of taking the job back and sending
	# it a second time.  "redress run" cannot take --now (a daemon's clock
	# moves), so this part runs every command at the real time: the ack is
	# due at once, and nothing else (follow-up, breach) is.
	sink_start slow -w 3 || exit 1
	conf "$T/two" "$(sink_port slow)"
	cd "$T/two" || exit 1
	"$REDRESS" ingest "$S/01-refund.eml" >/dev/null 2>>"$T/runs.log"
	"$REDRESS" run >>"$T/runs.log" 2>&1 &
	runpid=$!
	i=0
	while [ "$(q "$T/two" "SELECT count(*) FROM jobs WHERE state = 'sending'" 2>/dev/null)" != 1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$REDRESS" send --once >>"$T/runs.log" 2>&1
	is "$?" 75 "two senders: send --once stays out while run has a job in hand (exit 75)"
	i=0
	while [ "$(q "$T/two" "SELECT count(*) FROM jobs WHERE state = 'sent'")" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM $runpid 2>/dev/null
	i=0
	while kill -0 $runpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL $runpid 2>/dev/null
	wait $runpid
	is "$(sink_count slow)" 1 "two senders: the ack went out once"
	sink_stop slow
fi

# ---------------------------------------------------------------- fetch
if ! dovecot_available || [ "$(id -u)" != 0 ]; then
	skip 1 "fetch: Dovecot is not installed (apt-get install dovecot-imapd), or not root"
elif ! dovecot_start "$T/dovecot" >"$T/dovecot.err" 2>&1; then
	ok 1 "fetch: Dovecot starts"
	sed 's/^/# /' "$T/dovecot.err"
else
	DOVECOT_UP=1
	imapconf() { # imapconf DIR MAILBOX
		conf "$1" "$CRASH_PORT" "[imap]" "url = imap://127.0.0.1:$DOVECOT_PORT/$2" \
			"tls = none" "user = $DOVECOT_USER" "password_file = $DOVECOT_PASSFILE" \
			"timeout = 10" "batch = 25"
	}
	imapconf "$T/fref" Ref
	imapconf "$T/fetch" INBOX
	dovecot_append "$NFETCH" Ref
	cd "$T/fref" || exit 1
	t0=$(now_ms)
	"$REDRESS" --now "$NOW_IN" fetch --once >/dev/null 2>>"$T/runs.log"
	is "$?" 0 "reference: fetch --once exits 0"
	t1=$(now_ms)
	"$REDRESS" --now "$NOW_IN" fetch --once >/dev/null 2>>"$T/runs.log"
	t2=$(now_ms)
	REF_FETCH=$((t1 - t0 + 1)) REF_FIDLE=$((t2 - t1 + 1))
	is "$(q "$T/fref" "SELECT count(*) FROM messages WHERE direction = 'in'")" "$NFETCH" "reference: $NFETCH messages fetched"
	diag "reference fetch of $NFETCH messages: $REF_FETCH ms; with nothing new: $REF_FIDLE ms"

	# Rounds of about 200 new messages; in each, fetch is killed until a
	# run finishes.  A kill that leaves stored mail unmarked fell between
	# a commit and the marking: the next run's repair pass must mark it.
	ROUNDS=$((NFETCH / 200))
	[ $ROUNDS -ge 1 ] || ROUNDS=1
	[ $ROUNDS -le "$NFETCH" ] || ROUNDS=$NFETCH
	cd "$T/fetch" || exit 1
	phase
	AFTER_KILL='[ "$(stored "$T/fetch")" -gt "$(dovecot_count INBOX SEEN)" ] && late=$((late + 1))'
	late=0
	first=1
	r=1
	while [ $r -le $ROUNDS ]; do
		last=$(( r * NFETCH / ROUNDS ))
		m=$((last - first + 1))
		dovecot_append "$m" INBOX "$first"
		crashloop $(( (ITER + ROUNDS - 1) / ROUNDS )) $((REF_FIDLE * 8 / 10)) \
			$(( (REF_FIDLE + (REF_FETCH - REF_FIDLE) * m / NFETCH) * 13 / 10 + 2)) \
			"$REDRESS" --now "$NOW_IN" fetch --once
		first=$((last + 1))
		r=$((r + 1))
	done
	diag "fetch: $RUNS runs over $ROUNDS rounds: $KILLS SIGKILLed ($late between commit and marking), $FINISHED finished, $RACED raced; $(stored "$T/fetch") of $NFETCH stored before the last run"
	is "$OTHER" 0 "fetch: each run was killed or finished (none refused: a dead fetcher's lock is taken over)"
	ok $([ "$KILLS" -gt 0 ]; echo $?) "fetch: the kills landed ($KILLS)"
	"$REDRESS" --now "$NOW_IN" fetch --once >/dev/null 2>>"$T/runs.log"
	is "$?" 0 "fetch: the last, uninterrupted run exits 0"
	integrity "$T/fetch" fetch
	is "$(q "$T/fetch" "SELECT count(*), count(DISTINCT fingerprint), count(DISTINCT message_id) FROM messages WHERE direction = 'in'")" \
	   "$NFETCH|$NFETCH|$NFETCH" "fetch: $NFETCH messages, each stored exactly once"
	same "$T/fetch" "$T/fref" "$JOBS_SQL" "fetch: every case has the reference's jobs"
	is "$(dovecot_count INBOX SEEN KEYWORD redress)" "$NFETCH" "fetch: all $NFETCH marked \\Seen and redress on the server"
	is "$(dovecot_count INBOX UNSEEN)" 0 "fetch: none left unseen"
fi

if [ "$TAP_FAILED" != 0 ]; then
	diag "last runs:"
	tail -20 "$T/runs.log" | sed 's/^/# /'
fi
done_testing
