#!/usr/bin/env python3
"""make_eml.py - write the .eml files of this directory from messages.txt.

messages.txt holds one message per "== OUTCOME [CATEGORY] | SECTOR | SUBJECT"
line, its body on the lines below.  Each becomes OUTCOME/NN-SECTOR[-CATEGORY].eml,
a plain UTF-8 message from a made-up sender at example.com/.net/.org (reserved
names) to care@example.com.  Deterministic: run it again after editing
messages.txt and commit both.
"""
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["Helen Ward", "Sam Okafor", "Priya Shah", "Tom Fletcher", "Gwen Price", "Ali Hassan",
         "Jo Brennan", "Marek Nowak", "Ruth Adeyemi", "Chris Doyle", "Ana Costa", "Liam Byrne"]
DOMAINS = ["example.com", "example.net", "example.org"]


def main():
    with open(os.path.join(HERE, "messages.txt"), encoding="utf-8") as f:
        text = f.read()
    for oc in ("complaint", "question", "praise"):
        shutil.rmtree(os.path.join(HERE, oc), ignore_errors=True)
        os.mkdir(os.path.join(HERE, oc))
    count = {}
    for i, block in enumerate(re.split(r"^== ", text, flags=re.M)[1:]):
        head, body = block.split("\n", 1)
        label, sector, subject = [x.strip() for x in head.split("|")]
        words = label.split()
        oc = words[0]
        cat = words[1] if len(words) > 1 else None
        count[oc] = count.get(oc, 0) + 1
        name = "%02d-%s%s.eml" % (count[oc], sector, "-" + cat if cat else "")
        who = NAMES[i % len(NAMES)]
        addr = "%s@%s" % (who.split()[0].lower(), DOMAINS[i % len(DOMAINS)])
        msg = ("From: %s <%s>\nTo: care@example.com\nSubject: %s\n"
               "Date: Mon, 23 Nov 2026 %02d:%02d:00 +0000\nMessage-ID: <outcome-%03d@example.com>\n"
               "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
               "Content-Transfer-Encoding: 8bit\n\n%s" % (who, addr, subject, 8 + i % 10, i % 60, i,
                                                         body.rstrip("\n") + "\n"))
        with open(os.path.join(HERE, oc, name), "w", encoding="utf-8") as f:
            f.write(msg)


if __name__ == "__main__":
    main()
