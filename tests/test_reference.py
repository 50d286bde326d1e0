"""The Rust engine against the pure-Python reference in tokkit._reference."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokkit
from tokkit import _core
from tokkit._reference import bpe as reference

from conftest import TIKTOKEN_FILES, data_path, examples, ours, pattern_of, read_ranks


@functools.cache
def ranks_of(name: str) -> dict[bytes, int]:
    return read_ranks(data_path("vocab", "tiktoken", TIKTOKEN_FILES[name][0]))


# The `regex` package may carry a newer Unicode than the Rust engine (and tiktoken), so
# the reference comparison keeps to characters assigned in Python's own Unicode tables.
text_strategy = st.one_of(
    st.text(st.characters(exclude_categories=["Cn", "Cs"]), max_size=80),
    st.text(alphabet=st.sampled_from(list("aA sS'\n\r\t1234½中é\u0301!/ ")), max_size=80),
)


@pytest.mark.parametrize("name", ["r50k_base", "cl100k_base", "o200k_base"])
@settings(max_examples=examples(200), deadline=None)
@given(text=text_strategy)
def test_rust_encoding_equals_the_reference(name, text):
    expected = reference.encode(ranks_of(name), pattern_of(name), text)
    assert ours(name).encode_ordinary(text) == expected


@pytest.mark.parametrize("key", ["r50k_base", "cl100k_base", "o200k_base", "llama3"])
@settings(max_examples=examples(300), deadline=None)
@given(text=text_strategy)
def test_builtin_splitters_equal_the_regex(key, text):
    pattern = pattern_of(key)
    assert _core.pre_tokenize(pattern, text) == reference.split(pattern, text)


@settings(max_examples=examples(200), deadline=None)
@given(text=text_strategy)
def test_any_regex_splits_like_the_regex_package(text):
    pattern = r"\p{Lu}?\p{Ll}+|\p{N}|[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
    assert _core.pre_tokenize(pattern, text) == reference.split(pattern, text)


# A toy vocabulary whose merges overlap in every way, for long random pieces.
TOY = {bytes([b]): b for b in range(256)}
for token in [b"ab", b"ba", b"aa", b"aba", b"bab", b"abab", b"aaa", b"baba", b"abba", b"bb"]:
    TOY[token] = len(TOY)


@settings(max_examples=examples(300), deadline=None)
@given(piece=st.text(alphabet="ab", min_size=1, max_size=400))
def test_long_and_short_merges_equal_the_reference(piece, tmp_path_factory):
    tok = toy_tokenizer(tmp_path_factory)
    assert tok.encode_ordinary(piece) == reference.merge(TOY, piece.encode())


@functools.cache
def _toy_file(folder) -> str:
    import base64

    path = folder / "toy.tiktoken"
    path.write_bytes(b"".join(base64.b64encode(t) + b" %d\n" % r for t, r in TOY.items()))
    return str(path)


def toy_tokenizer(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp()
    # One pre-token per run of letters, however long, so whole pieces reach the merge.
    return tokkit.from_tiktoken(_toy_file(folder), pattern=r"[ab]+|[^ab]+")
