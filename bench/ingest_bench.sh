#!/bin/sh
# ingest throughput: the mikel mail corpus (105 real messages, 28 of them
# malformed) copied 100 times into a maildir, each copy made distinct by one
# added header so that dedup does not skip it, then "redress ingest" of the
# whole maildir into a fresh store with the default rules.
#
#   bench/ingest_bench.sh [BUILD_DIR] [COPIES]
#
# Prints messages/s and MB/s, and the same for Python's email parser reading
# the same files (parse only, no store) as a point of reference.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_test/plain}
copies=${2:-100}
redress=$build/redress
corpus=${REDRESS_CORPORA:-$top/../shared/corpora}/mail
[ -x "$redress" ] || { echo "no $redress: build first (sh contrib/test.sh)" >&2; exit 1; }
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 1; }

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/md/cur" "$w/md/new" "$w/md/tmp"
i=0
find "$corpus" -type f -name '*.eml' | sort > "$w/list"
python3 - "$w/list" "$w/md/new" "$copies" <<'PY'
import sys
files = [l.strip() for l in open(sys.argv[1])]
out, copies = sys.argv[2], int(sys.argv[3])
n = 0
for c in range(copies):
    for f in files:
        data = open(f, "rb").read()
        n += 1
        with open(f"{out}/{n:08d}.bench", "wb") as o:
            o.write(b"X-Bench-Copy: %d\n" % c + data)
PY
n=$(ls "$w/md/new" | wc -l)
bytes=$(cat "$w"/md/new/* | wc -c)
cd "$w"
export REDRESS_DATADIR="${REDRESS_DATADIR:-$top}"
start=$(date +%s.%N)
"$redress" -q ingest md
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
stored=$(sqlite3 redress.db 'select count(*) from messages')
pstart=$(date +%s.%N)
python3 - "$w/md/new" <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
for f in os.listdir(d):
    with open(os.path.join(d, f), "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
        b = m.get_body(preferencelist=("plain", "html"))
        try:
            b and b.get_content()
        except Exception:
            pass
PY
pend=$(date +%s.%N)
psecs=$(echo "$pend - $pstart" | bc -l)
printf 'ingest: %d messages (%.1f MB), %d stored, in %.2f s: %.0f messages/s, %.1f MB/s (parse, dedup, classify, SLA, jobs, fsync per 200)\n' \
	"$n" "$(echo "$bytes / 1048576" | bc -l)" "$stored" "$secs" "$(echo "$n / $secs" | bc -l)" \
	"$(echo "$bytes / 1048576 / $secs" | bc -l)"
printf 'python3 email (parse only, no store): %.2f s, %.0f messages/s\n' "$psecs" "$(echo "$n / $psecs" | bc -l)"
printf 'ratio redress ingest / python parse-only: %.2fx\n' "$(echo "$psecs / $secs" | bc -l)"
