# Sluice: the two commands are `make run` (the quickstart pipeline over bundled data)
# and `make test` (every test). Both install what they need first.

SWIFT ?= swift
RELEASE_BIN := .build/release/sluice
export SLUICE_HOME := $(CURDIR)

.PHONY: all deps build release run test bench clean

all: build

deps:
	@scripts/setup.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	@mkdir -p out data
	$(RELEASE_BIN) -f pipelines/quickstart.conf --path.data data/quickstart --log.level warn
	@echo "--- $$(wc -l < out/people.jsonl) people written to out/people.jsonl; the first two:"
	@head -n 2 out/people.jsonl

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel

bench: release
	@scripts/bench.sh

clean:
	rm -rf .build out data
