# The two commands README starts with: `make run` and `make test`.
# Both create .venv and install what they need on a fresh machine (Python 3.11+).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "smsgate needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pyproject.toml takes the SDK (client/) from this checkout; the second step makes that copy
# editable, so a change under client/ needs no reinstall.
$(VENV)/.installed: pyproject.toml client/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps -e ./client
	@touch $@

$(VENV)/.installed-test: pyproject.toml client/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps -e ./client
	@touch $@ $(VENV)/.installed

## run: start the gateway on SQLite with the simulator, print a key and a curl line
run: $(VENV)/.installed
	SMSGATE_WEBHOOK_ALLOW_PRIVATE=1 $(BIN)/smsgate serve --sandbox

## test: lint, type-check and run the whole suite
test: $(VENV)/.installed-test lint
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src client tests bench
	$(BIN)/ruff format --check src client tests bench
	$(BIN)/mypy

## bench: throughput and latency figures (installs wrk with apt-get if missing)
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
