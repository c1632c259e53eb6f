#!/bin/sh
# [spam] rspamd (issue 13): rspamd's HTTP /checkv2 through libcurl, against
# tests/lib/fake_rspamd.py (rspamd is not packaged here): GTUBE is
# "reject", quarantined, no ack; a plain complaint is "no action", acked.
# rspamd answering 503, or not at all within [spam] timeout, is a scanner
# that is down: the ack waits [spam] wait.  An answer that is no rspamd
# result is logged, and the message is not held.  A URL that is not HTTP
# is refused at load.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 120 t_rspamd
cd "$T" || exit 1

# fake MODE [LOG [ARG...]]: starts a fake_rspamd.py of its own that logs
# to $T/LOG.log (LOG defaults to MODE), sets PORT
nfake=0
fake() {
	nfake=$((nfake + 1))
	mode=$1; log=${2:-$1}; shift; [ $# -gt 0 ] && shift
	python3 "$top_srcdir/tests/lib/fake_rspamd.py" --mode "$mode" --log "$T/$log.log" "$@" \
		> "$T/fake$nfake.port" &
	PIDS="$PIDS $!"
	i=0; while [ ! -s "$T/fake$nfake.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	PORT=$(cat "$T/fake$nfake.port")
}
conf() {	# URL [TIMEOUT]
	printf '[smtp]\nfrom = Acme Care <care@example.com>\n'
	printf '[sla]\ntimezone = UTC\nhours = mon-fri 09:00-17:00\n'
	printf '[spam]\nrspamd = %s\ntimeout = %s\nwait = 15m\n' "$1" "${2:-10}"
}
msg() {	# N [BODY]
	printf 'From: Jane Customer <customer%s@example.net>\nTo: care@example.com\n' "$1"
	printf 'Subject: Parcel not delivered\nDate: Mon, 23 Nov 2026 09:59:58 +0000\n'
	printf 'Message-ID: <r%s@example.net>\n\n%s\n' "$1" \
		"${2:-My parcel has not arrived after three weeks. I want a refund.}"
}
msg 1 > plain.eml
msg 2 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X' > gtube.eml
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }
show() { R --json case show "$1" | jget "$2"; }
verdict() {
	show "$1" '"%s %s %d" % (d["traffic"], d["state"],
		len([j for j in d["jobs"] if j["kind"] in ("ack", "ack-plain") and j["state"] != "suppressed"]))'
}
reasons() { show "$1" '" | ".join(d["traffic_reasons"])'; }
ackdue() { show "$1" '[j["due"] for j in d["jobs"] if j["kind"] in ("ack", "ack-plain")][0]'; }

fake ok
mkdir ok && cd ok || exit 1
conf "http://127.0.0.1:$PORT" > redress.conf
R ingest ../gtube.eml ../plain.eml >/dev/null 2>err
is "$(verdict 1)" "spam quarantined 0" "GTUBE: rspamd says reject: spam, quarantined, no ack"
like "$(reasons 1)" "^spam: rspamd reject 15\.0/15\.0" "the reason is rspamd's action and score"
is "$(verdict 2)" "ok new 1" "a plain complaint: no action, ok, acked"
like "$(reasons 2)" "^not spam: rspamd no action 0\.5/15\.0" "with rspamd's word among the reasons"
is "$(ackdue 2)" "$NOW" "its ack is due at once"
is "$(cut -d' ' -f1,2 "$T/ok.log" | sort -u)" "POST /checkv2" "every question is POST /checkv2"
like "$(cat "$T/ok.log")" "POST /checkv2 $(wc -c < ../plain.eml | tr -d ' ')" \
   "with the message as stored for its body"
cd .. || exit 1

fake error
mkdir error && cd error || exit 1
conf "http://127.0.0.1:$PORT/" > redress.conf
R ingest ../gtube.eml >/dev/null 2>err
is "$(verdict 1)" "ok new 1" "rspamd answers 503: down, the message is taken as the rest says"
like "$(reasons 1)" "unscanned: scanner unavailable .*HTTP status 503" "the reasons say why"
is "$(ackdue 1)" "2026-11-23T10:15:00Z" "its ack waits [spam] wait"
# It comes back before the ack is due: the outbox asks again.
fake ok
conf "http://127.0.0.1:$PORT" > redress.conf
NOW=2026-11-23T10:15:00Z; R send --once >/dev/null 2>&1
is "$(verdict 1)" "spam quarantined 0" "rspamd back when the ack is due: GTUBE is quarantined then"
is "$(ls outbox 2>/dev/null | wc -l)" 0 "and nothing was sent"
cd .. || exit 1

fake slow
mkdir slow && cd slow || exit 1
conf "http://127.0.0.1:$PORT" 2 > redress.conf
NOW=2026-11-23T10:00:00Z
t0=$(date +%s); R ingest ../plain.eml >/dev/null 2>err; t1=$(date +%s)
# Bounded well under the 60 s the server stays silent (whole seconds, and
# a process start a loaded machine stretches), not at the 2 s timeout.
ok "$([ $((t1 - t0)) -le 10 ]; echo $?)" "an rspamd that never answers costs [spam] timeout (took $((t1 - t0)) s; bound 10 s)"
like "$(reasons 1)" "unscanned: scanner unavailable" "and the ack waits as for one that is down"
cd .. || exit 1

fake garbage
mkdir garbage && cd garbage || exit 1
conf "http://127.0.0.1:$PORT" > redress.conf
R ingest ../plain.eml >/dev/null 2>err
is "$(verdict 1)" "ok new 1" "an answer that is no rspamd result: taken as the rest says"
is "$(ackdue 1)" "$NOW" "and not held (a bug will not mend itself)"
like "$(cat err)" "no rspamd result" "the log says so"
cd .. || exit 1

# An rspamd that is up but thinks 3 s a message: ingest asks it before
# each message's transaction, so the store is not locked while it thinks.
# Another writer (case note, with [store] busy_timeout = 2 s) gets in while
# the ingest of four messages (at least 12 s) still runs, instead of
# timing out behind its batch.
fake ok think --delay 3
mkdir think && cd think || exit 1
printf '[store]\nbusy_timeout = 2000\n' > plain.conf
{ cat plain.conf; conf "http://127.0.0.1:$PORT" 10; } > redress.conf
NOW=2026-11-23T10:00:00Z
R -c plain.conf ingest ../plain.eml >/dev/null 2>&1
is "$(verdict 1)" "ok new 1" "a case to write to (stored without a scanner)"
for n in 11 12 13 14; do msg $n > m$n.eml; done
R ingest m11.eml m12.eml m13.eml m14.eml >ingest.out 2>ingest.err &
ING=$!; PIDS="$PIDS $ING"
i=0; while [ ! -s "$T/think.log" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "$(wc -l < "$T/think.log" | tr -d ' ')" 1 "ingest is waiting for rspamd's first answer"
R case note 1 "called the customer" >note.out 2>note.err; st=$?
is "$st" 0 "another writer is not locked out while rspamd thinks (exit 0)"
[ "$st" = 0 ] || sed 's/^/# /' note.err
kill -0 "$ING" 2>/dev/null; alive=$?
is "$alive" 0 "and did not wait for the whole ingest (still running)"
wait "$ING"; st=$?
is "$st" 0 "the ingest ends well (exit 0)"
is "$(cat ingest.out)" "ingested 4 messages: 4 new cases, 0 joined, 0 duplicates, 0 held" \
   "and stored all four"
is "$(reasons 5)" "not spam: rspamd no action 0.5/15.0" "each with rspamd's answer"
like "$(show 1 '" ".join(e["detail"] or "" for e in d["events"])')" "called the customer" \
   "the note is on case 1"
is "$(wc -l < "$T/think.log" | tr -d ' ')" 4 "rspamd was asked once a message"
R ingest m11.eml m12.eml m13.eml m14.eml >ingest.out 2>&1
is "$(wc -l < "$T/think.log" | tr -d ' ')" 4 "ingest again: duplicates are not sent to rspamd"
cd .. || exit 1

printf '[spam]\nrspamd = 127.0.0.1:11333\n' > bad.conf
R -c bad.conf config show >/dev/null 2>err; st=$?
is "$st" 78 "[spam] rspamd without http://: configuration error"
like "$(cat err)" "bad.conf:2: \[spam\] rspamd" "saying where"
done_testing
