#!/bin/sh
# soak.sh [N] - "redress run" for a long time against a real Dovecot (IMAP,
# IDLE) and Postfix's smtp-sink: memory must stay flat and nothing may be
# lost, doubled or leaked.  N messages (default 100000; make check runs it
# as tests/t_soak.sh with N = 2000).
#
# What it does (as root, everything on 127.0.0.1, in a temporary directory):
#   1. a throw-away Dovecot (tests/lib/dovecot.sh, no TLS) and an smtp-sink;
#   2. puts the first 1,000 complaints in the INBOX, starts "redress run",
#      waits until all 1,000 are stored and acknowledged (their acks sent)
#      and reads the process's RSS (VmRSS in /proc/PID/status): RSS@1000;
#   3. delivers the other N - 1,000 in waves of SOAK_WAVE straight into the
#      maildir while run is running (IDLE notices them, run fetches in
#      batches and sends every 30 s), at most two waves ahead of what run
#      has stored, sampling RSS after every wave;
#   4. waits until all N are stored and all N acks sent, reads RSS again
#      (RSS@end) and the peak (VmHWM), stops run with SIGTERM;
#   5. checks: N messages stored, each once; N cases; N acks sent, none
#      queued or failed; with SOAK_CAPTURE=1 the sink got N messages with N
#      distinct Message-IDs; run exited 0 on SIGTERM; the store is intact;
#      RSS@end <= RSS@1000 * (1 + SOAK_GROWTH/100) + SOAK_SLACK_KB
#      (default 10 % and no slack; the short form allows 2048 kB because
#      at 2,000 messages SQLite's page cache, up to 2 MB, is still filling);
#   6. SOAK_VALGRIND=M (default 1000; 0: skip) runs "redress run" under
#      valgrind --leak-check=full on a fresh store and mailbox of M messages
#      until all are acknowledged, stops it with SIGTERM, and requires no
#      errors and no definite leaks (--error-exitcode=99).  Skipped when
#      valgrind is missing or the binary is built with AddressSanitizer
#      (which also makes the RSS bound meaningless: it is then reported,
#      not checked; LeakSanitizer checks leaks at exit instead).
# Output is TAP with the figures as comments: messages, seconds from start
# to the last ack, messages/s, RSS@1000, RSS@end, peak, and valgrind's
# summary.  SOAK_SAMPLES=FILE keeps the samples (seconds stored sent rss_kb).
#
# Long form, from the build tree (takes several minutes):
#   top_srcdir=.. REDRESS=./redress sh ../bench/soak.sh 100000
# Knobs: SOAK_WAVE (messages per wave; default 100, or 1000 from N = 10000),
# SOAK_CAPTURE (1: smtp-sink dumps every message, default for N <= 5000),
# SOAK_TIMEOUT (seconds allowed for the whole soak after step 2; default
# 120 + N / 50), SOAK_GROWTH, SOAK_SLACK_KB, SOAK_VALGRIND, SOAK_VG_TIMEOUT
# (default 300 s).
: "${top_srcdir:=$(dirname "$0")/..}"
top_srcdir=$(cd "$top_srcdir" && pwd)
: "${REDRESS:=./redress}"
: "${REDRESS_DATADIR:=$top_srcdir}"
REDRESS_DATADIR=$(cd "$REDRESS_DATADIR" && pwd)
export REDRESS_DATADIR
N=${1:-${SOAK_N:-100000}}
FIRST=1000
if [ "$N" -ge 10000 ]; then WAVE=${SOAK_WAVE:-1000}; else WAVE=${SOAK_WAVE:-100}; fi
if [ "$N" -le 5000 ]; then CAPTURE=${SOAK_CAPTURE:-1}; else CAPTURE=${SOAK_CAPTURE:-0}; fi
TIMEOUT=${SOAK_TIMEOUT:-$((120 + N / 50))}
GROWTH=${SOAK_GROWTH:-10}
SLACK=${SOAK_SLACK_KB:-0}
VG_N=${SOAK_VALGRIND:-1000}
VG_TIMEOUT=${SOAK_VG_TIMEOUT:-300}

. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"
dovecot_available || skip_all "dovecot is not installed (apt-get install dovecot-imapd)"
[ "$(id -u)" = 0 ] || skip_all "Dovecot's throw-away instance needs root"
sink_available || skip_all "smtp-sink is not installed (apt-get install postfix)"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is not installed"
[ -x "$REDRESS" ] || skip_all "no redress binary at $REDRESS (set REDRESS)"
[ "$N" -gt "$FIRST" ] || skip_all "N must be more than $FIRST"
REDRESS=$(cd "$(dirname "$REDRESS")" && pwd)/$(basename "$REDRESS")

asan=0
if nm -an "$REDRESS" 2>/dev/null | grep -q __asan_init ||
   grep -aq __asan_init "$REDRESS"; then
	asan=1
fi

T=$(mktemp -d /tmp/soak.XXXXXX)
chmod 755 "$T"
RUNPID=
sink_init "$T/sinks"
cleanup() {
	[ -n "$RUNPID" ] && kill -9 "$RUNPID" 2>/dev/null
	sink_stop_all
	dovecot_stop
	[ -n "${SOAK_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

DOVECOT_SSL=no dovecot_start "$T/dovecot" >"$T/start.log" 2>&1 ||
	{ cat "$T/start.log"; echo "Bail out! dovecot did not start"; exit 1; }
SINK_LIFETIME=$((TIMEOUT + VG_TIMEOUT + 600)) SINK_CAPTURE=$CAPTURE sink_start soak ||
	{ echo "Bail out! smtp-sink did not start"; exit 1; }

conf() { # conf MAILBOX: redress.conf in the current directory
	cat > redress.conf <<EOC
[imap]
url = imap://127.0.0.1:$DOVECOT_PORT/$1
tls = none
user = $DOVECOT_USER
password_file = $DOVECOT_PASSFILE
timeout = 30
[smtp]
url = smtp://127.0.0.1:$(sink_port soak)
tls = none
from = Customer Care <complaints@example.com>
envelope_from = bounces@example.com
timeout = 30
[autoreply]
per_hour = 0
per_day = 0
per_domain_hour = 0
EOC
}
# (Nothing while there is no store yet: sqlite3 would create an empty
# file, which redress refuses to take for a store.)
q() { [ -s redress.db ] && sqlite3 -cmd '.timeout 10000' redress.db "$1" 2>/dev/null; }
stored() { q "select count(*) from messages where direction = 'in'"; }
acked() { q "select count(*) from jobs where kind in ('ack', 'ack-plain') and state = 'sent'"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | sed 's/^\./0./'; }
# wait_done PID WANT DEADLINE: until WANT messages are stored and acked
wait_done() {
	while :; do
		s=$(stored); a=$(acked)
		[ "${s:-0}" -ge "$2" ] && [ "${a:-0}" -ge "$2" ] && return 0
		kill -0 "$1" 2>/dev/null || { diag "run died"; return 1; }
		[ "$(date +%s)" -lt "$3" ] || { diag "timed out: $s stored, $a acked of $2"; return 1; }
		sleep 0.5
	done
}
stop_run() { # stop_run PID SECONDS: SIGTERM, bounded wait; sets st to the exit status
	kill -TERM "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt $(($2 * 10)) ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$1" 2>/dev/null && diag "had to SIGKILL pid $1"
	wait "$1"
	st=$?
}

# N messages K.. straight into the INBOX's maildir: written to tmp/ as the
# dovecot user, then moved to new/ with one mv (dovecot_append forks a mv
# per message and chowns the whole folder, which grows with the soak).
soak_append() { # soak_append COUNT FIRST
	_sa_k=$2
	_sa_last=$(($2 + $1 - 1))
	_sa_t=$(date +%s)
	while [ $_sa_k -le $_sa_last ]; do
		dovecot_message $_sa_k > "$DOVECOT_MAILDIR/tmp/$_sa_t.M${_sa_k}P$$.soak"
		_sa_k=$((_sa_k + 1))
	done
	chown dovecot:dovecot "$DOVECOT_MAILDIR"/tmp/*.soak
	# mv may complain that it cannot stat a file it has just moved: Dovecot
	# had already renamed it into cur/.  The counts below are the check.
	mv "$DOVECOT_MAILDIR"/tmp/*.soak "$DOVECOT_MAILDIR/new/" 2>/dev/null || :
}

# --- The soak ------------------------------------------------------------
mkdir "$T/soak" && cd "$T/soak" || exit 1
conf INBOX
soak_append $FIRST 1
"$REDRESS" run >run.out 2>run.err &
RUNPID=$!
t0=$(now)
deadline=$(( $(date +%s) + TIMEOUT ))
wait_done "$RUNPID" $FIRST "$deadline"; ok $? "the first $FIRST messages stored and acknowledged"
sleep 1
rss1k=$(rss "$RUNPID")
t1k=$(since "$t0")
samples=$T/samples
echo "$t1k $(stored) $(acked) $rss1k" > "$samples"
k=$((FIRST + 1))
while [ $k -le "$N" ]; do
	w=$WAVE
	[ $((k + w - 1)) -le "$N" ] || w=$((N - k + 1))
	# Keep at most two waves in the INBOX ahead of run: a steady stream at
	# run's own pace rather than one long backlog.
	while [ "$(stored)" -lt $((k - 1 - WAVE)) ] && [ "$(date +%s)" -lt "$deadline" ] &&
	      kill -0 "$RUNPID" 2>/dev/null; do
		sleep 0.2
	done
	soak_append $w $k
	k=$((k + w))
	echo "$(since "$t0") $(stored) $(acked) $(rss "$RUNPID")" >> "$samples"
	[ "$(date +%s)" -lt "$deadline" ] || break
done
t_delivered=$(since "$t0")
wait_done "$RUNPID" "$N" "$deadline"; ok $? "all $N messages stored and acknowledged"
t_end=$(since "$t0")
sleep 1
rss_end=$(rss "$RUNPID")
peak=$(hwm "$RUNPID")
echo "$(since "$t0") $(stored) $(acked) $rss_end" >> "$samples"
stop_run "$RUNPID" 30
RUNPID=
is "$st" 0 "run exits 0 on SIGTERM"
is "$(stored)" "$N" "$N messages stored"
is "$(q "select count(distinct message_id) from messages where direction = 'in'")" "$N" "each exactly once"
is "$(q 'select count(*) from cases')" "$N" "$N cases"
is "$(acked)" "$N" "$N acks sent"
is "$(q "select count(*) from jobs where kind in ('ack', 'ack-plain') and state != 'sent'")" 0 \
	"no ack queued, failed or suppressed"
is "$(q 'pragma integrity_check')" ok "the store is intact"
if [ "$CAPTURE" = 1 ]; then
	is "$(sink_count soak)" "$N" "smtp-sink received $N messages"
	is "$(find "$T/sinks/soak/dump" -type f -exec grep -h '^Message-ID: ' {} + | sort -u | wc -l)" "$N" \
		"with $N distinct Message-IDs (nothing sent twice)"
fi
grep -i 'error' run.err | head -5 | while IFS= read -r l; do diag "run.err: $l"; done
is "$(grep -ci 'error' run.err)" 0 "run logged no errors"

rate=$(echo "scale=1; $N / $t_end" | bc)
limit=$(( rss1k + rss1k * GROWTH / 100 + SLACK ))
diag "soak: $N messages in ${t_end} s ($rate messages/s; deliveries done at ${t_delivered} s," \
     "first $FIRST acknowledged at ${t1k} s), waves of $WAVE"
diag "soak: RSS after $FIRST: $rss1k kB; at the end: $rss_end kB;" \
     "peak (VmHWM): $peak kB; bound: $limit kB (+$GROWTH % + $SLACK kB)"
diag "soak: RSS samples (kB) min $(awk '{print $4}' "$samples" | sort -n | head -1)," \
     "max $(awk '{print $4}' "$samples" | sort -n | tail -1) over $(wc -l < "$samples") samples"
[ -n "${SOAK_SAMPLES:-}" ] && cp "$samples" "$SOAK_SAMPLES"
if [ "$asan" = 1 ]; then
	diag "AddressSanitizer build: the RSS bound is not checked (shadow memory and quarantine)"
else
	[ "${rss_end:-999999999}" -le "$limit" ]
	ok $? "RSS at the end ($rss_end kB) within $GROWTH % + $SLACK kB of RSS after $FIRST ($rss1k kB)"
fi

# --- valgrind ------------------------------------------------------------
if [ "$VG_N" -gt 0 ] && [ "$asan" = 0 ] && command -v valgrind >/dev/null 2>&1; then
	mkdir "$T/vg" && cd "$T/vg" || exit 1
	dovecot_doveadm mailbox create -u "$DOVECOT_USER" Valgrind
	dovecot_append "$VG_N" Valgrind 1
	conf Valgrind
	# PCRE2's JIT scans subjects with aligned 16-byte SIMD loads that may
	# pass the end of the buffer (never a page): valgrind reports them as
	# invalid or uninitialised reads in code without an object ("???").
	# A known false positive (PCRE2Project/pcre2 #654, #995); only frames
	# in JIT code ("obj:???") are suppressed, nothing in redress.
	cat > pcre2-jit.supp <<'EOS'
{
   pcre2-jit-simd-addr
   Memcheck:Addr16
   obj:???
}
{
   pcre2-jit-simd-addr32
   Memcheck:Addr32
   obj:???
}
{
   pcre2-jit-simd-cond
   Memcheck:Cond
   obj:???
}
{
   pcre2-jit-simd-value
   Memcheck:Value8
   obj:???
}
EOS
	vt0=$(now)
	valgrind --suppressions=pcre2-jit.supp --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --error-exitcode=99 --log-file=vg.log \
		"$REDRESS" run >run.out 2>run.err &
	RUNPID=$!
	wait_done "$RUNPID" "$VG_N" $(( $(date +%s) + VG_TIMEOUT ))
	ok $? "under valgrind: $VG_N messages stored and acknowledged"
	stop_run "$RUNPID" 120
	RUNPID=
	vt=$(since "$vt0")
	is "$st" 0 "under valgrind: run exits 0 on SIGTERM (99: valgrind found errors)"
	summary=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' vg.log)
	lost=$(sed -n 's/^==[0-9]*==  *definitely lost: \([0-9,]*\) bytes.*/\1/p' vg.log)
	is "$summary" 0 "valgrind: ERROR SUMMARY: 0 errors"
	is "${lost:-0}" 0 "valgrind: definitely lost: 0 bytes"
	[ "$summary" = 0 ] || sed -n '1,80p' vg.log | while IFS= read -r l; do diag "$l"; done
	diag "valgrind: $VG_N messages in $vt s; exit $st"
	sed -n '/HEAP SUMMARY/,$p' vg.log | sed 's/^==[0-9]*== //' | while IFS= read -r l; do diag "valgrind: $l"; done
elif [ "$VG_N" -gt 0 ]; then
	if [ "$asan" = 1 ]; then
		diag "valgrind part skipped: AddressSanitizer build (LeakSanitizer checks leaks at exit)"
	else
		diag "valgrind part skipped: valgrind is not installed"
	fi
fi
done_testing
