#!/bin/sh
# spam_words.sh - make the shipped words file (spam.words) and choose its
# threshold ([spam] words_score) honestly: on the odd-numbered halves only.
#
# usage: bench/spam_words.sh [--redress PATH] [--folds K] [--out FILE]
#                            [--write FILE]
#   --redress PATH  the binary (default: _test/plain/redress, else
#                   build-plain/redress, else build-main/redress)
#   --folds K       cross-validation folds over the odd halves (default 5)
#   --out FILE      the report (default: bench/spam-words.md; - = stdout)
#   --write FILE    also train on the whole odd halves and write the words
#                   file there (the shipped one is spam.words at the top)
#
# Training sets, the odd-numbered files only (the even ones are what
# bench/hygiene.sh --half even reports on, so no figure there is tuned on
# itself):
#   spam  spam-1/*.eml of the SpamAssassin corpus, odd numbers;
#   good  easy-ham-1/*.eml, odd numbers, and the CFPB narratives written
#         as mail by bench/cfpb_to_mail.py --half odd (real complaints:
#         without them, the words of money and accounts that complaints
#         share with spam would say spam).
# Each file is held out once: trained on the other K-1 folds, it is scored
# by "redress rules spam-words --score" (as intake and classify score it).  The report gives, per
# threshold, the share of each set at or above it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
corpora=${REDRESS_CORPORA:-$top/../shared/corpora}
redress=
folds=5
out=$top/bench/spam-words.md
write=
while [ $# -gt 0 ]; do
	case $1 in
	--redress) redress=$2; shift 2 ;;
	--folds) folds=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--write) write=$2; shift 2 ;;
	*) echo "usage: bench/spam_words.sh [--redress PATH] [--folds K] [--out FILE] [--write FILE]" >&2
	   exit 64 ;;
	esac
done
if [ -z "$redress" ]; then
	for c in "$top/_test/plain/redress" "$top/build-plain/redress" "$top/build-main/redress"; do
		[ -x "$c" ] && { redress=$c; break; }
	done
fi
[ -n "$redress" ] && [ -x "$redress" ] || { echo "spam_words.sh: no redress binary" >&2; exit 66; }
case $redress in /*) ;; *) redress=$PWD/$redress ;; esac

tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
export REDRESS_DATADIR="$top"

# The odd halves, as symlinks, each with its fold: SET/FOLD/NAME.
python3 "$top/bench/cfpb_to_mail.py" --half odd "$corpora/complaints/cfpb_complaints_sample.csv" \
	"$tmp/cfpb-all" >/dev/null
split() {	# split SET DIR
	i=0
	for f in $(ls "$2" | sort); do
		n=$(echo "$f" | tr -dc 0-9 | sed 's/^0*//')
		[ -n "$n" ] || n=0
		[ $((n % 2)) -eq 1 ] || continue
		k=$((i % folds))
		mkdir -p "$tmp/$1/$k"
		ln -s "$2/$f" "$tmp/$1/$k/$f"
		i=$((i + 1))
	done
}
split spam "$corpora/spamassassin/spam-1"
split ham "$corpora/spamassassin/easy-ham-1"
split cfpb "$tmp/cfpb-all"

: > "$tmp/scores"
k=0
while [ $k -lt $folds ]; do
	args=
	for set in spam ham cfpb; do
		mkdir -p "$tmp/train$k/$set"
		j=0
		while [ $j -lt $folds ]; do
			[ $j -eq $k ] || cp -P "$tmp/$set/$j"/* "$tmp/train$k/$set/"
			j=$((j + 1))
		done
		if [ $set = spam ]; then args="$args --spam $tmp/train$k/$set"
		else args="$args --ham $tmp/train$k/$set"; fi
	done
	# shellcheck disable=SC2086
	"$redress" rules spam-words $args -o "$tmp/words$k" >/dev/null
	"$redress" rules spam-words --score "$tmp/words$k" --spam "$tmp/spam/$k" \
		--ham "$tmp/ham/$k" --ham "$tmp/cfpb/$k" |
		sed -E "s|^(spam\|ham) ([0-9.]+) $tmp/([a-z]+)/[0-9]+/(.*)\$|\\3 \\4 \\2|" >> "$tmp/scores"
	echo "fold $((k + 1)) of $folds scored" >&2
	k=$((k + 1))
done

python3 - "$tmp/scores" "$folds" "$redress" > "$tmp/report" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
sets = {"spam": "spam-1, odd (spam)", "ham": "easy-ham-1, odd (lists, newsletters)",
        "cfpb": "CFPB narratives as mail, odd (complaints)"}
print("# The words signal: cross-validated on the odd halves\n")
print("Made by `bench/spam_words.sh` (do not edit by hand; run it again).\n")
print("- %s-fold cross-validation: each message is scored by words learned from the other folds" % sys.argv[2])
print("- the even halves are not read here: `bench/hygiene.sh --half even` reports on them\n")
print("Share of each set whose words score is at or above the threshold (count in brackets).\n")
th = [50, 60, 70, 80, 85, 90, 95, 99]
print("| set | messages | " + " | ".join("≥ %.2f" % (t / 100) for t in th) + " |")
print("| --- | ---: | " + " | ".join("---:" for _ in th) + " |")
for s, name in sets.items():
    v = [float(r[2]) for r in rows if r[0] == s]
    cells = []
    for t in th:
        c = sum(1 for x in v if x * 100 >= t - 1e-9)
        cells.append("%.1f%% (%d)" % (100.0 * c / len(v), c))
    print("| %s | %d | %s |" % (name, len(v), " | ".join(cells)))
EOF
if [ "$out" = - ]; then cat "$tmp/report"; else cp "$tmp/report" "$out"; echo "wrote $out" >&2; fi

if [ -n "$write" ]; then
	mkdir -p "$tmp/all/spam" "$tmp/all/ham"
	cp -P "$tmp/spam"/*/* "$tmp/all/spam/"
	cp -P "$tmp/ham"/*/* "$tmp/cfpb"/*/* "$tmp/all/ham/"
	(cd "$tmp/all" && "$redress" rules spam-words --spam spam --ham ham -o words.out)
	{
		echo "# The words of spam and of good mail, for [spam] words (redress.conf(5))."
		echo "# Spam: the odd-numbered files of the SpamAssassin corpus spam-1."
		echo "# Good: its easy-ham-1, odd files, and the odd CFPB narratives as mail."
		echo "# Made by bench/spam_words.sh --write; the even halves are held out."
		cat "$tmp/all/words.out"
	} > "$write"
	echo "wrote $write" >&2
fi
