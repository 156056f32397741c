# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit web web-test browser install clean bench-tick bench-load

WEB := clients/web
WEB_STAMP := $(WEB)/node_modules/.installed
# apt-get needs root; elsewhere sudo is used when present.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web client's npm packages (pinned by package-lock.json), then its bundle in dist/.
$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm)
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

web: $(WEB_STAMP)
	cd $(WEB) && node build.mjs

web-test: web
	cd $(WEB) && node --test test/

# Debian's chromium for the browser tests, and the CJK fonts that Korean, Japanese and
# Chinese names and signs need in its screenshots; installed when missing.
browser:
	(command -v chromium >/dev/null && [ -d /usr/share/fonts/opentype/noto ]) || \
		($(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y \
		--no-install-recommends chromium fonts-noto-cjk)

run: $(STAMP) web
	$(BIN)/plaza serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	MYPYPATH=clients/python $(BIN)/mypy --config-file .mypy-server.ini -p server \
		-p plaza_client

unit: $(STAMP) web browser
	$(BIN)/python -m pytest -q

test: lint typecheck web-test unit

bench-tick: $(STAMP)
	$(BIN)/plaza bench tick --avatars 10000

bench-load: $(STAMP)
	$(BIN)/plaza bench load --clients 2000 --seconds 30

clean:
	rm -rf $(VENV) build *.egg-info $(WEB)/node_modules $(WEB)/dist $(WEB)/dist-testing
