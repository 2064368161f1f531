#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (a package of its own, so `swift build` and `make test`
# never see them) and runs each for FUZZ_SECONDS (default 60) seconds, one after the other.
#
#   scripts/fuzz.sh                  every target          (make fuzz FUZZ_SECONDS=600)
#   scripts/fuzz.sh GrokFuzz ...     only these targets
#   FUZZ_ARGS='-len_control=0'       extra libFuzzer flags (here: long inputs from the start)
#
# Seeds come from the repository's own files (pipelines, test fixtures, the README, the grok
# pattern library, docs/SETTINGS.md) plus Fuzz/seeds/<target>/; the corpus libFuzzer grows is
# kept under Fuzz/.build/corpus/<target>/ between runs. libFuzzer runs in fork mode and goes on
# after a finding: each crash, timeout or out-of-memory input is written to
# Tests/Fixtures/fuzz/<target>/, where `make test` replays it (see FuzzRegressionTests).
# A summary line per target gives the executions, the coverage and the findings.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}
targets=(ConfigFuzz ConditionFuzz JSONFuzz FieldReferenceFuzz GrokFuzz DissectFuzz SettingsFuzz)
[ $# -gt 0 ] && targets=("$@")

# The Swift toolchain ships clang's libFuzzer and ASan runtimes (usr/lib/clang/*/lib/linux).
# -enable-testing lets a target reach an internal entry point (dissect's pattern, sluice.yml).
flags=(--package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing)
swift build "${flags[@]}" 2>&1 | grep -v '^\[' || true
bin=$(swift build "${flags[@]}" --show-bin-path)
for t in "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "fuzz: $t was not built (see the errors above)"; exit 1; }
done

# Seeds for one target, from the repository's own files, into directory $2.
seed() {
  local t=$1 dir=$2 n=0 line
  mkdir -p "$dir"
  rm -f "$dir"/*
  configs=(pipelines/*.conf Tests/SluiceCoreTests/Fixtures/config/*.conf)
  # Every fenced block of the README that is a pipeline (``` without a language).
  awk '/^```/ { if (inside) inside = 0; else { inside = 1; plain = ($0 == "```"); n++ }; next }
       inside && plain { print > (dir "/readme-" n ".conf") }' dir="$dir" README.md
  case $t in
    ConfigFuzz) cp "${configs[@]}" "$dir"/ ;;
    ConditionFuzz)
      cat "${configs[@]}" "$dir"/readme-*.conf | grep -oE '\bif .* \{' | sed -E 's/^if //; s/ \{$//' |
        while IFS= read -r line; do n=$((n + 1)); printf '%s' "$line" > "$dir/if-$n"; done ;;
    FieldReferenceFuzz)
      cat "${configs[@]}" "$dir"/readme-*.conf | grep -oE '(\[[^] "]+\])+|%\{[^}]+\}|"[^"]*%\{[^"]*"' | tr -d '"' |
        sort -u | while IFS= read -r line; do n=$((n + 1)); printf '%s' "$line" > "$dir/ref-$n"; done ;;
    GrokFuzz)
      # Each definition of the legacy pattern set, and a reference to it.
      grep -hE '^[A-Z0-9_]+ ' Plugins/Grok/patterns/legacy/* | head -400 |
        while IFS= read -r line; do
          n=$((n + 1)); printf '%s' "${line#* }" > "$dir/regex-$n"; printf '%%{%s:f}' "${line%% *}" > "$dir/ref-$n"
        done ;;
    DissectFuzz)
      grep -ohE '"[^"]*%\{[^"]*"' Tests/GrokTests/DissectFilterTests.swift | sed -E 's/^"//; s/"$//' | sort -u |
        while IFS= read -r line; do n=$((n + 1)); printf '%s' "$line" > "$dir/mapping-$n"; done ;;
    SettingsFuzz)
      awk '/^```yaml$/ { inside = 1; next } /^```$/ { inside = 0 } inside' README.md > "$dir/readme.yml"
      # One `key: default` line per setting of the table.
      grep -oE '^\| `[a-z_.]+` \|[^|]*\|[^|]*\| `[^`]*`' docs/SETTINGS.md |
        sed -E 's/^\| `([^`]+)`.*\| `([^`]*)`$/\1: \2/' > "$dir/table.yml" ;;
  esac
  [ "$t" = ConfigFuzz ] || rm -f "$dir"/readme-*.conf
  if [ -d "Fuzz/seeds/$t" ]; then cp "Fuzz/seeds/$t"/* "$dir"/; fi
  # Earlier findings seed the search around them (not pending/ ones: they still crash, and
  # would only be written again as new findings).
  if [ -d "Tests/Fixtures/fuzz/$t" ]; then cp "Tests/Fixtures/fuzz/$t"/* "$dir"/; fi
}

summary=()
for t in "${targets[@]}"; do
  corpus=Fuzz/.build/corpus/$t seeds=Fuzz/.build/seeds/$t artifacts=Tests/Fixtures/fuzz/$t
  log=Fuzz/.build/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  seed "$t" "$seeds"
  dict=()
  [ -f "Fuzz/dicts/$t.dict" ] && dict=(-dict="Fuzz/dicts/$t.dict")
  before=$(find "$artifacts" -type f | wc -l)
  echo "fuzz: $t for ${seconds}s ($(ls "$seeds" | wc -l) seeds, log in $log)"
  # Fork mode (one child at a time) survives crashes, timeouts and OOMs and keeps going.
  # Leak checking is off: the Swift runtime's caches (metadata, conformances) look like leaks.
  ASAN_OPTIONS=detect_leaks=0 "$bin/$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 "${dict[@]}" \
    -artifact_prefix="$root/$artifacts/" ${FUZZ_ARGS:-} "$corpus" "$seeds" > "$log" 2>&1 || true
  # The last status line: `#<executions>: cov: <edges> ft: ... oom/timeout/crash: a/b/c time: ...`
  last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
  runs=$(sed -E 's/^#([0-9]+):.*/\1/' <<< "$last")
  cov=$(sed -E 's/.* cov: ([0-9]+) .*/\1/' <<< "$last")
  found=$(sed -E 's#.*oom/timeout/crash: ([0-9/]+) .*#\1#' <<< "$last")
  after=$(find "$artifacts" -type f | wc -l)
  summary+=("$(printf '%-20s %12s executions  cov %6s  oom/timeout/crash %-9s  new inputs in %s: %d' \
    "$t" "${runs:-?}" "${cov:-?}" "${found:-?}" "$artifacts" $((after - before)))")
done
printf '%s\n' "${summary[@]}"
