# The two commands of the README: `make serve` (install, build the demo county, serve) and
# `make test` (install, run the suite). Both work from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install install-test serve demo test schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	$(BIN)/gridhub demo

serve: demo
	DEMO_MODE=1 $(BIN)/gridhub serve

test: install-test
	$(BIN)/pytest -q $(PYTEST_ARGS)

schema: install
	$(BIN)/gridhub export-schema
