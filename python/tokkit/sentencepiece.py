"""SentencePiece models: ``.model`` files (Unigram and BPE) and HF ``tokenizer.json`` Unigram
models such as t5-small.

>>> tok = tokkit.load("spiece.model")                  # doctest: +SKIP
>>> tok.tokens("Hello world")                          # doctest: +SKIP
['▁Hello', '▁world']
>>> tok.save("copy.model")                             # doctest: +SKIP

Encoding gives SentencePiece's ids exactly: its normalizer (the precompiled character map
inside the file, whitespace rules, ``▁`` for spaces), its Viterbi, unknown and byte-fallback
handling. Control pieces (``<s>``, ``</s>``) are tokkit special tokens.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Optional

from . import _core
from .tokenizer import Tokenizer


def from_model_bytes(contents: bytes, *, source_name: str = "model", name: Optional[str] = None) -> Tokenizer:
    """A tokenizer from the contents of a SentencePiece ``.model`` file."""
    core = _core.SentencePiece.from_model_bytes(bytes(contents), source_name)
    return Tokenizer(core, name=name or Path(source_name).stem)


def model_bytes(tokenizer: Tokenizer) -> bytes:
    """The ``.model`` file of a SentencePiece tokenizer (loads in sentencepiece too)."""
    core = tokenizer._core
    if not hasattr(core, "to_model_bytes"):
        raise ValueError(
            f"{tokenizer.name!r} is not a SentencePiece model, so it cannot be saved as a .model file; "
            f"save it as .json or .tiktoken"
        )
    return core.to_model_bytes()


_SUPPORTED_NORMALIZERS = "Precompiled (SentencePiece's character map), or none"


def _charsmap(normalizer: Optional[dict]) -> Optional[bytes]:
    """The precompiled character map of a HF normalizer, or None for no normalization."""
    if normalizer is None:
        return None
    kind = normalizer.get("type")
    if kind == "Precompiled":
        blob = normalizer.get("precompiled_charsmap")
        return base64.b64decode(blob) if blob else None
    if kind == "Sequence":
        maps = [m for m in (_charsmap(n) for n in normalizer.get("normalizers", [])) if m is not None]
        if len(maps) > 1:
            raise ValueError("this tokenizer.json chains two Precompiled normalizers; tokkit reads one")
        return maps[0] if maps else None
    if kind == "Replace" and normalizer.get("content") == " " and normalizer.get("pattern", {}).get("String") == " ":
        return None
    raise ValueError(
        f"this tokenizer.json uses the normalizer {kind!r}, which tokkit's Unigram loader does not support "
        f"(supported: {_SUPPORTED_NORMALIZERS})"
    )


def is_hf_unigram(model: dict) -> bool:
    """Whether a tokenizer.json ``model`` is Unigram: typed so, or (older files, which
    name no type) a vocab of [piece, score] pairs."""
    if "type" in model:
        return model["type"] == "Unigram"
    vocab = model.get("vocab")
    return isinstance(vocab, list) and bool(vocab) and isinstance(vocab[0], list) and len(vocab[0]) == 2


def from_hf_unigram(document: dict, *, name: str = "unigram") -> Tokenizer:
    """A tokenizer from a HF ``tokenizer.json`` document whose model is Unigram.

    The pieces keep their ids and scores; added tokens marked special become control
    pieces (tokkit special tokens); the normalizer must be Precompiled (SentencePiece's
    character map) or absent, and words are split at whitespace with ``▁`` in front, as
    HF's WhitespaceSplit + Metaspace (or SentencePiece's own rules) do.
    """
    model = document.get("model") or {}
    if not is_hf_unigram(model):
        raise ValueError(f"expected a Unigram model in the tokenizer.json, found {model.get('type')!r}")
    vocab = model.get("vocab")
    if not isinstance(vocab, list) or not vocab:
        raise ValueError("the Unigram model of this tokenizer.json has no vocab list")
    unk_id = model.get("unk_id")
    special = {t["id"] for t in document.get("added_tokens", []) if t.get("special")}
    byte_fallback = bool(model.get("byte_fallback", False))
    pieces = []
    for i, (text, score) in enumerate(vocab):
        if i == unk_id:
            kind = "unknown"
        elif i in special:
            kind = "control"
        elif byte_fallback and len(text) == 6 and text.startswith("<0x") and text.endswith(">"):
            kind = "byte"
        else:
            kind = "normal"
        pieces.append((text, float(score), kind))
    if unk_id is None:
        raise ValueError("this Unigram tokenizer.json has no unk_id; tokkit needs an unknown piece")
    core = _core.SentencePiece.from_pieces(
        "unigram", pieces, charsmap=_charsmap(document.get("normalizer")), add_dummy_prefix=True,
        remove_extra_whitespaces=True, byte_fallback=byte_fallback,
    )
    return Tokenizer(core, name=name)
