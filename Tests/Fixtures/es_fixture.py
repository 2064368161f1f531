#!/usr/bin/env python3
"""Elasticsearch 8 fixture: the REST subset Sluice's elasticsearch output uses, kept in memory, with
injectable failures. Python 3 standard library only (threaded http.server). Test infrastructure.
One process is one single-node "cluster"; for failover tests start several (services.sh does).

Follows the public Elasticsearch 8 REST reference (elastic.co/guide/en/elasticsearch/reference/8.15):
- "Bulk API" (POST /_bulk, /<index>/_bulk): NDJSON action/metadata lines `index`, `create`, `update`,
  `delete` with `_index`, `_id`, `routing`, `pipeline`, `retry_on_conflict`; update bodies `doc`,
  `doc_as_upsert`, `upsert`. Response {"took","errors","items":[{ACTION:{"_index","_id","_version",
  "result","_shards","_seq_no","_primary_term","status"}}]}; a failed item has "status" and
  "error":{"type","reason",...} instead. Missing `_id` on index/create -> an auto-generated 20-char id.
  `create` of an existing id -> 409 version_conflict_engine_exception; update of a missing doc
  without upsert -> 404 document_missing_exception; delete of a missing doc -> 404 "not_found"
  (not an error: "errors" stays false). "errors" is true when any item has an "error".
  `version` with `version_type` external/external_gt/external_gte ("Index API: Versioning types"): stored
  as given if above the current version (external_gte: at least equal), else 409
  version_conflict_engine_exception; the update API refuses them (400), as does internal versioning.
- "Index API" (PUT/POST /<index>/_doc[/<id>]), "Get API" (GET /<index>/_doc/<id>),
  "Count API" and "Search API" (GET/POST /<index>/_count|_search, query subset in es_model.matches,
  `size`, `from`, "hits.total.value"), "Create index API" (PUT /<index> with settings/mappings),
  "Delete index API", "Index exists API" (HEAD /<index>), "Get index settings API"
  (GET /<index>/_settings), "Update index settings API" (PUT /<index>/_settings), "Get mapping API",
  "Update mapping API" (PUT /<index>/_mapping: new fields and `dynamic`; a type change is a 400),
  "Refresh API", "Create or update / Get / Delete index template API" (/_index_template/<name>,
  also HEAD), "Root API" (GET /: version.number 8.15.0, with the X-Elastic-Product header the official
  clients check), "Cluster health API" (yellow when an index wants replicas on this single node),
  "Nodes info API" (GET /_nodes/http: the nodes POST /_fixture/nodes set, this node by default).
- "Security: authentication": with --user U:P and/or --api-key ID:KEY, requests need
  `Authorization: Basic base64(U:P)` or `Authorization: ApiKey base64(ID:KEY)`; otherwise 401
  security_exception with a WWW-Authenticate header.
- "HTTP settings": request bodies with `Content-Encoding: gzip` are inflated (http.compression); a body
  larger than http.max_content_length (100mb, --max-content-length) -> 413; a body whose Content-Type is
  not JSON/NDJSON (also the vnd.elasticsearch+json compatibility types) -> 406.

Control API under /_fixture/ (index names cannot start with "_"; never authenticated, not counted):
  POST /_fixture/item_errors    {"status": 429|500|400|..., "count": N, "type"?, "reason"?, "index"?}
        the next N bulk items (optionally only those for "index") fail with that status; 429 defaults
        to es_rejected_execution_exception. Rules queue up in order.
  POST /_fixture/request_errors {"status": 503, "count": N | "seconds": S}   whole requests (bulk and
        every other non-control request) answered with that status and an ES error body.
  POST /_fixture/drop           {"count": N | "seconds": S}   read the request, close without answering.
  POST /_fixture/latency        {"seconds": S}   sleep before every answer (0 turns it off).
  POST /_fixture/max_content_length {"bytes": N}  http.max_content_length from now on (reset restores
        --max-content-length); larger bodies (after gunzip) get 413, counted as too_large_requests.
  POST /_fixture/nodes          {"nodes": [{"publish_address": "HOST:PORT" or "NAME/IP:PORT", "roles"?: [...]}]}
        what the Nodes info API (GET /_nodes/http, Logstash's sniffing) reports from now on; by default
        this node alone (reset restores that).
  POST /_fixture/store          {"sources": false}   keep ids, versions and mappings but not _source
        (1M-document benchmarks); reset turns sources back on.
  POST /_fixture/reset          {"counters_only": false}   forget indices, templates, injections, counters.
  GET  /_fixture/counters       {"requests", "bulk_requests", "bulk_items", "bulk_bytes" (as received),
        "bulk_bytes_inflated", "gzip_requests", "items_by_status": {"201": n, ...}, "injected_item_errors",
        "refused_requests", "dropped_requests", "auth_failures", "bulk_items_by_index": {index: n},
        "bulk_items_by_pipeline": {pipeline: n} (items that named an ingest pipeline; any name is accepted),
        "last_bulk": {"path", "headers"} (the last bulk request's path with query and its headers)}
Responses honour `filter_path` ("Common options: Response filtering"), e.g. Logstash's
`_bulk?filter_path=errors,items.*.error,items.*.status`.
  GET  /_fixture/health         200 ok
Writes --info when listening: {NAME: URL, NAME_control: URL/_fixture} (NAME from --name), plus
NAME_user, NAME_password and NAME_api_key ("ID:KEY") when started with credentials.
"""
import argparse
import base64
import fnmatch
import gzip
import json
import os
import secrets
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from es_bulk import bulk  # noqa: E402
from es_model import ESError, Store, filter_path, flatten_settings, matches, nest  # noqa: E402

LOCK = threading.Lock()
MAX_CONTENT_LENGTH = 100 * 1024 * 1024  # http.max_content_length default (100mb); --max-content-length
JSON_TYPES = {"application/json", "application/x-ndjson", "application/vnd.elasticsearch+json",
              "application/vnd.elasticsearch+x-ndjson"}
STORE = Store()
SELF = {"address": None}  # this node's host:port, set in main
NODES = []  # what GET /_nodes/http reports: this node unless POST /_fixture/nodes said otherwise
AUTH = {"basic": None, "api_key": None}
CLUSTER_UUID = base64.urlsafe_b64encode(secrets.token_bytes(16))[:22].decode()


def fresh_injections():
    return {"item_errors": [], "request_errors": None, "drop": None, "latency": 0.0, "max_content_length": None}


def fresh_counters():
    return {"requests": 0, "bulk_requests": 0, "bulk_items": 0, "bulk_bytes": 0, "bulk_bytes_inflated": 0,
            "gzip_requests": 0, "items_by_status": {}, "injected_item_errors": 0, "refused_requests": 0,
            "dropped_requests": 0, "auth_failures": 0, "bulk_items_by_index": {},
            "bulk_items_by_pipeline": {}, "last_bulk": None, "too_large_requests": 0}


INJ = fresh_injections()
COUNTERS = fresh_counters()


def take(rule):
    """True while a count/seconds rule is active (consumes one count)."""
    if rule is None:
        return False
    if "seconds" in rule:
        return time.time() < rule["until"]
    if rule.get("count", 0) > 0:
        rule["count"] -= 1
        return True
    return False


def error_body(e):
    root = e.body()
    return {"error": {"root_cause": [{"type": e.type, "reason": e.reason}], **root}, "status": e.status}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "SluiceESFixture/1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, head=False, extra=None):
        if obj is not None and getattr(self, "filter_path", None) and status < 300:
            obj = filter_path(obj, self.filter_path)
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = self.read_chunked()
        body = raw
        if self.headers.get("Content-Encoding", "").lower() == "gzip" and raw:
            body = gzip.decompress(raw)
        return raw, body

    def read_chunked(self):
        out = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return out
            out += self.rfile.read(size)
            self.rfile.readline()

    def authorized(self):
        if not (AUTH["basic"] or AUTH["api_key"]):
            return True
        h = self.headers.get("Authorization", "")
        scheme, _, cred = h.partition(" ")
        if scheme.lower() == "basic" and AUTH["basic"] and cred.strip() == AUTH["basic"]:
            return True
        if scheme.lower() == "apikey" and AUTH["api_key"] and cred.strip() in AUTH["api_key"]:
            return True
        reason = (f"missing authentication credentials for REST request [{self.path}]" if not h else
                  f"unable to authenticate with provided credentials and anonymous access is not allowed for this request")
        e = ESError(401, "security_exception", reason)
        self.send_json(401, error_body(e), head=self.command == "HEAD",
                       extra={"WWW-Authenticate": 'Basic realm="security" charset="UTF-8", ApiKey'})
        return False

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        u = urlsplit(self.path)
        parts = [unquote(p) for p in u.path.split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(u.query).items()}
        raw, body = self.read_body()
        self.filter_path = None
        if parts[:1] == ["_fixture"]:
            return self.control(parts[1:], body)
        self.filter_path = query.get("filter_path")
        with LOCK:
            COUNTERS["requests"] += 1
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                COUNTERS["gzip_requests"] += 1
            drop = take(INJ["drop"])
            refuse = not drop and take(INJ["request_errors"])
            latency = INJ["latency"]
            if drop:
                COUNTERS["dropped_requests"] += 1
            if refuse:
                COUNTERS["refused_requests"] += 1
                status = INJ["request_errors"]["status"]
        if latency:
            time.sleep(latency)
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if not self.authorized():
            with LOCK:
                COUNTERS["auth_failures"] += 1
            return
        with LOCK:
            too_large = len(body) > (INJ["max_content_length"] or MAX_CONTENT_LENGTH)
            if too_large:
                COUNTERS["too_large_requests"] += 1
        if too_large:
            return self.send_json(413, None)  # http.max_content_length: ES answers 413 with no body
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if body and ctype not in JSON_TYPES:
            # ES 8 "Content-Type header [text/plain] is not supported" (406) for bodies that are not JSON.
            return self.send_json(406, {"error": f"Content-Type header [{self.headers.get('Content-Type', '')}] "
                                                 f"is not supported", "status": 406})
        if refuse:
            etype = {429: "circuit_breaking_exception", 503: "cluster_block_exception"}.get(status, "exception")
            e = ESError(status, etype, "injected by the fixture: the cluster is unavailable")
            return self.send_json(status, error_body(e), head=self.command == "HEAD")
        try:
            body_json = None
            if body and not (parts and parts[-1] == "_bulk"):
                body_json = json.loads(body)
            with LOCK:
                status, obj = self.route(parts, query, raw, body, body_json)
            self.send_json(status, obj, head=self.command == "HEAD")
        except ESError as e:
            self.send_json(e.status, error_body(e), head=self.command == "HEAD")
        except (ValueError, KeyError, TypeError) as e:
            err = ESError(400, "parse_exception", f"request could not be parsed: {e}")
            self.send_json(400, error_body(err), head=self.command == "HEAD")
        except Exception as e:  # a fixture bug: say so (and log it) instead of posing as an ES answer
            traceback.print_exc()
            self.send_json(500, error_body(ESError(500, "fixture_exception", repr(e))), head=self.command == "HEAD")

    def route(self, parts, query, raw, body, js):
        m = self.command
        if not parts:
            if m in ("GET", "HEAD"):
                return 200, root_info()
        elif parts in (["_nodes"], ["_nodes", "http"]) and m == "GET":
            return 200, nodes_info()
        elif parts[-1] == "_bulk" and m in ("POST", "PUT") and len(parts) <= 2:
            COUNTERS["bulk_requests"] += 1
            COUNTERS["bulk_bytes"] += len(raw)
            COUNTERS["bulk_bytes_inflated"] += len(body)
            COUNTERS["last_bulk"] = {"path": self.path, "headers": dict(self.headers.items())}
            return 200, bulk(STORE, INJ, COUNTERS, body, parts[0] if len(parts) == 2 else None, query)
        elif parts == ["_cluster", "health"]:
            yellow = any(int(i.settings.get("index.number_of_replicas", "1")) > 0 for i in STORE.indices.values())
            return 200, {"cluster_name": "sluice-fixture", "status": "yellow" if yellow else "green",
                         "timed_out": False, "number_of_nodes": 1, "number_of_data_nodes": 1,
                         "active_primary_shards": len(STORE.indices), "active_shards": len(STORE.indices),
                         "unassigned_shards": sum(int(i.settings.get("index.number_of_replicas", "1"))
                                                  for i in STORE.indices.values())}
        elif parts[0] == "_index_template":
            return self.templates(parts[1:], js)
        elif parts[0].startswith("_"):
            pass
        elif len(parts) == 1:
            return self.index_level(parts[0], js)
        elif parts[1] in ("_count", "_search") and m in ("GET", "POST"):
            return 200, search(parts[0], js or {}, query, parts[1] == "_count")
        elif parts[1] == "_doc":
            return self.doc(parts[0], parts[2] if len(parts) > 2 else None, js, query)
        elif parts[1] == "_settings" and m == "GET":
            return 200, {n: {"settings": nest(STORE.indices[n].settings)} for n in STORE.resolve(parts[0])}
        elif parts[1] == "_settings" and m == "PUT":
            for n in STORE.resolve(parts[0]):
                STORE.indices[n].settings.update(flatten_settings(js))
            return 200, {"acknowledged": True}
        elif parts[1] == "_mapping" and m == "PUT":
            for n in STORE.resolve(parts[0]):
                STORE.indices[n].update_mapping(js or {})
            return 200, {"acknowledged": True}
        elif parts[1] == "_mapping" and m == "GET":
            return 200, {n: {"mappings": STORE.indices[n].mapping_json()} for n in STORE.resolve(parts[0])}
        elif parts[1] == "_refresh":
            n = len(STORE.resolve(parts[0]))
            return 200, {"_shards": {"total": 2 * n, "successful": n, "failed": 0}}
        raise ESError(400, "illegal_argument_exception", f"no handler found for uri [{self.path}] and method [{m}]")

    def index_level(self, name, js):
        m = self.command
        if m == "HEAD":
            return (200 if name in STORE.indices else 404), None
        if m == "PUT":
            STORE.create_index(name, js)
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}
        if m == "DELETE":
            for n in STORE.resolve(name):
                del STORE.indices[n]
            return 200, {"acknowledged": True}
        if m == "GET":
            return 200, {n: {"aliases": {}, "mappings": STORE.indices[n].mapping_json(),
                             "settings": nest(STORE.indices[n].settings)} for n in STORE.resolve(name)}
        raise ESError(405, "illegal_argument_exception", f"Incorrect HTTP method for uri [{self.path}] and method [{m}]")

    def templates(self, rest, js):
        m = self.command
        name = rest[0] if rest else None
        if m == "PUT" or (m == "POST" and name):
            STORE.put_template(name, js or {})
            return 200, {"acknowledged": True}
        if m in ("GET", "HEAD"):
            names = [n for n in sorted(STORE.templates) if name is None or n == name or
                     ("*" in name and fnmatch.fnmatchcase(n, name))]
            if name and not names:
                if m == "HEAD":
                    return 404, None
                raise ESError(404, "resource_not_found_exception", f"index template matching [{name}] not found")
            return 200, {"index_templates": [{"name": n, "index_template": STORE.templates[n]} for n in names]}
        if m == "DELETE" and name:
            if name not in STORE.templates:
                raise ESError(404, "resource_not_found_exception", f"index_template [{name}] missing")
            del STORE.templates[name]
            return 200, {"acknowledged": True}
        raise ESError(405, "illegal_argument_exception", f"Incorrect HTTP method for uri [{self.path}] and method [{m}]")

    def doc(self, index, doc_id, js, query):
        m = self.command
        if m == "GET":
            if index not in STORE.indices:
                raise ESError(404, "index_not_found_exception", f"no such index [{index}]", index=index)
            d = STORE.indices[index].docs.get(doc_id)
            if d is None:
                return 404, {"_index": index, "_id": doc_id, "found": False}
            return 200, {"_index": index, "_id": doc_id, "_version": d["version"], "_seq_no": d["seq_no"],
                         "_primary_term": 1, "found": True, "_source": d["source"],
                         **({"_routing": d["routing"]} if d["routing"] else {})}
        if m in ("PUT", "POST"):
            action = "create" if query.get("op_type") == "create" else "index"
            line = json.dumps({action: {"_index": index, **({"_id": doc_id} if doc_id else {})}})
            res = bulk(STORE, {"item_errors": []}, {}, (line + "\n" + json.dumps(js) + "\n").encode(), None, query)
            item = res["items"][0][action]
            if "error" in item:
                raise ESError(item["status"], item["error"]["type"], item["error"]["reason"])
            return item.pop("status"), item
        raise ESError(405, "illegal_argument_exception", f"Incorrect HTTP method for uri [{self.path}] and method [{m}]")

    def control(self, parts, body):
        global INJ, COUNTERS
        js = json.loads(body) if body else {}
        cmd = parts[0] if parts else ""
        with LOCK:
            if cmd == "health":
                return self.send_json(200, {"ok": True})
            if cmd == "counters":
                return self.send_json(200, COUNTERS)
            if cmd == "item_errors":
                INJ["item_errors"].append({"status": int(js["status"]), "count": int(js["count"]),
                                           "type": js.get("type"), "reason": js.get("reason"), "index": js.get("index")})
            elif cmd in ("request_errors", "drop"):
                rule = {"status": int(js.get("status", 503))}
                if "seconds" in js:
                    rule.update(seconds=float(js["seconds"]), until=time.time() + float(js["seconds"]))
                else:
                    rule["count"] = int(js.get("count", 1))
                INJ[cmd] = rule
            elif cmd == "store":
                STORE.keep_sources = bool(js.get("sources", True))
            elif cmd == "latency":
                INJ["latency"] = float(js.get("seconds", 0))
            elif cmd == "max_content_length":
                INJ["max_content_length"] = int(js["bytes"])
            elif cmd == "nodes":
                NODES[:] = [{"publish_address": n["publish_address"], "roles": n.get("roles", ["data", "ingest", "master"])}
                            for n in js["nodes"]]
            elif cmd == "reset":
                COUNTERS = fresh_counters()
                if not js.get("counters_only"):
                    INJ = fresh_injections()
                    STORE.indices.clear()
                    STORE.templates.clear()
                    STORE.keep_sources = True
                    NODES[:] = [own_node()]
            else:
                return self.send_json(404, {"error": f"unknown control command {cmd!r}"})
        self.send_json(200, {"acknowledged": True})


def own_node():
    return {"publish_address": SELF["address"], "roles": ["data", "ingest", "master"]}


def nodes_info():
    """The "Nodes info API" for the `http` metric (what Logstash's sniffer asks): id, roles and
    http.publish_address of each node."""
    return {"_nodes": {"total": len(NODES), "successful": len(NODES), "failed": 0}, "cluster_name": "sluice-fixture",
            "nodes": {f"node-{i}": {"name": f"node-{i}", "roles": n["roles"], "version": "8.15.0",
                                    "http": {"publish_address": n["publish_address"],
                                             "bound_address": [n["publish_address"]], "max_content_length_in_bytes":
                                             INJ["max_content_length"] or MAX_CONTENT_LENGTH}}
                      for i, n in enumerate(NODES)}}


def root_info():
    return {"name": "sluice-fixture-node", "cluster_name": "sluice-fixture", "cluster_uuid": CLUSTER_UUID,
            "version": {"number": "8.15.0", "build_flavor": "default", "build_type": "docker",
                        "build_hash": "fixture", "build_date": "2024-08-05T10:05:34.233336849Z",
                        "build_snapshot": False, "lucene_version": "9.11.1",
                        "minimum_wire_compatibility_version": "7.17.0",
                        "minimum_index_compatibility_version": "7.0.0"},
            "tagline": "You Know, for Search"}


def search(expr, js, query, count_only):
    names = STORE.resolve(expr)
    q = js.get("query")
    if "q" in query and ":" in query["q"]:
        f, _, v = query["q"].partition(":")
        q = {"term": {f: v}}
    hits = [(n, i, d) for n in names for i, d in STORE.indices[n].docs.items() if matches(q, i, d["source"])]
    shards = {"total": len(names), "successful": len(names), "skipped": 0, "failed": 0}
    if count_only:
        return {"count": len(hits), "_shards": shards}
    size = int(js.get("size", query.get("size", 10)))
    start = int(js.get("from", query.get("from", 0)))
    return {"took": 1, "timed_out": False, "_shards": shards,
            "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": 1.0 if hits else None,
                     "hits": [{"_index": n, "_id": i, "_score": 1.0, "_source": d["source"]}
                              for n, i, d in hits[start:start + size]]}}


def main():
    global MAX_CONTENT_LENGTH
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--info", required=True, help="JSON file to write the addresses to")
    ap.add_argument("--name", default="elasticsearch", help="key of the URL in --info")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", help="USER:PASSWORD required as HTTP Basic auth")
    ap.add_argument("--api-key", help="ID:KEY required as `Authorization: ApiKey base64(ID:KEY)`")
    ap.add_argument("--max-content-length", type=int, default=MAX_CONTENT_LENGTH,
                    help="largest request body in bytes (after gunzip); larger ones get 413")
    args = ap.parse_args()
    MAX_CONTENT_LENGTH = args.max_content_length
    if args.user:
        AUTH["basic"] = base64.b64encode(args.user.encode()).decode()
    if args.api_key:
        # Clients send base64(id:key) (the "encoded" value ES returns); accept that form only.
        AUTH["api_key"] = {base64.b64encode(args.api_key.encode()).decode()}
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    SELF["address"] = f"127.0.0.1:{srv.server_address[1]}"
    NODES[:] = [own_node()]
    info = {args.name: url, f"{args.name}_control": url + "/_fixture"}
    if args.user:
        info[f"{args.name}_user"], info[f"{args.name}_password"] = args.user.split(":", 1)
    if args.api_key:
        info[f"{args.name}_api_key"] = args.api_key
    tmp = args.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, args.info)
    print(json.dumps(info), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
