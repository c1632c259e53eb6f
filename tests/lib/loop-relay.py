#!/usr/bin/env python3
"""loop-relay.py - a tiny mail relay on loopback for tests/t_loop.sh.

It stands in for the MTA between redress and a customer's mailbox, so that
autoresponder loops can be tested end to end without a real mail system.

  loop-relay.py serve --port-file F --log F --dovecot-conf F
                      [--route ADDR=ROUTE ...] [--lifetime S]
      Listens on a free 127.0.0.1 port (written to --port-file once it
      listens) and speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA,
      RSET, NOOP, QUIT) for libcurl and Dovecot's smtp client.  For every
      recipient of every message it logs one JSON line to --log and then
      delivers by the recipient's route:
        lda  dovecot-lda -d ADDR: the user's Sieve script runs (Pigeonhole
             vacation sends its reply through submission_host, which the
             test points back at this relay);
        ooo  lda, and then a badly behaved out-of-office: a plain reply
             "Subject: Out of office" to the message's From, with no
             Auto-Submitted, no In-Reply-To, no References, envelope sender
             ADDR; routed like any other message;
        (no route) logged and dropped.
      Delivery happens before the reply to the final "." is sent, so when
      the client's SMTP transaction is over, everything it caused (a Sieve
      vacation reply, an out-of-office answer, their delivery into the
      support mailbox) is over too: the test needs no sleeps.
      Exits after --lifetime seconds (default 300) whatever happens.

  loop-relay.py submit --port P --from ADDR RCPT... < MESSAGE
      Sends one message through the relay (smtplib), as a person's mail
      client would.

  loop-relay.py count --log F [--field NAME] [KEY=VALUE ...]
      Prints how many log lines have every KEY equal to VALUE ("KEY~=TEXT":
      the field contains TEXT, case-insensitive; VALUE "" matches a missing
      or empty field); with --field, prints NAME of each such line instead.

Log fields: n (sequence), env_from, rcpt, route, from, to, subject,
message_id, in_reply_to, references, auto_submitted, generated ("ooo" for
answers made here), result ("delivered", "dropped" or "failed: ...").
Standard library only (Python 3.11 has no smtpd module).
"""

import argparse
import email.parser
import email.policy
import email.utils
import json
import os
import smtplib
import socket
import socketserver
import subprocess
import sys
import threading
import time

LDA = "/usr/lib/dovecot/dovecot-lda"
MAX_MESSAGE = 10 * 1024 * 1024
MAX_LINE = 4096


class Relay:
    def __init__(self, args):
        self.log_path = args.log
        self.conf = args.dovecot_conf
        self.routes = {}
        for r in args.route or []:
            addr, _, route = r.partition("=")
            self.routes[addr.lower()] = route
        self.lock = threading.Lock()
        self.n = 0
        self.ooo_n = 0

    def log(self, entry):
        with self.lock:
            self.n += 1
            entry["n"] = self.n
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")

    def lda(self, rcpt, env_from, data):
        cmd = [LDA, "-c", self.conf, "-d", rcpt, "-e"]
        if env_from:
            cmd += ["-f", env_from]
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
        if p.returncode != 0:
            return "failed: dovecot-lda exit %d: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace").strip())
        return "delivered"

    def deliver(self, env_from, rcpts, data, generated=None):
        """Delivers one message to each recipient; returns None or an error."""
        msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            data, headersonly=True)
        failed = None
        for rcpt in rcpts:
            route = self.routes.get(rcpt.lower(), "")
            entry = {
                "env_from": env_from, "rcpt": rcpt, "route": route,
                "from": str(msg.get("From", "")), "to": str(msg.get("To", "")),
                "subject": str(msg.get("Subject", "")),
                "message_id": str(msg.get("Message-ID", "")).strip(),
                "in_reply_to": str(msg.get("In-Reply-To", "")).strip(),
                "references": " ".join(str(msg.get("References", "")).split()),
                "auto_submitted": str(msg.get("Auto-Submitted", "")).strip(),
                "generated": generated or "",
            }
            # What the final MTA adds: the envelope sender as Return-Path.
            stamped = ("Return-Path: <%s>\r\n" % env_from).encode() + data
            if route in ("lda", "ooo"):
                entry["result"] = self.lda(rcpt, env_from, stamped)
            else:
                entry["result"] = "dropped"
            self.log(entry)
            if entry["result"].startswith("failed"):
                failed = entry["result"]
                continue
            if route == "ooo":
                self.out_of_office(rcpt, msg)
        return failed

    def out_of_office(self, me, msg):
        """A crude autoresponder: answers the From address, marks nothing."""
        to = email.utils.parseaddr(str(msg.get("From", "")))[1]
        if not to:
            return
        with self.lock:
            self.ooo_n += 1
            k = self.ooo_n
        reply = (
            "From: %s\r\n"
            "To: %s\r\n"
            "Subject: Out of office\r\n"
            "Date: %s\r\n"
            "Message-ID: <ooo-%d-%d@example.net>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "I am out of the office until next month and read no mail.\r\n"
            % (me, to, email.utils.formatdate(), os.getpid(), k))
        self.deliver(me, [to], reply.encode(), generated="ooo")


class Handler(socketserver.StreamRequestHandler):
    timeout = 60

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        relay = self.server.relay
        env_from, rcpts = None, []
        self.reply("220 loop-relay ESMTP")
        while True:
            line = self.rfile.readline(MAX_LINE)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                self.reply("250-loop-relay")
                self.reply("250-8BITMIME")
                self.reply("250-SMTPUTF8")
                self.reply("250 SIZE %d" % MAX_MESSAGE)
            elif verb == "HELO":
                self.reply("250 loop-relay")
            elif verb == "MAIL":
                env_from = cmd[cmd.find("<") + 1:cmd.find(">")] if "<" in cmd else ""
                rcpts = []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                if env_from is None:
                    self.reply("503 5.5.1 MAIL first")
                    continue
                rcpts.append(cmd[cmd.find("<") + 1:cmd.find(">")])
                self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if env_from is None or not rcpts:
                    self.reply("503 5.5.1 RCPT first")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                chunks, size = [], 0
                while True:
                    l = self.rfile.readline(MAX_LINE)
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    size += len(l)
                    if size <= MAX_MESSAGE:
                        chunks.append(l)
                if size > MAX_MESSAGE:
                    self.reply("552 5.3.4 Message too big")
                else:
                    err = relay.deliver(env_from, rcpts, b"".join(chunks))
                    if err:
                        self.reply("451 4.3.0 " + err.replace("\r", " ").replace("\n", " ")[:200])
                    else:
                        self.reply("250 2.0.0 Ok: delivered")
                env_from, rcpts = None, []
            elif verb == "RSET":
                env_from, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not recognized")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(args):
    srv = Server(("127.0.0.1", 0), Handler)
    srv.relay = Relay(args)
    port = srv.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    srv.serve_forever()


def submit(args):
    data = sys.stdin.buffer.read()
    with smtplib.SMTP("127.0.0.1", args.port, timeout=60) as s:
        s.sendmail(args.sender, args.rcpt, data)


def count(args):
    """Counts (or with --field, prints a field of) the matching lines."""
    want = []
    for kv in args.match:
        k, _, v = kv.partition("=")
        want.append((k, v))
    n = 0
    try:
        lines = open(args.log, encoding="utf-8").read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        e = json.loads(line)
        good = True
        for k, v in want:
            if k.endswith("~"):
                good = v.lower() in str(e.get(k[:-1], "")).lower()
            else:
                good = str(e.get(k, "")) == v
            if not good:
                break
        if good and args.field:
            print(e.get(args.field, ""))
        n += good
    if not args.field:
        print(n)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--dovecot-conf", required=True)
    s.add_argument("--route", action="append")
    s.add_argument("--lifetime", type=float, default=300)
    s = sub.add_parser("submit")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--from", dest="sender", required=True)
    s.add_argument("rcpt", nargs="+")
    s = sub.add_parser("count")
    s.add_argument("--log", required=True)
    s.add_argument("--field")
    s.add_argument("match", nargs="*")
    args = ap.parse_args()
    {"serve": serve, "submit": submit, "count": count}[args.cmd](args)


if __name__ == "__main__":
    main()
