# Saldo — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install install-test bench bench-import bench-risk bench-alerts bench-staff bench-replies clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[demo,test]"
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

bench-replies: $(STAMP)
	$(BIN)/python benches/replies.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
