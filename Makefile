# The two commands a newcomer runs: `make demo` and `make test`. Both bootstrap .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv test pytest lint type boundaries bench demo docs clean

help:
	@echo "make demo        run users, facilities and devices services with demo data"
	@echo "make test        the full suite: pytest, lint, types, import boundaries"
	@echo "make bench       side-by-side benchmarks, printed as ratios"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[all,dev]"
	@touch $(STAMP)

venv: $(STAMP)

test: venv lint type boundaries pytest

# The library's tests (tests/, the multi-process stack in tests/e2e included), the monolith
# (contract suites local and over REST, bad-input sweep, admin), each project on its own
# settings, and the core again on SQLite when DATABASE_URL is PostgreSQL, so both are proven.
PROJECTS := projects/monolith projects/users_service projects/facilities_service projects/devices_service

pytest: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@for project in $(PROJECTS); do \
	  echo "== $$project"; \
	  (cd $$project && ../../$(BIN)/python -m pytest -q) || exit 1; \
	done
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== core tests on SQLite"; \
	  env -u DATABASE_URL $(BIN)/python -m pytest -q tests/core; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

type: venv
	$(BIN)/mypy domain_services

boundaries: venv
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

demo: venv
	$(BIN)/python integrations/demo/run.py $(DEMO_ARGS)

docs: venv
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info .demo
