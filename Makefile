# Quick start: `make run` runs the bot, `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/chibo run

# PYTEST_ARGS: extra pytest arguments, e.g. make test PYTEST_ARGS="-k periods -x"
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark under bench/ (minutes; needs PostgreSQL at 127.0.0.1:5432). Never run in CI.
# BENCH_ARGS: extra arguments for each, e.g. make bench BENCH_ARGS="--db sqlite"
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.conversation $(BENCH_ARGS)
	$(BIN)/python -m bench.startup $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache chibo.egg-info
