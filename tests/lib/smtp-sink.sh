# smtp-sink.sh - throw-away Postfix smtp-sink servers on loopback for
# redress's integration tests and benchmarks.
#
# Source it from a POSIX sh script, then:
#   sink_available               0 if /usr/sbin/smtp-sink (package postfix)
#                                or smtp-sink on PATH is there
#   sink_init DIR                where sinks keep their state (made 0755, so
#                                the unprivileged sink can write dumps; as
#                                root, every parent of DIR must be searchable
#                                by "nobody": chmod 0755 a mktemp -d parent);
#                                also installs an EXIT trap that stops every
#                                sink (call sink_init before your own trap,
#                                or call sink_stop_all from yours)
#   sink_start NAME [OPTION...]  starts smtp-sink on a free 127.0.0.1 port
#                                with the extra smtp-sink OPTIONs (fault
#                                modes, see below) plus -v (log) and -d
#                                (one dump file per message), waits until it
#                                listens (5 s at most) and sets SINK_PORT.
#                                Returns 1 (with the log on stderr) if it
#                                does not come up.
#   sink_port NAME               its port
#   sink_stop NAME               stops it (TERM, bounded wait, then KILL)
#   sink_stop_all                stops every sink started here
#   sink_dumps NAME              paths of the dumped messages, one a line
#   sink_count NAME              how many messages it dumped
#   sink_connections NAME        how many SMTP sessions it accepted
#   sink_log NAME                its -v log (the SMTP dialogue, one command a
#                                line, e.g. "smtp-sink: MAIL FROM:<x@y>")
#   sink_body FILE               a dump without smtp-sink's own headers: the
#                                message as received, with LF line ends
#   sink_header FILE NAME        the value of one of smtp-sink's headers
#                                (X-Mail-Args, X-Rcpt-Args, X-Helo-Args)
#   sink_wait_count NAME N [SECONDS]  waits (default 5 s) until N dumps exist
#
# Fault modes (smtp-sink(1); checked with smtp-sink 3.7):
#   -r CMD[,CMD]  soft reject: "450 4.3.0 Error: command failed" (-b TEXT
#                 replaces the reply), e.g. -r RCPT, -r . (after the data)
#   -f CMD[,CMD]  hard reject: "500 5.3.0 Error: command failed" (-B TEXT)
#   -Q CMD        reply "421 4.0.0 Server closing connection" and hang up
#   -q CMD        hang up without a reply
#   -w SECONDS    wait before answering DATA (timeouts)
#   -f CONNECT    a 5xx greeting.
# CMD is HELO, EHLO, MAIL, RCPT, DATA, "." (end of data), RSET, QUIT, ...
#
# Beware: smtp-sink writes the dump when the final "." arrives, before it
# sends its reply, so with -r ., -f ., -Q . or -q . a message is dumped even
# though the client was told it failed.  Count accepted messages from the
# client's side (or from "250" replies), not from the dumps, in those modes.
#
# SINK_CAPTURE=0 (set before sink_start) starts a sink without -v and -d,
# for benchmarks: dumping costs a file per message, and then sink_count,
# sink_dumps and sink_connections have nothing to read.
#
# As root smtp-sink must drop privileges (-u): it runs as "nobody" (or
# "postfix") after binding.  Each sink is wrapped in timeout(1) with
# SINK_LIFETIME seconds (default 600) so that nothing outlives a killed test.

SINK_LIFETIME=${SINK_LIFETIME:-600}
SINK_CAPTURE=${SINK_CAPTURE:-1}
SINK_BASE=
SINK_NAMES=

sink_bin() {
	if [ -x /usr/sbin/smtp-sink ]; then
		echo /usr/sbin/smtp-sink
	else
		command -v smtp-sink 2>/dev/null
	fi
}

sink_available() {
	[ -n "$(sink_bin)" ]
}

sink_init() {
	SINK_BASE=$1
	mkdir -p "$SINK_BASE" || return 1
	chmod 0755 "$SINK_BASE"
	trap 'sink_stop_all' EXIT
	trap 'sink_stop_all; exit 130' INT TERM
}

# A free TCP port on 127.0.0.1: random, checked against the listeners.
sink_free_port() {
	_sp_i=0
	while [ $_sp_i -lt 100 ]; do
		_sp_p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom) % 40000) ))
		if ! ss -Hltn "sport = :$_sp_p" 2>/dev/null | grep -q .; then
			echo $_sp_p
			return 0
		fi
		_sp_i=$((_sp_i + 1))
	done
	return 1
}

sink_listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

sink_start() {
	_ss_name=$1
	shift
	_ss_dir=$SINK_BASE/$_ss_name
	_ss_bin=$(sink_bin)
	_ss_user=
	if [ "$(id -u)" = 0 ]; then
		if id nobody >/dev/null 2>&1; then
			_ss_user="-u nobody"
		else
			_ss_user="-u postfix"
		fi
	fi
	rm -rf "$_ss_dir"
	mkdir -p "$_ss_dir/dump" || return 1
	chmod 0755 "$_ss_dir"
	chmod 0777 "$_ss_dir/dump"
	_ss_try=0
	while [ $_ss_try -lt 5 ]; do
		_ss_try=$((_ss_try + 1))
		SINK_PORT=$(sink_free_port) || return 1
		if [ "$SINK_CAPTURE" = 1 ]; then
			# shellcheck disable=SC2086
			timeout "$SINK_LIFETIME" "$_ss_bin" $_ss_user -v \
				-d "$_ss_dir/dump/%Y%m%d%H%M%S." "$@" \
				"127.0.0.1:$SINK_PORT" 100 >"$_ss_dir/log" 2>&1 &
		else
			# shellcheck disable=SC2086
			timeout "$SINK_LIFETIME" "$_ss_bin" $_ss_user "$@" \
				"127.0.0.1:$SINK_PORT" 100 >"$_ss_dir/log" 2>&1 &
		fi
		echo $! >"$_ss_dir/pid"
		echo "$SINK_PORT" >"$_ss_dir/port"
		SINK_NAMES="$SINK_NAMES $_ss_name"
		_ss_i=0
		while [ $_ss_i -lt 50 ]; do
			if sink_listening "$SINK_PORT"; then
				return 0
			fi
			if ! kill -0 "$(cat "$_ss_dir/pid")" 2>/dev/null; then
				break # died: port taken, or a bad option
			fi
			sleep 0.1
			_ss_i=$((_ss_i + 1))
		done
		sink_stop "$_ss_name"
		if grep -q 'Address already in use' "$_ss_dir/log"; then
			continue
		fi
		break
	done
	echo "smtp-sink $_ss_name did not start:" >&2
	cat "$_ss_dir/log" >&2
	return 1
}

sink_port() {
	cat "$SINK_BASE/$1/port"
}

sink_stop() {
	_st_pidfile=$SINK_BASE/$1/pid
	[ -f "$_st_pidfile" ] || return 0
	_st_pid=$(cat "$_st_pidfile")
	rm -f "$_st_pidfile"
	kill -TERM "$_st_pid" 2>/dev/null || return 0
	_st_i=0
	while kill -0 "$_st_pid" 2>/dev/null && [ $_st_i -lt 50 ]; do
		sleep 0.1
		_st_i=$((_st_i + 1))
	done
	kill -KILL "$_st_pid" 2>/dev/null
	wait "$_st_pid" 2>/dev/null
	return 0
}

sink_stop_all() {
	for _sa_n in $SINK_NAMES; do
		sink_stop "$_sa_n"
	done
}

sink_dumps() {
	find "$SINK_BASE/$1/dump" -type f | sort
}

sink_count() {
	find "$SINK_BASE/$1/dump" -type f | wc -l | tr -d ' '
}

sink_connections() {
	grep -c ': connect (' "$SINK_BASE/$1/log"
}

sink_log() {
	cat "$SINK_BASE/$1/log"
}

# smtp-sink's headers end with its three-line Received: header; what follows,
# minus the empty line it appends, is the message.
sink_body() {
	awk '
		done { if (held) print prev; prev = $0; held = 1; next }
		inrcvd && /^[ \t]/ { next }
		inrcvd { done = 1; prev = $0; held = 1; next }
		/^Received: / { inrcvd = 1; next }
	' "$1"
}

sink_header() {
	awk -v name="$2" '
		/^Received: / { exit }
		index($0, name ": ") == 1 { print substr($0, length(name) + 3) }
	' "$1"
}

sink_wait_count() {
	_sw_i=0
	_sw_max=$(( ${3:-5} * 10 ))
	while [ "$(sink_count "$1")" -lt "$2" ] && [ $_sw_i -lt $_sw_max ]; do
		sleep 0.1
		_sw_i=$((_sw_i + 1))
	done
	[ "$(sink_count "$1")" -ge "$2" ]
}
