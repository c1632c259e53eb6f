#!/bin/sh
# train_golden.sh - the training test vectors of bench/train_ref.md, again.
#
# usage: bench/train_golden.sh [--update]
# Trains bench/train_ref.py on bench/data/train-golden/golden.csv with
# golden.rules and decides golden-new.csv, into a temporary directory, and
# compares the weights file and the decisions with golden.weights and
# golden.out byte for byte (exit 1 on a difference).  --update writes them
# instead.  A C port of "rules train" must produce the same weights (to the
# last digit where its libm agrees) and the same decisions.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
g=$top/bench/data/train-golden
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redress-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$g"
python3 "$top/bench/train_ref.py" --rules golden.rules --csv golden.csv --text text --label label \
	--min-count 2 --force -o "$tmp/golden.weights" --predict-csv golden-new.csv |
	sed -n '/^row\t/,$p' > "$tmp/golden.out"
if [ "${1:-}" = --update ]; then
	cp "$tmp/golden.weights" "$tmp/golden.out" "$g/"
	echo "train_golden: wrote $g/golden.weights and golden.out"
	exit 0
fi
st=0
for f in golden.weights golden.out; do
	if cmp -s "$tmp/$f" "$g/$f"; then
		echo "train_golden: $f: same"
	else
		echo "train_golden: $f: DIFFERENT"; diff "$g/$f" "$tmp/$f" | head -20; st=1
	fi
done
exit $st
