#!/usr/bin/env python3
"""dns_blackhole.py - a DNS server that reads every query and never answers.

Usage: dns_blackhole.py PORTFILE [PORT]

Binds UDP and TCP port PORT (53 by default: the only port resolv.conf can
name) on a free address 127.A.B.C other than 127.0.0.1, so that it clashes
with no resolver the machine runs; writes that address to PORTFILE once it
listens, and then swallows queries until it is killed.  A name server that
is down refuses (ICMP port unreachable, and glibc moves on at once); one
whose host is gone never answers, which is what this plays: every lookup
through it waits out resolv.conf's timeout x attempts.  Each query
received adds a line to PORTFILE.log, so that a test can wait until a
program is in its lookup.  Standard library only.
"""
import os
import random
import selectors
import socket
import sys


def bind_pair(port):
    """A UDP and a TCP socket on one free loopback address."""
    for _ in range(200):
        addr = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255),
                                 random.randint(1, 254))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((addr, port))
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((addr, port))
            t.listen(16)
            return addr, u, t
        except OSError:
            u.close()
            t.close()
    sys.exit("dns_blackhole: no free loopback address for port %d" % port)


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 53
    addr, udp, tcp = bind_pair(port)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(addr + "\n")
    os.rename(tmp, sys.argv[1])
    log = open(sys.argv[1] + ".log", "a", buffering=1)
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ)
    sel.register(tcp, selectors.EVENT_READ)
    held = []
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is udp:
                udp.recvfrom(65536)          # swallowed
                log.write("udp\n")
            elif s is tcp:
                c, _ = tcp.accept()
                held.append(c)               # kept open, never answered
                log.write("tcp\n")
                sel.register(c, selectors.EVENT_READ)
            else:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    s.close()
                    held.remove(s)


if __name__ == "__main__":
    main()
