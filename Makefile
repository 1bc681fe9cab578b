# Haat: `make run` serves the demo, `make test` runs the whole suite. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app market
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Haat is serving on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# With TEST_DATABASE_URL set (a PostgreSQL URL) the suite runs a second time against it.
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL) =="; \
		HAAT_TEST_DATABASE=postgres $(BIN)/python -m pytest; \
	fi

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
