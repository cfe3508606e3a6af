# Everything runs from a project-local virtualenv so a fresh clone needs only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check pdauth tests
	$(BIN)/ruff format --check pdauth tests
	$(BIN)/mypy

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# A real Secret Service for P1 when gnome-keyring is installed (as .ci/run does); else P1 is not measured.
bench: $(STAMP)
	.ci/with-secret-service $(BIN)/python scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
