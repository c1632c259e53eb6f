# spamd.sh - a throw-away SpamAssassin spamd on loopback for redress's tests.
#
# Source it from a POSIX sh script, then:
#   spamd_available          0 if spamd (Debian package "spamd"; SPAMD_BIN
#                            to use another), its rules
#                            and python3 are there and, as root, an
#                            unprivileged account to run it as
#   spamd_start DIR [EXTRA]  writes its configuration into DIR (site config,
#                            home), starts spamd on a free 127.0.0.1 port
#                            with local tests only, and waits (at most
#                            SPAMD_START_WAIT s, default 60) until it answers
#                            PING.  EXTRA: lines appended to its local.cf
#                            (e.g. "required_score 3").  Sets SPAMD_DIR
#                            SPAMD_PORT SPAMD_PID, and installs an EXIT trap
#                            that calls spamd_stop and an INT/TERM trap that
#                            exits (set your own traps after spamd_start and
#                            call spamd_stop from yours).  Returns 1 with the
#                            reason on stderr.
#   spamd_stop               SIGTERM (spamd ends its children), bounded wait,
#                            then SIGKILL
#   spamd_client CMD [FILE]  tests/lib/spamc.py against it: CMD is PING,
#                            CHECK, SYMBOLS, REPORT, ...; the message on
#                            stdin or in FILE; prints spamd's answer (status
#                            line, headers, empty line, body)
#   spamd_score [FILE]       CHECK: prints "True 1003.3 5.0" (verdict,
#                            score, threshold) for the message
#   spamd_gtube              prints a message with GTUBE, the standard test
#                            string that every SpamAssassin scores 1000
#   spamd_log                prints spamd's log (one line a request:
#                            "spamd: result: Y 1003 - GTUBE,...")
#
# What the configuration does (DIR/site/local.cf, DIR/home):
# - "spamd -L": local tests only, no network test (no DNS blocklists, no
#   Razor/Pyzor/DCC), and "dns_available no" besides.
# - No Bayes (use_bayes 0, bayes_auto_learn 0): nothing learnt, nothing
#   written, the same score on every run; no auto-welcomelist.
# - Site config in DIR/site: a copy of the system's *.pre files (which
#   plugins load, as on the machine), but not its local.cf or the
#   distribution's own .cf (65_debian.cf): a machine's local settings do not
#   change the scores.  The rules are the ones the package ships
#   (/usr/share/spamassassin; SPAMD_RULES=DIR for others), not an sa-update
#   download in /var/lib/spamassassin, so a run is the same everywhere.
# - "-x" (no per-user config) and HOME and --helper-home-dir in DIR/home:
#   the ~/.spamassassin that spamd makes anyway is in DIR.
# - As root the whole of spamd (its parent too) runs as an unprivileged user
#   (SPAMD_USER, default debian-spamd, else nobody) through setpriv(1): a
#   port above 1024 needs no root, and started as root with -u, spamd keeps
#   its parent process as root.  DIR and its parents must be searchable by
#   that user (chmod 0755 a mktemp -d directory).
# - Few children (-m 2, one spare): the machine has 2 cores.
# - --timeout-tcp SPAMD_TIMEOUT_TCP (default 10) s for the request line,
#   --timeout-child SPAMD_TIMEOUT_CHILD (default 60) s for a check.
#
# spamd runs in the foreground of timeout(1) (SPAMD_LIFETIME s, default
# 600), so nothing outlives a test killed before its EXIT trap could run.
# It is a child of the test's shell: a bare "wait" waits for it too, i.e.
# until SPAMD_LIFETIME; wait for your own pids.  Its log (stderr, -s
# stderr) is DIR/spamd.log.
#
# Measured here (Debian bookworm, SpamAssassin 4.0.1, 2 cores shared with
# other test runs): the first PONG 1.4-2 s after the start (up to 4.5 s
# with three self-tests at once); spamd binds its port at once but answers
# only when its rules are compiled, hence the PING.  A CHECK of a small
# message takes about 0.1 s.

SPAMD_LIFETIME=${SPAMD_LIFETIME:-600}
SPAMD_START_WAIT=${SPAMD_START_WAIT:-60}
SPAMD_TIMEOUT_TCP=${SPAMD_TIMEOUT_TCP:-10}
SPAMD_TIMEOUT_CHILD=${SPAMD_TIMEOUT_CHILD:-60}
SPAMD_DIR=
SPAMD_PORT=
SPAMD_PID=
SPAMD_WRAPPER=

spamd_bin() {
	if [ -n "${SPAMD_BIN:-}" ]; then
		[ -x "$SPAMD_BIN" ] && echo "$SPAMD_BIN"
	elif [ -x /usr/sbin/spamd ]; then
		echo /usr/sbin/spamd
	else
		command -v spamd 2>/dev/null
	fi
}

spamd_rules() {
	if [ -n "${SPAMD_RULES:-}" ]; then
		echo "$SPAMD_RULES"
		return 0
	fi
	for _sr_d in /usr/share/spamassassin /usr/local/share/spamassassin; do
		if ls "$_sr_d"/*.cf >/dev/null 2>&1; then
			echo "$_sr_d"
			return 0
		fi
	done
	return 1
}

# Where the system's *.pre files are (Debian: /etc/spamassassin).
spamd_sysconf() {
	for _sc_d in /etc/spamassassin /etc/mail/spamassassin /usr/local/etc/mail/spamassassin; do
		if ls "$_sc_d"/*.pre >/dev/null 2>&1; then
			echo "$_sc_d"
			return 0
		fi
	done
	return 1
}

spamd_user() {
	if [ -n "${SPAMD_USER:-}" ]; then
		echo "$SPAMD_USER"
	elif id debian-spamd >/dev/null 2>&1; then
		echo debian-spamd
	elif id nobody >/dev/null 2>&1; then
		echo nobody
	else
		return 1
	fi
}

spamd_available() {
	[ -n "$(spamd_bin)" ] && spamd_rules >/dev/null && spamd_sysconf >/dev/null &&
		command -v python3 >/dev/null 2>&1 || return 1
	if [ "$(id -u)" = 0 ]; then
		spamd_user >/dev/null && command -v setpriv >/dev/null 2>&1
	fi
}

spamd_as_user() {
	if [ "$(id -u)" = 0 ]; then
		_su_u=$(spamd_user)
		env -u LD_PRELOAD -u FAKETIME setpriv --reuid="$_su_u" \
			--regid="$(id -g "$_su_u")" --init-groups -- "$@"
	else
		env -u LD_PRELOAD -u FAKETIME "$@"
	fi
}

# A free TCP port on 127.0.0.1: random, checked against the listeners.
spamd_free_port() {
	_sf_i=0
	while [ $_sf_i -lt 100 ]; do
		_sf_p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom) % 40000) ))
		if ! ss -Hltn "sport = :$_sf_p" 2>/dev/null | grep -q .; then
			echo $_sf_p
			return 0
		fi
		_sf_i=$((_sf_i + 1))
	done
	return 1
}

spamd_write_conf() {
	rm -rf "$SPAMD_DIR/site"
	mkdir -p "$SPAMD_DIR/site" "$SPAMD_DIR/home" || return 1
	cp "$(spamd_sysconf)"/*.pre "$SPAMD_DIR/site/" || return 1
	cat >"$SPAMD_DIR/site/local.cf" <<CONF
# throw-away test config written by tests/lib/spamd.sh
required_score 5.0
dns_available no
skip_rbl_checks 1
use_bayes 0
bayes_auto_learn 0
bayes_path $SPAMD_DIR/home/bayes
lock_method flock
report_safe 0
ifplugin Mail::SpamAssassin::Plugin::AWL
use_auto_whitelist 0
endif
ifplugin Mail::SpamAssassin::Plugin::TxRep
use_txrep 0
endif
ifplugin Mail::SpamAssassin::Plugin::Razor2
use_razor2 0
endif
ifplugin Mail::SpamAssassin::Plugin::Pyzor
use_pyzor 0
endif
$SPAMD_EXTRA
CONF
	chmod 0755 "$SPAMD_DIR/site" "$SPAMD_DIR/home"
	chmod 0644 "$SPAMD_DIR/site"/*
	if [ "$(id -u)" = 0 ]; then
		chown "$(spamd_user)" "$SPAMD_DIR/home" || return 1
	fi
}

spamd_run() {
	_sr_bin=$(spamd_bin)
	# spamd keeps the real clock under libfaketime (make check-future), as
	# Dovecot does: libfaketime's semaphore in /dev/shm is not the server
	# user's to open, and the date under test is redress's, not spamd's.
	(cd "$SPAMD_DIR" && exec env -u LD_PRELOAD -u FAKETIME timeout -k 10 "$SPAMD_LIFETIME" \
		sh -c 'if [ "$(id -u)" = 0 ]; then
				exec setpriv --reuid="$SPAMD_RUN_USER" --regid="$SPAMD_RUN_GROUP" \
					--init-groups -- "$@"
			else
				exec "$@"
			fi' spamd-server \
		env HOME="$SPAMD_DIR/home" "$_sr_bin" -L -x \
		--listen="127.0.0.1:$SPAMD_PORT" --allowed-ips=127.0.0.1 \
		--helper-home-dir="$SPAMD_DIR/home" \
		--siteconfigpath="$SPAMD_DIR/site" --configpath="$(spamd_rules)" \
		--max-children=2 --min-children=1 --min-spare=1 --max-spare=1 \
		--timeout-tcp="$SPAMD_TIMEOUT_TCP" --timeout-child="$SPAMD_TIMEOUT_CHILD" \
		--pidfile="$SPAMD_DIR/home/spamd.pid" --syslog=stderr) \
		>>"$SPAMD_DIR/spamd.log" 2>&1 &
	SPAMD_WRAPPER=$!
	echo "$SPAMD_WRAPPER" >"$SPAMD_DIR/wrapper.pid"
}

spamd_client() {
	python3 "${top_srcdir:-.}/tests/lib/spamc.py" --port "$SPAMD_PORT" "$@"
}

spamd_score() {
	spamd_client CHECK "$@" | sed -n 's/^Spam: *\([A-Za-z]*\) *; *\([-0-9.]*\) *\/ *\([-0-9.]*\).*/\1 \2 \3/p'
}

spamd_gtube() {
	printf 'From: Sender <sender@example.net>\n'
	printf 'To: complaints@example.com\n'
	printf 'Subject: Test spam mail (GTUBE)\n'
	printf 'Date: Mon, 3 Jun 2024 10:00:00 +0000\n'
	printf 'Message-ID: <gtube-1@example.net>\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n'
	printf 'This is the GTUBE, the Generic Test for Unsolicited Bulk Email.\n\n'
	printf 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n'
}

spamd_log() {
	cat "$SPAMD_DIR/spamd.log" 2>/dev/null
}

# Waits until spamd answers PING; 0 when it does, 1 when it died or the
# bound passed.
spamd_wait_ready() {
	_sw_i=0
	_sw_max=$((SPAMD_START_WAIT * 10))
	while [ $_sw_i -lt $_sw_max ]; do
		if spamd_client --timeout 5 PING 2>/dev/null | grep -q '^SPAMD/[0-9.]* 0 PONG'; then
			SPAMD_PID=$(pgrep -P "$SPAMD_WRAPPER" 2>/dev/null | head -1)
			return 0
		fi
		kill -0 "$SPAMD_WRAPPER" 2>/dev/null || return 1
		sleep 0.1
		_sw_i=$((_sw_i + 1))
	done
	return 1
}

spamd_start() {
	SPAMD_DIR=${1:?spamd_start DIR [EXTRA]}
	SPAMD_EXTRA=${2:-}
	mkdir -p "$SPAMD_DIR" || return 1
	SPAMD_DIR=$(cd "$SPAMD_DIR" && pwd) || return 1
	spamd_available || { echo "spamd_start: spamd is not installed" >&2; return 1; }
	if [ "$(id -u)" = 0 ]; then
		SPAMD_RUN_USER=$(spamd_user)
		SPAMD_RUN_GROUP=$(id -g "$SPAMD_RUN_USER")
		export SPAMD_RUN_USER SPAMD_RUN_GROUP
		if ! spamd_as_user test -x "$SPAMD_DIR"; then
			echo "spamd_start: $SPAMD_DIR is not searchable by $SPAMD_RUN_USER (chmod 0755 it and its parents)" >&2
			return 1
		fi
	fi
	spamd_write_conf || return 1
	if [ -z "${SPAMD_TRAP_SET:-}" ]; then
		trap 'spamd_stop' EXIT
		trap 'exit 130' INT TERM
		SPAMD_TRAP_SET=1
	fi
	: >>"$SPAMD_DIR/spamd.log"
	_ss_try=0
	while [ $_ss_try -lt 3 ]; do
		_ss_try=$((_ss_try + 1))
		SPAMD_PORT=$(spamd_free_port) || { echo "spamd_start: no free port" >&2; return 1; }
		_ss_mark=$(wc -l <"$SPAMD_DIR/spamd.log")
		spamd_run
		if spamd_wait_ready; then
			return 0
		fi
		spamd_stop
		if tail -n +$((_ss_mark + 1)) "$SPAMD_DIR/spamd.log" |
		   grep -qi 'address already in use\|could not create\|failed to create'; then
			echo "spamd_start: port $SPAMD_PORT taken, trying another" >&2
			continue
		fi
		break
	done
	echo "spamd_start: spamd did not answer PING within ${SPAMD_START_WAIT} s; log:" >&2
	tail -n +$((_ss_mark + 1)) "$SPAMD_DIR/spamd.log" >&2
	return 1
}

spamd_stop() {
	[ -n "$SPAMD_DIR" ] && [ -f "$SPAMD_DIR/wrapper.pid" ] || return 0
	_st_w=$(cat "$SPAMD_DIR/wrapper.pid")
	rm -f "$SPAMD_DIR/wrapper.pid"
	_st_p=$(pgrep -P "$_st_w" 2>/dev/null | head -1)
	if [ -n "$_st_p" ]; then
		_st_kids=$(pgrep -P "$_st_p" 2>/dev/null)
		kill -TERM "$_st_p" 2>/dev/null
		_st_i=0
		while kill -0 "$_st_p" 2>/dev/null && [ $_st_i -lt 100 ]; do
			sleep 0.1
			_st_i=$((_st_i + 1))
		done
		_st_kids="$_st_kids $(pgrep -P "$_st_p" 2>/dev/null)"
		kill -KILL "$_st_p" 2>/dev/null
		for _st_k in $_st_kids; do
			kill -KILL "$_st_k" 2>/dev/null
		done
	fi
	kill -KILL "$_st_w" 2>/dev/null
	wait "$_st_w" 2>/dev/null
	SPAMD_PID=
	return 0
}
