#!/bin/sh
# Fuzzing, short form: builds the libFuzzer targets of tests/fuzz/ with
# clang (-fsanitize=fuzzer,address,undefined) against the project's
# sources and runs each for FUZZ_SECONDS (default 20) seconds, seeded from
# the shared corpora ($REDRESS_CORPORA), the project's samples, rules and
# templates (tests/fuzz/make_corpus.sh) and the regression inputs in
# tests/fuzz/regress/TARGET/.  Any crash, leak, sanitizer report, timeout
# (-timeout=10) or memory blow-up (-rss_limit_mb=2048) is a failure; the
# input that caused it is left in tests/fuzz-work/artifacts/ of the build
# directory.  FUZZ_JOBS (default 2) targets run at once.  Skipped only
# when clang is not installed.  Longer runs: tests/fuzz/README.md.
. "$top_srcdir/tests/lib/tap.sh"

cc=${CC_FUZZ:-clang}
command -v "$cc" >/dev/null 2>&1 ||
	skip_all "clang is not installed (apt-get install clang)"
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
W=$top_builddir/tests/fuzz-work
mkdir -p "$W"
rm -rf "$W/corpus" "$W/seeds" "$W/artifacts" "$W"/*.log
mkdir -p "$W/artifacts"

start=$(date +%s)
FUZZ_JOBS=$jobs CC_FUZZ=$cc sh "$top_srcdir/tests/fuzz/build.sh" "$W/bin" \
	"$top_srcdir" "$top_builddir" >"$W/build.log" 2>&1
st=$?
ok $st "the fuzz targets build with $cc -fsanitize=fuzzer,address,undefined ($(($(date +%s) - start)) s)"
if [ $st != 0 ]; then
	tail -30 "$W/build.log" | sed 's/^/# /'
	done_testing
fi
sh "$top_srcdir/tests/fuzz/make_corpus.sh" "$W/seeds" >"$W/seeds.log" 2>&1
ok $? "the seed corpora are built"

maxlen() {
	case $1 in
	message) echo 65536 ;;
	rules) echo 16384 ;;
	*) echo 8192 ;;
	esac
}

run() { # run TARGET: one bounded fuzzing session, output in $W/TARGET.log
	t=$1
	mkdir -p "$W/corpus/$t"
	regress=$top_srcdir/tests/fuzz/regress/$t
	# The first directory collects new inputs; the others only seed.
	"$W/bin/fuzz_$t" -max_total_time="$secs" -max_len="$(maxlen "$t")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-dict="$top_srcdir/tests/fuzz/$t.dict" \
		-artifact_prefix="$W/artifacts/$t-" \
		"$W/corpus/$t" "$W/seeds/$t" $([ -d "$regress" ] && echo "$regress") \
		>"$W/$t.log" 2>&1
	echo $? >"$W/$t.status"
}

targets="message rules template compose"
running=0
for t in $targets; do
	run "$t" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

for t in $targets; do
	st=$(cat "$W/$t.status" 2>/dev/null || echo missing)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$W/$t.log" | tail -1)
	art=$(ls "$W/artifacts" 2>/dev/null | grep "^$t-" | head -1)
	if [ "$st" = 0 ] && [ -z "$art" ]; then
		ok 0 "fuzz_$t: ${execs:-?} inputs in ${secs} s, no crash, leak or timeout"
	else
		ok 1 "fuzz_$t: exit status $st after ${execs:-?} inputs"
		if [ -n "$art" ]; then
			diag "input: $W/artifacts/$art"
			diag "reproduce: $W/bin/fuzz_$t $W/artifacts/$art"
			diag "once fixed, keep it in tests/fuzz/regress/$t/"
		fi
		grep -E 'ERROR|SUMMARY|broken promise|^    #[0-9]+ ' "$W/$t.log" | head -16 |
			sed 's/^/# /'
	fi
done
done_testing
