# lantian — the two commands of the README are the contract: `make run` and `make test`.
# Needs only python3 (>= 3.11), pip and make; everything else is installed into .venv from the lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: run test catalogues lint typecheck unit browser lock clean help

help:
	@echo "make run   — 启动平台 / start the platform at http://127.0.0.1:8000 (SQLite, demo data)"
	@echo "make test  — 运行全部检查与测试 / lint, type-check and run every test (SQLite + PostgreSQL)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("lantian needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies only, pinned by the lock.
$(VENV)/.installed-run: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) install --quiet -c $(LOCK) -e .
	@touch $@

# Runtime plus development dependencies (ruff, mypy, pytest, the PostgreSQL test server, …).
$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) install --quiet -c $(LOCK) -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

# The demo runs as of an instant inside its plan's campaign (README, "The demo's clock");
# `make run DEMO_AS_OF=` serves on the real time instead.
DEMO_AS_OF ?= $(shell $(BIN)/python -c 'from lantian.demo import DEMO_AS_OF; print(DEMO_AS_OF.isoformat())' 2>/dev/null)

run: $(VENV)/.installed-run
	$(BIN)/lantian db upgrade
	$(BIN)/lantian demo --if-needed
	LANTIAN_AS_OF="$(DEMO_AS_OF)" $(BIN)/lantian serve

# The page texts' catalogues (docs/i18n.md): every message the sources use, none they do not.
catalogues: $(VENV)/.installed-dev
	@mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k tt --add-location=file --sort-output -w 100 -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d src/lantian/locale --no-fuzzy-matching --ignore-obsolete -w 100

# ruff's rules include S (flake8-bandit), the static security lint; the dependency audit matches
# the lock against the committed advisory snapshot (docs/security.md, "Dependencies").
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/audit_dependencies.py

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The suite on TEST_WORKERS processes (pytest-xdist). --dist loadfile keeps each test file on one
# worker, so a file's module fixtures (a browser, a live server, parsed real data) are made once;
# tests/conftest.py supplies the scheduler: the longest files go out first and the browser walks
# of the registers are split test by test over both workers (each worker has its own live server
# and its own throw-away PostgreSQL server), and the files that share the demo (loaded once per
# backend, tests/support/demo_database.py) go to one worker together. TEST_WORKERS=0 runs in one
# process.
TEST_WORKERS ?= 2

unit: $(VENV)/.installed-dev browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The browser tests drive the system's Chromium. As root (CI) a missing one is installed from
# Debian's packages; otherwise the message says what to install. The tests fail without it.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || [ -n "$$LANTIAN_TEST_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else \
	    echo "browser tests need Chromium: sudo apt-get install chromium (or set LANTIAN_TEST_CHROMIUM)" >&2; \
	    exit 1; \
	fi

test: lint typecheck unit

# Re-pin every dependency after changing pyproject.toml (commit the result).
lock: | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	$(PIP) freeze --exclude-editable --all | grep -vE '^(pip|setuptools|wheel)==' > $(LOCK)
	@echo "wrote $(LOCK)"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
