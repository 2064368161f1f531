#!/usr/bin/env bash
# `make seed2`: the second reference deployment (../shared/reference, section 2) on this machine,
# end to end, and a reconciliation of every store against the tweets that were streamed.
#
#   SEED2_TWEETS=1000    how many tweets the Twitter fixture streams (its sample has 1,000)
#   SEED2_KILLS=0        kill -9 each Kafka consumer pipeline at that many random moments
#   SEED2_TIMEOUT=300    seconds to wait for every store to hold every tweet
#
# It starts its own test services (Twitter fixture, Kafka mock cluster, Elasticsearch fixture,
# GCS and BigQuery emulators) under out/seed2/services and runs pipelines/seed2/*.conf:
#   twitter-to-kafka        twitter (v1.1 sample stream, OAuth) -> file + kafka `twitter`
#   kafka-to-elasticsearch  group twitter_log_to_es  -> twitter-%{+YYYYMMdd}, total_fields limit raised
#   kafka-to-gcs            group twitter_log_to_gcs -> gzipped json lines in a bucket
#   kafka-to-bigquery       group twitter_log_to_bq  -> a table whose schema follows the tweets
# then waits until every store holds every streamed tweet, stops the pipelines and prints the
# reconciliation table (scripts/seed2/reconcile.py). Everything it started is stopped on exit.
# Exit status 0 only if the stores reconcile.
set -euo pipefail
cd "$(dirname "$0")/../.."
TWEETS=${SEED2_TWEETS:-1000} KILLS=${SEED2_KILLS:-0} TIMEOUT=${SEED2_TIMEOUT:-300}
BIN=${BIN:-.build/release/sluice}
OUT=$PWD/out/seed2
export SLUICE_SERVICES_DIR=$OUT/services

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/services.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"/{logs,data,files,gcs-staging}
echo "seed2: starting the test services"
scripts/services.sh start > "$OUT/logs/services.log" 2>&1 || { cat "$OUT/logs/services.log"; exit 1; }
svc() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$SLUICE_SERVICES_DIR/services.json" "$1"; }
PY=$(svc python)
control() {  # URL JSON
  python3 -c "import sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1], sys.argv[2].encode(), {'Content-Type':'application/json'}), timeout=10).read()" "$1" "$2"
}
# The fixture streams the sample as fast as it is read, and stops after SEED2_TWEETS.
control "$(svc twitter_control)/rate" '{"tweets_per_second": 0}'
control "$(svc twitter_control)/limit" "{\"tweets\": $TWEETS}"
python3 - "$(svc kafka_control)" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port))) as s:
    s.sendall(b"create twitter 3 3\n")
    s.recv(100)
PY

export KAFKA_BOOTSTRAP; KAFKA_BOOTSTRAP=$(svc kafka)
export TWITTER_API; TWITTER_API=$(svc twitter)
export TWITTER_CONSUMER_KEY TWITTER_CONSUMER_SECRET TWITTER_OAUTH_TOKEN TWITTER_OAUTH_TOKEN_SECRET
TWITTER_CONSUMER_KEY=$(svc twitter_consumer_key)
TWITTER_CONSUMER_SECRET=$(svc twitter_consumer_secret)
TWITTER_OAUTH_TOKEN=$(svc twitter_oauth_token)
TWITTER_OAUTH_TOKEN_SECRET=$(svc twitter_oauth_token_secret)
export TWITTER_FILE_DIR=$OUT/files
export ES_HOSTS; ES_HOSTS=$(svc elasticsearch)
export STORAGE_EMULATOR_HOST; STORAGE_EMULATOR_HOST=$(svc gcs)
export BIGQUERY_EMULATOR_HOST; BIGQUERY_EMULATOR_HOST=$(svc bigquery)
export GCS_BUCKET=seed2-tweets GCS_TEMP_DIR=$OUT/gcs-staging BQ_PROJECT=seed2 BQ_DATASET=twitter TWITTER_USE_SAMPLES=true
"$PY" scripts/seed2/prepare.py

declare -A pid
start() {  # NAME
  "$BIN" -f "pipelines/seed2/$1.conf" --path.data "$OUT/data/$1" --log.level warn >> "$OUT/logs/$1.log" 2>&1 &
  pid[$1]=$!
  pids+=("$!")
}
consumers=(kafka-to-elasticsearch kafka-to-gcs kafka-to-bigquery)
for name in "${consumers[@]}" twitter-to-kafka; do start "$name"; done

if [ "$KILLS" -gt 0 ]; then
  for k in $(seq "$KILLS"); do
    sleep "$(python3 -c 'import random; print(round(random.uniform(1, 5), 2))')"
    for name in "${consumers[@]}"; do
      kill -KILL "${pid[$name]}" 2>/dev/null || true
      wait "${pid[$name]}" 2>/dev/null || true
      echo "seed2: kill -9 $name ($k/$KILLS)"
      start "$name"
    done
  done
fi

echo "seed2: streaming $TWEETS tweets; waiting for Kafka, Elasticsearch, GCS and BigQuery to hold them"
deadline=$((SECONDS + TIMEOUT))
while :; do
  state=$("$PY" scripts/seed2/reconcile.py progress) || state="? ? ? ?"
  read -r k e g b <<< "$state"
  if [ "$k" = "$TWEETS" ] && [ "$e" = "$TWEETS" ] && [ "$g" = "$TWEETS" ] && [ "$b" = "$TWEETS" ]; then break; fi
  if [ $SECONDS -ge $deadline ]; then
    echo "seed2: gave up after ${TIMEOUT}s: kafka $k, elasticsearch $e, gcs $g, bigquery $b tweets"
    break
  fi
  sleep 2
done
for name in twitter-to-kafka "${consumers[@]}"; do kill -TERM "${pid[$name]}" 2>/dev/null || true; done
for name in twitter-to-kafka "${consumers[@]}"; do wait "${pid[$name]}" 2>/dev/null || true; done
pids=()
"$PY" scripts/seed2/reconcile.py report
