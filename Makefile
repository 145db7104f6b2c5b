# The two entry points a new user needs: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install  ## migrate, load the demo data into a new database, serve on 127.0.0.1:8000
	$(BIN)/neurogate migrate
	$(BIN)/neurogate seed-demo --if-empty
	$(BIN)/neurogate serve

test: install lint  ## the whole suite (SQLite always; PostgreSQL too when NEUROGATE_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check gateway schema resolvers loaders tests bench
	$(BIN)/mypy

bench: install  ## benchmarks (never part of `make test`)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
