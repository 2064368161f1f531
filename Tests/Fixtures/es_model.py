"""In-memory indices for es_fixture.py: settings, composable index templates, dynamic mapping with
Elasticsearch 8's limits and errors, documents, and the small query subset the tests need.
Python 3 standard library only. Test infrastructure; not thread-safe (es_fixture holds one lock).

Follows the public Elasticsearch 8 reference (elastic.co/guide/en/elasticsearch/reference/8.15):
- "Dynamic field mapping": JSON string -> `text` with a `keyword` multi-field (ignore_above 256)
  or `date` when `date_detection` matches; integer -> `long`; fraction -> `float`; boolean;
  object -> `object`; null and [] add no field. `dynamic: true|false|strict` per object.
- "Mapping limit settings": `index.mapping.total_fields.limit` (default 1000) counts object mappers,
  field mappers and multi-fields. The rejection's wording comes from Elasticsearch's
  MappingLookup.checkFieldLimit ("Limit of total fields [" + limit + "] has been exceeded while
  adding new fields [" + n + "]", asserted as such in ES's own TotalFieldsLimit tests) and, since 8.8,
  the item error is a `document_parsing_exception` "[1:COL] failed to parse: Limit of total fields
  [1000] has been exceeded while adding new fields [1001]" caused by `illegal_argument_exception`
  (the shape ES 8 returns, as reproduced in public troubleshooting write-ups). COL here is the
  length of the source line, not the exact parser column.
- "Index templates" / "Create or update index template API": composable templates with
  `index_patterns`, `template.{settings,mappings}` and `priority`; the highest priority match is
  applied when an index is created (explicitly or automatically by a write).
- Index settings are kept flat ("index.mapping.total_fields.limit") and returned nested, as strings.
"""
import base64
import fnmatch
import re
import time
import uuid

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$|"
                     r"^\d{4}/\d{2}/\d{2}( \d{2}:\d{2}:\d{2})?( [+-]\d{4})?$")
INVALID_NAME_CHARS = set('\\/*?"<>| ,#:')


class ESError(Exception):
    """An Elasticsearch error: HTTP status, type, reason (and an optional cause)."""
    def __init__(self, status, etype, reason, caused_by=None, index=None):
        super().__init__(reason)
        self.status, self.type, self.reason, self.caused_by, self.index = status, etype, reason, caused_by, index

    def body(self):
        err = {"type": self.type, "reason": self.reason}
        if self.index:
            err.update(index=self.index, index_uuid="_na_")
        if self.caused_by:
            err["caused_by"] = {"type": self.caused_by[0], "reason": self.caused_by[1]}
        return err


def flatten_settings(settings, prefix=""):
    """{"index": {"mapping": {"total_fields": {"limit": 3000}}}} and {"mapping.total_fields.limit": 3000}
    both become {"index.mapping.total_fields.limit": "3000"} (ES normalises to the index. prefix)."""
    out = {}
    for k, v in (settings or {}).items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(flatten_settings(v, key))
        else:
            if not key.startswith("index."):
                key = "index." + key
            out[key] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def nest(flat):
    out = {}
    for key, v in flat.items():
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return out


def validate_index_name(name):
    if name != name.lower():
        raise ESError(400, "invalid_index_name_exception", f"Invalid index name [{name}], must be lowercase", index=name)
    if name.startswith(("_", "-", "+")) or name in (".", "..") or INVALID_NAME_CHARS & set(name):
        raise ESError(400, "invalid_index_name_exception",
                      f"Invalid index name [{name}], must not start with '_', '-', or '+' or contain "
                      f"'\\', '/', '*', '?', '\"', '<', '>', '|', ' ', ',', '#', ':'", index=name)


class Index:
    def __init__(self, name, settings, mappings):
        self.name = name
        self.uuid = base64.urlsafe_b64encode(uuid.uuid4().bytes)[:22].decode()
        self.settings = {"index.number_of_shards": "1", "index.number_of_replicas": "1",
                         "index.routing.allocation.include._tier_preference": "data_content"}
        self.settings.update(flatten_settings(settings))
        self.settings.update({"index.provided_name": name, "index.uuid": self.uuid,
                              "index.creation_date": str(int(time.time() * 1000)),
                              "index.version.created": "8512000"})
        mappings = mappings or {}
        self.dynamic = str(mappings.get("dynamic", "true")).lower()
        self.date_detection = mappings.get("date_detection", True)
        self.fields = {}  # path -> mapping dict ({"type": ...}, objects have "dynamic" maybe)
        self._add_explicit(mappings.get("properties", {}), "")
        self.docs = {}    # id -> {"source", "version", "seq_no", "routing"}
        self.seq_no = 0

    def _add_explicit(self, props, prefix):
        for name, m in props.items():
            path = prefix + name
            if "properties" in m or m.get("type", "object") == "object":
                self.fields[path] = {"type": "object", **({"dynamic": str(m["dynamic"]).lower()} if "dynamic" in m else {})}
                self._add_explicit(m.get("properties", {}), path + ".")
            else:
                self.fields[path] = {k: v for k, v in m.items()}

    def update_mapping(self, mappings):
        """Update mapping API: new fields and `dynamic` are taken; a field's type never changes."""
        def conflicts(props, prefix):
            for name, m in props.items():
                path = prefix + name
                have = self.fields.get(path, {}).get("type")
                want = "object" if "properties" in m else m.get("type", "object")
                if have is not None and have != want:
                    return f"mapper [{path}] cannot be changed from type [{have}] to [{want}]"
                found = conflicts(m.get("properties", {}), path + ".")
                if found:
                    return found
            return None
        problem = conflicts(mappings.get("properties", {}), "")
        if problem:
            raise ESError(400, "illegal_argument_exception", problem)
        if "dynamic" in mappings:
            self.dynamic = str(mappings["dynamic"]).lower()
        if "date_detection" in mappings:
            self.date_detection = mappings["date_detection"]
        self._add_explicit(mappings.get("properties", {}), "")

    def limit(self):
        return int(self.settings.get("index.mapping.total_fields.limit", "1000"))

    def mapper_count(self):
        return sum(1 + len(m.get("fields", {})) for m in self.fields.values())

    def mapping_json(self):
        root = {"properties": {}}
        if self.dynamic != "true":
            root["dynamic"] = self.dynamic
        for path in sorted(self.fields, key=lambda p: p.count(".")):
            node = root
            parts = path.split(".")
            for p in parts[:-1]:
                node = node["properties"][p]
            m = dict(self.fields[path])
            if m.get("type") == "object":
                m.pop("type")
                m.setdefault("properties", {})
            node.setdefault("properties", {})[parts[-1]] = m
        return root

    def _dynamic_for(self, parent):
        while parent:
            d = self.fields.get(parent, {}).get("dynamic")
            if d:
                return d
            parent = parent.rpartition(".")[0]
        return self.dynamic

    def plan_mapping(self, source, doc_id, line_len):
        """The mappers this document would add, or an ESError as Elasticsearch would raise it."""
        new = {}
        where = f"[1:{line_len}]"

        def visit(value, path, parent):
            if value is None or value == []:
                return
            if isinstance(value, list):
                for v in value:
                    visit(v, path, parent)
                return
            known = self.fields.get(path) or new.get(path)
            if known is None:
                dyn = self._dynamic_for(parent)
                if dyn == "strict":
                    raise ESError(400, "strict_dynamic_mapping_exception",
                                  f"{where} mapping set to strict, dynamic introduction of [{path.rpartition('.')[2]}] "
                                  f"within [{parent or '_doc'}] is not allowed")
                if dyn == "false":
                    return
                known = new[path] = dynamic_type(value, self.date_detection)
            if known["type"] == "object":
                if not isinstance(value, dict):
                    raise ESError(400, "document_parsing_exception",
                                  f"{where} object mapping for [{path}] tried to parse field [{path.rpartition('.')[2]}] "
                                  f"as object, but found a concrete value")
                for k, v in value.items():
                    visit(v, f"{path}.{k}", path)
            elif isinstance(value, dict) or not fits(known["type"], value):
                preview = "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}" if isinstance(value, dict) else str(value)
                raise ESError(400, "document_parsing_exception",
                              f"{where} failed to parse field [{path}] of type [{known['type']}] in document with id "
                              f"'{doc_id}'. Preview of field's value: '{preview}'",
                              caused_by=("illegal_argument_exception", f"failed to parse field [{path}]"))

        if not isinstance(source, dict):
            raise ESError(400, "document_parsing_exception", f"{where} failed to parse: source is not an object")
        for k, v in source.items():
            visit(v, k, "")
        added = sum(1 + len(m.get("fields", {})) for m in new.values())
        limit = self.limit()
        if added and self.mapper_count() + added > limit:
            msg = f"Limit of total fields [{limit}] has been exceeded while adding new fields [{added}]"
            raise ESError(400, "document_parsing_exception", f"{where} failed to parse: {msg}",
                          caused_by=("illegal_argument_exception", msg))
        return new

    def put(self, doc_id, source, routing, new_fields, keep_source=True, version=None):
        """Stores a document: its version is `version` (external versioning) or the old one plus 1."""
        self.fields.update(new_fields)
        old = self.docs.get(doc_id)
        self.seq_no += 1
        if version is None:
            version = old["version"] + 1 if old else 1
        self.docs[doc_id] = {"source": source if keep_source else {}, "version": version,
                             "seq_no": self.seq_no - 1, "routing": routing}
        return self.docs[doc_id], old is None


def dynamic_type(value, date_detection):
    if isinstance(value, dict):
        return {"type": "object"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if date_detection and DATE_RE.match(value):
        return {"type": "date"}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def fits(ftype, value):
    if ftype in ("long", "integer", "short", "byte"):
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        try:
            float(value)
            return True
        except ValueError:
            return False
    if ftype in ("float", "double", "half_float", "scaled_float"):
        return fits("long", value)
    if ftype == "boolean":
        return isinstance(value, bool) or value in ("true", "false", "")
    if ftype == "date":
        return isinstance(value, (int, float)) or bool(DATE_RE.match(str(value)))
    return True


class Store:
    def __init__(self):
        self.indices = {}
        self.templates = {}
        self.keep_sources = True  # off for benchmarks: ids, versions and mappings only


    def template_for(self, name):
        best = None
        for tname, t in self.templates.items():
            if any(fnmatch.fnmatchcase(name, p) for p in t["index_patterns"]):
                if best is None or t.get("priority", 0) > best[1].get("priority", 0):
                    best = (tname, t)
        return best[1] if best else None

    def create_index(self, name, body=None):
        validate_index_name(name)
        if name in self.indices:
            raise ESError(400, "resource_already_exists_exception",
                          f"index [{name}/{self.indices[name].uuid}] already exists", index=name)
        body = body or {}
        t = (self.template_for(name) or {}).get("template", {})
        settings = dict(flatten_settings(t.get("settings")))
        settings.update(flatten_settings(body.get("settings")))
        mappings = merge_mappings(t.get("mappings") or {}, body.get("mappings") or {})
        self.indices[name] = Index(name, settings, mappings)
        return self.indices[name]

    def get_or_create(self, name):
        return self.indices.get(name) or self.create_index(name)

    def resolve(self, expr):
        """Index names for a path expression: comma list, wildcards, _all."""
        names = []
        for part in expr.split(","):
            if part in ("_all", "*"):
                names += sorted(self.indices)
            elif "*" in part:
                names += sorted(n for n in self.indices if fnmatch.fnmatchcase(n, part))
            elif part in self.indices:
                names.append(part)
            else:
                raise ESError(404, "index_not_found_exception", f"no such index [{part}]", index=part)
        return names

    def put_template(self, name, body):
        pats = body.get("index_patterns")
        if not pats:
            raise ESError(400, "action_request_validation_exception", "Validation Failed: 1: index patterns are missing;")
        if isinstance(pats, str):
            pats = [pats]
        t = dict(body, index_patterns=pats)
        for other, o in self.templates.items():
            if other != name and o.get("priority", 0) == t.get("priority", 0) and \
                    any(fnmatch.fnmatchcase(p, q) or fnmatch.fnmatchcase(q, p) for p in pats for q in o["index_patterns"]):
                raise ESError(400, "illegal_argument_exception",
                              f"index template [{name}] has index patterns {pats} matching patterns from existing "
                              f"templates [{other}] with patterns ({other} => {o['index_patterns']}) that have the same "
                              f"priority [{t.get('priority', 0)}], multiple index templates may not match during index "
                              f"creation, please use a different priority")
        self.templates[name] = t


def merge_mappings(base, over):
    out = dict(base)
    for k, v in over.items():
        if k == "properties" and isinstance(v, dict):
            out["properties"] = {**base.get("properties", {}), **v}
        else:
            out[k] = v
    return out


def lookup(source, path):
    """Values at a dotted path (arrays flattened); `x.keyword` also reads x."""
    vals = [source]
    parts = path.split(".")
    for i, p in enumerate(parts):
        nxt = []
        for v in vals:
            for item in (v if isinstance(v, list) else [v]):
                if isinstance(item, dict) and p in item:
                    got = item[p]
                    nxt += got if isinstance(got, list) else [got]
        if not nxt and p == "keyword" and i == len(parts) - 1:
            return [v for v in vals if not isinstance(v, dict)]
        vals = nxt
    return vals


def matches(query, doc_id, source):
    """Query DSL subset: match_all, term, terms, ids, match (any token), exists, bool."""
    if not query or "match_all" in query:
        return True
    (kind, arg), = query.items()
    if kind in ("term", "terms"):
        (field, want), = arg.items()
        if isinstance(want, dict):
            want = want.get("value")
        wants = want if kind == "terms" else [want]
        if field == "_id":
            return doc_id in [str(w) for w in wants]
        text = not field.endswith(".keyword")
        for v in lookup(source, field):
            for w in wants:
                if v == w or str(v) == str(w) or (text and isinstance(v, str) and str(w) in v.lower().split()):
                    return True
        return False
    if kind == "ids":
        return doc_id in arg.get("values", [])
    if kind == "exists":
        return bool(lookup(source, arg["field"]))
    if kind == "match":
        (field, want), = arg.items()
        if isinstance(want, dict):
            want = want.get("query")
        tokens = set(str(want).lower().split())
        return any(tokens & set(str(v).lower().split()) for v in lookup(source, field))
    if kind == "bool":
        def many(k):
            q = arg.get(k, [])
            return q if isinstance(q, list) else [q]
        ok = all(matches(q, doc_id, source) for q in many("must") + many("filter"))
        ok = ok and not any(matches(q, doc_id, source) for q in many("must_not"))
        should = many("should")
        if should and not (many("must") or many("filter")):
            ok = ok and any(matches(q, doc_id, source) for q in should)
        return ok
    raise ESError(400, "parsing_exception", f"unknown query [{kind}]")


def filter_path(obj, patterns):
    """The `filter_path` response filter (ES "Common options: Response filtering"): dotted patterns
    with `*` per level (`**` any depth); arrays are traversed; `-pattern` exclusions are not supported."""
    def keep(node, pats):
        if isinstance(node, list):
            out = [keep(v, pats) for v in node]
            return [v for v in out if v is not None]
        if not isinstance(node, dict):
            return node
        res = {}
        for k, v in node.items():
            rest = []
            for p in pats:
                head, _, tail = p.partition(".")
                if head == "**":
                    rest += [p] + ([tail] if tail else [""])
                    if not tail:
                        rest.append("")
                elif fnmatch.fnmatchcase(k, head):
                    rest.append(tail)
            if "" in rest:
                res[k] = v
            elif rest:
                sub = keep(v, [r for r in rest if r])
                if sub not in (None, {}, []):
                    res[k] = sub
        return res

    return keep(obj, [p.strip() for p in patterns.split(",") if p.strip()])
