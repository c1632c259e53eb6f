#!/bin/sh
# Host name lookups are bounded (src/net/resolve.c).  A name server that
# never answers (its host is gone: no refusal, nothing) held getaddrinfo(3)
# for resolv.conf's timeout x attempts, whatever [spam] timeout or [imap]
# timeout promised.  Here every lookup goes to tests/lib/dns_blackhole.py,
# which reads queries and never answers, with resolv.conf saying
# "timeout:30 attempts:5" (150 s a lookup): redress ingest with
# [spam] spamd = never-answers.example:783 must be over within [spam]
# timeout (2 s), the message waiting as for a spamd that is down, and
# redress fetch from imap://never-answers.example within [imap] timeout.
#
# The script runs itself again in a mount namespace of its own (unshare
# -m) with its own /etc/resolv.conf, /etc/nsswitch.conf and /etc/hosts
# bind-mounted over the machine's: nothing outside sees them.  It needs
# root (port 53, mount) and skips without.
. "$top_srcdir/tests/lib/tap.sh"
if [ -z "$T_RESOLVE_NS" ]; then
	[ "$(id -u)" = 0 ] || skip_all "binds port 53 and mounts in a namespace: needs root"
	command -v unshare >/dev/null 2>&1 || skip_all "unshare(1) is not installed"
	unshare -m sh -c 'mount --bind /etc/hosts /etc/hosts' >/dev/null 2>&1 ||
		skip_all "unshare -m and mount --bind are not permitted here"
	T_RESOLVE_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi

T=$(mktemp -d /tmp/t_resolve.XXXXXX)
chmod 755 "$T"
BH=
cleanup() {
	[ -n "$BH" ] && kill "$BH" 2>/dev/null
	kill "$WATCHDOG" 2>/dev/null
	umount /etc/resolv.conf /etc/nsswitch.conf /etc/hosts 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 200 t_resolve
cd "$T" || exit 1

python3 "$top_srcdir/tests/lib/dns_blackhole.py" "$T/ns.addr" &
BH=$!
i=0; while [ ! -s ns.addr ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s ns.addr ] || { echo "Bail out! dns_blackhole.py did not start"; exit 1; }
printf 'nameserver %s\noptions timeout:30 attempts:5\n' "$(cat ns.addr)" > resolv.conf
printf 'hosts: files dns\n' > nsswitch.conf
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' > hosts
for f in resolv.conf nsswitch.conf hosts; do
	mount --bind "$T/$f" "/etc/$f" || { echo "Bail out! cannot bind-mount /etc/$f"; exit 1; }
done

# The test is only worth something if lookups really hang here.
t0=$(date +%s)
timeout 4 getent ahosts never-answers.example >/dev/null 2>&1; st=$?
t1=$(date +%s)
is "$st" 124 "the blackhole holds a plain lookup (getent killed after 4 s)"

# At most this long a command: a lookup left unbounded takes 150 s.
BOUND=40
timed() {	# OUT ERR CMD...: runs CMD, sets ST and TOOK (seconds)
	_o=$1 _e=$2; shift 2
	t0=$(date +%s)
	env "$KILLABLE" timeout -s KILL $BOUND "$@" >"$_o" 2>"$_e"; ST=$?
	t1=$(date +%s)
	TOOK=$((t1 - t0))
}

complaint() {
	printf 'From: Jane Customer <customer1@example.net>\nTo: care@example.com\n'
	printf 'Subject: Parcel not delivered (order 48211)\n'
	printf 'Date: Mon, 23 Nov 2026 09:59:58 +0000\n'
	printf 'Message-ID: <complaint-1@example.net>\n\n'
	printf 'My parcel has not arrived after three weeks. Where is it?\n'
}
complaint > c1.eml

NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }

# ------------------------------------------------- [spam] spamd = NAME:PORT
mkdir spamd && cd spamd || exit 1
printf '[smtp]\nfrom = Acme Care <care@example.com>\n' > redress.conf
printf '[sla]\ntimezone = UTC\nhours = mon-fri 09:00-17:00\n' >> redress.conf
printf '[spam]\nspamd = never-answers.example:783\ntimeout = 2\nwait = 15m\n' >> redress.conf
timed out err "$REDRESS" --now "$NOW" ingest ../c1.eml
is "$ST" 0 "spamd's name does not resolve in time: intake goes on (exit 0)"
ok "$([ "$TOOK" -lt 10 ]; echo $?)" "within [spam] timeout, not the resolver's 150 s (took $TOOK s)"
like "$(cat err)" "the ack waits up to \[spam\] wait" "and warns"
like "$(R --json case show 1 | jget '" | ".join(d["traffic_reasons"])' 2>/dev/null)" \
     "unscanned: scanner unavailable.*name lookup of never-answers\.example did not finish within 2 s" \
     "the reasons say the scanner was unavailable, and why"
is "$(R --json case show 1 | jget '[j["due"] for j in d["jobs"] if j["kind"] in ("ack", "ack-plain")][0]' 2>/dev/null)" \
   "2026-11-23T10:15:00Z" "the ack waits [spam] wait, as for a spamd that is down"
cd .. || exit 1

# ------------------------------------------------- [imap] url = imap://NAME
mkdir imap && cd imap || exit 1
printf 'secret\n' > pw; chmod 600 pw
{ printf '[imap]\nurl = imap://never-answers.example/INBOX\nuser = care\n'
  printf 'password_file = %s/imap/pw\ntimeout = 2\n' "$T"; } > redress.conf
timed out err "$REDRESS" fetch --once
is "$ST" 75 "the IMAP server's name does not resolve in time: temporary failure (75)"
ok "$([ "$TOOK" -lt 10 ]; echo $?)" "within [imap] timeout, not the resolver's 150 s (took $TOOK s)"
like "$(cat err)" "name lookup of never-answers\.example did not finish within 2 s" "saying why"

# SIGTERM ends a fetch within about a second, in a name lookup too.  The
# signal goes once the blackhole has the fetch's query (a fixed sleep lost
# the race on a loaded machine under the sanitizers).
sed 's/^timeout = 2$/timeout = 60/' redress.conf > r60.conf
queries() { wc -l < "$T/ns.addr.log" 2>/dev/null || echo 0; }
q0=$(queries)
env "$KILLABLE" timeout -s KILL $BOUND "$REDRESS" -c r60.conf fetch >out 2>err &
fp=$!
i=0; while [ "$(queries)" -le "$q0" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
ok "$([ "$(queries)" -gt "$q0" ]; echo $?)" "the fetch asks the name server"
t0=$(date +%s)
kill -TERM "$fp" 2>/dev/null	# timeout(1) passes it on
wait "$fp"; ST=$?
t1=$(date +%s)
ok "$([ $((t1 - t0)) -lt 4 ]; echo $?)" "SIGTERM ends a fetch waiting for the name (took $((t1 - t0)) s after it)"
like "$(cat err)" "never-answers\.example: stopped by a signal" "saying so"
cd .. || exit 1

# ------------------------------------------- what is left behind is freed
# Lookups abandoned at their deadline go on in glibc's resolver threads
# (at most 20; the rest wait in its queue and are cancelled instead).
# With "timeout:3 attempts:1" they end while the driver lingers, and their
# notifications free them: under the sanitizers a request freed twice, or
# never, is a report.
printf 'nameserver %s\noptions timeout:3 attempts:1\n' "$(cat ns.addr)" > resolv.conf
timed out err "$top_builddir/tests/resolve_driver" never-answers.example 50 25 8000
is "$ST" 0 "25 lookups abandoned or cancelled in a row, then 8 s for them to end"
is "$(grep -c '^error: the name lookup of never-answers\.example did not finish within 1 s$' out)" 25 \
   "each said it did not finish in time"
ok "$([ "$TOOK" -lt 20 ]; echo $?)" "without waiting for the resolver (took $TOOK s)"
n=$(sed -n 's/^in flight //p' out)
ok "$([ "${n:-0}" -ge 1 ] && [ "$n" -le 20 ]; echo $?)" \
   "$n were left running in glibc's threads (at most 20), the rest cancelled"
is "$(sed -n 's/^left //p' out)" 0 "once the resolver gave up on them, their notifications freed them all"

done_testing
