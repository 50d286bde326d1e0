# `make demo` and `make test` work from a fresh clone: they create .venv, install what
# is needed from PyPI and crates.io, and build the Rust extension in release mode.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
export TOKKIT_DATA ?= $(abspath ../shared/data)

RUNTIME_DEPS := "maturin>=1.7,<2" numpy tqdm matplotlib
TEST_DEPS := pytest hypothesis tiktoken tokenizers sentencepiece regex

.PHONY: test demo build bench bench-lm clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet $(RUNTIME_DEPS)
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PIP) install --quiet $(TEST_DEPS)
	touch $@

build: $(VENV)/.runtime
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH \
		$(VENV)/bin/maturin develop --release --quiet

test: build $(VENV)/.test
	cargo test --release -p tokkit
	$(PY) -m pytest -q

demo: build
	$(VENV)/bin/tokkit demo

bench: build $(VENV)/.test
	$(PY) benches/encode.py
	$(PY) benches/train.py
	$(PY) benches/unigram.py

bench-lm: build
	$(PIP) install --quiet threadpoolctl
	$(PY) benches/lm.py

clean:
	rm -rf $(VENV) target
