#!/bin/sh
# filter: the delivery-filter contract (doc/mail-rules.md §3): silent, 0 only after
# commit, 75 when the store cannot take the message, never a bounce for
# mail it cannot parse, envelope from -f/-r or SENDER/RECIPIENT.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"

"$REDRESS" filter -f maria.lopez@example.net -r care@localhost < "$S/01-refund.eml" >out 2>err; st=$?
is "$st" 0 "filter stores a complaint and exits 0"
is "$(cat out err | wc -c)" 0 "filter prints nothing"
is "$("$REDRESS" --json case list | jget 'len(d), d[0]["state"]')" "1 new" "one new case"
is "$("$REDRESS" --json queue list | jget '[j["kind"] for j in d if j["state"] == "queued"]')" \
   "['ack', 'followup']" "ack and follow-up queued"

"$REDRESS" filter < "$S/01-refund.eml" >out 2>err; st=$?
is "$st" 0 "the same message again exits 0"
is "$("$REDRESS" --json case list | jget 'len(d)')" 1 "and makes no second case"
is "$("$REDRESS" --json queue list | jget 'len(d)')" 2 "and no second ack"

# A bounce: Postfix pipe shows the null sender as MAILER-DAEMON.
sed 's/Charged twice/Undelivered Mail Returned to Sender/; s/5521/5522/' "$S/01-refund.eml" > bounce.eml
"$REDRESS" filter -f MAILER-DAEMON -r care@localhost < bounce.eml; st=$?
is "$st" 0 "a bounce is stored (exit 0)"
is "$("$REDRESS" --json case show 2 | jget '[j["state"] for j in d["jobs"]]')" "['suppressed']" \
   "a null envelope sender gets no ack"
like "$("$REDRESS" --json case show 2 | jget 'd["reply_note"]')" "null envelope|bounce" "and the case says why"
is "$("$REDRESS" --json case show 2 | jget 'd["first_response_due"], d["resolution_due"]')" "None None" \
   "and no SLA clock: a machine must not page the duty manager"

# SENDER/RECIPIENT from the environment (local(8), Exim, Dovecot).
sed 's/5521/5523/' "$S/01-refund.eml" > env.eml
SENDER= RECIPIENT=care@localhost "$REDRESS" filter < env.eml; st=$?
is "$st" 0 "SENDER from the environment"
is "$("$REDRESS" --json case show 3 | jget '[j["state"] for j in d["jobs"]]')" "['suppressed']" \
   "an empty SENDER is the null sender: no ack"

# Unparseable mail is held and still exit 0: a complaint never bounces.
printf 'Content-Type: multipart/mixed; boundary="\\""\n\n--"\n' | "$REDRESS" filter; st=$?
is "$st" 0 "unparseable message: exit 0"
is "$("$REDRESS" --json case list --state held | jget 'len(d)')" 1 "and it is held"

# Locked store: 75, so the MTA retries.
cat > locked.conf <<EOC
[store]
path = $T/redress.db
busy_timeout = 200
EOC
python3 - "$T/redress.db" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(4)
PY
pid=$!
# Wait for the lock (python's start can take seconds on a loaded machine);
# without it the test below would prove nothing.
i=0
while [ ! -e redress.db.locked ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e redress.db.locked ]; ok $? "the other process holds the store's lock"
sed 's/5521/5524/' "$S/01-refund.eml" | "$REDRESS" -c locked.conf filter; st=$?
is "$st" 75 "store locked by another process: exit 75"
wait $pid
sed 's/5521/5524/' "$S/01-refund.eml" | "$REDRESS" -c locked.conf filter; st=$?
is "$st" 0 "after the lock is gone the retry is stored"

# A store that cannot be created: 75.
cat > nodir.conf <<EOC
[store]
path = $T/no/such/dir/redress.db
EOC
"$REDRESS" -c nodir.conf filter < "$S/02-damaged.eml"; st=$?
is "$st" 75 "store cannot be opened: exit 75"

# A broken config: 75 too in filter mode (not the sender's fault).
printf '[store]\nnonsense = 1\n' > bad.conf
"$REDRESS" -c bad.conf filter < "$S/02-damaged.eml" 2>/dev/null; st=$?
is "$st" 75 "bad config in filter mode: exit 75, never a bounce"
"$REDRESS" -c bad.conf case list 2>err; st=$?
is "$st" 78 "bad config elsewhere: exit 78"
like "$(cat err)" "bad.conf:2: unknown key \"nonsense\" in \[store\]" "config errors name file:line"

# [log] target = file: the filter's lines go to its own file, 0600, and it
# still prints nothing.
mkdir logf && cd logf || exit 1
cat > log.conf <<EOC
[store]
path = $T/logf/redress.db
[log]
target = file
file = $T/logf/redress.log
EOC
sed 's/5521/l5521/' "$S/01-refund.eml" | "$REDRESS" -c log.conf filter -f maria.lopez@example.net >out 2>err; st=$?
is "$st" 0 "[log] target = file: the filter stores the message"
is "$(cat out err | wc -c)" 0 "  and prints nothing"
like "$(cat redress.log)" '^[0-9-]{10}T[0-9:]{8}Z redress\[[0-9]+\]: filter: case 1: new case: billing' \
     "  its log line is in the file, with time and pid"
is "$(stat -c %a redress.log)" 600 "  which is 0600"
sed 's/5521/l5522/' "$S/02-damaged.eml" | "$REDRESS" -c log.conf filter -f priya.shah@example.com; st=$?
is "$(wc -l < redress.log | tr -d ' ')" 2 "a second delivery appends a line"
# A log file that cannot be opened loses no mail: the filter stores it
# (and says why in syslog); any other command refuses to start (73).
sed -i "s|^file = .*|file = $T/logf/none/redress.log|" log.conf
sed 's/5521/l5523/' "$S/03-late.eml" | "$REDRESS" -c log.conf filter >out 2>err; st=$?
is "$st" 0 "[log] file in no directory: the filter still takes the message"
is "$(cat out err | wc -c)" 0 "  silently"
"$REDRESS" -c log.conf queue list >out 2>err; st=$?
is "$st" 73 "  any other command exits 73"
like "$(cat err)" "log.conf:5: \[log\] file: \"$T/logf/none/redress.log\": No such file" \
     "  naming FILE:LINE and why"
sed -i "s|^file = .*|file = $T/logf/redress.log|" log.conf
is "$("$REDRESS" -c log.conf --json case list | jget 'len(d)')" 3 "  and the message is in the store"
# A command run at a terminal shows its errors there too, wherever the log
# goes; one whose stderr is not a terminal (cron, a unit) only logs them.
printf '[store]\npath = %s/logf/none/redress.db\n[log]\ntarget = file\nfile = %s/logf/echo.log\n' \
	"$T" "$T" > echo.conf
python3 - "$REDRESS" -c echo.conf case list > tty.out <<'PY'
import os, pty, sys
try:
    pid, fd = pty.fork()
except OSError:
    sys.exit(77)    # no terminals here (a chroot without /dev/pts)
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
PY
if [ $? = 77 ]; then
	skip 4 "no pseudo-terminal can be opened here"
else
	like "$(cat tty.out)" "^redress: error: store .*/none/redress.db: cannot create it" \
	     "at a terminal, an error logged to the file is shown there too"
	like "$(cat echo.log)" "Z redress\[[0-9]+\]: error: store .*/none/redress.db: cannot create it" \
	     "  and it is in the file"
	"$REDRESS" -c echo.conf case list >out 2>err
	is "$(cat out err | wc -c)" 0 "  not at a terminal: only in the file"
	is "$(grep -c 'cannot create it' echo.log)" 2 "  (where it is twice now)"
fi
sed -i '/^file = /d' log.conf
"$REDRESS" -c log.conf filter < "$S/02-damaged.eml" 2>/dev/null; st=$?
is "$st" 75 "target = file without [log] file: a configuration error, 75 in the filter"
cd .. || exit 1

# A leading mbox From line (Postfix pipe flag F) is fine.
{ echo "From priya.shah@example.com Mon Nov 23 11:40:00 2026"; sed 's/a81f0c2e/b81f0c2e/' "$S/03-late.eml"; } | "$REDRESS" filter; st=$?
is "$st" 0 "a leading From_ line is accepted"
is "$("$REDRESS" --json case list | jget '[c["subject"] for c in d][-1]')" "Where is my parcel? – order 44990" \
   "and the subject is decoded"

# One process per message must not leave an ever longer WAL: the next
# process reads all of it (the -shm index dies with the last connection,
# and with it the record that the frames were checkpointed).  40 messages
# of 60 kB write some 2.5 MB; the WAL must stay near its 1 MiB trim point.
mkdir wal && cd wal || exit 1
pad=$(python3 -c 'print(("padding the complaint out to a larger size. " * 60 + "\n") * 23, end="")')
i=0
fails=0
while [ $i -lt 40 ]; do
	{ sed "s/5521/6$i/" "$S/01-refund.eml"; printf '%s\n' "$pad"; } | "$REDRESS" filter || fails=$((fails + 1))
	i=$((i + 1))
done
is "$fails" 0 "40 large messages, one filter process each: all stored"
# (Measured before sqlite3(1) opens the store: it checkpoints on close.)
wal=$(stat -c %s redress.db-wal)
db=$(stat -c %s redress.db)
ok $([ "$db" -gt 2000000 ]; echo $?) "the database holds them ($db bytes)"
ok $([ "$wal" -le 1200000 ]; echo $?) "the WAL is trimmed, not grown with every process ($wal bytes)"
is "$(sqlite3 redress.db 'select count(*) from messages')" 40 "40 messages in the store"
cd .. || exit 1
# Parallel deliveries into a new store (an MTA runs several pipe processes
# at once): the first ones race to create the schema and the Message-ID
# key.  Each must succeed, and all must share one key.
fails=0
r=0
while [ $r -lt 10 ]; do
	mkdir "race$r" && cd "race$r" || exit 1
	j=0
	while [ $j -lt 8 ]; do
		{ sed "s/5521/r$j/" "$S/01-refund.eml" | "$REDRESS" -v filter >/dev/null 2>"err$j" ||
		  { echo x >> fails; cat "err$j" >> ../race-errors; }; } &
		j=$((j + 1))
	done
	wait
	[ -f fails ] && fails=$((fails + $(wc -l < fails)))
	[ "$(sqlite3 redress.db "SELECT count(*) FROM meta WHERE name = 'msgid-key'")" = 1 ] || fails=$((fails + 100))
	cd .. || exit 1
	r=$((r + 1))
done
is "$fails" 0 "8 parallel first deliveries into a new store, 10 times: all stored, one key"
[ -s race-errors ] && sort race-errors | uniq -c | sed 's/^/# /' 

done_testing
