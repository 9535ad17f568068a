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

.PHONY: book test venv corpora chapters html mathjax bench clean

## book: venv, pinned install, corpora, execute every chapter (papermill), render HTML
book: venv corpora chapters html

## test: unit tests and every chapter in the smoke profile (executed, then checked by nbval)
test: venv
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider tests/_nb

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
