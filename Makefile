# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
VENV := .venv
BIN := $(VENV)/bin
PYTHON_CANDIDATES := python3.13 python3.12 python3.11 python3 python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter on PATH that is Python 3.11 or newer.
SYSTEM_PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)

.PHONY: run test test-fast coverage install install-dev migrate demo lint format check bench audit clean

$(BIN)/python:
	@test -n "$(SYSTEM_PYTHON)" || { echo "Python 3.11 or newer is needed; none was found on PATH." >&2; exit 1; }
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo_content

run: demo
	$(BIN)/python manage.py ensure_local_admin --url http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite: SQLite in memory by default, PostgreSQL when DATABASE_URL is set. It runs
# on TEST_WORKERS processes (each with its own test database and live server), whole files to
# a worker, in a random order whose seed is printed at the top: replay one with
# PYTEST_ARGS=--randomly-seed=N, or keep the written order with PYTEST_ARGS="-p no:randomly".
# TEST_WORKERS=0 runs in this process, for pdb and -s.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test: install-dev
	$(PYTEST) $(PYTEST_ARGS)

# The inner loop: everything but the browser journeys, stopping at the first failure. Not a
# substitute for `make test`, which is what CI runs.
test-fast: install-dev
	$(PYTEST) -x -m "not browser" $(PYTEST_ARGS)

# The whole suite with line coverage of the apps, as a table of missed lines.
coverage: install-dev
	$(PYTEST) --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run --noinput
	SECRET_KEY=check-only-$$RANDOM$$RANDOM$$RANDOM-not-a-real-secret-value-0123456789abcdef \
		DJANGO_SETTINGS_MODULE=cms.settings.production $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install-dev
	$(BIN)/python -m bench

# Lighthouse (npm, bench/lighthouse/) on home, the case study index and a case study, served
# by gunicorn with production settings; writes bench/AUDIT.md. Not part of `make test`.
audit: install-dev
	$(BIN)/python -m bench audit

clean:
	rm -rf $(VENV) db.sqlite3 static .pytest_cache .ruff_cache
