# The two commands of the README:  `make book`  and  `make test`.
# Everything else here is what they are made of.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= book
DATA_ROOT ?=
PARAMS  ?=
MATHJAX_VERSION := 3.2.2
export SERTOOLS_PROGRESS ?= 0

RUN_PARAMS := -p profile $(PROFILE) $(if $(DATA_ROOT),-p data_root $(DATA_ROOT)) $(PARAMS)
CORPUS_SIZE := $(PROFILE)

.PHONY: book test venv corpora chapters html mathjax chromium bench clean

## book: venv, pinned install, corpora, execute every chapter (papermill), render HTML
book: venv corpora chapters html

## test: unit tests; every chapter executed in the smoke profile, then re-run and checked by
## nbval; the smoke book rendered and every page checked in headless Chromium, network off
test: venv mathjax chromium
	$(PY) -m pytest -q tests --ignore=tests/browser
	$(PY) -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider tests/_nb
	$(PY) -m pytest -q tests/browser

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium)

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

corpora: venv
ifeq ($(DATA_ROOT),)
	$(PY) -m sertools.data.synth --size $(CORPUS_SIZE)
endif

chapters: venv
	$(PY) -m sertools.run all $(RUN_PARAMS)

mathjax: book/vendor/mathjax/es5/tex-mml-chtml.js
book/vendor/mathjax/es5/tex-mml-chtml.js:
	mkdir -p book/vendor/mathjax && cd book/vendor && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null \
	  && tar -xzf mathjax-$(MATHJAX_VERSION).tgz && rm -rf mathjax/es5 && mv package/es5 mathjax/es5 \
	  && rm -rf package mathjax-$(MATHJAX_VERSION).tgz

html: venv mathjax
	$(VENV)/bin/jupyter-book build . --path-output book -W -n --keep-going

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf book/_build book/*.ipynb tests/_nb
