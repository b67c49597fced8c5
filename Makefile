# Gebiedsatlas: two commands on a fresh Debian machine.
#   make run   install into .venv, import the bundled data (and the fictional demo agreements with
#              their demo accounts), serve on http://127.0.0.1:8000
#   make test  install the system packages the tests need (apt-get), then run every test
# Installs are locked: requirements/lock.txt pins every package (runtime + test extras, and setuptools
# to build the editable install) with its hashes.
#   make lock   re-resolve pyproject.toml into requirements/lock.txt (pip-compile --generate-hashes)
#   make audit  check requirements/lock.txt for known vulnerabilities (pip-audit); never "clean"
#               when the check could not be made
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
PYTEST_ARGS ?=
LOCK = requirements/lock.txt
# pip-tools and pip-audit live in their own venv, never in the project's.
TOOLS_VENV ?= .venv-tools
TOOLS = $(TOOLS_VENV)/bin
PIP_TOOLS_VERSION ?= 7.7.0
PIP_AUDIT_VERSION ?= 2.10.1

.PHONY: run install import serve test lint bench clean lock audit tools

run: import serve

install: $(VENV)/.installed

$(VENV)/.installed: $(LOCK) pyproject.toml
	# Debian's python3 needs python3-venv for `-m venv`; install it (root/sudo) only when venv fails.
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); $$(command -v sudo) apt-get update && \
		$$(command -v sudo) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	# Exactly the locked versions, each file checked against its hash; then the app itself, built
	# with the locked setuptools and nothing else.
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The bundled data, and the fictional example of prestatieafspraken with its demo accounts (labelled
# "Fictief"; one click on /inloggen, only with SQLite unless GEBIEDSATLAS_DEMO_LOGIN says otherwise).
import: install
	$(BIN)/gebiedsatlas import
	$(BIN)/gebiedsatlas afspraken demo

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

# pip-tools and pip-audit, pinned, in $(TOOLS_VENV) (not locked by hash: they never run the app).
TOOLS_STAMP = $(TOOLS_VENV)/.installed-pip-tools-$(PIP_TOOLS_VERSION)-pip-audit-$(PIP_AUDIT_VERSION)
tools: $(TOOLS_STAMP)

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS)/pip install --quiet --upgrade pip
	$(TOOLS)/pip install --quiet pip-tools==$(PIP_TOOLS_VERSION) pip-audit==$(PIP_AUDIT_VERSION)
	rm -f $(TOOLS_VENV)/.installed-*
	touch $@

# Re-resolve after changing the dependencies in pyproject.toml (or to take newer releases: delete
# requirements/lock.txt first, or pass LOCK_ARGS=--upgrade). Python 3.11, Linux; the hashes cover
# every published file of each pinned release.
LOCK_ARGS ?=
lock: tools
	$(TOOLS)/pip-compile --quiet --extra test --build-deps-for editable --generate-hashes --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) -o $(LOCK) pyproject.toml

# Exit 0 only when every locked package was checked and none is known to be vulnerable; 1 when some
# are; 2 when the check could not be made (e.g. no network): scripts/audit.py. AUDIT_ARGS go to
# pip-audit, e.g. AUDIT_ARGS='--vulnerability-service osv'.
AUDIT_ARGS ?=
audit: tools
	$(TOOLS)/python scripts/audit.py $(LOCK) $(AUDIT_ARGS)

clean:
	rm -rf var .pytest_cache test-artifacts
