# Set-up and the two everyday jobs. Needs only python3 (3.11+) with venv and pip.
#   make demo   install into .venv, then check and bill the demo workspace's November 2026 on DEMO_DAY (2026-12-03)
#   make demo-month  after demo, the rest of its month: send (dry run) on DEMO_DAY, then on PAID_DAY (2026-12-28)
#               payments from input/bank/'s statement, reminders, send (dry run) again and the DATEV export
#   make test   install into .venv (with test tools), then run the test suite (all but the tests marked bench;
#               HYPOTHESIS_PROFILE=dev runs fewer examples of each property, for a quick local run)
#   make bench  the benchmark's smoke test (tests marked bench, about a minute), then the benchmarks (bench/run.py:
#               every target of issue 23, at most 50 minutes on 2 cores): rewrites bench/RESULTS.md, results.json
#               and the numbers of bench/SCALE.md; parts: BENCH_ARGS="--only demo,files,month-end" or
#               BENCH_ARGS="--only sizes --sizes 20k" (the parts not run keep their last results)
#   make bench-arrow  pyarrow's import cost and gain at each size, measured in a second venv (.venv-arrow) that
#               has it: writes bench/ARROW.md (pyarrow is not a dependency: that file says why)
#   make libreoffice  LibreOffice headless (with apt-get, as root), for the tests that open and recalculate
#               the workbooks as a user would (skipped without it)
#   make fuzz   the properties CI runs fewer examples of (billing, billing models, money, ingest batches and cache,
#               kept identities, the schemas' quick look) with ten times their examples, then each ingest parser
#               fuzzed with atheris for FUZZ_SECONDS (600) each (bench/fuzz; not in CI)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PERIOD ?= 2026-11
DEMO_DAY ?= 2026-12-03
PAID_DAY ?= 2026-12-28
FUZZ_SECONDS ?= 600

.PHONY: demo demo-month test install bench bench-arrow fuzz clean libreoffice

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	sh scripts/system-deps.sh
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# the demo is a story set in November 2026, billed on 3 December: its dates and PDFs are the same on every machine
demo: install
	AUFTAKT_TODAY=$(DEMO_DAY) $(BIN)/auftakt-batch check --period $(PERIOD)
	AUFTAKT_TODAY=$(DEMO_DAY) $(BIN)/auftakt-batch bill --period $(PERIOD)

demo-month: demo
	AUFTAKT_TODAY=$(DEMO_DAY) $(BIN)/auftakt-batch send --period $(PERIOD) --dry-run
	AUFTAKT_TODAY=$(PAID_DAY) $(BIN)/auftakt-batch payments
	AUFTAKT_TODAY=$(PAID_DAY) $(BIN)/auftakt-batch payments --match input/bank/camt053-2026-12-16.xml:7 2026-0013
	AUFTAKT_TODAY=$(PAID_DAY) $(BIN)/auftakt-batch remind
	AUFTAKT_TODAY=$(PAID_DAY) $(BIN)/auftakt-batch send --period $(PERIOD) --dry-run
	AUFTAKT_TODAY=$(PAID_DAY) $(BIN)/auftakt-batch export --period $(PERIOD) --format datev
	AUFTAKT_TODAY=$(PAID_DAY) $(BIN)/auftakt-batch export --period $(PERIOD) --format journal

# --dist loadfile: a module's shared set-up (the demo billed once) is made once, not on every worker
test: install
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: install  # hledger, the peer, is installed where apt-get may; without it that comparison is skipped
	@command -v hledger >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && apt-get install -y -qq hledger >/dev/null; } || echo "note: no hledger" >&2
	$(BIN)/python -m pytest -q -m bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# pyarrow measured, not depended on: a second venv with it, then its import and its gain at 20k, 200k and 1M entries
bench-arrow: install
	test -x .venv-arrow/bin/python || $(PYTHON) -m venv .venv-arrow
	.venv-arrow/bin/python -m pip install --quiet -e . pyarrow
	$(BIN)/python bench/arrow.py .venv-arrow/bin/python

libreoffice:
	@command -v soffice >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; } || \
		{ echo "install LibreOffice Calc, e.g.: sudo apt-get install libreoffice-calc-nogui" >&2; exit 1; }
	soffice --version

$(VENV)/.fuzz-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,fuzz]'
	touch $@

fuzz: $(VENV)/.fuzz-installed
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q -n auto tests/test_billing_properties.py tests/test_money_properties.py \
		tests/test_model_properties.py tests/test_ingest_batch.py tests/test_ingest_cache.py tests/test_identities.py \
		tests/test_schemas.py
	FUZZ_SECONDS=$(FUZZ_SECONDS) PYTHON=$(BIN)/python bash bench/fuzz/run.sh

clean:
	rm -rf $(VENV) .venv-arrow output/*/ output/ledger.sqlite
