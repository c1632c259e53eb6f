#!/bin/sh
# The short form of bench/soak.sh for make check: "redress run" against a
# real Dovecot (IMAP IDLE) and smtp-sink takes 2,000 complaints (1,000
# before it starts, then 1,000 in waves of 100 while it runs) until all are
# stored once and acknowledged once; its RSS at the end must be within
# 10 % + 2 MB of its RSS after the first 1,000 (the 2 MB: SQLite's page
# cache, up to 2 MB, may still be filling at this size); and "redress run"
# under valgrind --leak-check=full on 1,000 messages, stopped with SIGTERM,
# reports no errors and no definite leaks (skipped without valgrind or in
# an AddressSanitizer build, where LeakSanitizer checks at exit and the RSS
# figures are only reported).  About 80 s, at most ~3 minutes; see
# bench/soak.sh for every check and for the long form (100,000 messages).
SOAK_SLACK_KB=${SOAK_SLACK_KB:-2048}
SOAK_WAVE=${SOAK_WAVE:-100}
SOAK_VALGRIND=${SOAK_VALGRIND:-1000}
SOAK_TIMEOUT=${SOAK_TIMEOUT:-120}
SOAK_VG_TIMEOUT=${SOAK_VG_TIMEOUT:-150}
export SOAK_SLACK_KB SOAK_WAVE SOAK_VALGRIND SOAK_TIMEOUT SOAK_VG_TIMEOUT
exec sh "$top_srcdir/bench/soak.sh" 2000
