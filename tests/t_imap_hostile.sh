#!/bin/sh
# t_imap_hostile.sh - "redress fetch" against an IMAP server that
# misbehaves on purpose (tests/lib/hostile_imap.py; issue 11, sections 2-4).
# What a hostile or broken server must not be able to do:
#   - hang redress: a literal announced then the connection closed (the
#     end of file libetpan 1.9.4 loops on), a body dripped one byte a
#     second; each fetch ends within [imap] timeout plus a margin, with
#     exit 75, and SIGTERM ends fetch and run at once;
#   - exhaust its memory: a greeting line that never ends (also with
#     tls = starttls, before any TLS), a 300 MB flag list, a 200 MiB
#     literal for a message listed at 100 bytes, a body followed by 200 MiB
#     without a line end; peak RSS stays small (and, outside ASan, the run
#     has a 1 GiB address-space limit, so that growth fails fast - a
#     crash is a failure too);
#   - end the reading of its mailbox: UID 4294967295 listed, never
#     delivered, must not become last_uid, and mail after it is fetched;
#   - turn an undeliverable message into a case with a clock: a NO to a
#     body fetch and BODY[] NIL are held with the server's words, marked,
#     and get no ack; a NO [UNAVAILABLE] leaves the message unmarked and
#     last_uid below it (exit 75);
#   - have its slow answers hand the mailbox to a second fetcher: the
#     fetch lock is refreshed while an answer is awaited.
# Every run of redress is bounded (timeout -s KILL) and measured with
# /usr/bin/time (package "time"); a watchdog bounds the whole script.
. "$top_srcdir/tests/lib/tap.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 runs the hostile server"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 reads the store"
[ -x /usr/bin/time ] || skip_all "/usr/bin/time measures memory (apt-get install time)"
T=$(mktemp -d /tmp/t_imap_hostile.XXXXXX)
SP=
BG=
cleanup() {
	[ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
	[ -n "$SP" ] && kill "$SP" 2>/dev/null
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 300 t_imap_hostile.sh

TIMEOUT=3
asan=false
nm "$REDRESS" 2>/dev/null | grep -q __asan_init && asan=true
# A sanitizer build on a loaded 2-core machine is several times slower and
# its shadow memory counts in RSS.
if $asan; then margin=12; max_kb=300000; else margin=5; max_kb=150000; fi

# serve SCENARIO: starts the server, sets PORT and SP, LOG is its log.
serve() {
	[ -n "$SP" ] && { kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null; }
	rm -f "$T/port" "$T/port.log"
	python3 "$top_srcdir/tests/lib/hostile_imap.py" "$1" "$T/port" &
	SP=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	PORT=$(cat "$T/port")
	LOG=$T/port.log
}

# section NAME [CONF-LINE...]: a fresh directory with its own store and a
# redress.conf for the server ([imap] lines; "tls = none" unless given).
section() {
	mkdir -p "$T/$1" && cd "$T/$1" || exit 1
	shift
	printf 'password\n' > pass
	chmod 600 pass
	{
		echo "[imap]"
		echo "url = imap://127.0.0.1:$PORT/INBOX"
		echo "user = complaints"
		echo "password_file = $PWD/pass"
		echo "timeout = $TIMEOUT"
		case "$*" in *tls*) ;; *) echo "tls = none" ;; esac
		for l in "$@"; do echo "$l"; done
		printf '[autoreply]\nper_hour = 0\nper_day = 0\n'
	} > redress.conf
}

# fetch NAME [ARGS...]: redress --json fetch --once (NAME.out, NAME.err),
# killed after 30 s whatever happens; sets st, secs and kb.
fetch() {
	name=$1
	shift
	(
		$asan || ulimit -v 1048576
		exec /usr/bin/time -f '%e %M' -o "$name.time" \
			timeout -s KILL 30 "$REDRESS" --json "$@" fetch --once
	) >"$name.out" 2>"$name.err"
	st=$?
	set -- $(tail -1 "$name.time")
	secs=${1:-99}
	kb=${2:-0}
}
# bounded NAME: one test for the time and memory of the last fetch.
bounded() {
	awk -v s="$secs" -v k="$kb" -v ms="$((TIMEOUT + margin))" -v mk="$max_kb" \
		'BEGIN { exit !(s + 0 < ms && k + 0 < mk) }'
	ok $? "$1: ended in ${secs} s with ${kb} KB peak (bounds $((TIMEOUT + margin)) s, $max_kb KB)"
}
q() { sqlite3 redress.db "$1" 2>/dev/null; }
stored() { q "select count(*) from messages"; }
last_uid() { q "select last_uid from imap_state"; }
errline() { grep -v '^\s*$' "$1.err" | grep -v '^Command' | tail -3 | tr '\n' ' '; }
# The UIDs the server was asked to mark, sorted, space-separated.
marked() { sed -n 's/^marked //p' "$LOG" | tr ',' '\n' | sort -n | uniq | tr '\n' ' '; }

# --- hangs ------------------------------------------------------------------
serve literal-close
section literal-close
fetch lc
is "$st" 75 "literal of 100 MB announced, then close: exit 75"
bounded "literal then close"
like "$(errline lc)" "literal of 100000000 bytes" "and the error says the literal was refused"
is "$(stored):$(last_uid)" "0:" "nothing stored, no last UID"

# The same literal within max_size: libetpan may take it, and then meets
# the end of file it used to loop on for ever.
section literal-eof "[intake]" "max_size = 200M"
fetch le
is "$st" 75 "literal within max_size, then close: exit 75 (no endless loop)"
bounded "literal within max_size then close"
like "$(errline le)" "closed the connection" "and the error says the server closed the connection"

serve drip
section drip
fetch dr
is "$st" 75 "a body dripped at one byte a second: exit 75"
bounded "drip"
like "$(errline dr)" "no complete answer within $TIMEOUT s" "and the error says the answer took too long"
is "$(stored)" 0 "nothing stored"

# SIGTERM in the middle of a dripped answer, [imap] timeout 30.
sigterm_case() { # sigterm_case NAME WANT-STATUS COMMAND...
	_n=$1
	_want=$2
	shift 2
	"$REDRESS" "$@" >"$_n.out" 2>"$_n.err" &
	BG=$!
	i=0
	while ! grep -q 'BODY.PEEK' "$LOG" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.5
	t0=$(date +%s.%N)
	kill -TERM "$BG"
	i=0
	while kill -0 "$BG" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	took=$(echo "$(date +%s.%N) - $t0" | bc)
	kill -9 "$BG" 2>/dev/null
	wait "$BG"
	_st=$?
	BG=
	_lim=2
	$asan && _lim=5
	[ "$(echo "$took < $_lim" | bc)" = 1 ]
	ok $? "$_n: SIGTERM during a dripped answer ends it in ${took} s (bound $_lim s)"
	is "$_st" "$_want" "$_n: exit $_want"
}
serve drip
section sigterm
sed -i "s/^timeout = .*/timeout = 30/" redress.conf
sigterm_case "fetch --once" 75 fetch --once
serve drip
sigterm_case "run" 0 run

# --- memory -----------------------------------------------------------------
for case in "greeting-endless:a greeting line that never ends" \
	    "starttls-endless:the same with tls = starttls (before TLS)" \
	    "flags-huge:a FLAGS response of 300 MB" \
	    "body-larger:a 200 MiB literal for a message listed at 100 bytes" \
	    "body-trailing:a body followed by 200 MiB without a line end"; do
	sc=${case%%:*}
	what=${case#*:}
	serve "$sc"
	if [ "$sc" = starttls-endless ]; then
		section "$sc" "tls = starttls"
	else
		section "$sc"
	fi
	fetch m
	is "$st" 75 "$what: exit 75 (no crash)"
	bounded "$what"
	like "$(errline m)" "longer than 1048576 bytes|literal of [0-9]+ bytes" "$what: the error says which cap"
	is "$(stored)" 0 "$what: nothing stored"
	if [ "$sc" = starttls-endless ]; then
		grep -q STARTTLS "$LOG"
		ok $((! $?)) "$what: refused before any command was sent"
	fi
done

# --- UID 4294967295 ---------------------------------------------------------
serve uid-max
section uid-max
fetch u1
is "$st" 0 "UID 4294967295 listed, not delivered: exit 0"
is "$(stored):$(last_uid)" "1:1" "message 1 stored, last UID 1 (not 4294967295)"
like "$(errline u1)" "1 listed message was not delivered \(UID 4294967295\)" "and it says so"
is "$(marked)" "1 " "only UID 1 is marked, not the undelivered one"
fetch u2
is "$st" 0 "the next fetch (UID 2 has arrived): exit 0"
is "$(stored):$(last_uid)" "2:2" "message 2 fetched: the mailbox is still read"

# --- NO and NIL ---------------------------------------------------------------
for sc in no-body body-nil; do
	serve "$sc"
	section "$sc"
	fetch h
	is "$st" 0 "$sc: exit 0"
	is "$(q "select count(*) from cases where state = 'new' and customer is not null")" 2 \
		"$sc: messages 1 and 3 are new cases"
	is "$(q "select count(*) from cases where state = 'new' and customer is null")" 0 \
		"$sc: no case without a customer"
	held=$(q "select held_reason from cases where state = 'held'")
	case $sc in
	no-body) like "$held" "refused to deliver it: NO" "$sc: UID 2 is held with the server's answer" ;;
	body-nil) like "$held" "BODY\[\] NIL" "$sc: UID 2 is held: no body" ;;
	esac
	is "$(q "select count(*) from cases where state = 'held' and (first_response_due is not null or resolution_due is not null)")" 0 \
		"$sc: the held case has no SLA clock"
	is "$(q "select count(*) from jobs j join cases c on c.id = j.case_id where c.state = 'held'")" 0 \
		"$sc: and nothing to send"
	is "$(q "select source from messages m join cases c on c.id = m.case_id where c.state = 'held'")" \
		"imap:INBOX:1700000000:2" "$sc: the held message names its UID"
	is "$(marked)" "1 2 3 " "$sc: all three marked"
	is "$(last_uid)" 3 "$sc: last UID 3"
	fetch h2
	is "$st:$(q "select count(*) from cases")" "0:3" "$sc: a second fetch adds nothing"
done

serve no-transient
section no-transient
fetch nt
is "$st" 75 "NO [UNAVAILABLE] to a body fetch: exit 75"
is "$(q "select count(*) from cases where state = 'new'"):$(q "select count(*) from cases where state = 'held'")" \
	"2:0" "messages 1 and 3 stored, nothing held"
is "$(marked)" "1 3 " "only 1 and 3 marked: UID 2 stays for a later fetch"
is "$(last_uid)" 1 "last UID 1, below the message not delivered"

# --- the fetch lock is refreshed while an answer is awaited -------------------
serve slow
section lock
sed -i "s/^timeout = .*/timeout = 2/" redress.conf
"$REDRESS" -q fetch --once >a.out 2>a.err &
BG=$!
i=0
while ! grep -q 'UID FETCH 1 (UID BODY' "$LOG" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
# As if the fetch had gone on for a day: the lock looks stale.
q "update locks set taken = taken - 86400 where name like 'fetch:%'"
sleep 2.7
now=$(date +%s)
taken=$(q "select taken from locks where name like 'fetch:%'")
ok $([ "${taken:-0}" -ge $((now - 5)) ]; echo $?) \
	"while the server is slow to answer, the lock is refreshed (taken $((now - ${taken:-0})) s ago)"
diag "messages stored by then: $(stored) (the first answer comes after 4 s)"
"$REDRESS" -q fetch --once >b.out 2>b.err
is "$?" 75 "a second fetcher is refused (exit 75)"
like "$(cat b.err)" "another fetcher" "and says another fetcher is reading"
wait "$BG"
is "$?" 0 "the first fetch ends well"
BG=
is "$(stored)" 3 "and stored all three"

done_testing
