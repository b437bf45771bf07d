# Backprop from the Ground Up: the two commands are `make lab` and `make test`.
#
# Everything is installed into ./.venv from the exact pins in constraints.txt.
# A stamp file per extra records that the install is done; it is rebuilt only
# when constraints.txt or pyproject.toml is newer, so a second `make lab` starts
# in seconds.

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
PIP      := $(PY) -m pip --disable-pip-version-check
LOCK     := constraints.txt
NOTEBOOK ?= notebooks/00_start_here.ipynb
PORT     ?= 8888
# The optional frameworks, PyTorch (~860 MB) and JAX (~540 MB), are installed for the
# cross-checks on CI, or when asked: make test TORCH=1 (FRAMEWORKS=1 says the same).
TORCH      ?= $(if $(filter true 1,$(CI)),1,)
FRAMEWORKS ?= $(TORCH)
# Small matrices dominate the series: one BLAS thread avoids spin-waiting threads that
# make widgets sluggish on shared machines, and keeps stored outputs identical between
# `make notebooks` and `make test`. The benchmarks use it too, and give PyTorch the same.
SERIES_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# The hub integration test (tests/hub) runs JupyterHub's proxy, configurable-http-proxy,
# from npm: installed from the committed lock file into tests/hub/node_modules.
HUB_NODE := tests/hub/node_modules/.stamp-npm

.PHONY: lab test notebooks translations bench assignments hub-links clean venv help

help:
	@echo "make lab          set up .venv, then open JupyterLab on the series"
	@echo "make test         set up .venv, then lint (ruff) and run every test (unit, nbval, browser, nbgrader)"
	@echo "                  TORCH=1 adds PyTorch and JAX and their cross-checks (CI always does)"
	@echo "make notebooks    re-execute and normalize every notebook in order (and rewrite their stored framework results)"
	@echo "make translations rebuild the Spanish and Hindi editions from English and translations/ (then: make notebooks)"
	@echo "make bench        run the benchmarks and print their tables"
	@echo "make assignments  build student versions with nbgrader (course/); EDITION=es or hi: the Spanish or Hindi course (course-es/, course-hi/)"
	@echo "make hub-links HUB=https://hub.example.edu   nbgitpuller links for each notebook on a JupyterHub"
	@echo "make clean        remove .venv, caches and generated files"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip==$$(sed -n 's/^pip==//p' $(LOCK))"

$(VENV)/.stamp-lab: $(VENV)/bin/python $(LOCK) pyproject.toml
	$(PIP) install -q -c $(LOCK) -e ".[lab]"
	touch $@

$(VENV)/.stamp-test: $(VENV)/.stamp-lab $(LOCK) pyproject.toml
	$(PIP) install -q -c $(LOCK) -e ".[lab,test,bench]"
	touch $@

$(VENV)/.stamp-frameworks: $(VENV)/.stamp-test $(LOCK) pyproject.toml
	$(PIP) install -q -c $(LOCK) -e ".[frameworks]"
	touch $@

# the stamp's former name (PyTorch alone), kept so that `make .venv/.stamp-torch` still works
$(VENV)/.stamp-torch: $(VENV)/.stamp-frameworks
	touch $@

$(HUB_NODE): tests/hub/package.json tests/hub/package-lock.json
	cd tests/hub && npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV)/.stamp-lab

lab: $(VENV)/.stamp-lab
	$(SERIES_ENV) $(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(NOTEBOOK) --port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: $(VENV)/.stamp-test $(if $(FRAMEWORKS),$(VENV)/.stamp-frameworks) $(HUB_NODE)
	$(VENV)/bin/ruff check .
	$(SERIES_ENV) $(PY) -m pytest tests notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg $(PYTEST_ARGS)

# English first; then the Spanish and Hindi editions are rebuilt from it and their catalogs,
# and executed two at a time (EDITIONS= skips them)
EDITIONS ?= notebooks/es notebooks/hi
notebooks: $(VENV)/.stamp-test $(if $(FRAMEWORKS),$(VENV)/.stamp-frameworks)
	$(SERIES_ENV) $(PY) tools/run_notebooks.py notebooks
	$(if $(EDITIONS),$(MAKE) --no-print-directory translations)
	$(if $(EDITIONS),$(SERIES_ENV) $(PY) tools/run_notebooks.py --jobs 2 $(EDITIONS))

# refresh the catalogs from the English notebooks and the package's messages (a changed
# English cell goes fuzzy), compile the runtime catalogs, and write notebooks/es/ and
# notebooks/hi/ (stored outputs of unchanged code cells are kept; `make notebooks` runs them)
translations: $(VENV)/.stamp-test
	$(PY) tools/translations.py update
	$(PY) tools/translations.py build

bench: $(VENV)/.stamp-test $(if $(FRAMEWORKS),$(VENV)/.stamp-frameworks)
	$(SERIES_ENV) $(PY) -m benchmarks.run $(BENCH_ARGS)

# EDITION=es or EDITION=hi builds the course from that edition (notebooks/es/ into course-es/)
assignments: $(VENV)/.stamp-test
	$(SERIES_ENV) $(PY) tools/assignments.py $(if $(EDITION),--edition $(EDITION)) build $(if $(filter 1 true yes,$(FORCE)),--force)

hub-links:
	@test -n "$(HUB)" || { echo "usage: make hub-links HUB=https://hub.example.edu [REPO=...] [BRANCH=main]" >&2; exit 2; }
	$(PYTHON) tools/hub_links.py --hub "$(HUB)" $(if $(REPO),--repo "$(REPO)") $(if $(BRANCH),--branch "$(BRANCH)") $(HUB_LINKS_ARGS)

clean:
	rm -rf $(VENV) course course-es course-hi artifacts screenshots .jupyter-test .hypothesis tests/hub/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
