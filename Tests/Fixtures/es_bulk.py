"""The Bulk API of es_fixture.py (Elasticsearch 8 reference, "Bulk API": request body, response body,
per-action semantics and "Optimistic concurrency control" for create). Called with the fixture's
lock held. Python 3 standard library only. Test infrastructure."""
import base64
import json
import secrets
import time

from es_model import ESError

REJECTED_429 = ("es_rejected_execution_exception",
                "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
                "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, "
                "max_coordinating_and_primary_bytes=0] (injected by the fixture)")
DEFAULT_ERROR = {500: ("exception", "injected internal error"),
                 503: ("unavailable_shards_exception", "[{index}][0] primary shard is not active (injected)"),
                 400: ("document_parsing_exception", "[1:1] failed to parse (injected)")}


def new_id():
    """A 20-character URL-safe id like Elasticsearch's time-based auto ids."""
    return base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()


def deep_merge(base, doc):
    out = dict(base)
    for k, v in doc.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def injected(inj, index):
    for rule in inj["item_errors"]:
        if rule["count"] > 0 and rule.get("index") in (None, index):
            rule["count"] -= 1
            if rule["count"] == 0:
                inj["item_errors"].remove(rule)
            status = rule["status"]
            etype, reason = REJECTED_429 if status == 429 else DEFAULT_ERROR.get(status, ("exception", "injected"))
            return ESError(status, rule.get("type") or etype, (rule.get("reason") or reason).format(index=index),
                           index=index)
    return None


def parse(body, default_index):
    """[(action, meta, source_line)] or ESError for the whole request, as ES rejects a malformed bulk."""
    lines = body.split(b"\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        try:
            action_obj = json.loads(line)
        except ValueError:
            raise ESError(400, "illegal_argument_exception",
                          f"Malformed action/metadata line [{i}], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]")
        if not isinstance(action_obj, dict) or len(action_obj) != 1:
            raise ESError(400, "illegal_argument_exception", f"Malformed action/metadata line [{i}], expected a simple value for field")
        (action, meta), = action_obj.items()
        if action not in ("index", "create", "update", "delete"):
            raise ESError(400, "illegal_argument_exception",
                          f"Malformed action/metadata line [{i}], expected field [create], [delete], [index] or [update] but found [{action}]")
        meta = dict(meta or {})
        meta.setdefault("_index", default_index)
        if not meta["_index"]:
            raise ESError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
        if action in ("update", "delete") and not meta.get("_id"):
            raise ESError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
        source = None
        if action != "delete":
            if i >= len(lines) or not lines[i].strip():
                raise ESError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
            source = lines[i]
            i += 1
        out.append((action, meta, source))
    if not out:
        raise ESError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
    return out


def bulk(store, inj, counters, body, default_index, query):
    started = time.time()
    items = []
    for action, meta, source in parse(body, default_index):
        index = meta["_index"]
        meta.setdefault("routing", query.get("routing"))
        meta.setdefault("pipeline", query.get("pipeline"))
        if action in ("index", "create") and not meta.get("_id"):
            meta["_id"] = new_id()  # generated before anything can fail, so an error item names it too
        try:
            err = injected(inj, index)
            if err:
                if counters:
                    counters["injected_item_errors"] += 1
                raise err
            item = one(store, action, meta, source)
        except ESError as e:
            item = {"_index": index, "_id": meta.get("_id"), "status": e.status,
                    "error": {**e.body(), "index": index, "shard": "0", "index_uuid":
                              store.indices[index].uuid if index in store.indices else "_na_"}}
        items.append({action: item})
        if counters:
            counters["bulk_items"] += 1
            by = counters["items_by_status"]
            by[str(item["status"])] = by.get(str(item["status"]), 0) + 1
            bi = counters["bulk_items_by_index"]
            bi[index] = bi.get(index, 0) + 1
            if meta.get("pipeline"):
                bp = counters["bulk_items_by_pipeline"]
                bp[meta["pipeline"]] = bp.get(meta["pipeline"], 0) + 1
    return {"took": int((time.time() - started) * 1000), "errors": any("error" in next(iter(x.values())) for x in items),
            "items": items}


def external_version(meta, action, current, name):
    """Index API "Versioning types": with version_type external/external_gt the given version
    must be above the stored one, with external_gte at least equal; then it is stored as is.
    Returns the version to store (None: internal versioning)."""
    vtype = meta.get("version_type")
    if "version" not in meta and vtype is None:
        return None
    if vtype in (None, "internal"):
        raise ESError(400, "action_request_validation_exception",
                      "Validation Failed: 1: internal versioning can not be used for optimistic concurrency control. "
                      "Please use `if_seq_no` and `if_primary_term` instead;")
    if vtype not in ("external", "external_gt", "external_gte"):
        raise ESError(400, "illegal_argument_exception", f"No version type match [{vtype}]")
    if action == "update":
        raise ESError(400, "action_request_validation_exception",
                      f"Validation Failed: 1: version type [{vtype}] is not supported by the update API;")
    version = meta.get("version")
    if not isinstance(version, int) or version < 0:
        raise ESError(400, "action_request_validation_exception",
                      "Validation Failed: 1: illegal version value [%s] for version type [%s];" % (version, vtype))
    ok = current is None or (version >= current if vtype == "external_gte" else version > current)
    if not ok:
        raise ESError(409, "version_conflict_engine_exception",
                      f"[{meta.get('_id')}]: version conflict, current version [{current}] is higher or equal to the one provided [{version}]",
                      index=name)
    return version


def one(store, action, meta, source_line):
    name, doc_id = meta["_index"], meta.get("_id")
    if action == "delete":
        if "version" in meta or "version_type" in meta:
            existing = store.indices[name].docs.get(doc_id) if name in store.indices else None
            external_version(meta, action, existing["version"] if existing else None, name)
        if name not in store.indices:
            raise ESError(404, "index_not_found_exception", f"no such index [{name}]", index=name)
        idx = store.indices[name]
        old = idx.docs.pop(doc_id, None)
        idx.seq_no += 1
        return result(idx, doc_id, (old["version"] + 1) if old else 1, "deleted" if old else "not_found",
                      200 if old else 404, idx.seq_no - 1)
    try:
        source = json.loads(source_line)
    except ValueError as e:
        raise ESError(400, "document_parsing_exception", f"[1:1] failed to parse: {e}",
                      caused_by=("x_content_parse_exception", str(e)))
    idx = store.get_or_create(name)
    line_len = len(source_line)
    if action == "update":
        external_version(meta, action, None, name)
        if not isinstance(source, dict) or ("doc" not in source and "upsert" not in source):
            raise ESError(400, "action_request_validation_exception",
                          "Validation Failed: 1: script or doc is missing;")
        old = idx.docs.get(doc_id)
        if old is None:
            if source.get("doc_as_upsert") and "doc" in source:
                new_source = source["doc"]
            elif "upsert" in source:
                new_source = source["upsert"]
            else:
                raise ESError(404, "document_missing_exception", f"[{doc_id}]: document missing", index=name)
        else:
            new_source = deep_merge(old["source"], source.get("doc", {}))
            if new_source == old["source"]:
                return dict(result(idx, doc_id, old["version"], "noop", 200, old["seq_no"]),
                            _shards={"total": 0, "successful": 0, "failed": 0})
        fields = idx.plan_mapping(new_source, doc_id, line_len)
        d, created = idx.put(doc_id, new_source, meta.get("routing"), fields, store.keep_sources)
        return result(idx, doc_id, d["version"], "created" if created else "updated", 201 if created else 200, d["seq_no"])
    if action == "create" and doc_id in idx.docs:
        raise ESError(409, "version_conflict_engine_exception",
                      f"[{doc_id}]: version conflict, document already exists (current version [{idx.docs[doc_id]['version']}])",
                      index=name)
    existing = idx.docs.get(doc_id)
    version = external_version(meta, action, existing["version"] if existing else None, name)
    fields = idx.plan_mapping(source, doc_id, line_len)
    d, created = idx.put(doc_id, source, meta.get("routing"), fields, store.keep_sources, version)
    return result(idx, doc_id, d["version"], "created" if created else "updated", 201 if created else 200, d["seq_no"])


def result(idx, doc_id, version, res, status, seq_no):
    replicas = int(idx.settings.get("index.number_of_replicas", "1"))
    return {"_index": idx.name, "_id": doc_id, "_version": version, "result": res,
            "_shards": {"total": 1 + replicas, "successful": 1, "failed": 0},
            "_seq_no": seq_no, "_primary_term": 1, "status": status}
