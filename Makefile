# `make test` and `make demo` work from a fresh clone: they create .venv, install what
# is needed from PyPI and crates.io, and build the Rust extension in release mode.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export TOKKIT_DATA ?= $(abspath ../shared/data)

.PHONY: test demo build bench clean

$(VENV)/.deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "maturin>=1.7,<2" numpy tqdm matplotlib pytest hypothesis tiktoken tokenizers sentencepiece regex
	touch $@

build: $(VENV)/.deps
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH \
		$(VENV)/bin/maturin develop --release --quiet

test: build
	cargo test --release -p tokkit
	$(PY) -m pytest -q

demo: build
	$(VENV)/bin/tokkit demo

bench: build
	$(PY) benches/encode.py
	$(PY) benches/unigram.py

clean:
	rm -rf $(VENV) target
