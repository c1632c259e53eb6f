#!/bin/sh
# A look at "redress report --format html": builds the store of
# tests/t_report_cmd.sh (ten cases at pinned times in November 2026: some
# answered in time, some late, one at risk, one with a hostile subject),
# keeps its page and JSON, and renders the page to a PNG with headless
# Chromium when one is installed (redress does not depend on it).
#
#   bench/report_png.sh [BUILD_DIR] [OUT_DIR]
#
# Writes OUT_DIR/report.html, report.json and, with a browser,
# report.png (1000 px wide, as a laptop shows it) and report-phone.png
# (390 px, as a phone does).  The render, for any page:
#
#   chromium --headless --no-sandbox --hide-scrollbars --disable-gpu \
#     --window-size=1000,4200 --screenshot=report.png file:///path/report.html
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-plain}
out=${2:-$PWD/report-look}
[ -x "$build/redress" ] || { echo "no $build/redress: build first" >&2; exit 1; }
build=$(cd "$build" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
REPORT_KEEP=$out top_srcdir=$top REDRESS=$build/redress REDRESS_DATADIR=$top \
	sh "$top/tests/t_report_cmd.sh" > "$out/t_report_cmd.tap" 2>&1 ||
	echo "warning: tests/t_report_cmd.sh failed; see $out/t_report_cmd.tap" >&2
echo "page: $out/report.html"
browser=
for b in chromium chromium-browser google-chrome headless_shell; do
	if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
	echo "no chromium installed: open the page in a browser, or install one and run again" >&2
	exit 0
fi
for shot in "report.png 1000,4200" "report-phone.png 390,9000"; do
	set -- $shot
	"$browser" --headless --no-sandbox --hide-scrollbars --disable-gpu \
		--window-size="$2" --screenshot="$out/$1" "file://$out/report.html" \
		>/dev/null 2>&1 || { echo "$browser failed on $1" >&2; exit 1; }
	echo "png: $out/$1"
done
