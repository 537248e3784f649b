# The project's one task file: every command the README gives is a target here. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint format typecheck check clean

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

test: $(STAMP) ## Run the test suite (offline: loopback servers, real DuckDB files, real Prefect flows)
	$(BIN)/pytest

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy (strict on the warehouse and the parsers)
	$(BIN)/mypy

check: lint typecheck test ## Everything CI runs

clean: ## Remove the virtualenv, demo output and caches
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
