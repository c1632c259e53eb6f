#!/bin/sh
# t_exit.sh - one table of exit codes (src/cmd/cmd.h; redress(1), EXIT
# STATUS), the same for every command: each row is a situation and the
# code it must give, whichever command meets it.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }

# code WANT DESCRIPTION COMMAND...: runs it, compares the exit status,
# and asks that anything but 0 says something on stderr.
code() {
	_want=$1
	_desc=$2
	shift 2
	R "$@" >out 2>err
	_st=$?
	is "$_st" "$_want" "$_desc: $*"
	if [ "$_want" != 0 ]; then
		ok $([ -s err ]; echo $?) "  and says why on stderr"
	fi
}

R ingest "$S" >/dev/null 2>&1
R case resolve 1 >/dev/null 2>&1

# 64: the command line is wrong.
code 64 "an unknown command" bogus
code 64 "an unknown option" case list --bogus
code 64 "a missing argument" case show
code 64 "an extra argument" case show 1 2
code 64 "a malformed case id" case show abc
code 64 "a malformed case id" case respond 1x
code 64 "a malformed case id" template render ack --case abc
code 64 "a malformed job id" queue retry abc
code 64 "an unknown state" case list --state bogus
code 64 "a malformed date" report --since yesterday
code 64 "a malformed date" case list --until yesterday
code 64 "an unknown priority" case list --priority soon
code 64 "an unknown sort order" case list --sort soon
code 64 "an unknown format" queue list --format xml
code 64 "a missing argument" case note 2
code 64 "a malformed agent name" case assign 2 "no such"
code 64 "a malformed address" case reply 2 --cc "no such"
code 64 "an extra argument" store export extra
like "$(R case show abc 2>&1)" '"abc" is not a case id' "a bad id is named, not answered with the whole usage"

# 65: what was asked cannot be done to what exists.
code 65 "a change the case's state refuses" case resolve 1
job=$(R --json queue list | jget "[j['id'] for j in d if j['state'] == 'queued'][0]")
code 65 "retrying a job that is not failed" queue retry "$job"
printf 'Hello\n' > "$T/body"
code 65 "a reply to a case that is not open" case reply 1 --file "$T/body"
like "$(cat err)" "reopen it first" "  because it is resolved"
code 65 "a case merged into itself" case merge 2 2
code 65 "an import into a store that is not empty" store import "$T/body"

# 66: what was named does not exist.
code 66 "no such case" case show 999
code 66 "no such case" case respond 999
code 66 "no such case" case note 999 text
code 66 "no such case" case reply 999 --file "$T/body"
code 66 "no such case" case merge 2 999
code 66 "no such case" template render ack --case 999
code 66 "no such job" queue retry 999
code 66 "no such message of a case" case show 1 --raw 9
code 66 "no such file" classify "$T/nonexistent.eml"
code 66 "no such file" ingest "$T/nonexistent.eml"
code 66 "no such rules file" rules lint "$T/nonexistent.rules"
code 66 "no such template directory" template lint "$T/nonexistent"
code 66 "no such template" template render nosuch --sample
code 66 "no such file" store import "$T/nonexistent.jsonl"

# 69: a service refused for good.
mkdir modes && cd modes || exit 1
R ingest "$S/01-refund.eml" >/dev/null 2>&1
chmod 0644 redress.db
code 69 "a store that others can read" case list
chmod 0600 redress.db
cd .. || exit 1
printf '[store]\npath = %s/no/such/dir/redress.db\n' "$T" >nodir.conf
code 69 "a store that cannot be created" -c nodir.conf case list

# 73: an output file cannot be made.
code 73 "an export to a directory that is not there" store export -o "$T/no/such/dir/x.jsonl"
printf '[log]\ntarget = file\nfile = %s/no/such/dir/redress.log\n' "$T" >nolog.conf
code 73 "a log file that cannot be opened" -c nolog.conf case list

# 75: try again later.
mkdir locked && cd locked || exit 1
R ingest "$S/01-refund.eml" >/dev/null 2>&1
printf '[store]\nbusy_timeout = 100\n' >redress.conf
python3 - redress.db <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(30)
PY
pid=$!
i=0
while [ ! -e redress.db.locked ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# The lock is held far longer than the two commands need, and let go
# once they have run: a slow start must not find the store free.
ok $([ -e redress.db.locked ]; echo $?) "the store is locked by another process"
code 75 "a store locked by another process" ingest "$S/02-damaged.eml"
code 75 "a store locked by another process" store export -o "$T/locked.jsonl"
kill $pid 2>/dev/null
wait $pid
cd .. || exit 1

# 78: the configuration is wrong.
printf '[sla]\nhours = mon-fri 9-17\n' >bad.conf
code 78 "a bad value in the configuration" -c bad.conf case list
code 78 "a bad value in the configuration (config show too)" -c bad.conf config show
printf 'rule x any nowhere 1 : x\n' >bad.rules
code 78 "a rules file with errors" rules lint bad.rules
code 66 "a configuration file that does not exist" -c "$T/none.conf" case list

# Filter mode: only 0 and 75, whatever went wrong.
R -c bad.conf filter <"$S/01-refund.eml"; is "$?" 75 "filter with a bad configuration: 75"
R -c nodir.conf filter <"$S/01-refund.eml"; is "$?" 75 "filter with a store it cannot create: 75"

done_testing
