#!/usr/bin/env python3
"""hostile_imap.py - a small IMAP server that misbehaves on purpose.

usage: hostile_imap.py SCENARIO PORTFILE [LOGFILE]

Listens on a free port of 127.0.0.1, writes the port number to PORTFILE
(through a rename, so a reader never sees half of it) and serves every
connection with SCENARIO until it is killed.  LOGFILE (default
PORTFILE.log) gets one line per event: "conn N", each command received
(LOGIN's password replaced by "***"), "marked UIDS" for every UID STORE,
"sent BYTES" when a connection ends.  Python 3 standard library only.

What a real server does, it does: greeting, CAPABILITY (IMAP4rev1 IDLE
UIDPLUS, and STARTTLS in "starttls-endless"), LOGIN, SELECT with FLAGS,
EXISTS, UIDVALIDITY and UIDNEXT, UID FETCH of a listing (UID RFC822.SIZE),
of bodies (BODY.PEEK[] or BODY.PEEK[]<0.N>) and of bare UIDs, UID SEARCH
(answered with the unmarked UIDs), UID STORE, NOOP, LOGOUT.  What it does
wrong, per scenario:

  good             nothing: three small messages (a baseline)
  literal-close    announces BODY[] {100000000}, sends 10 bytes, closes
  drip             announces BODY[] {200}, then sends one byte a second
  greeting-endless a greeting line that never ends (as fast as it can)
  starttls-endless the same, for a client that wants STARTTLS
  flags-huge       a FLAGS response of 300 MB of keywords to SELECT
  body-larger      lists a message of 100 bytes, sends a 200 MiB literal
  body-trailing    a body of 100 bytes followed by 200 MiB without a CRLF
  uid-max          lists UIDs 1 and 4294967295, delivers only 1; from the
                   second connection on, UID 2 exists too
  no-body          UID 2 of 3 is answered with NO (not a temporary one)
  no-transient     UID 2 of 3 is answered with NO [UNAVAILABLE]
  body-nil         UID 2 of 3 is answered with BODY[] NIL
  slow             three messages listed as 10 MiB each (so each is an
                   answer of its own), every answer held back 4 s with a
                   "* OK still working" each second
"""
import os
import re
import socket
import socketserver
import sys
import threading
import time

SCENARIO = sys.argv[1]
PORTFILE = sys.argv[2]
LOGFILE = sys.argv[3] if len(sys.argv) > 3 else PORTFILE + ".log"
UIDVALIDITY = 1700000000
UID_MAX = 4294967295

log_lock = threading.Lock()
conn_count = 0
marked = set()      # UIDs with \Seen + keyword, shared by all connections


def log(line):
    with log_lock:
        with open(LOGFILE, "a") as f:
            f.write(line + "\n")


def message(k):
    return ("From: Customer %d <customer%d@example.net>\r\n"
            "To: complaints@example.com\r\n"
            "Subject: Complaint %d: parcel not delivered\r\n"
            "Date: Mon, 3 Jun 2024 10:00:00 +0000\r\n"
            "Message-ID: <hostile-%d@redress.test>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "My parcel %d has not arrived after three weeks.\r\n"
            % (k, k, k, k, k)).encode()


def mailbox(conn):
    """The messages of this connection: {uid: body bytes or None}."""
    if SCENARIO == "uid-max":
        box = {1: message(1), UID_MAX: None}
        if conn >= 2:
            box[2] = message(2)
        return box
    if SCENARIO in ("literal-close", "drip", "body-larger", "body-trailing"):
        return {1: message(1)}
    if SCENARIO == "slow":
        return {k: message(k) for k in range(1, 4)}
    return {k: message(k) for k in range(1, 4)}


def parse_set(text, box):
    """The UIDs of box in an IMAP UID set ("1,3:5,7:*")."""
    top = max(box) if box else 0
    want = set()
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":", 1)
            a = top if a == "*" else int(a)
            b = top if b == "*" else int(b)
            lo, hi = min(a, b), max(a, b)
            want.update(u for u in box if lo <= u <= hi)
            # "n:*" always includes the highest UID (RFC 3501 6.4.8).
            if "*" in (part.split(":")) and top:
                want.add(top)
        else:
            u = top if part == "*" else int(part)
            if u in box:
                want.add(u)
    return sorted(want)


class Handler(socketserver.BaseRequestHandler):
    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.request.sendall(data)
        self.sent += len(data)

    def endless(self, prefix):
        """Sends prefix, then 'x' for ever (until the peer goes)."""
        self.send(prefix)
        block = b"x" * 65536
        while self.sent < 30 * 1024 ** 3:
            self.send(block)

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.request.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def handle(self):
        global conn_count
        with log_lock:
            conn_count += 1
            conn = conn_count
        self.sent = 0
        self.buf = b""
        log("conn %d" % conn)
        try:
            self.serve(conn)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            log("sent %d" % self.sent)

    def serve(self, conn):
        if SCENARIO in ("greeting-endless", "starttls-endless"):
            self.endless("* OK ")
            return
        self.send("* OK hostile IMAP ready\r\n")
        box = mailbox(conn)
        seqs = {u: i + 1 for i, u in enumerate(sorted(box))}
        caps = "IMAP4rev1 IDLE UIDPLUS"
        while True:
            line = self.readline()
            if line is None:
                return
            m = re.match(r"(\S+) (.*)", line)
            if not m:
                continue
            tag, cmd = m.group(1), m.group(2)
            up = cmd.upper()
            log(re.sub(r"(?i)^(LOGIN \S+) .*", r"\1 ***", cmd))
            if up.startswith("CAPABILITY"):
                self.send("* CAPABILITY %s\r\n%s OK done\r\n" % (caps, tag))
            elif up.startswith("LOGIN"):
                self.send("%s OK [CAPABILITY %s] logged in\r\n" % (tag, caps))
            elif up.startswith("SELECT") or up.startswith("EXAMINE"):
                self.select(tag, box)
            elif up.startswith("UID FETCH"):
                self.fetch(tag, cmd, box, seqs)
            elif up.startswith("UID SEARCH"):
                m2 = re.search(r"UID (\d+):(\d+)", cmd[10:])
                lo, hi = (int(m2.group(1)), int(m2.group(2))) if m2 else (1, UID_MAX)
                hits = [u for u in sorted(box)
                        if lo <= u <= hi and u not in marked and box[u] is not None]
                self.send("* SEARCH%s\r\n%s OK done\r\n"
                          % ("".join(" %d" % u for u in hits), tag))
            elif up.startswith("UID STORE"):
                uids = parse_set(cmd.split()[2], box)
                marked.update(uids)
                log("marked %s" % ",".join(str(u) for u in uids))
                self.send("%s OK stored\r\n" % tag)
            elif up.startswith("NOOP"):
                self.send("%s OK noop\r\n" % tag)
            elif up.startswith("LOGOUT"):
                self.send("* BYE bye\r\n%s OK logged out\r\n" % tag)
                return
            else:
                self.send("%s BAD unknown command\r\n" % tag)

    def select(self, tag, box):
        if SCENARIO == "flags-huge":
            self.send("* FLAGS (\\Seen")
            block = "".join(" k%07d" % i for i in range(8192)).encode()
            while self.sent < 300 * 1024 ** 2:
                self.send(block)
            self.send(")\r\n")
        else:
            self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n")
        self.send("* %d EXISTS\r\n* 0 RECENT\r\n" % len(box))
        self.send("* OK [UIDVALIDITY %d] UIDs valid\r\n" % UIDVALIDITY)
        self.send("* OK [UIDNEXT %d] next\r\n" % min(max(box) + 1, UID_MAX))
        self.send("%s OK [READ-WRITE] selected\r\n" % tag)

    def fetch(self, tag, cmd, box, seqs):
        m = re.match(r"(?i)UID FETCH (\S+) \((.*)\)", cmd)
        if not m:
            self.send("%s BAD syntax\r\n" % tag)
            return
        uids = parse_set(m.group(1), box)
        items = m.group(2).upper()
        if "BODY" not in items:
            # A listing (UID RFC822.SIZE) or bare UIDs.
            out = []
            for u in uids:
                if "RFC822.SIZE" in items:
                    size = len(box[u]) if box[u] is not None else 100
                    if SCENARIO in ("body-larger", "body-trailing"):
                        size = 100
                    if SCENARIO == "slow":
                        size = 10 * 1024 ** 2
                    out.append("* %d FETCH (UID %d RFC822.SIZE %d)\r\n"
                               % (seqs[u], u, size))
                else:
                    out.append("* %d FETCH (UID %d)\r\n" % (seqs[u], u))
            self.send("".join(out) + "%s OK fetched\r\n" % tag)
            return
        pm = re.search(r"BODY\.PEEK\[\]<0\.(\d+)>", items)
        limit = int(pm.group(1)) if pm else None
        label = "BODY[]<0>" if pm else "BODY[]"
        refused = []
        for u in uids:
            body = box[u]
            head = "* %d FETCH (UID %d %s " % (seqs[u], u, label)
            if SCENARIO == "literal-close":
                self.send(head + "{100000000}\r\n" + "0123456789")
                self.request.shutdown(socket.SHUT_RDWR)
                raise ConnectionResetError
            if SCENARIO == "drip":
                self.send(head + "{200}\r\n")
                for _ in range(200):
                    time.sleep(1)
                    self.send("x")
                self.send(")\r\n%s OK fetched\r\n" % tag)
                return
            if SCENARIO == "body-larger":
                n = 200 * 1024 ** 2
                self.send(head + "{%d}\r\n" % n)
                block = b"y" * 65536
                for _ in range(n // 65536):
                    self.send(block)
                self.send(")\r\n%s OK fetched\r\n" % tag)
                return
            if SCENARIO == "body-trailing":
                self.send(head + "{100}\r\n" + "z" * 100)
                block = b"z" * 65536
                for _ in range(200 * 16):
                    self.send(block)
                self.send(")\r\n%s OK fetched\r\n" % tag)
                return
            if body is None:
                continue            # announced, never delivered
            if u == 2 and SCENARIO in ("no-body", "no-transient"):
                refused.append(u)
                continue
            if u == 2 and SCENARIO == "body-nil":
                self.send(head + "NIL)\r\n")
                continue
            if SCENARIO == "slow":
                for _ in range(4):
                    time.sleep(1)
                    self.send("* OK still working\r\n")
            if limit is not None:
                body = body[:limit]
            self.send(head.encode() + b"{%d}\r\n" % len(body) + body + b")\r\n")
        if refused:
            code = "[UNAVAILABLE] " if SCENARIO == "no-transient" else ""
            self.send("%s NO %sSome messages could not be fetched\r\n" % (tag, code))
        else:
            self.send("%s OK fetched\r\n" % tag)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
