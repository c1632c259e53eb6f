#!/bin/sh
# t_imap.sh - src/net/imap.c against a real Dovecot on loopback (TAP).
#
# Drives tests/imap_fetch_driver (see its header) through: plain fetch of
# 200 messages exactly once and marked; a second fetch finding nothing; a
# crash mid-batch (_exit and SIGKILL) losing nothing; oversized messages;
# UIDVALIDITY change; move:FOLDER with MOVE and with COPY + UID EXPUNGE;
# refused logins and mailboxes; TLS verification (unknown issuer, other CA,
# name mismatch, expired, STARTTLS required); IDLE within 2 seconds, SIGTERM
# during IDLE, polling without IDLE.  Needs root (Dovecot drops to its own
# users) and dovecot-imapd; skips only when those are missing.  Bounded by a
# watchdog; Dovecot is always stopped on exit.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=.}"
DRIVER=$top_builddir/tests/imap_fetch_driver
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/proc.sh"

if ! dovecot_available; then
	echo "1..0 # SKIP dovecot is not installed (apt-get install dovecot-imapd)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP Dovecot's throw-away instance needs root"
	exit 0
fi

T=$(mktemp -d /tmp/t_imap.XXXXXX)
chmod 755 "$T"
WATCHDOG=
BGPID=
cleanup() {
	[ -n "$BGPID" ] && kill "$BGPID" 2>/dev/null
	dovecot_stop
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# The whole script must end in under five minutes, whatever hangs (it takes
# 39 s under ASan on an idle machine).
watchdog_start 300 t_imap.sh

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # check DESC COMMAND...
	_d=$1
	shift
	if "$@"; then pass "$_d"; else fail "$_d"; fi
}
is() { # is GOT WANT DESC
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}
like() { # like GOT PATTERN DESC (grep -E)
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		echo "#   got:  '$1'"
		echo "#   want: /$2/"
	fi
}

# conf FILE URL [KEY=VALUE...]: an [imap] section (plus [intake] max_size).
conf() {
	_f=$1
	_u=$2
	shift 2
	{
		echo "[imap]"
		echo "url = $_u"
		echo "user = $DOVECOT_USER"
		echo "password_file = $DOVECOT_PASSFILE"
		echo "timeout = 10"
		for _kv in "$@"; do
			case $_kv in
			max_size=*) ;;
			*) echo "${_kv%%=*} = ${_kv#*=}" ;;
			esac
		done
		for _kv in "$@"; do
			case $_kv in
			max_size=*) printf '[intake]\nmax_size = %s\n' "${_kv#*=}" ;;
			esac
		done
	} > "$T/$_f"
}

# drive CONF DIR [ARGS...]: runs the driver, sets OUT and RC.
drive() {
	_c=$1
	_o=$2
	shift 2
	mkdir -p "$T/$_o"
	OUT=$(timeout 60 "$DRIVER" -c "$T/$_c" -d "$T/$_o" "$@" 2>&1)
	RC=$?
}

# numbers DIR: the sorted, unique X-Test-Number values of the .eml files.
numbers() {
	cat "$T/$1"/*.eml 2>/dev/null | tr -d '\r' |
		sed -n 's/^X-Test-Number: //p' | sort -n | uniq
}
emls() { ls "$T/$1" | grep -c '\.eml$'; }
state_last() { cut -d' ' -f2 "$T/$1/state"; }

# --- URL parsing (no server needed) ---------------------------------------
is "$("$DRIVER" --parse-url 'imaps://support%40example.com@[::1]:9993/Complaints%2FOpen/')" \
	"tls=implicit host=::1 port=9993 user=support@example.com mailbox=Complaints/Open" \
	"url: IPv6 host, port, %-decoded user and mailbox"
is "$("$DRIVER" --parse-url 'imap://mail.example.com')" \
	"tls=plain host=mail.example.com port=0 user=(none) mailbox=INBOX" \
	"url: defaults (port from tls mode, INBOX)"
like "$("$DRIVER" --parse-url 'imap://u:secret@h/')" "password in the url is refused" \
	"url: a password in the url is refused"
like "$("$DRIVER" --parse-url 'pop3://h/')" "must start with imap:// or imaps://" \
	"url: other schemes are refused"
like "$("$DRIVER" --parse-url 'imap://h/Caf%C3%A9')" "8-bit" \
	"url: 8-bit mailbox names are refused (modified UTF-7 needed)"

# --- plain, 200 messages ---------------------------------------------------
if ! dovecot_start "$T/dovecot"; then
	fail "dovecot starts"
	echo "1..$n"
	exit 1
fi
pass "dovecot $(dovecot --version | cut -d' ' -f1) started on 127.0.0.1:$DOVECOT_PORT and :$DOVECOT_TLS_PORT"
PLAIN=imap://127.0.0.1:$DOVECOT_PORT

dovecot_append 200
conf plain.conf "$PLAIN/INBOX" tls=none batch=50
drive plain.conf a
is "$RC" 0 "plain fetch succeeds"
like "$OUT" "^fetched=200 dup=0 commits=4 uidvalidity=$(dovecot_uidvalidity INBOX) last_uid=200\$" \
	"200 messages fetched in 4 batches of 50"
is "$(emls a)" 200 "200 message files written"
is "$(numbers a | tr '\n' ' ')" "$(seq 1 200 | tr '\n' ' ')" \
	"each of the 200 messages exactly once"
f=$(grep -l "^X-Test-Number: 17$(printf '\r')\$" "$T"/a/*.eml)
dovecot_message 17 > "$T/m17"
check "message 17 arrives byte for byte (CRLF aside)" \
	sh -c "tr -d '\r' < '$f' | cmp -s - '$T/m17'"
is "$(dovecot_count INBOX SEEN KEYWORD redress)" 200 "all 200 marked \\Seen + redress"
is "$(dovecot_count INBOX UNSEEN)" 0 "none left unseen"

drive plain.conf a
like "$OUT" "^fetched=0 dup=0 commits=0 .* last_uid=200\$" "a second fetch finds nothing"

# --- crash in the middle of a batch ---------------------------------------
dovecot_append 150 INBOX 201
drive plain.conf a --die-after 70
is "$RC" 9 "driver dies after 70 messages (mid second batch)"
is "$(state_last a)" 250 "only the first batch (201..250) was committed"
# Marks follow each UID FETCH answer (up to 1000 messages), so the crash
# came between the commit of 201..250 and its mark.
is "$(dovecot_count INBOX SEEN KEYWORD redress)" 200 "nothing uncommitted was marked"
drive plain.conf a
like "$OUT" "^fetched=100 dup=20 commits=2 .* last_uid=350\$" \
	"restart fetches the uncommitted 100 again (20 duplicates for dedup)"
is "$(numbers a | tr '\n' ' ')" "$(seq 1 350 | tr '\n' ' ')" \
	"after the crash: messages 1..350 each present, none lost"
is "$(dovecot_count INBOX SEEN KEYWORD redress)" 350 \
	"all 350 marked after the restart (201..250: committed before the crash, marked by the repair step)"

# Two answers of 1000 + 1000 messages, the second requested while the
# first is stored: a crash in the second loses nothing either.
dovecot_append 2000 Kill 1
conf kill.conf "$PLAIN/Kill" tls=none batch=100
drive kill.conf k --die-after 1100
is "$RC:$(state_last k):$(dovecot_count Kill UNSEEN)" "9:1000:1000" \
	"pipelined fetch dies at 1100: 1..1000 committed and marked, the rest not"
# SIGKILL at an arbitrary moment (timing decides where; the result may not).
# Paced at 4 ms a message, the 1000 left take at least 4 seconds: without
# it a fast driver could finish them all while this loop, slow under a
# loaded machine, waits for the first file (CI saw that once).
start=$(emls k)
# The driver itself, not under timeout(1): SIGKILL to timeout would not
# reach its child.  The watchdog above bounds the wait.  No leak check in a
# process killed on purpose (KILLABLE, tests/lib/proc.sh).
env "$KILLABLE" "$DRIVER" -c "$T/kill.conf" -d "$T/k" --pace 4 > /dev/null 2>&1 &
BGPID=$!
# Killed soon after its first new file: the rest of its work (writing,
# committing, marking) is then still ahead of it.
i=0
while [ "$(emls k)" -le "$start" ] && [ $i -lt 2000 ]; do
	sleep 0.005
	i=$((i + 1))
done
kill -KILL $BGPID 2>/dev/null
wait $BGPID 2>/dev/null
is "$?" 137 "the driver was killed by SIGKILL (not finished)"
BGPID=
before=$(emls k)
committed=$(state_last k)
unseen=$(dovecot_count Kill UNSEEN)
left=0
{ [ "$committed" -lt 2000 ] || [ "$unseen" -gt 0 ]; } && left=1
is "$left" 1 "it died with work left (last committed UID $committed, $unseen unmarked, $before files)"
drive kill.conf k
is "$RC" 0 "fetch after SIGKILL (killed with $before files written) succeeds"
is "$(numbers k | tr '\n' ' ')" "$(seq 1 2000 | tr '\n' ' ')" \
	"after both crashes: messages 1..2000 each present"
is "$(dovecot_count Kill UNSEEN)" 0 "after both crashes: all 2000 marked"

# --- oversized messages ----------------------------------------------------
{
	dovecot_message 9001 | sed '$d'
	i=0
	while [ $i -lt 100 ]; do
		echo "a long line of complaint text, number $i, padding it out....."
		i=$((i + 1))
	done
} > "$T/big.eml"
dovecot_save Big < "$T/big.eml" 2>/dev/null ||
	{ dovecot_doveadm mailbox create -u "$DOVECOT_USER" Big; dovecot_save Big < "$T/big.eml"; }
dovecot_message 9002 | dovecot_save Big
conf big.conf "$PLAIN/Big" tls=none max_size=1K
drive big.conf big
like "$OUT" "^fetched=2 " "a too large message does not stop the next one"
f=$(ls "$T"/big/*-1.eml)
is "$(wc -c < "$f" | tr -d ' ')" 1025 "a too large message arrives cut to max_size + 1 bytes"
f=$(ls "$T"/big/*-2.eml)
dovecot_message 9002 > "$T/m9002"
check "the small message after it arrives whole" \
	sh -c "tr -d '\r' < '$f' | cmp -s - '$T/m9002'"

# --- UIDVALIDITY change ----------------------------------------------------
dovecot_append 10 Complaints
conf uv.conf "$PLAIN/Complaints" tls=none
drive uv.conf uv
like "$OUT" "^fetched=10 " "Complaints: 10 fetched"
uv1=$(dovecot_uidvalidity Complaints)
dovecot_doveadm mailbox delete -u "$DOVECOT_USER" Complaints
dovecot_append 10 Complaints
uv2=$(dovecot_uidvalidity Complaints)
check "recreating the mailbox changed UIDVALIDITY ($uv1 -> $uv2)" [ "$uv1" != "$uv2" ]
drive uv.conf uv
like "$OUT" "rescan: uidvalidity $uv1 -> $uv2" "the driver sees the new UIDVALIDITY"
like "$OUT" "^fetched=10 dup=0 commits=1 uidvalidity=$uv2 last_uid=10\$" \
	"and rescans from UID 0 (dedup is the store's job)"

# --- move:FOLDER with MOVE -------------------------------------------------
dovecot_doveadm mailbox create -u "$DOVECOT_USER" Processed
dovecot_append 30 Moves
conf move.conf "$PLAIN/Moves" tls=none batch=10 processed=move:Processed
drive move.conf mv --die-after 15
is "$(state_last mv):$(dovecot_count Moves)" "10:30" \
	"move mode, crash after the first commit: 1..10 committed, nothing moved yet"
drive move.conf mv
like "$OUT" "^fetched=20 dup=5 commits=2 " "move mode: the restart fetches 11..30"
is "$(emls mv)" 30 "move mode: 30 messages in all"
is "$(dovecot_count Moves)" 0 "move mode: Moves is empty (1..10 moved by the repair step)"
is "$(dovecot_count Processed)" 30 "move mode: Processed holds the 30"
conf move2.conf "$PLAIN/Moves" tls=none processed=move:NoSuchFolder
drive move2.conf mv2
like "$OUT" "^error permanent: .*move:NoSuchFolder: no such folder" \
	"move to a missing folder is refused at connect"

# --- refusals --------------------------------------------------------------
printf 'wrong-password\n' > "$T/wrong.pass"
chmod 600 "$T/wrong.pass"
conf wrong.conf "$PLAIN/INBOX" tls=none
sed -i "s|^password_file = .*|password_file = $T/wrong.pass|" "$T/wrong.conf"
drive wrong.conf w
like "$OUT" "^error permanent: LOGIN as $DOVECOT_USER: server said: .*" "a wrong password is a permanent error"
check "the error never shows a password" sh -c "! printf '%s' \"\$1\" | grep -q -e wrong-password -e '$DOVECOT_PASS'" sh "$OUT"
conf nobox.conf "$PLAIN/NoSuchMailbox" tls=none
drive nobox.conf w
like "$OUT" "^error permanent: SELECT NoSuchMailbox: .*exist" "a missing mailbox is a permanent error"
conf noport.conf "imap://127.0.0.1:1/" tls=none
drive noport.conf w
like "$OUT" "^error temporary: cannot connect to 127.0.0.1:1" "connection refused is temporary"
conf clash.conf "imaps://localhost:$DOVECOT_TLS_PORT/" tls=none
drive clash.conf w
like "$OUT" "^error permanent: .*imaps:// but tls = none" "imaps:// with tls = none is refused"

# --- TLS -------------------------------------------------------------------
dovecot_append 5 Tls
TLS=imaps://localhost:$DOVECOT_TLS_PORT/Tls
conf tls1.conf "$TLS"
drive tls1.conf t1
like "$OUT" "^error permanent: TLS to localhost: certificate refused: unknown issuer" \
	"imaps, self-signed CA not given: refused (unknown issuer)"
conf tls2.conf "$TLS" "ca_file=$DOVECOT_CA"
drive tls2.conf t2
like "$OUT" "^fetched=5 dup=0 commits=1 " "imaps with ca_file: accepted, 5 fetched"
conf tls3.conf "imaps://127.0.0.1:$DOVECOT_TLS_PORT/Tls" "ca_file=$DOVECOT_CA"
drive tls3.conf t3
like "$OUT" "^error permanent: TLS to 127.0.0.1: certificate refused: name mismatch" \
	"imaps by IP, certificate for localhost: refused (name mismatch)"
conf tls4.conf "$TLS" "ca_file=$T/dovecot/tls/other-ca.crt"
drive tls4.conf t4
like "$OUT" "^error permanent: .*unknown issuer" "imaps, another CA in ca_file: refused"
dovecot_append 4 Tls 6
conf tls5.conf "imap://localhost:$DOVECOT_PORT/Tls" "ca_file=$DOVECOT_CA"
drive tls5.conf t2
like "$OUT" "^fetched=4 dup=0 commits=1 " "imap:// STARTTLS with ca_file: accepted, 4 new fetched"
conf tls6.conf "imap://127.0.0.1:$DOVECOT_PORT/Tls" "ca_file=$DOVECOT_CA"
drive tls6.conf t6
like "$OUT" "^error permanent: TLS to 127.0.0.1: certificate refused: name mismatch" \
	"STARTTLS verifies too (name mismatch refused)"
conf tls7.conf "imap://localhost:$DOVECOT_PORT/Tls"
drive tls7.conf t7
like "$OUT" "^error permanent: .*unknown issuer" "STARTTLS without ca_file: refused (unknown issuer)"

# --- IDLE ------------------------------------------------------------------
conf idle.conf "$PLAIN/INBOX" tls=none
"$DRIVER" -c "$T/idle.conf" -d "$T/a" --wait 10 > "$T/idle.out" 2>&1 &
BGPID=$!
i=0
while ! grep -q '^waiting' "$T/idle.out" && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.3
dovecot_message 777 | dovecot_save INBOX
wait $BGPID
BGPID=
OUT=$(cat "$T/idle.out")
# The wait's time includes the 0.3 s pause above and doveadm's start,
# which a loaded machine can stretch; polling would take the whole 10 s.
like "$OUT" "^wait=1 elapsed=[0-3]\.[0-9]+\$" "IDLE: imap_wait returns 1 soon after an append (under 4 s of a 10 s wait)"
like "$OUT" "^fetched=1 dup=0 commits=1 " "IDLE: the new message is fetched"

"$DRIVER" -c "$T/idle.conf" -d "$T/a" --wait 30 > "$T/idle.out" 2>&1 &
BGPID=$!
i=0
while ! grep -q '^waiting' "$T/idle.out" && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.3
kill -TERM $BGPID
wait $BGPID
RC=$?
BGPID=
OUT=$(cat "$T/idle.out")
like "$OUT" "^wait=0 elapsed=(0|1)\.[0-9]+\$" "SIGTERM ends an IDLE wait within a second or so"
is "$RC" 0 "and the driver exits cleanly"

# --- an expired certificate -------------------------------------------------
dovecot_stop
DOVECOT_CERT=expired
if dovecot_start "$T/dovecot"; then
	drive tls2.conf t8
	like "$OUT" "^error permanent: TLS to localhost: certificate refused: expired" \
		"an expired certificate is refused (expired)"
else
	fail "dovecot restarts with the expired certificate"
fi
DOVECOT_CERT=server

# --- a server without STARTTLS, IDLE and MOVE --------------------------------
dovecot_stop
DOVECOT_SSL=no
if dovecot_start "$T/dovecot" "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS"; then
	conf nostarttls.conf "imap://localhost:$DOVECOT_PORT/INBOX" "ca_file=$DOVECOT_CA"
	drive nostarttls.conf n1
	like "$OUT" "^error permanent: localhost:$DOVECOT_PORT does not offer STARTTLS; refusing" \
		"no STARTTLS offered: refused, no fallback to clear text"
	dovecot_append 12 Moves2
	conf copy.conf "$PLAIN/Moves2" tls=none batch=5 processed=move:Processed
	drive copy.conf cp
	like "$OUT" "^fetched=12 dup=0 commits=3 " "without MOVE: 12 fetched in 3 batches"
	is "$(dovecot_count Moves2)" 0 "without MOVE: UID COPY + UID EXPUNGE emptied Moves2"
	is "$(dovecot_count Processed)" 42 "without MOVE: Processed now holds 30 + 12"
	drive copy.conf cp --wait 1
	like "$OUT" "wait=1 elapsed=1\.[0-9]+" "without IDLE: imap_wait polls and returns 1 after the interval"
else
	fail "dovecot restarts without TLS"
	fail "skipped"
fi
DOVECOT_SSL=yes

if [ $failed -gt 0 ]; then
	echo "# Dovecot log (last 30 lines):"
	dovecot_log | tail -30 | sed 's/^/# /'
fi
echo "1..$n"
