#!/usr/bin/env python3
"""fake_rspamd.py - a stand-in for rspamd's HTTP /checkv2 on 127.0.0.1.

rspamd is not packaged for the test machines, so the tests of
[spam] rspamd talk to this: it prints its port on stdout, then answers
POST /checkv2 the way rspamd does (a JSON object with "action", "score",
"required_score" and "symbols"): GTUBE anywhere in the body is
"reject" (as rspamd's own GTUBE rule), anything else "no action".
Every request is appended to --log (method, path, body length).

usage: fake_rspamd.py [--mode ok|error|garbage|slow] [--delay S] [--log FILE]
  ok       answer as above (default); with --delay, only after S seconds
           (an rspamd that is up but thinks slowly)
  error    HTTP 503 to everything (rspamd overloaded)
  garbage  HTTP 200 with a body that is no rspamd result
  slow     accept, then say nothing for 60 s
Standard library only.  Ends on SIGTERM.
"""
import argparse
import http.server
import json
import sys
import time

GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="ok", choices=["ok", "error", "garbage", "slow"])
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--log", default=None)
    a = ap.parse_args()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            if a.log:
                with open(a.log, "a") as f:
                    f.write("%s %s %d\n" % (self.command, self.path, len(body)))
            if a.mode == "slow":
                time.sleep(60)
                return
            time.sleep(a.delay)
            if a.mode == "error":
                self.send_response(503)
                self.end_headers()
                return
            if a.mode == "garbage":
                out = b"<html>not rspamd</html>"
            elif self.path != "/checkv2":
                self.send_response(404)
                self.end_headers()
                return
            elif GTUBE in body:
                out = json.dumps({"is_skipped": False, "score": 15.0, "required_score": 15.0,
                                  "action": "reject", "symbols": {"GTUBE": {
                                      "name": "GTUBE", "score": 0.0,
                                      "options": ["action: \"reject\""]}},
                                  "messages": {"smtp_message": "Gtube pattern"}}).encode()
            else:
                out = json.dumps({"is_skipped": False, "score": 0.5, "required_score": 15.0,
                                  "action": "no action",
                                  "symbols": {"ARC_NA": {"name": "ARC_NA", "score": 0.0}},
                                  "messages": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
