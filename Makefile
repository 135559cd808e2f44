# Quick start: `make demo` (set up, train on Fashion-MNIST, generate, evaluate) and `make test`.
# Both install what is missing first and skip what is already there.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fashiongan-installed
DEMO_DIR ?= runs/demo
DEMO_MINUTES ?= 8

.PHONY: setup demo test test-all lint clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	PYTHON=$(PYTHON) bash scripts/setup.sh $(VENV)
	@touch $@

demo: setup
	PY=$(PY) DEMO_DIR=$(DEMO_DIR) DEMO_MINUTES=$(DEMO_MINUTES) bash scripts/demo.sh

test: setup
	bash scripts/setup_browser.sh
	$(PY) -m pytest

test-all: setup
	bash scripts/setup_browser.sh
	$(PY) -m pytest -m "slow or not slow"

lint: setup
	$(PY) -m ruff check src tests

clean-venv:
	rm -rf $(VENV)
