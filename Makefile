# Gebiedsatlas: two commands on a fresh Debian machine.
#   make run   install into .venv, import the bundled data, serve on http://127.0.0.1:8000
#   make test  install the system packages the tests need (apt-get), then run every test
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run install import serve test lint bench clean

run: import serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	# Debian's python3 needs python3-venv for `-m venv`; install it (root/sudo) only when venv fails.
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); $$(command -v sudo) apt-get update && \
		$$(command -v sudo) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

import: install
	$(BIN)/gebiedsatlas import

serve: install
	$(BIN)/gebiedsatlas serve

test: install
	bash scripts/install-system-deps.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf var .pytest_cache test-artifacts
