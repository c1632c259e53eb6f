#!/bin/sh
# Autoresponder loops, end to end, with a real Sieve vacation.
#
# The rig (all on 127.0.0.1, nothing leaves the machine):
#   - one throw-away Dovecot with Pigeonhole Sieve for the LDA; its users
#     are the support inboxes redress reads over IMAP and the customers;
#   - tests/lib/loop-relay.py, a tiny SMTP relay standing in for the MTA:
#     redress sends to it, it delivers each message with dovecot-lda (so
#     the recipient's Sieve script runs), and Dovecot's vacation replies go
#     back to it through submission_host;
#   - redress's envelope sender is the support address itself, so anything
#     that answers us lands in the inbox redress reads: without a loop
#     guard every answer would be answered again.
#
# A. A customer with a real Sieve vacation (:days 1).  The complaint gets
#    exactly one ack; vacation does not answer it (Auto-Submitted); a
#    person's reply from the support address does draw the vacation reply
#    (so the vacation is live); redress threads that onto the case as
#    "auto-reply" without answering it or changing the case, and the rate
#    limit is off here ([autoreply] per_hour = 0), so that is the automatic
#    mail guard alone.  A second personal mail draws nothing (Sieve's :days).
#    More rounds of send/fetch, and the follow-up a week later (when
#    Sieve's :days record has expired too), exchange nothing more.
# B. A badly behaved out-of-office (the relay answers every mail with a
#    plain "Subject: Out of office": no Auto-Submitted, no In-Reply-To):
#    nothing marks it automatic, so only [autoreply] per_hour = 1 stops it:
#    one ack, one out-of-office, the second case's ack suppressed with the
#    reason, and two hours later still nothing (the loop is broken, not
#    paused).
# C. The control: the same out-of-office with the rate limit off
#    (per_hour = 0, per_day = 0) ping-pongs, one more ack every round,
#    which shows that the rig really loops and that B's limit is what
#    stops it.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_available || skip_all "dovecot is not installed (apt-get install dovecot-imapd)"
[ "$(id -u)" = 0 ] || skip_all "Dovecot's throw-away instance needs root"
[ -x /usr/lib/dovecot/dovecot-lda ] || skip_all "dovecot-lda is missing (dovecot-core)"
[ -f /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] ||
	skip_all "Pigeonhole Sieve is not installed (apt-get install dovecot-sieve)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is not installed"

RELAY_PY="$top_srcdir/tests/lib/loop-relay.py"
T=$(mktemp -d /tmp/t_loop.XXXXXX)
chmod 755 "$T"
RELAY=
cleanup() {
	[ -n "$RELAY" ] && kill "$RELAY" 2>/dev/null
	dovecot_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The relay first: Dovecot's submission_host needs its port.
timeout 300 python3 "$RELAY_PY" serve --port-file "$T/relay.port" --log "$T/relay.log" \
	--dovecot-conf "$T/dovecot/dovecot.conf" \
	--route complaints@example.com=lda --route customer@example.net=lda \
	--route care@example.com=lda --route ooo@example.net=ooo \
	--route help@example.com=lda --route ooo2@example.net=ooo \
	>"$T/relay.out" 2>&1 &
RELAY=$!
i=0
while [ ! -s "$T/relay.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/relay.port" ] || { cat "$T/relay.out"; echo "Bail out! the relay did not start"; exit 1; }
RP=$(cat "$T/relay.port")

DOVECOT_SSL=no dovecot_start "$T/dovecot" "protocol lda {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
submission_host = 127.0.0.1:$RP
postmaster_address = postmaster@example.net
hostname = mx.example.net" >"$T/start.log" 2>&1 ||
	{ cat "$T/start.log"; echo "Bail out! dovecot did not start"; exit 1; }
for u in customer@example.net care@example.com ooo@example.net help@example.com ooo2@example.net; do
	printf '%s:{PLAIN}%s\n' "$u" "$DOVECOT_PASS" >> "$DOVECOT_DIR/passwd"
	mkdir -p "$DOVECOT_DIR/home/${u%%@*}/Maildir/new" "$DOVECOT_DIR/home/${u%%@*}/Maildir/cur" \
		"$DOVECOT_DIR/home/${u%%@*}/Maildir/tmp"
done
cat > "$DOVECOT_DIR/home/customer/.dovecot.sieve" <<'EOS'
require ["vacation"];
vacation :days 1 :subject "Out of office" :addresses ["customer@example.net"]
  "I am away until the end of the month and will read your mail then.";
EOS
chown -R dovecot:dovecot "$DOVECOT_DIR/home"

R() { timeout 60 "$REDRESS" "$@"; }
relay_count() { python3 "$RELAY_PY" count --log "$T/relay.log" "$@"; }
relay_field() { f=$1; shift; python3 "$RELAY_PY" count --log "$T/relay.log" --field "$f" "$@"; }
submit() { # submit FROM RCPT < MESSAGE
	timeout 60 python3 "$RELAY_PY" submit --port "$RP" --from "$1" "$2"
}
conf() { # conf SUPPORT-USER PER_HOUR PER_DAY
	cat > redress.conf <<EOC
[imap]
url = imap://127.0.0.1:$DOVECOT_PORT/INBOX
tls = none
user = $1
password_file = $DOVECOT_PASSFILE
timeout = 10
[smtp]
url = smtp://127.0.0.1:$RP
tls = none
from = Customer Care <$1>
envelope_from = $1
timeout = 30
[autoreply]
per_hour = $2
per_day = $3
EOC
}
complaint() { # complaint FROM TO ID
	printf 'From: A Customer <%s>\nTo: %s\nSubject: My parcel never arrived\n' "$1" "$2"
	printf 'Date: Mon, 3 Jun 2024 10:00:00 +0000\nMessage-ID: <%s>\n' "$3"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello,\n\nmy parcel (order 4711) has not arrived after three weeks.\n'
	printf 'Please help me.\n\nRegards\n'
}
jobs() { R --json queue list | jget "' '.join(sorted(j['kind'] + ':' + j['state'] for j in d))"; }
case_state() { R --json case show "$1" | jget "d['state']"; }
events() { R --json case show "$1" | jget "' '.join(e['kind'] for e in d['events'])"; }
messages() { sqlite3 redress.db "select count(*) from messages"; }

# --- A. A real Sieve vacation -------------------------------------------
mkdir "$T/a" && cd "$T/a" || exit 1
conf complaints@example.com 0 0
complaint customer@example.net complaints@example.com complaint-1@example.net |
	submit customer@example.net complaints@example.com
is "$(relay_count rcpt=complaints@example.com result=delivered)" 1 "A: the complaint reaches the support inbox"
out=$(R --json fetch --once 2>err)
is "$(printf '%s\n' "$out" | jget 'd["new"]')" 1 "A: fetch makes one case"
R send --once >/dev/null 2>err; st=$?
is "$st" 0 "A: send --once exits 0"
is "$(relay_count env_from=complaints@example.com rcpt=customer@example.net "message_id~=<redress.")" 1 \
	"A: exactly one ack went to the customer"
is "$(relay_field result env_from=complaints@example.com rcpt=customer@example.net "message_id~=<redress.")" delivered \
	"A: delivered into the customer's mailbox through the LDA"
like "$(relay_field auto_submitted rcpt=customer@example.net "message_id~=<redress.")" "^auto-replied" "A: the ack says Auto-Submitted: auto-replied"
is "$(relay_count rcpt=complaints@example.com auto_submitted~=vacation)" 0 \
	"A: the vacation does not answer the ack"
sieve_declined() { grep -c 'vacation response to auto-submitted message' "$DOVECOT_DIR/dovecot.log"; }
is "$(sieve_declined)" 1 "A: Sieve saw the ack and declined it as auto-submitted"
ack_id=$(relay_field message_id env_from=complaints@example.com rcpt=customer@example.net "message_id~=<redress.")
state_before=$(case_state 1)
jobs_before=$(jobs)
like "$jobs_before" "^ack:sent followup:queued$" "A: one ack sent, the follow-up waits"

# A person answers from the support address: vacation answers that.
printf 'From: Anna at Customer Care <complaints@example.com>\nTo: customer@example.net\n' > agent.eml
printf 'Subject: Re: My parcel never arrived\nDate: Mon, 3 Jun 2024 11:00:00 +0000\n' >> agent.eml
printf 'Message-ID: <agent-1@example.com>\nIn-Reply-To: %s\n' "$ack_id" >> agent.eml
printf 'References: <complaint-1@example.net> %s\n\nWe have asked the courier.\n' "$ack_id" >> agent.eml
submit complaints@example.com customer@example.net < agent.eml
is "$(relay_count rcpt=complaints@example.com auto_submitted~=vacation)" 1 \
	"A: the vacation answers a person's mail (it is live)"
is "$(relay_field env_from rcpt=complaints@example.com auto_submitted~=vacation)" "" \
	"A: with a null envelope sender"
out=$(R --json fetch --once 2>err)
is "$(printf '%s\n' "$out" | jget 'd["messages"], d["new"], d["joined"]')" "1 0 1" \
	"A: redress fetches the vacation reply and joins it to the case"
like "$(events 1)" "auto-reply" "A: the case records it as auto-reply"
like "$(R --json case show 1 | jget "[e['detail'] for e in d['events'] if e['kind'] == 'auto-reply'][0]")" \
	"automatic reply ignored \((Auto-Submitted|null envelope)" "A: with the reason"
is "$(case_state 1)" "$state_before" "A: the case's state is unchanged ($state_before)"
is "$(jobs)" "$jobs_before" "A: no new job: the vacation reply is not answered"

# A second personal mail the same day: Sieve's :days 1 keeps it quiet.
sed 's/agent-1@/agent-2@/' agent.eml | submit complaints@example.com customer@example.net
is "$(relay_count rcpt=complaints@example.com auto_submitted~=vacation)" 1 \
	"A: the vacation sends at most one reply (its :days limit)"

# Rounds of send and fetch: nothing more is exchanged.
n_relay=$(relay_count)
n_msgs=$(messages)
for round in 1 2 3; do
	R -q send --once >/dev/null 2>&1
	R -q fetch --once >/dev/null 2>&1
done
is "$(relay_count)" "$n_relay" "A: three more rounds of send and fetch exchange nothing"
is "$(messages)" "$n_msgs" "A: and store nothing new"
is "$(R --json queue list | jget "sum(1 for j in d if j['kind'] in ('ack', 'ack-plain'))")" 1 \
	"A: the queue holds one ack in all"

# A week later the follow-up goes (Auto-Submitted: auto-generated); it draws
# nothing.  For Sieve too a week has passed: its :days record is gone.
rm -f "$DOVECOT_DIR/home/customer/.dovecot.lda-dupes"
later=$(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ)
R -q --now "$later" send --once >/dev/null 2>&1
is "$(relay_count env_from=complaints@example.com rcpt=customer@example.net "message_id~=<redress.")" 2 \
	"A: a week later the follow-up is delivered"
like "$(relay_field auto_submitted env_from=complaints@example.com rcpt=customer@example.net "message_id~=<redress." | tail -1)" \
	"^auto-generated" "A: marked auto-generated"
is "$(relay_count rcpt=complaints@example.com auto_submitted~=vacation)" 1 "A: and no vacation reply follows it"
is "$(sieve_declined)" 2 "A: Sieve declined it as auto-submitted (not as a repeat)"
out=$(R --json fetch --once 2>err)
is "$(printf '%s\n' "$out" | jget 'd["messages"]')" 0 "A: nothing new in the support inbox"

# --- B. An out-of-office without Auto-Submitted: the rate limit stops it --
mkdir "$T/b" && cd "$T/b" || exit 1
conf care@example.com 1 0
complaint ooo@example.net care@example.com complaint-2@example.net |
	submit ooo@example.net care@example.com
for round in 1 2 3 4; do
	R -q fetch --once >/dev/null 2>>err
	R -q send --once >/dev/null 2>>err
done
is "$(relay_count env_from=care@example.com rcpt=ooo@example.net)" 1 \
	"B: per_hour = 1: one ack to the out-of-office sender in four rounds"
is "$(relay_count generated=ooo rcpt=care@example.com env_from=ooo@example.net)" 1 \
	"B: which answered it once, with a plain \"Out of office\""
is "$(relay_field auto_submitted generated=ooo env_from=ooo@example.net)" "" \
	"B: (no Auto-Submitted on that answer)"
is "$(sqlite3 redress.db "select count(*) from cases")" 2 "B: two cases: the complaint and the out-of-office"
like "$(R --json case show 2 | jget "[e['detail'] for e in d['events'] if e['kind'] == 'ack-suppressed'][0]")" \
	"rate limit: 1 per hour per sender" "B: the second case's ack is suppressed by the rate limit"
# (The out-of-office says nothing the rules read: its ack is the plain one.)
is "$(jobs)" "ack-plain:suppressed ack:sent followup:queued" "B: one ack sent, one suppressed"
n_relay=$(relay_count)
later=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
for round in 1 2; do
	R -q --now "$later" fetch --once >/dev/null 2>>err
	R -q --now "$later" send --once >/dev/null 2>>err
done
is "$(relay_count)" "$n_relay" "B: two hours later nothing more is exchanged (the loop is broken)"

# --- C. The control: no rate limit, the same out-of-office ping-pongs ---
mkdir "$T/c" && cd "$T/c" || exit 1
conf help@example.com 0 0
complaint ooo2@example.net help@example.com complaint-3@example.net |
	submit ooo2@example.net help@example.com
for round in 1 2 3; do
	R -q fetch --once >/dev/null 2>>err
	R -q send --once >/dev/null 2>>err
done
is "$(relay_count env_from=help@example.com rcpt=ooo2@example.net)" 3 \
	"C: without the rate limit: one more ack every round (3 in 3 rounds)"
is "$(relay_count generated=ooo rcpt=help@example.com)" 3 "C: and one more out-of-office every round"

# Nothing failed on the way.
is "$(relay_count 'result~=failed')" 0 "no delivery failed"
done_testing
