# Stackyard — the two commands a user needs: `make up` (run the platform locally) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= local
export STACKYARD_CACHE ?= $(HOME)/.cache/stackyard

.PHONY: setup tools lint test unit e2e up down bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

tools:
	bash tools/build.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -m "not e2e"

e2e: setup tools
	source $(STACKYARD_CACHE)/env.sh && $(BIN)/pytest -m e2e

test: setup tools
	source $(STACKYARD_CACHE)/env.sh && $(BIN)/pytest

up: setup tools
	source $(STACKYARD_CACHE)/env.sh && bash scripts/up.sh $(STACK)

down: setup tools
	source $(STACKYARD_CACHE)/env.sh && bash scripts/down.sh $(STACK)

bench: setup
	$(BIN)/python bench/synth.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
