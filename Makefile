# Everything runs from a project-local virtualenv so a fresh clone needs only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two workers on a 2-core machine (pytest-xdist); `make test PYTEST_ARGS=-n0` runs in one process.
PYTEST_ARGS ?= -n 2

.PHONY: install test lint demo bench clean

install: $(STAMP)

# The build backend (hatchling, see pyproject.toml) installs the editable package as one plain path entry
# in a .pth file: no finder hook at every start-up (~12 ms), which matters because `pdauth token` runs in
# shell loops. -qq: pip's errors still show, its notes about this machine's extra index locations do not.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $(STAMP)

# Under a private, unlocked Secret Service (as .ci/run does), so the real-keyring tests run here too and
# `make test` is what CI runs. Without gnome-keyring installed the script runs the tests as they are.
test: $(STAMP)
	.ci/with-secret-service $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check pdauth tests
	$(BIN)/ruff format --check pdauth tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n0 tests/architecture  # the import contract

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# A real Secret Service for P1 when gnome-keyring is installed (as .ci/run does); else P1 is not measured.
bench: $(STAMP)
	.ci/with-secret-service $(BIN)/python scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
