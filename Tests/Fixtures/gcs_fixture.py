#!/usr/bin/env python3
"""Google Cloud Storage for the tests: gcp-storage-emulator (PyPI, in the venv) in memory on a
free 127.0.0.1 port, and in front of it a fault-injecting proxy for interrupted uploads (the
emulator itself never drops a connection). Test infrastructure. Writes to --info when ready:
{"gcs": EMULATOR_URL, "gcs_faulty": PROXY_URL}.

With --data-dir DIR the emulator keeps the objects as plain files, DIR/.cloudstorage/BUCKET/OBJECT
(gcp-storage-emulator's file storage; DIR is emptied at start), so the BigQuery test service can
read them for load jobs (bigquery_emulator.py --gcs-root DIR/.cloudstorage). Without it, in memory.

The proxy forwards every request to the emulator (Host kept, so the session URIs the emulator
hands out point back at the proxy) and records it. Faults follow what "Perform resumable
uploads" (cloud.google.com/storage/docs/performing-resumable-uploads) says a client must
survive: a connection dropped mid-chunk ("Resume an interrupted upload": query with
`Content-Range: bytes */SIZE`, 308 + Range, go on from there) and an expired session (410/404:
start again).

Control API on the proxy:
  POST /_fault  {"mode": "cut", "nth": 2, "times": 2}
                                              the 2nd chunk PUT from now on, and the next
                                              times-1 ones, are cut: half the body is read,
                                              then the connection is closed without an answer
                                              (nothing reaches the emulator). libcurl sends a
                                              request again by itself once when a kept-alive
                                              connection dies before answering: times 2 gets
                                              past that to the client's own recovery.
                {"mode": "gone", "nth": 2}    the 2nd chunk PUT answers 410 Gone
                {"mode": "forbid"}            every new upload session answers 403 Forbidden
                                              (a service account without storage.objects.create)
  GET  /_log    [{"method", "path", "content_range", "length", "bearer", "status"}...] requests
                since the last reset ("bearer": it had an `Authorization: Bearer` header)
  POST /_reset  clear the log and the faults
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gcp_storage_emulator.server import create_server

LOCK = threading.Lock()
LOG = []
FAULT = {}   # {"mode", "nth", "seen"}
UPSTREAM = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.path == "/_log":
            with LOCK:
                return self.reply(200, LOG)
        if self.path in ("/_fault", "/_reset"):
            body = json.loads(self.rfile.read(n) or b"{}")
            with LOCK:
                FAULT.clear()
                if self.path == "/_reset":
                    LOG.clear()
                else:
                    FAULT.update(body, seen=0)
            return self.reply(200, {"ok": True})
        entry = {"method": self.command, "path": self.path,
                 "content_range": self.headers.get("Content-Range"), "length": n,
                 "bearer": (self.headers.get("Authorization") or "").startswith("Bearer ")}
        fault = None
        with LOCK:
            forbid = FAULT.get("mode") == "forbid"
        if forbid and self.command == "POST" and "uploadType=resumable" in self.path:
            self.rfile.read(n)
            entry["status"] = 403
            with LOCK:
                LOG.append(entry)
            return self.reply(403, {"error": {"code": 403, "message": "sluice@p.iam.gserviceaccount.com does not have storage.objects.create access"}})
        if self.command == "PUT" and "upload_id=" in self.path and n > 0:
            with LOCK:
                if FAULT and FAULT["mode"] != "forbid":
                    FAULT["seen"] += 1
                    first = FAULT.get("nth", 1)
                    if first <= FAULT["seen"] < first + FAULT.get("times", 1):
                        fault = FAULT["mode"]
                    if FAULT["seen"] >= first + FAULT.get("times", 1) - 1:
                        FAULT.clear()
        if fault == "cut":
            self.rfile.read(n // 2)
            entry["status"] = "cut"
            with LOCK:
                LOG.append(entry)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body = self.rfile.read(n) if n else None
        if fault == "gone":
            entry["status"] = 410
            with LOCK:
                LOG.append(entry)
            return self.reply(410, {"error": {"code": 410, "message": "The requested upload session expired"}})
        conn = http.client.HTTPConnection(*UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        entry["status"] = r.status
        with LOCK:
            LOG.append(entry)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    global UPSTREAM
    ap = argparse.ArgumentParser()
    ap.add_argument("--info", required=True)
    ap.add_argument("--data-dir", help="keep objects as files under DIR/.cloudstorage (emptied at start)")
    args = ap.parse_args()
    port = free_port()
    if args.data_dir:
        data_dir = os.path.abspath(args.data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
        os.makedirs(data_dir)
        emulator = create_server("127.0.0.1", port, in_memory=False, data_dir=data_dir)
    else:
        emulator = create_server("127.0.0.1", port, in_memory=True)
    emulator.start()
    UPSTREAM = ("127.0.0.1", port)
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    proxy.daemon_threads = True
    tmp = args.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"gcs": f"http://127.0.0.1:{port}", "gcs_faulty": f"http://127.0.0.1:{proxy.server_address[1]}"}, f)
    os.replace(tmp, args.info)
    try:
        proxy.serve_forever()
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
