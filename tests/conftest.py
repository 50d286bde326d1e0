"""Shared fixtures: where the reference data lives, oracle tokenizers built from it, and
how many examples the property tests draw.

Parity tests read real vocabularies and corpora from $TOKKIT_DATA (default
../shared/data beside the repository). Where that folder is absent they skip, saying so.

Property tests (hypothesis) run derandomized in `make test`: each test draws the same
examples every run, so a commit always gets the same verdict. `make fuzz` sets
TOKKIT_FUZZ=1: fresh random examples (the seed is printed, and `make fuzz SEED=n`
replays it), ten times as many of them, and a database that replays any failure found.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

FUZZ = os.environ.get("TOKKIT_FUZZ") == "1"
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, print_blob=True)
settings.load_profile("fuzz" if FUZZ else "ci")


def examples(n: int) -> int:
    """How many examples a property test draws: `n` in `make test`, 10·n in `make fuzz`."""
    return 10 * n if FUZZ else n


ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TOKKIT_DATA", ROOT.parent / "shared" / "data"))

# Every tiktoken-format vocabulary with a known pattern: name -> (file, patterns.json key).
TIKTOKEN_FILES = {
    "r50k_base": ("r50k_base.tiktoken", "r50k_base"),
    "cl100k_base": ("cl100k_base.tiktoken", "cl100k_base"),
    "o200k_base": ("o200k_base.tiktoken", "o200k_base"),
    "llama3": ("llama3.tiktoken", "llama3"),
}


def data_path(*parts: str) -> Path:
    """A path under $TOKKIT_DATA, or a skip that says the data is missing."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not found at {path}; set TOKKIT_DATA to the shared data folder")
    return path


@functools.cache
def _patterns() -> dict:
    return json.loads(data_path("vocab", "tiktoken", "patterns.json").read_text())


def read_ranks(path: Path) -> dict[bytes, int]:
    ranks = {}
    for line in path.read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@functools.cache
def _llama3_specials() -> dict[str, int]:
    # Independent of tokkit's own list: read from Meta's tokenizer.json.
    hf = json.loads(data_path("vocab", "hf", "llama3", "tokenizer.json").read_text())
    return {t["content"]: t["id"] for t in hf["added_tokens"]}


@functools.cache
def oracle(name: str):
    """A tiktoken Encoding for `name`, built from the reference files."""
    tiktoken = pytest.importorskip("tiktoken")
    file, key = TIKTOKEN_FILES[name]
    spec = _patterns()[key]
    specials = _llama3_specials() if name == "llama3" else spec["special_tokens"]
    return tiktoken.Encoding(
        name=f"oracle-{name}",
        pat_str=spec["pat_str"],
        mergeable_ranks=read_ranks(data_path("vocab", "tiktoken", file)),
        special_tokens=specials,
    )


@functools.cache
def ours(name: str):
    """tokkit's tokenizer for `name`, loaded (and recognised) from the same file."""
    import tokkit

    file, _ = TIKTOKEN_FILES[name]
    return tokkit.load(data_path("vocab", "tiktoken", file))


def pattern_of(key: str) -> str:
    return _patterns()[key]["pat_str"]


@pytest.fixture(params=sorted(TIKTOKEN_FILES))
def encoding_name(request) -> str:
    return request.param
