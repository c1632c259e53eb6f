#!/bin/sh
# smtp_bench.sh - raw mailer throughput into Postfix's smtp-sink.
#
#   bench/smtp_bench.sh [-p] [-n COUNT] [-M MSMTP_COUNT] [-r ROUNDS] [-o TABLE.md] [BUILDDIR]
#
# Sends COUNT (default 10000) reply-sized messages (1.6 KB, one recipient
# each) to a local smtp-sink (no dumping, no logging: the client is what is
# measured) four ways, and prints messages/s and ratios:
#
#   redress   tests/smtp_send: one mailer, one connection for the batch
#   pipeline  redress send --once on a store holding COUNT queued acks (COUNT
#             complaints ingested beforehand, not timed): claims, renders,
#             composes, delivers and records each ack, the whole send
#   pg        with -p: the same pipeline on a PostgreSQL store, a throw-away
#             server (tests/lib/pg.sh) run with fsync = on, so that each
#             commit costs what it would on a real server; the acks are
#             ingested once into a template database (not timed) and each
#             round sends from a fresh copy (CREATE DATABASE ... TEMPLATE)
#   floor     smtp-source -d: Postfix's load generator, one session,
#             messages back to back on one connection (what the protocol
#             allows without pipelining)
#   msmtp     one msmtp process per message (how a shell script would do it),
#             MSMTP_COUNT messages (default COUNT), skipped when msmtp is
#             not installed
#
# redress, the pipeline and smtp-source run ROUNDS times (default 3),
# interleaved (each pipeline round on a fresh copy of the same store), and the
# best round of each counts: both are client and server on one machine, and
# whatever else runs there only ever slows a round down.  Every round is
# printed.
#
# Targets (issue 5): redress >= 10x msmtp, >= 0.5x smtp-source; (issue 17)
# the pipeline >= 0.5x smtp-source.  -o writes the best rounds as a markdown
# table to TABLE.md as well.
# BUILDDIR (default ".") holds tests/smtp_send.  Exit 0 when the messages
# went through, whatever the ratios; 77 when smtp-sink is missing.

COUNT=10000
MSMTP_COUNT=
ROUNDS=3
TABLE=
PG=0
while getopts pn:M:r:o: opt; do
	case $opt in
	p) PG=1 ;;
	n) COUNT=$OPTARG ;;
	M) MSMTP_COUNT=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	o) TABLE=$OPTARG ;;
	*) echo "usage: $0 [-p] [-n COUNT] [-M MSMTP_COUNT] [-r ROUNDS] [-o TABLE.md] [BUILDDIR]" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
MSMTP_COUNT=${MSMTP_COUNT:-$COUNT}
BUILDDIR=$(cd "${1:-.}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
top_srcdir=${top_srcdir:-$here}
DRIVER=$BUILDDIR/tests/smtp_send

. "$top_srcdir/tests/lib/smtp-sink.sh"

if ! sink_available; then
	echo "smtp_bench: smtp-sink not installed (apt-get install postfix)" >&2
	exit 77
fi
SOURCE=/usr/sbin/smtp-source
[ -x "$SOURCE" ] || SOURCE=$(command -v smtp-source)
if [ ! -x "$DRIVER" ]; then
	echo "smtp_bench: $DRIVER not built (make tests/smtp_send)" >&2
	exit 66
fi

if [ "$PG" = 1 ]; then
	. "$top_srcdir/tests/lib/pg.sh"
	if ! pg_available; then
		echo "smtp_bench: -p: PostgreSQL not installed" >&2
		exit 77
	fi
fi

WORK=$(mktemp -d /tmp/smtp_bench.XXXXXX) || exit 1
chmod 0755 "$WORK"
SINK_CAPTURE=0
sink_init "$WORK/sinks"
if [ "$PG" = 1 ]; then
	# The bench's whole length, not the default 900 s.
	PG_LIFETIME=${PG_LIFETIME:-7200}
	if ! pg_start "$WORK/pg" "fsync = on" >"$WORK/pg.log" 2>&1; then
		echo "smtp_bench: pg_start failed:" >&2
		cat "$WORK/pg.log" >&2
		rm -rf "$WORK"
		exit 1
	fi
fi
cleanup() { sink_stop_all; [ "$PG" = 1 ] && pg_stop_all; rm -rf "$WORK"; }
trap 'cleanup' EXIT
trap 'cleanup; trap - EXIT; exit 130' INT TERM

# One reply-sized message, LF and CRLF versions (smtp-source and msmtp add
# the CR themselves).
{
	printf '%s\n' \
		'From: Customer Care <care@example.com>' \
		'To: <customer@example.org>' \
		'Subject: We are sorry about your order [case 000123]' \
		'Date: Mon, 23 Nov 2026 16:30:00 +0000' \
		'Message-ID: <case-000123.1.x@redress.test>' \
		'In-Reply-To: <CAF00-customer@mail.example.org>' \
		'References: <CAF00-customer@mail.example.org>' \
		'Auto-Submitted: auto-replied' \
		'X-Auto-Response-Suppress: All' \
		'MIME-Version: 1.0' \
		'Content-Type: text/plain; charset=utf-8' \
		'Content-Transfer-Encoding: quoted-printable' \
		''
	i=0
	while [ $i -lt 18 ]; do
		printf 'Line %02d: thank you for writing to us; we are sorry for the trouble.\n' $i
		i=$((i + 1))
	done
	printf '%s\n' '' '-- ' 'Customer Care'
} >"$WORK/msg.lf"
sed 's/$/\r/' "$WORK/msg.lf" >"$WORK/msg.crlf"
size=$(wc -c <"$WORK/msg.crlf" | tr -d ' ')

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "smtp_bench: $COUNT messages of $size bytes into smtp-sink on 127.0.0.1"

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

run_redress() {
	sink_start redress || exit 1
	printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\n' "$SINK_PORT" >"$WORK/redress.conf"
	t0=$(now)
	"$DRIVER" -n "$COUNT" -m "$WORK/msg.crlf" "$WORK/redress.conf" >"$WORK/redress.out" 2>"$WORK/redress.err"
	t1=$(now)
	sink_stop redress
	sent=$(grep -c ' ok$' "$WORK/redress.out")
	conns=$(sed -n 's/^connections //p' "$WORK/redress.out")
	if [ "$sent" != "$COUNT" ]; then
		echo "smtp_bench: redress sent $sent of $COUNT:" >&2
		grep -v ' ok$' "$WORK/redress.out" | head -5 >&2
		exit 1
	fi
	r=$(rate "$COUNT" "$t0" "$t1")
	printf '  round %s: %-28s %8s msg/s  (%s connection)\n' "$1" "redress (one batch)" "$r" "$conns"
	r_redress=$(max "$r_redress" "$r")
}

run_source() {
	sink_start source || exit 1
	t0=$(now)
	if "$SOURCE" -d -s 1 -m "$COUNT" -f bounces@example.com -t customer@example.org \
		-F "$WORK/msg.lf" "127.0.0.1:$SINK_PORT" >"$WORK/source.out" 2>&1; then
		t1=$(now)
		r=$(rate "$COUNT" "$t0" "$t1")
		printf '  round %s: %-28s %8s msg/s\n' "$1" "smtp-source -d (one session)" "$r"
		r_source=$(max "$r_source" "$r")
	else
		echo "smtp_bench: smtp-source failed:" >&2
		head -5 "$WORK/source.out" >&2
	fi
	sink_stop source
}

# --- the whole pipeline: redress send ---------------------------------------
# COUNT complaints ingested once into a store (not timed); each round copies
# it, and one "redress send --once" renders, composes and delivers every ack
# and records each in the store: what a real send costs, not only the mailer.
r_pipeline=
PIPE=
if [ -x "$BUILDDIR/redress" ]; then
	PIPE=$WORK/pipe
	mkdir -p "$PIPE/in/new" "$PIPE/in/cur" "$PIPE/in/tmp"
	i=0
	while [ $i -lt "$COUNT" ]; do
		printf 'From: Customer %d <customer%d@example.org>\nTo: care@example.com\nSubject: My order %d never arrived\nMessage-ID: <bench-%d@example.org>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n\nI ordered on the 2nd and the parcel has still not arrived. Please refund me.\n' \
			$i $i $i $i >"$PIPE/in/new/$i.eml"
		i=$((i + 1))
	done
	# pipe_conf PORT DIR [STORE_URL]
	pipe_conf() {
		printf '[smtp]\nurl = smtp://127.0.0.1:%s\ntls = none\nfrom = Customer Care <care@example.com>\n[autoreply]\nper_hour = 0\nper_day = 0\nper_domain_hour = 0\n[followup]\nafter = 30d\n' \
			"$1" >"$2/redress.conf"
		[ -n "${3:-}" ] && printf '[store]\nurl = %s\n' "$3" >>"$2/redress.conf"
		return 0
	}
	pipe_conf 25 "$PIPE"
	(cd "$PIPE" && REDRESS_DATADIR=${REDRESS_DATADIR:-$top_srcdir} "$BUILDDIR/redress" -q ingest in >/dev/null)
	r_pipeline=0
	if [ "$PG" = 1 ]; then
		# The template: the same mail ingested once into PostgreSQL.
		pg_createdb tmpl || exit 1
		pipe_conf 25 "$PIPE" "$(pg_url tmpl)"
		(cd "$PIPE" && REDRESS_DATADIR=${REDRESS_DATADIR:-$top_srcdir} "$BUILDDIR/redress" -q ingest in >/dev/null) || exit 1
		pipe_conf 25 "$PIPE"
		pg_psql_db tmpl "VACUUM ANALYZE" >/dev/null || exit 1
		r_pg=0
	fi
fi

run_pipeline() {
	rm -rf "$WORK/pround"
	mkdir "$WORK/pround"
	cp "$PIPE"/redress.db* "$WORK/pround/"
	sink_start pipeline || exit 1
	pipe_conf "$SINK_PORT" "$WORK/pround"
	t0=$(now)
	(cd "$WORK/pround" && REDRESS_DATADIR=${REDRESS_DATADIR:-$top_srcdir} "$BUILDDIR/redress" -q send --once >/dev/null)
	t1=$(now)
	sink_stop pipeline
	sent=$(sqlite3 "$WORK/pround/redress.db" "select count(*) from jobs where state = 'sent'")
	if [ "$sent" != "$COUNT" ]; then
		echo "smtp_bench: redress send sent $sent of $COUNT" >&2
		exit 1
	fi
	r=$(rate "$sent" "$t0" "$t1")
	printf '  round %s: %-28s %8s msg/s  (%s acks rendered, composed, sent, recorded)\n' "$1" "redress send (pipeline)" "$r" "$sent"
	r_pipeline=$(max "$r_pipeline" "$r")
}

# The same on PostgreSQL: round N sends from database rN, a copy of the
# template made before the clock starts (and a checkpoint, so that the
# copy's writes are not paid for during the round).
r_pg=${r_pg:-}
run_pg() {
	pg_psql_db postgres "SET client_min_messages = warning" "DROP DATABASE IF EXISTS r$1" "CREATE DATABASE r$1 TEMPLATE tmpl" "CHECKPOINT" >/dev/null || exit 1
	rm -rf "$WORK/pground"
	mkdir "$WORK/pground"
	sink_start pg || exit 1
	pipe_conf "$SINK_PORT" "$WORK/pground" "$(pg_url "r$1")"
	t0=$(now)
	(cd "$WORK/pground" && REDRESS_DATADIR=${REDRESS_DATADIR:-$top_srcdir} "$BUILDDIR/redress" -q send --once >/dev/null)
	t1=$(now)
	sink_stop pg
	sent=$(pg_psql_db "r$1" "select count(*) from jobs where state = 'sent'")
	if [ "$sent" != "$COUNT" ]; then
		echo "smtp_bench: redress send (PostgreSQL) sent $sent of $COUNT" >&2
		exit 1
	fi
	r=$(rate "$sent" "$t0" "$t1")
	printf '  round %s: %-28s %8s msg/s  (%s acks, PostgreSQL store, fsync on)\n' "$1" "redress send (PostgreSQL)" "$r" "$sent"
	r_pg=$(max "$r_pg" "$r")
	pg_psql_db postgres "DROP DATABASE r$1" >/dev/null
}

r_redress=0
r_source=
[ -n "$SOURCE" ] && [ -x "$SOURCE" ] && r_source=0
round=1
while [ $round -le "$ROUNDS" ]; do
	run_redress $round
	[ -n "$PIPE" ] && run_pipeline $round
	[ -n "$r_pg" ] && run_pg $round
	[ -n "$r_source" ] && run_source $round
	round=$((round + 1))
done
[ -n "$r_source" ] || echo "  smtp-source not installed: no floor"
[ "$r_source" = 0 ] && r_source=

# --- msmtp, one process per message -----------------------------------------
r_msmtp=
if command -v msmtp >/dev/null 2>&1; then
	sink_start msmtp || exit 1
	printf 'defaults\nauth off\ntls off\nlogfile\naccount bench\nhost 127.0.0.1\nport %s\nfrom bounces@example.com\naccount default : bench\n' \
		"$SINK_PORT" >"$WORK/msmtprc"
	chmod 600 "$WORK/msmtprc"
	fails=0
	i=0
	t0=$(now)
	while [ $i -lt "$MSMTP_COUNT" ]; do
		msmtp -C "$WORK/msmtprc" customer@example.org <"$WORK/msg.lf" || fails=$((fails + 1))
		i=$((i + 1))
	done
	t1=$(now)
	if [ $fails -ne 0 ]; then
		echo "smtp_bench: msmtp failed $fails times" >&2
	fi
	r_msmtp=$(rate "$MSMTP_COUNT" "$t0" "$t1")
	printf '  %-34s %8s msg/s  (%s messages)\n' "msmtp, one process per message" "$r_msmtp" "$MSMTP_COUNT"
	sink_stop msmtp
else
	echo "  msmtp not installed (apt-get install msmtp): no comparison"
fi

echo "best rounds: redress $r_redress msg/s${r_pipeline:+, redress send (pipeline) $r_pipeline msg/s}${r_pg:+, redress send (PostgreSQL) $r_pg msg/s}${r_source:+, smtp-source $r_source msg/s}${r_msmtp:+; msmtp $r_msmtp msg/s}"
echo "ratios:"
if [ -n "$r_msmtp" ]; then
	printf '  redress / msmtp       = %sx   (target >= 10)\n' "$(ratio "$r_redress" "$r_msmtp")"
fi
if [ -n "$r_source" ]; then
	printf '  redress / smtp-source = %sx   (target >= 0.5)\n' "$(ratio "$r_redress" "$r_source")"
fi
if [ -n "$r_pipeline" ]; then
	[ -n "$r_msmtp" ] && printf '  redress send (pipeline) / msmtp       = %sx\n' "$(ratio "$r_pipeline" "$r_msmtp")"
	[ -n "$r_source" ] && printf '  redress send (pipeline) / smtp-source = %sx   (target >= 0.5)\n' "$(ratio "$r_pipeline" "$r_source")"
fi
if [ -n "$r_pg" ] && [ -n "$r_source" ]; then
	printf '  redress send (PostgreSQL) / smtp-source = %sx\n' "$(ratio "$r_pg" "$r_source")"
fi

# --- the table ----------------------------------------------------------------
if [ -n "$TABLE" ]; then
	{
		printf '| %s | %s | %s |\n' "client ($COUNT messages of $size bytes, best of $ROUNDS)" "msg/s" "/ smtp-source"
		printf '|---|---:|---:|\n'
		row() { [ -n "$2" ] && printf '| %s | %s | %s |\n' "$1" "$2" "${r_source:+$(ratio "$2" "$r_source")}"; }
		row "smtp-source -d (one session)" "$r_source"
		row "redress mailer alone (tests/smtp_send)" "$r_redress"
		row "redress send --once (whole pipeline)" "$r_pipeline"
		row "redress send --once, PostgreSQL store (fsync on)" "$r_pg"
		row "msmtp, one process per message ($MSMTP_COUNT)" "$r_msmtp"
	} >"$TABLE"
fi
exit 0
