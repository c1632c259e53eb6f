#!/bin/sh
# t_smtp.sh - the SMTP mailer against Postfix's smtp-sink on loopback (TAP).
#
# Drives tests/smtp_send (one mailer, N messages, one line per message:
# "N STATUS [ERROR]", then "connections N") and checks what smtp-sink
# received: messages byte-identical, one connection for a batch, 4xx ->
# tempfail, 5xx -> permfail with the reply text, dropped connections,
# 421, timeouts and nothing listening -> down (the server, not the message),
# no reply to the final dot -> uncertain, timeouts bounded, STARTTLS required means
# no plain-text fallback, and no secret in any output.
#
# Skips only when smtp-sink is not installed.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/smtp-sink.sh"

DRIVER=$top_builddir/tests/smtp_send

if ! sink_available; then
	echo "1..0 # SKIP smtp-sink not installed (apt-get install postfix)"
	exit 0
fi
if [ ! -x "$DRIVER" ]; then
	echo "1..0 # SKIP $DRIVER not built"
	exit 0
fi

WORK=$(mktemp -d /tmp/t_smtp.XXXXXX) || exit 1
# smtp-sink runs as nobody: it must reach its dump directory.
chmod 0755 "$WORK"
sink_init "$WORK/sinks"
trap 'sink_stop_all; rm -rf "$WORK"' EXIT
trap 'sink_stop_all; rm -rf "$WORK"; exit 130' INT TERM

n=0
failed=0
ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}
diag_file() {
	sed 's/^/# /' "$1"
}

# conf NAME PORT [EXTRA LINES...]: writes $WORK/NAME.conf
conf() {
	_c=$WORK/$1.conf
	printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntimeout = 5\n' "$2" >"$_c"
	shift 2
	for _l in "$@"; do
		printf '%s\n' "$_l" >>"$_c"
	done
	echo "$_c"
}

# send OUTNAME ARGS...: runs the driver (bounded), stdout to $WORK/OUTNAME.out,
# stderr to $WORK/OUTNAME.err
send() {
	_o=$1
	shift
	timeout 60 "$DRIVER" "$@" >"$WORK/$_o.out" 2>"$WORK/$_o.err"
}


# --- 1. A tricky message arrives byte for byte -----------------------------
long=$(printf '%0990d' 0)
printf '%s\r\n' \
	'From: Customer Care <care@example.com>' \
	'To: <customer@example.org>' \
	'Subject: =?UTF-8?Q?Caf=C3=A9?= [case 000042]' \
	'Message-ID: <42.abc@redress.test>' \
	'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset=utf-8' \
	'Content-Transfer-Encoding: 8bit' \
	'' \
	'.a line starting with a dot' \
	'..two dots' \
	'.' \
	'' \
	'From the start of a line, and trailing space   ' \
	"caf$(printf '\303\251') na$(printf '\303\257')ve" \
	"$long" \
	'. ' \
	'last line' >"$WORK/tricky.eml"

sink_start plain || exit 1
c=$(conf plain "$SINK_PORT" 'tls = none')
send tricky -m "$WORK/tricky.eml" "$c"
is "$(cat "$WORK/tricky.out")" "$(printf '1 ok\nconnections 1')" "tricky message accepted"
sink_wait_count plain 1
dump=$(sink_dumps plain | head -n 1)
tr -d '\r' <"$WORK/tricky.eml" >"$WORK/tricky.lf"
sink_body "$dump" >"$WORK/tricky.got"
cmp -s "$WORK/tricky.lf" "$WORK/tricky.got"
r=$?
ok $r "received byte for byte (dots, lone dot, 8-bit, 990-byte line)"
[ $r -eq 0 ] || diff "$WORK/tricky.lf" "$WORK/tricky.got" | head -20 | sed 's/^/# /'
is "$(sink_header "$dump" X-Mail-Args)" "<bounces@example.com>" "MAIL FROM as given"
is "$(sink_header "$dump" X-Rcpt-Args)" "<customer@example.org>" "one RCPT TO, as given"
# The sink's log shows the wire: the lone dot went out stuffed (as "..")
# and the data ended once, at the end.
is "$(sink_log plain | grep -c ': \.$')" 1 \
	"one end-of-data on the wire"

# --- 2. A batch reuses one connection --------------------------------------
sink_start batch || exit 1
c=$(conf batch "$SINK_PORT" 'tls = none')
send batch -n 25 "$c"
is "$(grep -c ' ok$' "$WORK/batch.out")" 25 "batch: 25 messages ok"
is "$(tail -n 1 "$WORK/batch.out")" "connections 1" "batch: the client opened one connection"
sink_wait_count batch 25
is "$(sink_count batch)" 25 "batch: 25 messages arrived"
is "$(sink_connections batch)" 1 "batch: the server saw one session"
is "$(sink_log batch | grep -c ': QUIT$')" 1 "batch: one QUIT at the end"

# --- 3. The null sender -----------------------------------------------------
sink_start null || exit 1
c=$(conf null "$SINK_PORT" 'tls = none')
send null -f '' "$c"
is "$(head -n 1 "$WORK/null.out")" "1 ok" "null sender accepted"
sink_wait_count null 1
is "$(sink_header "$(sink_dumps null)" X-Mail-Args)" "<>" "MAIL FROM:<>"

# --- 4. Rejections ----------------------------------------------------------
# fault NAME "SINK OPTIONS" WANT-LINE-1 [WANT-CONNECTIONS]
fault() {
	_name=$1
	_opts=$2
	# shellcheck disable=SC2086
	sink_start "$_name" $_opts || exit 1
	_c=$(conf "$_name" "$SINK_PORT" 'tls = none')
	send "$_name" -n 2 "$_c"
	_want=$(printf '%s' "$3" | sed "s/@PORT@/$SINK_PORT/")
	is "$(head -n 1 "$WORK/$_name.out")" "$_want" "$_name ($_opts): $_want"
	sink_stop "$_name"
}
fault rcpt-soft "-r RCPT" "1 tempfail 450 4.3.0 Error: command failed"
fault rcpt-hard "-f RCPT" "1 permfail 500 5.3.0 Error: command failed"
fault mail-soft "-r MAIL" "1 tempfail 450 4.3.0 Error: command failed"
fault data-soft "-r DATA" "1 tempfail 450 4.3.0 Error: command failed"
fault dot-soft "-r ." "1 tempfail 450 4.3.0 Error: command failed"
fault dot-hard "-f ." "1 permfail 500 5.3.0 Error: command failed"
fault greeting-hard "-f CONNECT" \
	"1 config 127.0.0.1:@PORT@ refused the session: 500 5.3.0 Error: command failed"

# The real server's words are what the case records.
sink_start rcpt-text -f RCPT -B "550 5.1.1 <customer@example.org>: Recipient address rejected: User unknown" || exit 1
c=$(conf rcpt-text "$SINK_PORT" 'tls = none')
send rcpt-text "$c"
is "$(head -n 1 "$WORK/rcpt-text.out")" \
	"1 permfail 550 5.1.1 <customer@example.org>: Recipient address rejected: User unknown" \
	"5xx reply text recorded verbatim"
is "$(sink_count rcpt-text)" 0 "rejected recipient: nothing delivered"

# Every message of a batch gets its own answer, not the first one's.
sink_start soft-batch -r RCPT || exit 1
c=$(conf soft-batch "$SINK_PORT" 'tls = none')
send soft-batch -n 3 "$c"
is "$(grep -c ' tempfail 450 4.3.0 Error: command failed$' "$WORK/soft-batch.out")" 3 \
	"4xx batch: each message tempfails with the reply"

# --- 5. Dropped connections -------------------------------------------------
sink_start drop421 -Q . || exit 1
c=$(conf drop421 "$SINK_PORT" 'tls = none')
send drop421 -n 3 "$c"
is "$(grep -c ' down 421 4.0.0 Server closing connection$' "$WORK/drop421.out")" 3 \
	"421 and hang-up after the data: down, each message on a fresh connection"
is "$(sink_connections drop421)" 3 "  (three sessions)"

sink_start dropmail -Q MAIL || exit 1
c=$(conf dropmail "$SINK_PORT" 'tls = none')
send dropmail "$c"
is "$(head -n 1 "$WORK/dropmail.out")" "1 down 421 4.0.0 Server closing connection" \
	"421 to MAIL FROM: down"

sink_start silent -q . || exit 1
c=$(conf silent "$SINK_PORT" 'tls = none')
send silent -n 2 "$c"
is "$(grep -c "^[12] uncertain no reply to the final dot (connection to 127.0.0.1:$SINK_PORT lost: .*): the server may have accepted the message$" "$WORK/silent.out")" 2 \
	"hang-up without a reply after the data: uncertain (the server may have it)"

sink_start silent-rcpt -q RCPT || exit 1
c=$(conf silent-rcpt "$SINK_PORT" 'tls = none')
send silent-rcpt "$c"
grep -q "^1 down connection to 127.0.0.1:$SINK_PORT lost: " "$WORK/silent-rcpt.out"
ok $? "hang-up after RCPT: down"

# --- 6. Nothing listening ---------------------------------------------------
dead=$(sink_free_port)
c=$(conf dead "$dead" 'tls = none')
send dead "$c"
is "$(head -n 1 "$WORK/dead.out")" \
	"1 down connection to 127.0.0.1:$dead failed: Connection refused" \
	"nothing listening: down, connection refused"
is "$(tail -n 1 "$WORK/dead.out")" "connections 0" "  no connection counted"

# --- 7. A server that stalls: bounded by [smtp] timeout ---------------------
sink_start slow -w 10 || exit 1
c=$(conf slow "$SINK_PORT" 'tls = none')
sed -i 's/^timeout = .*/timeout = 1/' "$c"
t0=$(date +%s)
send slow "$c"
t1=$(date +%s)
grep -q "^1 down 127.0.0.1:$SINK_PORT: timed out: " "$WORK/slow.out"
r=$?
ok $r "stalled DATA reply: down, timed out"
[ $r -eq 0 ] || diag_file "$WORK/slow.out"
# Whole seconds, and a process start that a loaded machine or a sanitizer
# stretches: bounded well under the sink's 10 s stall, not at 1 s.
ok $(( (t1 - t0) <= 7 ? 0 : 1 )) "  within the timeout (took $((t1 - t0)) s, timeout 1 s; bound 7 s)"
sink_stop slow

# A stall after the final dot: the server has the whole message and may
# have taken it, so the outcome is uncertain, not a plain failure.
sink_start slowdot -W .:10 || exit 1
c=$(conf slowdot "$SINK_PORT" 'tls = none')
sed -i 's/^timeout = .*/timeout = 1/' "$c"
send slowdot "$c"
grep -q "^1 uncertain no reply to the final dot (127.0.0.1:$SINK_PORT: timed out: .*): the server may have accepted the message$" "$WORK/slowdot.out"
r=$?
ok $r "stalled reply to the final dot: uncertain"
[ $r -eq 0 ] || diag_file "$WORK/slowdot.out"
sink_stop slowdot

# --- 8. STARTTLS required: never silently plain text ------------------------
sink_start notls || exit 1
c=$(conf notls "$SINK_PORT" 'tls = starttls')
send notls "$c"
grep -q "^1 config 127.0.0.1:$SINK_PORT does not offer STARTTLS, and TLS is required" "$WORK/notls.out"
ok $? "tls = starttls against a server without STARTTLS: config failure"
c=$(conf notls-default "$SINK_PORT")
send notls-default "$c"
grep -q "^1 config 127.0.0.1:$SINK_PORT does not offer STARTTLS" "$WORK/notls-default.out"
ok $? "smtp:// with no tls key requires STARTTLS too"
is "$(sink_log notls | grep -c ': MAIL FROM')" 0 "  no MAIL FROM went out in plain text"
is "$(sink_count notls)" 0 "  nothing delivered"

# --- 9. Credentials never show ----------------------------------------------
# smtp-sink offers AUTH PLAIN LOGIN but answers 250 instead of 235, which
# libcurl takes as a refused login: enough to see what leaks.
secret='Sup3r-s3cret/pass'
printf '%s\n' "$secret" >"$WORK/pw"
chmod 600 "$WORK/pw"
sink_start auth || exit 1
c=$(conf auth "$SINK_PORT" 'tls = none' 'user = alice@example.com' "password_file = $WORK/pw")
send auth -v "$c"
is "$(head -n 1 "$WORK/auth.out")" "1 config 127.0.0.1:$SINK_PORT: login refused: Login denied" \
	"refused login: config failure"
is "$(sink_log auth | grep -c ': AUTH ')" 1 "  AUTH was tried once"
grep -q ': > EHLO' "$WORK/auth.err"
ok $? "  (the -v log shows the dialogue)"
b64_plain=$(printf 'alice@example.com\000alice@example.com\000%s' "$secret" | base64 -w0)
b64_plain2=$(printf '\000alice@example.com\000%s' "$secret" | base64 -w0)
b64_pass=$(printf '%s' "$secret" | base64 -w0)
b64_user=$(printf '%s' "$(echo alice@example.com)" | base64 -w0)
leaks=0
for f in "$WORK/auth.out" "$WORK/auth.err"; do
	for s in "$secret" "$b64_plain" "$b64_plain2" "$b64_pass" "$b64_user" "> AUTH"; do
		if grep -qF -- "$s" "$f"; then
			echo "# $f shows $s"
			leaks=$((leaks + 1))
		fi
	done
done
is "$leaks" 0 "  no password, user or AUTH line in errors or the debug log"

# --- 10. Byte-identical under load: every message of a batch ---------------
sink_start many || exit 1
c=$(conf many "$SINK_PORT" 'tls = none')
send many -n 200 -m "$WORK/tricky.eml" "$c"
is "$(grep -c ' ok$' "$WORK/many.out")" 200 "200 tricky messages in one batch"
sink_wait_count many 200
bad=0
for d in $(sink_dumps many); do
	sink_body "$d" | cmp -s - "$WORK/tricky.lf" || bad=$((bad + 1))
done
is "$bad" 0 "  every one byte-identical"
is "$(sink_connections many)" 1 "  over one connection"

# --- 11. Recovery: after a failure the next batch on a good server works ----
sink_start good || exit 1
c=$(conf good "$SINK_PORT" 'tls = none')
sink_stop good
send good-down "$c"
grep -q '^1 down connection to' "$WORK/good-down.out"
ok $? "server down: down"
sink_start good2 || exit 1
c=$(conf good2 "$SINK_PORT" 'tls = none')
send good2 -n 2 "$c"
is "$(head -n 2 "$WORK/good2.out" | tr '\n' ' ')" "1 ok 2 ok " "server back: delivered"

# --- 12. Refused before anything is sent -------------------------------------
printf 'Subject: bare\n\nLF only\n' >"$WORK/bare.eml"
send bare -m "$WORK/bare.eml" "$c"
is "$(head -n 1 "$WORK/bare.out")" "1 permfail bare LF in the message at offset 13" \
	"bare LF refused before sending"
send badrcpt -t 'x@example.org> NOTIFY=NEVER' "$c"
is "$(head -n 1 "$WORK/badrcpt.out")" \
	"1 permfail recipient refused: address contains a character it may not" \
	"SMTP parameters in an address refused"
is "$(sink_count good2)" 2 "  neither reached the server"

sink_stop_all
echo "1..$n"
[ $failed -eq 0 ]
