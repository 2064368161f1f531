#!/usr/bin/env python3
"""WebHDFS fixture: two namenodes (active and standby) and a datanode, following the Hadoop
WebHDFS REST API docs (hadoop-project-dist/hadoop-hdfs/WebHDFS.html). Python 3 standard
library only. Test infrastructure, never product code. Listens on 127.0.0.1 only.

Followed sections of the docs:
- "Create and Write to a File": step 1 `PUT /webhdfs/v1/<PATH>?op=CREATE` to the namenode,
  which answers `307 TEMPORARY_REDIRECT` with `Location` of a datanode and no body is
  expected; step 2 the same PUT with the data to that Location, answered `201 Created`.
- "Append to a File": the same two steps with `POST ?op=APPEND`, answered `200 OK`.
- "Open and Read a File" (OPEN: 307 to the datanode, which sends the bytes), "Make a
  Directory" (MKDIRS), "Rename a File/Directory" (RENAME &destination=), "Delete a
  File/Directory" (DELETE &recursive=), "Status of a File/Directory" (GETFILESTATUS),
  "List a Directory" (LISTSTATUS), "Authentication" (`user.name` query parameter).
- "Error Responses": a JSON `RemoteException` {exception, javaClassName, message} with the
  status of the exception mapping table (IllegalArgumentException 400, SecurityException
  401, IOException 403, FileNotFoundException 404, RuntimeException 500). A standby
  namenode answers StandbyException (an IOException: 403), as HDFS HA does.

Writes to --info when ready:
  {"webhdfs_namenode": URL, "webhdfs_standby": URL, "webhdfs_datanode": URL,
   "webhdfs_control": URL, "webhdfs_data": DIR}
The first namenode starts active, the second standby. Files live under DIR (an HDFS path
/a/b is DIR/a/b).

Control API (its own port; POST bodies are JSON):
  POST /active   {"namenode": "nn1"|"nn2"}  which namenode is active (the other is standby)
  POST /fault    {"kind": K, "path": P (optional, exact HDFS path or prefix ending in /),
                  "op": OP (optional), "target": "namenode"|"datanode", "count": N (default 1)}
      kind "lease":  the next N CREATE/APPEND of P fail at the datanode with
                     AlreadyBeingCreatedException ("... because this file lease is currently
                     owned by DFSClient_NONMAPREDUCE_1 ... already being created ...")
      kind "status": answer "status" (e.g. 503) with a RemoteException at `target`
      kind "slow":   at the datanode, store the bytes, then sleep "delay" seconds before
                     answering (a client timing out after sending: an ambiguous append)
      kind "deny":   AccessControlException (403 "Permission denied: user=...") on writes to P
  POST /down     {"namenode": "nn1"|"nn2", "seconds": S}  stop listening for S seconds
  POST /reset    forget faults and recorded ops; nn1 active
  GET  /ops      recorded requests: [{"server", "method", "op", "path", "user", "status",
                 "body_bytes"}], oldest first
"""
import argparse
import json
import os
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

LOCK = threading.Lock()
OPS = []
FAULTS = []
STATE = {"active": "nn1"}
ADDR = {}
DATA = ""
PREFIX = "/webhdfs/v1"


def local(path):
    return os.path.join(DATA, path.lstrip("/"))


def file_status(path):
    p = local(path)
    st = os.stat(p)
    is_dir = os.path.isdir(p)
    return {"accessTime": int(st.st_atime * 1000), "blockSize": 134217728, "childrenNum": 0,
            "fileId": st.st_ino, "group": "supergroup", "length": 0 if is_dir else st.st_size,
            "modificationTime": int(st.st_mtime * 1000), "owner": "sluice",
            "pathSuffix": "" , "permission": "755" if is_dir else "644",
            "replication": 0 if is_dir else 1, "storagePolicy": 0,
            "type": "DIRECTORY" if is_dir else "FILE"}


def take_fault(target, op, path, kinds):
    """The first matching fault (its count decremented), or None."""
    with LOCK:
        for f in FAULTS:
            if f["kind"] not in kinds or f.get("target", "datanode" if f["kind"] != "deny" else target) != target:
                continue
            if f.get("op") and f["op"] != op:
                continue
            fp = f.get("path")
            if fp and not (path == fp or (fp.endswith("/") and path.startswith(fp))):
                continue
            f["count"] = f.get("count", 1) - 1
            if f["count"] <= 0:
                FAULTS.remove(f)
            return dict(f)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_role = "?"

    def log_message(self, fmt, *args):
        pass

    def _parse(self):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = unquote(u.path[len(PREFIX):]) if u.path.startswith(PREFIX) else None
        return path or "/", q, body, u.path.startswith(PREFIX)

    def _send(self, status, obj=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.sent_status = status
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if raw is None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, exception, message, java="java.io"):
        self._send(status, {"RemoteException": {"exception": exception,
                                                "javaClassName": f"{java}.{exception}",
                                                "message": message}})

    def _record(self, op, path, user, status, body):
        with LOCK:
            OPS.append({"server": self.server_role, "method": self.command, "op": op, "path": path,
                        "user": user, "status": status, "body_bytes": len(body), "time": time.time()})

    def do_GET(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()


class NamenodeHandler(Handler):
    def handle_any(self):
        path, q, body, ok = self._parse()
        op = q.get("op", "").upper()
        user = q.get("user.name")
        if not ok:
            return self._send(404, {"error": "not a WebHDFS path"})
        status = self.dispatch(op, path, q, user)
        self._record(op, path, user, status, body)

    def dispatch(self, op, path, q, user):
        if STATE["active"] != self.server_role:
            self._error(403, "StandbyException",
                        "Operation category WRITE is not supported in state standby. "
                        "Visit https://s.apache.org/sbnn-error", java="org.apache.hadoop.ipc")
            return 403
        f = take_fault("namenode", op, path, ("status",))
        if f:
            self._error(f["status"], "RetriableException", f"injected {f['status']}",
                        java="org.apache.hadoop.ipc")
            return f["status"]
        if op in ("CREATE", "APPEND", "MKDIRS", "RENAME", "DELETE") and take_fault("namenode", op, path, ("deny",)):
            self._error(403, "AccessControlException",
                        f"Permission denied: user={user}, access=WRITE, inode=\"{path}\":hdfs:supergroup:drwxr-xr-x",
                        java="org.apache.hadoop.security")
            return 403
        p = local(path)
        if op in ("CREATE", "APPEND", "OPEN"):
            if op == "APPEND" and not os.path.isfile(p):
                self._error(404, "FileNotFoundException", f"File does not exist: {path}")
                return 404
            if op == "CREATE" and os.path.exists(p) and q.get("overwrite", "false").lower() != "true":
                self._error(403, "FileAlreadyExistsException", f"{path} for client 127.0.0.1 already exists",
                            java="org.apache.hadoop.fs")
                return 403
            if op == "OPEN" and not os.path.isfile(p):
                self._error(404, "FileNotFoundException", f"File {path} does not exist.")
                return 404
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in q.items())
            loc = f"{ADDR['datanode']}{PREFIX}{quote(path)}?{query}&namenoderpcaddress=127.0.0.1:8020"
            self._send(307, None, {"Location": loc})
            return 307
        if op == "MKDIRS":
            if os.path.isfile(p):
                self._error(403, "FileAlreadyExistsException", f"Parent path is not a directory: {path}",
                            java="org.apache.hadoop.fs")
                return 403
            os.makedirs(p, exist_ok=True)
            self._send(200, {"boolean": True})
            return 200
        if op == "RENAME":
            dest = q.get("destination", "")
            if not os.path.exists(p) or not dest or os.path.exists(local(dest)):
                self._send(200, {"boolean": False})
                return 200
            os.makedirs(os.path.dirname(local(dest)), exist_ok=True)
            os.rename(p, local(dest))
            self._send(200, {"boolean": True})
            return 200
        if op == "DELETE":
            if not os.path.exists(p):
                self._send(200, {"boolean": False})
            elif os.path.isdir(p):
                if q.get("recursive", "").lower() != "true" and os.listdir(p):
                    self._error(403, "PathIsNotEmptyDirectoryException", f"{path} is non empty")
                    return 403
                shutil.rmtree(p)
                self._send(200, {"boolean": True})
            else:
                os.remove(p)
                self._send(200, {"boolean": True})
            return 200
        if op == "GETFILESTATUS":
            if not os.path.exists(p):
                self._error(404, "FileNotFoundException", f"File does not exist: {path}")
                return 404
            self._send(200, {"FileStatus": file_status(path)})
            return 200
        if op == "LISTSTATUS":
            if not os.path.exists(p):
                self._error(404, "FileNotFoundException", f"File {path} does not exist.")
                return 404
            names = sorted(os.listdir(p)) if os.path.isdir(p) else [""]
            statuses = []
            for n in names:
                s = file_status(path.rstrip("/") + "/" + n if n else path)
                s["pathSuffix"] = n
                statuses.append(s)
            self._send(200, {"FileStatuses": {"FileStatus": statuses}})
            return 200
        self._error(400, "IllegalArgumentException", f"Invalid value for webhdfs parameter \"op\": {op}",
                    java="java.lang")
        return 400


class DatanodeHandler(Handler):
    server_role = "datanode"

    def handle_any(self):
        path, q, body, ok = self._parse()
        op = q.get("op", "").upper()
        user = q.get("user.name")
        self.sent_status = None
        try:
            if ok:
                self.dispatch(op, path, q, body)
            else:
                self._send(404, {"error": "not a WebHDFS path"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): the request is still recorded
        finally:
            self._record(op, path, user, self.sent_status, body)

    def dispatch(self, op, path, q, body):
        p = local(path)
        f = take_fault("datanode", op, path, ("status",))
        if f:
            self._error(f["status"], "IOException", f"injected {f['status']}")
            return f["status"]
        if op in ("CREATE", "APPEND") and take_fault("datanode", op, path, ("lease",)):
            self._error(403, "AlreadyBeingCreatedException",
                        f"Failed to APPEND_FILE {path} for DFSClient_NONMAPREDUCE_2 on 127.0.0.1 because this "
                        f"file lease is currently owned by DFSClient_NONMAPREDUCE_1 on 127.0.0.1 "
                        f"(failed to create file {path}: already being created)",
                        java="org.apache.hadoop.hdfs.protocol")
            return 403
        slow = take_fault("datanode", op, path, ("slow",)) if op in ("CREATE", "APPEND") else None
        if op == "CREATE":
            if os.path.exists(p) and q.get("overwrite", "false").lower() != "true":
                self._error(403, "FileAlreadyExistsException", f"{path} already exists", java="org.apache.hadoop.fs")
                return 403
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as fh:
                fh.write(body)
            if slow:
                time.sleep(slow.get("delay", 5))
            self._send(201, None, {"Location": f"hdfs://127.0.0.1:8020{path}"})
            return 201
        if op == "APPEND":
            if not os.path.isfile(p):
                self._error(404, "FileNotFoundException", f"File does not exist: {path}")
                return 404
            with open(p, "ab") as fh:
                fh.write(body)
            if slow:
                time.sleep(slow.get("delay", 5))
            self._send(200)
            return 200
        if op == "OPEN":
            if not os.path.isfile(p):
                self._error(404, "FileNotFoundException", f"File {path} does not exist.")
                return 404
            with open(p, "rb") as fh:
                data = fh.read()
            off = int(q.get("offset", 0))
            length = int(q["length"]) if "length" in q else None
            data = data[off:off + length] if length is not None else data[off:]
            self._send(200, raw=data, headers={"Content-Type": "application/octet-stream"})
            return 200
        self._error(400, "IllegalArgumentException", f"Invalid op for a datanode: {op}", java="java.lang")
        return 400


SERVERS = {}


def serve_namenode(name, port):
    handler = type(f"NN_{name}", (NamenodeHandler,), {"server_role": name})
    srv = ThreadingHTTPServer(("127.0.0.1", port), handler)
    srv.daemon_threads = True
    SERVERS[name] = srv
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def take_down(name, seconds):
    srv = SERVERS[name]
    port = srv.server_address[1]
    srv.shutdown()
    srv.server_close()

    def later():
        time.sleep(seconds)
        for _ in range(100):
            try:
                serve_namenode(name, port)
                return
            except OSError:
                time.sleep(0.1)
    threading.Thread(target=later, daemon=True).start()


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if urlsplit(self.path).path == "/ops":
            with LOCK:
                return self._send(200, list(OPS))
        if self.path == "/health":
            return self._send(200, "ok")
        self._send(404, {"error": "unknown"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        path = urlsplit(self.path).path
        with LOCK:
            if path == "/active":
                STATE["active"] = body["namenode"]
            elif path == "/fault":
                FAULTS.append(body)
            elif path == "/reset":
                FAULTS.clear()
                OPS.clear()
                STATE["active"] = "nn1"
            elif path != "/down":
                return self._send(404, {"error": "unknown"})
        if path == "/down":
            take_down(body["namenode"], float(body.get("seconds", 5)))
        self._send(200, {"ok": True})


def main():
    global DATA
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--info", required=True)
    a = ap.parse_args()
    DATA = os.path.abspath(a.dir)
    shutil.rmtree(DATA, ignore_errors=True)  # each start is an empty file system
    os.makedirs(DATA, exist_ok=True)
    dn = ThreadingHTTPServer(("127.0.0.1", 0), DatanodeHandler)
    dn.daemon_threads = True
    ADDR["datanode"] = f"http://127.0.0.1:{dn.server_address[1]}"
    threading.Thread(target=dn.serve_forever, daemon=True).start()
    nn1 = serve_namenode("nn1", 0)
    nn2 = serve_namenode("nn2", 0)
    ctl = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
    ctl.daemon_threads = True
    info = {"webhdfs_namenode": f"http://127.0.0.1:{nn1.server_address[1]}",
            "webhdfs_standby": f"http://127.0.0.1:{nn2.server_address[1]}",
            "webhdfs_datanode": ADDR["datanode"],
            "webhdfs_control": f"http://127.0.0.1:{ctl.server_address[1]}",
            "webhdfs_data": DATA}
    tmp = a.info + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(info, fh)
    os.replace(tmp, a.info)
    ctl.serve_forever()


if __name__ == "__main__":
    main()
