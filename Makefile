# The project's one task file: every command the README gives is a target here. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make test` runs on this many processes (pytest-xdist; the machines have 2 cores); TEST_WORKERS=0 runs in one.
# tests/work_units.py makes the work units: a test file (its built warehouse) stays on one worker, big units first.
TEST_WORKERS ?= 2
TEST_WORKERS_ARGS = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-slow test-all lint format typecheck check clean bench reliability serve

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies (the other targets do it when needed)

demo: $(STAMP) ## Replay 7 December 2021 through the real pipeline and print the timeline
	$(BIN)/outages demo

test: $(STAMP) ## Run the test suite, slow tests aside (offline: loopback servers, real DuckDB files, real Prefect flows)
	@# the HTML export is opened in Debian's chromium: installed here when missing and we are root (CI is)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is not installed: the browser test of the HTML export will be skipped"
	$(BIN)/pytest -m "not slow" $(TEST_WORKERS_ARGS)

test-slow: $(STAMP) ## Only the slow tests: a real Prefect server trial, workers, long property runs, DuckLake on PostgreSQL + S3 (moto)
	@# the DuckLake tests start their own PostgreSQL cluster (Debian's postgresql: initdb, pg_ctl), installed here when
	@# missing and we are root (CI is)
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; } \
		|| echo "PostgreSQL is not installed: the DuckLake tests (tests/test_lake.py) will be skipped"
	$(BIN)/pytest -m slow

test-all: test test-slow ## Every test

serve: $(STAMP) ## Run the prefect.yaml deployments here: Prefect server, work pool, deploy, worker; Ctrl-C stops
	$(BIN)/outages serve

reliability: $(STAMP) ## Faults, fuzzing (big budget), 30+ crash kill points, concurrency, security: prints a table
	$(BIN)/python -m tests.reliability_report

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy (strict on the warehouse and the parsers)
	$(BIN)/mypy

check: lint typecheck test ## Everything CI runs

bench: $(STAMP) ## Benchmarks (startup, poll, load, bulk, query, posts, complaints, lake, revisions) against baselines measured in the same run; BENCH_ARGS="--only load,query --sources 500" picks and scales down
	$(BIN)/python -m bench $(BENCH_ARGS)

clean: ## Remove the virtualenv, demo output and caches
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
