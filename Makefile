# Garrison — one entry point for every check, exactly as CI runs it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 8080

.PHONY: install demo test lint typecheck unit i18n bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(INSTALLED): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/garrison demo --port $(PORT)

lint: $(INSTALLED)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

i18n: $(INSTALLED)
	$(BIN)/python -m garrison.i18n.check

unit: $(INSTALLED)
	$(BIN)/pytest -q -n auto --durations=15

test: lint typecheck i18n unit

bench: $(INSTALLED)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
