# redress.sieve - deliver mail for the support address to "redress filter"
# from Dovecot's LDA/LMTP, with Pigeonhole's vnd.dovecot.pipe extension.
#
# Install (see 90-redress.conf next to this file for the Dovecot side):
#   cp redress.sieve /etc/dovecot/sieve/redress.sieve
#   sievec /etc/dovecot/sieve/redress.sieve     (global scripts are not
#                                                compiled on the fly)
#
# "redress" is not a path: it names a program in sieve_pipe_bin_dir (the
# wrapper script in 90-redress.conf).  Dovecot sets SENDER, RECIPIENT and
# ORIG_RECIPIENT in the program's environment; redress reads them.
#
# What happens when redress fails: pipe treats every non-zero exit code,
# 75 included, as a failure, and so does a program still running after
# sieve_pipe_exec_timeout (10 s by default).  The script then fails, and
# Sieve's implicit keep files the message into INBOX: nothing is lost, but
# redress has not got it.  Pick it up later with "redress ingest" on the
# maildir, or let "redress fetch" read that INBOX over IMAP.  Successful
# pipes cancel the implicit keep, so stored messages do not pile up in
# INBOX; add :copy to the pipe to keep them there too.

require ["envelope", "vnd.dovecot.pipe"];

# Only mail for the support address goes to redress.
if envelope :is "to" ["care@example.com", "complaints@example.com"] {
    pipe "redress" ["filter"];
    stop;
}
