#!/bin/sh
# The report a support manager reads (issue 16): a store built with known
# cases at pinned times (ingest, tick, respond, resolve), then the report
# in every form.  The JSON is checked against figures worked out by hand
# below; the HTML is parsed (tests/lib/report_html.py) and every number its
# charts draw is checked against the JSON; the page must fetch nothing
# (no script, no external src or href) and escape a hostile subject; the
# CSV must be RFC 4180, defused against formulas, and agree with the JSON;
# --output-dir writes every table, mode 0600.
. "$top_srcdir/tests/lib/tap.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="$top_srcdir/contrib/samples"
PARSE="$top_srcdir/tests/lib/report_html.py"
cat > redress.conf <<EOC
[smtp]
from = Customer Care <care@ourshop.test>
escalate_to = Duty Manager <duty@ourshop.test>
[sla]
timezone = Europe/London
hours = mon-fri 09:00-17:00
urgent = 1h 8h
high = 4h 2d
normal = 1d 5d
low = 2d 10d
warn_percent = 80
[staff]
addresses = *@ourshop.test
EOC
# Every command runs at the test's pinned time, $NOW.
R() { "$REDRESS" --now "$NOW" "$@"; }

# One case from a sample, from its own customer (no repeat-customer
# priority), with its own Message-ID; $3 replaces the subject.
n=0
mk() {
	n=$((n + 1))
	sed -e "s/^From: .*/From: Customer $n <cust$n@example.net>/" \
	    -e "s/^Message-ID: .*/Message-ID: <case$n@example.net>/" "$S/$1" > "m$n.eml"
	if [ -n "$3" ]; then
		awk -v s="$3" 'done == 0 && /^Subject:/ { print "Subject: " s; done = 1; next } { print }' \
			"m$n.eml" > "m$n.tmp" && mv "m$n.tmp" "m$n.eml"
	fi
	NOW=$2; R ingest "m$n.eml" >/dev/null || echo "# ingest m$n.eml failed"
}
at() { NOW=$1; shift; R "$@" >/dev/null || echo "# $* failed"; }

# The previous period (from 5 October): two cases.
mk 01-refund.eml 2026-10-12T10:00:00Z                            # 1 billing
at 2026-10-12T11:00:00Z case respond 1
at 2026-10-13T10:00:00Z case resolve 1 --cause "refund issued"
mk 02-damaged.eml 2026-10-20T10:00:00Z                           # 2 damaged, never answered
# The period: Monday 2 November to Monday 30 November (London is on GMT).
mk 01-refund.eml 2026-11-02T10:00:00Z                            # 3 billing
at 2026-11-02T11:00:00Z case respond 3                            # 1h: in time
at 2026-11-03T10:00:00Z case resolve 3 --cause "refund issued"   # 8h business
mk 01-refund.eml 2026-11-03T10:00:00Z                            # 4 billing
at 2026-11-04T11:00:00Z tick                                      # first response breached
at 2026-11-05T12:00:00Z case respond 4                            # 18h business
at 2026-11-06T10:00:00Z case resolve 4 --cause "refund issued"   # 24h: in time
mk 02-damaged.eml 2026-11-10T09:30:00Z                           # 5 damaged
at 2026-11-10T10:00:00Z case respond 5                            # 30m
at 2026-11-11T12:00:00Z case resolve 5 --cause "replacement sent" # 10h30m
mk 03-late.eml 2026-11-17T14:00:00Z                              # 6 delivery
at 2026-11-18T09:30:00Z case respond 6                            # 3h30m; never resolved
mk 06-thanks.eml 2026-11-24T10:00:00Z                            # 7 praise: no clock
mk 04-rude.eml 2026-11-25T10:00:00Z                              # 8 service, high, never answered
mk 01-refund.eml 2026-11-26T10:00:00Z \
   '<script>alert(1)</script> & "quoted" <img src=http://evil.example/x.png> =HYPERLINK("http://evil.example")'
                                                                 # 9 billing, hostile subject
mk 08-html-only.eml 2026-11-27T12:00:00Z                         # 10 account: at risk on Monday
printf 'From: held@example.org\nSubject: x\0y\n\nhello\n' > held.eml
NOW=2026-11-12T10:00:00Z; R ingest held.eml >/dev/null 2>&1       # 11 held
at 2026-11-30T11:00:00Z tick

NOW=2026-11-30T11:00:00Z
P="--since 2026-11-02 --until 2026-11-30"
R --json report $P > report.json; ok $? "report --json exits 0"
J() { jget "$1" < report.json; }

# -- the numbers, worked out by hand ---------------------------------------
is "$(J 'd["since"], d["until"], d["previous_since"]')" \
   "2026-11-02T00:00:00Z 2026-11-30T00:00:00Z 2026-10-05T00:00:00Z" \
   "the period, and the previous one as long"
is "$(J 'd["all"]["cases"], d["held"], d["not_complaints"], d["previous_cases"]')" "8 1 1 2" \
   "8 cases in the period (1 held apart, 1 praise), 2 before"
is "$(J 'd["all"]["first_response_decided"], d["all"]["first_response_in_time"]')" "6 3" \
   "first responses: 6 decided (8 and 9 breached, 10 still running), 3 in time"
is "$(J 'd["all"]["resolution_decided"], d["all"]["resolution_in_time"]')" "5 3" \
   "resolutions: 5 decided (6 and 8 breached), 3 in time"
is "$(J '[(c["name"], c["cases"]) for c in d["by_category"]]')" \
   "[('billing', 3), ('damaged', 1), ('delivery', 1), ('praise', 1), ('service', 1), ('account', 1)]" \
   "cases by category"
is "$(J '[(b["start"], b["cases"]) for b in d["cases_per_bucket"] if b["cases"]]')" \
   "[('2026-11-02', 1), ('2026-11-03', 1), ('2026-11-10', 1), ('2026-11-17', 1), ('2026-11-24', 1), ('2026-11-25', 1), ('2026-11-26', 1), ('2026-11-27', 1)]" \
   "cases per day"
is "$(J 'len(d["cases_per_bucket"])')" 28 "28 days in the period"
is "$(J '[(w["week"], w["priority"], w["first_response_decided"], w["first_response_in_time"], w["resolution_decided"], w["resolution_in_time"]) for w in d["compliance_weekly"]]')" \
   "[('2026-11-02', 'normal', 2, 1, 2, 2), ('2026-11-09', 'normal', 1, 1, 1, 1), ('2026-11-16', 'normal', 1, 1, 1, 0), ('2026-11-23', 'high', 1, 0, 1, 0), ('2026-11-23', 'normal', 1, 0, 0, 0)]" \
   "compliance per week and priority"
is "$(J '[b["cases"] for b in d["first_response_times"]["bins"]], d["first_response_times"]["n"]')" \
   "[1, 2, 0, 0, 1, 0, 0] 4" "first responses in business time: 30m | 1h, 3h30m | 18h"
is "$(J '[b["cases"] for b in d["resolution_times"]["bins"]], d["resolution_times"]["n"]')" \
   "[0, 0, 0, 2, 1, 0, 0] 3" "resolutions in business time: 8h, 10h30m | 24h"
is "$(J 'd["first_response_times"]["unit"]')" "business seconds" "the distributions say business time"
is "$(J 'd["backlog"]["open"], [a["cases"] for a in d["backlog"]["ages"]]')" \
   "6 [0, 0, 4, 1, 0, 1]" "backlog at 30 November: 6 open, by age (case 2 over 30 days)"
is "$(J '[(a["id"], a["status"], a["clock"]) for a in d["attention"]]')" \
   "[(2, 'breached', 'first response'), (6, 'breached', 'resolution'), (8, 'breached', 'first response'), (9, 'breached', 'first response'), (10, 'at risk', 'first response')]" \
   "breached and at-risk cases, breached first, by deadline"
is "$(J 'd["attention"][-1]["used_percent"]')" 87 \
   "case 10: 7 of its 8 business hours gone (Friday 12-17, Monday 9-11)"
is "$(J '[(c["name"], c["cases"], c["previous"]) for c in d["category_trend"]][:2]')" \
   "[('billing', 3, 1), ('damaged', 1, 1)]" "categories against the previous period"
is "$(J '[(c["cause"], c["cases"], c["previous"]) for c in d["causes"]]')" \
   "[('refund issued', 2, 1), ('replacement sent', 1, 0)]" "causes against the previous period"
is "$(J 'd["agents"]["owners_recorded"], d["agents"]["unowned"]')" "False 8" "no owners recorded yet"

# The default period is the 30 days up to now.
is "$(R --json report | jget 'd["since"], d["until"], d["all"]["cases"]')" \
   "2026-10-31T11:00:00Z 2026-11-30T11:00:00Z 8" "default: the last 30 days"
is "$(R --json report --by week $P | jget '[(b["start"], b["cases"]) for b in d["cases_per_bucket"]]')" \
   "[('2026-11-02', 2), ('2026-11-09', 1), ('2026-11-16', 1), ('2026-11-23', 4)]" "--by week"

# -- the page --------------------------------------------------------------
R report --format html $P > report.html; ok $? "report --format html exits 0"
# bench/report_png.sh keeps the page (and the JSON) to look at.
[ -n "$REPORT_KEEP" ] && cp report.html report.json "$REPORT_KEEP"/
python3 "$PARSE" report.html report.json > check.out 2>&1
st=$?
while IFS= read -r line; do printf '%s\n' "$line"; done < check.out
is "$st" 0 "the page parses, and its charts draw the JSON's numbers"
for chart in cases first-response-compliance resolution-compliance backlog \
	     first-response-times resolution-times categories causes; do
	grep -q "data-chart=\"$chart\"" report.html; ok $? "the page has the chart $chart"
done
if grep -Eiq '<script|<link|<iframe|<object|<embed|<img|@import|url\(' report.html; then
	ok 1 "no script, stylesheet, frame, image or url() in the page"
else
	ok 0 "no script, stylesheet, frame, image or url() in the page"
fi
# (in a tag: the escaped subject's "src=http://" is text)
if grep -Eiq '<[^<>]*[[:space:]](src|href)=["'"'"']?(https?:|//)' report.html; then
	ok 1 "no src or href to anything outside the page"
else
	ok 0 "no src or href to anything outside the page"
fi
grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &lt;img src=http://evil.example/x.png&gt;' report.html
ok $? "the hostile subject is escaped"
grep -q 'href="#case-9"' report.html && grep -q 'id="case-9"' report.html
ok $? "a breached case is linked by its id"
like "$(cat report.html)" "fewer than 5 cases" "a share from fewer than 5 cases says so"
if grep -q "+200%" report.html; then ok 1 "no trend in percent from 1 case (billing, 1 to 3)"
else ok 0 "no trend in percent from 1 case (billing, 1 to 3)"; fi
like "$(cat report.html)" "2026-11-02T00:00:00Z to 2026-11-30T00:00:00Z" "the page states its period"
like "$(cat report.html)" "business time" "and that times are business time"
like "$(cat report.html)" "No owners recorded" "per agent: no owners recorded"

# -- CSV -------------------------------------------------------------------
R report --format csv $P > main.csv; ok $? "report --format csv exits 0"
is "$(head -1 main.csv | tr -d '\r')" \
   "dimension,name,cases,first_response_decided,first_response_in_time,first_response_in_time_percent,resolution_decided,resolution_in_time,resolution_in_time_percent,median_first_response_business_hours,median_resolution_business_hours" \
   "the main table's header"
is "$(grep -c "$(printf '\r')\$" main.csv) $(wc -l < main.csv)" "$(wc -l < main.csv) $(wc -l < main.csv)" \
   "every line ends in CRLF"
python3 - main.csv report.json <<'EOP'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
d = json.load(open(sys.argv[2]))
want = [("all", d["all"])] + [("priority", g) for g in d["by_priority"]] + \
       [("category", g) for g in d["by_category"]]
bad = []
if len(rows) != len(want):
    bad.append("%d rows, want %d" % (len(rows), len(want)))
for row, (dim, g) in zip(rows, want):
    def h(s):
        return "" if s is None else "%.2f" % (s / 3600)
    exp = {"dimension": dim, "name": g["name"], "cases": str(g["cases"]),
           "first_response_decided": str(g["first_response_decided"]),
           "first_response_in_time": str(g["first_response_in_time"]),
           "resolution_decided": str(g["resolution_decided"]),
           "resolution_in_time": str(g["resolution_in_time"]),
           "median_first_response_business_hours": h(g["median_first_response_business_seconds"]),
           "median_resolution_business_hours": h(g["median_resolution_business_seconds"])}
    for k, v in exp.items():
        if row[k] != v:
            bad.append("%s %s: %s is %r, want %r" % (dim, g["name"], k, row[k], v))
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
EOP
ok $? "the CSV has the JSON's numbers"

mkdir out
R report $P --output-dir out/tables >/dev/null; ok $? "--output-dir exits 0"
is "$(ls out/tables | tr '\n' ' ')" \
   "agents.csv attention.csv backlog.csv cases.csv categories.csv causes.csv compliance.csv summary.csv times.csv " \
   "--output-dir writes every table"
is "$(stat -c %a out/tables/attention.csv) $(stat -c %a out/tables)" "600 700" \
   "the files are 0600, the directory 0700"
cmp -s main.csv out/tables/summary.csv; ok $? "summary.csv is what --format csv prints"
python3 - out/tables/attention.csv <<'EOP'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
subj = [r["subject"] for r in rows if r["id"] == "9"]
want = '<script>alert(1)</script> & "quoted" <img src=http://evil.example/x.png> =HYPERLINK("http://evil.example")'
sys.exit(0 if subj == [want] else print("# got %r" % subj) or 1)
EOP
ok $? "attention.csv: the subject with quotes and commas survives RFC 4180 quoting"
# A field that a spreadsheet would run as a formula gets an apostrophe.
mk 05-legal.eml 2026-11-28T10:00:00Z '=HYPERLINK("http://evil.example","click")'   # 12, urgent
NOW=2026-11-30T11:00:00Z
R report $P --output-dir out/tables >/dev/null
grep -q "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"" out/tables/attention.csv
ok $? "a formula in a subject is defused"
python3 - out/tables/*.csv <<'EOP'
import csv, sys
bad = [(f, c) for f in sys.argv[1:] for row in csv.reader(open(f, newline=''))
       for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
for f, c in bad:
    print("# %s: %r" % (f, c))
sys.exit(1 if bad else 0)
EOP
ok $? "no field of any table starts with = + - @ or a tab"
is "$(stat -c %a out/tables/summary.csv)" 600 "a file written again stays 0600"

# -- text --------------------------------------------------------------------
txt=$(R report $P)
like "$txt" "^  000009  breached  first response  due 2026-11-27T10:00:00Z  normal  <script>" \
   "text: the cases to chase"
like "$txt" "^  000010  at risk   first response  due 2026-11-30T12:00:00Z" "text: and the one at risk"

# -- refusals ----------------------------------------------------------------
R report --by month >/dev/null 2>&1; is "$?" 64 "--by month is refused"
R report --format pdf >/dev/null 2>&1; is "$?" 64 "--format pdf is refused"
R report --since 2026-11-30 --until 2026-11-01 >/dev/null 2>err; is "$?" 64 "an empty period is refused"
like "$(cat err)" "empty" "and says why"
R report --since 2020-01-01 --until 2026-01-01 >/dev/null 2>err; is "$?" 64 \
   "more than 400 days by day is refused"
like "$(cat err)" "--by week" "and suggests --by week"
R report --since 2020-01-01 --until 2026-01-01 --by week >/dev/null; is "$?" 0 "which works"
R report --output-dir /nonexistent/dir >/dev/null 2>err; is "$?" 66 \
   "--output-dir in a missing directory: 66"
like "$(cat err)" "/nonexistent/dir" "and names it"
done_testing
