# The two commands: `make run` runs Orderly, `make test` runs the whole suite. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The message catalogs: each language's .po (committed) compiled to the .mo gettext reads (not committed).
LOCALE := models/locale
PO := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d $(LOCALE) -D messages -l $*

# After changing a customer-facing string: extract every message (babel.cfg) and merge it into each .po, then
# translate the new entries (tests/test_translations.py fails until every one has its Filipino).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k translate:2 -k translate_plural:2,3 -k N_ --no-location --sort-output \
		--project Orderly --copyright-holder Orderly -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --width 116 --ignore-obsolete \
		--no-fuzzy-matching

# The browser tests drive Debian's chromium (Playwright's own browser download is not used). Elsewhere, point
# CHROMIUM at any Chromium or Chrome binary: make test CHROMIUM=/path/to/chrome
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	@echo "installing chromium for the browser tests (apt-get)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

install: $(STAMP) $(MO)

# make run ENV_FILE=examples/manila.env: the whole stack with that file's settings (a Philippine business)
ENV_FILE ?=
run: $(STAMP) $(MO)
	$(if $(ENV_FILE),set -a && . ./$(ENV_FILE) && set +a && )$(BIN)/orderly dev

test: $(STAMP) $(MO) $(CHROMIUM)  # the whole suite on SQLite, then again on a PostgreSQL server the tests start themselves
	ORDERLY_CHROMIUM=$(CHROMIUM) ORDERLY_TEST_DATABASE=sqlite $(BIN)/python -m pytest
	ORDERLY_CHROMIUM=$(CHROMIUM) ORDERLY_TEST_DATABASE=postgres $(BIN)/python -m pytest

# Complete orders per second against a bare baseline workflow on the same server (docs/benchmarks.md). Pass options
# with BENCH_ARGS, e.g. make bench BENCH_ARGS="--orders 400 --concurrency 50" or BENCH_ARGS="--open-orders 10000"
BENCH_ARGS ?=
bench: $(STAMP) $(MO)
	$(BIN)/orderly bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
