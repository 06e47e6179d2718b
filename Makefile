# Set-up and the two everyday jobs. Needs only python3 (3.11+) with venv and pip.
#   make demo   install into .venv, then check and bill the demo workspace's November 2026
#   make test   install into .venv (with test tools), then run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PERIOD ?= 2026-11

.PHONY: demo test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	sh scripts/system-deps.sh
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/auftakt-batch check --period $(PERIOD)
	$(BIN)/auftakt-batch bill --period $(PERIOD)

test: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) output/*/ output/ledger.sqlite
