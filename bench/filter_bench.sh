#!/bin/sh
# Delivery-filter cost per message: "redress filter" (one process per
# message, as a mail server runs it: parse, dedup, classify with the default
# rules, SLA, loop guard, jobs, SQLite commit with synchronous=FULL) against
# procmail delivering the same messages to a maildir through a comparable
# rule set: one recipe per redress rule, matching the same words (the
# literal alternatives of each rule's pattern) in header and body.
#
#   bench/filter_bench.sh [BUILD_DIR] [MESSAGES] [OUT]
#
# Prints ms per message for each, the ratio, the CPU time and page faults
# per message (wait4), and how many fsync calls each made per message
# (strace), so that the durability each buys is visible;
# writes the same to OUT (default bench/filter-bench.md; "-": only print).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/_test/plain}" && pwd)
n=${2:-300}
out=${3:-$top/bench/filter-bench.md}
[ "$out" = - ] || out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
redress=$build/redress
corpus=${REDRESS_CORPORA:-$top/../shared/corpora}/mail
command -v procmail >/dev/null || { echo "filter_bench: procmail missing (apt-get install procmail)" >&2; exit 1; }
[ -x "$redress" ] || { echo "filter_bench: no $redress (build first)" >&2; exit 1; }
export REDRESS_DATADIR="${REDRESS_DATADIR:-$top}"

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/msgs" "$w/Maildir/new" "$w/Maildir/cur" "$w/Maildir/tmp" "$w/r"
# n distinct messages from the corpus and the samples.
find "$corpus" "$top/contrib/samples" -type f -name '*.eml' | sort > "$w/list"
python3 - "$w/list" "$w/msgs" "$n" <<'PY'
import sys
files = [l.strip() for l in open(sys.argv[1])]
out, n = sys.argv[2], int(sys.argv[3])
for i in range(n):
    data = open(files[i % len(files)], "rb").read()
    open(f"{out}/{i:06d}.eml", "wb").write(b"X-Bench: %d\n" % i + data)
PY
# The comparable procmail rule set, made from rules.conf.
python3 - "$top/rules.conf" "$w" > "$w/procmailrc" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
rules, cur = [], None
for l in lines:
    if l.startswith("rule "):
        head, _, pat = l.partition(":")
        cur = [head.split()[3 - 1], pat.strip()]  # target category/tag
        rules.append(cur)
    elif cur is not None and l[:1] in (" ", "\t") and l.strip():
        cur[1] += l.strip()
    else:
        cur = None
print("SHELL=/bin/sh\nMAILDIR=" + sys.argv[2] + "/Maildir/\nDEFAULT=$MAILDIR\nLOGFILE=/dev/null\n")
for target, pat in rules:
    words = [w.strip() for w in re.split(r"[|()]", re.sub(r"\\[bsdwWB]|\(\?[:!=<]+|[?*+{}\[\]^$.]|\d", " ", pat))]
    words = [w for w in words if len(w) >= 3 and re.fullmatch(r"[A-Za-z' ]+", w)]
    if not words:
        continue
    alt = "|".join(sorted(set(" ".join(w.split()) for w in words)))
    print(f":0\n* HB ?? ({alt})\n{{ CATEGORY={target} }}\n")
print(":0\n$DEFAULT")
PY
recipes=$(grep -c '^\* HB' "$w/procmailrc")

# time_it LABEL CMD...: runs CMD for each message, prints seconds; the
# first and the last quarter are also timed on their own (into
# $w/LABEL.quarters), since the cost per message must not grow with the
# store.
time_it() {
	_l=$1
	shift
	_i=0
	start=$(date +%s.%N)
	q1=$start
	q3=$start
	for m in "$w"/msgs/*.eml; do
		[ $_i = $((n / 4)) ] && q1=$(date +%s.%N)
		[ $_i = $((n - n / 4)) ] && q3=$(date +%s.%N)
		"$@" < "$m" || true
		_i=$((_i + 1))
	done
	end=$(date +%s.%N)
	echo "$q1 - $start; $end - $q3" | bc -l | tr '\n' ' ' > "$w/$_l.quarters"
	echo "$end - $start" | bc -l
}
# rusage_it CMD...: runs CMD for each message as time_it does and prints
# the CPU milliseconds (user + system) and the minor page faults per
# message, from wait4(2): a count of what the process did, which the
# other work on a shared machine changes far less than the wall clock.
rusage_it() {
	python3 - "$w/msgs" "$@" <<'PY'
import os, sys
d, cmd = sys.argv[1], sys.argv[2:]
files = sorted(os.listdir(d))
cpu = flt = 0.0
for f in files:
    # posix_spawn, not fork: a forked Python's copy-on-write faults
    # would be counted as the command's.
    with open(os.path.join(d, f), "rb") as m:
        pid = os.posix_spawnp(cmd[0], cmd, os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, m.fileno(), 0)])
    _, _, ru = os.wait4(pid, 0)
    cpu += ru.ru_utime + ru.ru_stime
    flt += ru.ru_minflt
print("%.2f %.0f" % (cpu * 1000 / len(files), flt / len(files)))
PY
}
# A first delivery makes the store in the current directory; it is not
# timed.
warm() {
	printf 'From: warm@example.org\nTo: support@example.com\nSubject: warm\nMessage-ID: <warm@filter-bench>\n\nhello\n' |
		"$redress" filter || { echo "filter_bench: the first delivery failed" >&2; exit 1; }
}
cd "$w/r"
warm
rs=$(time_it redress "$redress" filter)
stored=$(($(sqlite3 "$w/r/redress.db" 'select count(*) from messages') - 1))
ps=$(HOME=$w time_it procmail env HOME="$w" procmail -m "$w/procmailrc")
delivered=$(ls "$w/Maildir/new" | wc -l)
# Again, counted instead of timed: redress into a new store (the same
# messages again would be duplicates), procmail into the same maildir.
mkdir "$w/r2"
cd "$w/r2"
warm
ru_r=$(rusage_it "$redress" filter)
ru_p=$(HOME=$w rusage_it env HOME="$w" procmail -m "$w/procmailrc")
cd "$w/r"
{
echo "# Delivery filter: redress filter against procmail"
echo
echo "Made by \`bench/filter_bench.sh BUILD $n\` with src/ and rules.conf as at $(git -C "$top" log -1 --format=%h -- src rules.conf 2>/dev/null || echo '?')$(git -C "$top" diff --quiet HEAD -- src rules.conf 2>/dev/null || echo ' (and uncommitted changes)'), $(nproc) CPUs (do not edit by hand; run it again). One process per message, as a mail server runs each; $n messages from the shared mail corpus and contrib/samples. Wall-clock times on a shared machine: compare rows of the same run."
echo
echo '```'
printf 'redress filter: %d messages (%d stored) in %.2f s: %.2f ms/message\n' "$n" "$stored" "$rs" "$(echo "$rs * 1000 / $n" | bc -l)"
printf 'procmail (%d recipes, maildir): %d delivered in %.2f s: %.2f ms/message\n' "$recipes" "$delivered" "$ps" "$(echo "$ps * 1000 / $n" | bc -l)"
printf 'ratio: redress is %.2fx procmail'"'"'s speed (target >= 1.5x)\n' "$(echo "$ps / $rs" | bc -l)"
for l in redress procmail; do
	set -- $(cat "$w/$l.quarters")
	printf '%s: first quarter %.2f ms/message, last quarter %.2f ms/message\n' "$l" \
		"$(echo "$1 * 1000 / ($n / 4)" | bc -l)" "$(echo "$2 * 1000 / ($n / 4)" | bc -l)"
done
set -- $ru_r $ru_p
printf 'CPU per message (user + system): redress %.2f ms, procmail %.2f ms; minor page faults per message: redress %s, procmail %s\n' "$1" "$3" "$2" "$4"
if command -v strace >/dev/null; then
	m=$(ls "$w"/msgs/*.eml | tail -1)
	sed 's/^X-Bench: /X-Bench: s/' "$m" > "$w/one.eml"
	rf=$(strace -f -c -e trace=fsync,fdatasync "$redress" filter < "$w/one.eml" 2>&1 >/dev/null | awk '/fsync|fdatasync/ { n += $4 } END { print n + 0 }')
	pf=$(HOME=$w strace -f -c -e trace=fsync,fdatasync procmail -m "$w/procmailrc" < "$w/one.eml" 2>&1 >/dev/null | awk '/fsync|fdatasync/ { n += $4 } END { print n + 0 }')
	echo "fsync calls per message: redress $rf, procmail $pf"
fi
echo '```'
} > "$w/report"
if [ "$out" = - ]; then cat "$w/report"; else cp "$w/report" "$out" && cat "$w/report"; fi
