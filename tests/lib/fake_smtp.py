#!/usr/bin/env python3
"""fake_smtp.py - a small SMTP server with TLS and AUTH for redress's tests.

smtp-sink speaks no TLS and cannot complete an AUTH, so the TLS and login
paths of the SMTP mailer are tested against this instead.  It is strict
where it matters for those tests and nothing more: one client at a time
(a thread per connection), STARTTLS or implicit TLS with a given
certificate, AUTH PLAIN and LOGIN checked against one user and password,
MAIL/RCPT/DATA with dot-unstuffing, RSET, NOOP, QUIT.

  fake_smtp.py --dir DIR [--tls none|starttls|implicit] [--cert F --key F]
               [--user U --password P] [--mech "PLAIN LOGIN"]

Binds 127.0.0.1 on a free port and writes it to DIR/port once listening.
Every accepted message goes to DIR/msg-N.eml exactly as received (CRLF,
dots unstuffed); DIR/log gets one line per event: "connect", "tls",
"auth ok MECH", "auth fail MECH", "mail FROM", "rcpt TO", "data N BYTES",
"quit".  Credentials are never written anywhere.  Stops on SIGTERM.
"""
import argparse
import base64
import os
import signal
import socket
import ssl
import sys
import threading

args = None
lock = threading.Lock()
counter = [0]


def log(line):
    with lock:
        with open(os.path.join(args.dir, "log"), "a") as f:
            f.write(line + "\n")


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.tls = False
        self.authed = False

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def starttls(self, ctx):
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.tls = True
        self.buf = b""


def check_plain(blob):
    try:
        parts = base64.b64decode(blob, validate=True).split(b"\0")
    except Exception:
        return False
    return (len(parts) == 3 and parts[1].decode() == args.user and
            parts[2].decode() == args.password)


def serve(c, ctx):
    log("connect")
    if args.tls == "implicit":
        c.starttls(ctx)
        log("tls")
    c.send("220 fake.test ESMTP")
    mail_from = None
    rcpts = []
    while True:
        line = c.readline().decode("utf-8", "replace")
        verb = line.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            ext = ["250-fake.test", "250-PIPELINING", "250-8BITMIME"]
            if args.tls == "starttls" and not c.tls:
                ext.append("250-STARTTLS")
            if args.user and (c.tls or args.tls == "none"):
                ext.append("250-AUTH " + args.mech)
            ext.append("250 SMTPUTF8")
            for e in ext:
                c.send(e)
        elif verb == "STARTTLS" and args.tls == "starttls" and not c.tls:
            c.send("220 2.0.0 Ready to start TLS")
            c.starttls(ctx)
            log("tls")
        elif verb == "AUTH":
            words = line.split(" ")
            mech = words[1].upper() if len(words) > 1 else ""
            good = False
            if mech not in args.mech.split():
                c.send("504 5.5.4 Unrecognized authentication type")
                continue
            if mech == "PLAIN":
                blob = words[2] if len(words) > 2 else None
                if blob is None:
                    c.send("334 ")
                    blob = c.readline().decode()
                good = check_plain(blob)
            elif mech == "LOGIN":
                if len(words) > 2:
                    user = words[2]
                else:
                    c.send("334 VXNlcm5hbWU6")
                    user = c.readline().decode()
                c.send("334 UGFzc3dvcmQ6")
                pw = c.readline().decode()
                try:
                    good = (base64.b64decode(user).decode() == args.user and
                            base64.b64decode(pw).decode() == args.password)
                except Exception:
                    good = False
            if good:
                c.authed = True
                log("auth ok " + mech)
                c.send("235 2.7.0 Authentication successful")
            else:
                log("auth fail " + mech)
                c.send("535 5.7.8 Error: authentication failed")
        elif verb == "MAIL":
            if args.user and not c.authed:
                c.send("530 5.7.0 Authentication required")
                continue
            mail_from = line[5:]
            rcpts = []
            log("mail " + mail_from)
            c.send("250 2.1.0 Ok")
        elif verb == "RCPT":
            if mail_from is None:
                c.send("503 5.5.1 Error: need MAIL command")
                continue
            rcpts.append(line[5:])
            log("rcpt " + line[5:])
            c.send("250 2.1.5 Ok")
        elif verb == "DATA":
            if not rcpts:
                c.send("503 5.5.1 Error: need RCPT command")
                continue
            c.send("354 End data with <CR><LF>.<CR><LF>")
            body = bytearray()
            while True:
                raw = c.readline()
                if raw == b".":
                    break
                if raw.startswith(b"."):
                    raw = raw[1:]
                body += raw + b"\r\n"
            with lock:
                counter[0] += 1
                n = counter[0]
            with open(os.path.join(args.dir, "msg-%d.eml" % n), "wb") as f:
                f.write(body)
            log("data %d %d" % (n, len(body)))
            mail_from = None
            rcpts = []
            c.send("250 2.0.0 Ok: queued as %d" % n)
        elif verb == "RSET":
            mail_from = None
            rcpts = []
            c.send("250 2.0.0 Ok")
        elif verb == "NOOP":
            c.send("250 2.0.0 Ok")
        elif verb == "QUIT":
            log("quit")
            c.send("221 2.0.0 Bye")
            return
        else:
            c.send("502 5.5.2 Error: command not recognized")


def handle(sock, ctx):
    c = Conn(sock)
    try:
        serve(c, ctx)
    except (EOFError, ConnectionError, ssl.SSLError, OSError) as e:
        log("drop %s" % type(e).__name__)
    finally:
        try:
            c.sock.close()
        except OSError:
            pass


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--tls", default="none",
                   choices=("none", "starttls", "implicit"))
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--mech", default="PLAIN LOGIN")
    args = p.parse_args()
    ctx = None
    if args.tls != "none":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = os.path.join(args.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, os.path.join(args.dir, "port"))
    while True:
        sock, _ = srv.accept()
        sock.settimeout(30)
        threading.Thread(target=handle, args=(sock, ctx), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
