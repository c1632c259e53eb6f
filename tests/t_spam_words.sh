#!/bin/sh
# The learned words signal (issue 13): "rules spam-words" counts the words
# of spam and good mail into a words file; with [spam] words, a message
# whose words score at least [spam] words_score percent is spam:
# quarantined, no ack, no clock, its reason naming the words.  Without the
# setting (words =), the same message is ok.  The shipped spam.words is
# the default.  Bad files and bad command lines are refused as they say.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
cat > base.conf <<EOC
[smtp]
from = Acme Care <care@example.com>
[sla]
timezone = UTC
hours = mon-fri 09:00-17:00
EOC
NOW=2026-11-23T10:00:00Z
R() { "$REDRESS" --now "$NOW" "$@"; }

# Made-up words no rule knows, so that only the words signal can say spam.
n=0
mail() {	# mail DIR SUBJECT BODY
	n=$((n + 1))
	mkdir -p "$1"
	printf 'From: P%d <p%d@example.net>\nTo: care@example.com\nSubject: %s\nMessage-ID: <w%d@example.net>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n\n%s\n' \
		"$n" "$n" "$2" "$n" "$3" > "$1/$(printf '%05d' $n).eml"
}
for i in 1 2 3 4 5 6; do
	mail spam "Zorbling fnarg deal $i" "Get zorbling quuxify blarvex now, fnarg glimmox offer $i."
	mail ham "My parcel $i" "My parcel never arrived and the courier was rude. Order $i, refund please."
done
mkdir empty

OUT=$(R -c base.conf rules spam-words --spam spam --ham ham -o w.words); rc=$?
is "$rc" 0 "rules spam-words: exit 0"
like "$OUT" "^6 spam and 6 good messages, [0-9]+ words, [0-9]+ seen in 2 or more; wrote w.words\$" \
	"it says what it counted"
is "$(sed -n 1p w.words)" "# made by: redress rules spam-words --spam spam --ham ham -o FILE" \
	"the header says how it was made"
is "$(grep -v '^#' w.words | sed -n 1,2p | tr '\n' ' ')" "redress-spam-words 1 messages 6 6 " \
	"then the version and the counts"
is "$(grep '^zorbling	' w.words)" "zorbling	6	0" "a word once per message"
is "$(grep -c '^parcel	' w.words)" 1 "and the good words"
is "$(stat -c %a w.words)" 600 "written 0600"
is "$(R --json -c base.conf rules spam-words --spam spam --ham ham -o w2.words | jget 'd["kept"] > 0 and d["spam"] == 6')" \
	True "--json says the counts"

{ cat base.conf; printf '[spam]\nwords = %s/w.words\n' "$T"; } > words.conf
{ cat base.conf; printf '[spam]\nwords =\n'; } > nowords.conf
# One word of the spam and nothing else known: the score is that word's
# f(w) = (0.45 * 0.5 + 6) / (0.45 + 6) = 0.9651.
mail test "Hello" "Zorbling."
spam_msg=test/$(printf '%05d' $n).eml
mail test "My parcel" "My parcel never arrived. Order 99, refund please."
good_msg=test/$(printf '%05d' $n).eml

J=$(R -c words.conf --json classify "$spam_msg")
is "$(echo "$J" | jget 'd["traffic"]')" spam "classify: the made-up words are spam"
like "$(echo "$J" | jget 'd["traffic_reasons"][0]')" \
	"^spam: words, score 0\.965 \(spam from 0\.90\): zorbling\$" "the reason gives the score and the words"
is "$(echo "$J" | jget '0.9 <= d["spam_words"] < 1')" True "spam_words is the score"
J=$(R -c words.conf --json classify "$good_msg")
is "$(echo "$J" | jget 'd["traffic"]')" ok "classify: the complaint is ok"
like "$(echo "$J" | jget 'd["traffic_reasons"][0]')" "^words, score 0\.[0-8]" \
	"classify shows the score even when it is not spam"
is "$(R -c nowords.conf --json classify "$spam_msg" | jget 'd["spam_words"], d["traffic"]')" \
	"None ok" "words = (empty): no score, and the same message is ok"

# judged DIR SUBJECT BODY KEY VERDICT REASON NAME: a new message in DIR,
# classified with words.conf: d[KEY] and the traffic are VERDICT, the
# first traffic reason is like REASON.
judged() {
	mail "$1" "$2" "$3"
	J=$(R -c words.conf --json classify "$1/$(printf '%05d' $n).eml")
	is "$(echo "$J" | jget "d['$4'], d['traffic']")" "$5" "$7"
	like "$(echo "$J" | jget 'd["traffic_reasons"][0]')" "$6" "  $7: the reason"
}
# Thanks and questions are judged from 99% (TRAFFIC_WORDS_THANKS): one
# spam word (0.965) in a thank-you note is not enough, five are.
judged thx "Thank you" "Thank you so much, wonderful team. Zorbling." outcome "praise ok" \
	"^words, score 0\.965 \(spam from 0\.99\)" "thanks with one spam word: ok, judged from 0.99"
judged thx "Thank you" "Thank you so much, wonderful team. Zorbling fnarg quuxify blarvex glimmox." \
	outcome "praise spam" "^spam: words, score 1\.000 \(spam from 0\.99\)" "thanks made of spam's words: spam"

# What the rules read as nothing (the default rules' "other", flagged
# unrecognised) is judged from words_score, as a complaint is, although
# its outcome is question: its words are no thank-you's.
judged oth "Hello" "Zorbling for you." category "other spam" "\(spam from 0\.90\)" \
	"nothing read, one spam word: spam, judged from words_score"
sed 's/ unrecognised question$/ question/' "$top_srcdir/rules.conf" > noflag.rules
{ cat words.conf; printf '[paths]\nrules = %s/noflag.rules\n' "$T"; } > noflag.conf
is "$(R -c noflag.conf --json classify "oth/$(printf '%05d' $n).eml" | jget 'd["category"], d["traffic"]')" \
   "other ok" "without the flag it is judged as a question, from 0.99"

# End to end: intake quarantines it, stores it, answers nothing.
mkdir s1 && cp words.conf s1/redress.conf && cd s1 || exit 1
R ingest "../$spam_msg" "../$good_msg" >/dev/null 2>&1
is "$(R --json case list --state quarantined | jget 'len(d)')" 1 "ingest: one quarantined"
id=$(R --json case list | jget '[c["id"] for c in d if c["traffic"] == "spam"][0]')
is "$(R --json case show "$id" | jget 'd["traffic"], d["first_response_due"], len([j for j in d["jobs"] if j["state"] != "suppressed"])')" \
	"spam None 0" "the spam has no clock and no job"
like "$(R --json case show "$id" | jget '" | ".join(d["traffic_reasons"])')" "spam: words, score" \
	"case show names the words"
is "$(R --json case list | jget 'len([c for c in d if c["traffic"] == "ok"])')" 1 "the complaint is ok"
# --from-store: the store as it is sorted now, corrections included.
OUT=$(R rules spam-words --from-store --min-count 1 -o fs.words); rc=$?
is "$rc" 0 "--from-store: exit 0"
like "$OUT" "^from the store: 1 spam and 1 good cases" "it says what it took"
is "$(grep '^messages' fs.words)" "messages 1 1" "the quarantined case as spam, the ok one as good"
is "$(grep '^zorbling	' fs.words | cut -f2,3)" "1	0" "with the spam's words"
R case release "$id" >/dev/null 2>&1
R rules spam-words --from-store -o fs2.words >/dev/null 2>err; rc=$?
is "$rc" 65 "after case release, no spam is left to learn from: 65"
like "$(cat err)" "no spam message" "saying so"
R rules spam-words --from-store --spam ../spam -o fs3.words >/dev/null
is "$(grep '^messages' fs3.words)" "messages 6 2" "directories and the store together; the released case is good mail"
cd .. || exit 1

# words_score: a threshold above the message's score lets it through.
{ cat words.conf; echo "words_score = 100"; } > high.conf
is "$(R -c high.conf --json classify "$spam_msg" | jget 'd["traffic"]')" ok \
	"words_score = 100, above its score: ok"
{ cat words.conf; echo "words_score = 49"; } > bad.conf
R -c bad.conf classify "$spam_msg" >/dev/null 2>err; rc=$?
is "$rc" 78 "words_score under 50 is refused: exit 78"

# --score prints a score per message, learning nothing.
OUT=$(R -c base.conf rules spam-words --score w.words --spam test)
is "$(echo "$OUT" | wc -l)" 2 "--score: a line per message"
like "$(echo "$OUT" | head -1)" "^spam 0\.9651 test/[0-9]+\.eml\$" "spam|ham SCORE PATH"

# The shipped words are the default, from the data directory.
like "$(R -c base.conf classify "$good_msg")" "words, score [01]\.[0-9]+ \(spam from 0\.90\)" \
	"the default: the shipped spam.words"

# Refusals.
printf 'redress-spam-words 1\nmessages 2 2\nzz\t1\t0\naa\t1\t0\n' > bad.words
{ cat base.conf; printf '[spam]\nwords = bad.words\n'; } > badw.conf
R -c badw.conf classify "$good_msg" >/dev/null 2>err; rc=$?
is "$rc" 78 "a bad words file: classify exit 78"
like "$(cat err)" "bad.words:4: \"aa\" is out of order" "with FILE:LINE"
R -c badw.conf ingest "$good_msg" >/dev/null 2>err; rc=$?
is "$rc" 78 "a bad words file: ingest exit 78"
like "$(cat err)" "bad.words:4:" "with FILE:LINE"
{ cat base.conf; printf '[spam]\nwords = missing.words\n'; } > miss.conf
R -c miss.conf classify "$good_msg" >/dev/null 2>err; rc=$?
is "$rc" 78 "a missing words file: exit 78"
like "$(cat err)" "missing.words: No such file" "saying so"
R -c base.conf rules spam-words --spam spam -o x.words 2>/dev/null; rc=$?
is "$rc" 64 "no --ham: usage, 64"
R -c base.conf rules spam-words --spam nosuch --ham ham -o x.words 2>err; rc=$?
is "$rc" 66 "a missing directory: 66"
like "$(cat err)" "rules spam-words: nosuch: No such file" "naming it"
R -c base.conf rules spam-words --spam empty --ham ham -o x.words 2>err; rc=$?
is "$rc" 65 "no spam message in the directories: 65"
test ! -e x.words; ok $? "and no file written"
R -c base.conf rules spam-words --spam spam --ham ham -o nodir/x.words 2>err; rc=$?
is "$rc" 73 "an output that cannot be written: 73"
done_testing
