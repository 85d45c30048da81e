# Sevensteps: `make run` serves the app on embedded defaults, `make test` runs the whole suite
# against real PostgreSQL, Redis and Chromium. Both set up what they need on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

# The newest Python >= 3.12 on this machine (Django 6 needs it): PATH first, then pyenv.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
	$$HOME/.pyenv/versions/3.14*/bin/python $$HOME/.pyenv/versions/3.13*/bin/python \
	$$HOME/.pyenv/versions/3.12*/bin/python python3; do \
	  command -v $$p >/dev/null 2>&1 || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)

# Services the test suite talks to (override on the command line or in the environment).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sevensteps
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
# The project installs no package of its own (pyproject: packages = []): pip installs its
# dependencies. A plain install, not an editable one, so setuptools has no editable-install
# warning to print; no version nag, no progress bars.
PIP_QUIET := --quiet --disable-pip-version-check --progress-bar off --no-warn-script-location

.PHONY: help run test lint lock lock-upgrade format bench bundles bundles-check install install-test check-services check-chromium check-graphviz check-haproxy check-coturn clean

help:
	@echo "make run     install, migrate, load content, create demo accounts, serve on http://$(HOST):$(PORT)"
	@echo "make test    install test tools, check PostgreSQL/Redis/Chromium, lint, pytest with branch coverage"
	@echo "make lint    ruff check and format check, mypy (the files in pyproject.toml)"
	@echo "make lock    rewrite requirements/*.txt (pinned, hashed) from pyproject.toml (uv)"
	@echo "make bench   live-room benchmark (see docs/performance.md)"
	@echo "make bundles rebuild static/vendor/ from the pinned npm packages (needs Node 20+; see static/vendor/README.md)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (Django 6). Install it, or pass PYTHON=/path/to/python3.12."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip

# Installs come from the lock files (requirements/*.txt: every package pinned, with its hashes),
# so CI gets the same versions every time. `make lock` writes them from pyproject.toml.
PIP_LOCKED := $(PY) -m pip install $(PIP_QUIET) --require-hashes -r

$(VENV)/.installed: requirements/base.txt | $(PY)
	$(PIP_LOCKED) requirements/base.txt
	@touch $@

$(VENV)/.installed-test: requirements/test.txt | $(PY)
	$(PIP_LOCKED) requirements/test.txt
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: requirements/bench.txt | $(PY)
	$(PIP_LOCKED) requirements/bench.txt
	@touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The lock files, from pyproject.toml, for any OS and Python >= 3.12 (markers say which line
# applies where). Versions already locked are kept unless pyproject.toml rules them out;
# `make lock-upgrade` moves everything to the newest allowed. tests/test_lock.py checks that
# the locks still satisfy pyproject.toml.
UV_COMPILE := $(PY) -m uv pip compile pyproject.toml --quiet --universal --python-version 3.12 \
	--generate-hashes --custom-compile-command "make lock"

lock: install-test
	$(UV_COMPILE) $(UV_ARGS) -o requirements/base.txt
	$(UV_COMPILE) $(UV_ARGS) --extra test -o requirements/test.txt
	$(UV_COMPILE) $(UV_ARGS) --extra test --extra bench -o requirements/bench.txt

lock-upgrade:
	$(MAKE) lock UV_ARGS=--upgrade

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_content
	$(PY) manage.py seed_demo
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py seed_partners
	@echo "Sevensteps on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --log-level warning \
	  --ws-per-message-deflate false

check-chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium not found at $(CHROMIUM). Install it (Debian: sudo apt-get install chromium) or pass CHROMIUM=/path/to/chromium."; \
	    exit 1; \
	  fi; \
	fi

# Graphviz draws the diagrams in PDF reports (feedback/diagrams.py); the tests need it.
check-graphviz:
	@if ! command -v dot >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's graphviz for the PDF diagrams..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz's dot not found. Install it (Debian: sudo apt-get install graphviz)."; \
	    exit 1; \
	  fi; \
	fi

# HAProxy routes each interview's sockets to one app process (deploy/haproxy.cfg, used by
# docker-compose and by the benchmark's two-process configuration); the tests run it for real.
HAPROXY ?= haproxy
check-haproxy:
	@if ! command -v $(HAPROXY) >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's haproxy for the proxy tests and the benchmark..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	  else \
	    echo "HAProxy not found. Install it (Debian: sudo apt-get install haproxy)."; \
	    exit 1; \
	  fi; \
	fi
	$(HAPROXY) -c -q -f deploy/haproxy.cfg && echo "deploy/haproxy.cfg is valid"

# coturn: the tests run the compose file's optional TURN relay for real (tests/browser/test_turn.py).
check-coturn:
	@if ! command -v turnserver >/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's coturn for the TURN relay tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends coturn >/dev/null; \
	  else \
	    echo "coturn's turnserver not found. Install it (Debian: sudo apt-get install coturn)."; \
	    exit 1; \
	  fi; \
	fi

check-services: install-test
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) tests/check_services.py

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Branch coverage of the apps, measured in the pytest process ([tool.coverage] in pyproject.toml,
# with its floor, fail_under). A part of the suite covers less: run one with COV_ARGS= too, e.g.
# `make test PYTEST_ARGS=tests/partners COV_ARGS=`.
COV_ARGS ?= --cov --cov-report=term:skip-covered

# One pytest process per core (pytest-xdist, at most six): each has its own test database
# (pytest-django), Redis database and live server (tests/workers.py, loaded before Django reads
# its settings; `-m pytest` puts the project on the path). Workers steal queued tests from each
# other, so the slow browser tests spread out. `make test XDIST_ARGS=` runs in one process.
XDIST_ARGS ?= --numprocesses=auto --maxprocesses=6 --dist=worksteal
test: install-test check-chromium check-graphviz check-haproxy check-coturn check-services lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CHROMIUM=$(CHROMIUM) \
	  $(PY) -m pytest -p tests.workers $(XDIST_ARGS) $(COV_ARGS) $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench check-haproxy check-services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench.run $(BENCH_ARGS)

# Front-end bundles (static/vendor/): built from frontend/package-lock.json and committed, so
# neither run nor test needs Node. Install scripts stay off: none of the packages needs one.
NPM ?= npm
NODE ?= node
NPM_CI := $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error

bundles:
	cd frontend && $(NPM_CI) && $(NODE) build.mjs

# Rebuilds into a temporary folder and compares with what is committed.
bundles-check:
	@cd frontend && $(NPM_CI)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd frontend && $(NODE) build.mjs "$$tmp" >/dev/null) && \
	  diff -r static/vendor "$$tmp" && echo "static/vendor matches a fresh build"

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .ruff_cache .mypy_cache .coverage .coverage.* htmlcov
