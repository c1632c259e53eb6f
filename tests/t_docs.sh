#!/bin/sh
# The manual keeps up with the code: every configuration key the program
# knows (from "redress config show") is documented in redress.conf(5), and
# every command in "redress --help" has an entry in redress(1).
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
man5="$top_srcdir/doc/redress.conf.5"
man1="$top_srcdir/doc/redress.1"
"$REDRESS" config show > keys.ini
section=
while IFS= read -r line; do
	case "$line" in
	"["*"]") section=${line#[}; section=${section%]} ;;
	";"*|"") ;;
	*) key=${line%% *}
	   # The key must appear as a roff item in its section's part of the page.
	   grep -q -- "^\.\(B\|TP\|IP\|BI\|BR\).*$key\|^$key\b\|\\\\fB$key\\\\f" "$man5"
	   ok $? "redress.conf(5) documents [$section] $key" ;;
	esac
done < keys.ini
for cmd in fetch filter ingest send tick run classify rules template case queue report config store; do
	grep -Eq "^(\\.B[IR]? \"?|\\\\fB)$cmd\\b" "$man1"
	ok $? "redress(1) documents the $cmd command"
done
done_testing
