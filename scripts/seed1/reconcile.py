#!/usr/bin/env python3
"""Reconciles the first reference deployment (`make seed1`): every store read back with its
own client and compared, as multisets, with the rows produced.

  reconcile.py progress   prints "<documents in mongodb> <lag of group-1>" (for the wait loop)
  reconcile.py report     prints the table, writes out/seed1/report.html; exit 1 if a row is
                          missing anywhere, MongoDB does not hold each row exactly once, or the
                          lag is not 0 (with SEED1_KILLS=0, any duplicate fails it too)

Clients: confluent-kafka (Kafka), hdfs (WebHDFS), pymongo (MongoDB), from the test venv.
Addresses come from $SLUICE_SERVICES_DIR/services.json.
"""
import collections
import glob
import html
import json
import os
import random
import sys

OUT = os.path.join(os.getcwd(), "out", "seed1")
TOPIC, GROUP = "personal-info-topic", "group-1"
SERVICES = json.load(open(os.path.join(os.environ.get("SLUICE_SERVICES_DIR", "Tests/.services"), "services.json")))


def produced_rows():
    rows = collections.Counter()
    for path in glob.glob(os.path.join(OUT, "produced", "person_info_*.log")):
        with open(path) as f:
            rows.update(line.rstrip("\n") for line in f)
    return rows


def mongo_rows():
    import pymongo
    client = pymongo.MongoClient(SERVICES["mongodb"], serverSelectionTimeoutMS=5000)
    rows = collections.Counter()
    for doc in client["mydb"]["posts"].find({}, {"msg": 1}):
        msg = doc.get("msg", "")
        rows[msg[: -len(" processed")] if msg.endswith(" processed") else "<not processed> " + msg] += 1
    return rows


def kafka_lag():
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": SERVICES["kafka"], "group.id": GROUP, "enable.auto.commit": False})
    try:
        meta = c.list_topics(TOPIC, timeout=10)
        parts = [TopicPartition(TOPIC, p) for p in meta.topics[TOPIC].partitions]
        lag = 0
        for tp in c.committed(parts, timeout=10):
            low, high = c.get_watermark_offsets(tp, timeout=10)
            lag += high - (tp.offset if tp.offset >= 0 else low)
        return lag
    finally:
        c.close()


def kafka_rows():
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({"bootstrap.servers": SERVICES["kafka"], "group.id": "seed1-reconcile-%d" % os.getpid(),
                  "enable.auto.commit": False, "enable.partition.eof": True})
    rows = collections.Counter()
    try:
        meta = c.list_topics(TOPIC, timeout=10)
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
            rows[m.value().decode()] += 1
    finally:
        c.close()
    return rows


def hdfs_rows():
    from hdfs import InsecureClient
    client = InsecureClient(SERVICES["webhdfs_namenode"], user="maria_dev")
    rows = collections.Counter()
    for root, _, files in client.walk("/user/maria_dev/flume"):
        for name in files:
            with client.read(root + "/" + name, encoding="utf-8") as f:
                rows.update(line for line in f.read().split("\n") if line)
    return rows


def compare(produced, store):
    missing = sum((produced - store).values())
    duplicated = sum((store - produced).values())
    return sum(store.values()), missing, duplicated


def svg_scatter(rows, width=420, height=320):
    points = [r.split() for r in rows.elements()]
    points = [(p[1], float(p[2]), float(p[3])) for p in points if len(p) == 4]
    random.Random(1).shuffle(points)
    points = points[:4000]
    if not points:
        return "<p>no rows in HDFS</p>"
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = lambda x: 40 + (x - x0) / max(x1 - x0, 1e-9) * (width - 60)
    sy = lambda y: height - 30 - (y - y0) / max(y1 - y0, 1e-9) * (height - 50)
    colors = {"male": "#1f77b4", "female": "#d62728"}
    dots = "".join('<circle cx="%.1f" cy="%.1f" r="1.5" fill="%s" fill-opacity="0.5"/>' % (sx(x), sy(y), colors.get(g, "#777"))
                   for g, x, y in points)
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">%s'
            '<text x="%d" y="%d" font-size="11">height (cm) %.0f–%.0f</text>'
            '<text x="4" y="14" font-size="11">weight (kg) %.0f–%.0f</text>'
            '<text x="%d" y="14" font-size="11" fill="#1f77b4">male</text>'
            '<text x="%d" y="28" font-size="11" fill="#d62728">female</text></svg>'
            % (width, height, dots, width // 2 - 60, height - 8, x0, x1, y0, y1, width - 60, width - 60))


def svg_lag(width=420, height=200):
    path = os.path.join(OUT, "lag", TOPIC + ".lag")
    if not os.path.exists(path):
        return "<p>no lag file</p>"
    import csv
    with open(path, newline="") as f:
        lags = [int(float(r["lag"])) for r in csv.DictReader(f) if r.get("lag")]
    if not lags:
        return "<p>no lag rows</p>"
    top = max(max(lags), 1)
    step = (width - 50) / max(len(lags) - 1, 1)
    pts = " ".join("%.1f,%.1f" % (40 + i * step, height - 20 - v / top * (height - 40)) for i, v in enumerate(lags))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">'
            '<polyline fill="none" stroke="#2ca02c" stroke-width="1.5" points="%s"/>'
            '<text x="4" y="14" font-size="11">lag (max %d)</text>'
            '<text x="%d" y="%d" font-size="11">%d polls</text></svg>' % (width, height, pts, top, width // 2, height - 4, len(lags)))


def main():
    if sys.argv[1:] == ["progress"]:
        try:
            import pymongo
            docs = pymongo.MongoClient(SERVICES["mongodb"], serverSelectionTimeoutMS=3000)["mydb"]["posts"].count_documents({})
        except Exception:
            docs = "?"
        try:
            lag = kafka_lag()
        except Exception:
            lag = "?"
        print(docs, lag)
        return 0
    produced = produced_rows()
    stores = [("Kafka messages", kafka_rows()), ("HDFS lines", hdfs_rows()), ("MongoDB documents", mongo_rows())]
    lag = kafka_lag()
    strict = os.environ.get("SEED1_KILLS", "0") == "0"
    total = sum(produced.values())
    lines = ["%-20s %10s %10s %12s" % ("store", "rows", "missing", "duplicated"),
             "%-20s %10d %10s %12s" % ("produced", total, "-", "-")]
    ok = lag == 0
    for name, rows in stores:
        n, missing, dup = compare(produced, rows)
        lines.append("%-20s %10d %10d %12d" % (name, n, missing, dup))
        ok = ok and missing == 0 and (dup == 0 if (strict or name.startswith("MongoDB")) else True)
    lines.append("final lag of %s on %s: %d" % (GROUP, TOPIC, lag))
    lines.append("reconciled: " + ("yes" if ok else "NO"))
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(OUT, "report.html"), "w") as f:
        f.write("<!doctype html><meta charset=utf-8><title>seed1</title>"
                "<h1>Seed 1: spooldir → Kafka + HDFS → MongoDB</h1><pre>%s</pre>"
                "<h2>Height against weight by gender (HDFS rows)</h2>%s"
                "<h2>Lag of group-1 over time (csv written by kafka_lag)</h2>%s"
                % (html.escape(table), svg_scatter(stores[1][1]), svg_lag()))
    print("report: %s" % os.path.join(OUT, "report.html"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
