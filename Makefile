# Haat: `make run` serves the demo, `make test` runs the whole suite. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app market
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint audit clean translations messages

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'  # Python compiles what is imported, when first imported
	touch $(BIN)/activate

install: $(BIN)/activate

# The compiled catalogues (.mo) are made from the reviewed .po files, never committed.
translations: install
	$(BIN)/pybabel compile -d translations

# After changing user-facing text: extract it again and merge it into every language's catalogue.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 -k N_ \
		--no-location --sort-output -o translations/messages.pot \
		--ignore-dirs='.venv tests bench migrations instance' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --no-fuzzy-matching

run: translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Haat is serving on http://$(HOST):$(PORT)  (Ctrl+C stops it); texts it sends: /demo/sms"
	$(FLASK) notify-worker --interval 2 & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
		HAAT_JOBS_INLINE=true $(FLASK) run --host $(HOST) --port $(PORT)  # long jobs run in the request: no jobs worker

# With TEST_DATABASE_URL set (a PostgreSQL URL) the suite runs a second time against it, and the browser tests
# (a third of the time) run in that pass only: production's database, and the 10-minute CI budget. Tests that
# reach no test database (marked no_database by tests/conftest.py from their fixtures) cannot tell the two apart
# and run in the SQLite pass only. Without it, everything runs on SQLite. Two pytest-xdist workers (TEST_WORKERS=0
# for one process), each with its own SQLite file or PostgreSQL database. ruff and lint-imports (a few seconds)
# run first; bandit and mypy (a minute of CPU on a clean clone) run beside the tests, filling the time the
# workers wait on the browser and the database: their output comes after the tests', and a finding fails the run.
TEST_WORKERS ?= 2
# xdist's default distribution (`--dist worksteal` made no difference: a fresh-clone CI run took 983 s with it
# and 961 s without on 2026-12-08, the PostgreSQL pass ~640 s in both: over the budget, to be brought back).
DIST :=
LINT_LOG := .lint.log
test: translations
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@( $(BIN)/bandit -q -c pyproject.toml --severity-level medium -r market catalog orders payments vendors && \
		$(BIN)/mypy ) > $(LINT_LOG) 2>&1 & lint=$$!; \
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== on SQLite, all but the browser tests (they run on PostgreSQL next) =="; \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) $(DIST) -m "not browser" && \
		echo "== on PostgreSQL ($$TEST_DATABASE_URL), every test that reaches the database ==" && \
		HAAT_TEST_DATABASE=postgres $(BIN)/python -m pytest -n $(TEST_WORKERS) $(DIST) -m "not no_database"; \
	else \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) $(DIST); \
	fi; tests=$$?; \
	wait $$lint; linted=$$?; echo "== bandit and mypy =="; cat $(LINT_LOG); rm -f $(LINT_LOG); \
	[ $$tests -eq 0 ] && [ $$linted -eq 0 ]

lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml --severity-level medium -r market catalog orders payments vendors
	$(BIN)/lint-imports
	$(BIN)/mypy

# Known vulnerabilities in the installed packages, from PyPI's JSON API (see the README: not on every machine).
audit: install
	$(BIN)/pip-audit --strict --skip-editable

clean:
	rm -rf $(VENV) instance .pytest_cache
