"""HuggingFace ``tokenizer.json``, in both directions.

``load_tokenizer_json`` builds the whole pipeline (normalizer, pre-tokenizer, model,
post-processor, decoder, added tokens) in the Rust engine, which gives HF's ids, tokens
and offsets; a component tokkit cannot run exactly is an error naming it. Pipelines save
with the engine's writer; tiktoken-style byte-level BPE with ``tokenizer_json`` below.

HF's byte-level models spell every byte as a printable character (GPT-2's mapping: the
printable Latin-1 bytes stand for themselves, the other 68 bytes for U+0100 onwards), so
a vocabulary entry such as ``Ġworld`` is the bytes `` world``.

The pre-tokenizer regex is written in a form HF's regex engine (Oniguruma) reads as
tiktoken's engine does: Oniguruma takes ``X{1,3}+`` as "one or more runs of 1-3 X"
rather than a possessive quantifier, so the ``+`` after a counted repetition is dropped
(possessiveness changes nothing there, as nothing follows it in its alternative).
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Union

from . import _core
from .tokenizer import Tokenizer


def load_tokenizer_json(contents: Union[str, bytes], *, name: str = "tokenizer") -> Tokenizer:
    """The tokenizer a tokenizer.json document describes.

    >>> tok = load_tokenizer_json(Path("bert/tokenizer.json").read_text())  # doctest: +SKIP
    >>> tok.encode("Hello!")                                                 # doctest: +SKIP
    [101, 7592, 999, 102]
    """
    if isinstance(contents, bytes):
        contents = contents.decode("utf-8")
    return Tokenizer(_core.Pipeline.from_json(contents), name=name)


@lru_cache(maxsize=1)
def byte_to_char() -> tuple[str, ...]:
    """The character HF's byte-level models use for each byte value.

    >>> byte_to_char()[ord("a")], byte_to_char()[ord(" ")], byte_to_char()[ord("\\n")]
    ('a', 'Ġ', 'Ċ')
    """
    printable = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAC + 1)) | set(range(0xAE, 0xFF + 1))
    chars, shifted = [], 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(256 + shifted))
            shifted += 1
    return tuple(chars)


def bytes_to_hf(token: bytes) -> str:
    table = byte_to_char()
    return "".join(table[b] for b in token)


def hf_pattern(pattern: str) -> str:
    """The pattern rewritten for Oniguruma: ``{m,n}+`` becomes ``{m,n}``.

    >>> hf_pattern(r"\\p{N}{1,3}+| ?\\p{L}++")
    '\\\\p{N}{1,3}| ?\\\\p{L}++'
    """
    return re.sub(r"(\{\d+(?:,\d*)?\})\+", r"\1", pattern)


def _merges_from_ranks(tokens: list) -> list[tuple[int, int]]:
    """Merges for a rank table: every split of a token into two lower-ranked tokens, in
    the token's rank order (tiktoken joins any such pair)."""
    ids = {t: i for i, t in enumerate(tokens) if t is not None}
    merges = []
    for rank, token in enumerate(tokens):
        if token is None or len(token) < 2:
            continue
        splits = []
        for cut in range(1, len(token)):
            left, right = ids.get(token[:cut]), ids.get(token[cut:])
            if left is not None and right is not None and left < rank and right < rank:
                splits.append((left, right))
        merges.extend(sorted(splits))
    return merges


def tokenizer_json(tokenizer: Tokenizer) -> dict:
    """The ``tokenizer.json`` document for a tiktoken-style byte-level BPE tokenizer."""
    core = tokenizer._core
    tokens = core.vocab_tokens()
    merges = core.merges() if core.model_kind == "merges" else _merges_from_ranks(tokens)
    spelled = [None if t is None else bytes_to_hf(t) for t in tokens]
    vocab = {s: i for i, s in enumerate(spelled) if s is not None}
    added = [
        {"id": id, "content": text, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for text, id in sorted(tokenizer.special_tokens.items(), key=lambda item: item[1])
    ]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": hf_pattern(tokenizer.pattern)}, "behavior": "Isolated",
                 "invert": False},
                byte_level,
            ],
        },
        "post_processor": None,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": core.model_kind == "ranks",
            "vocab": vocab,
            "merges": [[spelled[left], spelled[right]] for left, right in merges],
        },
    }


def save_tokenizer_json(tokenizer: Tokenizer, path: Union[str, os.PathLike]) -> None:
    if isinstance(tokenizer._core, _core.Pipeline):
        Path(path).write_text(tokenizer._core.to_json(), encoding="utf-8")
        return
    Path(path).write_text(json.dumps(tokenizer_json(tokenizer), ensure_ascii=False), encoding="utf-8")
