#!/usr/bin/env python3
"""cfpb_to_mail.py - turn the CFPB complaint narratives into email messages.

usage: bench/cfpb_to_mail.py [--subject words|issue|product] [--half odd|even|all]
                             CSV OUTDIR

Every row of the CFPB sample with a non-empty "Consumer complaint narrative"
becomes one plain RFC 5322 message, OUTDIR/cfpb-NNNNN.eml, where NNNNN is
the row's place among the rows with a narrative, counted from 0 exactly as
bench/classify_quality.py counts them (its held-out half is the odd rows,
so --half odd here is the same held-out half).

Each message has:
- From: a distinct, plausible private person ("Maria Lopez
  <maria.lopez@isp17.example>"), made from the row number, on 400 domains
  under the reserved .example top-level domain so that nothing can ever
  reach a real person; Return-Path: the same address, as a delivering
  server writes it.  Real complaints come from many domains: with all of
  them on three, the per-domain ack cap ([autoreply] per_domain_hour)
  would hold back acks that a real inbox would send, since the bench
  ingests every message at one instant;
- To: the support address, Customer Care <care@example.com>;
- Subject: the first words of the narrative (default, as a person writing
  an email would title it), or the filer's Issue or Product column
  (--subject issue|product: note that "issue" puts the gold label of
  bench/classify_quality.py into text that the classifier reads);
- Date: the "Date received" day at a time of day derived from the
  complaint id; Message-ID: <cfpb-ID@complaints.example>;
- a text/plain; charset=UTF-8 body, quoted-printable (many narratives have
  lines far over the 998-octet limit of RFC 5322), that decodes to the
  narrative exactly as classify_quality.py classifies it (stripped).

Standard library only.  Prints the number of messages written.
"""
import argparse
import csv
import datetime
import email.policy
import email.utils
import os
import sys
from email.message import EmailMessage

FIRST = ["Maria", "James", "Priya", "Tom", "Dana", "Anna", "Kenji", "Louise",
         "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "William",
         "Elizabeth", "Carlos", "Aisha", "Daniel", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Kevin", "Karen", "Brian", "Nancy", "George", "Lisa",
         "Edward", "Betty", "Ronald", "Sandra", "Anthony", "Ashley", "Mark",
         "Kimberly", "Steven", "Donna"]
LAST = ["Lopez", "Okafor", "Shah", "Baker", "Novak", "Kowalski", "Sato", "Martin",
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
        "Davis", "Rodriguez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
        "Jackson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker",
        "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill",
        "Flores", "Green", "Adams"]
DOMAINS = ["isp%d.example" % i for i in range(400)]
NARRATIVE = "Consumer complaint narrative"


def narratives(path):
    """The rows with a narrative, in file order (as classify_quality.py)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            text = (r.get(NARRATIVE) or "").strip()
            if text:
                rows.append((r, text))
    return rows


def sender(n):
    """A distinct address for row n: every (first, last) pair once, then
    the same pairs with a number (1,600 pairs cover the 1,532 rows)."""
    pairs = len(FIRST) * len(LAST)
    first = FIRST[n % len(FIRST)]
    last = LAST[(n // len(FIRST)) % len(LAST)]
    local = "%s.%s" % (first.lower(), last.lower())
    if n >= pairs:
        local += str(n // pairs)
    return "%s %s" % (first, last), "%s@%s" % (local, DOMAINS[n % len(DOMAINS)])


def first_words(text, limit=60):
    """As many whole words as fit in limit characters, as a title."""
    words = text.split()
    out = ""
    for w in words:
        cand = (out + " " + w).strip()
        if len(cand) > limit:
            break
        out = cand
    return out or words[0][:limit]      # or one enormous first word


def date_of(row, n):
    """The day the CFPB received it, at a time of day from the id."""
    y, m, d = (int(x) for x in row["Date received"].split("/"))
    cid = int(row.get("Complaint ID") or n)
    t = datetime.datetime(y, m, d, 8 + cid % 10, cid % 60, (cid // 60) % 60,
                          tzinfo=datetime.timezone.utc)
    return email.utils.format_datetime(t)


def message(row, text, n, subject_from):
    name, addr = sender(n)
    if subject_from == "issue" and row.get("Issue"):
        subject = row["Issue"]
    elif subject_from == "product" and row.get("Product"):
        subject = row["Product"]
    else:
        subject = first_words(text)
    cid = row.get("Complaint ID") or str(n)
    m = EmailMessage(policy=email.policy.default)
    m["Return-Path"] = "<%s>" % addr
    m["From"] = email.utils.formataddr((name, addr))
    m["To"] = "Customer Care <care@example.com>"
    m["Subject"] = subject
    m["Date"] = date_of(row, n)
    m["Message-ID"] = "<cfpb-%s@complaints.example>" % cid
    m.set_content(text + "\n", subtype="plain", charset="utf-8",
                  cte="quoted-printable")
    return m.as_bytes(policy=email.policy.default)


def main():
    ap = argparse.ArgumentParser(description="CFPB narratives as email messages")
    ap.add_argument("--subject", choices=["words", "issue", "product"], default="words")
    ap.add_argument("--half", choices=["odd", "even", "all"], default="all")
    ap.add_argument("csv")
    ap.add_argument("outdir")
    a = ap.parse_args()

    rows = narratives(a.csv)
    if not rows:
        sys.exit("cfpb_to_mail: %s: no row has a %r" % (a.csv, NARRATIVE))
    os.makedirs(a.outdir, exist_ok=True)
    written = 0
    for n, (row, text) in enumerate(rows):
        if a.half == "odd" and n % 2 == 0 or a.half == "even" and n % 2 == 1:
            continue
        path = os.path.join(a.outdir, "cfpb-%05d.eml" % n)
        with open(path, "wb") as f:
            f.write(message(row, text, n, a.subject))
        written += 1
    print(written)


if __name__ == "__main__":
    main()
