#!/usr/bin/env python3
"""spamc.py - a minimal spamc protocol client for redress's tests.

Talks to SpamAssassin's spamd over TCP (the spamc protocol, spamd/PROTOCOL
in SpamAssassin's source) with the standard library only, and prints the
response as it came: the status line, the headers, an empty line, the body.

    spamc.py --port PORT [--host 127.0.0.1] [--timeout 30] [--user NAME]
             [--length N] [--no-length] [--no-shutdown] COMMAND [FILE]

COMMAND is PING, CHECK, SYMBOLS, REPORT, REPORT_IFSPAM, PROCESS, HEADERS or
SKIP.  The message is read from FILE (or stdin) for every command but PING
and SKIP, sent byte for byte with "Content-length: <its size>" (or N with
--length, or none with --no-length, to see what spamd does with a wrong
one), and the write side is shut down after it, as spamc does.

Exit status: 0 when spamd answered with status 0 (EX_OK), 1 when it
answered with another status, 2 when it could not be reached or did not
answer within the timeout (the whole exchange is bounded by --timeout),
3 when the answer was not the spamc protocol.
"""

import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--user")
    ap.add_argument("--length", type=int)
    ap.add_argument("--no-length", action="store_true")
    ap.add_argument("--no-shutdown", action="store_true")
    ap.add_argument("--protocol", default="1.5")
    ap.add_argument("command")
    ap.add_argument("file", nargs="?")
    a = ap.parse_args()

    cmd = a.command.upper()
    body = b""
    if cmd not in ("PING", "SKIP"):
        if a.file:
            with open(a.file, "rb") as f:
                body = f.read()
        else:
            body = sys.stdin.buffer.read()

    req = "%s SPAMC/%s\r\n" % (cmd, a.protocol)
    if cmd not in ("PING", "SKIP") and not a.no_length:
        req += "Content-length: %d\r\n" % (a.length if a.length is not None else len(body))
    if a.user:
        req += "User: %s\r\n" % a.user
    req += "\r\n"

    deadline = time.monotonic() + a.timeout
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        print("spamc.py: cannot connect to %s:%d: %s" % (a.host, a.port, e), file=sys.stderr)
        return 2
    resp = b""
    try:
        s.sendall(req.encode("ascii") + body)
        if not a.no_shutdown:
            s.shutdown(socket.SHUT_WR)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            resp += chunk
    except socket.timeout:
        print("spamc.py: no complete answer within %g s (got %d bytes)"
              % (a.timeout, len(resp)), file=sys.stderr)
        return 2
    except OSError as e:
        print("spamc.py: %s (got %d bytes)" % (e, len(resp)), file=sys.stderr)
        if not resp:
            return 2
    finally:
        s.close()

    head, sep, rest = resp.partition(b"\r\n")
    parts = head.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("SPAMD/") or not parts[1].isdigit():
        sys.stdout.buffer.write(resp)
        print("spamc.py: not a spamd answer: %r" % head[:200], file=sys.stderr)
        return 3
    out = sys.stdout.buffer
    out.write(head + b"\n")
    if sep:
        if rest.startswith(b"\r\n"):
            hdrs, resp_body = b"", rest[2:]
        else:
            hdrs, _, resp_body = rest.partition(b"\r\n\r\n")
        if hdrs:
            for line in hdrs.split(b"\r\n"):
                out.write(line + b"\n")
        out.write(b"\n")
        out.write(resp_body)
    out.flush()
    return 0 if parts[1] == "0" else 1


if __name__ == "__main__":
    sys.exit(main())
