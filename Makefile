# Sluice: the two commands are `make run` (the quickstart pipeline over bundled data)
# and `make test` (every test). Both install what they need first.

SWIFT ?= swift
RELEASE_BIN := .build/release/sluice
export SLUICE_HOME := $(CURDIR)

.PHONY: all deps build release run test example bench docs fuzz seed1 seed2 clean

all: build

deps:
	@scripts/setup.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	@mkdir -p out data && rm -f out/people.jsonl
	$(RELEASE_BIN) -f pipelines/quickstart.conf --path.data data/quickstart --log.level warn
	@echo "--- $$(wc -l < out/people.jsonl) people written to out/people.jsonl; the first two:"
	@head -n 2 out/people.jsonl

# Test servers (scripts/services.sh) run only around `swift test` and stop even when it fails.
test: deps
	$(SWIFT) build --build-tests
	@scripts/services.sh start || { scripts/services.sh stop; exit 1; }; \
	  python3 Tests/Fixtures/test_fixtures.py && $(SWIFT) test --skip-build --no-parallel; rc=$$?; scripts/services.sh stop; exit $$rc
	@echo "--- seed 1 end to end, small, with kill -9 of each pipeline (scripts/seed1/run.sh)"
	@BIN=.build/debug/sluice SEED1_FILES=20 SEED1_KILLS=3 scripts/seed1/run.sh
	@echo "--- seed 2 end to end, with kill -9 of each Kafka consumer pipeline (scripts/seed2/run.sh)"
	@BIN=.build/debug/sluice SEED2_KILLS=2 scripts/seed2/run.sh
	@$(MAKE) --no-print-directory example

# The first reference deployment end to end on local test services, reconciled
# (SEED1_FILES, SEED1_ROWS, SEED1_KILLS: see scripts/seed1/run.sh).
seed1: release
	@scripts/seed1/run.sh

# The second reference deployment (Twitter -> Kafka -> Elasticsearch, GCS, BigQuery) end to
# end on local test services, reconciled (SEED2_TWEETS, SEED2_KILLS: see scripts/seed2/run.sh).
seed2: release
	@scripts/seed2/run.sh

# The custom-plugin example builds against this checkout and runs its filter.
example:
	cd Examples/CustomPlugin && $(SWIFT) build
	@out=$$(echo hello | Examples/CustomPlugin/.build/debug/sluice-custom --log.level error \
	  -e 'filter { reverse { } } output { stdout { codec => line { format => "%{message}" } } }'); \
	  if [ "$$out" = "olleh" ]; then echo "custom plugin example: ok"; else echo "custom plugin example: got '$$out'"; exit 1; fi

docs: build
	@scripts/plugin-docs.sh

bench: release
	@scripts/bench.sh

# libFuzzer targets (Fuzz/, a package of its own): builds them with -sanitize=fuzzer,address and
# runs each for FUZZ_SECONDS; findings land in Tests/Fixtures/fuzz/<target>/, replayed by `make test`.
FUZZ_SECONDS ?= 60
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	rm -rf .build out data
