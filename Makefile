# Every target bootstraps a local .venv on first use, so each works on its own
# from a clean clone: `make demo` runs the main job, `make test` the test suite.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo echo test lint bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)   ## python -m gonet demo (10,000 connections, 5 seconds)
	$(PY) -m gonet demo $(ARGS)

echo: $(STAMP)   ## python -m gonet echo [ADDRESS]
	$(PY) -m gonet echo $(ARGS)

test: $(STAMP)   ## the whole test suite
	$(PY) -m pytest $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m mypy

bench: $(STAMP)  ## python -m gonet bench (installs the peers on first use)
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m gonet bench $(ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info
