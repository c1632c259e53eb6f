#!/bin/sh
# A first look at redress on a fresh Debian machine: installs the build
# dependencies, builds and installs redress (to /usr/local), then runs the
# whole pipeline on the sample complaints in contrib/samples/ with the
# built-in defaults: no config file, a SQLite store ./redress.db and
# outgoing mail written to ./outbox/ as .eml files, all inside ./demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

"$top/contrib/deps.sh"
autoreconf -fi >/dev/null 2>&1
mkdir -p build
(cd build && "$top/configure" -q && make -j2 >/dev/null && as_root make install >/dev/null)
redress=/usr/local/bin/redress

rm -rf demo && mkdir demo && cd demo
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
say "redress ingest ../contrib/samples"
$redress ingest "$top/contrib/samples"
say "redress case list"
$redress case list
say "redress send --once      (no [smtp] url: mail goes to ./outbox/)"
$redress send --once
say "redress queue list"
$redress queue list
say "ls outbox/"
ls outbox
first=$(ls outbox | head -n 1)
say "cat outbox/$first"
cat "outbox/$first"
say "redress case show 5      (a legal threat: urgent, escalated)"
$redress case show 5 | sed -n '1,30p'
say "redress --now $(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ) tick    (a week later: SLA breaches)"
$redress --now "$(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ)" tick
say "redress --now ... send --once    (follow-ups and escalations go out)"
$redress --now "$(date -u -d '+8 days' +%Y-%m-%dT%H:%M:%SZ)" send --once
printf '\nEverything is in %s: redress.db and outbox/.  Next: man redress\n' "$(pwd)"
