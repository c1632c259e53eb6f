#!/bin/sh
# contrib/bash-completion/redress: the commands, the case subcommands and
# their options, the words --state, --sort and --format take, the store
# subcommands and their files, and the agents of [agents] for --owner and "case assign ID".
. "$top_srcdir/tests/lib/tap.sh"
command -v bash >/dev/null 2>&1 || skip_all "bash is not installed"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
printf '[agents]\nalice = alice@example.com\nbob = bob@example.com\n' > redress.conf
# comp WORD...: what completing the last word offers, sorted, on one line.
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _redress
		 printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		sh "$top_srcdir/contrib/bash-completion/redress" "$REDRESS" "$@"
}
is "$(comp c)" "case classify config " "commands"
is "$(comp case "")" "assign complaint link list merge note recategorize reopen reply resolve respond show unassign wait " \
   "every case subcommand"
is "$(comp case re)" "recategorize reopen reply resolve respond " "case subcommands"
is "$(comp case list --s)" "--search --since --sort --state " "case list options"
is "$(comp case list --state m)" "merged " "the states, merged among them"
is "$(comp case list --sort "")" "created due priority " "the sort orders"
is "$(comp queue list --format "")" "csv json table " "the formats"
is "$(comp case list --owner "")" "alice bob " "--owner offers the agents of [agents]"
is "$(comp case assign 12 "")" "alice bob " "so does case assign ID"
is "$(comp case reply 3 --)" "--cc --edit --file --template " "case reply options"
is "$(comp s)" "send store " "commands: store among them"
is "$(comp store "")" "export import " "the store subcommands"
is "$(comp store export -)" "--output -o " "store export's option"
: > dump.jsonl
is "$(comp store export -o du)" "dump.jsonl " "store export -o takes a file"
is "$(comp store import du)" "dump.jsonl " "store import takes a file"
done_testing
