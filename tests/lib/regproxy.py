#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A counting, fault-injecting HTTP proxy in front of one OCI registry, for
the docker:// tests and the registry benchmark (issue #15). Python stdlib
only; hand-written because what it must do (count bytes per path, break a
blob's body after N bytes, fake a token server) is test instrumentation no
packaged proxy offers.

Usage:
  regproxy.py --upstream URL [--cafile CA] [--upstream-creds USER:PASS]
              --dir DIR [--port N]

  URL       the registry, "http://127.0.0.1:5000" or "https://…" (verified
            against --cafile, or the system CAs).
  DIR       the proxy's files: it writes DIR/port (the port it listens on,
            127.0.0.1; --port 0, the default, lets the kernel choose),
            DIR/stats.json (rewritten after each request), DIR/log (one line
            per request: "METHOD path range status bytes"), and reads
            DIR/control.json before each request (missing: no faults, no
            auth), so a test changes faults mid-mount. Write it atomically
            (a temporary file renamed over it); tests/lib/regproxy.sh does.

control.json:
  {"faults": [FAULT, ...], "auth": AUTH}
  FAULT (all keys optional but "kind"; the first matching fault that still
  has times left applies; several kinds may match one request: "delay"
  and "norange" combine with one of the others):
    "path":    regex searched in the request path (default: any)
    "method":  "GET" or ["GET", "HEAD"] (default: any)
    "times":   apply to the first K matching requests only (default: always);
               counted per fault (its JSON text), across control rewrites
    "kind":
      "drop"     close the connection (RST) after "after" body bytes
                 (default 0) of the answer
      "status"   answer "status" (429, 500, 502, 503...) without asking the
                 upstream, with "Retry-After: retry_after" when given
      "corrupt"  flip (xor 0xff) the body bytes at blob offsets "offsets"
                 (a list), or at every offset that is a multiple of
                 "every" (default: the blob's last byte); the offset of a
                 206 answer comes from its Content-Range
      "norange"  drop the client's Range header: the upstream answers 200
                 with the whole blob
      "short"    a 206 answer ends after "bytes" (default 100) body bytes,
                 its Content-Length saying so and its Content-Range not: a
                 well-framed answer shorter than the range it names
      "delay"    sleep "seconds" before answering
      "gather"   hold the request until "count" (default 2) requests this
                 fault matches are held at once, then answer them all; one
                 still alone after "seconds" (default 20) is answered
                 anyway. stats.json's "gathered" counts the requests
                 answered because their count was reached: requests a
                 client sent at once (a test of concurrency, not of timing)
  AUTH (absent or null: none; the client's Authorization goes upstream):
    {"user": U, "password": P, "anonymous": false,
     "expires_in": E (seconds, said in the token answer; default 300),
     "ttl": seconds a token really lives (default: expires_in),
     "max_uses": N (a token answers N requests, then 401; default: no limit),
     "refresh_token": R (POST /token with the OAuth2 form grant_type=
               refresh_token&refresh_token=R gets a token, as docker's identity
               tokens do; default: POST gets none)}
  With auth, every /v2/ request needs "Authorization: Bearer T" with a live
  token, else 401 with WWW-Authenticate: Bearer realm="http://127.0.0.1:
  PORT/token",service="regproxy",scope="repository:REPO:pull". GET /token
  checks Basic U:P (none: only when anonymous) and answers {"token": T,
  "access_token": T, "expires_in": E, "issued_at": now}. Requests go
  upstream with --upstream-creds (Basic), if given.

stats.json:
  {"requests": n, "bytes": body bytes sent to clients, "statuses": {"200": n},
   "faults": {"drop": n, ...}, "tokens": tokens issued, "denied": 401s sent,
   "paths": {"/v2/…": {"requests": n, "bytes": b}}, "gathered": n}
"""
import argparse
import base64
import http.client
import http.server
import json
import os
import re
import secrets
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "host", "content-length"}
CHUNK = 64 * 1024


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stats = {"requests": 0, "bytes": 0, "statuses": {}, "faults": {}, "tokens": 0,
                      "denied": 0, "paths": {}, "gathered": 0}
        self.gather_cv = threading.Condition(self.lock)
        self.gather_held = {}  # fault JSON text -> [held now, releases so far]
        self.used = {}       # fault JSON text -> times applied
        self.tokens = {}     # token -> [deadline, uses left or None]
        self.control = {}
        self.control_mtime = None
        self.port = 0
        u = urllib.parse.urlsplit(args.upstream)
        self.up_https = u.scheme == "https"
        self.up_host = u.hostname
        self.up_port = u.port or (443 if self.up_https else 80)
        self.up_base = "%s://%s" % (u.scheme, u.netloc)
        self.sslctx = None
        if self.up_https:
            self.sslctx = ssl.create_default_context(cafile=args.cafile)
        self.up_auth = None
        if args.upstream_creds:
            self.up_auth = "Basic " + base64.b64encode(args.upstream_creds.encode()).decode()

    def read_control(self):
        path = os.path.join(self.args.dir, "control.json")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return {}
        with self.lock:
            if self.control_mtime == (st.st_mtime_ns, st.st_size, st.st_ino):
                return self.control
        try:
            with open(path) as f:
                c = json.load(f) or {}
        except (OSError, ValueError) as e:
            sys.stderr.write("regproxy: %s: %s (keeping the previous control)\n" % (path, e))
            return self.control
        with self.lock:
            self.control = c
            self.control_mtime = (st.st_mtime_ns, st.st_size, st.st_ino)
        return c

    def take_faults(self, method, path):
        """The faults that apply to this request (their times are consumed)."""
        out = {}
        for f in self.read_control().get("faults") or []:
            kind = f.get("kind")
            if kind in out or (kind in ("drop", "status", "corrupt")
                               and any(k in out for k in ("drop", "status", "corrupt"))):
                continue
            if f.get("path") and not re.search(f["path"], path):
                continue
            m = f.get("method")
            if m and method not in ([m] if isinstance(m, str) else m):
                continue
            key = json.dumps(f, sort_keys=True)
            with self.lock:
                n = self.used.get(key, 0)
                if f.get("times") is not None and n >= f["times"]:
                    continue
                self.used[key] = n + 1
            out[kind] = f
        return out

    def gather(self, f):
        key = json.dumps(f, sort_keys=True)
        want = int(f.get("count", 2))
        deadline = time.monotonic() + float(f.get("seconds", 20))
        with self.gather_cv:
            g = self.gather_held.setdefault(key, [0, 0])
            g[0] += 1
            gen = g[1]
            if g[0] >= want:  # the last of them: release the group
                g[0] = 0
                g[1] += 1
                self.stats["gathered"] += want
                self.gather_cv.notify_all()
                return
            while g[1] == gen:
                left = deadline - time.monotonic()
                if left <= 0:  # alone: answered anyway, not counted
                    g[0] -= 1
                    return
                self.gather_cv.wait(left)

    def count(self, method, path, rng, status, nbytes, faults):
        with self.lock:
            s = self.stats
            s["requests"] += 1
            s["bytes"] += nbytes
            s["statuses"][str(status)] = s["statuses"].get(str(status), 0) + 1
            for k in faults:
                s["faults"][k] = s["faults"].get(k, 0) + 1
            p = s["paths"].setdefault(path, {"requests": 0, "bytes": 0})
            p["requests"] += 1
            p["bytes"] += nbytes
            tmp = os.path.join(self.args.dir, "stats.json.tmp")
            with open(tmp, "w") as f:
                json.dump(s, f, indent=1, sort_keys=True)
            os.replace(tmp, os.path.join(self.args.dir, "stats.json"))
            with open(os.path.join(self.args.dir, "log"), "a") as f:
                f.write("%s %s %s %s %d%s\n" % (method, path, rng or "-", status, nbytes,
                                                " " + ",".join(sorted(faults)) if faults else ""))

    # fake token server
    def issue(self, auth):
        tok = secrets.token_hex(16)
        e = int(auth.get("expires_in", 300))
        ttl = float(auth.get("ttl", e))
        with self.lock:
            self.tokens[tok] = [time.time() + ttl, auth.get("max_uses")]
            self.stats["tokens"] += 1
        return tok, e

    def token_ok(self, header):
        if not header or not header.startswith("Bearer "):
            return False
        tok = header[7:].strip()
        with self.lock:
            t = self.tokens.get(tok)
            if not t or time.time() > t[0]:
                return False
            if t[1] is not None:
                if t[1] <= 0:
                    return False
                t[1] -= 1
            return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "regproxy"
    up = None  # this client connection's upstream connection

    def log_message(self, fmt, *a):
        pass

    def do_GET(self):
        self.proxy()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send_small(self, status, body, headers=(), faults=()):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        S.count(self.command, self.urlpath, self.headers.get("Range"), status,
                0 if self.command == "HEAD" else len(data), faults)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def drain_request_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            b = self.rfile.read(min(n, CHUNK))
            if not b:
                break
            n -= len(b)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            for _ in self.chunks_in():
                pass

    def chunks_in(self):
        while True:
            line = self.rfile.readline()
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return
            left = size
            while left > 0:
                b = self.rfile.read(min(left, CHUNK))
                if not b:
                    raise ConnectionError("client closed mid-chunk")
                left -= len(b)
                yield b
            self.rfile.readline()

    def token(self, auth, form):
        h = self.headers.get("Authorization") or ""
        good = False
        if self.command == "POST":
            good = (form.get("grant_type") == ["refresh_token"] and auth.get("refresh_token")
                    and form.get("refresh_token") == [auth["refresh_token"]])
        elif h.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(h[6:]).decode().partition(":")
                good = u == auth.get("user") and p == auth.get("password")
            except ValueError:
                good = False
        elif not h:
            good = bool(auth.get("anonymous"))
        if not good:
            with S.lock:
                S.stats["denied"] += 1
            self.send_small(401, {"errors": [{"code": "UNAUTHORIZED",
                                              "message": "wrong user name or password"}]})
            return
        tok, e = S.issue(auth)
        self.send_small(200, {"token": tok, "access_token": tok, "expires_in": e,
                              "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def challenge(self):
        m = re.match(r"/v2/(.+?)/(manifests|blobs|tags|referrers)/", self.urlpath)
        scope = ""
        if m:
            act = "pull" if self.command in ("GET", "HEAD") else "pull,push"
            scope = ',scope="repository:%s:%s"' % (m.group(1), act)
        with S.lock:
            S.stats["denied"] += 1
        self.drain_request_body()
        self.send_small(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                        [("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:%d/token",'
                          'service="regproxy"%s' % (S.port, scope))])

    def connect(self):
        if S.up_https:
            return http.client.HTTPSConnection(S.up_host, S.up_port, context=S.sslctx, timeout=120)
        return http.client.HTTPConnection(S.up_host, S.up_port, timeout=120)

    def proxy(self):
        self.urlpath = urllib.parse.urlsplit(self.path).path
        control = S.read_control()
        auth = control.get("auth")
        if self.urlpath == "/token" and auth:
            form = {}
            if self.command == "POST":
                n = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(n).decode(errors="replace"))
            else:
                self.drain_request_body()
            return self.token(auth, form)
        if auth and self.urlpath.startswith("/v2/") and \
                not S.token_ok(self.headers.get("Authorization")):
            return self.challenge()
        faults = S.take_faults(self.command, self.urlpath)
        if "delay" in faults:
            time.sleep(float(faults["delay"].get("seconds", 1)))
        if "gather" in faults:
            S.gather(faults["gather"])
        if "status" in faults:
            f = faults["status"]
            self.drain_request_body()
            hdr = [("Retry-After", str(f["retry_after"]))] if "retry_after" in f else []
            return self.send_small(int(f.get("status", 503)),
                                   {"errors": [{"code": "UNAVAILABLE", "message": "regproxy fault"}]},
                                   hdr, faults)
        drop_hdr = set(HOP)
        if "norange" in faults:
            drop_hdr |= {"range", "if-range"}
        if auth or (S.up_auth and "Authorization" not in self.headers):
            drop_hdr.add("authorization")
        # a list, not a dict: clients send several Accept headers
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in drop_hdr]
        if "authorization" in drop_hdr and S.up_auth:
            headers.append(("Authorization", S.up_auth))
        rng = self.headers.get("Range")
        body = None
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if chunked:
            body = self.chunks_in()
            headers.append(("Transfer-Encoding", "chunked"))
        elif self.headers.get("Content-Length"):
            n = int(self.headers["Content-Length"])
            headers.append(("Content-Length", str(n)))
            body = self.rfile.read(n) if n <= 16 << 20 else self.body_stream(n)
        elif self.command in ("POST", "PUT", "PATCH"):
            headers.append(("Content-Length", "0"))
        for attempt in (0, 1):
            if self.up is None:
                self.up = self.connect()
            try:
                self.up.putrequest(self.command, self.path, skip_accept_encoding=True)
                for k, v in headers:
                    self.up.putheader(k, v)
                self.up.endheaders()
                if isinstance(body, bytes):
                    self.up.send(body)
                elif body is not None:
                    for b in body:
                        self.up.send(b"%x\r\n%s\r\n" % (len(b), b) if chunked else b)
                    if chunked:
                        self.up.send(b"0\r\n\r\n")
                resp = self.up.getresponse()
                break
            except (OSError, http.client.HTTPException):
                self.up.close()
                self.up = None
                if attempt or not (body is None or isinstance(body, bytes)):
                    self.close_connection = True
                    self.send_small(502, {"errors": [{"code": "UNAVAILABLE",
                                                      "message": "regproxy: upstream failed"}]})
                    return
        self.relay(resp, rng, faults)

    def body_stream(self, n):
        while n > 0:
            b = self.rfile.read(min(n, CHUNK))
            if not b:
                raise ConnectionError("client closed mid-body")
            n -= len(b)
            yield b

    def relay(self, resp, rng, faults):
        self.send_response(resp.status, resp.reason)
        length = resp.getheader("Content-Length")
        short = None
        if "short" in faults and resp.status == 206 and length is not None:
            short = min(int(faults["short"].get("bytes", 100)), int(length))
            length = str(short)
        for k, v in resp.getheaders():
            kl = k.lower()
            if kl in HOP or kl in ("date", "server"):
                continue
            if kl == "location" and v.startswith(S.up_base):
                v = "http://127.0.0.1:%d%s" % (S.port, v[len(S.up_base):])
            self.send_header(k, v)
        chunked = False
        if self.command == "HEAD" or resp.status in (204, 304):
            if length is not None:
                self.send_header("Content-Length", length)
        elif length is not None:
            self.send_header("Content-Length", length)
        else:
            chunked = True
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        drop = faults.get("drop")
        corrupt = faults.get("corrupt")
        start, total = 0, None
        cr = resp.getheader("Content-Range")
        if cr:
            m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", cr)
            if m:
                start = int(m.group(1))
                total = int(m.group(2)) if m.group(2) != "*" else None
        elif length is not None:
            total = int(length)
        offsets = corrupt.get("offsets") if corrupt else None
        every = int(corrupt.get("every", 0)) if corrupt else 0
        if corrupt and offsets is None and not every and total:
            offsets = [total - 1]
        # The stats and the log are written before the body's last bytes
        # go out (one chunk is held back), so a client that has read a
        # whole answer finds it counted.
        dropped = False
        counted = False
        pos = 0        # body bytes read from the upstream
        sent = 0       # body bytes sent to the client
        pending = b""  # the chunk held back

        def out(b):
            self.wfile.write(b if not chunked else b"%x\r\n%s\r\n" % (len(b), b))

        try:
            if self.command != "HEAD":
                while True:
                    b = resp.read(CHUNK)
                    if not b:
                        break
                    if short is not None:
                        b = b[:max(short - pos, 0)]
                        if not b:
                            break
                    if offsets or every:
                        ba = bytearray(b)
                        for o in offsets or ():
                            i = o - start - pos
                            if 0 <= i < len(ba):
                                ba[i] ^= 0xff
                        if every:
                            at = start + pos
                            for i in range((-at) % every, len(ba), every):
                                ba[i] ^= 0xff
                        b = bytes(ba)
                    pos += len(b)
                    if drop is not None:
                        left = int(drop.get("after", 0)) - (pos - len(b))
                        if left < len(b):
                            b = b[:max(left, 0)]
                            dropped = True
                    if pending:
                        out(pending)
                        sent += len(pending)
                    pending = b
                    if dropped:
                        break
            if drop is not None and self.command != "HEAD":
                dropped = True  # "after" beyond the body: drop at its end
            S.count(self.command, self.urlpath, rng, resp.status, sent + len(pending), faults)
            counted = True
            if pending:
                out(pending)
                sent += len(pending)
            if self.command != "HEAD" and chunked and not dropped:
                self.wfile.write(b"0\r\n\r\n")
            if dropped:
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                resp.close()
                if self.up:
                    self.up.close()
                    self.up = None
        except (OSError, http.client.HTTPException):
            self.close_connection = True
            if self.up:
                self.up.close()
                self.up = None
        finally:
            if not counted:
                S.count(self.command, self.urlpath, rng, resp.status, sent, faults)
        if dropped:
            try:
                self.connection.close()
            except OSError:
                pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    global S
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--cafile")
    ap.add_argument("--upstream-creds")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    S = State(args)
    srv = Server(("127.0.0.1", args.port), Handler)
    S.port = srv.server_address[1]
    with open(os.path.join(args.dir, "stats.json"), "w") as f:
        json.dump(S.stats, f)
    tmp = os.path.join(args.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % S.port)
    os.replace(tmp, os.path.join(args.dir, "port"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


S = None
if __name__ == "__main__":
    main()
