# Each target sets up what it needs: a virtual environment in .venv with ember installed.
PY ?= python3
VENV := .venv
READY := $(VENV)/.ready-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: test test-fast bench lint demo data

# The demo: FashionMNIST (Debian's package where it is missing), then `ember demo`.
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
OUT ?= ember-demo

demo: $(READY) data
	$(VENV)/bin/ember demo --out $(OUT)

data:
	@test -f $(FASHION) || { command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) || \
	  echo "FashionMNIST not installed: ember demo will try to download it"; }

test: $(READY)
	$(VENV)/bin/python -m ruff check src tests bench
	$(VENV)/bin/python -m pytest

test-fast: $(READY)
	$(VENV)/bin/python -m pytest -m "not slow"

bench: $(READY)
	$(VENV)/bin/python bench/run.py

lint: $(READY)
	$(VENV)/bin/python -m ruff check src tests bench

$(READY): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test,demo]' ruff
	rm -f $(VENV)/.ready-*
	touch $@
