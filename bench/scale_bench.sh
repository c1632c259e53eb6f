#!/bin/sh
# Does intake slow down as the store grows?  The worst case for it: every
# message from one address, as a web contact form sends them, so that the
# repeat-customer and rate-limit lookups meet one sender with thousands of
# cases and acks.
#
#   bench/scale_bench.sh [BUILD_DIR] [MESSAGES]
#
# Ingests MESSAGES (default 20000) in ten batches, one "redress ingest"
# process each, and prints messages/s per batch; then times 50 deliveries
# through "redress filter" into the full store.  The last batch should be
# about as fast as the first.  (Before the counts were capped and the
# rate limit's index covered its query, the tenth batch of 20,000 ran at
# a twentieth of the first's speed.)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_test/plain}
n=${2:-20000}
redress=$build/redress
[ -x "$redress" ] || { echo "scale_bench: no $redress (build first)" >&2; exit 1; }
export REDRESS_DATADIR="${REDRESS_DATADIR:-$top}"

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"
python3 - "$top/contrib/samples" "$n" <<'PY'
import glob, sys
src, n = sys.argv[1], int(sys.argv[2])
bodies = []
for f in sorted(glob.glob(src + "/0[1-5]-*.eml")):
    raw = open(f, "rb").read().replace(b"\r\n", b"\n")
    bodies.append(raw.split(b"\n\n", 1)[1])
per = n // 10
for b in range(10):
    with open("batch%d.mbox" % b, "wb") as o:
        for i in range(b * per, (b + 1) * per):
            o.write(b"From form@shop.example Mon Nov 23 10:00:00 2026\n")
            o.write(b"From: Web form <form@shop.example>\nTo: care@shop.example\n"
                    b"Subject: Contact form message %d\nMessage-ID: <form.%d@shop.example>\n"
                    b"Date: Mon, 23 Nov 2026 10:00:00 +0000\n\n" % (i, i))
            body = bodies[i % len(bodies)]
            o.write(b"\n".join(b">" + l if l.startswith(b"From ") else l
                               for l in body.split(b"\n")) + b"\n")
for i in range(50):
    with open("f%02d.eml" % i, "wb") as o:
        o.write(b"From: Web form <form@shop.example>\nTo: care@shop.example\n"
                b"Subject: Contact form message f%d\nMessage-ID: <form.f%d@shop.example>\n\n"
                % (i, i) + bodies[i % len(bodies)])
PY
now() { date +%s.%N; }
first=
b=0
while [ $b -lt 10 ]; do
	t0=$(now)
	"$redress" -q ingest "batch$b.mbox" >/dev/null
	t1=$(now)
	rate=$(echo "($n / 10) / ($t1 - $t0)" | bc -l)
	[ -n "$first" ] || first=$rate
	printf 'batch %d (store holds %d before it): %.0f messages/s\n' $((b + 1)) $((b * n / 10)) "$rate"
	last=$rate
	b=$((b + 1))
done
printf 'last batch / first batch: %.2f\n' "$(echo "$last / $first" | bc -l)"
t0=$(now)
for f in f*.eml; do "$redress" filter < "$f"; done
t1=$(now)
printf 'redress filter into the store of %d: %.2f ms/message\n' "$n" \
	"$(echo "($t1 - $t0) * 1000 / 50" | bc -l)"
