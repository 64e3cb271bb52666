# Two commands from a fresh clone: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench check-content eval screenshot clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (set PYTHON=...)" if sys.version_info < (3, 11) else 0)'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m bot run

test: lint unit

lint: $(STAMP)
	$(PY) -m ruff check bot tests bench
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest -q

check-content: $(STAMP)
	@$(PY) -m bot check-content

eval: $(STAMP)
	@for f in tests/eval/*.jsonl; do echo "== $$f"; $(PY) -m bot eval $$f --talks tests/talks || exit 1; done

screenshot: $(STAMP)
	REPORT_SCREENSHOT=docs/report.png $(PY) -m pytest -q tests/test_report_browser.py

bench: $(STAMP)
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
