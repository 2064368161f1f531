#!/usr/bin/env bash
# `make seed1`: the first reference deployment (../shared/reference, section 1) on this
# machine, end to end, and a reconciliation of every store against what was produced.
#
#   SEED1_FILES=100 SEED1_ROWS=1000   how many person_info_N.log files, rows each
#   SEED1_KILLS=3                     kill -9 each pipeline at that many random moments
#                                     (restarting it each time) while the data flows
#   SEED1_TIMEOUT=600                 seconds to wait for the spool to empty and the lag to reach 0
#
# It starts its own test services (Kafka mock cluster, WebHDFS fixture, nx-27017) under
# out/seed1/services, produces the files into out/seed1/spool (a copy in out/seed1/produced),
# runs pipelines/seed1/*.conf, waits until the spool is empty, MongoDB holds every row and the
# group's lag is 0, stops the pipelines, and prints the reconciliation table
# (scripts/seed1/reconcile.py); out/seed1/report.html holds the seed's two dashboards.
# Everything it started is stopped on exit. Exit status 0 only if the stores reconcile.
set -euo pipefail
cd "$(dirname "$0")/../.."
FILES=${SEED1_FILES:-100} ROWS=${SEED1_ROWS:-1000} KILLS=${SEED1_KILLS:-0} TIMEOUT=${SEED1_TIMEOUT:-600}
BIN=${BIN:-.build/release/sluice}
OUT=$PWD/out/seed1
export SLUICE_SERVICES_DIR=$OUT/services

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/services.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"/{spool,produced,lag,logs,data}
echo "seed1: starting the test services"
scripts/services.sh start > "$OUT/logs/services.log" 2>&1 || { cat "$OUT/logs/services.log"; exit 1; }
svc() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$SLUICE_SERVICES_DIR/services.json" "$1"; }
export KAFKA_BOOTSTRAP; KAFKA_BOOTSTRAP=$(svc kafka)
export MONGODB_URI; MONGODB_URI=$(svc mongodb)
nn=$(svc webhdfs_namenode)
export WEBHDFS_HOST=127.0.0.1 WEBHDFS_PORT=${nn##*:}
export SEED1_SPOOL=$OUT/spool LAG_DIR=$OUT/lag LAG_INTERVAL=2s KAFKA_GROUP=group-1 KAFKA_TOPIC=personal-info-topic
PY=$(svc python)
# The seed's topic, with 3 partitions so that the consumer side is spread.
python3 - "$(svc kafka_control)" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port))) as s:
    s.sendall(b"create personal-info-topic 3 3\n")
    s.recv(100)
PY

# name -> config; each pipeline keeps its positions under its own path.data.
declare -A conf=([spool]=spool-to-kafka-and-hdfs [mongo]=kafka-to-mongo [lag]=kafka-lag-to-csv)
declare -A pid
start() {  # NAME
  "$BIN" -f "pipelines/seed1/${conf[$1]}.conf" --path.data "$OUT/data/$1" --log.level warn \
    >> "$OUT/logs/$1.log" 2>&1 &
  pid[$1]=$!
  pids+=("$!")
}
for name in lag mongo spool; do start "$name"; done

echo "seed1: producing $FILES files of $ROWS rows into $OUT/spool"
python3 scripts/seed1/produce.py --dir "$OUT/spool" --files "$FILES" --rows "$ROWS" --seed 1 \
  --copy-to "$OUT/produced" --interval "${SEED1_INTERVAL:-0}" &
producer=$!

if [ "$KILLS" -gt 0 ]; then
  # kill -9 each pipeline at random moments in the first 20 s, and start it again.
  for k in $(seq "$KILLS"); do
    sleep "$(python3 -c 'import random; print(round(random.uniform(1, 6), 2))')"
    for name in spool mongo; do
      kill -KILL "${pid[$name]}" 2>/dev/null || true
      wait "${pid[$name]}" 2>/dev/null || true
      echo "seed1: kill -9 $name pipeline ($k/$KILLS)"
      start "$name"
    done
  done
fi
wait "$producer"

echo "seed1: waiting for the spool to empty, MongoDB to hold every row and the lag to reach 0"
expected=$((FILES * ROWS))
deadline=$((SECONDS + TIMEOUT))
while :; do
  left=$(find "$OUT/spool" -maxdepth 1 -name 'person_info_*' ! -name '*.ERROR' | wc -l)
  state=$("$PY" scripts/seed1/reconcile.py progress) || state="? ?"
  read -r docs lag <<< "$state"
  if [ "$left" -eq 0 ] && [ "$docs" = "$expected" ] && [ "$lag" = 0 ]; then break; fi
  if [ $SECONDS -ge $deadline ]; then
    echo "seed1: gave up after ${TIMEOUT}s: $left files in the spool, $docs documents, lag $lag"
    break
  fi
  sleep 2
done
sleep 3  # one more lag poll into the csv
for name in spool mongo lag; do kill -TERM "${pid[$name]}" 2>/dev/null || true; done
for name in spool mongo lag; do wait "${pid[$name]}" 2>/dev/null || true; done
pids=()
"$PY" scripts/seed1/reconcile.py report
