# One command sets everything up and runs the demo; one sets everything up and runs the tests.
#   make demo    create .venv, install planner (what the demo needs, no test tools), run
#                `planner demo`
#   make test    create .venv, install planner with its test tools, run the whole suite
#                (pytest, which also runs ruff and mypy)
PYTHON     ?= $(shell command -v python3.11 || command -v python3)
VENV       ?= .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install install-test clean bench browser-deps

# planner and its dependencies: all `planner demo` needs
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# the test tools on top (pytest, hypothesis, ruff, mypy, spopt, nbclient, ...)
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/planner demo

# Headless Chromium and CJK fonts for the browser tests (tests/test_public_site.py): installed
# with apt-get when missing and running as root (CI, the dev machine); otherwise those tests
# skip with a reason.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing=" chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing$$missing for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "note: $$missing not installed and not root: browser tests will be skipped" \
	       "(sudo apt-get install chromium fonts-noto-cjk)"; \
	fi

test: $(TEST_STAMP) browser-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/io.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
