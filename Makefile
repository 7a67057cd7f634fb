# The two commands a newcomer runs: `make demo` and `make test`. Both bootstrap .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The interpreter and tools the checks run with; tox passes its own (`make pytest BIN=...`).
PY = $(BIN)/python
# Bootstrap .venv first, unless another environment's BIN was given.
VENV_DEP := $(if $(filter $(VENV)/bin,$(BIN)),venv,)
STAMP := $(VENV)/.installed-stamp

.PHONY: help venv test checks pytest lint type boundaries bench demo docs clean

help:
	@echo "make demo        run users, facilities and devices services with demo data"
	@echo "make test        the full suite: pytest, lint, types, import boundaries"
	@echo "make bench       side-by-side benchmarks, printed as ratios"

$(STAMP): pyproject.toml projects/interfaces/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[all,dev]" -e projects/interfaces
	@touch $(STAMP)

venv: $(STAMP)

test: checks

# Everything `make test` runs once the venv is there; tox runs the same targets with its own BIN.
checks: $(VENV_DEP) lint type boundaries docs pytest

# The library's tests (tests/, the multi-process stack in tests/e2e included), the monolith
# (contract suites local and over REST, bad-input sweep, admin), each project on its own
# settings, and the core again on SQLite when DATABASE_URL is PostgreSQL, so both are proven.
PROJECTS := projects/monolith projects/users_service projects/facilities_service projects/devices_service \
  projects/portal

pytest: $(VENV_DEP)
	$(PY) -m pytest $(PYTEST_ARGS)
	@for project in $(PROJECTS); do \
	  echo "== $$project"; \
	  (cd $$project && $(abspath $(PY)) -m pytest -q) || exit 1; \
	done
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== core tests on SQLite"; \
	  env -u DATABASE_URL $(PY) -m pytest -q tests/core; \
	fi

lint: $(VENV_DEP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The library, then the sample projects (their apps, shared interfaces and monolith settings).
PROJECT_SOURCES := projects/interfaces/org_interfaces projects/users_service/users \
  projects/facilities_service/facilities projects/devices_service/devices projects/monolith/monolith
# The portal, on its own settings (its apps are not the monolith's).
PORTAL_SOURCES := projects/portal/portal projects/portal/portal_legacy \
  projects/portal/portal_services projects/portal/config

type: $(VENV_DEP)
	$(BIN)/mypy domain_services
	$(BIN)/mypy --config-file projects/mypy.ini $(PROJECT_SOURCES)
	$(BIN)/mypy --config-file projects/portal/mypy.ini $(PORTAL_SOURCES)

boundaries: $(VENV_DEP)
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

demo: venv
	$(BIN)/python integrations/demo/run.py $(DEMO_ARGS)

docs: $(VENV_DEP)
	$(BIN)/mkdocs build --strict --site-dir $(abspath build/site)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info .demo
