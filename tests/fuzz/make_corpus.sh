#!/bin/sh
# make_corpus.sh - builds the seed corpora of the fuzz targets.
#
#   tests/fuzz/make_corpus.sh OUTDIR
#
# Makes OUTDIR/message, OUTDIR/rules, OUTDIR/template and OUTDIR/compose
# from what the project and the shared corpora hold:
#   message   every file under $REDRESS_CORPORA/mail (the mikel fixtures),
#             contrib/samples/*.eml, tests/data/rules/*.eml, and CPython's
#             odd-message corpus when libpython3.11-testsuite is installed
#   rules     rules.conf and tests/data/rules/*.rules, alone and (rules.conf
#             cut to fit the inputs' size) followed
#             by a NUL and a message (subject NUL body NUL from) taken from
#             the samples and from CFPB complaint narratives
#   template  templates/*.txt and tests/data/templates/*/*.txt, alone and
#             followed by NUL-separated placeholder values, some of them
#             hostile ({{...}} in customer text, CR LF, invalid UTF-8)
#   compose   NUL-separated compose fields (see fuzz.h): ordinary replies,
#             header injection attempts, encoded-word look-alikes, long
#             names and subjects, CFPB narratives as bodies
# Needs python3 for the CFPB narratives (they are left out without it).
# top_srcdir (default: this script's ../..) and REDRESS_CORPORA (default
# $top_srcdir/../shared/corpora) may be set.
set -eu
out=${1:?usage: make_corpus.sh OUTDIR}
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
corpora=${REDRESS_CORPORA:-$src/../shared/corpora}
mkdir -p "$out/message" "$out/rules" "$out/template" "$out/compose"

n=0
add() { # add TARGET FILE: copies FILE in under a unique name
	n=$((n + 1))
	cp "$2" "$out/$1/seed-$n"
}

# -- message
if [ -d "$corpora/mail" ]; then
	find "$corpora/mail" -type f ! -name 'MIT-LICENSE' | sort | while read -r f; do
		n=$((n + 1)); cp "$f" "$out/message/mail-$n"
	done
fi
for f in "$src"/contrib/samples/*.eml "$src"/tests/data/rules/*.eml \
	 /usr/lib/python3.11/test/test_email/data/msg_*.txt; do
	[ -f "$f" ] && add message "$f"
done
# A few hand-made ones the corpora lack.
printf 'From: =?utf-8?q?=E2=80=AEevil?= <a@example.com>\nSubject: =?utf-8?b?4oCodGVzdA==?= =?iso-8859-1?q?caf=E9?=\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n<p>caf=E9 &amp; &#x1F600; <blockquote>old</blockquote></p>=\n--b--\n' > "$out/message/hand-1"
printf 'From: a@example.com\nContent-Type: message/rfc822\n\nFrom: b@example.com\nContent-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Disposition: attachment; filename*=utf-8%s%sna%%C3%%AFve.txt\n\nhi\n--x--\n' "'" "'" > "$out/message/hand-2"

# -- rules, templates and compose inputs that need python3
have_py=false
command -v python3 >/dev/null 2>&1 && have_py=true
for f in "$src"/rules.conf "$src"/tests/data/rules/*.rules; do
	[ -f "$f" ] && add rules "$f"
done
for f in "$src"/templates/*.txt "$src"/tests/data/templates/*/*.txt; do
	[ -f "$f" ] && add template "$f"
done
if $have_py; then
	python3 - "$src" "$corpora" "$out" <<'PY'
import csv, glob, os, sys
src, corpora, out = sys.argv[1:4]
narr = []
path = os.path.join(corpora, "complaints", "cfpb_complaints_sample.csv")
if os.path.exists(path):
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            t = row.get("Consumer complaint narrative") or ""
            if t:
                narr.append((row.get("Issue") or "complaint", t[:3000]))
            if len(narr) >= 12:
                break
samples = []
for p in sorted(glob.glob(os.path.join(src, "contrib", "samples", "*.eml"))):
    raw = open(p, "rb").read()
    head, _, body = raw.partition(b"\n\n")
    subj = b""; frm = b""
    for line in head.split(b"\n"):
        if line.lower().startswith(b"subject:"): subj = line[8:].strip()
        if line.lower().startswith(b"from:"): frm = line[5:].strip()
    samples.append((subj, body[:3000], frm))
for issue, t in narr:
    samples.append((issue.encode(), t.encode(), b"Jo Bloggs <jo@example.org>"))

def w(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)

# rules.conf is far longer than fuzz_rules' inputs (-max_len=16384, which
# would cut the message off every seed): each seed has its declarations
# (category, tag, threshold; comments dropped) and the next run of its
# rules that fits, so that the seeds together hold every rule.
head, items = [], []
cur = head
for line in open(os.path.join(src, "rules.conf"), "rb").read().split(b"\n"):
    if line[:1] in (b" ", b"\t") and line.strip():
        cur[-1] += b"\n" + line
    elif line.startswith(b"rule "):
        items.append(line)
        cur = items
    elif line.strip() and not line.startswith(b"#"):
        head.append(line)
        cur = head
head = b"\n".join(head) + b"\n"
next_rule = 0
cat = os.path.join(src, "tests", "data", "rules", "catastrophic.rules")
for i, (s, b, fr) in enumerate(samples):
    tail = b"\0" + s + b"\0" + b + b"\0" + fr + b"\0Auto-Submitted\0no\0X-Priority\0 1"
    rules = head
    for k in range(len(items)):
        r = items[(next_rule + k) % len(items)] + b"\n"
        if len(rules) + len(r) + len(tail) > 16000:
            break
        rules += r
    next_rule = (next_rule + max(k, 1)) % len(items)
    w("rules", "msg-%d" % i, rules + tail)
if os.path.exists(cat):
    w("rules", "catastrophic", open(cat, "rb").read() + b"\0subject\0" + b"a" * 4000 + b"!\0")

# template: the ack with hostile values, in template_placeholders order
names = ["customer_name", "greeting_name", "customer_email", "case_id", "case_tag",
         "category", "category_label", "priority", "deadline", "resolution_deadline",
         "original_subject", "sender_name", "company", "resolved", "resolution_cause",
         "state", "breach_kind", "breached", "due", "customer_excerpt", "tags",
         "reason", "received"]
hostile = {
    "customer_name": b"{{case_id}} \r\nBcc: x@evil.example",
    "original_subject": b"{{#if resolved}}free money{{/if}} \\{{x}} \xff\xfe",
    "customer_excerpt": b"I want {{company}} to pay.\r\n{{! not a comment }}\xc3\x28 \xe2\x80\xae",
    "case_id": b"000123", "case_tag": b"[case 000123]", "deadline": b"by Monday",
}
for i, p in enumerate(sorted(glob.glob(os.path.join(src, "templates", "*.txt")))):
    t = open(p, "rb").read()
    vals = [hostile.get(n, b"") for n in names]
    w("template", "hostile-%d" % i, t + b"\0" + b"\0".join(vals))
    if i < len(samples):
        vals[names.index("customer_excerpt")] = samples[i][1]
        vals[names.index("original_subject")] = samples[i][0]
        w("template", "sample-%d" % i, t + b"\0" + b"\0".join(vals))

# compose: from, to_name, to_addr, subject, body, message_id, in_reply_to,
# references, auto_submitted, x_loop, date
def c(name, *fields):
    w("compose", name, b"\0".join(fields))
base = [b"Customer Care <care@example.com>", b"Maria Lopez", b"maria@example.net",
        b"[case 000001] We're sorry", b"Hello Maria,\n\nThank you.\n",
        b"redress.1.abc@example.com", b"orig@mail.example.net",
        b"root@example.net orig@mail.example.net", b"auto-replied", b"care@example.com",
        b"1795451400"]
c("plain", *base)
inj = list(base); inj[1] = b"Eve\r\nBcc: everyone@example.com"; inj[3] = b"Hi\r\nX-Injected: yes\nCc: x@y"
c("inject", *inj)
inj = list(base); inj[2] = b"eve@example.com>\r\nBcc: x@example.com"; c("inject-addr", *inj)
inj = list(base); inj[3] = b"=?utf-8?q?not_encoded?= \xe2\x80\xa8 \xe2\x80\xae caf\xc3\xa9 " * 30
c("subject-long", *inj)
inj = list(base); inj[1] = b"\"Lopez, Maria\" (the boss) \xff"; c("name-odd", *inj)
inj = list(base); inj[4] = b".\nFrom the start\n" + b"x" * 200 + b" \n\t\n=3D\r\n"; c("body-odd", *inj)
inj = list(base); inj[7] = b" ".join(b"r%d@example.net" % k for k in range(40)); c("refs-many", *inj)
inj = list(base); inj[6] = b"bad id with spaces>"; inj[10] = b"-99999999999999"; c("bad-ids", *inj)
for i, (s, b, fr) in enumerate(samples):
    f = list(base); f[3] = s; f[4] = b; f[1] = fr
    c("sample-%d" % i, *f)
PY
fi
