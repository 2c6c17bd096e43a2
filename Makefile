# massline: `make demo` runs the platform with a demo on SQLite; `make test` passes the tests.
# Everything is installed from the package registries into .venv and node_modules.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium
export MASSLINE_VAR_DIR ?= $(CURDIR)/var

.PHONY: setup demo serve test test-databases test-sqlite test-postgres test-browser test-api lint format bench bench-quick clean

$(BIN)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

locale/zh_Hans/LC_MESSAGES/django.mo: locale/zh_Hans/LC_MESSAGES/django.po $(BIN)/.installed
	$(BIN)/massline catalog --compile

setup: $(BIN)/.installed node_modules/.installed locale/zh_Hans/LC_MESSAGES/django.mo
	mkdir -p $(MASSLINE_VAR_DIR)/static

demo: setup
	$(BIN)/massline migrate --no-input -v 0
	$(BIN)/massline load-demo
	@echo "massline is running on http://127.0.0.1:$(PORT)/ with its background work consumer (Ctrl-C stops both)"
	$(BIN)/massline serve --bind 127.0.0.1:$(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy massline config
	$(BIN)/lint-imports --no-cache
	$(PY) tools/check_private_names.py massline
	$(BIN)/massline makemigrations --check --dry-run -v 1
	$(BIN)/massline catalog --check

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint test-databases test-api test-browser

# The SQLite and PostgreSQL suites at the same time, each on a core of its own; each one's
# output is shown when it ends.
test-databases: setup
	$(PY) tools/run_together.py "$(MAKE) --no-print-directory test-sqlite" "$(MAKE) --no-print-directory test-postgres"

test-sqlite: setup
	DATABASE_URL= $(BIN)/pytest -q -m "not browser"

# The API against its own OpenAPI document: Schemathesis on a live server (SQLite), a couple
# of minutes. `pytest -m "not browser"` leaves it out; this target runs it.
test-api: setup
	DATABASE_URL= $(BIN)/pytest -q -m api_contract

# PostgreSQL: DATABASE_URL when set, else the local server when it answers.
test-postgres: setup
	@url="$${DATABASE_URL:-$(PG_URL)}"; \
	if $(PY) -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('postgres://', 'postgresql://', 1), connect_timeout=3).close()" "$$url" 2>/dev/null; then \
	  echo "== tests on PostgreSQL ($$url)"; DATABASE_URL="$$url" $(BIN)/pytest -q -m "not browser"; \
	else echo "== no PostgreSQL answers at $$url: PostgreSQL tests skipped"; fi

test-browser: setup
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "== browser tests in $(CHROMIUM)"; DATABASE_URL= MASSLINE_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -m browser; \
	else echo "== no Chromium at $(CHROMIUM): browser tests skipped"; fi

bench: setup
	$(PY) bench/run.py

bench-quick: setup
	$(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) node_modules var staticfiles
