#!/bin/sh
# classify_speed.sh - classifier speed: PCRE2 JIT vs the interpreter vs
# Python's re, at 50 and 500 rules and with the default rules.
#
# usage: bench/classify_speed.sh [OUT]
#   OUT  report to write (default: bench/classify-speed.md; "-" = stdout only)
# Environment: SECONDS_PER_RUN (default 3), TEXTS (default 300), CC.
#
# Builds bench/classify_speed.c with classify.c and the core helpers (-O2)
# into a temporary directory and lets bench/classify_speed.py generate the
# rule sets, run the three engines and print the ratios.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/bench/classify-speed.md}
corpora=${REDRESS_CORPORA:-$top/../shared/corpora}
csv=$corpora/complaints/cfpb_complaints_sample.csv
cc=${CC:-cc}

[ -r "$csv" ] || { echo "classify_speed: cannot read $csv" >&2; exit 66; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redress-cs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cat > "$tmp/autoconfig.h" <<'H'
#define PCRE2_CODE_UNIT_WIDTH 8
#define PACKAGE_VERSION "bench"
#define _GNU_SOURCE 1
H
# shellcheck disable=SC2046
"$cc" -std=c11 -O2 -D_GNU_SOURCE -I"$tmp" -I"$top/src" \
	$(pkg-config --cflags libpcre2-8 gnutls) \
	"$top/bench/classify_speed.c" "$top"/src/policy/classify*.c \
	"$top"/src/base/*.c "$top"/src/model/*.c \
	-o "$tmp/classify_speed" $(pkg-config --libs libpcre2-8 gnutls) -lm

"$cc" -std=c11 -O2 $(pkg-config --cflags libpcre2-8) "$top/bench/pcre2_engines.c" \
	-o "$tmp/pcre2_engines" $(pkg-config --libs libpcre2-8)
python3 "$top/bench/classify_speed.py" --driver "$tmp/classify_speed" \
	--engines "$tmp/pcre2_engines" \
	--rules "$top/rules.conf" --csv "$csv" --texts "${TEXTS:-300}" \
	--seconds "${SECONDS_PER_RUN:-3}" --out "$out"
