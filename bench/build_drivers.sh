#!/bin/sh
# build_drivers.sh - build the classify drivers the rules benches use.
#
# usage: bench/build_drivers.sh DIR
# Builds DIR/classify_batch (narratives as bodies, bench/classify_batch.c)
# and DIR/classify_mail_batch (mail files, bench/classify_mail_batch.c) from
# the C sources in src/ with cc and pkg-config, as bench/classify_quality.sh
# does: the same classifier redress runs, nothing else linked.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: bench/build_drivers.sh DIR}
cc=${CC:-cc}
mkdir -p "$dir"
cat > "$dir/autoconfig.h" <<'H'
#define PCRE2_CODE_UNIT_WIDTH 8
#define PACKAGE_VERSION "bench"
#define _GNU_SOURCE 1
H
core="$top/src/policy/classify*.c $top/src/base/*.c $top/src/model/*.c"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -O2 -D_GNU_SOURCE -I"$dir" -I"$top/src" $(pkg-config --cflags libpcre2-8 gnutls) \
	"$top/bench/classify_batch.c" $core \
	-o "$dir/classify_batch" $(pkg-config --libs libpcre2-8 gnutls) -lm
# Debian's libetpan.pc carries -specs=...no-pie-link.specs: drop it (as configure.ac does).
etpan_cflags=$(pkg-config --cflags libetpan | sed -e 's/-specs=[^ ]*//g')
etpan_libs=$(pkg-config --libs libetpan | sed -e 's/-specs=[^ ]*//g')
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -O2 -D_GNU_SOURCE -I"$dir" -I"$top/src" $(pkg-config --cflags libpcre2-8 gnutls) \
	$etpan_cflags "$top/bench/classify_mail_batch.c" "$top"/src/mail/message*.c "$top"/src/mail/rfc2047.c \
	"$top/src/mail/charset.c" "$top/src/mail/html.c" $core \
	-o "$dir/classify_mail_batch" $(pkg-config --libs libpcre2-8 gnutls) $etpan_libs -lm
