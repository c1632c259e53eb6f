#!/bin/sh
# t_send_daemon.sh - the sender over time: "redress run" and "redress send"
# against slow and dead SMTP servers, with real waits.
#
#   lease    a live sender renews its lock and claims while a slow round
#            goes on ([smtp] lease = 3s here, rounds of about 8 s): a
#            second sender stays out (exit 75) and nothing is sent twice.
#   SIGTERM  send and run stop after the job in hand, not after the round;
#            a job still waiting for a greeting is abandoned at once and
#            left queued, untried.
#   rounds   run bounds a send round (10 s), so that the loop's other work
#            goes on: a SIGHUP that moves [smtp] url to another server
#            takes effect mid-backlog, not after it.
#   SIGHUP   a changed [store] path is refused, saying it needs a restart;
#            the running configuration stays, and a later good reload works.
#   logrotate [log] target = file: a SIGHUP opens the file anew.
#
# "redress run" takes no --now: its tests use the real clock (messages
# ingested at the real time, so their acks are due at once and nothing
# else is).  "redress send" runs pin --now like every other test.  Each
# wait is bounded; a watchdog ends the script.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"
sink_available || skip_all "smtp-sink not installed (apt-get install postfix)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 command is not installed"
T=$(mktemp -d)
chmod 0755 "$T"   # smtp-sink runs as nobody and writes its dumps below
sink_init "$T/sinks"
PIDS=
cleanup() {
	sink_stop_all
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 170 t_send_daemon.sh
cd "$T" || exit 1
S=$top_srcdir/contrib/samples
NOW=2026-11-23T10:00:00Z
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
q() { sqlite3 redress.db "$1"; }

conf() { # conf PORT [LINE...]: redress.conf sending to PORT
	_p=$1
	shift
	{
		echo "[smtp]"
		echo "url = smtp://127.0.0.1:$_p"
		echo "tls = none"
		echo "from = Customer Care <care@example.com>"
		echo "envelope_from = bounces@example.com"
		echo "escalate_to = Duty Manager <duty@example.com>"
		for _l in "$@"; do echo "$_l"; done
	} >redress.conf
}

# gen N: N complaints in msgs/, each from its own sender (so that the ack
# rate limit lets every one have its ack), none with a follow-up or an
# escalation due soon.
gen() {
	mkdir -p msgs
	_i=1
	while [ $_i -le "$1" ]; do
		sed -e "s/^From: .*/From: Customer $_i <c$_i@example.net>/" \
		    -e "s/^Return-Path: .*/Return-Path: <c$_i@example.net>/" \
		    -e "s/^Message-ID: .*/Message-ID: <d$_i@redress.test>/" \
		    "$S/01-refund.eml" >msgs/m$_i.eml
		_i=$((_i + 1))
	done
}

# wait_for SECONDS SHELL-CONDITION: polls every 0.1 s; 0 once it holds.
wait_for() {
	_w=$(( $1 * 10 ))
	while [ $_w -gt 0 ]; do
		eval "$2" && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	return 1
}

# stop_daemon PID SECONDS: SIGTERM, then waits; ELAPSED_MS is how long it
# took to exit (KILLed after SECONDS).
stop_daemon() {
	_t0=$(now_ms)
	kill -TERM "$1" 2>/dev/null
	_w=$(( $2 * 10 ))
	while kill -0 "$1" 2>/dev/null && [ $_w -gt 0 ]; do
		sleep 0.1
		_w=$((_w - 1))
	done
	ELAPSED_MS=$(( $(now_ms) - _t0 ))
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

msgids() { # msgids SINK: the Message-IDs it received, one a line
	for _d in $(sink_dumps "$1"); do
		sink_body "$_d" | sed -n 's/^Message-ID: //p' | head -1
	done
}

# ------------------------------------------------------------------ lease
# The daemon's round takes 12 s (1 s per message at the server); the
# lease is 3 s.  A lock not renewed during the round would be free after
# 3 s, and "send --once" would take it, put the daemon's job in hand back
# into the queue and send it a second time.  12 messages, not fewer:
# "send --once" must come while the round still runs, however slowly a
# loaded machine starts it.
mkdir lease && cd lease || exit 1
sink_start slow1 -W .:1 || exit 1
conf "$(sink_port slow1)" "timeout = 10" "lease = 3s"
gen 12
"$REDRESS" ingest msgs >/dev/null
env "$KILLABLE" "$REDRESS" run >run.log 2>&1 &
run=$!
PIDS="$PIDS $run"
t0=$(now_ms)
wait_for 20 '[ "$(q "SELECT count(*) FROM jobs WHERE state = '"'sent'"'")" -ge 4 ]'
ok $? "run: the round is under way (4 sent after $(( $(now_ms) - t0 )) ms)"
"$REDRESS" send --once >send.out 2>send.err
is "$?" 75 "send --once $(( $(now_ms) - t0 )) ms into the round, with [smtp] lease = 3s: the lock is held (75)"
wait_for 30 '[ "$(q "SELECT count(*) FROM jobs WHERE state = '"'sent'"'")" -ge 12 ]'
ok $? "run: all 12 acks sent"
stop_daemon "$run" 10
is "$(sink_count slow1)" 12 "the server got 12 messages for 12 jobs"
is "$(msgids slow1 | sort | uniq -d | wc -l | tr -d ' ')" 0 "  none twice"
sink_stop slow1
cd .. || exit 1

# ---------------------------------------------------------------- SIGTERM
# 30 acks into a server that takes 1 s over each: SIGTERM after the
# second must not wait for the other 28.
mkdir term && cd term || exit 1
sink_start slow2 -W .:1 || exit 1
conf "$(sink_port slow2)" "timeout = 10"
gen 30
"$REDRESS" --now "$NOW" ingest msgs >/dev/null
env "$KILLABLE" "$REDRESS" --now "$NOW" send >send.out 2>send.err &
pid=$!
PIDS="$PIDS $pid"
wait_for 15 '[ "$(q "SELECT count(*) FROM jobs WHERE state = '"'sent'"'")" -ge 2 ]'
ok $? "send: sending"
stop_daemon "$pid" 20
ok "$([ "$ELAPSED_MS" -le 3500 ]; echo $?)" "send: SIGTERM stops it after the job in hand (${ELAPSED_MS} ms)"
sent=$(q "SELECT count(*) FROM jobs WHERE state = 'sent'")
ok "$([ "$sent" -lt 10 ]; echo $?)" "  with most of the queue left ($sent of 30 sent)"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'sending'")" 0 "  and no job left in hand"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'queued' AND kind = 'ack'")" $((30 - sent)) \
   "  the rest queued"
is "$(sink_count slow2)" "$sent" "  the server got exactly the sent ones"

# The same for the daemon, with what is left.
env "$KILLABLE" "$REDRESS" run >run.log 2>&1 &
run=$!
PIDS="$PIDS $run"
wait_for 15 '[ "$(q "SELECT count(*) FROM jobs WHERE state = '"'sent'"'")" -ge $((sent + 2)) ]'
ok $? "run: sending"
stop_daemon "$run" 20
ok "$([ "$ELAPSED_MS" -le 3500 ]; echo $?)" "run: SIGTERM stops it after the job in hand (${ELAPSED_MS} ms)"
sent=$(q "SELECT count(*) FROM jobs WHERE state = 'sent'")
ok "$([ "$sent" -lt 20 ]; echo $?)" "  with jobs left ($sent of 30 sent)"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'sending'")" 0 "  and no job left in hand"
is "$(sink_count slow2)" "$sent" "  the server got exactly the sent ones"
sink_stop slow2
cd .. || exit 1

# A server that never greets: the job in hand has not started, so SIGTERM
# abandons it at once instead of waiting out [smtp] timeout (30 s here).
mkdir mute && cd mute || exit 1
mkdir hostile
python3 "$top_srcdir/tests/lib/hostile_smtp.py" --dir "$T/mute/hostile" --mode blackhole \
	--lifetime 120 2>hostile.err &
PIDS="$PIDS $!"
wait_for 5 '[ -s hostile/port ]' || { echo "Bail out! hostile_smtp.py did not start"; exit 1; }
conf "$(cat hostile/port)" "timeout = 30"
"$REDRESS" --now "$NOW" ingest "$S/01-refund.eml" >/dev/null
env "$KILLABLE" "$REDRESS" --now "$NOW" send --once >send.out 2>send.err &
pid=$!
PIDS="$PIDS $pid"
wait_for 5 'grep -q connect hostile/log 2>/dev/null'
sleep 0.5
stop_daemon "$pid" 40
ok "$([ "$ELAPSED_MS" -le 2500 ]; echo $?)" "SIGTERM while waiting for a greeting: stops at once (${ELAPSED_MS} ms, timeout 30 s)"
is "$(q "SELECT state, attempts FROM jobs WHERE kind = 'ack'")" "queued|0" \
   "  the ack is queued, not counted as tried"
cd .. || exit 1

# ----------------------------------------------------------------- rounds
# A backlog of 30 into a server that takes 1 s over each.  A round of run
# claims no job after 10 s: the loop then does its other work (fetch,
# tick, a pending reload) before it goes on.  Here that work is a reload
# that moves [smtp] url to a fast server: it must take effect while the
# backlog lasts, not after it.
mkdir rounds && cd rounds || exit 1
sink_start slow3 -W .:1 || exit 1
sink_start fast3 || exit 1
conf "$(sink_port slow3)" "timeout = 10"
gen 30
"$REDRESS" ingest msgs >/dev/null
env "$KILLABLE" "$REDRESS" -v run >run.log 2>&1 &
run=$!
PIDS="$PIDS $run"
wait_for 10 '[ "$(sink_count slow3)" -ge 2 ]'
ok $? "run: the backlog goes to the slow server"
conf "$(sink_port fast3)" "timeout = 10"
kill -HUP "$run"
t0=$(now_ms)
wait_for 40 '[ "$(q "SELECT count(*) FROM jobs WHERE state = '"'sent'"'")" -ge 30 ]'
ok $? "run: all 30 sent ($(( $(now_ms) - t0 )) ms after the SIGHUP)"
stop_daemon "$run" 10
slow=$(sink_count slow3)
fast=$(sink_count fast3)
ok "$([ "$slow" -le 14 ] && [ "$fast" -ge 16 ]; echo $?)" \
   "the reload took effect within a round: $slow at the slow server, $fast at the new one"
is "$((slow + fast))" 30 "  30 messages in all"
is "$( (msgids slow3; msgids fast3) | sort | uniq -d | wc -l | tr -d ' ')" 0 "  none twice"
like "$(cat run.log)" "the round took its 10 s" "  (the log says the round was cut)"
sink_stop slow3
sink_stop fast3
cd .. || exit 1

# ----------------------------------------------------------------- SIGHUP
# A changed [store] path cannot be taken over by a running daemon: refused,
# with the reason in the log; the old configuration stays.
mkdir hup && cd hup || exit 1
conf 9 "timeout = 10"
printf '[store]\npath = old.db\n' >>redress.conf
env "$KILLABLE" "$REDRESS" run >run.log 2>&1 &
run=$!
PIDS="$PIDS $run"
wait_for 10 'grep -q "running:" run.log 2>/dev/null'
ok $? "run: started"
sed -i 's/^path = old.db/path = new.db/' redress.conf
kill -HUP "$run"
wait_for 10 'grep -q "reload refused" run.log'
ok $? "SIGHUP with a new [store] path: the reload is refused"
like "$(grep 'reload refused' run.log)" "redress.conf:[0-9]+: \[store\] path changed, and that takes a restart" \
   "  saying which setting needs a restart, and where"
ok "$(grep -q 'configuration reloaded' run.log; [ $? != 0 ]; echo $?)" "  and not that it reloaded"
ok "$(kill -0 "$run" 2>/dev/null; echo $?)" "  the daemon goes on"
sed -i 's/^path = new.db/path = old.db/' redress.conf
kill -HUP "$run"
wait_for 10 'grep -q "configuration reloaded" run.log'
ok $? "a later reload without that change is taken"
stop_daemon "$run" 10
ok "$([ ! -e new.db ]; echo $?)" "no store was made at the new path"
cd .. || exit 1

# -------------------------------------------------------------- logrotate
# [log] target = file: logrotate(8) moves the file and sends SIGHUP; the
# daemon opens a new file at the path.  A reload whose log file cannot be
# opened is refused, and the old file goes on.
mkdir logr && cd logr || exit 1
conf 9 "timeout = 10"
printf '[log]\ntarget = file\nfile = %s/redress.log\n' "$PWD" >>redress.conf
env "$KILLABLE" "$REDRESS" run >run.out 2>&1 &
run=$!
PIDS="$PIDS $run"
wait_for 10 'grep -q "running:" redress.log 2>/dev/null'
ok $? "run with [log] target = file: it logs to the file"
mv redress.log redress.log.1
kill -HUP "$run"
wait_for 10 'grep -q "configuration reloaded" redress.log 2>/dev/null'
ok $? "after logrotate's move and SIGHUP, to a new file at the path"
ok "$(grep -q 'configuration reloaded' redress.log.1; [ $? != 0 ]; echo $?)" \
   "  and no more to the moved one"
is "$(stat -c %a redress.log)" 600 "  the new file is 0600"
sed -i "s|^file = .*|file = $PWD/none/redress.log|" redress.conf
kill -HUP "$run"
wait_for 10 'grep -q "reload refused" redress.log'
ok $? "a reload whose log file cannot be opened is refused"
like "$(grep 'reload refused' redress.log)" "redress.conf:[0-9]+: \[log\] file: \".*/none/redress.log\": No such file" \
   "  saying so in the file in use, with FILE:LINE"
ok "$(kill -0 "$run" 2>/dev/null; echo $?)" "  the daemon goes on"
stop_daemon "$run" 10
is "$(cat run.out | wc -c | tr -d ' ')" 0 "nothing went to standard error"
cd .. || exit 1

done_testing
