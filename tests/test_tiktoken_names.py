"""tiktoken's names on a tokkit Tokenizer give what tiktoken's own give."""

from __future__ import annotations

import numpy as np
import pytest

import tokkit

from conftest import data_path, oracle, ours

TEXTS = ["hello world", "héllo 日本語 🙂", "  spaces\n\nand\ttabs ", "", "don't STOP 12345"]


@pytest.fixture(scope="module")
def pair():
    return ours("cl100k_base"), oracle("cl100k_base")


def test_vocabulary_names(pair):
    ours, theirs = pair
    assert ours.n_vocab == theirs.n_vocab
    assert ours.max_token_value == theirs.max_token_value
    assert ours.eot_token == theirs.eot_token
    assert ours.special_tokens_set == theirs.special_tokens_set


def test_single_tokens(pair):
    ours, theirs = pair
    for token in [b"hello", b" world", b"\xe6\x97", "<|endoftext|>", "<|fim_prefix|>"]:
        assert ours.encode_single_token(token) == theirs.encode_single_token(token)
    for id in [0, 15339, 100257, theirs.max_token_value]:
        assert ours.decode_single_token_bytes(id) == theirs.decode_single_token_bytes(id)
    with pytest.raises(KeyError, match="not a single token"):
        ours.encode_single_token("hello world")
    with pytest.raises(ValueError, match="not in the vocabulary"):
        ours.decode_single_token_bytes(ours.n_vocab)
    with pytest.raises(TypeError, match="a token id must be an int"):
        ours.decode_tokens_bytes([15339, 1.5])


def test_batches_offsets_and_arrays(pair):
    ours, theirs = pair
    assert ours.encode_ordinary_batch(TEXTS + ["<|endoftext|>"]) == theirs.encode_ordinary_batch(TEXTS + ["<|endoftext|>"])
    batch = [theirs.encode(t) for t in TEXTS]
    assert ours.decode_batch(batch) == theirs.decode_batch(batch)
    for text in TEXTS:
        ids = theirs.encode(text)
        assert ours.decode_tokens_bytes(ids) == theirs.decode_tokens_bytes(ids)
        assert ours.decode_with_offsets(ids) == theirs.decode_with_offsets(ids)
        array = ours.encode_to_numpy(text)
        assert array.dtype == np.uint32 and array.tolist() == ids


def test_a_tokenizer_without_endoftext_says_so():
    enc = tokkit.from_tiktoken(data_path("vocab", "tiktoken", "r50k_base.tiktoken"), pattern="gpt2")
    with pytest.raises(KeyError, match="has no <\\|endoftext\\|> special token"):
        enc.eot_token
