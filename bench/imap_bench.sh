#!/bin/sh
# imap_bench.sh [N] - redress's IMAP fetcher against mbsync (isync).
#
# Starts a throw-away Dovecot on loopback (tests/lib/dovecot.sh, as root),
# puts N messages (default 10000) in a mailbox "Bench", primes Dovecot's
# index and cache, then fetches the whole mailbox RUNS times (default 3)
# with each client into a fresh directory:
#   redress: tests/imap_fetch_driver (src/net/imap.c; batches of BATCH, default
#            100; every batch committed and marked \Seen + keyword on the
#            server, as redress fetch does; one file per message)
#   mbsync:  Sync Pull into a maildir (one file per message)
#   transport: the driver again with --discard: the IMAP side alone (no
#            files), to separate our code from the file system's cost.
# Both without fsync by default; FSYNC=1 turns it on for both (driver
# --fsync, mbsync FSync yes).  Prints the median wall time, messages/s and
# client CPU seconds (user + sys) of each, and the ratio.  Also TLS=1 to
# run both over imaps with the test CA.
#
# Run from the build tree: top_srcdir=.. top_builddir=. sh ../bench/imap_bench.sh
set -eu

N=${1:-10000}
RUNS=${RUNS:-3}
BATCH=${BATCH:-100}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=.}"
DRIVER=$top_builddir/tests/imap_fetch_driver
. "$top_srcdir/tests/lib/dovecot.sh"

for need in mbsync dovecot /usr/bin/time; do
	if ! command -v $need >/dev/null 2>&1; then
		echo "imap_bench: $need is missing (apt-get install isync dovecot-imapd time)" >&2
		exit 1
	fi
done
[ -x "$DRIVER" ] || { echo "imap_bench: build $DRIVER first (make check)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "imap_bench: needs root for Dovecot" >&2; exit 1; }

T=$(mktemp -d /tmp/imap_bench.XXXXXX)
chmod 755 "$T"
trap 'dovecot_stop; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
dovecot_start "$T/dovecot"

echo "imap_bench: $N messages, $RUNS runs each, batch $BATCH, fsync ${FSYNC:-0}, tls ${TLS:-0}"
dovecot_append "$N" Bench
# Prime: sync the maildir, build the index and cache the sizes once, so
# neither client pays for Dovecot's first look.
dovecot_doveadm fetch -u "$DOVECOT_USER" 'uid size.virtual' mailbox Bench all > /dev/null
count=$(dovecot_count Bench)
[ "$count" = "$N" ] || { echo "imap_bench: Dovecot sees $count messages, not $N" >&2; exit 1; }

if [ "${TLS:-0}" = 1 ]; then
	url=imaps://localhost:$DOVECOT_TLS_PORT/Bench
	tlsline="ca_file = $DOVECOT_CA"
	mbtls="SSLType IMAPS
CertificateFile $DOVECOT_CA
Port $DOVECOT_TLS_PORT
Host localhost"
else
	url=imap://127.0.0.1:$DOVECOT_PORT/Bench
	tlsline="tls = none"
	mbtls="SSLType None
Port $DOVECOT_PORT
Host 127.0.0.1"
fi
cat > "$T/redress.conf" <<EOF
[imap]
url = $url
user = $DOVECOT_USER
password_file = $DOVECOT_PASSFILE
$tlsline
batch = $BATCH
EOF
if [ "${FSYNC:-0}" = 1 ]; then fs=yes; dfs=--fsync; else fs=no; dfs=; fi
cat > "$T/mbsyncrc" <<EOF
FSync $fs
IMAPAccount bench
$mbtls
User $DOVECOT_USER
PassCmd "cat $DOVECOT_PASSFILE"
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path $T/mb/
Inbox $T/mb/INBOX

Channel bench
Far :remote:Bench
Near :local:Bench
Sync Pull
Create Near
Expunge None
SyncState *
EOF

# run NAME COMMAND...: one timed run; appends "wall user sys" to $T/NAME.
run() {
	_name=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$T/time.tmp" "$@" > "$T/$_name.out" 2>&1 || {
		echo "imap_bench: $_name failed:" >&2
		cat "$T/$_name.out" >&2
		exit 1
	}
	cat "$T/time.tmp" >> "$T/$_name.times"
}

i=1
while [ "$i" -le "$RUNS" ]; do
	rm -rf "$T/mb" "$T/out"
	mkdir -p "$T/mb"
	run mbsync mbsync -c "$T/mbsyncrc" -q bench
	got=$(find "$T/mb/Bench" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
	[ "$got" = "$N" ] || { echo "imap_bench: mbsync copied $got of $N" >&2; exit 1; }
	run redress "$DRIVER" -c "$T/redress.conf" -d "$T/out" $dfs
	got=$(ls "$T/out" | grep -c '\.eml$')
	[ "$got" = "$N" ] || { echo "imap_bench: redress fetched $got of $N" >&2; exit 1; }
	run transport "$DRIVER" -c "$T/redress.conf" -d "$T/discard" --discard
	grep -q "^fetched=$N " "$T/transport.out" ||
		{ echo "imap_bench: --discard run did not fetch $N" >&2; exit 1; }
	i=$((i + 1))
done

# median and minimum of each column, then the table (shared machines are
# noisy: the minimum is the least disturbed run)
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
minimum() { sort -n | head -1; }
report() {
	_w=$(cut -d' ' -f1 "$T/$1.times" | median)
	_wm=$(cut -d' ' -f1 "$T/$1.times" | minimum)
	_c=$(awk '{ print $2 + $3 }' "$T/$1.times" | median)
	_cm=$(awk '{ print $2 + $3 }' "$T/$1.times" | minimum)
	_u=$(cut -d' ' -f2 "$T/$1.times" | median)
	_r=$(awk -v n="$N" -v w="$_w" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
	printf '%-10s %6.2f s (min %5.2f) %7s msg/s %6.2f s CPU (min %5.2f) %5.2f s user\n' \
		"$1" "$_w" "$_wm" "$_r" "$_c" "$_cm" "$_u"
	eval "${1}_wall=$_w ${1}_cpu=$_c ${1}_wmin=$_wm ${1}_cmin=$_cm ${1}_user=$_u"
}
echo "client     wall median        rate         CPU (user+sys) median     user median"
report mbsync
report redress
report transport
awk -v mw="$mbsync_wall" -v rw="$redress_wall" -v mc="$mbsync_cpu" -v rc="$redress_cpu" \
    -v mwm="$mbsync_wmin" -v rwm="$redress_wmin" -v mcm="$mbsync_cmin" -v rcm="$redress_cmin" 'BEGIN {
	printf "ratio (medians): redress is %.2fx mbsync'"'"'s speed (wall), uses %.2fx its CPU\n",
		(rw > 0 ? mw / rw : 0), (mc > 0 ? rc / mc : 0)
	printf "ratio (minima):  redress is %.2fx mbsync'"'"'s speed (wall), uses %.2fx its CPU\n",
		(rwm > 0 ? mwm / rwm : 0), (mcm > 0 ? rcm / mcm : 0)
}'
# User time is what the programs themselves compute; system time (file
# creation above all) is where a sandboxed or busy kernel adds its noise.
awk -v mu="$mbsync_user" -v ru="$redress_user" 'BEGIN {
	printf "ratio (user CPU): redress uses %.2fx mbsync'"'"'s user CPU\n", (mu > 0 ? ru / mu : 0)
}'
