#!/bin/sh
# t_smtp_tls.sh - the SMTP mailer's TLS and AUTH paths (TAP).
#
# smtp-sink has neither TLS nor a working AUTH, so this runs
# tests/lib/fake_smtp.py with a throw-away CA: STARTTLS and smtps:// with
# certificate verification (ca_file, unknown issuer, wrong host name), AUTH
# PLAIN and LOGIN that really succeed, a wrong password, one login for a
# batch, and no credential in any output.  Skips when python3 or openssl
# is missing.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DRIVER=$top_builddir/tests/smtp_send
FAKE=$top_srcdir/tests/lib/fake_smtp.py

if ! command -v python3 >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 or openssl missing"
	exit 0
fi
if [ ! -x "$DRIVER" ]; then
	echo "1..0 # SKIP $DRIVER not built"
	exit 0
fi

WORK=$(mktemp -d /tmp/t_smtp_tls.XXXXXX) || exit 1
SERVERS=
stop_all() {
	for _p in $SERVERS; do
		kill "$_p" 2>/dev/null
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	SERVERS=
}
trap 'stop_all; [ -n "$KEEP" ] || rm -rf "$WORK"' EXIT
trap 'stop_all; rm -rf "$WORK"; exit 130' INT TERM

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}

# --- a CA, a server certificate for localhost, one for another name --------
(
	cd "$WORK" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=redress test CA" \
		-keyout ca.key -out ca.pem
	for name in localhost other.example; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
			-keyout "$name.key" -out "$name.csr"
		printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n' "$name" >"$name.ext"
		openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile "$name.ext" -out "$name.pem"
	done
) >"$WORK/openssl.log" 2>&1 || {
	echo "1..0 # SKIP could not make test certificates"
	exit 0
}

USER_NAME=agent@example.com
SECRET='Tls-s3cret/Pass'
printf '%s\n' "$SECRET" >"$WORK/pw"
chmod 600 "$WORK/pw"

# start NAME TLS CERT [fake_smtp options...]: sets PORT, DIR
start() {
	DIR=$WORK/$1
	_tls=$2
	_cert=$3
	shift 3
	mkdir -p "$DIR"
	timeout 300 python3 "$FAKE" --dir "$DIR" --tls "$_tls" \
		--cert "$WORK/$_cert.pem" --key "$WORK/$_cert.key" \
		--user "$USER_NAME" --password "$SECRET" "$@" >"$DIR/stderr" 2>&1 &
	SERVERS="$SERVERS $!"
	_i=0
	while [ ! -f "$DIR/port" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ ! -f "$DIR/port" ]; then
		echo "Bail out! fake_smtp.py did not start: $(cat "$DIR/stderr")"
		exit 1
	fi
	PORT=$(cat "$DIR/port")
}

# conf NAME URL [LINES...]
conf() {
	_c=$WORK/$1.conf
	printf '[smtp]\nurl = %s\ntimeout = 5\n' "$2" >"$_c"
	shift 2
	for _l in "$@"; do
		printf '%s\n' "$_l" >>"$_c"
	done
	echo "$_c"
}

send() {
	_o=$1
	shift
	timeout 60 "$DRIVER" "$@" >"$WORK/$_o.out" 2>"$WORK/$_o.err"
}

# no credential, nor its base64 forms, in a file
no_secrets() {
	_leaks=0
	for _s in "$SECRET" "$(printf '%s' "$SECRET" | base64 -w0)" \
		"$(printf '%s' "$USER_NAME" | base64 -w0)" \
		"$(printf '\000%s\000%s' "$USER_NAME" "$SECRET" | base64 -w0)" \
		"$(printf '%s\000%s\000%s' "$USER_NAME" "$USER_NAME" "$SECRET" | base64 -w0)" \
		"VXNlcm5hbWU6" "UGFzc3dvcmQ6" "> AUTH"; do
		for _f in "$@"; do
			if grep -qF -- "$_s" "$_f"; then
				echo "# $_f shows $_s"
				_leaks=$((_leaks + 1))
			fi
		done
	done
	return $_leaks
}

printf 'Subject: over TLS\r\nTo: <customer@example.org>\r\n\r\n.dot\r\nbody\r\n' >"$WORK/m.eml"

# --- STARTTLS + AUTH PLAIN, verified against ca_file -------------------------
start starttls starttls localhost
c=$(conf starttls "smtp://localhost:$PORT" "user = $USER_NAME" \
	"password_file = $WORK/pw" "ca_file = $WORK/ca.pem")
send starttls -v -n 5 -m "$WORK/m.eml" "$c"
is "$(grep -c ' ok$' "$WORK/starttls.out")" 5 "STARTTLS + AUTH PLAIN + ca_file: 5 sent"
is "$(tail -n 1 "$WORK/starttls.out")" "connections 1" "  over one connection"
is "$(grep -c '^tls$' "$DIR/log")" 1 "  one TLS handshake"
is "$(grep -c '^auth ok PLAIN$' "$DIR/log")" 1 "  one successful login (PLAIN)"
cmp -s "$DIR/msg-1.eml" "$WORK/m.eml"
ok $? "  message byte-identical"
no_secrets "$WORK/starttls.out" "$WORK/starttls.err"
ok $? "  no credential in the output or the debug log"

# --- AUTH LOGIN: the 334 challenges stay hidden too --------------------------
start login starttls localhost --mech LOGIN
c=$(conf login "smtp://localhost:$PORT" "user = $USER_NAME" \
	"password_file = $WORK/pw" "ca_file = $WORK/ca.pem")
send login -v -m "$WORK/m.eml" "$c"
is "$(head -n 1 "$WORK/login.out")" "1 ok" "STARTTLS + AUTH LOGIN: sent"
is "$(grep -c '^auth ok LOGIN$' "$DIR/log")" 1 "  logged in with LOGIN"
grep -q '334 (authentication challenge hidden)' "$WORK/login.err"
ok $? "  challenges shown as hidden in the debug log"
no_secrets "$WORK/login.out" "$WORK/login.err"
ok $? "  no credential in the output or the debug log"

# --- smtps:// (implicit TLS) -------------------------------------------------
start implicit implicit localhost
c=$(conf implicit "smtps://localhost:$PORT" "user = $USER_NAME" \
	"password_file = $WORK/pw" "ca_file = $WORK/ca.pem")
send implicit -m "$WORK/m.eml" "$c"
is "$(head -n 1 "$WORK/implicit.out")" "1 ok" "smtps:// + AUTH: sent"
is "$(grep -c '^tls$' "$DIR/log")" 1 "  TLS from the first byte"
c=$(conf implicit2 "smtps://localhost:$PORT" "tls = implicit" "user = $USER_NAME" \
	"password_file = $WORK/pw" "ca_file = $WORK/ca.pem")
send implicit2 -m "$WORK/m.eml" "$c"
is "$(head -n 1 "$WORK/implicit2.out")" "1 ok" "  tls = implicit said explicitly: same"

# --- verification failures are configuration errors --------------------------
start untrusted starttls localhost
c=$(conf untrusted "smtp://localhost:$PORT" "user = $USER_NAME" "password_file = $WORK/pw")
send untrusted -m "$WORK/m.eml" "$c"
grep -q "^1 config localhost:$PORT: TLS certificate not trusted: " "$WORK/untrusted.out"
ok $? "unknown CA (system store): config failure"
is "$(grep -c '^auth' "$DIR/log")" 0 "  no login attempted"
is "$(grep -c '^mail' "$DIR/log")" 0 "  no MAIL FROM"

start wrongname starttls other.example
c=$(conf wrongname "smtp://localhost:$PORT" "user = $USER_NAME" \
	"password_file = $WORK/pw" "ca_file = $WORK/ca.pem")
send wrongname -m "$WORK/m.eml" "$c"
grep -q "^1 config localhost:$PORT: TLS certificate not trusted: " "$WORK/wrongname.out"
ok $? "certificate for another host name: config failure"
[ $? -eq 0 ] || sed 's/^/# /' "$WORK/wrongname.out"
is "$(grep -c '^auth' "$DIR/log")" 0 "  no login attempted"

c=$(conf badca "smtp://localhost:$PORT" "ca_file = $WORK/no-such-ca.pem")
send badca -m "$WORK/m.eml" "$c"
grep -q "^1 config localhost:$PORT: \[smtp\] ca_file cannot be used: " "$WORK/badca.out"
ok $? "missing ca_file: config failure"

# --- wrong password ------------------------------------------------------------
start badpw starttls localhost
printf 'not-the-password\n' >"$WORK/badpw.txt"
chmod 600 "$WORK/badpw.txt"
c=$(conf badpw "smtp://localhost:$PORT" "user = $USER_NAME" \
	"password_file = $WORK/badpw.txt" "ca_file = $WORK/ca.pem")
send badpw -v -m "$WORK/m.eml" "$c"
is "$(head -n 1 "$WORK/badpw.out")" \
	"1 config localhost:$PORT: login refused: 535 5.7.8 Error: authentication failed" \
	"wrong password: config failure with the server's reply"
grep -qF 'not-the-password' "$WORK/badpw.out" "$WORK/badpw.err"
ok $(( $? == 0 )) "  the wrong password is not shown either"

# --- no user configured, server requires AUTH -----------------------------------
start noauth starttls localhost
c=$(conf noauth "smtp://localhost:$PORT" "ca_file = $WORK/ca.pem")
send noauth -m "$WORK/m.eml" "$c"
is "$(head -n 1 "$WORK/noauth.out")" "1 config 530 5.7.0 Authentication required" \
	"server wants AUTH, none configured: config failure"

stop_all
echo "1..$n"
[ $failed -eq 0 ]
