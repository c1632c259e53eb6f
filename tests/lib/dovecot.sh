# dovecot.sh - a throw-away Dovecot on loopback for redress's integration tests.
#
# Source it from a test script (as root), then:
#   dovecot_available            0 if dovecot and doveadm are installed
#   dovecot_start DIR [EXTRA]    writes DIR/dovecot.conf, makes TLS certs and a
#                                user, starts Dovecot on two free 127.0.0.1 ports
#                                (imap with STARTTLS, imaps) and waits until it
#                                answers.  EXTRA: lines appended to the config
#                                (e.g. "imap_capability = IMAP4rev1 UIDPLUS").
#                                Sets DOVECOT_DIR DOVECOT_CONF DOVECOT_PORT
#                                DOVECOT_TLS_PORT DOVECOT_USER DOVECOT_PASS
#                                DOVECOT_PASSFILE DOVECOT_CA (the test CA),
#                                DOVECOT_MAILDIR.
#   dovecot_restart [EXTRA]      stop, then start again on the same DIR/ports
#   Variables read by dovecot_start: DOVECOT_CERT (which cert of
#   tests/data/tls/mkcerts.sh to serve: server (default) or expired),
#   DOVECOT_SSL=no (no TLS at all: no STARTTLS, no imaps listener).
#   dovecot_stop                 stops it (doveadm stop, then the master pid)
#   dovecot_append N [MAILBOX] [FIRST]
#                                writes N test messages straight into the
#                                maildir (fast; numbered from FIRST, default 1;
#                                each has "Message-ID: <test-K@redress.test>"
#                                and "X-Test-Number: K")
#   dovecot_save [MAILBOX] < MSG delivers one message through doveadm save
#                                (goes through Dovecot: IDLE clients notice)
#   dovecot_count MAILBOX [QUERY...]
#                                number of messages matching a doveadm search
#                                query (default ALL)
#   dovecot_uidvalidity MAILBOX  the mailbox's UIDVALIDITY
#   dovecot_doveadm ARGS...      doveadm with our config and user
#   dovecot_log                  prints the Dovecot log (for diagnostics)
#
# Safe under "set -e" (the bench uses it).
# Dovecot runs as root with default_login_user dovenull and the mail owned
# by the "dovecot" user (first_valid_uid = 1), so no system account is made.
# Everything (sockets, state, log, mail) lives under DIR.

DOVECOT_USER=${DOVECOT_USER:-complaints@example.com}
DOVECOT_PASS=${DOVECOT_PASS:-s3cret-test-pass}

dovecot_available() {
	command -v dovecot >/dev/null 2>&1 && command -v doveadm >/dev/null 2>&1 &&
		id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1
}

# A free TCP port on 127.0.0.1: random, checked against the listeners.
dovecot_free_port() {
	_p=
	_i=0
	while [ $_i -lt 100 ]; do
		_p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom) % 40000) ))
		if ! ss -Hltn "sport = :$_p" 2>/dev/null | grep -q .; then
			echo $_p
			return 0
		fi
		_i=$((_i + 1))
	done
	return 1
}

dovecot_write_conf() {
	if [ "${DOVECOT_SSL:-yes}" = no ]; then
		DOVECOT_SSL_CONF="ssl = no"
		DOVECOT_IMAPS_CONF=
	else
		DOVECOT_SSL_CONF="ssl = yes
ssl_cert = <$DOVECOT_DIR/tls/$DOVECOT_CERT.crt
ssl_key = <$DOVECOT_DIR/tls/$DOVECOT_CERT.key"
		DOVECOT_IMAPS_CONF="  inet_listener imaps {
    port = $DOVECOT_TLS_PORT
    ssl = yes
  }"
	fi
	cat > "$DOVECOT_CONF" <<CONF
# throw-away test config written by tests/lib/dovecot.sh
protocols = imap
listen = 127.0.0.1
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
info_log_path = $DOVECOT_DIR/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
$DOVECOT_SSL_CONF
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$DOVECOT_DIR/home/%n
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
# inotify may be missing in sandboxes: have IDLE look at least every second.
mailbox_idle_check_interval = 1 secs
service imap-login {
  chroot =
  inet_listener imap {
    port = $DOVECOT_PORT
  }
$DOVECOT_IMAPS_CONF
}
service anvil {
  chroot =
}
service stats {
  inet_listener http {
    port = 0
  }
}
$DOVECOT_EXTRA
CONF
}

# Starts Dovecot; tries again on fresh ports when a start fails (another
# test may take a free port between our check and Dovecot's bind), and
# says on stderr why each attempt failed.
dovecot_start() {
	_ds_try=1
	while :; do
		dovecot_start_once "$@" && return 0
		[ $_ds_try -ge 3 ] && return 1
		echo "dovecot_start: attempt $_ds_try failed, trying again on other ports" >&2
		DOVECOT_PORT=
		DOVECOT_TLS_PORT=
		_ds_try=$((_ds_try + 1))
		sleep 1
	done
}

dovecot_start_once() {
	DOVECOT_DIR=${1:?dovecot_start DIR}
	DOVECOT_EXTRA=${2:-}
	DOVECOT_CERT=${DOVECOT_CERT:-server}
	DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/home"
	if [ ! -f "$DOVECOT_DIR/tls/ca.crt" ]; then
		if ! sh "${top_srcdir:-.}/tests/data/tls/mkcerts.sh" "$DOVECOT_DIR/tls" \
			>"$DOVECOT_DIR/mkcerts.log" 2>&1; then
			echo "dovecot_start: making the test certificates failed:" >&2
			cat "$DOVECOT_DIR/mkcerts.log" >&2
			rm -rf "$DOVECOT_DIR/tls"
			return 1
		fi
	fi
	DOVECOT_CA=$DOVECOT_DIR/tls/ca.crt
	printf '%s:{PLAIN}%s\n' "$DOVECOT_USER" "$DOVECOT_PASS" > "$DOVECOT_DIR/passwd"
	DOVECOT_PASSFILE=$DOVECOT_DIR/imap.pass
	printf '%s\n' "$DOVECOT_PASS" > "$DOVECOT_PASSFILE"
	chmod 600 "$DOVECOT_PASSFILE"
	DOVECOT_MAILDIR=$DOVECOT_DIR/home/${DOVECOT_USER%%@*}/Maildir
	mkdir -p "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/tmp"
	chown -R dovecot:dovecot "$DOVECOT_DIR/home"
	if [ -z "${DOVECOT_PORT:-}" ]; then
		DOVECOT_PORT=$(dovecot_free_port) ||
			{ echo "dovecot_start: no free port" >&2; return 1; }
		DOVECOT_TLS_PORT=$(dovecot_free_port) ||
			{ echo "dovecot_start: no free port" >&2; return 1; }
		while [ "$DOVECOT_TLS_PORT" = "$DOVECOT_PORT" ]; do
			DOVECOT_TLS_PORT=$(dovecot_free_port) || return 1
		done
	fi
	dovecot_write_conf
	# Dovecot keeps the real clock when the tests run a year ahead under
	# libfaketime (make check-future): its login penalties and service
	# throttling misbehave on a faked clock (a LOGIN that never answers),
	# and the server's time is not what those tests are about.
	if ! env -u LD_PRELOAD -u FAKETIME dovecot -c "$DOVECOT_CONF" 2>"$DOVECOT_DIR/start.err"; then
		echo "dovecot_start: dovecot -c failed:" >&2
		cat "$DOVECOT_DIR/start.err" >&2
		dovecot_stop 2>/dev/null
		return 1
	fi
	# Wait (at most 20 s: CI runs tests two at a time, under ASan too)
	# until both listeners answer.
	_i=0
	while [ $_i -lt 200 ]; do
		if ss -Hltn "sport = :$DOVECOT_PORT" 2>/dev/null | grep -q . &&
		   { [ "${DOVECOT_SSL:-yes}" = no ] ||
		     ss -Hltn "sport = :$DOVECOT_TLS_PORT" 2>/dev/null | grep -q .; }; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "dovecot did not start listening; log:" >&2
	cat "$DOVECOT_DIR/dovecot.log" >&2 2>/dev/null
	dovecot_stop
	return 1
}

dovecot_stop() {
	[ -n "${DOVECOT_CONF:-}" ] && [ -f "$DOVECOT_CONF" ] || return 0
	_pid=$(cat "$DOVECOT_DIR/run/master.pid" 2>/dev/null) || _pid=
	doveadm -c "$DOVECOT_CONF" stop >/dev/null 2>&1 ||
		{ [ -n "$_pid" ] && kill "$_pid" 2>/dev/null; } || :
	# Wait (at most 5 s) for the master to go, then insist.
	if [ -n "$_pid" ]; then
		_i=0
		while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_pid" 2>/dev/null || :
	fi
	return 0
}

dovecot_restart() {
	dovecot_stop
	dovecot_start "$DOVECOT_DIR" "${1:-}"
}

dovecot_doveadm() {
	doveadm -c "$DOVECOT_CONF" "$@"
}

# The maildir folder for a mailbox name (Maildir++ layout: .Name).
dovecot_folder() {
	case ${1:-INBOX} in
	INBOX) echo "$DOVECOT_MAILDIR" ;;
	*) echo "$DOVECOT_MAILDIR/.$(echo "$1" | tr / .)" ;;
	esac
}

dovecot_message() {
	# $1 = number; a small, realistic complaint.
	printf 'Return-Path: <customer%d@example.net>\n' "$1"
	printf 'Received: from mx.example.net by mail.example.com; Mon, 3 Jun 2024 10:00:00 +0000\n'
	printf 'From: Customer %d <customer%d@example.net>\n' "$1" "$1"
	printf 'To: complaints@example.com\n'
	printf 'Subject: Complaint number %d: parcel not delivered\n' "$1"
	printf 'Date: Mon, 3 Jun 2024 10:00:00 +0000\n'
	printf 'Message-ID: <test-%d@redress.test>\n' "$1"
	printf 'X-Test-Number: %d\n' "$1"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello,\n\nmy parcel (order %d) has not arrived after three weeks.\n' "$1"
	printf 'Please help me.\n\nRegards,\nCustomer %d\n' "$1"
}

dovecot_append() {
	_n=${1:?dovecot_append N [MAILBOX] [FIRST]}
	_box=${2:-INBOX}
	_first=${3:-1}
	_d=$(dovecot_folder "$_box")
	if [ ! -d "$_d/new" ]; then
		if [ "$_box" = INBOX ]; then
			mkdir -p "$_d/new" "$_d/cur" "$_d/tmp"
		else
			dovecot_doveadm mailbox create -u "$DOVECOT_USER" "$_box" || return 1
		fi
	fi
	_t=$(date +%s)
	_k=$_first
	_last=$((_first + _n - 1))
	while [ $_k -le $_last ]; do
		dovecot_message $_k > "$_d/tmp/$_t.M${_k}P$$.redress-test"
		mv "$_d/tmp/$_t.M${_k}P$$.redress-test" "$_d/new/"
		_k=$((_k + 1))
	done
	chown -R dovecot:dovecot "$_d"
}

dovecot_save() {
	dovecot_doveadm save -u "$DOVECOT_USER" -m "${1:-INBOX}"
}

dovecot_count() {
	_box=${1:?dovecot_count MAILBOX [QUERY]}
	shift
	[ $# -gt 0 ] || set -- ALL
	dovecot_doveadm search -u "$DOVECOT_USER" mailbox "$_box" "$@" 2>/dev/null | wc -l
}

dovecot_uidvalidity() {
	dovecot_doveadm -f flow mailbox status -u "$DOVECOT_USER" uidvalidity "${1:-INBOX}" |
		sed 's/.*uidvalidity=//'
}

dovecot_log() {
	cat "$DOVECOT_DIR/dovecot.log" 2>/dev/null
}
