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

# the JavaScript clients of tests/test_clients.py, when npm is there (they skip without it)
JS_CLIENTS := tests/js/node_modules/.package-lock.json
$(JS_CLIENTS): tests/js/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/js --no-audit --no-fund --loglevel=error; \
	else echo "no npm: the JavaScript client tests (tests/test_clients.py) will skip"; fi

test: install-test $(JS_CLIENTS)
	$(BIN)/pytest -q $(PYTEST_ARGS)

schema: install
	$(BIN)/gridhub export-schema
