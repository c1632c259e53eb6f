# tap.sh - TAP for the shell tests: source it, then
#   ok COND_STATUS DESCRIPTION     (ok $? "x"  -  0 is a pass)
#   is GOT WANT DESCRIPTION        string equality, shows both on failure
#   like GOT PATTERN DESCRIPTION   grep -E match
#   diag TEXT                      a comment
#   skip N REASON                  N tests "ok # SKIP REASON"
#   skip_all REASON                "1..0 # SKIP REASON" and exit 0
#   done_testing                   the plan, and exit 1 if anything failed
#   tmpdir                         a fresh directory, removed at exit
# Tests run their commands in a fresh directory with no redress.conf
# unless they write one.

TAP_N=0
TAP_FAILED=0
TAP_TMP=

ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#          got: %s\n#     expected: %s\n' "$1" "$2"
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#          got: %s\n#  not like: %s\n' "$1" "$2" | head -20
	fi
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

skip() {
	_skip_n=$1
	while [ "$_skip_n" -gt 0 ]; do
		TAP_N=$((TAP_N + 1))
		echo "ok $TAP_N # SKIP $2"
		_skip_n=$((_skip_n - 1))
	done
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_N" -gt 0 ] && [ "$TAP_FAILED" = 0 ]
	exit $?
}

tmpdir() {
	TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/redress-test.XXXXXX")
	chmod 0755 "$TAP_TMP"
	echo "$TAP_TMP"
}

# JSON field extraction with python3: jget 'expr' < json  (expr on "d")
jget() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

. "$top_srcdir/tests/lib/proc.sh"
