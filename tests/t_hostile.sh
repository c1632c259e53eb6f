#!/bin/sh
# Hostile input, end to end (issue 7, item 4).  Each attack must give a
# clear outcome - stored, held with a reason, or refused with a reason -
# in bounded time and memory:
#   - header injection through the display name, the subject and the
#     address: the ack in the outbox carries exactly the headers redress
#     writes, nothing injected, and an address that cannot be written
#     back safely is refused with a reason instead;
#   - template syntax in customer text ({{case_id}}, {{#if}}, \{{, {{!}})
#     comes out literally in the ack and in the escalation;
#   - a 25 MiB message (stored) and one byte more (held);
#   - 10,000 MIME parts (held under the default max_parts, stored with
#     max_parts raised to 100000);
#   - message/rfc822 nested 100 deep (held under the default max_depth,
#     stored with max_depth 1000);
#   - invalid UTF-8 in every header, the body and a file name (stored;
#     everything redress shows is valid UTF-8);
#   - a rules file with the catastrophic pattern (a+)+$ on 1 MiB of text
#     through "redress classify" (answers, and says the rule was stopped).
# Every run of redress is measured with /usr/bin/time (package "time"):
# wall time below HOSTILE_MAX_SECS (default 20) and maximum RSS below
# HOSTILE_MAX_KB (default 1.5 GB), bounds meant for a 2-core CI machine
# under ASan.  Without /usr/bin/time only the wall time is checked.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed to build the inputs"
max_secs=${HOSTILE_MAX_SECS:-20}
max_kb=${HOSTILE_MAX_KB:-1572864}
have_time=false
[ -x /usr/bin/time ] && have_time=true
$have_time || diag "no /usr/bin/time (apt-get install time): memory is not measured"

# Each attack in a directory of its own: its own store and outbox.
section() {
	mkdir -p "$T/$1" && cd "$T/$1" || exit 1
	cat > redress.conf <<EOC
[smtp]
from = Customer Care <care@example.com>
escalate_to = Duty Manager <duty@example.com>
EOC
}

# measure NAME CMD...: runs CMD (stdout NAME.out, stderr NAME.err), sets
# $st, then one test for the time and memory it took.
measure() {
	name=$1; shift
	if $have_time; then
		/usr/bin/time -f '%e %M' -o "$name.time" "$@" >"$name.out" 2>"$name.err"
		st=$?
		set -- $(tail -1 "$name.time")
		secs=$1; kb=$2
	else
		t0=$(date +%s)
		"$@" >"$name.out" 2>"$name.err"
		st=$?
		secs=$(($(date +%s) - t0)); kb=0
	fi
	awk -v s="$secs" -v k="$kb" -v ms="$max_secs" -v mk="$max_kb" \
		'BEGIN { exit !(s + 0 < ms && k + 0 < mk) }'
	ok $? "$name: ${secs} s, ${kb} KB (bounds ${max_secs} s, ${max_kb} KB)"
}

# The header names of an outbox file, sorted, comma-separated; and a
# check of its lines.
headers_of() {
	python3 - "$1" <<'PY'
import email, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw)
print(",".join(sorted(m.keys())))
PY
}
lines_ok() { # every line CRLF-terminated, at most 998 octets, 7-bit
	python3 - "$1" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\r\n")
bad = [l for l in lines if b"\n" in l or b"\r" in l or len(l) > 998]
sys.exit(1 if bad or lines[-1] != b"" or any(c >= 0x80 for c in raw) else 0)
PY
}
decoded_header() { # decoded_header FILE NAME
	python3 - "$1" "$2" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
print(m[sys.argv[2]])
PY
}
decoded_body() {
	python3 - "$1" <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
sys.stdout.write(m.get_content())
PY
}
want_headers="Auto-Submitted,Content-Transfer-Encoding,Content-Type,Date,From,In-Reply-To,MIME-Version,Message-ID,References,Subject,To,X-Auto-Response-Suppress,X-Loop,X-Redress-Envelope-From,X-Redress-Envelope-To"

# ---------------------------------------------------------------- injection
section injection
printf 'From: =?utf-8?q?Eve=0D=0ABcc:_victim@example.com?= <eve@example.net>\nTo: care@example.com\nSubject: =?utf-8?q?Refund_now=0D=0AX-Injected:_yes=0ABcc:_all@example.com?=\nMessage-ID: <inj1@example.net>\n\nI was charged twice, please refund me.\n' > inj-name-subject.eml
printf 'From: "fred@example.net\r\n Bcc: y@example.com" <fred\r\n @example.net>\nTo: care@example.com\nSubject: Bcc: z@example.com%%0d%%0aCc: w@example.com\nMessage-ID: <inj2@example.net>\n\nThe parcel came damaged.\n' > inj-folded.eml
printf 'From: Mallory <mallory@example.net>\n\tBcc: victim@example.com\nReply-To: =?utf-8?q?a=0D=0ABcc=3A_x?=@example.com\nTo: care@example.com\nSubject: my refund\nMessage-ID: <inj3@example.net>\n\nI want my money back.\n' > inj-replyto.eml
printf 'From: "a\r\n b"@example.net\nTo: care@example.com\nSubject: my parcel is late\nMessage-ID: <inj4@example.net>\n\nMy parcel is late.\n' > inj-quoted-local.eml
measure "injection: ingest" "$REDRESS" --json ingest inj-name-subject.eml inj-folded.eml \
	inj-replyto.eml inj-quoted-local.eml
is "$(jget 'd["new"], d["held"]' < "injection: ingest.out")" "4 0" "injection: four new cases"
measure "injection: send" "$REDRESS" send --once
like "$(cat "injection: send.out")" "^3 sent, 0 deferred, 0 failed" \
	"injection: three acks sent; none queued to the unsafe address"
n=0
for f in outbox/*.eml; do
	n=$((n + 1))
	is "$(headers_of "$f")" "$want_headers" "injection: ack $n has exactly redress's headers"
	lines_ok "$f"; ok $? "injection: ack $n is 7-bit, CRLF, no line over 998 octets"
	if grep -qiE '^(bcc|cc|x-injected):' "$f"; then ok 1 "injection: ack $n: no injected header line"
	else ok 0 "injection: ack $n: no injected header line"; fi
done
is "$n" 3 "injection: three acks in the outbox"
to1=$(grep -l 'In-Reply-To: <inj1@' outbox/*.eml)
like "$(decoded_header "$to1" To)" '^"?Eve Bcc: victim@example.com"? <eve@example.net>$' \
	"injection: the CR LF in the name became a space inside the display name"
like "$(grep -h '^X-Redress-Envelope-To:' outbox/*.eml | sort | tr -d '\r' | tr '\n' ' ')" \
	"^X-Redress-Envelope-To: <=\?utf-8\?q\?a=0d=0abcc=3a_x\?=@example.com> X-Redress-Envelope-To: <eve@example.net> X-Redress-Envelope-To: <fred@example.net> $" \
	"injection: each ack goes to one plain address (the encoded word stays inert in the local part)"
id4=$("$REDRESS" --json case list | jget '[c["id"] for c in d if c["subject"] == "my parcel is late"][0]')
like "$("$REDRESS" --json case show "$id4" | jget '[(j["state"], j["last_error"]) for j in d["jobs"] if j["kind"] == "ack"][0]')" \
	"suppressed.*cannot be used in a mail header" "injection: the quoted local part with a fold gets no ack, with a reason"
is "$("$REDRESS" --json case show "$id4" | jget '[j["kind"] for j in d["jobs"]]')" "['ack']" \
	"injection: and no follow-up queued to it"
like "$("$REDRESS" --json case list | jget '[c["subject"] for c in d]')" \
	"Refund now X-Injected: yes Bcc: all@example.com" "injection: the subject is stored as one line"

# ------------------------------------------------------- template syntax
section template
printf 'From: "{{sender_name}} Smith" <tpl@example.net>\nTo: care@example.com\nSubject: {{case_id}} see you in court {{#if resolved}}free{{/if}} \\{{x}}\nMessage-ID: <tpl@example.net>\n\nI will contact my lawyer about this. {{company}} {{#unless resolved}}x{{/unless}} \\{{y}} {{! c }}\n' > tpl.eml
measure "template syntax: ingest" "$REDRESS" --json ingest tpl.eml
measure "template syntax: send" "$REDRESS" send --once
ack=$(grep -l 'In-Reply-To: <tpl@' outbox/*.eml)
esc=$(grep -l '^To: Duty Manager' outbox/*.eml)
like "$(decoded_header "$ack" Subject)" ': \{\{case_id\}\} see you in court \{\{#if resolved\}\}free\{\{/if\}\} \\\{\{x\}\}$' \
	"template syntax: the customer's subject is literal in the ack's subject"
like "$(decoded_header "$ack" To)" '\{\{sender_name\}\} Smith' "template syntax: the name is literal in To"
like "$(decoded_body "$ack")" 'Hello \{\{sender_name\}\} Smith,' "template syntax: the name is literal in the greeting"
like "$(decoded_body "$esc" | tr '\n' ' ')" 'lawyer about this. \{\{company\}\} \{\{#unless resolved\}\}x\{\{/unless\}\} \\\{\{y\}\} \{\{! c \}\}' \
	"template syntax: the customer's words are literal in the escalation"

# ---------------------------------------------------------------- size
section size
python3 - <<'PY'
hdr = (b"From: Big Sender <big@example.net>\nTo: care@example.com\n"
       b"Subject: photos of the damaged parcel\nMessage-ID: <big@example.net>\n"
       b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n--BB\n"
       b"Content-Type: text/plain; charset=utf-8\n\nThe parcel arrived damaged, photos attached.\n"
       b"--BB\nContent-Type: image/jpeg; name=p.jpg\nContent-Transfer-Encoding: base64\n"
       b"Content-Disposition: attachment; filename=p.jpg\n\n")
tail = b"\n--BB--\n"
n = 25 * 1024 * 1024 - len(hdr) - len(tail)
line = b"QUJDRA" * 12 + b"\n"
body = (line * (n // len(line) + 1))[:n]
open("big.eml", "wb").write(hdr + body + tail)
open("big1.eml", "wb").write(hdr.replace(b"<big@", b"<big1@") + body + b"x" + tail)
PY
is "$(wc -c < big.eml | tr -d ' ')" 26214400 "size: the message is 25 MiB"
measure "size: 25 MiB" "$REDRESS" --json ingest big.eml
is "$(jget 'd["new"], d["held"]' < "size: 25 MiB.out")" "1 0" "size: 25 MiB is stored as a new case"
id=$("$REDRESS" --json case list | jget '[c["id"] for c in d if c["customer"] == "big@example.net"][0]')
like "$("$REDRESS" --json case show "$id" | jget 'd["messages"][0]["text"]')" "arrived damaged" \
	"size: its text was read"
measure "size: 25 MiB + 1" "$REDRESS" --json ingest big1.eml
is "$(jget 'd["held"]' < "size: 25 MiB + 1.out")" 1 "size: one byte more is held"
like "$("$REDRESS" --json case list --state held | jget 'd[-1]["held_reason"] if "held_reason" in d[-1] else ""')$(cat "size: 25 MiB + 1.err")" \
	"larger than" "size: held because it is larger than max_size"
rm -f big.eml big1.eml

# ------------------------------------------------------- parts and nesting
section structure
python3 - <<'PY'
parts = [b"From: Parts <parts@example.net>\nTo: care@example.com\nSubject: many parts\n"
         b"Message-ID: <parts@example.net>\nMIME-Version: 1.0\n"
         b"Content-Type: multipart/mixed; boundary=P\n\n"]
for i in range(10000):
    parts.append(b"--P\nContent-Type: text/plain\n\nmy order %d is late\n" % i)
parts.append(b"--P--\n")
open("parts.eml", "wb").write(b"".join(parts))
s = b"From: inner@example.net\nSubject: innermost\n\nthe innermost complaint\n"
for i in range(100):
    s = (b"From: level%d@example.net\nTo: care@example.com\nSubject: level %d\n"
         b"Message-ID: <n%d@example.net>\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n"
         % (i, i, i)) + s
open("nested.eml", "wb").write(s)
PY
measure "10,000 parts" "$REDRESS" --json ingest parts.eml
is "$(jget 'd["held"]' < "10,000 parts.out")" 1 "10,000 parts: held under the default max_parts"
like "$(cat "10,000 parts.err")" "more than 1000 MIME parts" "10,000 parts: the reason says so"
measure "nested 100" "$REDRESS" --json ingest nested.eml
is "$(jget 'd["held"]' < "nested 100.out")" 1 "nested 100: held under the default max_depth"
like "$(cat "nested 100.err")" "nesting deeper than" "nested 100: the reason says so"
cat > raised.conf <<EOC
[store]
path = raised.db
[intake]
max_parts = 100000
max_depth = 1000
EOC
measure "10,000 parts, limits raised" "$REDRESS" -c raised.conf --json ingest parts.eml
is "$(jget 'd["new"], d["held"]' < "10,000 parts, limits raised.out")" "1 0" \
	"10,000 parts with max_parts 100000: stored"
measure "nested 100, limits raised" "$REDRESS" -c raised.conf --json ingest nested.eml
is "$(jget 'd["new"], d["held"]' < "nested 100, limits raised.out")" "1 0" \
	"nested 100 with max_depth 1000: stored"

# ---------------------------------------------------------------- UTF-8
section utf8
printf 'From: \xff\xfe Bad \xc3\x28 Name <bad@example.net>\nTo: care@example.com\nSubject: \xed\xa0\x80 surrogate \xf4\x90\x80\x80 too big \xc0\xaf overlong =?utf-8?q?=FF=C3?= refund\nMessage-ID: <bad\xff@example.net>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=U\n\n--U\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nI want a refund \xff\xfe\xc3\x28\xe2\x82 now \xf0\x9f\x98\n--U\nContent-Type: application/pdf; name="\xff\xfe.pdf"\nContent-Disposition: attachment; filename*=utf-8%s%s%%FF%%FE.pdf\n\nx\n--U--\n' "'" "'" > badutf8.eml
printf 'From: =?utf-8?b?/w==?= <\xffbad@example.net>\nSubject: =?x-unknown?q?=FF?=\n\n\xc0\x80\n' > badaddr.eml
measure "invalid UTF-8: ingest" "$REDRESS" --json ingest badutf8.eml badaddr.eml
is "$(jget 'd["new"], d["held"]' < "invalid UTF-8: ingest.out")" "2 0" "invalid UTF-8: both stored"
"$REDRESS" --json case list > list.json
python3 -c 'import json; json.loads(open("list.json", "rb").read().decode("utf-8", "strict"))'
ok $? "invalid UTF-8: case list is valid UTF-8 JSON"
id=$("$REDRESS" --json case list | jget '[c["id"] for c in d if c["customer"] == "bad@example.net"][0]')
"$REDRESS" --json case show "$id" > show.json
python3 -c 'import json; d = json.loads(open("show.json", "rb").read().decode("utf-8", "strict")); assert "I want a refund" in d["messages"][0]["text"]'
ok $? "invalid UTF-8: case show is valid UTF-8 JSON with the text"
measure "invalid UTF-8: send" "$REDRESS" send --once
like "$(cat "invalid UTF-8: send.out")" "^1 sent" "invalid UTF-8: one ack (the unreadable address gets none)"
for f in outbox/*.eml; do
	lines_ok "$f"; ok $? "invalid UTF-8: the ack is 7-bit, CRLF, no line over 998 octets"
	like "$(decoded_header "$f" To)" "<bad@example.net>" "invalid UTF-8: the ack goes to the sender"
done

# -------------------------------------------------- catastrophic pattern
section catastrophic
cat > cat.conf <<EOC
[paths]
rules = $top_srcdir/tests/data/rules/catastrophic.rules
EOC
python3 - <<'PY'
head = b"From: a@example.net\nSubject: " + b"a" * 900 + b"!\nMessage-ID: <cat@example.net>\n\n"
open("cat.eml", "wb").write(head + b"a" * (1024 * 1024) + b"!\n")
open("cat-lines.eml", "wb").write(head + (b"a" * 1023 + b"\n") * 1024 + b"!\n")
PY
measure "(a+)+\$ on 1 MiB" "$REDRESS" -c cat.conf --json --quiet classify cat.eml
is "$st" 0 "(a+)+\$ on 1 MiB: classify answers"
is "$(jget 'd["category"], d["scores"]["runaway"]' < "(a+)+\$ on 1 MiB.out")" "other 0" \
	"(a+)+\$ on 1 MiB: the runaway rule counts as no match"
measure "(a+)+\$ on 1 MiB of lines" "$REDRESS" -c cat.conf --json classify --explain cat-lines.eml
is "$(jget 'd["category"]' < "(a+)+\$ on 1 MiB of lines.out")" "other" "(a+)+\$ on 1 MiB of lines: answers"
like "$(cat "(a+)+\$ on 1 MiB of lines.err")" 'rule "nested".*match limit' \
	"(a+)+\$: the stopped rule is named in a warning"
done_testing
