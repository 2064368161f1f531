#!/usr/bin/env bash
# `make bench`: fixed workloads, one line each: events/s, MiB/s, peak RSS.
# A benchmark, not a test: it prints figures and never fails on them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sluice}
WORK=${BENCH_DIR:-/tmp/sluice-bench}
mkdir -p "$WORK"

# measure NAME EVENTS BYTES -- command...: runs it RUNS times under GNU time (running
# $before_each first, e.g. to remove the last run's output) and prints one line: the
# median run's figures (wall time, CPU time of all threads, peak RSS), and the spread of
# events/s over all runs. This VM's speed moves by up to 10% from minute to minute, so a
# single run says little; CPU time varies less than wall time when comparing builds.
RUNS=${BENCH_RUNS:-3}
before_each=":"
measure() {
  local name=$1 events=$2 bytes=$3; shift 4
  local t0 t1 runs=()
  for _ in $(seq "$RUNS"); do
    eval "$before_each"
    # Start with no dirty pages left by the previous run: their write-back would be
    # charged to this one (the output files here are hundreds of MiB).
    sync
    t0=$(date +%s%N)
    /usr/bin/time -f "%M %U %S" -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/stderr" || { echo "$name: FAILED"; cat "$WORK/stderr"; return; }
    t1=$(date +%s%N)
    runs+=("$((t1 - t0)) $(tail -n 1 "$WORK/rss")")
  done
  printf '%s\n' "${runs[@]}" | sort -n | awk -v n="$name" -v e="$events" -v by="$bytes" '
    { ns[NR] = $1; rss[NR] = $2; cpu[NR] = $3 + $4 }
    END {
      m = int((NR + 1) / 2); s = ns[m] / 1e9
      spread = NR > 1 ? sprintf("  (%.0f–%.0f over %d runs)", e / (ns[NR] / 1e9), e / (ns[1] / 1e9), NR) : ""
      printf "%-34s %10.0f events/s %8.1f MiB/s  %6.2f s  CPU %6.2f s  peak RSS %6.1f MiB%s\n", n, e/s, by/s/1048576, s, cpu[m], rss[m]/1024, spread }'
}

N=${BENCH_EVENTS:-1000000}

# BENCH_ONLY="kafka webhdfs" runs only those blocks (names: pipeline queue file grok http kafka
# webhdfs mongo gcs es bq startup); all of them by default.
want() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

if want pipeline; then
# 1. generator -> mutate (add_field, rename, convert) -> null, 2 workers
cat > "$WORK/gen.conf" <<CONF
input { generator { count => $N message => "Hello world!" } }
filter { mutate { add_field => { "status" => "200" } rename => { "sequence" => "seq" } convert => { "status" => "integer" } } }
output { null {} }
CONF
measure "generator>mutate>null (w2)" "$N" 0 -- "$BIN" -f "$WORK/gen.conf" -w 2 --log.level error

fi

if want queue; then
# 1b. generator -> queue -> null: memory queue against the persisted queue (checkpoint.writes 1024)
cat > "$WORK/q.conf" <<CONF
input { generator { count => $N message => "$(printf 'x%.0s' $(seq 100))" } }
output { null {} }
CONF
mkdir -p "$WORK/pq"
printf 'queue.type: persisted\nqueue.checkpoint.writes: 1024\npath.queue: %s\n' "$WORK/pq/queue" > "$WORK/pq/sluice.yml"
qbytes=$((N * 100))  # message bytes
measure "generator>memory queue>null" "$N" "$qbytes" -- "$BIN" -f "$WORK/q.conf" -w 2 --log.level error
before_each='rm -rf "$WORK/pq/queue"'
measure "generator>persisted queue>null" "$N" "$qbytes" -- "$BIN" -f "$WORK/q.conf" -w 2 --log.level error --path.settings "$WORK/pq"

fi

if want file; then
# 2. file -> file, line codec: 20-byte lines and ~214-byte Apache lines
[ -f "$WORK/short.log" ] || python3 -c "
import sys
with open('$WORK/short.log','w') as f:
    for i in range($N): f.write('line %014d\n' % i)"
[ -f "$WORK/apache.log" ] || python3 scripts/make_apache.py "$WORK/apache.log" "$N"
for kind in short apache; do
  before_each='rm -f "$WORK/$kind.out"'
  cat > "$WORK/file-$kind.conf" <<CONF
input { file { path => "$WORK/$kind.log" mode => "read" exit_after_read => true sincedb_path => "/dev/null"
               file_completed_action => "log" file_completed_log_path => "$WORK/completed.log" file_chunk_size => 262144 } }
output { file { path => "$WORK/$kind.out" codec => line { format => "%{message}" } } }
CONF
  bytes=$(stat -c %s "$WORK/$kind.log")
  measure "file>file line ($kind lines, w2)" "$N" "$bytes" -- "$BIN" -f "$WORK/file-$kind.conf" -w 2 --log.level error
  out=$(wc -l < "$WORK/$kind.out")
  [ "$out" -eq "$N" ] || echo "  WARNING: $kind.out has $out lines, expected $N"
done

fi

if want grok; then
# 3. grok: file -> grok -> file json_lines, 2 workers (issue 3's workloads)
[ -f "$WORK/people.log" ] || { python3 scripts/make_people.py "$WORK" 1 "$N" && mv "$WORK/person_info_1.log" "$WORK/people.log"; }
grok_bench() {
  local name=$1 kind=$2 pattern=$3
  before_each='rm -f "$WORK/grok-$kind.out"'
  cat > "$WORK/grok-$kind.conf" <<CONF
input { file { path => "$WORK/$kind.log" mode => "read" exit_after_read => true sincedb_path => "/dev/null"
               file_completed_action => "log" file_completed_log_path => "$WORK/completed.log" file_chunk_size => 262144 } }
filter { grok { match => { "message" => "$pattern" } } }
output { file { path => "$WORK/grok-$kind.out" codec => json_lines } }
CONF
  measure "$name" "$N" "$(stat -c %s "$WORK/$kind.log")" -- "$BIN" -f "$WORK/grok-$kind.conf" -w 2 --log.level error
  local out failed
  out=$(wc -l < "$WORK/grok-$kind.out")
  failed=$(grep -c _grokparsefailure "$WORK/grok-$kind.out" || true)
  [ "$out" -eq "$N" ] && [ "$failed" -eq 0 ] || echo "  WARNING: grok-$kind.out has $out lines ($failed failures), expected $N"
}
grok_bench "file>grok COMBINEDAPACHELOG>json" apache '%{COMBINEDAPACHELOG}'
grok_bench "file>grok people (4 fields)>json" people '%{INT:age:int} %{WORD:gender} %{NUMBER:height:float} %{NUMBER:weight:float}'

fi

# 3b. generator -> http output (ndjson, batches of 125) -> the HTTP sink fixture, against the
# sink's own ceiling: curl posting the same number of same-sized bodies over kept-alive
# connections, two at a time (as two workers do), in the same run.
http_bench() {
  local n=${BENCH_HTTP_EVENTS:-200000} dir="$WORK/http_sink" url ceiling_start ceiling_end
  mkdir -p "$dir"
  rm -f "$dir/info.json"
  python3 Tests/Fixtures/http_sink.py --dir "$dir" --info "$dir/info.json" >"$dir/log" 2>&1 &
  local sink=$!
  for _ in $(seq 100); do [ -s "$dir/info.json" ] && break; sleep 0.1; done
  url=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['http_sink'])" "$dir/info.json")
  before_each="curl -s -X POST $url/_control/reset >/dev/null"
  cat > "$WORK/http.conf" <<CONF
input { generator { count => $n message => "$(printf 'x%.0s' $(seq 100))" } }
output { http { url => "$url/bench" http_method => "post" format => "ndjson" } }
CONF
  measure "generator>http ndjson>sink (w2)" "$n" $((n * 100)) -- "$BIN" -f "$WORK/http.conf" -w 2 -b 125 --log.level error
  local requests
  requests=$(curl -s "$url/_control/requests?prefix=/bench" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
  # One body as Sluice sends it: 125 events of the generator, one JSON line each.
  "$BIN" -e "input { generator { count => 125 message => \"$(printf 'x%.0s' $(seq 100))\" } } output { stdout { codec => json_lines } }" \
    --log.level error > "$WORK/body.ndjson"
  curl -s -X POST "$url/_control/reset" >/dev/null
  local count=$((n / 125)) half
  half=$((count / 2))
  # Two curl processes (one per worker), each sending its requests over one kept-alive connection.
  { echo "data-binary = \"@$WORK/body.ndjson\""; echo 'header = "Content-Type: application/x-ndjson"'
    awk -v u="$url/ceiling" -v n="$half" 'BEGIN { for (i = 0; i < n; i++) printf "url = \"%s\"\n", u }'; } > "$WORK/curl.cfg"
  ceiling_start=$(date +%s%N)
  local pids=()
  for _ in 1 2; do curl -s -K "$WORK/curl.cfg" >/dev/null & pids+=($!); done
  wait "${pids[@]}"
  ceiling_end=$(date +%s%N)
  kill "$sink" 2>/dev/null || true
  wait "$sink" 2>/dev/null || true
  awk -v r="$requests" -v n="$n" -v c="$((half * 2))" -v a="$ceiling_start" -v b="$ceiling_end" 'BEGIN {
    s = (b - a) / 1e9
    printf "  sluice sent %d requests (%.0f events each); curl ceiling: %.0f requests/s = %.0f events/s\n", r, n / r, c / s, c * 125 / s }'
}
want http && http_bench
before_each=":"

# 3c. generator -> kafka output (librdkafka's mock cluster, acks=1, lz4), ~100-byte messages,
# against `kcat -P` writing the same messages to the same cluster in the same run (the ceiling).
kafka_bench() {
  local n=$N mock boot
  # shellcheck disable=SC2046
  ${CC:-cc} -O2 -o "$WORK/kafka_mock" Tests/Fixtures/kafka_mock/kafka_mock.c $(pkg-config --cflags --libs rdkafka)
  start_mock "$WORK/kafka_mock"
  local msg; msg=$(printf 'x%.0s' $(seq 100))
  cat > "$WORK/kafka.conf" <<CONF
input { generator { count => $n message => "$msg" } }
output { kafka { bootstrap_servers => "$boot" topic_id => "bench-sluice" acks => 1 compression_type => "lz4"
                 codec => plain { format => "%{message}" } } }
CONF
  # The ceiling: kcat -P writing the same N lines (what the generator's events encode to), once
  # with the producer settings the kafka output uses by default (linger_ms 1, batch_size 16384,
  # buffer_memory 32 MiB: the fair comparison) and once with librdkafka's defaults (linger 5 ms,
  # 1 MB batches: fewer, larger requests). Sluice and kcat run in turn (see `alternate`).
  awk -v n="$n" -v m="$msg" 'BEGIN { for (i = 0; i < n; i++) print m }' > "$WORK/kafka.msgs"
  local lines line kline
  mapfile -t lines < <(alternate "$n" "$((n * 100))" \
    "generator>kafka (mock, acks=1, lz4)" "$BIN -f $WORK/kafka.conf -w 2 --log.level error" \
    "  kcat -P, the output's settings" "kcat -P -b $boot -t bench-kcat-same -z lz4 -X acks=1 -X linger.ms=1 -X batch.size=16384 -X queue.buffering.max.kbytes=32768 -l $WORK/kafka.msgs")
  line=${lines[0]} kline=${lines[1]}
  printf '%s\n' "$line" "$kline"
  ratio "$line" "$kline" "  sluice/kcat -P (same settings)"
  kline=$(measure "  kcat -P, librdkafka defaults" "$n" "$((n * 100))" -- \
    kcat -P -b "$boot" -t bench-kcat-default -z lz4 -X acks=1 -l "$WORK/kafka.msgs")
  echo "$kline"
  ratio "$line" "$kline" "  sluice/kcat -P (defaults)"

  kcat -P -b "$boot" -t bench-kcat -z lz4 -X acks=1 -l "$WORK/kafka.msgs"
  consumer_bench "$boot" "mock"
  stop_mock

  # The same consumers against a broker whose groups do not wait: librdkafka 2.0.2's mock
  # makes every new group's first member wait 3 s for others (a broker's default
  # group.initial.rebalance.delay.ms), which no consumer of 1M records can average out.
  # Development brokers (Confluent's images, Testcontainers) set it to 0; the mock of the
  # librdkafka bundled in the venv's confluent-kafka wheel can too. Sluice and kcat still use
  # the system's librdkafka 2.0.2: only the broker changes.
  local lib
  scripts/services.sh venv
  lib=$(ls .venv/lib/python3*/site-packages/confluent_kafka.libs/librdkafka-*.so* 2>/dev/null | head -n 1)
  if [ -z "$lib" ]; then echo "  (no librdkafka in .venv's confluent-kafka wheel: no delay-0 broker)"; return; fi
  # shellcheck disable=SC2046
  ${CC:-cc} -O2 -o "$WORK/kafka_mock_dev" Tests/Fixtures/kafka_mock/kafka_mock.c $(pkg-config --cflags rdkafka) \
    "$lib" -Wl,-rpath,"$(dirname "$lib")"
  start_mock "$WORK/kafka_mock_dev" --initial-rebalance-delay-ms 0
  kcat -P -b "$boot" -t bench-kcat -z lz4 -X acks=1 -l "$WORK/kafka.msgs"
  consumer_bench "$boot" "mock, no join delay"
  stop_mock
}
# start_mock BINARY [ARGS]: starts a kafka_mock build; sets `mock` (its pid) and `boot` (its
# bootstrap servers) in the caller. stop_mock ends it.
start_mock() {
  rm -f "$WORK/kafka.json"
  "$@" --info "$WORK/kafka.json" 2>"$WORK/kafka_mock.log" & mock=$!
  for _ in $(seq 50); do [ -f "$WORK/kafka.json" ] && break; sleep 0.1; done
  boot=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['kafka'])" "$WORK/kafka.json")
}
stop_mock() {
  kill "$mock" 2>/dev/null || true
  wait "$mock" 2>/dev/null || true
}
# consumer_bench BOOTSTRAP LABEL: kafka input -> null against kcat -G and kcat -C reading the
# topic bench-kcat (N messages) of that broker.
consumer_bench() {
  local boot=$1 label=$2 line kline n=$N
  # kafka input -> stdout with the dots codec (one byte per event, as good as null): the
  # input never ends by itself, so a reader counts N bytes from a fifo and then stops the
  # pipeline with SIGTERM. Each run reads the topic from the start in a new group. The reader
  # also notes the time from the first event to the last one ("steady"), which leaves out
  # start-up and the group's join.
  cat > "$WORK/count.py" <<'PY'
import sys, time
n, unit, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
got, first, src = 0, None, sys.stdin.buffer
while got < n:
    b = src.read1(1 << 16)
    if not b: break
    if first is None: first = time.monotonic()
    got += len(b) if unit == "bytes" else b.count(b"\n")
open(out, "a").write("%f\n" % (time.monotonic() - first if first else 0))
PY
  cat > "$WORK/kafka-in.conf" <<CONF
input { kafka { bootstrap_servers => "$boot" topics => ["bench-kcat"] group_id => "bench-\${BENCH_GROUP}"
                auto_offset_reset => "earliest" } }
output { stdout { codec => dots } }
CONF
  before_each='export BENCH_GROUP=$RANDOM$RANDOM'
  rm -f "$WORK/kafka.fifo" "$WORK/steady."*; mkfifo "$WORK/kafka.fifo"
  line=$(measure "kafka ($label, lz4)>null (w2)" "$n" "$((n * 100))" -- bash -c "
    '$BIN' -f '$WORK/kafka-in.conf' -w 2 --log.level error > '$WORK/kafka.fifo' & p=\$!
    python3 '$WORK/count.py' $n bytes '$WORK/steady.sluice' < '$WORK/kafka.fifo'; kill -TERM \$p; wait \$p")
  echo "$line"; steady sluice
  # The ceilings: kcat as a member of a new group too (-G, the same subscribe/join path), and
  # kcat -C (partitions assigned, no group: no join wait).
  kline=$(measure "  kcat -G (group consumer)" "$n" "$((n * 100))" -- bash -c "
    kcat -b '$boot' -G bench-kcat-\$BENCH_GROUP -X auto.offset.reset=earliest -e -q bench-kcat |
      python3 '$WORK/count.py' $n lines '$WORK/steady.kcat-G'")
  echo "$kline"; steady kcat-G
  ratio "$line" "$kline" "  sluice/kcat -G"
  before_each=":"
  kline=$(measure "  kcat -C (assigned, no group)" "$n" "$((n * 100))" -- bash -c "
    kcat -b '$boot' -C -t bench-kcat -o beginning -e -q | python3 '$WORK/count.py' $n lines '$WORK/steady.kcat-C'")
  echo "$kline"; steady kcat-C
  ratio "$line" "$kline" "  sluice/kcat -C"
  steady_ratio sluice kcat-C "  sluice/kcat -C, first to last event"
}
# rate(LINE) in awk: the events/s figure of a `measure` line.
RATE_AWK='function rate(l, f) { split(l, f, "events/s"); sub(/ +$/, "", f[1]); sub(/.* /, "", f[1]); return f[1] + 0 }'
# alternate EVENTS BYTES NAME1 CMD1 NAME2 CMD2 ...: runs the commands (word-split, no quoting)
# one after the other, RUNS rounds, and prints one line per command, as `measure` does, from
# its median run. This VM's speed drifts over a minute, so a ratio of two commands measured
# in turn is steadier than one of two commands measured a minute apart.
alternate() {
  local events=$1 bytes=$2 i; shift 2
  local names=() cmds=() results=()
  while [ $# -ge 2 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  for _ in $(seq "$RUNS"); do
    for i in "${!cmds[@]}"; do
      # shellcheck disable=SC2086
      results[i]+="$(RUNS=1 measure "${names[i]}" "$events" "$bytes" -- ${cmds[i]})"$'\n'
    done
  done
  for i in "${!cmds[@]}"; do
    # Sorted by events/s: the middle line, and the slowest and fastest rates.
    printf '%s' "${results[i]}" |
      awk "$RATE_AWK"' NF { print rate($0) "\t" $0 }' |
      sort -n | awk -F '\t' '{ r[NR] = $1; l[NR] = $2 }
        END { printf "%s  (%.0f–%.0f over %d runs, in turn)\n", l[int((NR + 1) / 2)], r[1], r[NR], NR }'
  done
}
# ratio LINE CEILING_LINE LABEL: events/s of LINE over those of CEILING_LINE.
ratio() {
  awk -v a="$1" -v b="$2" -v label="$3" "$RATE_AWK"' BEGIN { printf "%s = %.2f\n", label, rate(a) / rate(b) }'
}
# steady NAME: events/s from the first event to the last, median of the runs' figures.
steady() {
  awk -v n="$N" -v name="$1" -v m="$(steady_median "$1")" \
    'BEGIN { printf "    %s steady (first to last event): %.0f events/s\n", name, n / m }'
}
# steady_median NAME: the median of the runs' first-to-last-event seconds.
steady_median() {
  sort -n "$WORK/steady.$1" | awk '{ s[NR] = $1 } END { print s[int((NR + 1) / 2)] }'
}
# steady_ratio A B LABEL: the first-to-last-event rate of A over that of B (medians).
steady_ratio() {
  awk -v a="$(steady_median "$1")" -v b="$(steady_median "$2")" -v label="$3" 'BEGIN { printf "%s = %.2f\n", label, b / a }'
}
want kafka && kafka_bench

# Seed 1's spool (issue 13): BENCH_SPOOL_FILES (1,000) files of 1,000 `age gender height
# weight` rows written once by scripts/seed1/produce.py into a template directory. Each run gets
# hard links to the first FILES of them in a fresh spool (the input deletes each file once every
# row of it was acknowledged), and `spool-run.sh` stops Sluice with SIGTERM once the spool is
# empty: the time covers reading, writing and the acknowledgement of every row.
SPOOL_SRC="$WORK/spool-src"
make_spool() {
  local want_files=${BENCH_SPOOL_FILES:-1000}
  if [ "$(cat "$SPOOL_SRC/.person_info.next" 2>/dev/null || echo 0)" -lt "$want_files" ]; then
    rm -rf "$SPOOL_SRC"
    python3 scripts/seed1/produce.py --dir "$SPOOL_SRC" --files "$want_files" --rows 1000 --seed 1
  fi
  cat > "$WORK/spool-run.sh" <<'SH'
#!/usr/bin/env bash
# spool-run.sh DIR COMMAND...: runs COMMAND until DIR holds no visible file (looked at every
# 0.1 s: `find -quit` stops at the first name, a glob would list and sort them all), then SIGTERM.
dir=$1; shift
"$@" & p=$!
rm -f "$dir.wait"; mkfifo "$dir.wait"; exec 9<>"$dir.wait"  # `read -t` on it sleeps without a fork
while [ -n "$(find "$dir" -mindepth 1 -maxdepth 1 ! -name '.*' -print -quit)" ]; do
  kill -0 "$p" 2>/dev/null || { wait "$p"; exit 1; }
  read -r -t 0.1 -u 9 || true
done
kill -TERM "$p"; wait "$p"
SH
  chmod +x "$WORK/spool-run.sh"
}
# fill_spool DIR FILES: DIR, emptied, with links to the first FILES template files.
fill_spool() {
  rm -rf "$1" "$1.data"; mkdir -p "$1"
  (cd "$SPOOL_SRC" && seq 0 $(($2 - 1)) | sed 's/.*/person_info_&.log/' | xargs ln -t "$1")
}
spool_bytes() { (cd "$SPOOL_SRC" && seq 0 $(($1 - 1)) | sed 's/.*/person_info_&.log/' | xargs cat | wc -c); }

# 3d. generator and spooldir -> webhdfs output -> the WebHDFS fixture (Python: each append is
# two requests, namenode 307 then datanode), seed-1-like 18-byte rows, default batches of 125
# and batches of 1,000; the line count is checked in the fixture's data directory.
webhdfs_bench() {
  local n=${BENCH_HDFS_EVENTS:-200000} dir="$WORK/webhdfs" nn pid b
  rm -rf "$dir"; mkdir -p "$dir"
  python3 Tests/Fixtures/webhdfs_fixture.py --dir "$dir/data" --info "$dir/info.json" >"$dir/log" 2>&1 & pid=$!
  for _ in $(seq 100); do [ -s "$dir/info.json" ] && break; sleep 0.1; done
  nn=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['webhdfs_namenode'].rsplit(':', 1)[1])" "$dir/info.json")
  local out="output { webhdfs { host => \"127.0.0.1\" port => $nn user => \"bench\" path => \"/bench/rows.log\" flush_size => FLUSH
                   codec => line { format => \"%{message}\" } } }"
  for b in 125 1000; do
    before_each='rm -rf "$WORK/webhdfs/data/bench"'
    { echo "input { generator { count => $n message => \"22 male 174.2 71.5\" } }"; echo "${out/FLUSH/$b}"; } > "$WORK/webhdfs.conf"
    measure "generator>webhdfs fixture (w2, b$b)" "$n" $((n * 19)) -- "$BIN" -f "$WORK/webhdfs.conf" -w 2 -b "$b" --log.level error
    local lines; lines=$(cat "$dir"/data/bench/* | wc -l)
    [ "$lines" -eq "$n" ] || echo "  WARNING: webhdfs files hold $lines lines, expected $n"
  done
  # Issue 13: spooldir (seed 1's files) -> webhdfs.
  local files=${BENCH_SPOOL_FILES:-1000} spool="$WORK/spool-hdfs"
  make_spool
  n=$((files * 1000))
  for b in 125 1000; do
    before_each='rm -rf "$WORK/webhdfs/data/bench"; fill_spool "$WORK/spool-hdfs" '"$files"
    # The input's chunks (batch_size) as large as the pipeline's batches, as the generator's are.
    { echo "input { spooldir { path => \"$spool\" delete_policy => \"immediate\" batch_size => $b } }"; echo "${out/FLUSH/$b}"; } > "$WORK/spool-webhdfs.conf"
    measure "spooldir>webhdfs fixture (w2, b$b)" "$n" "$(spool_bytes "$files")" -- "$WORK/spool-run.sh" "$spool" \
      "$BIN" -f "$WORK/spool-webhdfs.conf" -w 2 -b "$b" --log.level error --path.data "$spool.data"
    local lines; lines=$(cat "$dir"/data/bench/* | wc -l)
    [ "$lines" -eq "$n" ] || echo "  WARNING: webhdfs files hold $lines lines, expected $n"
  done
  before_each=":"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
want webhdfs && webhdfs_bench

# 3e. generator and spooldir -> mongodb output (nx-27017, bulk_size 900, isodate), each against
# pymongo's insert_many (unordered, 900 a batch) to the same server in the same run: the
# generator's documents, and for the spool exactly the documents Sluice wrote (read back, then
# inserted again into another collection). The server is the limit, so the ratio says what
# Sluice adds. nx-27017 takes ~5,000 rows/s: the spool run uses BENCH_MONGO_FILES (20) of the
# 1,000 files unless told otherwise.
mongo_bench() {
  local n=${BENCH_MONGO_EVENTS:-20000} srv uri py=.venv/bin/python client=Tests/Fixtures/mongo_client.py
  [ -x "$py" ] || { echo "generator>mongodb: SKIPPED (no .venv: run scripts/services.sh start once)"; return; }
  rm -rf "$WORK/mongo"; mkdir -p "$WORK/mongo"
  "$py" Tests/Fixtures/mongodb_server.py --info "$WORK/mongo/info.json" --data-dir "$WORK/mongo/data" --fresh \
    >"$WORK/mongo/server.log" 2>&1 & srv=$!
  for _ in $(seq 100); do [ -f "$WORK/mongo/info.json" ] && break; sleep 0.1; done
  uri=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['mongodb'])" "$WORK/mongo/info.json")
  local out="output { mongodb { uri => \"$uri\" database => \"bench\" collection => \"sluice\" isodate => true bulk_size => 900 } }"
  mongo_ratio() {
    "$py" -c "
import json, sys
c = json.loads(sys.argv[1])['rows_per_s']
k = float(sys.argv[2].split('events/s')[0].split()[-1])
print('  pymongo insert_many ceiling: %.0f rows/s; sluice/pymongo = %.2f' % (c, k / c))" "$1" "$2"
  }
  count_is() {
    local count; count=$("$py" $client count "$uri" bench sluice)
    [ "$count" = "{\"count\": $1}" ] || echo "  WARNING: bench.sluice holds $count documents, expected $1"
  }
  { echo "input { generator { count => $n message => \"Hello world!\" } }"; echo "$out"; } > "$WORK/mongo.conf"
  before_each="\"$py\" $client drop $uri bench sluice >/dev/null"
  local line
  line=$(measure "generator>mongodb (nx-27017)" "$n" 0 -- "$BIN" -f "$WORK/mongo.conf" -w 2 --log.level error)
  echo "$line"
  count_is "$n"
  mongo_ratio "$("$py" $client insert_many "$uri" bench pymongo "$n" 900)" "$line"

  # Issue 13: spooldir (seed 1's files) -> mongodb.
  local files=${BENCH_MONGO_FILES:-20} spool="$WORK/spool-mongo"
  make_spool
  n=$((files * 1000))
  { echo "input { spooldir { path => \"$spool\" delete_policy => \"immediate\" batch_size => 125 } }"; echo "$out"; } > "$WORK/spool-mongo.conf"
  before_each="\"$py\" $client drop $uri bench sluice >/dev/null; fill_spool \"$spool\" $files"
  line=$(measure "spooldir>mongodb (nx-27017)" "$n" "$(spool_bytes "$files")" -- "$WORK/spool-run.sh" "$spool" \
    "$BIN" -f "$WORK/spool-mongo.conf" -w 2 --log.level error --path.data "$spool.data")
  before_each=":"
  echo "$line"
  count_is "$n"
  "$py" $client drop "$uri" bench pymongo >/dev/null
  mongo_ratio "$("$py" $client insert_copy "$uri" bench sluice pymongo 900)" "$line"
  kill "$srv" 2>/dev/null || true
  wait "$srv" 2>/dev/null || true
}
want mongo && mongo_bench

# 3e. generator -> google_cloud_storage output (gzip, json_lines, 100 MB files as the seed) ->
# gcp-storage-emulator (in memory, from the venv): MiB/s of JSON lines before compression.
# Bytes per event: the middle event's line (nanosecond @timestamp, this host's name). The
# objects' lines are counted afterwards over the JSON API.
gcs_bench() {
  local n=${BENCH_GCS_EVENTS:-1000000} dir="$WORK/gcs" py=.venv/bin/python pid url bytes
  [ -x "$py" ] || { echo "generator>gcs: SKIPPED (no .venv: run scripts/services.sh start once)"; return; }
  rm -rf "$dir"; mkdir -p "$dir"
  "$py" Tests/Fixtures/gcs_fixture.py --info "$dir/info.json" >"$dir/log" 2>&1 & pid=$!
  for _ in $(seq 100); do [ -s "$dir/info.json" ] && break; sleep 0.1; done
  url=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['gcs'])" "$dir/info.json")
  cat > "$dir/gcs.conf" <<CONF
input { generator { count => $n message => "$(printf 'x%.0s' $(seq 100))" } }
output { google_cloud_storage { endpoint => "$url" bucket => "bench" temp_directory => "$dir/staged" log_file_prefix => "bench"
                                codec => json_lines gzip => true max_file_size_kbytes => 100000 } }
CONF
  # What json_lines writes per event (message, @timestamp, @version, host, sequence), uncompressed.
  bytes=$(printf '{"message":"%s","@version":"1","@timestamp":"2026-01-01T00:00:00.000000000Z","host":"%s","sequence":%d}\n' \
            "$(printf 'x%.0s' $(seq 100))" "$(hostname)" $((n / 2)) | wc -c)
  before_each="curl -s \"$url/wipe\" >/dev/null; curl -s -X POST \"$url/storage/v1/b?project=p\" -H 'Content-Type: application/json' -d '{\"name\": \"bench\"}' >/dev/null"
  measure "generator>gcs emulator (gzip, w2)" "$n" $((n * bytes)) -- "$BIN" -f "$dir/gcs.conf" -w 2 --log.level error
  before_each=":"
  local out; out=$("$py" - "$url" <<'PY'
import gzip, json, sys, urllib.parse, urllib.request
base = sys.argv[1]
items = json.load(urllib.request.urlopen(f"{base}/storage/v1/b/bench/o")).get("items", [])
lines = sum(gzip.decompress(urllib.request.urlopen(f"{base}/storage/v1/b/bench/o/{urllib.parse.quote(i['name'], safe='')}?alt=media").read()).count(b"\n") for i in items)
print(lines, len(items), sum(int(i["size"]) for i in items))
PY
)
  read -r lines objects gz <<<"$out"
  echo "  $objects objects, $((gz / 1048576)) MiB gzipped"
  [ "$lines" -eq "$n" ] || echo "  WARNING: the objects hold $lines lines, expected $n"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
want gcs && gcs_bench

# 3f. generator -> elasticsearch output -> the Elasticsearch fixture (Python; ids, versions and
# mappings kept, sources not), small documents in bulks of 500, against the fixture's own
# ceiling: a Python `requests` loop sending the same documents in bulks of the same size, two
# at a time (as two workers do), in the same run.
es_bench() {
  local n=${BENCH_ES_EVENTS:-1000000} dir="$WORK/es" url pid py=.venv/bin/python
  [ -x "$py" ] || py=python3
  rm -rf "$dir"; mkdir -p "$dir"
  python3 Tests/Fixtures/es_fixture.py --info "$dir/info.json" >"$dir/log" 2>&1 & pid=$!
  for _ in $(seq 100); do [ -s "$dir/info.json" ] && break; sleep 0.1; done
  url=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['elasticsearch'])" "$dir/info.json")
  before_each="curl -s -X POST $url/_fixture/reset >/dev/null && curl -s -X POST -d '{\"sources\": false}' $url/_fixture/store >/dev/null"
  cat > "$WORK/es.conf" <<CONF
input { generator { count => $n message => "Hello world!" } }
output { elasticsearch { hosts => "$url" index => "bench" flush_size => 500 manage_template => false } }
CONF
  local line
  line=$(measure "generator>elasticsearch fixture (w2)" "$n" 0 -- "$BIN" -f "$WORK/es.conf" -w 2 -b 500 --log.level error)
  before_each=":"
  echo "$line"
  local counters; counters=$(curl -s "$url/_fixture/counters")
  python3 -c "
import json, sys
c = json.loads(sys.argv[1]); n = int(sys.argv[2])
secs = float(sys.argv[3].split(' s  CPU')[0].split()[-1])
ok = c['items_by_status'].get('201', 0) + c['items_by_status'].get('200', 0)
print('  sluice: %d bulk requests (%.0f docs each), %.0f bulk requests/s%s' % (c['bulk_requests'], c['bulk_items'] / max(1, c['bulk_requests']),
      c['bulk_requests'] / secs, '' if ok == n else '; WARNING: %d documents stored, expected %d' % (ok, n)))" "$counters" "$n" "$line"
  curl -s -X POST "$url/_fixture/reset" >/dev/null
  curl -s -X POST -d '{"sources": false}' "$url/_fixture/store" >/dev/null
  local ceiling
  ceiling=$("$py" - "$url" "$n" <<'PY'
import json, sys, threading, time, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
size = 500
def body(start, count):
    lines = []
    for i in range(start, start + count):
        lines.append('{"index":{"_index":"bench","_id":"%020d"}}' % i)
        lines.append(json.dumps({"message": "Hello world!", "@version": "1", "@timestamp": "2026-12-07T05:00:00.000Z",
                                 "host": {"name": "bench"}, "event": {"sequence": i}}, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()
def worker(first, last):
    import http.client
    host = url.split("//")[1]
    conn = http.client.HTTPConnection(host)
    for start in range(first, last, size):
        conn.request("POST", "/_bulk?filter_path=errors,items.*.error,items.*.status", body(start, min(size, last - start)),
                     {"Content-Type": "application/x-ndjson"})
        r = conn.getresponse(); r.read()
t0 = time.time()
half = (n // size // 2) * size
ts = [threading.Thread(target=worker, args=(0, half)), threading.Thread(target=worker, args=(half, n))]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps({"docs_per_s": n / (time.time() - t0), "bulks_per_s": (n / size) / (time.time() - t0)}))
PY
)
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  python3 -c "
import json, sys
c = json.loads(sys.argv[1])
k = float(sys.argv[2].split('events/s')[0].split()[-1])
print('  fixture ceiling (python bulk loop, 2 connections, bulks of 500): %.0f docs/s, %.0f bulk requests/s; sluice/ceiling = %.2f' % (c['docs_per_s'], c['bulks_per_s'], k / c['docs_per_s']))" "$ceiling" "$line"
}
want es && es_bench

# 3g. generator -> google_bigquery (insertAll, 500 rows a request, schema_mode auto) against
# the BigQuery test service (bqemulator behind Tests/Fixtures/bigquery_emulator.py), and the
# service's own ceiling in the same run: bq_client.py's insertAll loop over the same rows,
# 500 a request, one request at a time. The emulator is the limit; the ratio says what Sluice adds.
bq_bench() {
  local n=${BENCH_BQ_EVENTS:-50000} srv url py=.venv/bin/python client=Tests/Fixtures/bq_client.py
  [ -x "$py" ] || { echo "generator>bigquery: SKIPPED (no .venv: run scripts/services.sh start once)"; return; }
  rm -rf "$WORK/bq"; mkdir -p "$WORK/bq"
  "$py" Tests/Fixtures/bigquery_emulator.py --info "$WORK/bq/info.json" >"$WORK/bq/server.log" 2>&1 & srv=$!
  for _ in $(seq 600); do [ -f "$WORK/bq/info.json" ] && break; sleep 0.1; done
  url=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['bigquery'])" "$WORK/bq/info.json")
  local message; message=$(printf 'x%.0s' $(seq 100))
  cat > "$WORK/bq.conf" <<CONF
input { generator { count => $n message => "$message" } }
output { google_bigquery { endpoint => "$url" project_id => "bench" dataset => "bench" table_prefix => "sluice_\${BENCH_TABLE}"
                           date_pattern => "" schema_mode => "auto" batch_size => 500 } }
CONF
  # A table per run (measure runs in a subshell: the last name is kept in a file).
  before_each='export BENCH_TABLE=$RANDOM$RANDOM; echo "$BENCH_TABLE" > "$WORK/bq/table"'
  local line
  line=$(measure "generator>bigquery (bqemulator)" "$n" 0 -- "$BIN" -f "$WORK/bq.conf" -w 2 -b 500 --log.level error)
  before_each=":"
  echo "$line"
  local count
  count=$("$py" $client query "$url" bench "SELECT COUNT(*) FROM \`bench.bench.sluice_$(cat "$WORK/bq/table")\`" | "$py" -c "import json,sys; print(json.load(sys.stdin)['rows'][0][0])")
  [ "$count" = "$n" ] || echo "  WARNING: the last run's table holds $count rows, expected $n"
  "$BIN" -e "input { generator { count => $n message => \"$message\" } } output { stdout { codec => json_lines } }" \
    --log.level error > "$WORK/bq/rows.ndjson"
  local ceiling; ceiling=$("$py" $client insert_loop "$url" bench bench direct "$WORK/bq/rows.ndjson" 500)
  kill "$srv" 2>/dev/null || true
  wait "$srv" 2>/dev/null || true
  "$py" -c "
import json, sys
c = json.loads(sys.argv[1])['rows_per_s']
k = float(sys.argv[2].split('events/s')[0].split()[-1])
print('  direct insertAll ceiling: %.0f rows/s; sluice/direct = %.2f' % (c, k / c))" "$ceiling" "$line"
}
want bq && bq_bench

want startup || exit 0
# 4. start-up: `sluice version` and `sluice check` on a 200-line config (mean of 20 runs)
startup() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  for _ in $(seq 20); do "$@" >/dev/null; done
  t1=$(date +%s%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN{printf "%-34s %8.1f ms per run\n", n, (b-a)/20/1e6}'
}
startup "sluice version" "$BIN" version
# A 200+ line pipeline of standard plugins with nested conditionals.
{
  echo 'input {'
  for i in $(seq 5); do echo "  file { path => \"/var/log/app$i/*.log\" mode => \"read\" tags => [\"app$i\"] }"; done
  echo '}'
  echo 'filter {'
  for i in $(seq 32); do
    echo "  if [type] == \"t$i\" or \"x$i\" in [tags] {"
    echo "    mutate { add_field => { \"f$i\" => \"%{message}-$i\" } convert => { \"n$i\" => \"integer\" } }"
    echo "    date { match => [\"ts$i\", \"ISO8601\", \"dd/MMM/yyyy:HH:mm:ss Z\"] }"
    echo "  } else if [level] =~ /^warn$i/ {"
    echo "    json { source => \"payload$i\" target => \"p$i\" }"
    echo "  }"
  done
  echo '}'
  echo 'output {'
  for i in $(seq 5); do echo "  if \"app$i\" in [tags] { file { path => \"/tmp/out$i-%{+YYYY-MM-dd}.log\" } }"; done
  echo '}'
} > "$WORK/large.conf"
startup "sluice check ($(wc -l < "$WORK/large.conf")-line config)" "$BIN" check -f "$WORK/large.conf"
