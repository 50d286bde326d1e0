"""The Tokenizer API: batches, offsets, tokens, vocabulary access, files, threads."""

from __future__ import annotations

import concurrent.futures
import json
import os
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokkit

from conftest import data_path, examples, oracle, ours


@pytest.fixture
def cl100k():
    return ours("cl100k_base")


def test_get_encoding_reads_the_cache_folder(monkeypatch):
    monkeypatch.setenv("TOKKIT_CACHE_DIR", str(data_path("vocab", "tiktoken")))
    tok = tokkit.get_encoding("cl100k_base")
    assert tok.encode("hello world") == [15339, 1917]
    assert tokkit.get_encoding("cl100k_base") is tok
    assert tokkit.get_encoding("o200k_base").encode("hello world") == oracle("o200k_base").encode("hello world")


def test_get_encoding_rejects_a_corrupt_cached_file(monkeypatch, tmp_path):
    monkeypatch.setenv("TOKKIT_CACHE_DIR", str(tmp_path))
    (tmp_path / "llama3.tiktoken").write_bytes(b"YQ== 0\n")
    with pytest.raises(ValueError, match="SHA-256 differs"):
        tokkit.get_encoding("llama3")


def test_get_encoding_names_the_known_encodings():
    with pytest.raises(ValueError, match="unknown encoding 'gpt5_base'; tokkit knows .*cl100k_base"):
        tokkit.get_encoding("gpt5_base")


def test_encode_batch_returns_one_uint32_array_per_text(cl100k):
    texts = ["hello world", "", "ünïcödé text", "x" * 1000]
    rows = cl100k.encode_batch(texts)
    assert len(rows) == len(texts)
    for text, row in zip(texts, rows):
        assert row.dtype == np.uint32
        assert row.tolist() == cl100k.encode(text)


def test_flat_encode_batch_gives_ids_and_row_offsets(cl100k):
    texts = ["a b c", "", "hello there"]
    ids, offsets = cl100k.encode_batch(texts, flat=True)
    assert offsets.tolist()[0] == 0 and len(offsets) == len(texts) + 1
    for i, text in enumerate(texts):
        assert ids[offsets[i] : offsets[i + 1]].tolist() == cl100k.encode(text)


def test_encode_batch_applies_special_token_rules(cl100k):
    with pytest.raises(ValueError, match="<\\|endoftext\\|>"):
        cl100k.encode_batch(["fine", "not <|endoftext|> fine"])
    rows = cl100k.encode_batch(["a<|endoftext|>"], allowed_special="all")
    assert rows[0].tolist()[-1] == 100257


@settings(max_examples=examples(200), deadline=None)
@given(text=st.text())
def test_offsets_point_at_each_tokens_characters(text):
    tok = ours("o200k_base")
    ids, offsets = tok.encode_with_offsets(text, disallowed_special=())
    assert ids == tok.encode(text, disallowed_special=())
    assert len(offsets) == len(ids)
    previous_end = 0
    for (start, end), id in zip(offsets, ids):
        assert 0 <= start < end <= len(text)
        assert start >= previous_end - 1  # tokens may share a character they split
        previous_end = end
        token = tok.decode_bytes([id])
        assert token in text[start:end].encode("utf-8")
    if ids:
        assert offsets[0][0] == 0 and offsets[-1][1] == len(text)


def test_offsets_of_specials_and_ascii(cl100k):
    text = "hi<|endoftext|>there"
    ids, offsets = cl100k.encode_with_offsets(text, allowed_special="all")
    assert [text[s:e] for s, e in offsets] == ["hi", "<|endoftext|>", "there"]


def test_tokens_are_strings_or_partial_bytes(cl100k):
    assert cl100k.tokens("hello world") == ["hello", " world"]
    pieces = cl100k.tokens("🤗")
    assert b"".join(p.encode() if isinstance(p, str) else p for p in pieces) == "🤗".encode()
    assert any(isinstance(p, bytes) for p in pieces)


def test_count_is_the_number_of_ids(cl100k):
    assert cl100k.count("one two three") == len(cl100k.encode("one two three")) == 3


ARRAY_TEXTS = ["", "one two three", "<|endoftext|> in the middle", "x" * 5000, "日本語\n\n  tabs\t"]
ARRAY_TOKENIZERS = {
    "tiktoken": lambda: ours("cl100k_base"),
    "tokenizer.json": lambda: tokkit.load(data_path("vocab", "hf", "bert-base-uncased", "tokenizer.json")),
    "sentencepiece": lambda: tokkit.load(data_path("vocab", "spm", "mistral_7b_v1.model")),
}


@pytest.mark.parametrize("family", sorted(ARRAY_TOKENIZERS))
def test_arrays_and_counts_follow_encode_and_its_special_token_rules(family):
    tok = ARRAY_TOKENIZERS[family]()
    choices = [{}, {"allowed_special": "all"}, {"disallowed_special": ()}, {"add_special_tokens": False}]
    for text in ARRAY_TEXTS:
        for choice in choices:
            try:
                ids = tok.encode(text, **choice)
            except ValueError as error:
                with pytest.raises(ValueError, match=re.escape(str(error)[:40])):
                    tok.encode_to_numpy(text, **choice)
                with pytest.raises(ValueError, match=re.escape(str(error)[:40])):
                    tok.count(text, **choice)
                continue
            array = tok.encode_to_numpy(text, **choice)
            assert array.dtype == np.uint32 and array.ndim == 1
            assert array.tolist() == ids
            assert tok.count(text, **choice) == len(ids)


def test_vocabulary_lookups(cl100k):
    assert cl100k.vocab_size == 100277
    assert cl100k.token_to_id(" world") == 1917
    assert cl100k.token_to_id(b" world") == 1917
    assert cl100k.id_to_token(1917) == " world"
    assert cl100k.token_to_id("<|endoftext|>") == 100257
    assert cl100k.id_to_token(100257) == "<|endoftext|>"
    assert cl100k.token_to_id("no such token anywhere") is None
    with pytest.raises(ValueError, match="100261 is not in the vocabulary"):
        cl100k.id_to_token(100261)


def test_pre_tokenize_shows_the_pieces(cl100k):
    assert cl100k.pre_tokenize("I'm here  now") == ["I", "'m", " here", " ", " now"]


@pytest.mark.parametrize("name", ["cl100k_base.tiktoken", "roberta-base", "t5-small"])
def test_the_piece_cache_serves_repeats_without_changing_ids(name):
    tok = ours("cl100k_base") if name.endswith(".tiktoken") else tokkit.load(data_path("vocab", "hf", name, "tokenizer.json"))
    # Words made up here, so no earlier test has cached them on this thread.
    text = " ".join(f"zq{n}xv{n * 7}unbelievablenesses{n}" for n in range(50))
    before = tok.cache_info()
    first = tok.encode(text, disallowed_special=())
    middle = tok.cache_info()
    second = tok.encode(text, disallowed_special=())
    after = tok.cache_info()
    assert first == second
    looked_up = after["lookups"] - middle["lookups"]
    assert looked_up > 0 and after["hits"] - middle["hits"] == looked_up
    assert middle["hits"] - before["hits"] < middle["lookups"] - before["lookups"]
    assert after["pieces"] >= middle["pieces"] > 0
    # Another thread has a cache of its own, and gets the same ids.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(tok.encode, text, disallowed_special=()).result() == first
        other = pool.submit(tok.cache_info).result()
    assert other["lookups"] == middle["lookups"] - before["lookups"] and other["hits"] <= other["lookups"]


def test_sentencepiece_models_have_no_piece_cache():
    assert ARRAY_TOKENIZERS["sentencepiece"]().cache_info() is None


@pytest.mark.parametrize("family", sorted(ARRAY_TOKENIZERS))
def test_pre_token_count_counts_the_pieces(family):
    tok = ARRAY_TOKENIZERS[family]()
    for text in ARRAY_TEXTS + ["I'm here  now", "a\ud800b"]:
        assert tok.pre_token_count(text) == len(tok.pre_tokenize(text))
    assert tok.pre_token_count("one two three") > 0


def test_decode_accepts_lists_and_arrays(cl100k):
    ids = cl100k.encode("hello world")
    for form in (ids, np.array(ids, dtype=np.uint32), np.array(ids, dtype=np.int64), tuple(ids)):
        assert cl100k.decode(form) == "hello world"


def test_decode_replaces_partial_characters_unless_strict(cl100k):
    first = cl100k.encode("🤗")[:1]
    assert cl100k.decode(first) == "\ufffd"
    with pytest.raises(UnicodeDecodeError):
        cl100k.decode(first, errors="strict")


@pytest.mark.parametrize("filename", ["tok.json", "tok.tiktoken"])
def test_save_then_load_gives_the_same_tokenizer(tmp_path, filename):
    original = tokkit.from_tiktoken(
        data_path("vocab", "tiktoken", "r50k_base.tiktoken"),
        pattern=r"\p{L}+|\p{N}|\s+|[^\s\p{L}\p{N}]+",
        special_tokens={"<|sep|>": 60000},
        name="custom",
    )
    path = tmp_path / filename
    original.save(path)
    loaded = tokkit.load(path)
    text = "Custom pattern: 123 splits   differently!<|sep|>"
    assert loaded.encode(text, allowed_special="all") == original.encode(text, allowed_special="all")
    assert loaded.pattern == original.pattern
    assert loaded.special_tokens == {"<|sep|>": 60000}
    assert loaded.name == "custom"


def test_many_threads_share_one_tokenizer(cl100k):
    texts = [f"thread text number {i} " * (i % 50 + 1) for i in range(400)]
    expected = [cl100k.encode(t) for t in texts]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(cl100k.encode, texts))
        batches = list(pool.map(lambda chunk: cl100k.encode_batch(chunk), [texts[i::8] for i in range(8)]))
    assert got == expected
    for i, rows in enumerate(batches):
        assert [r.tolist() for r in rows] == expected[i::8]


def test_tokenizers_pickle_and_work_in_other_processes():
    import multiprocessing
    import pickle

    tok = ours("cl100k_base")
    clone = pickle.loads(pickle.dumps(tok))
    assert clone.encode("pickled text <|endoftext|>", allowed_special="all") == tok.encode(
        "pickled text <|endoftext|>", allowed_special="all")
    assert clone.name == tok.name
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(clone.count, ("counted in another process",)) == tok.count("counted in another process")
