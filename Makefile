# Two commands for a new machine: `make run` and `make test`. Everything else bootstraps itself.

SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
TOOLS := .tools
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python 3.12+ that actually runs. pyenv's shims exist on the PATH but fail unless
# PYENV_VERSION is set, so each candidate is run, not just found.
define find_python
for candidate in python3.14 python3.13 python3.12 python3; do \
  found=$$($$candidate -c 'import sys; print(sys.executable) if sys.version_info >= (3, 12) else sys.exit(1)' 2>/dev/null) \
    && { echo "$$found"; exit 0; }; \
done; \
for candidate in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3; do \
  [ -x "$$candidate" ] && "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
    && { echo "$$candidate"; exit 0; }; \
done; \
echo "No Python 3.12 or newer found. Install one (python.org, your package manager, or pyenv) and run make again." >&2; \
exit 1
endef

CHROMIUM := /usr/bin/chromium
AXE := node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install java run test security e2e lint format migrate demo check prod-check serve-prod worker smoke bench

help:
	@echo "make run     set everything up, load the demo, serve http://$(HOST):$(PORT)"
	@echo "make test    set everything up and run the test suite"
	@echo "make security  the slow hostile-input measurements, gunicorn and a killed worker (PostgreSQL)"
	@echo "make e2e     install Chromium and axe-core if missing, run the browser tests"
	@echo "make lint    ruff check and format check, import contracts;  make format  to fix"
	@echo "make prod-check   check --deploy with production settings (zero warnings)"
	@echo "make serve-prod PORT=N   collectstatic, migrate, gunicorn on port N serving pages, static and media"
	@echo "                  (needs DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS)"
	@echo "make worker       the task worker: periodic jobs and emails"
	@echo "make smoke        gunicorn and db_worker on PostgreSQL and Redis: a column published by the worker"
	@echo "make bench        load-test the production server (BENCH_DB=sqlite for SQLite)"
	@echo "make bench-newsletter  one column to 100,000 subscribers by db_worker, killed twice"

$(VENV)/.installed: pyproject.toml uv.lock
	@set -e; PYTHON=$$($(find_python)); \
	echo "Using $$PYTHON"; \
	if [ ! -x $(TOOLS)/bin/uv ]; then \
	  "$$PYTHON" -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
	fi; \
	$(TOOLS)/bin/uv sync --locked --python "$$PYTHON" --quiet
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo

# Links in pages, feeds, the sitemap and emails follow SITE_URL; in development that is the
# address being served, unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)

run: demo
	@echo "Serving $(SITE_URL)/ (admin at /admin/). Ctrl-C stops."
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The measurements SECURITY.md quotes that take minutes: real gunicorn and db_worker processes
# over PostgreSQL (skipped on SQLite; set DATABASE_URL), and the heaviest payload sweeps.
security: install
	$(BIN)/pytest -m slow -s $(PYTEST_ARGS)

# Debian's Chromium: Playwright's own browser download is not used.
$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	  || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# Java for the W3C Nu HTML Checker (vnu-jar, from npm), which the browser tests run.
java:
	@command -v java >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless \
	  || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless; }

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

e2e: install java $(CHROMIUM) $(AXE)
	$(BIN)/pytest tests/e2e -m e2e --output=tests/e2e/screenshots/failures \
	  --screenshot=only-on-failure $(PYTEST_ARGS)

# Style, then the layering (pyproject.toml's [tool.importlinter] contracts).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# The environment a production process has, with a throwaway secret: the deploy checks must be
# clean there, warnings included.
PROD_CHECK_ENV := DJANGO_DEBUG=0 \
	DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	DJANGO_ALLOWED_HOSTS=panel.example.com \
	EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend

prod-check: install
	@$(PROD_CHECK_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

# Production mode on this machine: DJANGO_DEBUG=0 and the variables README.md lists.
serve-prod: install
	DJANGO_DEBUG=0 $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	DJANGO_DEBUG=0 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=0 PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py panel.wsgi

worker: install
	$(BIN)/python manage.py worker --interval 1

smoke: install
	$(BIN)/python bench/smoke.py

bench: install
	$(BIN)/python bench/run.py

# The newsletter's send: db_worker to an SMTP sink on 127.0.0.1, the worker killed twice
# (PostgreSQL; BENCH_NEWSLETTER_SUBSCRIBERS, default 100000).
bench-newsletter: install
	$(BIN)/python bench/newsletter.py
