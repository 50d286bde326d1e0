"""Decoding inverts encoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TIKTOKEN_FILES, examples, ours


@pytest.mark.parametrize("name", sorted(TIKTOKEN_FILES))
@settings(max_examples=examples(300), deadline=None)
@given(text=st.text())
def test_decode_inverts_encode_on_any_text(name, text):
    tok = ours(name)
    assert tok.decode(tok.encode(text, disallowed_special=())) == text


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
@settings(max_examples=examples(300), deadline=None)
@given(data=st.binary(max_size=200))
def test_decode_bytes_inverts_encode_bytes_on_any_bytes(name, data):
    tok = ours(name)
    assert tok.decode_bytes(tok.encode_bytes(data)) == data


def test_surrogates_are_replaced_as_tiktoken_does():
    tok = ours("cl100k_base")
    assert tok.decode(tok.encode("a\ud800b")) == "a\ufffdb"
    # A surrogate pair is joined into the character it stands for.
    assert tok.decode(tok.encode("\ud83d\ude00")) == "😀"


def test_huge_inputs_encode_without_quadratic_time():
    tok = ours("cl100k_base")
    one_char = "a" * 10_000_000
    ids = tok.encode_ordinary(one_char)
    assert tok.decode(ids) == one_char
