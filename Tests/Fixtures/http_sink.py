#!/usr/bin/env python3
"""HTTP sink: a scriptable HTTP/1.1 server that records every request, for SluiceHTTP and the
HTTP-speaking output plugins' tests. Python 3 standard library only. Test infrastructure.

Listens on 127.0.0.1 only, on free ports: plain HTTP, HTTPS (a throwaway CA and a server
certificate for 127.0.0.1/localhost, made with `openssl` at start in --dir) and HTTPS that
requires a client certificate signed by that CA (mutual TLS, as Elasticsearch with
`xpack.security.http.ssl.client_authentication: required`). Writes to --info when ready:
{"http_sink": URL, "http_sink_tls": URL, "http_sink_mtls": URL, "http_sink_ca": CA_PEM,
 "http_sink_client_cert": PEM, "http_sink_client_key": PEM (encrypted with
 "http_sink_client_key_password")}.
The plain listener also works as a forward HTTP proxy: a request in absolute form
("GET http://any.host/x") is recorded with "proxy_target" and answered like any other.

Every request is recorded (method, path with query, headers, body gunzipped when
Content-Encoding is gzip, the client's port, tls, the client certificate's CN) and answered 200 {"ok": true} unless a
scenario matches. Keep-alive (HTTP/1.1) is on, so client ports show connection reuse.

Control API (never recorded):
  POST /_control/scenario  {"path_prefix": "/x", "mode": ..., ...}  (a newer scenario for the
                           same prefix replaces the older one; the longest matching prefix wins)
    mode "status": answer `status` (e.g. 400 bad request, 429 throttled, 503 overloaded
                   backend) with optional "headers" {"Retry-After": "1"} and "body";
                   for "for_seconds" seconds or "for_requests" requests, then answer "then"
                   (default 200). Without a limit, for good. Imitates a failing or throttling
                   server that recovers.
    mode "close":  read the request and close the connection without answering (a crashed
                   backend or a load balancer dropping the connection); limits as above.
    mode "slow":   sleep "delay_seconds" before answering 200 (a hung backend: timeouts).
  GET  /_control/requests?prefix=/x   recorded requests under /x, oldest first, as JSON
  POST /_control/reset                forget requests and scenarios
  GET  /_control/health               200 "ok"

Special paths (recorded like any other):
  /_stream?chunks=N&interval=S   a chunked body of N lines "chunk i\n", one every S seconds
                                 (a long-lived stream such as Twitter's); when it ends the
                                 record gets "stream_chunks_sent" and "stream_aborted" (client
                                 went away before the end).
  /_redirect307/REST             307 Temporary Redirect to /REST (WebHDFS namenode -> datanode:
                                 RFC 9110 §15.4.8, the client must re-send method and body).
  /_gzip                         a gzip-encoded JSON body (Content-Encoding: gzip).
"""
import argparse
import gzip
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
REQUESTS = []      # recorded request dicts
SCENARIOS = {}     # path_prefix -> scenario dict (with "started" and "count")


def scenario_for(path):
    with LOCK:
        best = None
        for prefix, sc in SCENARIOS.items():
            if path.startswith(prefix) and (best is None or len(prefix) > len(best["path_prefix"])):
                best = sc
        if best is None:
            return None
        best["count"] += 1
        limited = "for_seconds" in best or "for_requests" in best
        active = (("for_seconds" in best and time.time() - best["started"] < best["for_seconds"]) or
                  ("for_requests" in best and best["count"] <= best["for_requests"]))
        if limited and not active:
            return {"mode": "status", "status": best.get("then", 200)}
        return dict(best)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    server_version = "SluiceHTTPSink/1"

    def log_message(self, fmt, *args):
        pass

    def handle(self):
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # a client that rejected our certificate
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError):
            pass

    def client_subject(self):
        if not isinstance(self.request, ssl.SSLSocket):
            return None
        cert = self.request.getpeercert()
        return dict(x[0] for x in cert["subject"]).get("commonName") if cert else None

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send(self, status, body=b"", headers=None):
        if getattr(self, "record", None) is not None:
            self.record["status"] = status  # what the request was answered, for read-back
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, headers=None):
        self.send(status, json.dumps(obj).encode(), headers)

    def do_any(self):
        self.record = None  # the handler lives as long as a kept-alive connection
        raw = self.read_body()
        url = urlsplit(self.path)
        if url.path.startswith("/_control/"):
            return self.control(url, raw)
        body = raw
        if self.headers.get("Content-Encoding", "").lower() == "gzip" and raw:
            body = gzip.decompress(raw)
        # An absolute-form target ("GET http://host/x") means we are used as a forward proxy
        # (RFC 9112 §3.2.2): record it and answer as if we were the origin.
        path = url.path + ("?" + url.query if url.query else "")
        record = {
            "method": self.command, "path": path, "proxy_target": self.path if url.scheme else None,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"), "raw_length": len(raw),
            "client_port": self.client_address[1], "tls": isinstance(self.request, ssl.SSLSocket),
            "client_cert_subject": self.client_subject(), "time": time.time(),
        }
        self.record = record
        with LOCK:
            REQUESTS.append(record)
        if url.path == "/_stream":
            return self.stream(url, record)
        if url.path.startswith("/_redirect307/"):
            target = "/" + url.path[len("/_redirect307/"):] + (("?" + url.query) if url.query else "")
            return self.send(307, b"", {"Location": target})
        if url.path == "/_gzip":
            return self.send(200, gzip.compress(b'{"gzipped":true}'), {"Content-Encoding": "gzip"})
        sc = scenario_for(url.path)
        if sc is None:
            return self.send_json(200, {"ok": True})
        if sc["mode"] == "close":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if sc["mode"] == "slow":
            time.sleep(float(sc.get("delay_seconds", 5)))
            return self.send_json(200, {"ok": True, "slow": True})
        status = int(sc.get("status", 200))
        body = sc.get("body")
        payload = body.encode() if isinstance(body, str) else json.dumps({"status": status}).encode()
        self.send(status, payload, sc.get("headers"))

    def stream(self, url, record):
        q = parse_qs(url.query)
        chunks = int(q.get("chunks", ["5"])[0])
        interval = float(q.get("interval", ["0.2"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent, aborted = 0, False
        try:
            for i in range(chunks):
                line = f"chunk {i}\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
                sent += 1
                time.sleep(interval)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (ConnectionError, ssl.SSLError, OSError):
            aborted = True
            self.close_connection = True
        with LOCK:
            record["stream_chunks_sent"] = sent
            record["stream_aborted"] = aborted

    def control(self, url, raw):
        if url.path == "/_control/health":
            return self.send(200, b"ok", {"Content-Type": "text/plain"})
        if url.path == "/_control/reset" and self.command == "POST":
            with LOCK:
                REQUESTS.clear()
                SCENARIOS.clear()
            return self.send_json(200, {"ok": True})
        if url.path == "/_control/scenario" and self.command == "POST":
            sc = json.loads(raw or b"{}")
            if sc.get("mode") not in ("status", "close", "slow"):
                return self.send_json(400, {"error": "mode must be status, close or slow"})
            sc.setdefault("path_prefix", "/")
            sc["started"], sc["count"] = time.time(), 0
            with LOCK:
                SCENARIOS[sc["path_prefix"]] = sc
            return self.send_json(200, {"ok": True})
        if url.path == "/_control/requests" and self.command == "GET":
            prefix = parse_qs(url.query).get("prefix", ["/"])[0]
            with LOCK:
                found = [dict(r) for r in REQUESTS if r["path"].startswith(prefix)]
            return self.send_json(200, found)
        return self.send_json(404, {"error": "unknown control request"})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_any


CLIENT_KEY_PASSWORD = "sink-client-key-pw"


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    os.makedirs(directory, exist_ok=True)
    p = lambda name: os.path.join(directory, name)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "7",
        "-subj", "/CN=Sluice test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=localhost")
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-out", p("server.pem"), "-days", "7", "-extfile", p("server.ext"))
    # A client certificate whose key is encrypted with CLIENT_KEY_PASSWORD.
    run("req", *ec, "-keyout", p("client.plain.key"), "-out", p("client.csr"), "-subj", "/CN=sluice-client")
    with open(p("client.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
    run("x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-out", p("client.pem"), "-days", "7", "-extfile", p("client.ext"))
    run("pkcs8", "-topk8", "-in", p("client.plain.key"), "-out", p("client.key"),
        "-passout", "pass:" + CLIENT_KEY_PASSWORD)
    return p("ca.pem"), p("server.pem"), p("server.key"), p("client.pem"), p("client.key")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="directory for the certificates")
    ap.add_argument("--info", required=True, help="JSON file to write the addresses to")
    args = ap.parse_args()
    ca, cert, key, client_cert, client_key = make_certificates(args.dir)

    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    mtls = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    for server, require_client in ((tls, False), (mtls, True)):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if require_client:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(ca)
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    for s in (plain, tls, mtls):
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()

    info = {"http_sink": f"http://127.0.0.1:{plain.server_address[1]}",
            "http_sink_tls": f"https://127.0.0.1:{tls.server_address[1]}",
            "http_sink_mtls": f"https://127.0.0.1:{mtls.server_address[1]}",
            "http_sink_ca": os.path.abspath(ca),
            "http_sink_client_cert": os.path.abspath(client_cert),
            "http_sink_client_key": os.path.abspath(client_key),
            "http_sink_client_key_password": CLIENT_KEY_PASSWORD}
    tmp = args.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, args.info)
    print(json.dumps(info), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
