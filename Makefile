# Two commands: `make demo` runs Accord with a demo catalogue; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# The browser tests drive Debian's Chromium. `make test` installs it when it is missing and it can (root with
# apt-get, as on CI); otherwise it stops and prints the line to run.
CHROMIUM ?= /usr/bin/chromium
APT_GET ?= apt-get
CHROMIUM_PACKAGES := chromium chromium-driver

.PHONY: demo test browser bench serve clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	ACCORD_DEMO=true $(VENV)/bin/accord demo --serve --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(VENV)/bin/accord serve --host $(HOST) --port $(PORT)

# The whole suite measures coverage and fails below pyproject's floor; a chosen subset (PYTEST_ARGS) does not.
COV ?= $(if $(PYTEST_ARGS),,--cov)

test: $(STAMP) browser
	$(PY) -m pytest $(COV) $(PYTEST_ARGS)

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v $(APT_GET) >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests: $(APT_GET) install -y $(CHROMIUM_PACKAGES)"; \
	    DEBIAN_FRONTEND=noninteractive $(APT_GET) update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq $(CHROMIUM_PACKAGES) >/dev/null || exit 1; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM). Install it with:" >&2; \
	    echo "  sudo apt-get install -y $(CHROMIUM_PACKAGES)" >&2; \
	    exit 1; \
	  fi; \
	fi

bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
