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

.PHONY: setup tools checkov lint typecheck test unit e2e up down recover bench clean

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

# Everything: the unit tests, then the real engine on local kwok clusters (builds the toolchain).
test: unit e2e

# Unit, golden, CRD-schema, policy, checkov and bad-input tests (no cluster, no toolchain).
unit: setup checkov
	$(BIN)/pytest -m "not e2e"

# The real Pulumi engine, Kubernetes provider and kube-apiserver on local kwok clusters.
e2e: setup tools
	source $(STACKYARD_CACHE)/env.sh && $(BIN)/pytest -m e2e

up: setup tools
	source $(STACKYARD_CACHE)/env.sh && bash scripts/up.sh $(STACK)

down: setup tools
	source $(STACKYARD_CACHE)/env.sh && bash scripts/down.sh $(STACK)

# After an interrupted `pulumi up` (Ctrl-C, a killed job): stale lock and pending operations.
recover: setup tools
	source $(STACKYARD_CACHE)/env.sh && source scripts/pulumi-env.sh && $(BIN)/stackyard recover --stack $(STACK)

bench: setup
	$(BIN)/python bench/synth.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
