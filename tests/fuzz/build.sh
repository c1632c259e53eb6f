#!/bin/sh
# build.sh - builds the libFuzzer targets with clang, ASan and UBSan.
#
#   tests/fuzz/build.sh OUTDIR [SRCDIR [BUILDDIR]]
#
# SRCDIR is the source tree (default: this script's ../..; or $top_srcdir),
# BUILDDIR a configured build directory holding autoconfig.h (default
# $top_builddir, else SRCDIR).  Every src/*/*.c except src/cmd/ (the
# library that redress itself is made of) is compiled with
# -fsanitize=fuzzer-no-link,address,undefined into OUTDIR/obj, and each
# target OUTDIR/fuzz_{message,rules,template,compose} is linked against it.
# Objects are rebuilt only when a source or header under src/ or
# tests/fuzz/ is newer.  CC (default clang) and FUZZ_JOBS (default 2) may
# be set; FUZZ_SANITIZERS (default address,undefined) chooses the
# sanitizers.  Exits non-zero when anything fails to build.
set -eu
out=${1:?usage: build.sh OUTDIR [SRCDIR [BUILDDIR]]}
src=${2:-${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}}
bld=${3:-${top_builddir:-$src}}
cc=${CC_FUZZ:-clang}
jobs=${FUZZ_JOBS:-2}
san=${FUZZ_SANITIZERS:-address,undefined}

if [ ! -f "$bld/autoconfig.h" ]; then
	echo "build.sh: no autoconfig.h in $bld: run configure there first" >&2
	exit 1
fi
mods="libetpan libcurl libpcre2-8 sqlite3 gnutls inih libpq"
# Debian's libetpan.pc carries -specs=...no-pie-link.specs (see configure.ac).
pc_cflags=$(pkg-config --cflags $mods | sed -e 's/-specs=[^ ]*//g')
pc_libs=$(pkg-config --libs $mods | sed -e 's/-specs=[^ ]*//g')
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,$san \
-fno-sanitize-recover=all -DREDRESS_LIBFUZZER \
-DREDRESS_DATADIR=\"$src\" -DREDRESS_SYSCONFDIR=\"/nonexistent\" \
-Wall -Wextra -Wno-unused-parameter \
-I$bld -I$src/src -I$src/tests/fuzz $pc_cflags"

mkdir -p "$out/obj"
# The newest header: an object older than it is rebuilt.
newest=$(ls -t "$src"/src/*/*.h "$src"/tests/fuzz/*.h "$bld/autoconfig.h" | head -1)

list=$out/obj/sources
: > "$list"
# The objects of the sources there are now: one left by a source since
# removed or moved is not linked.
libobjs=
for f in "$src"/src/*/*.c "$src"/tests/fuzz/*.c; do
	case $f in "$src"/src/cmd/*) continue ;; esac
	b=$(basename "$f" .c)
	o=$out/obj/$b.o
	case $b in fuzz_*) ;; *) libobjs="$libobjs $o" ;; esac
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$newest" -nt "$o" ]; then
		printf '%s\n' "$f" >> "$list"
	fi
done
export cc cflags out
# shellcheck disable=SC2016
xargs -r -P "$jobs" -n 1 sh -c '
	b=$(basename "$1" .c)
	$cc $cflags -c "$1" -o "$out/obj/$b.o.tmp" && mv "$out/obj/$b.o.tmp" "$out/obj/$b.o"
' sh < "$list"

for t in message rules template compose; do
	# shellcheck disable=SC2086
	$cc -fsanitize=fuzzer,$san -o "$out/fuzz_$t" "$out/obj/fuzz_$t.o" \
		"$out/obj/fuzz_common.o" $libobjs $pc_libs -lm
done
