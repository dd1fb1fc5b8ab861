# Cairn: `make run` starts the demo, `make test` runs the whole suite.
# Both set up everything they need on a machine with only Python >= 3.11.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install browser migrate seed lint format clean mutation

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Cairn needs Python >= 3.11 (PYTHON=$(PYTHON))"; exit 1; }
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	PORT=$(PORT) $(BIN)/python manage.py seed_demo

run: seed
	PORT=$(PORT) $(BIN)/python scripts/dev.py

# Browser tests drive Debian's Chromium; install it when it is missing.
browser:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Mutation testing of the rules (scripts/mutation.py): minutes, so not part of CI.
mutation: install
	$(BIN)/python scripts/mutation.py $(MUTATION_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var
