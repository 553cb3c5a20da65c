# Two commands from a fresh clone: `make run` and `make test`. Everything else is set up here.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# The Microsoft 365 Agents Playground (npm, pinned by its package-lock.json), for
# tests/teams/test_playground.py: a Teams client and Bot Connector the project did not write.
PLAYGROUND := tests/teams/playground
PLAYGROUND_STAMP := $(PLAYGROUND)/node_modules/.installed
# node-oidc-provider (npm, pinned by its package-lock.json), for the web chat's sign-in tests
# (tests/support/oidc_provider.py): a certified OpenID provider the project did not write.
OIDC_PROVIDER := tests/oidc/provider
OIDC_PROVIDER_STAMP := $(OIDC_PROVIDER)/node_modules/.installed

.PHONY: help install install-dev playground oidc-provider run migrate test lint check bench bench-all format clean teams-package

help:
	@echo "make run      set up .venv, migrate, start the bot on http://127.0.0.1:3978"
	@echo "make test     set up .venv and run the whole test suite"
	@echo "make check    formatting, lint, types, import rules, then the tests"
	@echo "make bench    turn-latency benchmark through the web chat over loopback"
	@echo "make bench-all  every speed budget, 3 runs each, one table (BENCH_ARGS='--quick', '--database-url ...')"
	@echo "make teams-package  dist/teams-app.zip, the Teams app to upload (TEAMS_APP_ID=... needed)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): $(PY) requirements/runtime.lock pyproject.toml
	$(PY) -m pip install --quiet -r requirements/runtime.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev.lock
	$(PY) -m pip install --quiet -r requirements/dev.lock
	@touch $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

# Without npm (or the registry) the Playground test skips, or fails where
# REQUIRE_TEAMS_PLAYGROUND=1 (CI); Node and npm come from Debian: apt-get install nodejs npm.
$(PLAYGROUND_STAMP): $(PLAYGROUND)/package.json $(PLAYGROUND)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd $(PLAYGROUND) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
		&& touch $@ || echo "could not install the Agents Playground (npm ci failed)"; \
	else echo "npm not found: the Agents Playground test will not run (apt-get install nodejs npm)"; fi

playground: $(PLAYGROUND_STAMP)

# Without npm (or the registry) the sign-in tests against the OpenID provider skip, or fail where
# REQUIRE_OIDC_PROVIDER=1 (CI).
$(OIDC_PROVIDER_STAMP): $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd $(OIDC_PROVIDER) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
		&& touch $@ || echo "could not install oidc-provider (npm ci failed)"; \
	else echo "npm not found: the sign-in tests against the OpenID provider will not run (apt-get install nodejs npm)"; fi

oidc-provider: $(OIDC_PROVIDER_STAMP)

migrate: install
	$(PY) -m bot migrate

run: install
	$(PY) -m bot run

# The suite runs in TEST_WORKERS processes (pytest-xdist; most tests wait on loopback I/O, so more
# than the cores); `make test TEST_WORKERS=0` runs it in this one process.
TEST_WORKERS ?= 4

test: install-dev playground oidc-provider
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=15

lint: install-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: lint test

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) bench/turn_latency.py

bench-all: install-dev
	$(PY) bench/suite.py $(BENCH_ARGS)

# The Teams app package (manifest.json with the app id filled in, and the two icons); see
# docs/teams.md. Reads TEAMS_APP_ID from the environment and stops if it is not a GUID.
teams-package: install
	$(PY) manifest/teams/build_package.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts $(PLAYGROUND)/node_modules \
		$(OIDC_PROVIDER)/node_modules
