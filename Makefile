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
# for one target would uninstall what the next target needs. `demo` adds rich.
SYNC := $(UV) sync --locked --extra airflow --extra dagster --extra sim --extra demo
PYTEST_ARGS ?=
# make e2e: the whole run's bound (seconds), and where its browser comes from.
E2E_TIMEOUT ?= 2400
CHROMIUM    ?= /usr/bin/chromium
DEMO_ARGS ?=

# The lowest Airflow and Dagster the extras declare, each tested in a venv of its own
# (uv sync is exact, so the project's .venv keeps the locked versions). Airflow 3.2.0's
# dependencies are resolved as of its release day (uv --exclude-newer), as Airflow's own
# constraint files would pin them: today's fastapi and pydantic break its execution API.
AIRFLOW_MIN      ?= 3.2.0
AIRFLOW_MIN_DATE ?= 2026-04-08T00:00:00Z
AIRFLOW_MIN_VENV := $(CURDIR)/.venv-airflow-min
DAGSTER_MIN      ?= 1.12.4
DAGSTER_MIN_VENV := $(CURDIR)/.venv-dagster-min

.PHONY: help demo test test-airflow-min test-dagster-min lint bench format e2e

help:
	@echo "make demo   run the example Airflow DAGs and Dagster jobs on the embedded simulator"
	@echo "make test   run the test suite"
	@echo "make test-airflow-min   tests/airflow on the lowest Airflow declared ($(AIRFLOW_MIN))"
	@echo "make test-dagster-min   tests/dagster on the lowest Dagster declared ($(DAGSTER_MIN))"
	@echo "make lint   ruff, mypy and the import-layer contracts"
	@echo "make bench  side-by-side benchmarks against the peer packages"
	@echo "make e2e    end-to-end tests in real Airflow and Dagster deployments (installs chromium)"

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# DEMO_ARGS: conn-demo's options, e.g. DEMO_ARGS="--fault-rate 0.1 --seed 7".
demo: $(UV)
	$(SYNC)
	$(UV) run --no-sync conn-demo $(DEMO_ARGS)

test: $(UV)
	$(SYNC)
	@# pytest exits 5 when it collected nothing: that is a failure, not a pass.
	@rc=0; $(UV) run --no-sync pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

test-airflow-min: $(UV)
	$(UV) venv --quiet --allow-existing $(AIRFLOW_MIN_VENV)
	$(UV) pip install --quiet --python $(AIRFLOW_MIN_VENV)/bin/python \
		--exclude-newer $(AIRFLOW_MIN_DATE) -e ".[airflow,sim]" "apache-airflow==$(AIRFLOW_MIN)" \
		pytest pytest-asyncio pytest-timeout blockbuster jsonschema openapi-schema-validator
	@rc=0; $(AIRFLOW_MIN_VENV)/bin/python -m pytest -p no:cacheprovider tests/airflow $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-airflow-min: pytest collected no tests" >&2; fi; exit $$rc

test-dagster-min: $(UV)
	$(UV) venv --quiet --allow-existing $(DAGSTER_MIN_VENV)
	$(UV) pip install --quiet --python $(DAGSTER_MIN_VENV)/bin/python -e ".[sim]" \
		"dagster==$(DAGSTER_MIN)" "pytest>=8" "pytest-asyncio>=0.24" "pytest-timeout>=2.3"
	@rc=0; $(DAGSTER_MIN_VENV)/bin/python -m pytest -p no:cacheprovider tests/dagster $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-dagster-min: pytest collected no tests" >&2; fi; exit $$rc

lint: $(UV)
	$(SYNC)
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy shared/conn_shared airflow_provider_conn dagster_conn conn_demo
	$(UV) run --no-sync lint-imports

format: $(UV)
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

bench: $(UV)
	$(UV) sync --locked --project bench
	$(UV) run --no-sync --project bench python -m bench

# End-to-end: real Airflow and Dagster processes started by the tests (tests/e2e).
# - Debian's Chromium is installed when missing (CI runs as root); Playwright drives it.
# - pytest runs under `timeout`: SIGTERM at E2E_TIMEOUT (the tests turn it into an
#   interrupt, so fixtures stop their deployments), SIGKILL 60 s later. pytest is the
#   venv's own, so the signal reaches it directly, and Ctrl-C reaches it too.
# - Then the sweep kills, by pid, whatever this run left (found by the run id every
#   started process carries, or by its session) and fails the target if there was any.
e2e: $(UV)
	$(SYNC)
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "make e2e: $(CHROMIUM) is missing; as root: apt-get install -y chromium" >&2; exit 1; \
	  fi; \
	  echo "make e2e: installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@run="e2e-$$(date +%s)-$$$$"; rc=0; \
	CONN_E2E_RUN_ID=$$run CONN_E2E_CHROMIUM=$(CHROMIUM) \
	  timeout --foreground --signal=TERM --kill-after=60 $(E2E_TIMEOUT) \
	  $(CURDIR)/.venv/bin/pytest -m e2e tests/e2e $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 124 ]; then echo "make e2e: ran over $(E2E_TIMEOUT) s" >&2; fi; \
	if [ $$rc -eq 137 ]; then echo "make e2e: pytest was killed (SIGKILL)" >&2; fi; \
	if [ $$rc -eq 5 ]; then echo "make e2e: pytest collected no tests" >&2; fi; \
	CONN_E2E_RUN_ID=$$run $(UV) run --no-sync python -m tests.e2e.harness.sweep || { [ $$rc -ne 0 ] || rc=1; }; \
	exit $$rc
