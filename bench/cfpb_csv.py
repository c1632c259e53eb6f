#!/usr/bin/env python3
"""cfpb_csv.py - the CFPB sample as a labelled CSV for "redress rules train".

usage: bench/cfpb_csv.py even|odd|all OUT.csv

Writes the rows with a narrative (numbered from 0, as bench/classify_quality.py
and bench/train_ref.py count them) of HALF, with the columns "text" (the
narrative, stripped) and "label" (the category from classify_quality.py's
ISSUE_MAP), so that

    redress rules train --csv OUT.csv --text text --label label ...

trains on exactly what "bench/train_ref.py --cfpb HALF" trains on.
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulesdata as rd  # noqa: E402


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("even", "odd", "all"):
        sys.exit(__doc__.split("\n\n")[1])
    rows = rd.half(rd.cfpb_rows(), sys.argv[1])
    with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for r in rows:
            w.writerow([r[3], r[2]])
    print("cfpb_csv: %d rows of %s to %s" % (len(rows), sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
