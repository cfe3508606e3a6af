# Everything runs from a project-local virtualenv so a fresh clone needs only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean

install: $(STAMP)

# editable_mode=compat: a plain path entry in a .pth file. The default finder hook costs every
# process ~12 ms at start-up, and `pdauth token` runs in shell loops.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
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
