# Every target bootstraps itself on a bare machine (python3, pip, make):
# uv is installed into .tools/ when it is not on PATH, then `uv sync --locked`
# brings .venv up to the lock before the job runs. A second run only checks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS      := $(CURDIR)/.tools
UV_VERSION := 0.13.8
UV         ?= $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
# This machine reaches PyPI but no other download host: never fetch a Python.
export UV_PYTHON_DOWNLOADS := never

# One environment for every target: uv sync is exact, so syncing a narrower set
# for one target would uninstall what the next target needs.
SYNC := $(UV) sync --locked --extra airflow --extra dagster --extra sim
PYTEST_ARGS ?=

# The lowest Dagster the `dagster` extra declares, tested in a venv of its own.
DAGSTER_MIN ?= 1.12.4
MIN_VENV    := $(CURDIR)/.venv-dagster-min

.PHONY: help demo test test-dagster-min lint bench format

help:
	@echo "make demo   run the connection lifecycle on the embedded simulator"
	@echo "make test   run the test suite"
	@echo "make test-dagster-min  tests/dagster on the lowest Dagster declared (DAGSTER_MIN)"
	@echo "make lint   ruff, mypy and the import-layer contracts"
	@echo "make bench  side-by-side benchmarks against the peer packages"

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

demo: $(UV)
	$(SYNC)
	$(UV) run --no-sync conn-demo

test: $(UV)
	$(SYNC)
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	@rc=0; $(UV) run --no-sync pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

# A separate venv: the project (with the simulator) and the lowest Dagster, plus
# what tests/dagster needs. `uv pip install` makes the venv match each time.
test-dagster-min: $(UV)
	$(UV) venv --quiet --allow-existing $(MIN_VENV)
	$(UV) pip install --quiet --python $(MIN_VENV)/bin/python -e ".[sim]" \
		"dagster==$(DAGSTER_MIN)" "pytest>=8" "pytest-asyncio>=0.24" "pytest-timeout>=2.3"
	@rc=0; $(MIN_VENV)/bin/python -m pytest tests/dagster $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-dagster-min: pytest collected no tests" >&2; fi; exit $$rc

lint: $(UV)
	$(SYNC)
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy shared/conn_shared
	$(UV) run --no-sync mypy dagster_conn
	$(UV) run --no-sync lint-imports

format: $(UV)
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

bench: $(UV)
	$(UV) sync --locked --project bench
	$(UV) run --no-sync --project bench python -m bench
