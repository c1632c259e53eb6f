#!/bin/sh
# hygiene.sh - what redress does with real mail that nobody here wrote:
# spam, mailing-list traffic and newsletters, real complaints, the samples.
#
# usage: bench/hygiene.sh [--redress PATH] [--half odd|even|all] [--out FILE]
#                         [--config FILE] [--datadir DIR] [--repeat N] [--keep]
#                         [--before PATH [--before-datadir DIR] [--before-label T]]
#   --redress PATH  the binary to measure (default: _test/plain/redress, else
#                   build-plain/redress, else redress on PATH)
#   --half H        odd- or even-numbered files only (by the number in the
#                   file name; CFPB: narrative rows counted from 0, so "odd"
#                   is the held-out half of bench/classify_quality.py), so
#                   that rules can be tuned on one half and reported on the
#                   other (default: all)
#   --out FILE      report to write (default: bench/hygiene.md; "-" = stdout)
#   --config FILE   a redress.conf to use (its [store] and [outbox] paths are
#                   replaced by a fresh temporary directory per set); default:
#                   none, the built-in defaults
#   --datadir DIR   rules.conf and templates/ (default: $REDRESS_DATADIR, else
#                   the top of this source tree)
#   --repeat N      time the ingest of each set N times, each into a fresh
#                   store, and report the best (default: 3)
#   --keep          keep the temporary stores and say where they are
#   --before PATH   another redress (an older build) to measure first on the
#                   same sets, once each, for a before/after table; its rules
#                   and templates from --before-datadir DIR (default: --datadir);
#                   --before-label TEXT names it in the report
#
# Sets: spam-1 (500 spam) and easy-ham-1 (2,500 list mail and newsletters)
# from $REDRESS_CORPORA/spamassassin (default ../shared/corpora beside the
# source tree), the 1,532 CFPB complaint narratives written as mail by
# bench/cfpb_to_mail.py, and the 8 samples of contrib/samples.  Each set is
# ingested into a fresh store at a fixed --now; the report gives the share
# that gets an ack, an apology, an escalation, an SLA clock, and is counted
# as a complaint, and the ingest speed.  bench/hygiene.py does the work
# (Python 3, standard library only) and says how each column is counted.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
corpora=${REDRESS_CORPORA:-$top/../shared/corpora}
datadir=${REDRESS_DATADIR:-$top}
redress='' half=all out=$top/bench/hygiene.md config='' keep='' repeat=3 before='' before_dd='' before_label=''
cmdline="bench/hygiene.sh${*:+ $*}"

usage() {	# EXIT: the usage, on stdout for --help, else on stderr
	if [ "$1" -eq 0 ]; then
		sed -n '4,27s/^# \{0,1\}//p' "$0"
	else
		sed -n '4,27s/^# \{0,1\}//p' "$0" >&2
	fi
	exit "$1"
}
need() { [ "$1" -ge 2 ] || { echo "hygiene: $2 needs an argument" >&2; exit 64; }; }

while [ $# -gt 0 ]; do
	case $1 in
	--redress) need $# "$1"; redress=$2; shift 2 ;;
	--half) need $# "$1"; half=$2; shift 2 ;;
	--out) need $# "$1"; out=$2; shift 2 ;;
	--config) need $# "$1"; config=$2; shift 2 ;;
	--datadir) need $# "$1"; datadir=$2; shift 2 ;;
	--repeat) need $# "$1"; repeat=$2; shift 2 ;;
	--keep) keep=--keep; shift ;;
	--before) need $# "$1"; before=$2; shift 2 ;;
	--before-datadir) need $# "$1"; before_dd=$2; shift 2 ;;
	--before-label) need $# "$1"; before_label=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "hygiene: unknown argument: $1" >&2; usage 64 ;;
	esac
done

case $repeat in
''|*[!0-9]*|0) echo "hygiene: --repeat must be a number from 1" >&2; exit 64 ;;
esac
case $half in
odd|even|all) ;;
*) echo "hygiene: --half must be odd, even or all, not \"$half\"" >&2; exit 64 ;;
esac

if [ -z "$redress" ]; then
	for c in "$top/_test/plain/redress" "$top/build-plain/redress"; do
		if [ -x "$c" ]; then redress=$c; break; fi
	done
	[ -n "$redress" ] || redress=$(command -v redress 2>/dev/null) || {
		echo "hygiene: no redress to measure: build one (sh contrib/test.sh, or" \
			"build-plain/) or give --redress PATH" >&2
		exit 69
	}
fi
case $redress in
*/*) ;;
*) redress=$(command -v "$redress" 2>/dev/null) || {
	echo "hygiene: $redress: not found on PATH" >&2; exit 69; } ;;
esac
[ -x "$redress" ] || { echo "hygiene: $redress: not an executable" >&2; exit 69; }
if [ -n "$config" ]; then
	[ -r "$config" ] || { echo "hygiene: cannot read $config" >&2; exit 66; }
fi
for f in "$datadir/rules.conf" "$datadir/templates"; do
	[ -r "$f" ] || { echo "hygiene: no $f (give --datadir DIR or set REDRESS_DATADIR)" >&2; exit 66; }
done

# Every corpus must be there, whole; a missing one is an error, not a
# silently shorter table.
missing=0
check_dir() {	# DIR EXPECTED
	if [ ! -d "$1" ]; then
		echo "hygiene: missing corpus: $1" >&2
		missing=1
		return 0
	fi
	n=$(find "$1" -maxdepth 1 -type f -name '*.eml' | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "hygiene: missing corpus: $1 has no .eml files" >&2
		missing=1
	elif [ "$n" -ne "$2" ]; then
		echo "hygiene: warning: $1 has $n .eml files, not $2: the figures will not" \
			"compare with earlier runs" >&2
	fi
}
check_dir "$corpora/spamassassin/spam-1" 500
check_dir "$corpora/spamassassin/easy-ham-1" 2500
check_dir "$top/contrib/samples" 8
csv=$corpora/complaints/cfpb_complaints_sample.csv
[ -r "$csv" ] || { echo "hygiene: missing corpus: $csv" >&2; missing=1; }
if [ "$missing" -ne 0 ]; then
	echo "hygiene: set REDRESS_CORPORA to the directory that holds spamassassin/ and" \
		"complaints/ (now: $corpora)" >&2
	exit 66
fi

set -- --redress "$redress" --top "$top" --corpora "$corpora" --datadir "$datadir" \
	--half "$half" --out "$out" --repeat "$repeat" --cmdline "$cmdline"
[ -z "$config" ] || set -- "$@" --config "$config"
[ -z "$keep" ] || set -- "$@" --keep
if [ -n "$before" ]; then
	[ -x "$before" ] || { echo "hygiene: $before: not an executable" >&2; exit 69; }
	set -- "$@" --before "$before"
	[ -z "$before_dd" ] || set -- "$@" --before-datadir "$before_dd"
	[ -z "$before_label" ] || set -- "$@" --before-label "$before_label"
fi
exec python3 "$top/bench/hygiene.py" "$@"
