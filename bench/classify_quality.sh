#!/bin/sh
# classify_quality.sh - measure the classifier on real complaint text.
#
# usage: bench/classify_quality.sh [RULES [CSV [OUT]]]
#   RULES  rules file (default: rules.conf at the top of the source tree)
#   CSV    CFPB sample (default: ../shared/corpora/complaints/cfpb_complaints_sample.csv,
#          or $REDRESS_CORPORA/complaints/cfpb_complaints_sample.csv)
#   OUT    report to write (default: bench/classify-quality.md; "-" = stdout)
#
# Builds bench/classify_batch (classify.c and the core helpers, nothing else)
# with cc and pkg-config into a temporary directory, feeds it every CFPB
# narrative, and lets bench/classify_quality.py map the CFPB "Issue" column
# onto redress's categories and write precision, recall, macro-F1 and the
# confusion matrix.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
rules=${1:-$top/rules.conf}
corpora=${REDRESS_CORPORA:-$top/../shared/corpora}
csv=${2:-$corpora/complaints/cfpb_complaints_sample.csv}
out=${3:-$top/bench/classify-quality.md}
cc=${CC:-cc}

[ -r "$csv" ] || { echo "classify_quality: cannot read $csv" >&2; exit 66; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redress-cq.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/autoconfig.h" <<'H'
#define PCRE2_CODE_UNIT_WIDTH 8
#define PACKAGE_VERSION "bench"
#define _GNU_SOURCE 1
H
# shellcheck disable=SC2046
"$cc" -std=c11 -O2 -D_GNU_SOURCE -I"$tmp" -I"$top/src" \
	$(pkg-config --cflags libpcre2-8 gnutls) \
	"$top/bench/classify_batch.c" "$top"/src/policy/classify*.c \
	"$top"/src/base/*.c "$top"/src/model/*.c \
	-o "$tmp/classify_batch" $(pkg-config --libs libpcre2-8 gnutls) -lm

python3 "$top/bench/classify_quality.py" --driver "$tmp/classify_batch" \
	--rules "$rules" --csv "$csv" --out "$out"
