"""The independent MongoDB client of the tests (pymongo), run from .venv by
Tests/MongoDBTests/MongoTestSupport.swift. Prints one JSON document on stdout.

  find URI DB COLL          every document, each value as {"t": pymongo type name, "v": value}
  count URI DB COLL         {"count": n}
  collections URI DB        {"collections": [names]}
  drop URI DB COLL          drops the collection; {"ok": 1}
  insert_many URI DB COLL N BATCH   inserts N documents like the bench's generator events with
                            insert_many(ordered=False) in batches; {"seconds": s, "rows_per_s": r}
  insert_copy URI DB FROM TO BATCH  inserts the documents of FROM (without _id) into TO the same
                            way, timing only the inserts: the same documents Sluice wrote
  validated DATA_DIR DB COLL  creates COLL with a $jsonSchema validator (requires "age", an int)
                            directly in nx-27017's SQLite file: its `create` command drops validators
"""
import datetime, json, sys, time


def typed(v):
    if isinstance(v, dict):
        return {"t": "dict", "v": {k: typed(x) for k, x in v.items()}}
    if isinstance(v, list):
        return {"t": "list", "v": [typed(x) for x in v]}
    if isinstance(v, datetime.datetime):
        return {"t": "datetime", "v": v.replace(tzinfo=datetime.timezone.utc).isoformat()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return {"t": type(v).__name__, "v": v}
    return {"t": type(v).__name__, "v": str(v)}


def main(cmd, *a):
    if cmd == "validated":
        import neosqlite
        data_dir, db, coll = a
        conn = neosqlite.Connection(f"{data_dir}/{db}.db")
        conn.create_collection(coll, validator={"$jsonSchema": {
            "bsonType": "object", "required": ["age"], "properties": {"age": {"bsonType": "int"}}}})
        conn.close()
        return {"ok": 1}
    import pymongo
    client = pymongo.MongoClient(a[0], serverSelectionTimeoutMS=5000)
    if cmd == "find":
        return [{k: typed(v) for k, v in d.items()} for d in client[a[1]][a[2]].find()]
    if cmd == "count":
        return {"count": client[a[1]][a[2]].count_documents({})}
    if cmd == "drop":
        client[a[1]].drop_collection(a[2])
        return {"ok": 1}
    if cmd == "collections":
        return {"collections": sorted(client[a[1]].list_collection_names())}
    if cmd == "insert_many":
        coll, n, batch = client[a[1]][a[2]], int(a[3]), int(a[4])
        # The same shape as the bench's events: message, @version, @timestamp, host, sequence.
        now = datetime.datetime.now(datetime.timezone.utc)
        docs = [{"message": "Hello world!", "@version": "1", "@timestamp": now, "host": "bench",
                 "sequence": i} for i in range(n)]
        start = time.perf_counter()
        for i in range(0, n, batch):
            coll.insert_many(docs[i:i + batch], ordered=False)
        s = time.perf_counter() - start
        return {"seconds": s, "rows_per_s": n / s}
    if cmd == "insert_copy":
        db, batch = client[a[1]], int(a[4])
        docs = list(db[a[2]].find({}, {"_id": False}))
        start = time.perf_counter()
        for i in range(0, len(docs), batch):
            db[a[3]].insert_many(docs[i:i + batch], ordered=False)
        s = time.perf_counter() - start
        return {"seconds": s, "rows_per_s": len(docs) / s}
    raise SystemExit(f"unknown command {cmd}")


print(json.dumps(main(*sys.argv[1:])))
