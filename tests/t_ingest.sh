#!/bin/sh
# ingest: every message stored once, re-delivery recognised, raw bytes
# kept exactly, broken mail held with a reason, maildirs and mbox read.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
nsamples=$(ls "$S" | wc -l)

out=$("$REDRESS" --json ingest "$S" 2>err); st=$?
is "$st" 0 "ingest of the samples exits 0"
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["new"], d["duplicates"], d["held"]')" \
   "$nsamples $nsamples 0 0" "each sample is a new case"
is "$("$REDRESS" --json case list | jget 'len(d)')" "$nsamples" "case list has them all"

out=$("$REDRESS" --json ingest "$S" 2>err)
is "$(printf '%s\n' "$out" | jget 'd["new"], d["duplicates"]')" "0 $nsamples" \
   "ingesting again finds only duplicates"
is "$("$REDRESS" --json case list | jget 'len(d)')" "$nsamples" "and makes no new case"

# The raw bytes come back exactly.
for n in 1 3 8; do
	f=$(ls "$S" | sed -n "${n}p")
	id=$n
	"$REDRESS" case show "$id" --raw 1 >raw.out
	cmp -s raw.out "$S/$f"; ok $? "case show --raw returns $f byte for byte"
done

# JSON shapes (doc/contract.md).
keys=$("$REDRESS" --json case list | jget '",".join(sorted(d[0].keys()))')
for k in id state customer subject created category priority tags first_response_due resolution_due breached; do
	like "$keys" "(^|,)$k(,|$)" "case list JSON has $k"
done
show=$("$REDRESS" --json case show 2)
is "$(printf '%s\n' "$show" | jget 'd["messages"][0]["text"].split()[0]')" "Hi," "case show has the decoded text"
like "$(printf '%s\n' "$show" | jget '[h[0] for h in d["messages"][0]["headers"]]')" "Message-ID" "case show has the headers"
is "$(printf '%s\n' "$show" | jget '{"events","jobs","messages"} <= set(d)')" "True" "case show has events, messages and jobs"

# A re-delivery with new trace headers and CRLF line ends is the same message.
{ printf 'Received: from mx2.example.net by mail.example.com; Mon, 23 Nov 2026 09:20:00 +0000\r\n'
  printf 'Delivered-To: care@localhost\r\n'
  sed 's/$/\r/' "$S/01-refund.eml"; } > redelivered.eml
out=$("$REDRESS" --json ingest redelivered.eml)
is "$(printf '%s\n' "$out" | jget 'd["duplicates"]')" 1 "re-delivery with trace headers and CRLF is a duplicate"

# Same Message-ID, different content: both kept.
sed 's/two weeks/three weeks/' "$S/01-refund.eml" > samemsgid.eml
out=$("$REDRESS" --json ingest samemsgid.eml)
is "$(printf '%s\n' "$out" | jget 'd["new"] + d["joined"]')" 1 "same Message-ID with other content is kept"

# The message that crashes Debian's libetpan MIME parser is held, not fatal.
printf 'From: a@example.com\nSubject: boom\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="\\""\n\n--"\nContent-Type: text/plain\n\nx\n--"--\n' > boundary.eml
out=$("$REDRESS" --json ingest boundary.eml); st=$?
is "$st" 0 "hostile boundary: ingest exits 0"
is "$(printf '%s\n' "$out" | jget 'd["held"]')" 1 "hostile boundary: the message is held"
id=$("$REDRESS" --json case list --state held | jget 'd[-1]["id"]')
like "$("$REDRESS" --json case show "$id" | jget 'd["held_reason"]')" "boundary" "held with a reason that names the boundary"
"$REDRESS" case show "$id" --raw 1 | cmp -s - boundary.eml; ok $? "held message's raw bytes are kept"

# Maildir: twice, each case once.
mkdir -p md/cur md/new md/tmp
i=0; for f in "$S"/0[1-4]*.eml; do i=$((i + 1)); { echo "X-Test-Copy: $i"; cat "$f"; } > "md/new/1700000000.$i.host"; done
out=$("$REDRESS" --json ingest md)
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["new"]')" "4 4" "maildir: 4 messages, 4 new cases"
out=$("$REDRESS" --json ingest md)
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["new"], d["duplicates"]')" "4 0 4" "maildir again: all duplicates"

# mbox with three messages, one carrying a >From line.
{ for n in 1 2 3; do
	echo "From sender$n@example.org Mon Nov 23 10:0$n:00 2026"
	printf 'From: Sender %s <sender%s@example.org>\nSubject: mbox message %s\nMessage-ID: <mbox%s@example.org>\n\nBody %s\n>From the start it broke.\n\n' $n $n $n $n $n
  done; } > box.mbox
out=$("$REDRESS" --json ingest box.mbox)
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["new"]')" "3 3" "mbox: three messages"
id=$("$REDRESS" --json case list | jget '[c["id"] for c in d if c["subject"] == "mbox message 2"][0]')
"$REDRESS" case show "$id" --raw 1 > m2.out
printf 'From: Sender 2 <sender2@example.org>\nSubject: mbox message 2\nMessage-ID: <mbox2@example.org>\n\nBody 2\nFrom the start it broke.\n' > m2.want
cmp -s m2.out m2.want; ok $? "mbox: message bytes without the separator, >From unquoted"

# Missing input: exit 66, others still ingested.
"$REDRESS" ingest /nonexistent "$S/06-thanks.eml" >/dev/null 2>err; st=$?
is "$st" 66 "a missing path exits 66"
like "$(cat err)" "/nonexistent" "and names it"

# Too large: held, not lost.
cat > big.conf <<EOC
[intake]
max_size = 2K
EOC
{ cat "$S/02-damaged.eml"; head -c 5000 /dev/zero | tr '\0' 'x'; echo; } > big.eml
out=$("$REDRESS" -c big.conf --json ingest big.eml)
is "$(printf '%s\n' "$out" | jget 'd["held"]')" 1 "a message over max_size is held"
# Schema migration: a store made by an older redress (schema 1) is brought
# up to date on open, its data kept; a newer schema is refused.
mkdir mig && cd mig || exit 1
"$REDRESS" -q ingest "$S/01-refund.eml" >/dev/null
# The schema a new store is made at: the one a migration must reach.
latest=$(sqlite3 redress.db 'PRAGMA user_version')
# Undo what schemas 2 and later added.
sqlite3 redress.db "DROP INDEX jobs_rcpt; CREATE INDEX jobs_rcpt ON jobs(rcpt, kind, created);
	DROP TABLE rates; ALTER TABLE cases DROP COLUMN outcome;
	ALTER TABLE jobs DROP COLUMN first_try; ALTER TABLE jobs DROP COLUMN unconfirmed;
	ALTER TABLE jobs DROP COLUMN lease; ALTER TABLE events DROP COLUMN author;
	DROP INDEX cases_owner; ALTER TABLE cases DROP COLUMN owner;
	DROP TRIGGER message_text_ai; DROP TRIGGER message_text_ad; DROP TRIGGER message_text_au;
	DROP TABLE message_text; DROP TABLE case_links; ALTER TABLE cases DROP COLUMN merged_into;
	ALTER TABLE cases DROP COLUMN traffic; ALTER TABLE cases DROP COLUMN traffic_reasons;
	PRAGMA user_version = 1;"
"$REDRESS" --json case list >out 2>err; st=$?
is "$st" 0 "a schema-1 store opens"
is "$(jget 'len(d)' < out)" 1 "and keeps its case"
is "$(sqlite3 redress.db 'PRAGMA user_version')" "$latest" "it is migrated to the latest schema ($latest)"
like "$(sqlite3 redress.db "SELECT sql FROM sqlite_master WHERE name = 'jobs_rcpt'")" \
	"rcpt, kind, state, created" "with the rate limit's index on (rcpt, kind, state, created)"
sqlite3 redress.db "PRAGMA user_version = $((latest + 1))"
"$REDRESS" case list >/dev/null 2>err; st=$?
ok $([ "$st" != 0 ]; echo $?) "a newer schema is refused (exit $st)"
like "$(cat err)" "schema version $((latest + 1)) is newer" "and says so"
cd .. || exit 1

# Disk full in the middle of a run: a group of 200 whose commit fails is
# rolled back, and the summary counts only what was stored (it counted the
# lost group as new cases).  The file size limit stands in for a full disk:
# with SIGXFSZ ignored, a write past it fails (EFBIG), as on a full disk.
mkdir full && cd full || exit 1
mkdir m
i=1
while [ $i -le 500 ]; do
	sed "s/5521/full$i/; s/^Subject: .*/Subject: complaint $i/" "$S/01-refund.eml" >"m/$i.eml"
	i=$((i + 1))
done
sh -c 'trap "" XFSZ; ulimit -f 2500; exec "$REDRESS" --json ingest m' >out 2>err; st=$?
stored=$(sqlite3 redress.db "SELECT count(*) FROM cases")
is "$st" 75 "disk full during ingest: exit 75 (try again)"
ok $([ "$stored" -gt 0 ] && [ "$stored" -lt 500 ]; echo $?) \
	"the file size limit let some groups commit and not all ($stored stored)"
is "$(jget 'd["new"]' < out)" "$stored" "the summary's new cases are those stored"
ok $([ "$(jget 'd["not_stored"]' < out)" -gt 0 ]; echo $?) "and it says how many were read but not stored"
out=$("$REDRESS" --json ingest m 2>err); st=$?
is "$st" 0 "run again with room: exit 0"
is "$(printf '%s\n' "$out" | jget 'd["new"], d["duplicates"]')" "$((500 - stored)) $stored" \
	"the rest are stored, the stored ones are duplicates"
cd .. || exit 1

done_testing
