#!/bin/sh
# The store's unit test (tests/t_store_api: the whole of store.h) on
# PostgreSQL: a throw-away server (tests/lib/pg.sh), a fresh database each
# run; its results are passed through as this script's, one test each.
# Then what only a database named by a URL can get wrong: a password in
# the URL never shows in an error, and a database nobody answers for is a
# temporary failure, exit 75 for the delivery filter.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
pg_available || skip_all "PostgreSQL is not installed (apt-get install postgresql)"
API=$top_builddir/tests/t_store_api
[ -x "$API" ] || skip_all "tests/t_store_api is not built"
T=$(mktemp -d /tmp/t_spg.XXXXXX)
chmod 755 "$T"
cleanup() {
	pg_stop_all
	kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
watchdog_start 300 t_store_pg
PG_TCP=1
if ! pg_start "$T/pg" >"$T/start.log" 2>&1; then
	cleanup
	echo "Bail out! pg_start: $(cat "$T/start.log")"
	exit 1
fi
trap cleanup EXIT
trap 'exit 130' INT TERM
S="$top_srcdir/contrib/samples"

# --- store.h on PostgreSQL -------------------------------------------------
# A fresh database (the test starts from an empty store), and its TAP
# lines renumbered into ours: "ok N - x" -> ok 0 "x", comments kept.
DB=api_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
pg_createdb "$DB" >"$T/createdb.log" 2>&1
ok $? "a fresh database $DB"
# How the test loses its connection: the server ends every session.
cat >"$T/drop.sh" <<EOF
. "$top_srcdir/tests/lib/pg.sh"
pg_use "$T/pg" && [ "\$(pg_kill_backends)" -ge 1 ]
EOF
REDRESS_TEST_STORE=$(pg_url "$DB") REDRESS_TEST_DROP="sh $T/drop.sh" timeout 240 "$API" \
	>"$T/api.out" 2>"$T/api.err"
st=$?
n_api=0
while IFS= read -r line; do
	case $line in
	"ok "*)
		n_api=$((n_api + 1))
		ok 0 "api: ${line#ok * - }" ;;
	"not ok "*)
		n_api=$((n_api + 1))
		ok 1 "api: ${line#not ok * - }" ;;
	"1..0 # SKIP"*)
		ok 1 "api: skipped: ${line#1..0 # SKIP }" ;;
	"#"*)
		echo "$line" ;;
	"1.."*)
		plan=${line#1..} ;;
	*)
		diag "api: $line" ;;
	esac
done <"$T/api.out"
[ -s "$T/api.err" ] && diag "api stderr: $(head -20 "$T/api.err")"
is "$st" 0 "t_store_api on PostgreSQL exits 0"
is "${plan:-none}" "$n_api" "and ran as many tests as it planned"
ok "$([ "$n_api" -gt 100 ]; echo $?)" "and that is the whole test ($n_api)"
# What it did is in the database, not in a file somewhere.
is "$(pg_psql_db "$DB" "SELECT count(*) FROM cases WHERE customer = 'count@example.net'")" 7 "the cases are in PostgreSQL"

# --- redress itself on PostgreSQL --------------------------------------------
printf '[store]\nurl = %s\n' "$(pg_url "$DB")" >"$T/good.conf"
cd "$T" || exit 1
"$REDRESS" -c good.conf filter -f maria.lopez@example.net -r care@localhost \
	<"$S/01-refund.eml" >out 2>err; st=$?
is "$st" 0 "redress filter stores into PostgreSQL"
is "$(cat out err | wc -c | tr -d ' ')" 0 "and prints nothing"
is "$(pg_psql_db "$DB" "SELECT count(*) FROM messages WHERE source = 'filter' AND from_addr = 'maria.lopez@example.net'")" \
	1 "the message is in the database"

# Bytes that are not UTF-8 from outside the message (an envelope sender
# from the MTA, a file name): a UTF-8 database refuses them, which would
# bounce the mail in the end; the store keeps them as U+FFFD instead.
"$REDRESS" -c good.conf filter -f "$(printf 'ren\351@example.net')" -r care@localhost \
	<"$S/02-damaged.eml" >out 2>err; st=$?
is "$st" 0 "filter with a Latin-1 byte in the envelope sender: stored (exit 0)"
is "$(pg_psql_db "$DB" "SELECT envelope_from FROM messages WHERE envelope_from LIKE 'ren%'")" \
	"$(printf 'ren\357\277\275@example.net')" "and the byte is kept as U+FFFD"
mkdir -p "$T/latin"
cp "$S/04-rude.eml" "$T/latin/$(printf 'r\351clamation.eml')"
"$REDRESS" -c good.conf ingest "$T/latin" >out 2>err; st=$?
is "$st" 0 "ingest of a file whose name is Latin-1: exit 0"

# --- a password in the URL never shows --------------------------------------
# Wrong database, port nobody listens on, a URL libpq cannot parse; the
# password as user info and as a parameter.
FREE=$(pg_free_port)
i=0
for url in \
	"postgresql://postgres:sekrit@127.0.0.1:$PG_PORT/no_such_db" \
	"postgresql://postgres@127.0.0.1:$PG_PORT/no_such_db?password=sekrit" \
	"postgresql://postgres:sekrit@127.0.0.1:$FREE/redress" \
	"postgres://postgres:sekrit@127.0.0.1:$FREE/redress?connect_timeout=5" \
	"postgresql://postgres:sekrit@[::1/redress" \
	"postgresql://postgres:sek%zzrit@127.0.0.1:$PG_PORT/redress" \
	"postgresql://postgres@127.0.0.1:$PG_PORT/redress?password=sekrit=x" \
	"postgresql://postgres:sekrit@127.0.0.1:$PG_PORT/redress?nonsense=sekrit" \
	"postgresql://postgres:sekrit@127.0.0.1:notaport/redress"; do
	i=$((i + 1))
	printf '[store]\nurl = %s\n' "$url" >"bad$i.conf"
	"$REDRESS" -c "bad$i.conf" case list >out 2>err; st=$?
	ok "$([ "$st" != 0 ]; echo $?)" "bad URL $i: case list fails (exit $st)"
	like "$(cat err)" "." "bad URL $i: with a message: $(head -1 err)"
	grep -q 'sek%*z*z*rit' out err
	is "$?" 1 "bad URL $i: the message does not show the password"
	"$REDRESS" -c "bad$i.conf" filter <"$S/01-refund.eml" >out 2>err; st=$?
	grep -q 'sek%*z*z*rit' out err
	is "$?" 1 "bad URL $i: nor does filter's"
done

# --- nobody listening: a temporary failure -----------------------------------
printf '[store]\nurl = postgresql://postgres@127.0.0.1:%s/redress\n' "$FREE" >down.conf
"$REDRESS" -c down.conf filter -f a@example.net -r care@localhost <"$S/01-refund.eml" \
	>out 2>err; st=$?
is "$st" 75 "filter with no server on the port: exit 75 (the MTA retries)"
"$REDRESS" -c down.conf case list >out 2>err; st=$?
is "$st" 75 "case list with no server: exit 75"
# The same for a server that goes away: the store is there, then not.
pg_stop
"$REDRESS" -c good.conf filter -f a@example.net -r care@localhost <"$S/03-late.eml" \
	>out 2>err; st=$?
is "$st" 75 "filter while the server is stopped: exit 75"
pg_start "$T/pg" >"$T/start2.log" 2>&1
"$REDRESS" -c good.conf filter -f a@example.net -r care@localhost <"$S/03-late.eml" \
	>out 2>err; st=$?
is "$st" 0 "the retry once it is back is stored"
done_testing
