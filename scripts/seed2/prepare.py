#!/usr/bin/env python3
"""Creates what the seed's operators created by hand before starting Logstash: the GCS bucket
(the `gsutil mb` step) in the storage emulator. Addresses come from $SLUICE_SERVICES_DIR/services.json;
names from GCS_BUCKET."""
import json
import os
import urllib.request

SERVICES = json.load(open(os.path.join(os.environ.get("SLUICE_SERVICES_DIR", "Tests/.services"), "services.json")))


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


post(SERVICES["gcs"].rstrip("/") + "/storage/v1/b?project=seed2", {"name": os.environ.get("GCS_BUCKET", "seed2-tweets")})
