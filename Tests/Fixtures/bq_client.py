"""An independent BigQuery REST client (standard library only) for the tests and the bench.

  bq_client.py query URL PROJECT SQL
      jobs.query (POST /queries, standard SQL); prints {"rows": [[v, ...], ...], "fields": [names]}
      with the values as the REST API returns them (strings, nested f/v flattened to lists/dicts).
  bq_client.py schema URL PROJECT DATASET TABLE
      tables.get; prints the schema's fields.
  bq_client.py insert_loop URL PROJECT DATASET TABLE ROWS_FILE BATCH
      creates TABLE with the columns of the first row of ROWS_FILE (JSON lines, a leading `@` dropped
      from names as the google_bigquery output does), then inserts the rows with insertAll, BATCH
      rows a request, one request at a time; prints {"rows_per_s": N}.
"""

import json
import sys
import time
import urllib.request


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"{}")


def unwrap(value, field):
    """A REST cell ({"v": ...}) as plain JSON, following the schema for RECORD/REPEATED."""
    v = value.get("v") if isinstance(value, dict) else value
    if v is None:
        return None
    if field.get("mode") == "REPEATED":
        single = dict(field, mode="NULLABLE")
        return [unwrap(item, single) for item in v]
    if field.get("type") in ("RECORD", "STRUCT"):
        return {f["name"]: unwrap(cell, f) for f, cell in zip(field.get("fields", []), v["f"])}
    return v


def query(base, project, sql):
    r = call("POST", f"{base}/bigquery/v2/projects/{project}/queries", {"query": sql, "useLegacySql": False})
    if r.get("errors"):
        raise SystemExit(json.dumps(r["errors"]))
    fields = r.get("schema", {}).get("fields", [])
    rows = [[unwrap(cell, f) for f, cell in zip(fields, row["f"])] for row in r.get("rows", [])]
    return {"fields": [f["name"] for f in fields], "rows": rows}


def insert_loop(base, project, dataset, table, rows_file, batch):
    rows = [{k.lstrip("@"): v for k, v in json.loads(line).items()} for line in open(rows_file) if line.strip()]
    path = f"{base}/bigquery/v2/projects/{project}/datasets/{dataset}"
    try:
        call("POST", f"{base}/bigquery/v2/projects/{project}/datasets", {"datasetReference": {"projectId": project, "datasetId": dataset}})
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
    def column_type(key, value):
        if key == "timestamp":
            return "TIMESTAMP"
        return {bool: "BOOL", int: "INT64", float: "FLOAT64"}.get(type(value), "STRING")
    fields = [{"name": k, "type": column_type(k, v)} for k, v in rows[0].items()]
    call("POST", f"{path}/tables", {"tableReference": {"tableId": table}, "schema": {"fields": fields}})
    start = time.monotonic()
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        r = call("POST", f"{path}/tables/{table}/insertAll",
                 {"rows": [{"insertId": f"{i + j}", "json": row} for j, row in enumerate(chunk)]})
        if r.get("insertErrors"):
            raise SystemExit(json.dumps(r["insertErrors"][:3]))
    return {"rows_per_s": len(rows) / (time.monotonic() - start)}


def main():
    cmd = sys.argv[1]
    if cmd == "query":
        out = query(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "schema":
        _, _, base, project, dataset, table = sys.argv
        out = call("GET", f"{base}/bigquery/v2/projects/{project}/datasets/{dataset}/tables/{table}").get("schema", {}).get("fields", [])
    elif cmd == "insert_loop":
        _, _, base, project, dataset, table, rows_file, batch = sys.argv
        out = insert_loop(base, project, dataset, table, rows_file, int(batch))
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
