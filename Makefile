# cx360 — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYS ?= python3.11
VENV       := .venv
BIN        := $(VENV)/bin
CX360      := $(BIN)/cx360
DBT        := $(BIN)/dbt

SAMPLE_CUSTOMERS ?= 20000
# `make bench`: size and scratch folder of the benchmark (docs/benchmarks.md)
BENCH_CUSTOMERS  ?= 100000
BENCH_DIR        ?= .bench-work
SAMPLE_DIR       ?= data/sample
WAREHOUSE_DIR    ?= warehouse
# `make test` builds dbt on a small generated set, in its own folders
TEST_DIR         := .test-work
# pytest workers (pytest-xdist); tests sharing a build run on one worker (tests/conftest.py)
PYTEST_WORKERS   ?= 2
# sqlfluff processes: the dbt templater compiles in each; 2 halve `make lint` on 2 cores (242 -> 112 s)
LINT_PROCESSES   ?= 2

.PHONY: help install lock run ui dashboard docs chromium screenshots lint sqlfluff dbt-test dbt-test-duckdb dbt-test-postgres pytest test test-fast clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

install: $(VENV)/.installed  ## create .venv with the pinned dependencies

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON_SYS) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==26.3" "setuptools==80.10.2"  # build backend for the editable install
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

lock:  ## re-resolve requirements.txt and rewrite constraints.txt
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip freeze --exclude-editable > constraints.txt

run: install  ## generate a sample, then land, build, validate, publish and summarise on DuckDB
	$(CX360) generate --customers $(SAMPLE_CUSTOMERS) --seed 42 --out $(SAMPLE_DIR) --dirty-rate 0.02
	$(CX360) run --raw-dir $(SAMPLE_DIR) --warehouse-dir $(WAREHOUSE_DIR)

ui: install  ## Dagster web UI + daemon (schedules, sensor, run queue) on the sample data
	$(CX360) ui --raw-dir $(SAMPLE_DIR) --warehouse-dir $(WAREHOUSE_DIR)

dashboard: install  ## the BI dashboard (Streamlit) on the published sample warehouse
	$(CX360) dashboard --warehouse-dir $(WAREHOUSE_DIR)

docs: install  ## dbt docs (models, columns, lineage, exposures) of the `make run` warehouse in target/docs
	CX360_WAREHOUSE_DIR=$(WAREHOUSE_DIR) $(DBT) docs generate --target-path target/docs
	@echo "serve them with the Data Docs: $(CX360) docs --warehouse-dir $(WAREHOUSE_DIR) (http://127.0.0.1:8080/)"

lint: install  ## ruff and sqlfluff
	$(BIN)/ruff check cx360 orchestration expectations tests
	$(BIN)/ruff format --check cx360 orchestration expectations tests
	$(MAKE) --no-print-directory sqlfluff

sqlfluff: install
	$(CX360) generate --customers 300 --seed 7 --out $(TEST_DIR)/raw --dirty-rate 0 >/dev/null
	$(CX360) land --raw-dir $(TEST_DIR)/raw --warehouse-dir $(TEST_DIR)/lint >/dev/null
	CX360_WAREHOUSE_DIR=$(TEST_DIR)/lint $(BIN)/sqlfluff lint models macros tests/dbt --processes $(LINT_PROCESSES)

# By hand, not part of `make test`: the suite's own refreshes build both engines and run the
# unit tests on them (tests/test_dbt_unit_tests.py), so `make test` builds nothing twice.
# The two engines side by side: a dbt build keeps about one core busy (its per-node work is
# Python), so on 2 cores both take 92 s instead of 150 s one after the other (2026-11-30).
dbt-test: install  ## dbt build (models, data and unit tests) on DuckDB and Postgres, by hand
	$(MAKE) --no-print-directory -j2 --output-sync=target dbt-test-duckdb dbt-test-postgres

# One generated set for both engines (a file target: generated once, not once per engine).
$(TEST_DIR)/raw-dbt/.generated: $(VENV)/.installed $(wildcard cx360/generate/*.py)
	rm -rf $(TEST_DIR)/raw-dbt
	$(CX360) generate --customers 2000 --seed 11 --out $(TEST_DIR)/raw-dbt --dirty-rate 0.03 >/dev/null
	@touch $@

dbt-test-duckdb: install $(TEST_DIR)/raw-dbt/.generated
	$(CX360) land --raw-dir $(TEST_DIR)/raw-dbt --warehouse-dir $(TEST_DIR)/duckdb
	CX360_WAREHOUSE_DIR=$(TEST_DIR)/duckdb $(DBT) build --target duckdb --target-path $(TEST_DIR)/target-duckdb

dbt-test-postgres: install $(TEST_DIR)/raw-dbt/.generated
	$(CX360) land --raw-dir $(TEST_DIR)/raw-dbt --warehouse-dir $(TEST_DIR)/postgres --target postgres
	CX360_WAREHOUSE_DIR=$(TEST_DIR)/postgres $(DBT) build --target postgres --target-path $(TEST_DIR)/target-postgres

chromium:  ## headless browser for the dashboard browser test (Debian's chromium, needs root)
	scripts/install_chromium.sh

pytest: install chromium  ## the Python test suite, every test, on PYTEST_WORKERS workers (shared builds: tests/conftest.py)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadscope

test: lint pytest  ## everything CI runs: ruff, sqlfluff, then every test (dbt unit tests included)

test-fast: install  ## inner loop, under 5 minutes: ruff and the tests not marked slow, postgres or spark
	$(BIN)/ruff check cx360 orchestration expectations tests
	$(BIN)/ruff format --check cx360 orchestration expectations tests
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadscope -m "not slow and not postgres and not spark"

screenshots: install chromium  ## refresh docs/img: the browser tests, writing their screenshots there
	CX360_SCREENSHOTS=$(CURDIR)/docs/img $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadscope tests/test_dashboard_browser.py tests/test_data_docs_offline.py

bench: install  ## benchmark (BENCH_CUSTOMERS=100000): stage timings, memory, lower bound -> docs/benchmarks.md
	$(CX360) bench --customers $(BENCH_CUSTOMERS) --work-dir $(BENCH_DIR)

clean:  ## remove generated data, warehouses and dbt artefacts
	rm -rf $(TEST_DIR) $(BENCH_DIR) target logs $(WAREHOUSE_DIR) data
