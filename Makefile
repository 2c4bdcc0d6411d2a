# pollama: `make serve` runs the server on the default model, `make test` runs every test.
# `make lint`: ruff, and mypy over pollama/ (configured in pyproject.toml).
PYTHON ?= python3

.PHONY: install install-test serve test lint bench

install:
	bash scripts/install.sh

install-test:
	bash scripts/install.sh --test

serve: install
	$(PYTHON) -m pollama.bundled
	$(PYTHON) -m pollama serve

test: install-test
	$(PYTHON) -m ruff check pollama tests bench
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check pollama tests bench
	$(PYTHON) -m mypy

bench:
	$(PYTHON) bench/bench_engine.py
	$(PYTHON) bench/bench_pull.py
