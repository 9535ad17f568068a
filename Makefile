# The two commands of the README:  `make book`  and  `make test`.
# Everything else here is what they are made of.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= book
DATA_ROOT ?=
PARAMS  ?=
JOBS    ?= 1
MATHJAX_VERSION := 3.2.2
WIDGETS_VERSION := 1.0.6
REQUIREJS_VERSION := 2.3.4
UV_VERSION := 0.13.9
export SERTOOLS_PROGRESS ?= 0
# Python writes each module's bytecode the first time a build imports it, even where the shell
# sets PYTHONDONTWRITEBYTECODE: compiling only what runs costs ~20 s once, compiling the whole
# venv at install (uv --compile-bytecode) 40 s, and neither costs each later process a recompile.
unexport PYTHONDONTWRITEBYTECODE

RUN_PARAMS := -p profile $(PROFILE) $(if $(DATA_ROOT),-p data_root $(DATA_ROOT)) $(PARAMS)
CORPUS_SIZE := $(PROFILE)

.PHONY: book test reference fullcheck calibration venv corpora chapters html student vendor mathjax widgets chromium bench clean lock publish

## book: venv, pinned install, corpora, execute every chapter (papermill), render HTML
book: venv corpora chapters html

## test: unit tests; every chapter executed once in the smoke profile by nbval, its checked cells
## compared with the committed reference (tests/reference/); the smoke book rendered and every
## page checked in headless Chromium, network off
test: venv vendor chromium
	$(PY) -m pytest -q tests --ignore=tests/browser
	$(PY) tests/chapter_reference.py prepare
	$(PY) -m pytest -q --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider tests/_nb
	$(PY) -m pytest -q tests/browser

## fullcheck: every chapter in the full profile as a dry run: the papers' folds, model sizes, inputs and
## batches, one epoch of two batches per unit, on the dryrun-size synthetic corpora (or DATA_ROOT)
fullcheck: venv
	$(PY) -m sertools.run all -p profile full -p dry_run True $(if $(DATA_ROOT),-p data_root $(DATA_ROOT)) \
	  -o tests/_artifacts/fullcheck

## calibration: the IEMOCAP-like corpus at the book size for corpus seeds 0, 1, 2 (generated if missing);
## fails when the signal reference (eGeMAPS + LR) leaves its cited band (sertools/calibration.py)
calibration: venv
	$(PY) -m sertools.calibration --seeds 0 1 2

## reference: re-record the smoke outputs of the chapters' checked cells (review the diff, commit it);
## CHAPTERS="li2020 fan2020" re-records those only
reference: venv
	$(PY) tests/chapter_reference.py update $(CHAPTERS)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get -o Acquire::Retries=3 update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends chromium)

## venv: the package with every extra, pinned by constraints.txt (the whole transitive set)
venv: $(VENV)/.installed
$(VENV)/.installed: constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --native-tls --python $(PY) --quiet -c constraints.txt -e ".[book,test,sweep]" \
	  || $(PY) -m pip install --quiet -c constraints.txt -e ".[book,test,sweep]"
	touch $@

## lock: regenerate constraints.txt from pyproject.toml's ranges in a fresh venv
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv && .lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e ".[book,test,sweep]"
	{ echo "# The whole transitive set, pinned: \`make book\` and \`make test\` install with \`-c constraints.txt\`."; \
	  echo "# Regenerate with \`make lock\` (a fresh venv from pyproject.toml's ranges, then pip freeze)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^sertools'; } > constraints.txt
	rm -rf .lock-venv

## publish: the built HTML onto the gh-pages branch (pushed when a remote is configured)
publish:
	@test -f book/_build/html/index.html || { echo "book/_build/html is missing: run make book first"; exit 1; }
	@if git remote | grep -q .; then $(VENV)/bin/ghp-import -n -p -f -m "Publish the book" book/_build/html; \
	else $(VENV)/bin/ghp-import -n -m "Publish the book" book/_build/html && echo "no git remote: gh-pages updated locally, not pushed"; fi

corpora: venv
ifeq ($(DATA_ROOT),)
	$(PY) -m sertools.data.synth --size $(CORPUS_SIZE)
endif

## chapters: every chapter in book order; JOBS=2 runs two side by side (measured slower on 2 cores: see the README);
## a chapter whose executed notebook is up to date is kept (sertools.buildcache); FORCE=1 executes every chapter
chapters: venv
	$(PY) -m sertools.run all --jobs $(JOBS) $(RUN_PARAMS) $(if $(FORCE),--force)

mathjax: book/vendor/mathjax/es5/tex-mml-chtml.js
book/vendor/mathjax/es5/tex-mml-chtml.js:
	mkdir -p book/vendor/mathjax && cd book/vendor && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null \
	  && tar -xzf mathjax-$(MATHJAX_VERSION).tgz && rm -rf mathjax/es5 && mv package/es5 mathjax/es5 \
	  && rm -rf package mathjax-$(MATHJAX_VERSION).tgz

## vendor: MathJax and the ipywidgets embedder from the npm registry, served by the book (no CDN)
vendor: mathjax widgets

widgets: book/vendor/widgets/embed-amd.js
FONTS := book/vendor/extra/book/@jupyter-widgets/html-manager/dist
book/vendor/widgets/embed-amd.js:
	mkdir -p book/vendor/widgets $(FONTS) && cd book/vendor && npm pack --silent \
	  @jupyter-widgets/html-manager@$(WIDGETS_VERSION) requirejs@$(REQUIREJS_VERSION) >/dev/null \
	  && tar -xzf jupyter-widgets-html-manager-$(WIDGETS_VERSION).tgz && cp package/dist/embed-amd.js widgets/ \
	  && cp package/dist/*.woff* package/dist/*.ttf package/dist/*.eot package/dist/*.svg ../../$(FONTS)/ \
	  && rm -rf package && tar -xzf requirejs-$(REQUIREJS_VERSION).tgz && cp package/require.js widgets/ \
	  && rm -rf package *.tgz

html: venv vendor
	$(VENV)/bin/jupyter-book build . --path-output book -W -n --keep-going

## student: the edition without solutions and without the teacher's guide, from the chapters the last
## `make book` executed (book/_build/student/html), and the chapters' sources without solutions for
## Jupyter (book/_build/student/notebooks); FROM=tests/_artifacts/executed renders the smoke run instead
FROM ?= book
student: venv vendor
	$(PY) -m sertools.edition student --from $(FROM)

bench: venv
	$(VENV)/bin/sertools bench

clean:
	rm -rf book/_build book/*.ipynb tests/_nb
