# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit install clean bench-tick bench-load

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/plaza serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	MYPYPATH=clients/python $(BIN)/mypy --config-file .mypy-server.ini -p server \
		-p plaza_client

unit: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench-tick: $(STAMP)
	$(BIN)/plaza bench tick --avatars 10000

bench-load: $(STAMP)
	$(BIN)/plaza bench load --clients 2000 --seconds 30

clean:
	rm -rf $(VENV) build *.egg-info
