#!/bin/sh
# Installs what redress needs on Debian (bookworm): build tools and
# libraries, and with "--test" what the test suite needs too (Dovecot,
# Postfix's smtp-sink, CPython's odd-message corpus, clang with its
# sanitizer and libFuzzer runtimes for fuzzing, libfaketime to run the
# date-sensitive tests a year ahead, a PostgreSQL server for the
# PostgreSQL store, SpamAssassin's spamd and spamc for the spam checks).
# Packages are installed without their Recommends, so every package a
# test needs is named here, even where another package recommends it
# (libclang-rt-14-dev is only a Recommends of clang; without llvm's
# llvm-symbolizer the sanitizers cannot match tests/lsan.supp quietly and
# write warnings into their logs, which fails the ASan run).
# Runs apt-get as root, or through sudo.
set -eu

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

build="build-essential autoconf automake pkg-config libetpan-dev
	libcurl4-gnutls-dev libpcre2-dev libsqlite3-dev libgnutls28-dev
	libinih-dev ca-certificates tzdata"
tests="dovecot-imapd postfix libpython3.11-testsuite sqlite3 python3
	gnutls-bin openssl procmail bc iproute2 procps clang libclang-rt-14-dev
	llvm valgrind time dovecot-sieve faketime"

# The PostgreSQL store is built on libpq; its tests and the spam checks'
# start servers of their own (tests/lib/pg.sh, tests/lib/spamd.sh).
build="$build libpq-dev"
tests="$tests postgresql spamd spamc"

pkgs=$build
[ "${1:-}" = "--test" ] && pkgs="$build $tests"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
# Postfix is only needed for smtp-sink: tell its installer not to
# configure a mail system.  (The postgresql and spamd packages would start
# a system-wide server where an init system runs; the tests start their
# own in their directories.)
echo "postfix postfix/main_mailer_type select No configuration" |
	as_root debconf-set-selections
as_root apt-get update -qq
# shellcheck disable=SC2086
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends $missing >/dev/null
