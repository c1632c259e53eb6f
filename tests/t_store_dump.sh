#!/bin/sh
# t_store_dump.sh - "redress store export" and "store import" (issue 17):
# a SQLite store with cases, odd messages (8bit, bytes that are not UTF-8,
# a NUL, binary attachments), events, jobs, a merge, a link, an owner, an
# IMAP cursor and a lock, exported (a 0600 file) and imported into a new
# SQLite store: the same "case list", "case show" of every case, "queue
# list", every raw message byte for byte, and an export of the import
# equal to the first one.  An import into a store that is not empty, an
# export cut short (at a line's end or inside one), a count that does not
# match, a column no table has, a row whose case is missing: refused
# (exit 65, FILE:LINE), and the store is left empty.  With PostgreSQL
# (skipped where it is not installed): the same export into a new database
# gives the same listings and bytes; a case made after the import gets the
# next id; the PostgreSQL export back into SQLite is equal again.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
T=$(mktemp -d /tmp/t_sd.XXXXXX)
chmod 755 "$T"
cleanup() {
	pg_stop_all
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
watchdog_start 300 t_store_dump.sh
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
M="${REDRESS_CORPORA:-}/mail/mikel_mail_fixtures"
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }

conf() { # conf NAME STORE-LINE: NAME.conf for a store
	cat > "$1.conf" <<EOC
[store]
$2
[smtp]
from = Customer Care <care@example.com>
escalate_to = Duty Manager <duty@example.com>
[agents]
alice = alice@example.com
[sla]
timezone = UTC
hours = mon-sun 00:00-24:00
EOC
}
conf a "path = $T/a.db"
conf b "path = $T/b.db"
conf c "path = $T/c.db"

# --- A store with something of everything ---------------------------------
# Bytes that are not UTF-8 in a header and the body, a NUL, CRLF, 8bit.
printf 'From: Odd <odd@example.com>\r\nTo: care@example.com\r\nSubject: caf\351 \377 broken\r\nMessage-ID: <odd1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nbroken \377\376 bytes, a NUL \000 here, and my order never came\r\n' > odd.eml
printf 'From: latin@example.com\nTo: care@example.com\nSubject: =?iso-8859-1?q?R=E9clamation?=\nMessage-ID: <latin1@example.com>\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nMa commande est arriv\351e cass\351e. Remboursement!\n' > latin.eml
extra=
for f in attachment_emails/attachment_pdf.eml attachment_emails/attachment_nonascii_filename.eml \
	 multi_charset/japanese_shift_jis.eml multi_charset/japanese_iso_2022.eml rfc6532/utf8_headers.eml; do
	[ -f "$M/$f" ] && extra="$extra $M/$f"
done
[ -n "$extra" ] || diag "no mikel_mail_fixtures: the samples and odd messages only"
# shellcheck disable=SC2086
R -c a.conf ingest "$S" odd.eml latin.eml $extra >ingest.out 2>&1
ok $? "the messages are ingested into the SQLite store"
NOW=2026-11-23T10:05:00Z
REDRESS_AGENT=alice R -c a.conf case merge 2 3 >/dev/null 2>&1; ok $? "case merge 2 3"
REDRESS_AGENT=alice R -c a.conf case link 1 4 >/dev/null 2>&1; ok $? "case link 1 4"
REDRESS_AGENT=alice R -c a.conf case assign 5 alice >/dev/null 2>&1; ok $? "case assign 5 alice"
REDRESS_AGENT=alice R -c a.conf case note 1 "called: \"refund\" \\ tab	here, é 😀" >/dev/null 2>&1
ok $? "a note with quotes, a backslash, a tab, an accent and an emoji"
NOW=2026-11-26T10:00:00Z
R -c a.conf tick >/dev/null 2>&1; ok $? "tick: breaches, escalations and warnings queued"
if command -v sqlite3 >/dev/null 2>&1; then
	# An IMAP cursor, and a lock (which is not exported: it is a running
	# process's).
	sqlite3 a.db "INSERT INTO imap_state VALUES ('imaps://u@imap.example.com/INBOX', 1700000000, 4242);
		INSERT INTO locks VALUES ('send', '99999@elsewhere', 1800000000);"
	ok $? "an IMAP cursor and a lock, by hand"
fi
ncases=$(R -c a.conf --json case list | jget 'len(d)')
njobs=$(R -c a.conf --json queue list | jget 'len(d)')
diag "$ncases cases, $njobs jobs"
[ "$ncases" -ge 10 ] && [ "$njobs" -ge 10 ]; ok $? "cases and jobs to move ($ncases, $njobs)"

# --- Export ---------------------------------------------------------------
R -c a.conf store export -o d1.jsonl 2>export.err; ok $? "store export -o exits 0"
is "$(stat -c %a d1.jsonl)" 600 "the export is made 0600 (it holds the key and every complaint)"
like "$(cat export.err)" "store export: sqlite store .*a.db: [0-9]+ rows \(meta 1, cases $ncases, " \
     "it says what it wrote, on stderr"
is "$(head -1 d1.jsonl)" '{"redress":"store","format":1,"schema":10,"from":"sqlite"}' "the header line"
like "$(tail -1 d1.jsonl)" "^\{\"t\":\"end\",\"meta\":1,\"cases\":$ncases,\"messages\":[0-9]+,\"events\":[0-9]+,\"jobs\":$njobs,\"imap_state\":[01],\"rates\":[0-9]+,\"case_links\":1\}$" \
     "the end line counts the rows of each table"
python3 - d1.jsonl > d1.check <<'EOP'
import json, sys
n = 0
tables = []
for line in open(sys.argv[1], 'rb'):
    o = json.loads(line)
    n += 1
    if 't' in o and o['t'] not in tables:
        tables.append(o['t'])
print(n, ' '.join(tables))
EOP
like "$(cat d1.check)" "^[0-9]+ meta cases messages events jobs (imap_state )?rates case_links end$" \
     "every line is JSON, the tables in the order of their foreign keys"
grep -q '"t":"locks"' d1.jsonl; ok $((! $?)) "no lock is exported"
grep -q '"t":"message_text' d1.jsonl; ok $((! $?)) "nor SQLite's full text index (it is derived)"
R -c a.conf store export > d1.stdout 2>/dev/null; ok $? "store export to stdout"
cmp -s d1.jsonl d1.stdout; ok $? "  the same bytes as -o FILE"

# --- Import into SQLite -----------------------------------------------------
R -c b.conf store import d1.jsonl > import.out 2>&1; ok $? "store import into a new SQLite store exits 0"
like "$(cat import.out)" "imported into sqlite store .*b.db: [0-9]+ rows \(meta 1, cases $ncases, " \
     "it says what it read"

# same CONF-A CONF-B WHAT: the listings and every raw message are the same.
same() {
	is "$(R -c "$2" case list 2>&1)" "$(R -c "$1" case list 2>&1)" "$3: case list"
	is "$(R -c "$2" --json case list 2>&1)" "$(R -c "$1" --json case list 2>&1)" \
	   "$3: case list --json"
	is "$(R -c "$2" queue list 2>&1)" "$(R -c "$1" queue list 2>&1)" "$3: queue list"
	_show=0 _raw=0 _bad=
	for _id in $(R -c "$1" --json case list | jget "' '.join(str(c['id']) for c in d)"); do
		R -c "$1" --json case show "$_id" > show1 2>&1
		R -c "$2" --json case show "$_id" > show2 2>&1
		cmp -s show1 show2 || _bad="$_bad show:$_id"
		R -c "$1" case show "$_id" > show1 2>&1
		R -c "$2" case show "$_id" > show2 2>&1
		cmp -s show1 show2 || _bad="$_bad show-text:$_id"
		_show=$((_show + 1))
		_n=$(R -c "$1" --json case show "$_id" | jget "len(d['messages'])")
		_k=1
		while [ "$_k" -le "$_n" ]; do
			R -c "$1" case show "$_id" --raw "$_k" > raw1 2>&1
			R -c "$2" case show "$_id" --raw "$_k" > raw2 2>&1
			cmp -s raw1 raw2 || _bad="$_bad raw:$_id/$_k"
			_raw=$((_raw + 1))
			_k=$((_k + 1))
		done
	done
	is "$_bad" "" "$3: case show (text and JSON) of each of $_show cases and $_raw raw messages byte for byte"
}
same a.conf b.conf "SQLite to SQLite"
raw_odd=$(for id in $(R -c a.conf --json case list | jget "' '.join(str(c['id']) for c in d)"); do
	R -c b.conf case show "$id" --raw 1 2>/dev/null | grep -c "odd1@example.com"; done | grep -c '^1$')
is "$raw_odd" 1 "the odd message is among them"
R -c b.conf store export -o d2.jsonl 2>/dev/null; ok $? "export of the imported store"
cmp -s d1.jsonl d2.jsonl; ok $? "  is the first export, byte for byte"
if command -v sqlite3 >/dev/null 2>&1; then
	is "$(sqlite3 b.db "SELECT count(*) FROM message_text")" "$(sqlite3 a.db "SELECT count(*) FROM message_text")" \
	   "SQLite's full text index is made again as the messages go in"
	is "$(sqlite3 b.db "SELECT mailbox, uidvalidity, last_uid FROM imap_state")" \
	   "imaps://u@imap.example.com/INBOX|1700000000|4242" "the IMAP cursor is carried"
	is "$(sqlite3 b.db "SELECT count(*) FROM locks")" 0 "no lock is carried"
	is "$(sqlite3 b.db "SELECT hex(value) FROM meta WHERE name = 'msgid-key'")" \
	   "$(sqlite3 a.db "SELECT hex(value) FROM meta WHERE name = 'msgid-key'")" "the Message-ID key is carried"
fi
like "$(R -c b.conf case list --search commande 2>&1)" "latin@example.com" "search finds the imported text"

# Every text redress writes is UTF-8; one that is not (SQLite holds what
# another tool put there) is written as base64 and comes back byte for
# byte: an export with such an event added.
python3 - d1.jsonl > bytes.jsonl <<'EOP'
import json, sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
out = []
for i, line in enumerate(lines):
    o = json.loads(line)
    if o.get('t') == 'end':
        o['events'] += 1
        line = json.dumps(o, separators=(',', ':')).encode()
    out.append(line)
    if o.get('t') == 'events' and json.loads(lines[i + 1]).get('t') != 'events':
        out.append(b'{"t":"events","id":99999,"case_id":1,"at":1795000000,"kind":"note",'
                   b'"detail":{"base64":"Y2FmjiD/AA=="},"author":"bytes"}')
sys.stdout.buffer.write(b'\n'.join(out) + b'\n')
EOP
conf f "path = $T/f.db"
R -c f.conf store import bytes.jsonl >/dev/null 2>err; ok $? "a text that is not UTF-8 (and holds a NUL) is imported"
R -c f.conf store export -o f1.jsonl 2>/dev/null
cmp -s bytes.jsonl f1.jsonl; ok $? "  and exported the same: as base64"
if command -v sqlite3 >/dev/null 2>&1; then
	is "$(sqlite3 f.db "SELECT hex(detail) FROM events WHERE author = 'bytes'")" "6361668E20FF00" \
	   "  byte for byte in the store"
fi

# --- Refusals -----------------------------------------------------------------
R -c b.conf store import d1.jsonl >out 2>err; is $? 65 "an import into a store that is not empty is refused (65)"
like "$(cat err)" "is not empty.*nothing was imported" "  and says why"
R -c b.conf store export -o d3.jsonl 2>/dev/null
cmp -s d1.jsonl d3.jsonl; ok $? "  the store is as it was"

# refused NAME FILE PATTERN DESCRIPTION: into the empty store c, 65, the
# message, and c is still empty.
refused() {
	R -c c.conf store import "$2" >out 2>err
	is $? 65 "$4 is refused (65)"
	like "$(cat err)" "$3" "  $(head -1 err | cut -c1-150)"
	is "$(R -c c.conf --json case list 2>&1 | jget 'len(d)')" 0 "  and nothing is left of it"
}
total=$(wc -l < d1.jsonl)
head -n $((total - 1)) d1.jsonl > cut-end.jsonl
refused c cut-end.jsonl "^redress: store import: cut-end.jsonl:$total: no end line: the export is cut short" \
	"an export without its end line"
head -n $((total / 2)) d1.jsonl > cut-half.jsonl
refused c cut-half.jsonl "cut short" "an export cut at half its lines"
head -c $(($(wc -c < d1.jsonl) - 40)) d1.jsonl > cut-mid.jsonl
refused c cut-mid.jsonl "cut-mid.jsonl:$total: the last line has no end" "an export cut inside its last line"
grep -v '"t":"events"' d1.jsonl > no-events.jsonl
refused c no-events.jsonl "says [0-9]+ rows of events, and 0 were read" "an export without its events (the count)"
sed '3s/"t":"cases","id":\([0-9]*\),/"t":"cases","id":\1,"bogus":1,/' d1.jsonl > bogus-col.jsonl
refused c bogus-col.jsonl "bogus-col.jsonl:3: table cases has no column \"bogus\"" "a column no table has"
sed '3s/,"traffic_reasons":[^,}]*//' d1.jsonl > no-col.jsonl
refused c no-col.jsonl "no-col.jsonl:3: a row of cases without its column \"traffic_reasons\"" "a row without one of its columns"
sed '3s/"t":"cases","id":[0-9]*,/"t":"cases","id":null,/' d1.jsonl > no-id.jsonl
refused c no-id.jsonl "no-id.jsonl:3: a row of cases without an id" "a row with a null id"
sed '3s/"state":"[a-z]*"/"state":1/' d1.jsonl > bad-type.jsonl
refused c bad-type.jsonl "bad-type.jsonl:3: cases.state wants a string" "an integer where a text goes"
sed '2s/^/{"t":"bogus_table"}\n/' d1.jsonl > bogus-table.jsonl
refused c bogus-table.jsonl "bogus-table.jsonl:2: no table \"bogus_table\"" "a table a store has not"
awk 'NR == 1 { print; next } /"t":"events"/ && !done { sub(/"case_id":[0-9]+/, "\"case_id\":999999"); done = 1 } { print }' \
	d1.jsonl > orphan.jsonl
refused c orphan.jsonl "orphan.jsonl:[0-9]+: the store refuses this row of events" "an event of a case that is not there"
awk 'NR == 3 { print; print; next } { print }' d1.jsonl > twice.jsonl
refused c twice.jsonl "twice.jsonl:4: the store refuses this row of cases" "a case twice"
sed '1s/"schema":10/"schema":9/' d1.jsonl > old.jsonl
refused c old.jsonl "old.jsonl:1: an export of a store of schema 9" "an export of another schema"
printf 'From: x\n\nnot an export\n' > mail.jsonl
refused c mail.jsonl "mail.jsonl:1: not a line of an export" "a file that is not an export"
: > empty.jsonl
refused c empty.jsonl "empty: not an export" "an empty file"
printf '%s\n' "$(head -1 d1.jsonl)" '{"t":"cases","id":1,"subject":"\ud800"}' > surrogate.jsonl
refused c surrogate.jsonl "surrogate.jsonl:2: .*high surrogate" "a lone surrogate"
# A line is bounded: eight times [intake] max_size, plus 1 MiB.
cp c.conf small.conf
printf '[intake]\nmax_size = 1024\n' >> small.conf
{ head -1 d1.jsonl; printf '{"t":"meta","name":"big","value":{"base64":"'
  head -c 1200000 /dev/zero | tr '\0' A; printf '"}}\n'; tail -1 d1.jsonl; } > long.jsonl
R -c small.conf store import long.jsonl >out 2>err; is $? 65 "a line longer than the bound is refused (65)"
like "$(cat err)" "long.jsonl:2: a line longer than 1056768 bytes" "  naming the line and the bound"
is "$(R -c c.conf --json case list 2>&1 | jget 'len(d)')" 0 "  and nothing is left of it"
# The same store takes a whole export after all of that, from stdin.
R -c c.conf store import < d1.jsonl >/dev/null 2>&1; ok $? "the store the refusals left takes the whole export, from stdin"
R -c c.conf store export -o d4.jsonl 2>/dev/null
cmp -s d1.jsonl d4.jsonl; ok $? "  and exports it again the same"

R -c a.conf store export -o "$T/no/such/dir/x.jsonl" >/dev/null 2>err; is $? 73 "an export to a file that cannot be made: 73"
like "$(cat err)" "no/such/dir/x.jsonl: No such file or directory" "  and says so"
R -c c.conf store import "$T/nope.jsonl" >/dev/null 2>err; is $? 66 "an import of a file that is not there: 66"
R -c a.conf store bogus >/dev/null 2>&1; is $? 64 "store bogus: 64"
R -c a.conf store export extra >/dev/null 2>&1; is $? 64 "store export with an extra argument: 64"
R -c a.conf store import a b >/dev/null 2>&1; is $? 64 "store import with two files: 64"
R -c a.conf store import -x >/dev/null 2>&1; is $? 64 "store import -x: 64"
like "$(R store --help)" "usage: redress store export" "store --help"

# --- PostgreSQL -------------------------------------------------------------
if ! pg_available || [ "$(id -u)" != 0 ]; then
	diag "PostgreSQL is not installed (or not root): its checks are skipped"
	done_testing
fi
pg_start "$T/pg" >pg-start.log 2>&1 || { cat pg-start.log; ok 1 "PostgreSQL starts"; done_testing; }
trap cleanup EXIT   # pg_start set its own
trap 'exit 1' INT TERM
pg_createdb dumppg >/dev/null 2>&1; ok $? "a new PostgreSQL database"
conf p "url = $(pg_url dumppg)"
R -c p.conf store import d1.jsonl >import.out 2>&1; ok $? "the SQLite export goes into PostgreSQL"
like "$(cat import.out)" "imported into postgresql store postgresql://.*/dumppg: " "  it says where"
same a.conf p.conf "SQLite to PostgreSQL"
R -c p.conf store export -o p1.jsonl 2>/dev/null; ok $? "the PostgreSQL store is exported"
is "$(head -1 p1.jsonl)" '{"redress":"store","format":1,"schema":10,"from":"postgresql"}' "  from postgresql"
tail -n +2 d1.jsonl > d1.body; tail -n +2 p1.jsonl > p1.body
cmp -s d1.body p1.body; ok $? "  and but for its header it is the SQLite export, byte for byte"
R -c p.conf store import d1.jsonl >/dev/null 2>err; is $? 65 "an import into a PostgreSQL store that is not empty is refused"

# New cases after the import get the next ids.
maxid=$(R -c p.conf --json case list | jget "max(c['id'] for c in d)")
printf 'From: New <new@example.com>\nTo: care@example.com\nSubject: After the move\nMessage-ID: <after1@example.com>\n\nMy refund is still missing.\n' > after.eml
NOW=2026-11-26T11:00:00Z
R -c p.conf ingest after.eml >/dev/null 2>&1; ok $? "a message ingested into PostgreSQL after the import"
is "$(R -c p.conf --json case list | jget "max(c['id'] for c in d)")" $((maxid + 1)) \
   "  makes case $((maxid + 1)): the next id, no clash"
REDRESS_AGENT=alice R -c p.conf case note $((maxid + 1)) "after" >/dev/null 2>&1; ok $? "  an event on it"
R -c p.conf tick >/dev/null 2>&1; ok $? "  tick"

# And back: PostgreSQL to SQLite.
R -c p.conf store export -o p2.jsonl 2>/dev/null; ok $? "the PostgreSQL store exported again"
conf e "path = $T/e.db"
R -c e.conf store import p2.jsonl >/dev/null 2>&1; ok $? "into a new SQLite store"
same p.conf e.conf "PostgreSQL to SQLite"
R -c e.conf store export -o e1.jsonl 2>/dev/null
tail -n +2 p2.jsonl > p2.body; tail -n +2 e1.jsonl > e1.body
cmp -s p2.body e1.body; ok $? "  whose export is the PostgreSQL one but for the header"

# A cut export leaves a PostgreSQL store empty too.
pg_createdb dumppg2 >/dev/null 2>&1
conf q "url = $(pg_url dumppg2)"
R -c q.conf store import cut-half.jsonl >/dev/null 2>err; is $? 65 "a cut export into PostgreSQL is refused"
is "$(PG_PSQL_DB=dumppg2 pg_psql 'SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM meta)')" \
   0 "  and nothing is left of it (not even the key)"
R -c q.conf store import orphan.jsonl >/dev/null 2>err; is $? 65 "an event of a missing case is refused by PostgreSQL too"
R -c q.conf store import bytes.jsonl >/dev/null 2>err; is $? 65 "a text that is not UTF-8 is refused by PostgreSQL (it cannot hold one)"
like "$(cat err)" "bytes.jsonl:[0-9]+: the store refuses this row of events: .*UTF8" "  and it says which line and why"
done_testing
