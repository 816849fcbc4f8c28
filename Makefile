# xpander-tasks: every task a developer or CI runs. `make help` lists them.
# Each target installs what it needs first (.venv from requirements/dev.txt, node_modules from
# package-lock.json) and is quick when nothing changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The generator's post-hooks call ruff by name: the pinned one in the venv comes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export SCARF_ANALYTICS := false
export PYTHONDONTWRITEBYTECODE := 1

GEN_PKG := generated/xpander_api
GENERATE = openapi-python-client generate --path openapi.yaml --config generator-config.yaml --meta none \
	--overwrite --fail-on-warning

VENV_STAMP := $(VENV)/.installed
TOOLS := .tools
TOOLS_STAMP := $(TOOLS)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help install generate check-generated lint test demo bench bench-official compat dist lock clean

help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: $(VENV_STAMP) $(NODE_STAMP) ## Create .venv and node_modules from the pinned versions.

$(VENV_STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(TOOLS_STAMP): requirements/tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/tools.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed for Prism and Spectral: install Node 20 (https://nodejs.org) or 'apt-get install nodejs npm'."; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

generate: $(VENV_STAMP) ## Regenerate generated/ (and the fake backend's schemas) from openapi.yaml; never edit them by hand.
	$(GENERATE) --output-path $(GEN_PKG)
	$(PY) -m devtools.embed_schemas

check-generated: $(VENV_STAMP) ## Fail, naming the files, when generated/ is not what openapi.yaml generates.
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GENERATE) --output-path "$$tmp/xpander_api" >/dev/null; \
	if ! diff -r -q -x __pycache__ "$$tmp/xpander_api" $(GEN_PKG) >"$$tmp/diff.txt"; then \
		echo "generated/ is out of date with openapi.yaml or generator-config.yaml. Differences:"; \
		sed -e "s|$$tmp/xpander_api|(fresh)|g" "$$tmp/diff.txt"; \
		echo "Run 'make generate' and commit the result."; exit 1; \
	fi; echo "check-generated: generated/ is current."
	@$(PY) -m devtools.embed_schemas --check

lint: $(VENV_STAMP) $(NODE_STAMP) $(TOOLS_STAMP) ## Lint the spec (Spectral, openapi-spec-validator), ruff, mypy --strict, import floors, lazy imports.
	spectral lint --quiet --fail-severity=hint openapi.yaml
	openapi-spec-validator openapi.yaml
	ruff check overlay tests devtools bench compat
	ruff format --check overlay tests devtools bench compat
	mypy
	PYTHONPATH=overlay:generated $(TOOLS)/bin/lint-imports --no-cache --no-logo
	$(PY) -m devtools.check_lazy_imports

test: lint check-generated ## Lint, check generated/, then run the whole test suite (two workers, one per core).
	pytest -n 2 --dist loadfile

demo: $(VENV_STAMP) $(NODE_STAMP) ## Create a task against a local Prism mock of openapi.yaml and print it.
	$(PY) -m devtools.demo

bench: $(VENV_STAMP) ## Measure import cost, per-call overhead, concurrency and memory against raw httpx.
	$(PY) -m bench.run

bench-official: $(VENV_STAMP) ## The benchmarks, plus the official xpander-sdk in its own environment.
	$(PY) -m bench.run --official

dist: $(VENV_STAMP) ## Build the wheel and the sdist into dist/ (install with: pip install dist/*.whl).
	rm -rf dist
	hatchling build --directory dist
	@ls -1 dist

compat: $(VENV_STAMP) ## Send the same calls through the official xpander-sdk (own venv) and this SDK; compare.
	$(PY) -m compat
	$(PY) -m tests.activity_samples --check
	$(PY) -m tests.reports_official --check
	$(PY) -m tests.worker_official --check

lock: $(VENV_STAMP) ## Re-pin requirements/dev.txt from requirements/dev.in (in a scratch venv).
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; $(PYTHON) -m venv "$$tmp/v"; \
	"$$tmp/v/bin/pip" install --quiet -r requirements/dev.in; \
	{ echo "# Every package of the development environment, pinned. Regenerate with \`make lock\` after editing dev.in."; \
	  "$$tmp/v/bin/pip" freeze; } > requirements/dev.txt

clean: ## Remove the environments and caches (not generated/).
	rm -rf $(VENV) $(TOOLS) node_modules .mypy_cache .ruff_cache .hypothesis bench/.official
