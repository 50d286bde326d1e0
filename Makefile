# `make demo` and `make test` work from a fresh clone: they create .venv, install what
# is needed from PyPI and crates.io, and build the Rust extension in release mode.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
export TOKKIT_DATA ?= $(abspath ../shared/data)

RUNTIME_DEPS := "maturin>=1.7,<2" numpy tqdm matplotlib
# sentencepiece is pinned: tokkit reproduces 0.2.3's arithmetic, and earlier releases break
# exact score ties differently. protobuf lets tests rewrite .model files.
TEST_DEPS := pytest hypothesis tiktoken tokenizers "sentencepiece==0.2.3" protobuf regex

# What benches/ times tokkit against, besides the test oracles (pinned: figures name it).
BENCH_DEPS := "gigatoken==0.10.0"

# `make fuzz` draws a fresh seed unless given one (`make fuzz SEED=123` replays a run).
SEED ?= $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
FUZZ_SEED := $(SEED)

.PHONY: test fuzz demo build bench bench-lm clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet $(RUNTIME_DEPS)
	touch $@

$(VENV)/.test: $(VENV)/.runtime Makefile
	$(PIP) install --quiet $(TEST_DEPS)
	touch $@

$(VENV)/.bench: $(VENV)/.test Makefile
	$(PIP) install --quiet $(BENCH_DEPS)
	touch $@

build: $(VENV)/.runtime
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH \
		$(VENV)/bin/maturin develop --release --quiet

test: build $(VENV)/.test
	cargo test --release -p tokkit
	$(PY) -m pytest -q

# The property tests with fresh random seeds and ten times the examples (see tests/conftest.py).
fuzz: build $(VENV)/.test
	@echo "make fuzz: seed $(FUZZ_SEED) (replay with: make fuzz SEED=$(FUZZ_SEED))"
	TOKKIT_FUZZ_SEED=$(FUZZ_SEED) cargo test --release -p tokkit
	TOKKIT_FUZZ=1 $(PY) -m pytest -q -m hypothesis --hypothesis-seed=$(FUZZ_SEED)

demo: build
	$(VENV)/bin/tokkit demo

bench: build $(VENV)/.bench
	$(PY) benches/frontier.py
	$(PY) benches/encode.py
	$(PY) benches/train.py
	$(PY) benches/unigram.py

bench-lm: build
	$(PIP) install --quiet threadpoolctl
	$(PY) benches/lm.py

clean:
	rm -rf $(VENV) target
