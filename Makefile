# The two commands: `make run` runs Orderly, `make test` runs the whole suite. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The browser tests drive Debian's chromium (Playwright's own browser download is not used). Elsewhere, point
# CHROMIUM at any Chromium or Chrome binary: make test CHROMIUM=/path/to/chrome
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	@echo "installing chromium for the browser tests (apt-get)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

install: $(STAMP)

run: $(STAMP)
	$(BIN)/orderly dev

test: $(STAMP) $(CHROMIUM)  # the whole suite on SQLite, then again on a PostgreSQL server the tests start themselves
	ORDERLY_CHROMIUM=$(CHROMIUM) ORDERLY_TEST_DATABASE=sqlite $(BIN)/python -m pytest
	ORDERLY_CHROMIUM=$(CHROMIUM) ORDERLY_TEST_DATABASE=postgres $(BIN)/python -m pytest

# Complete orders per second against a bare baseline workflow on the same server (docs/benchmarks.md). Pass options
# with BENCH_ARGS, e.g. make bench BENCH_ARGS="--orders 400 --concurrency 50" or BENCH_ARGS="--open-orders 10000"
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/orderly bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
