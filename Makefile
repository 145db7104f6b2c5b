# The two entry points a new user needs: `make run` and `make test`. Both set up .venv themselves:
# `make run` installs what serving needs (the package, and the browser pages' assets from the
# npm registry, pinned by gateway/pages/package-lock.json); `make test` adds the test stack.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
PAGES := gateway/pages
PAGE_ASSETS := $(PAGES)/node_modules/.package-lock.json

.PHONY: run test bench lint install install-test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(TEST_STAMP)

# GraphiQL, its explorer plugin and Swagger UI, served by the gateway itself (no CDN at run time).
$(PAGE_ASSETS): $(PAGES)/package.json $(PAGES)/package-lock.json
	cd $(PAGES) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

install: $(STAMP) $(PAGE_ASSETS)

install-test: install $(TEST_STAMP)

run: install  ## migrate, load the demo data into a new database, serve on 127.0.0.1:8000
	$(BIN)/neurogate migrate
	$(BIN)/neurogate seed-demo --if-empty
	$(BIN)/neurogate serve

test: install-test lint  ## the whole suite (SQLite always; PostgreSQL too when NEUROGATE_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check gateway schema resolvers loaders tests bench
	$(BIN)/mypy

bench: install-test  ## benchmarks (never part of `make test`)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(PAGES)/node_modules tests/js/node_modules
