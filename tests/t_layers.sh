#!/bin/sh
# t_layers.sh - the layers of src/ (doc/architecture.md) stay layers: a
# file includes headers of its own folder and of the folders below it,
# never of one above, and a module's internal header (*_int.h) only from
# its own folder.  Lowest first:
#
#   base model mail policy store net config case cmd   (main.c: all)
#
# A new module goes in the lowest folder whose headers are all it needs;
# this test says so when it does not.
. "$top_srcdir/tests/lib/tap.sh"

layers="base model mail policy store net config case cmd"
rank() { # rank LAYER: its position, from 1
	n=0
	for l in $layers; do
		n=$((n + 1))
		[ "$l" = "$1" ] && { echo $n; return; }
	done
	echo 0
}

cd "$top_srcdir/src" || exit 1
for dir in $layers; do
	r=$(rank "$dir")
	up=
	inner=
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		for inc in $(sed -n 's/^#include "\([a-z]*\)\/\([a-z_]*\.h\)"$/\1\/\2/p' "$f"); do
			l=${inc%%/*}
			ir=$(rank "$l")
			if [ "$ir" = 0 ] || [ "$ir" -gt "$r" ]; then
				up="$up $f:$inc"
			fi
			case $inc in
			*_int.h) [ "$l" = "$dir" ] || inner="$inner $f:$inc" ;;
			esac
		done
	done
	ok "$([ -z "$up" ]; echo $?)" "src/$dir includes nothing above it${up:+:$up}"
	ok "$([ -z "$inner" ]; echo $?)" "src/$dir uses no other folder's internal header${inner:+:$inner}"
done
stray=$(ls -d */ | tr -d / | while read -r d; do
	case " $layers " in *" $d "*) ;; *) echo "$d" ;; esac; done)
ok "$([ -z "$stray" ]; echo $?)" "every folder of src/ is a layer of this list${stray:+ (not: $stray)}"
done_testing
