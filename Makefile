# Two commands do all the set-up on a fresh machine:
#   make app    install, then start the Streamlit studio on the embedded default data
#   make test   install (with test tools), then lint and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: app test lint bench screenshots
BENCH := .venv-bench/bin
BENCH_ARGS ?=

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.app-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt requirements-ray.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt -r requirements-test.txt -r requirements-ray.txt
	touch $@

app: $(VENV)/.app-installed
	scripts/system-deps.sh app
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.test-installed
	scripts/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2

# Benchmarks in their own venv (skada, alibi-detect never touch .venv): the full run by default,
# `make bench BENCH_ARGS=--quick` for a few minutes.
$(BENCH)/.installed: requirements.txt requirements-bench.txt requirements-bench-nodeps.txt requirements-ray.txt
	$(PYTHON) -m venv .venv-bench
	$(BENCH)/pip install -q -r requirements.txt -r requirements-bench.txt -r requirements-ray.txt
	$(BENCH)/pip install -q --no-deps -r requirements-bench-nodeps.txt
	touch $@

bench: $(BENCH)/.installed
	scripts/system-deps.sh test
	$(BENCH)/python -m bench $(BENCH_ARGS) --out docs

# The README's screenshots, from the real demo (mnist5k -> digits, the recommended recipe): minutes.
screenshots: $(VENV)/.test-installed
	scripts/system-deps.sh test
	$(BIN)/python -m scripts.screenshots
