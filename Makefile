# Stackyard — the two commands a user needs: `make up` (run the platform locally) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= local
# Checkov runs from its own virtualenv: its dependencies clash with Pulumi's.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
export STACKYARD_CACHE ?= $(HOME)/.cache/stackyard

.PHONY: setup tools checkov lint typecheck test unit e2e up down bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

tools:
	bash tools/build.sh

checkov: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy --strict over the whole tree: slow and memory-hungry (pulumi_kubernetes' typed inputs).
typecheck: setup
	$(BIN)/mypy

# Unit, golden, CRD-schema, policy, checkov and bad-input tests (no cluster needed).
test: setup checkov
	$(BIN)/pytest -m "not e2e"

unit: test

# The real engine on a local kwok cluster (needs `make tools`).
e2e: setup tools
	source $(STACKYARD_CACHE)/env.sh && $(BIN)/pytest -m e2e

up: setup tools
	source $(STACKYARD_CACHE)/env.sh && bash scripts/up.sh $(STACK)

down: setup tools
	source $(STACKYARD_CACHE)/env.sh && bash scripts/down.sh $(STACK)

bench: setup
	$(BIN)/python bench/synth.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
