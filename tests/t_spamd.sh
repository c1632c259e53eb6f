#!/bin/sh
# [spam] spamd (issue 13) against a real spamd on loopback
# (tests/lib/spamd.sh): GTUBE is quarantined, with spamd's rules among the
# reasons, and gets no ack; a plain complaint is not.  When spamd is down
# the ack waits [spam] wait: the outbox scans again when it is due, and
# quarantines the spam then; if spamd is still down, the ack goes (the
# wait is the bound).  A malformed [spam] spamd is refused at load.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/spamd.sh"
spamd_available || skip_all "spamd is not installed (apt-get install spamd spamc)"
[ "$(id -u)" = 0 ] || skip_all "the throw-away spamd runs as an unprivileged user: needs root"
T=$(mktemp -d /tmp/t_spamd.XXXXXX)
chmod 755 "$T"
cleanup() {
	spamd_stop
	kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 240 t_spamd
cd "$T" || exit 1

complaint() {	# N: a complaint that looks like real mail (spamd scores it low)
	printf 'Return-Path: <customer%s@example.net>\n' "$1"
	printf 'Received: from mx.example.net (mx.example.net [192.0.2.10])\n'
	printf '\tby mail.example.com with ESMTPS id 4Vabc; Mon, 23 Nov 2026 09:59:59 +0000\n'
	printf 'From: Jane Customer <customer%s@example.net>\n' "$1"
	printf 'To: care@example.com\n'
	printf 'Subject: Parcel not delivered (order 4821%s)\n' "$1"
	printf 'Date: Mon, 23 Nov 2026 09:59:58 +0000\n'
	printf 'Message-ID: <complaint-%s@example.net>\n' "$1"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello,\n\nmy parcel (order 4821%s) has not arrived after three weeks,\n' "$1"
	printf 'and the tracking page has said "in transit" since the 12th.\n'
	printf 'Could you tell me where it is, or refund me?\n\nRegards,\nJane Customer\n'
}
gtube() {	# N
	spamd_gtube | sed "s/gtube-1@/gtube-$1@/; s/sender@/sender$1@/"
}
complaint 1 > c1.eml; complaint 2 > c2.eml; complaint 3 > c3.eml
gtube 1 > g1.eml; gtube 2 > g2.eml; gtube 3 > g3.eml

# A port where nothing listens: spamd "down".
down=$(spamd_free_port)
conf() {	# PORT > redress.conf
	printf '[smtp]\nfrom = Acme Care <care@example.com>\n'
	printf '[sla]\ntimezone = UTC\nhours = mon-fri 09:00-17:00\n'
	printf '[spam]\nspamd = 127.0.0.1:%s\ntimeout = 20\nwait = 15m\n' "$1"
}
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }
show() { R --json case show "$1" | jget "$2"; }
verdict() {
	show "$1" '"%s %s %d" % (d["traffic"], d["state"],
		len([j for j in d["jobs"] if j["kind"] in ("ack", "ack-plain") and j["state"] != "suppressed"]))'
}
ackdue() { show "$1" '[j["due"] for j in d["jobs"] if j["kind"] in ("ack", "ack-plain")][0]'; }

# ------------------------------------------------------- spamd is down
mkdir down && cd down || exit 1
conf "$down" > redress.conf
R ingest ../c1.eml ../g1.eml >/dev/null 2>err; st=$?
is "$st" 0 "spamd down: intake goes on (exit 0)"
like "$(cat err)" "the ack waits up to \[spam\] wait" "and warns"
is "$(verdict 1) $(verdict 2)" "ok new 1 ok new 1" "both are cases to answer as far as the rest can tell"
like "$(show 2 '" | ".join(d["traffic_reasons"])')" "unscanned: scanner unavailable" \
   "the reasons say the message was not scanned"
is "$(ackdue 1) $(ackdue 2)" "2026-11-23T10:15:00Z 2026-11-23T10:15:00Z" \
   "the acks wait [spam] wait (15m)"
R send --once >/dev/null
is "$(ls outbox 2>/dev/null | wc -l)" 0 "nothing goes out before"
cd .. || exit 1

spamd_start "$T/spamd" >start.log 2>&1; st=$?
trap cleanup EXIT
trap 'exit 1' INT TERM
is "$st" 0 "spamd_start starts spamd"
[ "$st" = 0 ] || { sed 's/^/# /' start.log; echo "Bail out! no spamd"; exit 1; }

# ---------------------------------------------------------- spamd is up
mkdir up && cd up || exit 1
conf "$SPAMD_PORT" > redress.conf
R ingest ../g1.eml ../c1.eml >/dev/null 2>err
is "$(verdict 1)" "spam quarantined 0" "GTUBE: spam, quarantined, no ack"
like "$(show 1 '" | ".join(d["traffic_reasons"])')" "^spam: spamd 10[0-9][0-9]\.[0-9]/5\.0: .*GTUBE" \
   "the reason is spamd's score and rules"
is "$(show 1 'd["first_response_due"]')" "None" "and no clock"
is "$(verdict 2)" "ok new 1" "a plain complaint: ok, acked"
like "$(show 2 '" | ".join(d["traffic_reasons"])')" "^not spam: spamd -?[0-9.]+/5\.0" \
   "with spamd's score among the reasons"
is "$(ackdue 2)" "$NOW" "its ack is due at once"
R case list --state quarantined > q.txt
like "$(cat q.txt)" "quarantined +spam" "case list --state quarantined shows GTUBE"
# The delivery filter asks spamd before it locks the store.
R filter -f sender2@example.net < ../g2.eml >/dev/null 2>&1; st=$?
is "$st" 0 "redress filter with spamd: exit 0"
is "$(verdict 3)" "spam quarantined 0" "GTUBE through the filter: quarantined"
R filter -f customer2@example.net < ../c2.eml >/dev/null 2>&1
is "$(verdict 4)" "ok new 1" "a complaint through the filter: ok"
is "$(grep -c 'result: Y' "$SPAMD_DIR/spamd.log" 2>/dev/null || echo 0) $(grep -c 'result: \.' "$SPAMD_DIR/spamd.log" 2>/dev/null || echo 0)" \
   "2 2" "spamd was asked once per message: two spams, two hams so far"
# classify asks spamd as intake does, unless --no-scan.
J=$(R --json classify ../g3.eml)
is "$(echo "$J" | jget 'd["traffic"]')" spam "classify: GTUBE is spam, spamd asked"
like "$(echo "$J" | jget '" | ".join(d["traffic_reasons"])')" "spam: spamd 10[0-9][0-9]\.[0-9]/5\.0: .*GTUBE" \
   "with spamd's reason"
like "$(R classify ../c3.eml)" "not spam: spamd -?[0-9.]+/5\.0" "classify: a complaint, spamd says not spam"
is "$(R --json classify --no-scan ../g3.eml | jget 'd["traffic"], len([r for r in d["traffic_reasons"] if "spamd" in r])')" \
   "ok 0" "classify --no-scan: spamd not asked"
is "$(grep -c 'result: Y' "$SPAMD_DIR/spamd.log" 2>/dev/null || echo 0)" 3 "spamd saw the one classify of GTUBE"
cd .. || exit 1

# The store of the outage: spamd is back when the acks fall due.
cd down || exit 1
conf "$SPAMD_PORT" > redress.conf
NOW=2026-11-23T10:15:00Z; R send --once >/dev/null 2>err
is "$(verdict 2)" "spam quarantined 0" "spamd back: the waiting GTUBE is scanned and quarantined"
is "$(show 2 '" ".join(j["state"] for j in d["jobs"] if j["kind"] in ("ack", "ack-plain"))')" "suppressed" \
   "its ack is not sent"
like "$(show 2 '" ".join(e["kind"] for e in d["events"])')" "scanned" "an event says it was scanned"
is "$(verdict 1)" "ok acknowledged 1" "the waiting complaint is scanned clean and acknowledged"
is "$(grep -l 'customer1@example.net' outbox/* 2>/dev/null | wc -l)" 1 "its ack went out"
is "$(grep -l 'sender1@example.net' outbox/* 2>/dev/null | wc -l)" 0 "nothing went to GTUBE's sender"
cd .. || exit 1

# Still down when the acks fall due: the wait is the bound, the ack goes.
mkdir still && cd still || exit 1
conf "$down" > redress.conf
NOW=2026-11-23T10:00:00Z; R ingest ../c3.eml >/dev/null 2>&1
NOW=2026-11-23T10:15:00Z; R send --once >/dev/null 2>&1
is "$(verdict 1)" "ok acknowledged 1" "spamd still down after [spam] wait: the ack goes unscanned"
like "$(show 1 '" ".join(e["detail"] or "" for e in d["events"])')" "still unavailable" \
   "and the case says so"
cd .. || exit 1

# A spamd that answers slowly is bounded by [spam] timeout.
mkdir slow && cd slow || exit 1
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(30)
' > port.txt &
slow=$!
i=0; while [ ! -s port.txt ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
conf "$(cat port.txt)" | sed 's/^timeout = 20/timeout = 2/' > redress.conf
t0=$(date +%s)
R ingest ../c2.eml >/dev/null 2>err
t1=$(date +%s)
kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null
# Whole seconds and a process start a loaded machine stretches: bounded
# well under the 30 s the server stays silent, not at the 2 s timeout.
ok "$([ $((t1 - t0)) -le 10 ]; echo $?)" "a spamd that never answers costs [spam] timeout (took $((t1 - t0)) s; bound 10 s)"
like "$(show 1 '" | ".join(d["traffic_reasons"])')" "unscanned: scanner unavailable .*no answer within 2 s" \
   "and the message waits as for a spamd that is down"
cd .. || exit 1

printf '[spam]\nspamd = localhost\n' > bad.conf
R -c bad.conf config show >/dev/null 2>err; st=$?
is "$st" 78 "[spam] spamd without a port: configuration error"
like "$(cat err)" "bad.conf:2: \[spam\] spamd" "saying where"
done_testing
