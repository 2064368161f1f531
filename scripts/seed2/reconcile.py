#!/usr/bin/env python3
"""Reconciles the second reference deployment (`make seed2`): every store read back with its own
client and compared, by tweet id, with the tweets the Twitter fixture streamed.

  reconcile.py progress   prints "<kafka> <elasticsearch> <gcs> <bigquery>" tweet counts (wait loop)
  reconcile.py report     prints the table; exit 1 if a tweet is missing anywhere or a store that
                          must hold each tweet once (Elasticsearch, BigQuery) holds one twice

Clients: confluent-kafka (Kafka) from the test venv; Elasticsearch, GCS (JSON API) and BigQuery
(REST `queries`) over plain HTTP with urllib. Addresses come from $SLUICE_SERVICES_DIR/services.json.
"""
import collections
import gzip
import json
import os
import sys
import urllib.parse
import urllib.request

SERVICES = json.load(open(os.path.join(os.environ.get("SLUICE_SERVICES_DIR", "Tests/.services"), "services.json")))
TOPIC = "twitter"
BUCKET = os.environ.get("GCS_BUCKET", "seed2-tweets")
PROJECT = os.environ.get("BQ_PROJECT", "seed2")
DATASET = os.environ.get("BQ_DATASET", "twitter")
OVERFLOW = os.environ.get("BQ_OVERFLOW", "overflow")


def http_json(url, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def tweet_id(obj):
    """The id of a tweet in its v1.1 (`id_str`) or v2 (`data.id`) shape."""
    if not isinstance(obj, dict):
        return None
    if "id_str" in obj:
        return str(obj["id_str"])
    data = obj.get("data")
    return str(data["id"]) if isinstance(data, dict) and "id" in data else None


def streamed():
    """Ids of the tweets the fixture sent: its cursor walks the sample from the start."""
    sent = http_json(SERVICES["twitter_control"] + "/counters")["tweets_sent"]
    ids = [json.loads(line)["id_str"] for line in open("samples/tweets/v11.jsonl")]
    return collections.Counter(ids[i % len(ids)] for i in range(sent))


def kafka():
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({"bootstrap.servers": SERVICES["kafka"], "group.id": "seed2-reconcile-%d" % os.getpid(),
                  "enable.auto.commit": False, "enable.partition.eof": True})
    ids = collections.Counter()
    try:
        meta = c.list_topics(TOPIC, timeout=10)
        if TOPIC not in meta.topics or meta.topics[TOPIC].error is not None:
            return ids
        parts = [TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in meta.topics[TOPIC].partitions]
        c.assign(parts)
        done = set()
        while len(done) < len(parts):
            m = c.poll(10)
            if m is None:
                break
            if m.error():
                done.add(m.partition())
                continue
            for line in m.value().decode().splitlines():
                if line.strip():
                    ids[tweet_id(json.loads(line))] += 1
    finally:
        c.close()
    return ids


def elasticsearch():
    base = SERVICES["elasticsearch"]
    ids = collections.Counter()
    try:
        http_json(base + "/twitter-*/_refresh", body={})
        hits = http_json(base + "/twitter-*/_search", body={"size": 100000, "query": {"match_all": {}}})
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return ids
        raise
    for h in hits["hits"]["hits"]:
        ids[tweet_id(h.get("_source", {}))] += 1
    return ids


def gcs():
    base = SERVICES["gcs"].rstrip("/")
    ids, objects = collections.Counter(), 0
    token = None
    while True:
        q = "?pageToken=" + urllib.parse.quote(token) if token else ""
        try:
            listing = http_json(f"{base}/storage/v1/b/{BUCKET}/o{q}")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return ids, 0
            raise
        for item in listing.get("items", []):
            objects += 1
            name = urllib.parse.quote(item["name"], safe="")
            with urllib.request.urlopen(f"{base}/storage/v1/b/{BUCKET}/o/{name}?alt=media", timeout=60) as r:
                body = r.read()
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            for line in body.decode().splitlines():
                if line.strip():
                    ids[tweet_id(json.loads(line))] += 1
        token = listing.get("nextPageToken")
        if not token:
            return ids, objects


def bigquery():
    """Every table of the dataset (one a day: `twitter_YYYYMMDD` by the tweet's time), read back
    with `jobs.query`."""
    base = SERVICES["bigquery"].rstrip("/")
    ids, overflowed = collections.Counter(), 0
    try:
        tables = http_json(f"{base}/bigquery/v2/projects/{PROJECT}/datasets/{DATASET}/tables").get("tables", [])
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return ids, 0
        raise
    for t in tables:
        table = t["tableReference"]["tableId"]
        answer = http_json(f"{base}/bigquery/v2/projects/{PROJECT}/queries",
                           body={"query": f"SELECT id_str, {OVERFLOW} FROM `{PROJECT}.{DATASET}.{table}`",
                                 "useLegacySql": False, "maxResults": 100000, "timeoutMs": 60000})
        for row in answer.get("rows", []):
            cells = [c.get("v") for c in row["f"]]
            ids[str(cells[0])] += 1
            if cells[1] not in (None, "", "{}"):
                overflowed += 1
    return ids, overflowed


def compare(expected, store):
    return sum(store.values()), sum((expected - store).values()), sum((store - expected).values())


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "report"
    if mode == "progress":
        counts = []
        for f in (kafka, elasticsearch, lambda: gcs()[0], lambda: bigquery()[0]):
            try:
                counts.append(str(len(f())))  # distinct tweets
            except Exception:
                counts.append("?")
        print(" ".join(counts))
        return 0
    expected = streamed()
    gcs_ids, objects = gcs()
    bq_ids, overflowed = bigquery()
    stores = [("Kafka (topic twitter)", kafka(), False), ("Elasticsearch (twitter-*)", elasticsearch(), True),
              (f"GCS (gs://{BUCKET}, {objects} objects)", gcs_ids, False),
              (f"BigQuery ({DATASET}.twitter_*)", bq_ids, True)]
    print(f"{'store':<40}{'tweets':>8}{'missing':>9}{'duplicated':>12}")
    print(f"{'streamed by the Twitter fixture':<40}{sum(expected.values()):>8}")
    ok = sum(expected.values()) > 0
    for name, ids, once in stores:
        total, missing, duplicated = compare(expected, ids)
        print(f"{name:<40}{total:>8}{missing:>9}{duplicated:>12}")
        ok = ok and missing == 0 and not (once and duplicated)
    print(f"BigQuery rows whose {OVERFLOW} column was used: {overflowed}")
    print("seed2: the stores reconcile" if ok else "seed2: the stores do NOT reconcile")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
