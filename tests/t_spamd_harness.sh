#!/bin/sh
# The spamd test harness (tests/lib/spamd.sh, tests/lib/spamc.py) does what
# the spam-hygiene tests will lean on: a throw-away spamd starts within
# seconds on a free 127.0.0.1 port, unprivileged, with its config and home
# in the test's directory; it answers PING; GTUBE is spam (score 1000 and
# up) and a plain complaint is not, through our Python client and through
# spamc itself; SYMBOLS and REPORT carry the rule names; a wrong
# Content-length is a protocol error (76); nothing is written outside the
# test's directory; spamd_stop ends every process and closes the port.
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
watchdog_start 240 t_spamd_harness
ms() { echo $(( $(date +%s%N) / 1000000 )); }

complaint() {
	printf 'Return-Path: <customer1@example.net>\n'
	printf 'Received: from mx.example.net (mx.example.net [192.0.2.10])\n'
	printf '\tby mail.example.com with ESMTPS id 4Vabc; Mon, 3 Jun 2024 10:00:00 +0000\n'
	printf 'From: Jane Customer <customer1@example.net>\n'
	printf 'To: complaints@example.com\n'
	printf 'Subject: Parcel not delivered (order 48213)\n'
	printf 'Date: Mon, 3 Jun 2024 09:59:58 +0000\n'
	printf 'Message-ID: <complaint-1@example.net>\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello,\n\nmy parcel (order 48213) has not arrived after three weeks,\n'
	printf 'and the tracking page has said "in transit" since the 12th.\n'
	printf 'Could you tell me where it is, or refund me?\n\nRegards,\nJane Customer\n'
}

# Where spamd's user would write outside DIR if the config leaked: its
# system home, and root's.
marker=$T/marker
touch "$marker"
sleep 1
user=$(spamd_user)
uhome=$(getent passwd "$user" | cut -d: -f6)

t0=$(ms)
spamd_start "$T/spamd" >"$T/start.log" 2>&1; st=$?
t1=$(ms)
trap cleanup EXIT
trap 'exit 1' INT TERM
sed 's/^/# /' "$T/start.log"
is "$st" 0 "spamd_start starts spamd"
[ "$st" = 0 ] || { echo "Bail out! no spamd"; exit 1; }
diag "spamd_start until the first PONG: $((t1 - t0)) ms"
ok "$([ $((t1 - t0)) -lt 30000 ]; echo $?)" "it answers within 30 s (took $((t1 - t0)) ms)"
is "$(ss -Hltn "sport = :$SPAMD_PORT" | awk '{print $4}' | sort -u | tr '\n' ' ')" "127.0.0.1:$SPAMD_PORT " \
	"it listens on 127.0.0.1:$SPAMD_PORT only"
is "$(stat -c %U "/proc/$SPAMD_PID")" "$user" "its parent runs as $user, not root"
kids=$(pgrep -P "$SPAMD_PID" | tr '\n' ' ')
ok "$([ -n "$kids" ]; echo $?)" "it has children"
is "$(for k in $kids; do stat -c %U "/proc/$k"; done | sort -u | tr '\n' ' ')" "$user " "they run as $user too"
like "$(spamd_client PING)" "^SPAMD/1\\.[0-9]+ 0 PONG" "PING: PONG"

spamd_gtube >"$T/gtube.eml"
complaint >"$T/ham.eml"
t0=$(ms)
out=$(spamd_client CHECK "$T/gtube.eml"); st=$?
t1=$(ms)
diag "CHECK of GTUBE: $((t1 - t0)) ms"
is "$st" 0 "CHECK GTUBE: status 0"
like "$out" "^SPAMD/1\\.[0-9]+ 0 EX_OK" "the status line is EX_OK"
like "$out" "^Spam: True ; [0-9.]+ / 5\\.0" "GTUBE: Spam: True"
# shellcheck disable=SC2046 # verdict, score, threshold
set -- $(spamd_score "$T/gtube.eml")
ok "$(awk -v s="$2" 'BEGIN { exit !(s >= 1000) }'; echo $?)" "GTUBE scores 1000 or more (got $2)"
out=$(spamd_client CHECK "$T/ham.eml")
like "$out" "^Spam: False ; -?[0-9.]+ / 5\\.0" "a plain complaint: Spam: False"
# shellcheck disable=SC2046
set -- $(spamd_score "$T/ham.eml")
ok "$(awk -v s="$2" 'BEGIN { exit !(s != "" && s < 3) }'; echo $?)" "a plain complaint scores well under 5 (got $2)"
out=$(spamd_client SYMBOLS "$T/gtube.eml")
like "$(printf '%s\n' "$out" | tail -1)" "(^|,)GTUBE(,|$)" "SYMBOLS: the body lists GTUBE"
like "$out" "^Content-length: [0-9]+" "with a Content-length header"
out=$(spamd_client REPORT "$T/gtube.eml")
like "$out" "1000 GTUBE" "REPORT: the report has the GTUBE line"
out=$(spamd_client --length 10 CHECK "$T/gtube.eml"); st=$?
is "$st" 1 "a Content-length shorter than the message is refused"
like "$out" "^SPAMD/1\\.[0-9]+ 76 " "with EX_PROTOCOL (76)"
like "$(spamd_client PING)" "0 PONG" "and spamd still answers"

# spamc itself (Debian package spamc), as an MTA would call it.
if command -v spamc >/dev/null 2>&1; then
	out=$(timeout 60 spamc -d 127.0.0.1 -p "$SPAMD_PORT" -t 30 -c <"$T/gtube.eml"); st=$?
	is "$st" 1 "spamc -c: GTUBE exits 1 (spam)"
	like "$out" "^[0-9.]+/5\\.0$" "and prints score/threshold"
	timeout 60 spamc -d 127.0.0.1 -p "$SPAMD_PORT" -t 30 -c <"$T/ham.eml" >/dev/null; st=$?
	is "$st" 0 "spamc -c: the complaint exits 0 (ham)"
	like "$(timeout 60 spamc -d 127.0.0.1 -p "$SPAMD_PORT" -t 30 -y <"$T/gtube.eml")" \
		"(^|,)GTUBE(,|$)" "spamc -y lists GTUBE"
else
	diag "spamc is not installed: only the Python client was checked"
fi

# Nothing written outside the test's directory.
is "$(find "$uhome" /root/.spamassassin -newer "$marker" 2>/dev/null | head -5 | tr '\n' ' ')" "" \
	"nothing written in $uhome or /root/.spamassassin"
ok "$([ -d "$SPAMD_DIR/home/.spamassassin" ] || [ -f "$SPAMD_DIR/home/spamd.pid" ]; echo $?)" \
	"spamd's files are in the test's directory"
is "$(grep -ci 'failed to parse\|config: \(warn\|error\)\|bad option' "$SPAMD_DIR/spamd.log")" 0 \
	"spamd's log has no configuration warning"
is "$(grep -c 'autolearn=disabled' "$SPAMD_DIR/spamd.log")" \
	"$(grep -c 'spamd: result:' "$SPAMD_DIR/spamd.log")" "no check auto-learns (Bayes off)"

pid=$SPAMD_PID
port=$SPAMD_PORT
t0=$(ms)
spamd_stop
t1=$(ms)
diag "spamd_stop: $((t1 - t0)) ms"
ok "$(! kill -0 "$pid" 2>/dev/null; echo $?)" "spamd_stop ends spamd"
n=0
for k in $kids; do
	if [ -d "/proc/$k" ] && ! grep -q '^State:.*Z' "/proc/$k/status" 2>/dev/null; then n=$((n + 1)); fi
done
is "$n" 0 "and its children"
ss -Hltn "sport = :$port" | grep -q .
ok "$([ $? = 1 ]; echo $?)" "the port is closed"
done_testing
