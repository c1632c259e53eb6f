#!/bin/sh
# mkcerts.sh DIR - makes a throw-away test CA and server certificates in DIR.
#
# Nothing here is a secret that matters: the keys are made fresh at test
# time, live in the test's temporary directory and die with it.  Files:
#   ca.crt                       the test CA (what imap ca_file points at)
#   server.crt / server.key      for "localhost" only (DNS SAN localhost, no
#                                IP SAN: connecting to 127.0.0.1 is a name
#                                mismatch)
#   expired.crt / expired.key    for "localhost", signed by the CA, expired
#                                in 2021
#   other-ca.crt                 a second CA that signed nothing we serve
# Needs openssl(1) (or GnuTLS certtool when openssl is missing).
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"

if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
		-days 2 -subj "/CN=redress test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key \
		-out other-ca.crt -days 2 -subj "/CN=redress other CA" \
		-addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
	cat > ext.cnf <<'EXT'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
EXT
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
		-subj "/CN=localhost" 2>/dev/null
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
		-CAcreateserial -days 2 -extfile ext.cnf -out server.crt 2>/dev/null
	# An expired certificate needs fixed dates: openssl ca can set them.
	mkdir -p ca.db
	: > ca.db/index.txt
	echo 1000 > ca.db/serial
	cat > ca.cnf <<CA
[ ca ]
default_ca = test
[ test ]
dir = $dir/ca.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = ext
[ anything ]
commonName = supplied
[ ext ]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
CA
	openssl req -newkey rsa:2048 -nodes -keyout expired.key \
		-out expired.csr -subj "/CN=localhost" 2>/dev/null
	openssl ca -batch -config ca.cnf -in expired.csr -out expired.crt \
		-startdate 20200101000000Z -enddate 20210101000000Z \
		-notext 2>/dev/null
elif command -v certtool >/dev/null 2>&1; then
	certtool --generate-privkey --outfile ca.key 2>/dev/null
	printf 'cn = "redress test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' > ca.tmpl
	certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl \
		--outfile ca.crt 2>/dev/null
	certtool --generate-privkey --outfile other-ca.key 2>/dev/null
	printf 'cn = "redress other CA"\nca\ncert_signing_key\nexpiration_days = 2\n' > other.tmpl
	certtool --generate-self-signed --load-privkey other-ca.key \
		--template other.tmpl --outfile other-ca.crt 2>/dev/null
	certtool --generate-privkey --outfile server.key 2>/dev/null
	printf 'cn = "localhost"\ndns_name = "localhost"\ntls_www_server\nexpiration_days = 2\n' > srv.tmpl
	certtool --generate-certificate --load-privkey server.key \
		--load-ca-certificate ca.crt --load-ca-privkey ca.key \
		--template srv.tmpl --outfile server.crt 2>/dev/null
	certtool --generate-privkey --outfile expired.key 2>/dev/null
	printf 'cn = "localhost"\ndns_name = "localhost"\ntls_www_server\nactivation_date = "2020-01-01 00:00:00"\nexpiration_date = "2021-01-01 00:00:00"\n' > exp.tmpl
	certtool --generate-certificate --load-privkey expired.key \
		--load-ca-certificate ca.crt --load-ca-privkey ca.key \
		--template exp.tmpl --outfile expired.crt 2>/dev/null
else
	echo "mkcerts.sh: neither openssl nor certtool found" >&2
	exit 1
fi
chmod 600 ./*.key
