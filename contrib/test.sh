#!/bin/sh
# The whole test suite, as CI runs it: install what the tests need, build
# with -Werror, run every test (unit, corpus, integration against real
# Dovecot and smtp-sink on loopback), run the date-sensitive ones again
# with the clock a year ahead (libfaketime: no test may depend on the day
# it runs), run them all again under AddressSanitizer +
# UndefinedBehaviorSanitizer (any report fails), check
# that the release tarball builds and passes (make distcheck), and end with
# one line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/contrib/deps.sh" --test || { echo "0 passed, 1 failed (dependencies)"; exit 1; }

jobs=${JOBS:-2}
out="$top/_test"
rm -rf "$out"
mkdir -p "$out/plain" "$out/future" "$out/asan" "$out/san-logs"
status=0

step() { printf '\n== %s\n' "$*"; }

step "autoreconf"
autoreconf -fi >"$out/autoreconf.log" 2>&1 || { cat "$out/autoreconf.log"; status=1; }

step "build and test (-Werror)"
(cd "$out/plain" && "$top/configure" -q --enable-werror &&
	make -j"$jobs" >build.log 2>&1 || { cat build.log; exit 1; }
	make -j"$jobs" check) >"$out/plain.log" 2>&1 || status=1
grep -a -E '^(PASS|FAIL|ERROR|XPASS|SKIP|# )' "$out/plain.log" | grep -a -v '^PASS' || true

step "the date-sensitive tests with the clock a year ahead (make check-future)"
# A build of its own, so that its test logs do not replace the plain ones.
(cd "$out/future" && "$top/configure" -q --enable-werror &&
	make -j"$jobs" >build.log 2>&1 || { cat build.log; exit 1; }
	make -j"$jobs" check-future) >"$out/future.log" 2>&1 || status=1
grep -a -E '^(check-future|PASS|FAIL|ERROR|XPASS|SKIP|# )' "$out/future.log" | grep -a -v '^PASS' || true

step "build and test under ASan + UBSan"
# Sanitizer reports go to files: a report fails the run even where a test
# script did not look at the exit code of what it ran.
ASAN_OPTIONS="log_path=$out/san-logs/asan:detect_leaks=1:abort_on_error=0:strict_string_checks=1"
UBSAN_OPTIONS="log_path=$out/san-logs/ubsan:print_stacktrace=1:halt_on_error=1"
LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
(cd "$out/asan" && "$top/configure" -q --enable-werror --enable-sanitizers &&
	make -j"$jobs" >build.log 2>&1 || { cat build.log; exit 1; }
	make -j"$jobs" check) >"$out/asan.log" 2>&1 || status=1
grep -a -E '^(PASS|FAIL|ERROR|XPASS|SKIP|# )' "$out/asan.log" | grep -a -v '^PASS' || true
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
if [ -n "$(ls -A "$out/san-logs")" ]; then
	echo "sanitizer reports:"
	for f in "$out"/san-logs/*; do echo "--- $f"; head -40 "$f"; done
	status=1
	san_fail=1
else
	san_fail=0
fi

if [ "${SKIP_DISTCHECK:-0}" != 1 ]; then
	step "make distcheck"
	# The tarball gets the same tests, with shorter fuzzing: the two full
	# passes above already fuzzed for FUZZ_SECONDS each.
	(cd "$out/plain" && FUZZ_SECONDS=5 make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror) \
		>"$out/distcheck.log" 2>&1 || { tail -40 "$out/distcheck.log"; status=1; }
	dist_fail=$?
	grep -a -E '^=+$|archives ready|FAIL' "$out/distcheck.log" | tail -5 || true
fi

# Failed test logs, for whoever reads CI's output.
for log in $(grep -l -E '^(FAIL|ERROR)' "$out"/plain/tests/*.log "$out"/future/tests/*.log \
	"$out"/asan/tests/*.log 2>/dev/null); do
	echo "--- $log"
	tail -60 "$log"
done

count() { # count LOGFILE WORD: the number after "# WORD:" in automake's summary
	awk -v w="# $2:" 'index($0, w) == 1 { n += $3 } END { print n + 0 }' "$1"
}
passed=0; failed=0; skipped=0
for l in "$out/plain.log" "$out/future.log" "$out/asan.log"; do
	passed=$((passed + $(count "$l" PASS) + $(count "$l" XFAIL)))
	failed=$((failed + $(count "$l" FAIL) + $(count "$l" ERROR) + $(count "$l" XPASS)))
	skipped=$((skipped + $(count "$l" SKIP)))
done
failed=$((failed + san_fail))
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
	failed=1   # a build or distcheck failure is a failure too
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" = 0 ] && [ "$failed" = 0 ]
