# Every target bootstraps a local .venv on first use, so each works on its own
# from a clean clone: `make demo` runs the main job, `make test` the test suite.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: serve demo echo test lint bench build venv clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

build: $(STAMP)  ## (re)compile the hot path with Cython after editing it; no-op when up to date
	@$(PY) setup.py -q build_ext --inplace

serve: build     ## python -m gonet serve [module:app]: gonet.http on 127.0.0.1:8000 (built-in page without an app)
	$(PY) -m gonet serve $(ARGS)

demo: build      ## python -m gonet demo (10,000 connections, 5 seconds)
	$(PY) -m gonet demo $(ARGS)

echo: build      ## python -m gonet echo [ADDRESS]
	$(PY) -m gonet echo $(ARGS)

test: build      ## the whole test suite, compiled and then as plain Python
	$(PY) -m pytest $(ARGS)
	GONET_PURE_PYTHON=1 $(PY) -m pytest $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check src tests bench setup.py
	$(PY) -m mypy

bench: build     ## python -m gonet bench (installs the peers on first use)
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m gonet bench $(ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info src/gonet/_build_record.json
	find src -name '*.so' -delete -o -name '*.c' -path 'src/*' -delete
