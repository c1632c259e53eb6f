#!/usr/bin/env python3
"""hostile_smtp.py - an SMTP server that misbehaves on purpose, for redress's tests.

smtp-sink can refuse, delay and hang up, but some faults of real servers it
cannot make: these are the ones tests/t_send.sh needs.

  hostile_smtp.py --dir DIR --mode MODE [--after N] [--lifetime SECONDS]

Modes:
  ok          a plain, polite server: 250 to everything, 354 to DATA.
  stall-dot   takes the whole message, final dot included, and never
              answers it: the connection stays open, silent, until the
              client closes it.  Whether the message was accepted is what
              the client cannot know (RFC 1047).
  blackhole   accepts the TCP connection and never says a word (a dead
              server behind a live port, or a firewall that drops).
  stall-after serves --after N messages politely (default 1), then takes
              the next one whole and never answers its final dot, as
              stall-dot does.
  refuse      serves --after N messages politely (default 1), then stops
              listening and closes the connection after the reply to the
              Nth final dot: every later connection is refused.

Binds 127.0.0.1 on a free port and writes it to DIR/port once listening.
Each message that arrives whole (final dot seen) goes to DIR/msg-N.eml as
received (CRLF, dots unstuffed), whether or not it was answered; DIR/log
gets one line per event: "connect", "message N", "closed".  Exits on
SIGTERM, or after --lifetime seconds (default 300) so that nothing
outlives a killed test.  Python 3 standard library only.
"""
import argparse
import os
import select
import signal
import socket
import sys
import threading
import time

args = None
lock = threading.Lock()
count = [0]
listener = [None]
want_close = threading.Event()
closed = threading.Event()


def log(line):
    with lock:
        with open(os.path.join(args.dir, "log"), "a") as f:
            f.write(line + "\n")


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

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

    def wait_close(self):
        """Says nothing more; returns when the client hangs up."""
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass


def serve(c):
    log("connect")
    if args.mode == "blackhole":
        c.wait_close()
        return
    c.send("220 hostile.test ESMTP")
    while True:
        line = c.readline()
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            c.send("250 hostile.test")
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            c.send("250 2.0.0 Ok")
        elif verb == b"QUIT":
            c.send("221 2.0.0 Bye")
            return
        elif verb == b"DATA":
            c.send("354 End data with <CR><LF>.<CR><LF>")
            body = []
            while True:
                ln = c.readline()
                if ln == b".":
                    break
                body.append(ln[1:] if ln.startswith(b".") else ln)
            with lock:
                count[0] += 1
                n = count[0]
            with open(os.path.join(args.dir, "msg-%d.eml" % n), "wb") as f:
                f.write(b"\r\n".join(body) + b"\r\n")
            log("message %d" % n)
            if args.mode == "stall-dot" or (args.mode == "stall-after" and n > args.after):
                c.wait_close()
                return
            if args.mode == "refuse" and n >= args.after:
                # Before the reply: the client's next connection, however
                # quick, finds nobody listening.
                # The thread that polls the listener closes it: a socket
                # closed under another thread's poll lingers until the
                # poll ends, and takes connections meanwhile.
                want_close.set()
                closed.wait(5)
                c.send("250 2.0.0 Ok: queued as %d" % n)
                return
            c.send("250 2.0.0 Ok: queued as %d" % n)
        else:
            c.send("502 5.5.2 Error: command not recognized")


def handle(sock):
    c = Conn(sock)
    try:
        serve(c)
    except (EOFError, OSError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass
        log("closed")


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", required=True,
                   choices=["ok", "stall-dot", "stall-after", "blackhole", "refuse"])
    p.add_argument("--after", type=int, default=1)
    p.add_argument("--lifetime", type=float, default=300)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    s.setblocking(False)
    listener[0] = s
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
    end = time.monotonic() + args.lifetime
    while time.monotonic() < end:
        if want_close.is_set() and listener[0] is not None:
            listener[0].close()
            listener[0] = None
            log("stopped listening")
            closed.set()
        if listener[0] is None:
            time.sleep(0.2)
            continue
        r, _, _ = select.select([listener[0]], [], [], 0.05)
        if not r:
            continue
        try:
            sock, _ = listener[0].accept()
        except OSError:
            continue
        sock.setblocking(True)
        threading.Thread(target=handle, args=(sock,), daemon=True).start()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
