#!/bin/sh
# t_storefile.sh - the store as a file: who may read it, what is not a
# store, and what a store that breaks under a running process does.
#   - everything redress creates is 0600 (store, -wal, -shm, outbox files);
#   - a store others can read is refused, unless [store] others_may_read;
#   - a config that others can read and that holds a password is warned
#     about (to syslog, silently, in filter mode);
#   - an empty file at the store's path is refused, never taken for a new
#     store; a store is created whole, so it is never seen empty;
#   - a store directory that does not exist: 69 (75 in filter mode);
#   - the -shm file truncated under a sender (what a file system turning
#     read-only also does): SIGBUS inside SQLite used to kill redress with
#     no word; now it says why and exits 75.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtp-sink.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/t_storefile.XXXXXX")
chmod 0755 "$T"   # smtp-sink runs as nobody and writes below
WATCHDOG=
cleanup() {
	sink_stop_all
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
sink_available && sink_init "$T/sinks"
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 60 t_storefile.sh
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }
mode() { stat -c %a "$1"; }

# --- modes of what redress creates, under a permissive umask -------------
mkdir modes && cd modes || exit 1
(umask 000; R ingest "$S/01-refund.eml" >/dev/null 2>err)
is "$?" 0 "ingest under umask 000"
is "$(mode redress.db)" 600 "the store is created 0600"
for f in redress.db-wal redress.db-shm; do
	[ -e "$f" ] && is "$(mode "$f")" 600 "$f is 0600"
done
(umask 000; R send --once >/dev/null 2>err)
is "$(mode outbox)" 700 "the outbox directory is 0700"
is "$(find outbox -type f ! -perm 600 | wc -l)" 0 "every outbox file is 0600"
is "$(find outbox -type f | wc -l)" 1 "(the ack is there)"
is "$(ls -a | grep -c '\.new-')" 0 "no temporary store file is left behind"

# --- a store others can read ----------------------------------------------
chmod 0644 redress.db
R case list >out 2>err; st=$?
is "$st" 69 "a store others can read is refused (69)"
like "$(cat err)" "other users can read it \(mode 0644\).*chmod o-rw" "saying why and what to do"
printf '[store]\nothers_may_read = yes\n' >redress.conf
R case list >out 2>err; st=$?
is "$st" 0 "[store] others_may_read = yes opens it"
rm redress.conf
chmod 0640 redress.db
R case list >out 2>err; st=$?
is "$st" 0 "a store its group can read is fine (0640)"
echo x | R filter; st=$?
chmod 0600 redress.db
is "$st" 0 "(the filter stores into it too)"
chmod 0604 redress.db
echo x | R filter; st=$?
chmod 0600 redress.db
is "$st" 75 "filter mode: a store others can read is a temporary failure (75)"
cd .. || exit 1

# --- a config with a password that others can read -------------------------
mkdir pw && cd pw || exit 1
printf '[smtp]\npassword = hunter2\n' >redress.conf
chmod 0644 redress.conf
R case list >out 2>err; st=$?
is "$st" 0 "a readable config with a password still loads"
like "$(cat err)" "warning: .*redress.conf: other users can read this file, and it holds \[smtp\] password" \
	"with a warning"
ok $(grep -q hunter2 err; [ $? != 0 ]; echo $?) "that does not show the password"
R filter <"$S/02-damaged.eml" >out 2>err; st=$?
is "$st" 0 "the filter delivers with it"
is "$(cat out err | wc -c)" 0 "and prints nothing (the warning goes to syslog)"
chmod 0600 redress.conf
R case list >out 2>err
is "$(cat err | wc -c)" 0 "no warning once the file is 0600"
cd .. || exit 1

# --- an empty file is not a store ------------------------------------------
mkdir empty && cd empty || exit 1
: >redress.db
chmod 0600 redress.db
R case list >out 2>err; st=$?
is "$st" 69 "an empty redress.db is refused (69)"
like "$(cat err)" "an empty file, not a redress store" "saying what it is"
is "$(stat -c %s redress.db)" 0 "and it is left as it was"
R filter <"$S/01-refund.eml"; st=$?
is "$st" 75 "filter mode: 75, so the mail waits for the admin"
cd .. || exit 1

# --- no such directory ------------------------------------------------------
mkdir nodir && cd nodir || exit 1
printf '[store]\npath = %s/no/such/dir/redress.db\n' "$T" >redress.conf
R case list >out 2>err; st=$?
is "$st" 69 "a store in a directory that does not exist: 69, as redress(1) says"
like "$(cat err)" "cannot create it: No such file or directory" "saying why"
R filter <"$S/01-refund.eml"; st=$?
is "$st" 75 "filter mode: 75"
cd .. || exit 1

# --- the -shm file breaks under a sender: SIGBUS ---------------------------
if ! sink_available; then
	ok 0 "# SKIP smtp-sink is not installed"
else
	mkdir bus && cd bus || exit 1
	sink_start slow -w 3 || exit 1
	cat >redress.conf <<EOC
[smtp]
url = smtp://127.0.0.1:$(sink_port slow)
tls = none
timeout = 20
EOC
	R ingest "$S/01-refund.eml" "$S/02-damaged.eml" >/dev/null 2>err
	"$REDRESS" --now "$NOW" send --once >out 2>err &
	pid=$!
	i=0
	# The first job is in hand (smtp-sink waits 3 s before it answers DATA).
	while [ "$(sqlite3 redress.db "SELECT count(*) FROM jobs WHERE state = 'sending'" 2>/dev/null)" != 1 ] &&
		[ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	truncate -s 0 redress.db-shm
	wait $pid; st=$?
	is "$st" 75 "a store whose -shm vanished under send: exit 75, not death by SIGBUS"
	like "$(cat err)" "fatal: SIGBUS: .*store's -shm file" "saying what happened"
	cd .. || exit 1
fi

done_testing
