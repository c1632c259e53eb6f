#!/bin/sh
# procmail: a real procmail delivers into "redress filter" through the
# recipes of contrib/procmailrc.  A stored message is a case; when redress
# cannot store (exit 75) procmail must neither lose the message nor drop it
# into the mailbox, but exit 75 itself so that the MTA retries.  The last
# tests pin down what procmail does without those recipes (the reasons the
# recipes look the way they do).
. "$top_srcdir/tests/lib/tap.sh"
command -v procmail >/dev/null 2>&1 || skip_all "procmail is not installed"
command -v timeout >/dev/null 2>&1 || skip_all "timeout(1) is not available"

T=$(mktemp -d "${TMPDIR:-/tmp}/t_procmail.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
RC="$top_srcdir/contrib/procmailrc"

# procmail clears the environment (REDRESS_DATADIR included), so the
# configuration names everything redress needs.
cat > good.conf <<EOC
[store]
path = $T/redress.db
[outbox]
path = $T/outbox
[paths]
rules = $top_srcdir/rules.conf
templates = $top_srcdir/templates
[spam]
words = $top_srcdir/spam.words
EOC
# A store in a directory that does not exist: redress exits 75.
sed "s|^path = $T/redress.db|path = $T/no/such/dir/redress.db|" good.conf > broken.conf

# procmail's log truncates long command lines: a wrapper records the
# arguments redress really gets, one delivery per line.
cat > redress-wrap <<EOC
#!/bin/sh
printf '[%s]' "\$@" >> "$T/argv.log"; echo >> "$T/argv.log"
exec "$REDRESS" "\$@"
EOC
chmod +x redress-wrap

# pm CONF RCFILE < message: procmail as the MTA would run it, with its
# mailbox ($DEFAULT) and log inside $T.  Prints nothing; sets $st.
pm() {
	timeout 60 procmail -m REDRESS="$T/redress-wrap" REDRESS_CONF="$1" \
		MAILDIR="$T" DEFAULT="$T/mailbox/" LOGFILE="$T/procmail.log" \
		"$2" >pm.out 2>&1
	st=$?
}
mailbox_count() {
	find "$T/mailbox" -type f 2>/dev/null | wc -l | tr -d ' '
}
cases() {
	"$REDRESS" -c good.conf --json case list | jget "$1"
}
from_line() {
	echo "From $1 Mon Nov 23 11:40:00 2026"
}

# 1. A complaint, as the MTA hands it over: From_ line and Delivered-To.
{ from_line maria.lopez@example.net; echo "Delivered-To: care@localhost"; cat "$S/01-refund.eml"; } > m1.eml
pm good.conf "$RC" < m1.eml
is "$st" 0 "procmail delivers into redress filter: exit 0"
is "$(cat pm.out)" "" "nothing on procmail's stdout or stderr"
is "$(cases 'len(d), d[0]["state"], d[0]["customer"], d[0]["category"]')" \
   "1 new maria.lopez@example.net billing" "the complaint is stored as a new case"
is "$(mailbox_count)" 0 "nothing falls through to the mailbox"
is "$(tail -n 1 argv.log)" "[-c][good.conf][filter][-f][maria.lopez@example.net][-r][care@localhost]" \
   "the envelope comes from the From_ line and Delivered-To"
is "$("$REDRESS" -c good.conf --json queue list | jget '[j["kind"] for j in d]')" \
   "['ack', 'followup']" "its acknowledgement and follow-up are queued"

# 2. The same message delivered again (an MTA retry): no second case.
pm good.conf "$RC" < m1.eml
is "$st" 0 "a second delivery of the same message: exit 0"
is "$(cases 'len(d)')" 1 "and no second case"

# 3. A bounce: the MTA's From_ line says MAILER-DAEMON, which redress reads
# as the null sender <> (Return-Path in the file still names the customer,
# so this shows that the envelope from the recipe is what counts).
{ from_line MAILER-DAEMON; sed 's/^Subject: .*/Subject: Undelivered Mail Returned to Sender/' "$S/02-damaged.eml"; } > m3.eml
pm good.conf "$RC" < m3.eml
is "$st" 0 "a bounce is stored: exit 0"
is "$(tail -n 1 argv.log)" "[-c][good.conf][filter][-f][MAILER-DAEMON]" "the recipe passes -f MAILER-DAEMON"
is "$("$REDRESS" -c good.conf --json case show 2 | jget '[j["state"] for j in d["jobs"]]')" \
   "['suppressed']" "the null envelope sender gets no acknowledgement"

# 4. No From_ line at all (procmail -m from a script): redress falls back
# to Return-Path; no -f is passed rather than an empty one.
pm good.conf "$RC" < "$S/03-late.eml"
is "$st" 0 "a message without From_ line: exit 0"
is "$(tail -n 1 argv.log)" "[-c][good.conf][filter]" "no -f and no -r when the envelope is unknown"
is "$(cases '[c["customer"] for c in d][-1]')" "priya.shah@example.com" "the customer comes from the headers"

# 5. Unparseable mail is kept, held, and procmail still exits 0.
printf 'Content-Type: multipart/mixed; boundary="\\""\n\n--"\n' > bad.eml
pm good.conf "$RC" < bad.eml
is "$st" 0 "an unparseable message: exit 0"
is "$("$REDRESS" -c good.conf --json case list --state held | jget 'len(d)')" 1 "and it is held"

# 6. redress cannot store (exit 75): procmail must not deliver anywhere and
# must exit 75 itself, so the MTA keeps the message and retries.
n_before=$(cases 'len(d)')
sed 's/5521/5599/' m1.eml > m6.eml
pm broken.conf "$RC" < m6.eml
is "$st" 75 "redress exits 75: procmail exits 75 (the MTA defers)"
is "$(mailbox_count)" 0 "and does not put the message in the mailbox"
like "$(cat procmail.log)" "Program failure \(75\)" "procmail logs the failure"
is "$(cases 'len(d)')" "$n_before" "nothing was stored"
pm good.conf "$RC" < m6.eml
is "$st" 0 "the MTA's retry, once the store is back: exit 0"
is "$(cases 'len(d)')" "$((n_before + 1))" "and the message is stored"

# 7. The recipes work from INCLUDERC too (a user's own ~/.procmailrc that
# goes on to other recipes): the deferral still stops everything.
cat > user.rc <<EOC
INCLUDERC=$RC
:0
later/
EOC
sed 's/5521/5598/' m1.eml > m7.eml
pm broken.conf ./user.rc < m7.eml
is "$st" 75 "from INCLUDERC: procmail exits 75"
is "$(find "$T/later" -type f 2>/dev/null | wc -l | tr -d ' ')$(mailbox_count)" "00" \
   "and neither the later recipe nor the mailbox gets the message"
pm good.conf ./user.rc < m7.eml
is "$st$(find "$T/later" -type f 2>/dev/null | wc -l | tr -d ' ')" "00" \
   "when redress stores it, the later recipe does not run either"

# 8. Why the recipes are what they are: procmail's own behaviour.
# Without "w", procmail ignores the exit code: the message is lost.
cat > nowait.rc <<EOC
:0
| "\$REDRESS" -c "\$REDRESS_CONF" filter
EOC
sed 's/5521/5597/' m1.eml > m8.eml
pm broken.conf ./nowait.rc < m8.eml
is "$st/$(mailbox_count)" "0/0" "without w: procmail exits 0 and keeps nothing (why w is needed)"
# With "w" but no deferral recipe: the message falls through to $DEFAULT.
cat > waitonly.rc <<EOC
:0 w
| "\$REDRESS" -c "\$REDRESS_CONF" filter
EOC
pm broken.conf ./waitonly.rc < m8.eml
is "$st/$(mailbox_count)" "0/1" "w alone: exit 0, delivered to the mailbox, redress never sees it"

done_testing
