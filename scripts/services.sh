#!/usr/bin/env bash
# Starts, stops and reports the servers Sluice's tests talk to, all on 127.0.0.1 on free ports.
#   scripts/services.sh start    start what is not running, wait until each answers
#   scripts/services.sh stop     stop them all
#   scripts/services.sh status   one line per service
# Addresses go to ONE file the tests read (Sources/SluiceTesting/TestServices.swift):
#   Tests/.services/services.json   e.g. {"http_sink": "http://127.0.0.1:PORT", ...}
# Each service writes its own Tests/.services/NAME.json; `start` merges them.
# Pid files and logs: Tests/.services/NAME.pid, NAME.log.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=Tests/.services
PYTHON=${PYTHON:-python3}
mkdir -p "$STATE"

# One line per service: NAME and the command that starts it. The command must write
# $STATE/NAME.json (its addresses) once it listens.
services() {
  echo "http_sink $PYTHON Tests/Fixtures/http_sink.py --dir $STATE/http_sink --info $STATE/http_sink.json"
  # librdkafka's mock cluster (3 brokers) and its control port; built by build_helpers.
  echo "kafka $STATE/kafka_mock --info $STATE/kafka.json"
  # nx-27017 (PyPI, MongoDB wire protocol over SQLite), from the venv; a fresh data dir each start.
  echo "mongodb .venv/bin/python Tests/Fixtures/mongodb_server.py --info $STATE/mongodb.json --data-dir $STATE/mongodb-data --fresh"
  # --- Later services go here (they need the venv: call ensure_venv in start first) ---
  # gcs          gcp-storage-emulator (PyPI)
  # bigquery     bqemulator 1.4.0 (PyPI; pins in DESIGN.md)
  # webhdfs / elasticsearch / twitter   fixtures in Tests/Fixtures
}

# A venv under .venv/ for services and clients from PyPI, pinned. nx-27017 is the MongoDB
# test server (neosqlite is its storage, pinned too); pymongo reads back what Sluice wrote.
VENV_PINS=('nx-27017==0.8.1' 'neosqlite==1.17.2' 'pymongo==4.20.0')
ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if [ ! -f .venv/pins ] || [ "$(cat .venv/pins)" != "${VENV_PINS[*]}" ]; then
    .venv/bin/pip install -q "${VENV_PINS[@]}"
    echo "${VENV_PINS[*]}" > .venv/pins
  fi
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
    for _ in $(seq 1 100); do
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
  rm -f "$STATE/services.json"
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
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
