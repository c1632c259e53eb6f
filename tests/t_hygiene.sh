#!/bin/sh
# Inbox hygiene (issue 13): the traffic verdict of every message, each
# signal alone, end to end with --now.  Only ok mail gets an ack, an SLA
# clock, a follow-up, an escalation or counts as a repeat; spam and forged
# mail is quarantined, list and bulk mail informational; every message is
# stored.  Upstream spam fields count only with [spam] trust_headers;
# Authentication-Results only from [spam] authserv_id.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
cat > redress.conf <<EOC
[smtp]
from = Acme Care <care@example.com>
escalate_to = Duty Manager <duty@example.com>
[sla]
timezone = UTC
hours = mon-fri 09:00-17:00
[spam]
authserv_id = mx.acme.example
EOC
{ cat redress.conf; echo "trust_headers = yes"; } > trust.conf
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }
show() { R --json case show "$1" | jget "$2"; }
# mk NAME FROM [HEADER...]: a plain complaint with these header fields on
# top.  Each from a sender of its own (the number after the local part),
# so that no rate limit or repeat count mixes in; SAME=1 keeps FROM;
# SUBJ=TEXT sets the subject.
n=0
mk() {
	name=$1 from=$2; shift 2
	n=$((n + 1))
	[ -n "${SAME:-}" ] || from=$(echo "$from" | sed "s/@/$n@/")
	{
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'From: %s\nTo: care@example.com\nSubject: %s\n' "$from" \
			"${SUBJ:-My parcel never arrived}"
		printf 'Message-ID: <m%s@example.net>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n\n' "$n"
		printf 'My parcel never arrived and I want a refund. Order 1234.\n'
	} > "$name.eml"
}
# ingest FILE [CONF]: the number of the new case
ingest() {
	R -c "${2:-redress.conf}" ingest "$1" >/dev/null 2>&1 || echo "ingest $1 failed" >&2
	R --json case list | jget 'd[-1]["id"]'
}
# verdict ID: "traffic state first_response_due acks followups" (jobs not
# suppressed)
verdict() {
	show "$1" '"%s %s %s %d %d" % (d["traffic"], d["state"], d["first_response_due"],
		len([j for j in d["jobs"] if j["kind"] in ("ack", "ack-plain") and j["state"] != "suppressed"]),
		len([j for j in d["jobs"] if j["kind"] == "followup" and j["state"] != "suppressed"]))'
}
reasons() { show "$1" '" | ".join(d["traffic_reasons"])'; }
no_answer="None 0 0"

mk plain 'Ann <ann@example.net>'
id=$(ingest plain.eml)
is "$(verdict "$id")" "ok new 2026-11-24T10:00:00Z 1 1" "a plain complaint is ok: ack, clock, follow-up"
is "$(reasons "$id")" "" "with no reasons"

# ---------------------------------------------------------------- list
mk list 'Bea <bea@example.net>' 'List-Id: Users <users.lists.example.org>' \
	'Reply-To: users@lists.example.org'
id=$(ingest list.eml)
is "$(verdict "$id")" "list informational $no_answer" "List-Id: list, informational, no ack, no clock"
like "$(reasons "$id")" "^list: List-Id: Users <users.lists.example.org>" "the reason names the field"
like "$(show "$id" 'd["customer"]')" "^bea[0-9]+@example.net$" \
   "a list is never the customer: the author is"
mk listpost 'Bea <bea@example.net>' 'List-Post: <mailto:users@lists.example.org>'
is "$(verdict "$(ingest listpost.eml)")" "list informational $no_answer" "List-Post alone: list"
mk beenthere 'Bea <bea@example.net>' 'X-BeenThere: users@lists.example.org'
is "$(verdict "$(ingest beenthere.eml)")" "list informational $no_answer" "X-BeenThere alone: list"
mk prec 'Bea <bea@example.net>' 'Precedence: list'
is "$(verdict "$(ingest prec.eml)")" "list informational $no_answer" "Precedence: list alone: list"
mk owner 'Bea <bea@example.net>' 'Sender: owner-users@lists.example.org'
is "$(verdict "$(ingest owner.eml)")" "list informational $no_answer" "Sender owner-*: list"
# A list's name in front of the subject (Mailman's subject_prefix), on a
# post whose list fields a digest or an archive stripped
SUBJ='[Spambayes] test sets?' mk tag 'Bea <bea@example.net>'
id=$(ingest tag.eml)
is "$(verdict "$id")" "list informational $no_answer" "a subject tag of a list alone: list"
like "$(reasons "$id")" "^list: subject tag \\[Spambayes\\] of a list" "the reason names the tag"
SUBJ='Re: AW: Re[2]: [Razor-users] Mutating spam' mk tagre 'Bea <bea@example.net>'
is "$(verdict "$(ingest tagre.eml)")" "list informational $no_answer" \
   "the tag after reply prefixes (Re:, AW:, Re[2]:): list"
for s in '[EXTERNAL] My parcel never arrived' '[Urgent] My parcel never arrived' \
	 '[Order 1234] My parcel never arrived' '[#1234] My parcel never arrived' \
	 'My parcel [Acme-Shop] never arrived' '[x] My parcel never arrived'; do
	i=$((n + 1))
	SUBJ=$s mk "notag$i" 'Ann <ann@example.net>'
	is "$(verdict "$(ingest "notag$i.eml")")" "ok new 2026-11-24T10:00:00Z 1 1" \
	   "not a list's tag: $s"
done

# ---------------------------------------------------------------- bulk
mk bulk 'Shop <deals@shop.example>' 'Precedence: bulk'
is "$(verdict "$(ingest bulk.eml)")" "bulk informational $no_answer" "Precedence: bulk alone: bulk"
mk fbl 'Shop <deals@shop.example>' 'Feedback-ID: 123:campaign7:shop:esp'
id=$(ingest fbl.eml)
is "$(verdict "$id")" "bulk informational $no_answer" "Feedback-ID alone: bulk"
like "$(reasons "$id")" "bulk: Feedback-ID: 123:campaign7" "the reason names it"
mk unsub 'Shop <deals@shop.example>' 'List-Unsubscribe: <mailto:unsub@shop.example>'
is "$(verdict "$(ingest unsub.eml)")" "bulk informational $no_answer" \
   "List-Unsubscribe without a list: a newsletter, bulk"
mk esp 'Shop <deals@shop.example>' 'X-CSA-Complaints: csa-complaints@eco.de'
is "$(verdict "$(ingest esp.eml)")" "bulk informational $no_answer" "X-CSA-Complaints: bulk"
mk mailer 'Shop <deals@shop.example>' 'X-Mailer: MailChimp Mailer - **CID1234**'
is "$(verdict "$(ingest mailer.eml)")" "bulk informational $no_answer" "X-Mailer of Mailchimp: bulk"
SAME=1 mk noreply 'Shop <no-reply@shop.example>'
is "$(verdict "$(ingest noreply.eml)")" "bulk informational $no_answer" "a no-reply sender: bulk"
SAME=1 mk news 'Shop <newsletter@shop.example>'
is "$(verdict "$(ingest news.eml)")" "bulk informational $no_answer" "a newsletter@ sender: bulk"
SAME=1 mk marketing 'Lee <marketing@smallshop.example>'
is "$(verdict "$(ingest marketing.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "marketing@ is a person's mailbox: ok"
mk form 'Web form <noreply@acme.example>' 'Reply-To: Cleo <cleo@example.net>'
is "$(verdict "$(ingest form.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "a web form: noreply@ From with the customer in Reply-To is ok"
mk ses 'Dan <dan@example.net>' 'X-SES-Outgoing: 2026.11.23-54.240.0.1' 'X-SG-EID: abc'
is "$(verdict "$(ingest ses.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "the headers of a transactional relay (SES, SendGrid) are no sign"

# ------------------------------------------------------- upstream filters
for h in 'X-Spam-Flag: YES' 'X-Spam-Status: Yes, score=12.3 required=5.0 tests=GTUBE' \
	 'X-Spam: Yes' 'X-Rspamd-Action: reject' 'X-Rspamd-Action: add header' \
	 'X-Spamd-Result: default: True [15.20 / 15.00]; GTUBE(0.00)[]'; do
	f=$(echo "$h" | tr -c 'a-zA-Z0-9\n' _ | cut -c1-30)
	mk "u$f" 'Eve <eve@example.net>' "$h"
	id=$(ingest "u$f.eml")
	is "$(verdict "$id")" "ok new 2026-11-24T10:00:00Z 1 1" "untrusted $h: ignored, ok"
	like "$(reasons "$id")" "^ignored: ${h%%:*}" "and the reasons say it was ignored"
	mk "t$f" 'Eve <eve@example.net>' "$h"
	id=$(ingest "t$f.eml" trust.conf)
	is "$(verdict "$id")" "spam quarantined $no_answer" "trusted $h: spam, quarantined"
done
for h in 'X-Spam-Flag: NO' 'X-Spam-Status: No, score=0.1' 'X-Rspamd-Action: no action' \
	 'X-Rspamd-Action: greylist' 'X-Spamd-Result: default: False [1.00 / 15.00]'; do
	f=$(echo "$h" | tr -c 'a-zA-Z0-9\n' _ | cut -c1-30)
	mk "n$f" 'Fay <fay@example.net>' "$h"
	is "$(verdict "$(ingest "n$f.eml" trust.conf)")" "ok new 2026-11-24T10:00:00Z 1 1" \
	   "trusted $h: ok"
done

# ------------------------------------------------ Authentication-Results
mk dmarc 'Bank <service@bank.example>' \
	'Authentication-Results: mx.acme.example; dmarc=fail (p=reject) header.from=bank.example'
id=$(ingest dmarc.eml)
is "$(verdict "$id")" "forged quarantined $no_answer" "dmarc=fail from our authserv-id: forged"
like "$(reasons "$id")" "forged: dmarc=fail header.from=bank.example" "the reason says so"
is "$(show "$id" '"%s %s" % (d["complaint"], d["outcome"])')" "False complaint" \
   "not counted as a complaint; the outcome keeps what the rules read"
mk foreign 'Bank <service@bank.example>' \
	'Authentication-Results: mx.elsewhere.example; dmarc=fail header.from=bank.example'
is "$(verdict "$(ingest foreign.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "dmarc=fail from a foreign authserv-id: ignored"
mk below 'Bank <service@bank.example>' \
	'Authentication-Results: mx.acme.example; dmarc=pass header.from=bank.example' \
	'Authentication-Results: mx.acme.example; dmarc=fail header.from=bank.example'
is "$(verdict "$(ingest below.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "a dmarc=fail below our topmost field is the sender's: ignored"
mk spf 'Bank <service@bank.example>' \
	'Authentication-Results: mx.acme.example; spf=fail smtp.mailfrom=bounce@bank.example'
is "$(verdict "$(ingest spf.eml)")" "forged quarantined $no_answer" \
   "spf=fail for the From domain, no dkim: forged"
mk spfdkim 'Bank <service@bank.example>' \
	'Authentication-Results: mx.acme.example; spf=fail smtp.mailfrom=bounce@bank.example; dkim=pass header.d=bank.example'
is "$(verdict "$(ingest spfdkim.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "spf=fail with an aligned dkim=pass: ok"
mk spfother 'Bank <service@bank.example>' \
	'Authentication-Results: mx.acme.example; spf=fail smtp.mailfrom=owner@lists.example.org'
is "$(verdict "$(ingest spfother.eml)")" "ok new 2026-11-24T10:00:00Z 1 1" \
   "spf=fail of another domain says nothing about From"

# ------------------------------------------------------- the quarantine
R case list --state quarantined > q.txt
like "$(cat q.txt)" "quarantined +forged" "case list --state quarantined shows the forged case"
like "$(R case list --state informational)" "informational +list" \
   "case list --state informational shows list mail"
total=$(ls ./*.eml | wc -l)
is "$(R --json case list | jget 'len(d)')" "$total" "nothing is lost: one case per message"
like "$(R case show 1)" "traffic: +ok" "case show says the traffic"
like "$(R case show 2)" "traffic: +list \[\"list: List-Id" "and its reasons"
R --json case list | jget 'sorted(set(k for c in d for k in c))' > keys.txt
like "$(cat keys.txt)" "'traffic', 'traffic_reasons'" "case list --json has traffic and its reasons"

# The report counts the team's work: not spam, not list mail.  (A minute
# on: the default period ends at --now, not including it.)
rep=$(NOW=2026-11-23T10:01:00Z; R --json report)
is "$(printf '%s\n' "$rep" | jget '"%d %d %d" % (d["all"]["cases"], d["quarantined"], d["informational"])')" \
   "$(R --json case list | jget '"%d %d %d" % (len([c for c in d if c["traffic"] == "ok"]), len([c for c in d if c["state"] == "quarantined"]), len([c for c in d if c["state"] == "informational"]))')" \
   "report: only ok cases are counted; quarantined and informational apart"

# classify shows the verdict and its reasons, and stores nothing.
like "$(R classify dmarc.eml)" "traffic: forged" "classify says forged"
is "$(R --json classify dmarc.eml | jget '"%s %d" % (d["traffic"], len([r for r in d["traffic_reasons"] if not r.startswith("words, ")]))')" "forged 1" \
   "classify --json: traffic and traffic_reasons (beside the words note)"
is "$(R --json -c trust.conf classify "t$(echo 'X-Spam-Flag: YES' | tr -c 'a-zA-Z0-9\n' _ | cut -c1-30).eml" | jget 'd["traffic"]')" \
   "spam" "classify --json with trusted headers: spam"

# A week on, nobody answered: only ok cases escalate.
NOW=2026-12-01T10:00:00Z; R tick >/dev/null
is "$(R --json queue list | jget 'sorted(set(str(j["case"]) for j in d if j["kind"] == "escalation"))' | tr -d "'")" \
   "$(R --json case list | jget 'sorted(str(c["id"]) for c in d if c["traffic"] == "ok")' | tr -d "'")" \
   "a week on, tick escalates the ok cases and none of the others"

# case spam and case release, in a store of their own.
mkdir people && cd people || exit 1
cp ../redress.conf .
NOW=2026-11-23T10:00:00Z
mk ok1 'Hal <hal@example.net>'
mk forged1 'Bank <service@bank.example>' \
	'Authentication-Results: mx.acme.example; dmarc=fail header.from=bank.example'
mk list1 'Ivy <ivy@example.net>' 'List-Id: <users.lists.example.org>'
R ingest ok1.eml forged1.eml list1.eml >/dev/null
jobs() { show "$1" '" ".join("%s:%s" % (j["kind"], j["state"]) for j in d["jobs"])'; }
events() { show "$1" '" ".join(e["kind"] for e in d["events"])'; }
is "$(jobs 1)" "ack:queued followup:queued" "an ok case: ack and follow-up queued"
NOW=2026-11-23T11:00:00Z; REDRESS_AGENT=erin R case spam 1 >/dev/null; st=$?
is "$st" 0 "case spam: exit 0"
is "$(verdict 1)" "spam quarantined $no_answer" "case spam: quarantined, traffic spam, no clock"
is "$(jobs 1)" "ack:suppressed followup:suppressed" "its queued ack and follow-up are suppressed"
like "$(events 1)" " spam$" "an event of kind spam"
like "$(reasons 1)" "spam: marked spam by a person" "the reasons say a person said so"
is "$(R --json case show 1 | python3 -c 'import json,sys; print([e["author"] for e in json.load(sys.stdin)["events"] if e["kind"] == "spam"])')" \
	"['erin']" "and the event names the person"
R case spam 1 >/dev/null 2>err; st=$?
is "$st" 65 "case spam on spam: refused (65)"
like "$(cat err)" "quarantined as spam already" "saying why"
R case release 9 >/dev/null 2>err; st=$?
is "$st" 66 "case release of no case: 66"
R case spam x >/dev/null 2>err; st=$?
is "$st" 64 "case spam x: usage (64)"

NOW=2026-11-23T12:00:00Z; REDRESS_AGENT=erin R case release 2 >/dev/null; st=$?
is "$st" 0 "case release of the forged case: exit 0"
is "$(verdict 2)" "ok new 2026-11-24T12:00:00Z 1 1" \
   "released: ok, new, ack and clock timed from the release (12:00 + 1d)"
is "$(show 2 '[j["due"] for j in d["jobs"] if j["state"] == "queued"]' | tr -d "[]',")" \
   "2026-11-23T12:00:00Z 2026-11-30T12:00:00Z" "the ack due at once, the follow-up a week after the release"
like "$(events 2)" " release$" "an event of kind release"
is "$(R --json case show 2 | python3 -c 'import json,sys; print([e["author"] for e in json.load(sys.stdin)["events"] if e["kind"] == "release"])')" \
	"['erin']" "by the person who released it"
R case release 2 >/dev/null 2>err; st=$?
is "$st" 65 "releasing it again: refused (65)"
R case release 1 >/dev/null; R case release 3 >/dev/null
is "$(verdict 3)" "ok new 2026-11-24T12:00:00Z 1 1" "an informational (list) case can be released too"
is "$(verdict 1)" "ok new 2026-11-24T12:00:00Z 1 1" "and a case marked spam"
# A case marked spam after its ack went out is not acked twice on release.
mk ok2 'Kim <kim@example.net>'
R ingest ok2.eml >/dev/null
NOW=2026-11-23T12:01:00Z; R send --once >/dev/null
NOW=2026-11-23T12:02:00Z; R case spam 4 >/dev/null
NOW=2026-11-23T12:03:00Z; R case release 4 >/dev/null
is "$(show 4 '"%s %s" % (d["state"], " ".join("%s:%s" % (j["kind"], j["state"]) for j in d["jobs"]))')" \
   "acknowledged ack:sent followup:suppressed followup:queued" \
   "released after its ack went out: acknowledged, no second ack, a new follow-up"
R case reopen 3 >/dev/null 2>&1
mk list2 'Jo <jo@example.net>' 'List-Id: <users.lists.example.org>'
R ingest list2.eml >/dev/null
R case reopen 5 >/dev/null 2>err; st=$?
is "$st" 65 "an informational case cannot be reopened (65)"
like "$(cat err)" "case release" "it says to release it"
cd .. || exit 1

# A list post does not make its author a repeat customer.
mkdir repeat && cd repeat || exit 1
cp ../redress.conf .
NOW=2026-11-23T10:00:00Z
for i in 1 2 3; do SAME=1 mk "post$i" 'Gil <gil@example.net>' 'List-Id: <users.lists.example.org>'; done
R ingest post1.eml post2.eml post3.eml >/dev/null
SAME=1 mk own 'Gil <gil@example.net>'
id=$(ingest own.eml)
is "$(show "$id" '"%s %s" % ("repeat" in d["tags"], d["priority"])')" "False normal" \
   "three list posts by the same person make no repeat customer"
is "$(R --json queue list | jget 'len([j for j in d if j["kind"] == "escalation"])')" 0 \
   "and nothing escalates"
done_testing
