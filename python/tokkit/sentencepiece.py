"""SentencePiece models: ``.model`` files (Unigram and BPE). (HF ``tokenizer.json`` Unigram
models, such as t5-small's, load as HF pipelines: see ``hf.py``.)

>>> tok = tokkit.load("spiece.model")                  # doctest: +SKIP
>>> tok.tokens("Hello world")                          # doctest: +SKIP
['▁Hello', '▁world']
>>> tok.save("copy.model")                             # doctest: +SKIP

Encoding gives SentencePiece's ids exactly: its normalizer (the precompiled character map
inside the file, whitespace rules, ``▁`` for spaces), its Viterbi, unknown and byte-fallback
handling. Control pieces (``<s>``, ``</s>``) are tokkit special tokens.
"""

from __future__ import annotations

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
