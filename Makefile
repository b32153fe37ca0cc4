# The two commands: `make run` runs Orderly, `make test` runs the whole suite. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/orderly dev

test: $(STAMP)  # the whole suite on SQLite, then again on a PostgreSQL server the tests start themselves
	ORDERLY_TEST_DATABASE=sqlite $(BIN)/python -m pytest
	ORDERLY_TEST_DATABASE=postgres $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var .pytest_cache
