"""BigQuery test service: bqemulator (PyPI, DuckDB-backed) run in-process with a thin shim.

The shim closes the gaps between bqemulator 1.4.0 and BigQuery that the google_bigquery
output's tests depend on, each the smallest faithful rendition of the documented behaviour:

* tables.patch / tables.update only changed the emulator's catalog, not its DuckDB table, so
  the next insertAll failed with a 500: the shim adds the new columns (and new fields inside
  RECORDs) to the DuckDB table with ALTER TABLE ... ADD COLUMN, and keeps the catalog's field
  order that of the table (existing columns first), as the emulator inserts by position.
* insertAll ignored `insertId`: the shim drops rows whose insertId the table already
  received (BigQuery's best-effort de-duplication, here without a time window).
* insertAll silently dropped fields the table has no column for: the shim reports them as
  `invalid` rows ("no such field: X.") unless ignoreUnknownValues is set.
* one invalid row without skipInvalidRows made the emulator answer 500: the shim answers
  BigQuery's 200 with insertErrors, `invalid` for the bad rows and `stopped` for the others,
  and inserts nothing.

Load jobs: bqemulator reads `gs://BUCKET/OBJECT` source URIs from the file
GCS_ROOT/BUCKET/OBJECT (its BQEMU_GCS_LOCAL_ROOT); with --gcs-root pointing at the GCS test
service's file storage (gcs_fixture.py --data-dir DIR: DIR/.cloudstorage), a load job reads what
was uploaded to the GCS emulator, with no copy in between. Known differences from BigQuery: the
emulator runs the job synchronously (DONE at jobs.insert) with DuckDB's COPY (gzip recognised by a
`.gz` name), and does not apply maxBadRecords (any bad line fails the job).

Fault injection, for retry tests (POST JSON to /_fixture/...):
  /_fixture/fail        {"status": 503, "count": N}        next N insertAll requests answer STATUS
  /_fixture/lose        {"count": N}                       next N insertAll requests are applied,
                                                           then answered 503 (the response is lost)
  /_fixture/row_errors  {"reason": "backendError", "message": "...", "count": N}
                                                           next N insertAll requests fail every row
                                                           with REASON (nothing inserted)
  /_fixture/reset       clears the above
  GET /_fixture/stats   {"insert_requests": N, "rows_inserted": N, "duplicates_dropped": N}

Writes --info when listening: {"bigquery": URL}.
"""

import argparse
import asyncio
import json
import os
import sys

from fastapi import Request
from fastapi.responses import JSONResponse

import bqemulator.server as emulator_server
from bqemulator.api.routes import tabledata, tables
from bqemulator.config import LogLevel, Settings
from bqemulator.storage.sql_identifiers import quoted_table_ref
from bqemulator.storage.type_map import bq_schema_to_duckdb_columns

faults = {"fail": [], "lose": 0, "row_errors": []}
stats = {"insert_requests": 0, "rows_inserted": 0, "duplicates_dropped": 0}
seen_insert_ids = {}  # table ref -> set of insertIds


def field_dicts(fields):
    return [tables._field_to_rest(f) for f in fields]


def added_columns(old, new, prefix=""):
    """(dotted path, DuckDB type) of every field in `new` missing from `old`, recursively.
    A REPEATED RECORD's children live under `.element` in DuckDB's list-of-struct type."""
    old_by_name = {f["name"]: f for f in old}
    out = []
    for f in new:
        path = prefix + '"' + f["name"] + '"'
        if f["name"] not in old_by_name:
            ((_, duck_type),) = bq_schema_to_duckdb_columns([f])
            out.append((path, duck_type))
        elif f.get("type", "").upper() in ("RECORD", "STRUCT"):
            inner = path + (".element" if f.get("mode") == "REPEATED" else "")
            out += added_columns(old_by_name[f["name"]].get("fields", []), f.get("fields", []), inner + ".")
    return out


def in_table_order(old, new):
    """`new` with the fields `old` has first, in its order, then the added ones: the order of the
    DuckDB table after ALTER TABLE ADD COLUMN (the emulator inserts by position)."""
    by_name = {f["name"]: f for f in new}
    out = []
    for f in old:
        g = by_name.pop(f["name"], None)
        if g is None:
            continue  # BigQuery refuses to drop a column; the emulator keeps it in DuckDB anyway
        if g.get("fields") and f.get("fields"):
            g = dict(g, fields=in_table_order(f["fields"], g["fields"]))
        out.append(g)
    return out + list(by_name.values())


def unknown_field(value, fields):
    """The dotted name of the first key in `value` that the schema has no field for, or None."""
    by_name = {f["name"]: f for f in fields}
    for key, v in value.items():
        f = by_name.get(key)
        if f is None:
            return key
        if f.get("type", "").upper() in ("RECORD", "STRUCT") and v is not None:
            for item in (v if isinstance(v, list) else [v]):
                if isinstance(item, dict):
                    inner = unknown_field(item, f.get("fields", []))
                    if inner:
                        return key + "." + inner
    return None


def bad_column(value, fields, arrow_schema):
    """(column, message) of the first value the emulator cannot convert to its column, or None."""
    try:
        tabledata.bq_rows_to_arrow([{"json": value}], arrow_schema)
        return None
    except (ValueError, TypeError):
        pass
    for f in fields:
        if f["name"] in value:
            one = tabledata._build_arrow_schema([f])
            try:
                tabledata.bq_rows_to_arrow([{"json": {f["name"]: value[f["name"]]}}], one)
            except (ValueError, TypeError):
                return f["name"], f"Cannot convert value to {f.get('type', '').lower()}: {value[f['name']]!r}"
    return "", "Cannot convert row to the table's schema"


class Body:
    """Stands in for the Request the emulator's handler reads its JSON from."""

    def __init__(self, body):
        self.body = body

    async def json(self):
        return self.body


def error_row(index, reason, message="", location=""):
    return {"index": index, "errors": [{"reason": reason, "location": location, "debugInfo": "", "message": message}]}


def install_shim(app):
    context = app.state.context

    async def insert_all(project_id: str, dataset_id: str, table_id: str, request: Request):
        stats["insert_requests"] += 1
        if faults["fail"]:
            status = faults["fail"].pop(0)
            return JSONResponse({"error": {"code": status, "message": "injected", "errors": [{"reason": "backendError", "message": "injected"}]}}, status)
        body = await request.json()
        rows = body.get("rows", [])
        if faults["row_errors"]:
            reason, message = faults["row_errors"].pop(0)
            return {"kind": "bigquery#tableDataInsertAllResponse",
                    "insertErrors": [error_row(i, reason, message) for i in range(len(rows))]}
        meta = context.catalog.get_table(project_id, dataset_id, table_id)
        if meta is None:
            return await tabledata.insert_all(project_id, dataset_id, table_id, Body(body), context)
        ref = quoted_table_ref(project_id, dataset_id, table_id)
        seen = seen_insert_ids.setdefault(ref, set())
        fields = field_dicts(meta.schema_.fields)
        arrow_schema = tabledata._build_arrow_schema(fields)
        errors, good = {}, []
        # Convert the whole request at once; only when that fails look for the bad rows one by one.
        try:
            tabledata.bq_rows_to_arrow(rows, arrow_schema)
            convertible = True
        except (ValueError, TypeError):
            convertible = False
        for index, row in enumerate(rows):
            value = row.get("json", {})
            unknown = None if body.get("ignoreUnknownValues") else unknown_field(value, fields)
            if unknown:
                errors[index] = error_row(index, "invalid", f"no such field: {unknown}.", unknown)
                continue
            bad = None if convertible else bad_column(value, fields, arrow_schema)
            if bad:
                errors[index] = error_row(index, "invalid", bad[1], bad[0])
                continue
            good.append((index, row))
        if errors and not body.get("skipInvalidRows"):
            return {"kind": "bigquery#tableDataInsertAllResponse",
                    "insertErrors": [errors.get(i) or error_row(i, "stopped") for i in range(len(rows))]}
        fresh = []
        for _, row in good:
            insert_id = row.get("insertId")
            if insert_id is not None and insert_id in seen:
                stats["duplicates_dropped"] += 1
                continue
            fresh.append(row)
        if fresh:
            await tabledata.insert_all(project_id, dataset_id, table_id, Body({"rows": fresh}), context)
            seen.update(r["insertId"] for r in fresh if r.get("insertId") is not None)
            stats["rows_inserted"] += len(fresh)
        if faults["lose"] > 0:
            faults["lose"] -= 1
            return JSONResponse({"error": {"code": 503, "message": "injected after insert"}}, 503)
        return {"kind": "bigquery#tableDataInsertAllResponse", "insertErrors": sorted(errors.values(), key=lambda e: e["index"])}

    async def change_table(project_id: str, dataset_id: str, table_id: str, request: Request):
        existing = context.catalog.get_table(project_id, dataset_id, table_id)
        body = await request.json()
        if existing is not None and body.get("schema"):
            old = field_dicts(existing.schema_.fields)
            ref = quoted_table_ref(project_id, dataset_id, table_id)
            async with context.engine.write_lock():
                for path, duck_type in added_columns(old, body["schema"].get("fields", [])):
                    context.engine.execute(f"ALTER TABLE {ref} ADD COLUMN {path} {duck_type}")
            body["schema"]["fields"] = in_table_order(old, body["schema"].get("fields", []))
        return await tables.patch_table(project_id, dataset_id, table_id, Body(body), context)

    async def control(action: str, request: Request):
        body = await request.json() if action != "stats" and (await request.body()) else {}
        if action == "fail":
            faults["fail"] += [int(body.get("status", 503))] * int(body.get("count", 1))
        elif action == "lose":
            faults["lose"] += int(body.get("count", 1))
        elif action == "row_errors":
            faults["row_errors"] += [(body.get("reason", "backendError"), body.get("message", "injected"))] * int(body.get("count", 1))
        elif action == "reset":
            faults.update(fail=[], lose=0, row_errors=[])
        elif action != "stats":
            return JSONResponse({"error": f"unknown action {action}"}, 404)
        return stats

    base = "/bigquery/v2/projects/{project_id}/datasets/{dataset_id}/tables/{table_id}"
    app.add_api_route(base + "/insertAll", insert_all, methods=["POST"])
    app.add_api_route(base, change_table, methods=["PATCH", "PUT"])
    app.add_api_route("/_fixture/{action}", control, methods=["GET", "POST"])
    # First match wins: the shim's routes go before the emulator's.
    shim = app.router.routes[-3:]
    del app.router.routes[-3:]
    app.router.routes[0:0] = shim
    return app


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--info", required=True, help="JSON file to write the address to")
    ap.add_argument("--project", default="sluice-test")
    ap.add_argument("--gcs-root", help="directory gs://BUCKET/OBJECT load URIs are read from (GCS_ROOT/BUCKET/OBJECT)")
    args = ap.parse_args()

    original = emulator_server.create_app
    emulator_server.create_app = lambda context: install_shim(original(context))
    settings = Settings(rest_host="127.0.0.1", rest_port=0, grpc_host="127.0.0.1", grpc_port=0,
                        default_project_id=args.project, log_level=LogLevel.WARNING,
                        gcs_local_root=args.gcs_root)
    server = emulator_server.EmulatorServer(settings)

    async def run():
        await server.start()
        info = {"bigquery": server.rest_url}
        with open(args.info + ".tmp", "w") as f:
            json.dump(info, f)
        os.replace(args.info + ".tmp", args.info)
        print(json.dumps(info), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()

    asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
