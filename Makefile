# Saldo — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

LOCK   := requirements/lock.txt

.PHONY: demo test test-latest lint lock audit install install-test bench bench-import bench-risk bench-alerts bench-staff bench-account bench-replies clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs exactly what the lock pins (every file checked against its hash), then Saldo itself.
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)
install-test: $(STAMP)

## Start the whole product on embedded defaults (SQLite, local Stripe, local mail sink), with demo data.
demo: $(STAMP)
	$(BIN)/saldo demo

## Lint and run the whole test suite (SQLite always, PostgreSQL when reachable).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## Update the lock after a change to pyproject.toml: keeps existing pins, adds what is new.
## `make lock UPGRADE=1` re-resolves everything to the newest versions that satisfy it.
COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --extra demo --extra test --no-emit-find-links --no-emit-index-url -o $(LOCK)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "pip-tools>=7.4"
	$(COMPILE) $(if $(UPGRADE),--upgrade) pyproject.toml

## The whole suite on freshly resolved newest versions (a separate virtualenv), so drift in a
## dependency (Babel's locale data, say) is caught on purpose, not by a newcomer.
LATEST := .venv-latest
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade pip
	$(LATEST)/bin/pip install --quiet --upgrade -e ".[demo,test]"
	$(LATEST)/bin/pip freeze --exclude-editable > $(LATEST)/resolved.txt
	$(LATEST)/bin/python -m pytest

## Known vulnerabilities in the pinned versions (asks the PyPI advisory database).
audit: $(STAMP)
	$(BIN)/pip install --quiet "pip-audit>=2.7"
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r $(LOCK)

## Benchmarks (print figures; see benches/README.md). `make bench` runs them all (long).
bench: bench-import bench-risk bench-alerts bench-staff bench-replies

bench-import: $(STAMP)
	$(BIN)/python benches/import_ledger.py

bench-risk: $(STAMP)
	$(BIN)/python benches/risk_features.py
	$(BIN)/python benches/risk_scoring.py

bench-alerts: $(STAMP)
	$(BIN)/python benches/alerts.py --postgres --processes 2

bench-staff: $(STAMP)
	$(BIN)/python benches/staff_console.py

## /account under load vs a bare Flask hello (needs PostgreSQL and wrk: apt-get install wrk).
bench-account: $(STAMP)
	@command -v wrk >/dev/null || { echo "bench-account needs wrk: apt-get install wrk"; exit 2; }
	$(BIN)/python benches/account_page.py

bench-replies: $(STAMP)
	$(BIN)/python benches/replies.py

clean:
	rm -rf $(VENV) $(LATEST) instance .pytest_cache .ruff_cache
