#!/bin/sh
# train_golden.sh - the training test vectors of bench/train_ref.md, again.
#
# usage: bench/train_golden.sh [--update | --c REDRESS]
# Trains bench/train_ref.py on bench/data/train-golden/golden.csv with
# golden.rules and decides golden-new.csv, into a temporary directory, and
# compares the weights file and the decisions with golden.weights and
# golden.out byte for byte (exit 1 on a difference).  --update writes them
# instead.  A C port of "rules train" must produce the same weights (to the
# last digit where its libm agrees) and the same decisions.  --c REDRESS
# trains the redress binary and the reference side by side with every
# variant of the hyper-parameters and compares the weights files (comments
# aside); tests/t_train.sh checks the default against golden.weights.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
g=$top/bench/data/train-golden
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redress-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
[ "${1:-}" = --c ] && redress=$(cd "$(dirname "${2:?--c needs the redress binary}")" && pwd)/$(basename "$2")
cd "$g"
if [ "${1:-}" = --c ]; then
	printf '[paths]\nrules = %s/golden.rules\n' "$g" > "$tmp/redress.conf"
	st=0
	for opt in "" "--features rules" "--features tokens" "--prior zero" "--class-weight sqrt" \
		"--class-weight balanced" "--token-norm mean" "--token-norm sum" "--model perceptron" \
		"--lambda 0.01 --class-weight sqrt --token-norm mean" \
		"--alpha 0.3 --lambda 0.003 --iters 200" "--vocab 5 --folds 3" "--min-count 7"; do
		# shellcheck disable=SC2086
		python3 "$top/bench/train_ref.py" --rules golden.rules --csv golden.csv --text text \
			--label label --min-count 2 --force $opt -o "$tmp/ref.w" > /dev/null 2>&1 || echo "no weights" > "$tmp/ref.w"
		# shellcheck disable=SC2086
		"$redress" -c "$tmp/redress.conf" rules train --csv golden.csv --text text --label label \
			--min-count 2 --force $opt -o "$tmp/c.w" > /dev/null 2>&1 || echo "no weights" > "$tmp/c.w"
		if [ "$(grep -v '^#' "$tmp/ref.w")" = "$(grep -v '^#' "$tmp/c.w")" ]; then
			echo "train_golden: C and reference: same${opt:+ with $opt}"
		else
			echo "train_golden: C and reference: DIFFERENT${opt:+ with $opt}"; st=1
		fi
	done
	exit $st
fi
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
