# Quick start: `make run` runs the bot, `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck lock bench clean

# The exact versions of requirements.lock (pyproject.toml keeps the ranges; `make lock` refreshes
# the lock within them).
LOCK := requirements.lock

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/chibo run

# PYTEST_ARGS: extra pytest arguments, e.g. make test PYTEST_ARGS="-k periods -x"
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy over bot/ and storage/, configured in pyproject.toml ([tool.mypy])
typecheck: $(STAMP)
	$(BIN)/mypy

# Every benchmark under bench/ (minutes each; needs PostgreSQL at 127.0.0.1:5432), each with its
# defaults; `python -m bench.NAME --help` tells a benchmark's options (bench/ is on the path
# too, for the benchmarks that import each other as scripts). Never run in CI.
BENCHMARKS := $(filter-out __init__ common,$(basename $(notdir $(wildcard bench/*.py))))
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@set -e; for name in $(BENCHMARKS); do \
		echo "== bench.$$name"; PYTHONPATH=.:bench $(BIN)/python -m bench.$$name; done

# The newest versions pyproject.toml allows, installed in a throwaway venv, written to the lock
# (runtime and test dependencies). Then `make test`, and commit requirements.lock.
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e ".[test]"
	{ echo "# Exact versions for make and .ci/run (pip install -c $(LOCK) ...). Made by \`make lock\`"; \
	  echo "# on Python $$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())'), Linux; the ranges are in pyproject.toml."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache .mypy_cache chibo.egg-info
