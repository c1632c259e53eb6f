# pg.sh - a throw-away PostgreSQL server for redress's tests and benches.
#
# Source it from a POSIX sh script (tap.sh first if you want its helpers;
# this file needs none of them), then:
#   pg_available            0 if initdb, postgres and psql are installed
#                           (PG_BINDIR, else the newest
#                           /usr/lib/postgresql/*/bin, else $PATH) and, as
#                           root, the "postgres" account exists
#   pg_start DIR [EXTRA]    the first time: makes DIR/data (initdb, owned by
#                           "postgres" as root, trust authentication for
#                           local connections only) and a database PG_DB;
#                           then starts the server listening only on a
#                           Unix socket in DIR/run (no TCP), or with PG_TCP=1
#                           also on a free 127.0.0.1 port, and waits (at
#                           most PG_START_WAIT s, default 60) until it
#                           accepts connections.  EXTRA: lines for
#                           postgresql.conf (e.g. "max_connections = 20").
#                           On a DIR it already started, it starts the same
#                           data again on the same socket and port (see
#                           pg_restart).  Sets PG_DIR PG_DATA PG_HOST PG_PORT
#                           PG_DB PG_USER PG_URL PG_PID, and installs an
#                           EXIT trap that calls pg_stop_all, and an INT/TERM
#                           trap that exits (so that the EXIT trap runs;
#                           set your own traps after pg_start and call
#                           pg_stop_all from yours).  EXTRA counts the first
#                           time only (it goes into DIR/data/postgresql.conf).
#                           Several servers (several DIRs) may run at once;
#                           the last started is the current one.
#                           Returns 1 with the reason on stderr.
#   pg_stop                 fast shutdown (SIGINT: sessions are ended,
#                           transactions rolled back, a clean checkpoint),
#                           then immediate (SIGQUIT) after PG_STOP_WAIT s
#                           (default 15), then SIGKILL; returns when every
#                           process of the server is gone (bounded)
#   pg_stop_all             pg_stop for every server started in this shell
#   pg_use DIR              makes DIR's server the current one (PG_URL, PG_PORT,
#                           ..., what pg_psql, pg_stop, pg_restart act on)
#   pg_restart              pg_stop, then pg_start again on the same DIR,
#                           socket and port: PG_URL stays valid, the data
#                           is kept, every old session is gone
#   pg_psql SQL...          runs the SQL statements (one an argument, the
#                           ";" optional) in PG_DB, in one session, and
#                           prints the tuples only, fields separated by
#                           "|", one row a line; ON_ERROR_STOP, so an error
#                           exits non-zero with the message on stderr;
#                           bounded by PG_PSQL_TIMEOUT s (default 60).
#                           With PG_PSQL_DB set, in that database instead.
#                           SQL "-" reads a script on stdin instead.
#   pg_psql_db DB SQL...    the same in database DB
#   pg_kill_backends        terminates every other client session (all
#                           databases) and waits (5 s at most each) until
#                           they are gone: a lost connection as a client
#                           sees it (FATAL 57P01, then the socket closes);
#                           prints how many it ended
#   pg_createdb NAME        creates another database (template0, UTF8)
#   pg_url [DB]             the connection URI for PG_DB or DB
#   pg_log                  prints the server's log (for diagnostics)
#
# PG_URL is a libpq connection URI, usable by psql and by redress's
# "[store] url": over the socket it is
#   postgresql://postgres@/redress?host=/tmp/t.XXXX/pg/run&port=NNNNN
# (the socket directory is a query parameter: a URI's host part cannot
# hold a path unless it is percent-encoded), with PG_TCP=1
#   postgresql://postgres@127.0.0.1:NNNNN/redress
# PG_HOST is the socket directory (or 127.0.0.1), PG_PORT the port (it also
# names the socket, .s.PGSQL.PORT, so a socket-only server gets one too).
#
# Quirks (PostgreSQL 15 on Debian bookworm):
# - The server refuses to run as root.  As root it runs as "postgres"
#   through setpriv(1), so DIR and every parent of DIR must be searchable by
#   that user (chmod 0755 a mktemp -d directory, as for Dovecot and
#   smtp-sink); pg_start checks this and says so.  As another user it runs
#   as that user.
# - Debian keeps initdb and pg_ctl out of $PATH, in
#   /usr/lib/postgresql/VERSION/bin; /usr/bin/psql is a wrapper script that
#   picks a version from its own cluster list.  We use the binaries of one
#   bindir throughout.
# - A Unix socket path has at most 107 bytes: DIR/run/.s.PGSQL.NNNNN must
#   fit, so keep DIR short (mktemp -d /tmp/t_x.XXXXXX is fine).
# - The server's children (backends, checkpointer, ...) call setsid(): a
#   signal to the process group of whatever started the postmaster does
#   not reach them.  pg_stop signals the postmaster (the one that must be
#   signalled) and, as a last resort, SIGKILLs its children by parent pid.
# - SIGTERM to the postmaster is a "smart" shutdown that waits for every
#   client to disconnect: a daemon holding a connection would make it hang.
#   pg_stop uses SIGINT (fast) and SIGQUIT (immediate).
# - initdb takes about 1.5 s here; its data directory is kept in DIR, so a
#   restart (pg_restart, or pg_stop then pg_start DIR) does not repeat it.
# - For speed the server runs with fsync = off (and no sync by initdb):
#   a crash of the server process loses nothing (the kernel still has the
#   writes), only a crash of the machine would.  Pass "fsync = on" in EXTRA
#   for a bench that wants the real cost of a commit.
# - The server is a child of the test's shell (under timeout(1)): a bare
#   "wait" waits for it too, i.e. until PG_LIFETIME.  Wait for your own pids.
# - Connecting as an unknown role (libpq's default is the login name, e.g.
#   "root") logs "FATAL: role does not exist": always connect as PG_USER
#   (postgres), which PG_URL does.
#
# The server runs in the foreground of timeout(1) (PG_LIFETIME s, default
# 900, SIGINT then SIGKILL 10 s later), so nothing outlives a test killed
# before its EXIT trap could run.  Everything lives under DIR: the data,
# the socket, the log (DIR/postgres.log).

PG_LIFETIME=${PG_LIFETIME:-900}
PG_START_WAIT=${PG_START_WAIT:-60}
PG_STOP_WAIT=${PG_STOP_WAIT:-15}
PG_PSQL_TIMEOUT=${PG_PSQL_TIMEOUT:-60}
PG_DB=${PG_DB:-redress}
PG_USER=postgres
PG_DIR=
PG_DIRS=
PG_PID=
PG_WRAPPER=

pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return 0
	fi
	# The newest version first (15 after 9.6: sort by number).
	for _pb_d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
		sed 's|^/usr/lib/postgresql/\([^/]*\)/bin$|\1 &|' | sort -rn | cut -d' ' -f2); do
		if [ -x "$_pb_d/initdb" ] && [ -x "$_pb_d/postgres" ]; then
			echo "$_pb_d"
			return 0
		fi
	done
	_pb_i=$(command -v initdb 2>/dev/null) || return 1
	dirname "$(readlink -f "$_pb_i")"
}

pg_available() {
	_pa_b=$(pg_bindir) || return 1
	[ -x "$_pa_b/initdb" ] && [ -x "$_pa_b/postgres" ] && [ -x "$_pa_b/psql" ] &&
		[ -x "$_pa_b/pg_isready" ] || return 1
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1
	fi
}

# Runs a command as the server's user: "postgres" as root, else ourselves.
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		env -u LD_PRELOAD -u FAKETIME \
			setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		env -u LD_PRELOAD -u FAKETIME "$@"
	fi
}

# A free TCP port on 127.0.0.1: random, checked against the listeners.
pg_free_port() {
	_pf_i=0
	while [ $_pf_i -lt 100 ]; do
		_pf_p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom) % 40000) ))
		if ! ss -Hltn "sport = :$_pf_p" 2>/dev/null | grep -q .; then
			echo $_pf_p
			return 0
		fi
		_pf_i=$((_pf_i + 1))
	done
	return 1
}

# Percent-encodes a string for a URI query value (RFC 3986 unreserved and
# "/" stay as they are).
pg_uri_escape() {
	printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | grep . |
		while read -r _pu_h; do
			case $_pu_h in
			2d|2e|2f|3[0-9]|4[1-9a-f]|5[0-9a]|5f|6[1-9a-f]|7[0-9a]|7e)
				printf "\\$(printf '%03o' "0x$_pu_h")" ;;
			*)	printf '%%%s' "$(echo "$_pu_h" | tr a-f A-F)" ;;
			esac
		done
}

pg_url() {
	_pl_db=${1:-$PG_DB}
	if [ "${PG_TCP:-0}" = 1 ]; then
		echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$_pl_db"
	else
		echo "postgresql://$PG_USER@/$_pl_db?host=$(pg_uri_escape "$PG_HOST")&port=$PG_PORT"
	fi
}

pg_log() {
	cat "$PG_DIR/postgres.log" 2>/dev/null
}

# Is every directory from / down to $1 searchable by the server's user?
pg_check_path() {
	_pc_d=$1
	while [ -n "$_pc_d" ] && [ "$_pc_d" != / ]; do
		if ! pg_as_owner test -x "$_pc_d"; then
			echo "pg_start: $_pc_d is not searchable by the postgres user (chmod 0755 it)" >&2
			return 1
		fi
		_pc_d=$(dirname "$_pc_d")
	done
	return 0
}

pg_initdb() {
	_pi_b=$(pg_bindir)
	mkdir -p "$PG_DATA" "$PG_DIR/run" || return 1
	chmod 0700 "$PG_DATA"
	chmod 0755 "$PG_DIR/run"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$PG_DATA" "$PG_DIR/run" || return 1
	fi
	# -N: no fsync of the new files (2-3x faster); --locale=C with UTF8:
	# the same collation everywhere, whatever the machine's locales.
	if ! (cd "$PG_DIR" && pg_as_owner timeout 120 "$_pi_b/initdb" -D "$PG_DATA" \
		-U "$PG_USER" -A trust -E UTF8 --locale=C -N --no-instructions) \
		>"$PG_DIR/initdb.log" 2>&1; then
		echo "pg_start: initdb failed:" >&2
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	# Trust, for this test server only, and only for local connections:
	# the Unix socket (its directory is ours) and, with PG_TCP=1, 127.0.0.1.
	{
		echo "# throw-away test server (tests/lib/pg.sh): trust, local only"
		echo "local all all trust"
		echo "host all all 127.0.0.1/32 trust"
	} >"$PG_DATA/pg_hba.conf"
	{
		echo "# throw-away test server (tests/lib/pg.sh)"
		echo "unix_socket_directories = '$PG_DIR/run'"
		echo "unix_socket_permissions = 0777"
		echo "fsync = off"
		echo "full_page_writes = off"
		echo "lc_messages = 'C'"
		echo "timezone = 'UTC'"
		echo "log_timezone = 'UTC'"
		echo "shared_buffers = 32MB"
		echo "max_connections = 100"
		echo "log_line_prefix = '%m [%p] %q%a '"
		echo "log_min_messages = warning"
		# mmap, not posix: a minimal root (debootstrap) has no
		# writable /dev/shm for the postgres user.
		echo "dynamic_shared_memory_type = mmap"
		printf '%s\n' "$PG_EXTRA"
	} >>"$PG_DATA/postgresql.conf"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA/pg_hba.conf"
	return 0
}

pg_run_server() {
	_pr_b=$(pg_bindir)
	if [ "${PG_TCP:-0}" = 1 ]; then
		_pr_listen=127.0.0.1
	else
		_pr_listen=
	fi
	: >>"$PG_DIR/postgres.log"
	[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR/postgres.log"
	# The listen address and port on the command line: they are what
	# pg_restart must keep; the rest is in postgresql.conf.
	# The server keeps the real clock under libfaketime (check-future):
	# its semaphore in /dev/shm is not the postgres user's to open.
	(cd "$PG_DIR" && exec env -u LD_PRELOAD -u FAKETIME timeout -s INT -k 10 "$PG_LIFETIME" \
		sh -c 'if [ "$(id -u)" = 0 ]; then
				exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
			else
				exec "$@"
			fi' pg-server \
		"$_pr_b/postgres" -D "$PG_DATA" -c "listen_addresses=$_pr_listen" \
		-c "port=$PG_PORT") >>"$PG_DIR/postgres.log" 2>&1 &
	PG_WRAPPER=$!
	echo "$PG_WRAPPER" >"$PG_DIR/wrapper.pid"
}

# Waits until the server accepts connections; 0 when it does, 1 when the
# server died or the bound passed.
pg_wait_ready() {
	_pw_b=$(pg_bindir)
	_pw_i=0
	_pw_max=$((PG_START_WAIT * 10))
	while [ $_pw_i -lt $_pw_max ]; do
		if timeout 10 "$_pw_b/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" \
			-U "$PG_USER" -d postgres -t 5 2>/dev/null; then
			PG_PID=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)
			return 0
		fi
		if ! kill -0 "$PG_WRAPPER" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
		_pw_i=$((_pw_i + 1))
	done
	return 1
}

pg_start() {
	_ps_dir=${1:?pg_start DIR [EXTRA]}
	PG_EXTRA=${2:-}
	mkdir -p "$_ps_dir" || return 1
	PG_DIR=$(cd "$_ps_dir" && pwd) || return 1
	PG_DATA=$PG_DIR/data
	pg_available || { echo "pg_start: PostgreSQL is not installed" >&2; return 1; }
	pg_check_path "$PG_DIR" || return 1
	_ps_first=0
	if [ -f "$PG_DIR/port" ]; then
		PG_PORT=$(cat "$PG_DIR/port")
		PG_TCP=$(cat "$PG_DIR/tcp")
	else
		_ps_first=1
	fi
	if [ "${PG_TCP:-0}" = 1 ]; then
		PG_HOST=127.0.0.1
	else
		PG_HOST=$PG_DIR/run
	fi
	if [ $_ps_first = 1 ]; then
		if [ ${#PG_DIR} -gt 80 ]; then
			echo "pg_start: $PG_DIR is too long for a Unix socket path" >&2
			return 1
		fi
		pg_initdb || return 1
	fi
	# The EXIT trap once per shell: a pg_restart must not replace the
	# trap that the test set after its first pg_start.
	if [ -z "${PG_TRAP_SET:-}" ]; then
		trap 'pg_stop_all' EXIT
		trap 'exit 130' INT TERM
		PG_TRAP_SET=1
	fi
	: >>"$PG_DIR/postgres.log"
	_ps_try=0
	while :; do
		_ps_try=$((_ps_try + 1))
		if [ $_ps_first = 1 ]; then
			# A random port, free on 127.0.0.1 even without TCP: it also
			# picks the System V shared memory key.
			PG_PORT=$(pg_free_port) || { echo "pg_start: no free port" >&2; return 1; }
		fi
		_ps_mark=$(wc -l <"$PG_DIR/postgres.log" 2>/dev/null || echo 0)
		pg_run_server
		if pg_wait_ready; then
			break
		fi
		pg_stop
		# Only a fresh server may move to another port (another test took
		# ours between the check and the bind); a restart must keep it.
		if [ $_ps_first = 1 ] && [ $_ps_try -lt 3 ] &&
		   tail -n +$((_ps_mark + 1)) "$PG_DIR/postgres.log" | grep -q 'could not bind'; then
			echo "pg_start: port $PG_PORT taken, trying another" >&2
			continue
		fi
		if [ $_ps_first = 0 ] && [ $_ps_try -lt 5 ] &&
		   tail -n +$((_ps_mark + 1)) "$PG_DIR/postgres.log" | grep -q 'could not bind'; then
			sleep 1
			continue
		fi
		echo "pg_start: the server did not accept connections within ${PG_START_WAIT} s; log:" >&2
		tail -n +$((_ps_mark + 1)) "$PG_DIR/postgres.log" >&2
		return 1
	done
	echo "$PG_PORT" >"$PG_DIR/port"
	echo "${PG_TCP:-0}" >"$PG_DIR/tcp"
	case " $PG_DIRS " in
	*" $PG_DIR "*) ;;
	*) PG_DIRS="$PG_DIRS $PG_DIR" ;;
	esac
	PG_URL=$(pg_url)
	if [ $_ps_first = 1 ]; then
		pg_createdb "$PG_DB" || return 1
	fi
	return 0
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	[ -f "$PG_DIR/wrapper.pid" ] || return 0
	_pt_w=$(cat "$PG_DIR/wrapper.pid")
	rm -f "$PG_DIR/wrapper.pid"
	# The postmaster is the wrapper's child (timeout -> sh -> setpriv ->
	# postgres all exec).
	_pt_pm=$(pgrep -P "$_pt_w" 2>/dev/null | head -1)
	[ -n "$_pt_pm" ] || _pt_pm=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)
	if [ -z "$_pt_pm" ] || ! kill -0 "$_pt_pm" 2>/dev/null; then
		kill -KILL "$_pt_w" 2>/dev/null
		wait "$_pt_w" 2>/dev/null
		PG_PID=
		return 0
	fi
	_pt_kids=$(pgrep -P "$_pt_pm" 2>/dev/null)
	kill -INT "$_pt_pm" 2>/dev/null
	_pt_i=0
	_pt_max=$((PG_STOP_WAIT * 10))
	while kill -0 "$_pt_pm" 2>/dev/null && [ $_pt_i -lt $_pt_max ]; do
		sleep 0.1
		_pt_i=$((_pt_i + 1))
	done
	if kill -0 "$_pt_pm" 2>/dev/null; then
		echo "pg_stop: no fast shutdown within ${PG_STOP_WAIT} s, immediate shutdown" >&2
		kill -QUIT "$_pt_pm" 2>/dev/null
		_pt_i=0
		while kill -0 "$_pt_pm" 2>/dev/null && [ $_pt_i -lt 50 ]; do
			sleep 0.1
			_pt_i=$((_pt_i + 1))
		done
	fi
	if kill -0 "$_pt_pm" 2>/dev/null; then
		echo "pg_stop: the server is still there, SIGKILL" >&2
		_pt_kids="$_pt_kids $(pgrep -P "$_pt_pm" 2>/dev/null)"
		kill -KILL "$_pt_pm" 2>/dev/null
	fi
	# Children left behind by a killed postmaster (they exit by themselves
	# when they notice, but not always at once).
	for _pt_k in $_pt_kids; do
		kill -KILL "$_pt_k" 2>/dev/null
	done
	kill -KILL "$_pt_w" 2>/dev/null
	wait "$_pt_w" 2>/dev/null
	PG_PID=
	return 0
}

# Every server started in this shell (the EXIT trap's job).
pg_stop_all() {
	for _pa_d in $PG_DIRS; do
		PG_DIR=$_pa_d
		PG_DATA=$_pa_d/data
		pg_stop
	done
}

# Makes the server of DIR the current one (PG_URL, pg_psql, pg_stop ...).
pg_use() {
	PG_DIR=$(cd "${1:?pg_use DIR}" && pwd) || return 1
	PG_DATA=$PG_DIR/data
	PG_PORT=$(cat "$PG_DIR/port") || return 1
	PG_TCP=$(cat "$PG_DIR/tcp") || return 1
	if [ "$PG_TCP" = 1 ]; then
		PG_HOST=127.0.0.1
	else
		PG_HOST=$PG_DIR/run
	fi
	PG_URL=$(pg_url)
	PG_PID=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)
}

pg_restart() {
	pg_stop
	pg_start "$PG_DIR" "$PG_EXTRA"
}

pg_psql() {
	pg_psql_db "${PG_PSQL_DB:-$PG_DB}" "$@"
}

# pg_psql_db DB SQL...: pg_psql in database DB.
pg_psql_db() {
	_pq_b=$(pg_bindir)
	_pq_url=$(pg_url "$1")
	shift
	if [ "$1" = - ]; then
		timeout "$PG_PSQL_TIMEOUT" "$_pq_b/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
			-d "$_pq_url"
	else
		# One statement an argument; psql runs each as it reads it, so a
		# BEGIN ... COMMIT may span arguments.
		for _pq_s in "$@"; do
			printf '%s;\n' "$_pq_s"
		done |
			timeout "$PG_PSQL_TIMEOUT" "$_pq_b/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
				-d "$_pq_url"
	fi
}

pg_createdb() {
	pg_psql_db postgres \
		"CREATE DATABASE \"${1:?pg_createdb NAME}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
}

pg_kill_backends() {
	# The list first (MATERIALIZED), so that the planner cannot call
	# pg_terminate_backend before the test that spares our own session.
	pg_psql_db postgres "WITH victims AS MATERIALIZED (
		SELECT pid FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())
		SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM victims"
}
