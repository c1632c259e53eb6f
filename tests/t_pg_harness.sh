#!/bin/sh
# The PostgreSQL test harness (tests/lib/pg.sh) does what the store's
# PostgreSQL tests will lean on: a throw-away server starts as "postgres"
# on a Unix socket in the test's directory (no TCP) and answers through
# PG_URL; bytea keeps every byte; ON CONFLICT DO NOTHING stores a key once;
# FOR UPDATE SKIP LOCKED lets two sessions claim different rows, and four
# concurrent claimers take each of 200 jobs exactly once; an expired lease
# is claimed again; an advisory lock lives as long as its session;
# pg_kill_backends ends other sessions (57P01) and frees their locks;
# pg_restart keeps the data and PG_URL and breaks old sessions; pg_stop
# ends the server at once even with a transaction open; PG_TCP=1 listens
# on 127.0.0.1 only, beside the first server, and pg_use switches between
# them; a script's EXIT trap stops every server it started, on exit and on
# SIGTERM.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
pg_available || skip_all "PostgreSQL is not installed (apt-get install postgresql)"
[ "$(id -u)" = 0 ] || skip_all "the throw-away PostgreSQL runs as the postgres user: needs root"
T=$(mktemp -d /tmp/t_pg.XXXXXX)
chmod 755 "$T"
SESSIONS=
cleanup() {
	for _p in $SESSIONS; do kill -9 "$_p" 2>/dev/null; done
	pg_stop_all
	kill "$WATCHDOG" 2>/dev/null
	rm -rf "$T"
}
watchdog_start 300 t_pg_harness
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# A psql session kept open on a FIFO: sess_open FD NAME, then
# "echo SQL >&FD", read T/NAME.out; sess_close FD NAME.
sess_open() {
	rm -f "$T/$2.in"
	mkfifo "$T/$2.in"
	timeout 120 "$(pg_bindir)/psql" -X -q -A -t -v VERBOSITY=verbose -d "$PG_URL" \
		<"$T/$2.in" >"$T/$2.out" 2>&1 &
	eval "SESS_$2=\$!"
	SESSIONS="$SESSIONS $!"
	eval "exec $1>\"\$T/\$2.in\""
}
sess_close() {
	eval "exec $1>&-"
	eval "wait \$SESS_$2" 2>/dev/null
}
# wait_lines FILE N [SECONDS]: until FILE has N lines (default 10 s).
nlines() { cat "$1" 2>/dev/null | wc -l; }
wait_lines() {
	_i=0
	while [ "$(nlines "$1")" -lt "$2" ] && [ $_i -lt $((${3:-10} * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(nlines "$1")" -ge "$2" ]
}

# --- start ---------------------------------------------------------------
t0=$(ms)
pg_start "$T/pg" >"$T/start.log" 2>&1; st=$?
t1=$(ms)
trap cleanup EXIT
trap 'exit 1' INT TERM
sed "s/^/# /" "$T/start.log"
is "$st" 0 "pg_start starts a server"
[ "$st" = 0 ] || { echo "Bail out! no server"; exit 1; }
diag "pg_start (initdb + start + createdb): $((t1 - t0)) ms"
like "$PG_URL" "^postgresql://postgres@/redress\\?host=$T/pg/run&port=$PG_PORT\$" "PG_URL is a socket URI"
is "$PG_HOST" "$T/pg/run" "PG_HOST is the socket directory"
ok "$([ -S "$PG_HOST/.s.PGSQL.$PG_PORT" ]; echo $?)" "the socket is in the test's directory"
is "$(pg_psql "SELECT current_user, current_database(), current_setting('listen_addresses')")" \
	"postgres|redress|" "pg_psql: a query in PG_DB as postgres, tuples only; no TCP listen address"
ss -Hltn "sport = :$PG_PORT" | grep -q .
ok "$([ $? = 1 ]; echo $?)" "nothing listens on TCP port $PG_PORT"
is "$("$(pg_bindir)/psql" -X -A -t -d "$PG_URL" -c 'SELECT 6 * 7')" 42 "psql takes PG_URL as it is"
is "$(ps -o user= -p "$PG_PID" | tr -d ' ')" postgres "the server runs as postgres"
is "$(stat -c '%U %a' "$PG_DATA")" "postgres 700" "its data directory is postgres's, mode 0700"
is "$(pg_psql "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method <> 'trust' OR (type = 'host' AND address <> '127.0.0.1')")" \
	0 "trust for the socket and 127.0.0.1 only"
pg_psql "SELECT nosuchcolumn FROM pg_class" >/dev/null 2>"$T/err"; st=$?
ok "$([ "$st" != 0 ]; echo $?)" "pg_psql fails on an SQL error"
like "$(cat "$T/err")" "nosuchcolumn.*does not exist" "and says why on stderr"

# --- bytea and ON CONFLICT ---------------------------------------------------
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3 + b"\r\n.\r\n\0end")' >"$T/raw"
hex=$(od -An -v -tx1 "$T/raw" | tr -d ' \n')
pg_psql "CREATE TABLE messages (id bigserial PRIMARY KEY, fp text UNIQUE NOT NULL, raw bytea NOT NULL)" \
	"INSERT INTO messages (fp, raw) VALUES ('fp-1', decode('$hex', 'hex'))" >/dev/null
is "$(pg_psql "SELECT md5(raw), length(raw) FROM messages WHERE fp = 'fp-1'")" \
	"$(md5sum <"$T/raw" | cut -d' ' -f1)|$(wc -c <"$T/raw" | tr -d ' ')" "bytea keeps every byte (NUL, CR, 0xff)"
is "$(pg_psql "INSERT INTO messages (fp, raw) VALUES ('fp-1', '\\x00') ON CONFLICT (fp) DO NOTHING RETURNING id" \
	"SELECT count(*) FROM messages")" 1 "ON CONFLICT DO NOTHING: a second insert of the key returns no row"

# --- FOR UPDATE SKIP LOCKED between two sessions ----------------------------
pg_psql "CREATE TABLE jobs (id int PRIMARY KEY, owner text, lease_until timestamptz)" \
	"INSERT INTO jobs (id) SELECT generate_series(1, 200)" >/dev/null
CLAIM="SELECT id FROM jobs WHERE owner IS NULL ORDER BY id LIMIT 3 FOR UPDATE SKIP LOCKED"
sess_open 3 a
echo "BEGIN; $CLAIM;" >&3
wait_lines "$T/a.out" 3
a=$(head -3 "$T/a.out" | tr '\n' ' ')
b=$(pg_psql "BEGIN" "$CLAIM" "COMMIT" | tr '\n' ' ')
is "$a" "1 2 3 " "session A claims the first three rows (and holds them)"
is "$b" "4 5 6 " "session B, at the same time, skips them and claims the next three"
pg_psql "SET lock_timeout = '300ms'" "SELECT id FROM jobs WHERE id = 1 FOR UPDATE" >/dev/null 2>"$T/err"; st=$?
ok "$([ "$st" != 0 ]; echo $?)" "without SKIP LOCKED a third session waits for A's row (lock_timeout)"
like "$(cat "$T/err")" "lock timeout" "and gives up with 'lock timeout'"
echo "COMMIT;" >&3
sess_close 3 a

# Four claimers at once, batches of 10 in a transaction that lasts 50 ms:
# every job exactly once.
claimer() { # claimer NAME
	_k=0
	while [ $_k -lt 40 ]; do
		echo "BEGIN;"
		echo "UPDATE jobs SET owner = '$1', lease_until = now() + interval '30 s'
			WHERE id IN (SELECT id FROM jobs WHERE owner IS NULL
				ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING id;"
		echo "SELECT pg_sleep(0.05);"
		echo "COMMIT;"
		_k=$((_k + 1))
	done | pg_psql - | grep -v '^$' >"$T/claims.$1"
}
t0=$(ms)
for c in c1 c2 c3 c4; do
	claimer $c &
	eval "CL_$c=\$!"
done
for c in c1 c2 c3 c4; do eval "wait \$CL_$c"; done
t1=$(ms)
diag "four claimers, 200 jobs: $((t1 - t0)) ms; per claimer: $(for c in c1 c2 c3 c4; do printf '%s=%s ' $c "$(wc -l <"$T/claims.$c")"; done)"
is "$(cat "$T"/claims.c* | sort -n | uniq | wc -l | tr -d ' ')" 200 "four concurrent claimers took all 200 jobs"
is "$(cat "$T"/claims.c* | wc -l | tr -d ' ')" 200 "and none twice"
is "$(pg_psql "SELECT count(*) FROM jobs WHERE owner IS NULL OR owner NOT IN ('c1','c2','c3','c4')")" 0 \
	"every job has its claimer as owner"
# A claim whose lease expired (its node died) is claimed again.  (RETURNING
# gives the rows in no promised order: sorted.)
pg_psql "UPDATE jobs SET owner = 'dead', lease_until = now() - interval '1 s' WHERE id <= 5" >/dev/null
is "$(pg_psql "UPDATE jobs SET owner = 'n2', lease_until = now() + interval '30 s'
	WHERE id IN (SELECT id FROM jobs WHERE owner IS NULL OR lease_until < now()
		ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING id" | sort -n | tr '\n' ' ')" "1 2 3 4 5 " \
	"jobs whose lease expired are claimed again, the live ones are not"

# --- advisory lock, pg_kill_backends -----------------------------------------
sess_open 4 f
echo "SELECT pg_try_advisory_lock(17);" >&4
wait_lines "$T/f.out" 1
is "$(head -1 "$T/f.out")" t "session F takes advisory lock 17"
is "$(pg_psql "SELECT pg_try_advisory_lock(17)")" f "another session cannot"
sess_open 5 g
echo "BEGIN; SELECT 1;" >&5
wait_lines "$T/g.out" 1
n=$(pg_kill_backends)
is "$n" 2 "pg_kill_backends ends the two other sessions"
is "$(pg_psql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")" \
	0 "and they are gone when it returns"
is "$(pg_psql "SELECT pg_try_advisory_lock(17)")" t "the lock died with its session"
echo "SELECT 2;" >&4
sess_close 4 f
like "$(cat "$T/f.out")" "57P01|terminating connection|server closed the connection" \
	"the killed session sees a lost connection"
echo "SELECT 2;" >&5
sess_close 5 g

# --- restart -----------------------------------------------------------------
sess_open 6 r
echo "SELECT 'before';" >&6
wait_lines "$T/r.out" 1
url=$PG_URL
pid=$PG_PID
t0=$(ms)
pg_restart >"$T/restart.log" 2>&1; st=$?
t1=$(ms)
is "$st" 0 "pg_restart"
diag "pg_restart: $((t1 - t0)) ms"
is "$PG_URL" "$url" "PG_URL is unchanged"
ok "$([ "$PG_PID" != "$pid" ] && ! kill -0 "$pid" 2>/dev/null; echo $?)" "by a new server process"
is "$(pg_psql "SELECT count(*) FROM jobs" "SELECT md5(raw) FROM messages")" "200
$(md5sum <"$T/raw" | cut -d' ' -f1)" "the data is kept"
echo "SELECT 'after';" >&6
sess_close 6 r
like "$(cat "$T/r.out")" "57P01|terminating connection|server closed the connection|connection to server was lost" \
	"a session from before the restart is broken"

# --- a second server with TCP, beside the first ---------------------------
url=$PG_URL
PG_TCP=1
t0=$(ms)
pg_start "$T/pg-tcp" >"$T/start2.log" 2>&1; st=$?
t1=$(ms)
is "$st" 0 "PG_TCP=1: a second server starts beside the first"
diag "pg_start with TCP: $((t1 - t0)) ms"
like "$PG_URL" "^postgresql://postgres@127\\.0\\.0\\.1:$PG_PORT/redress\$" "PG_URL is a TCP URI"
is "$(ss -Hltn "sport = :$PG_PORT" | awk '{print $4}' | sort -u | tr '\n' ' ')" "127.0.0.1:$PG_PORT " \
	"it listens on 127.0.0.1 only"
is "$(pg_psql "SELECT host(inet_server_addr())")" 127.0.0.1 "a query over TCP"
pg_use "$T/pg"
is "$PG_URL|$(pg_psql "SELECT count(*) FROM jobs")" "$url|200" "pg_use goes back to the first server"
pg_use "$T/pg-tcp"
pg_stop
ss -Hltn "sport = :$PG_PORT" | grep -q .
ok "$([ $? = 1 ]; echo $?)" "pg_stop closes the port"
pg_use "$T/pg"

# --- stop with a transaction open ----------------------------------------
sess_open 7 s
echo "BEGIN; UPDATE jobs SET owner = 'x'; SELECT 'open';" >&7
wait_lines "$T/s.out" 1
pid=$PG_PID
t0=$(ms)
pg_stop
t1=$(ms)
diag "pg_stop with an open transaction: $((t1 - t0)) ms"
ok "$([ $((t1 - t0)) -lt $((PG_STOP_WAIT * 1000)) ]; echo $?)" "pg_stop does not wait for the session (fast shutdown)"
ok "$(! kill -0 "$pid" 2>/dev/null; echo $?)" "the server is gone"
is "$(ps -eo args | grep -c "[p]ostgres -D $T/")" 0 "no server process is left"
ok "$([ ! -e "$PG_HOST/.s.PGSQL.$PG_PORT" ]; echo $?)" "the socket is gone"
sess_close 7 s
# Start again from the stopped state (as a test does after a planned outage).
pg_start "$T/pg" >"$T/start3.log" 2>&1
is "$(pg_psql "SELECT count(*) FROM jobs WHERE owner = 'x'")" 0 "the open transaction was rolled back"
pg_stop

# The EXIT trap stops every server a script started, when it ends and when
# it is killed with SIGTERM.
cat >"$T/two.sh" <<'SH'
. "$top_srcdir/tests/lib/pg.sh"
pg_start "$1/a" >/dev/null 2>&1 || exit 1
PG_TCP=1 pg_start "$1/b" >/dev/null 2>&1 || exit 1
echo started
[ "$2" = wait ] && sleep 60
exit 0
SH
out=$(sh "$T/two.sh" "$T/exit" exit)
is "$out|$(ps -eo args | grep -c "[p]ostgres -D $T/exit/")" "started|0" "a script's two servers are gone when it exits"
sh "$T/two.sh" "$T/term" wait >"$T/term.out" &
p=$!
wait_lines "$T/term.out" 1 60
kill -TERM "$p"
wait "$p"
is "$(cat "$T/term.out")|$(ps -eo args | grep -c "[p]ostgres -D $T/term/")" "started|0" \
	"and when it is killed with SIGTERM"
done_testing
