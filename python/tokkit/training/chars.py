"""Character tokenizers: each character of the corpus a token, most frequent first."""

from __future__ import annotations

from typing import Optional, Sequence

from .. import _core
from ..tokenizer import Tokenizer
from .corpus import Corpus, feed
from .options import check_coverage, check_threads, special_token_list
from .progress import progress_enabled


def train_char(
    corpus: Corpus,
    *,
    special_tokens: Sequence[str] = (),
    byte_fallback: bool = True,
    character_coverage: float = 0.9995,
    graphemes: bool = False,
    show_progress=True,
    threads: Optional[int] = None,
    errors: str = "strict",
    text_field: str = "text",
    name: str = "char",
) -> Tokenizer:
    """A character tokenizer: each character of the corpus is a token, most frequent first.

    >>> tok = tokkit.train_char(["corpus.txt"])                              # doctest: +SKIP

    The rarest characters, beyond ``character_coverage`` of all occurrences (SentencePiece's
    0.9995 by default; 1 keeps every character), and characters never seen become their
    UTF-8 bytes as ``<0xXX>`` tokens with ``byte_fallback`` (so decoding is lossless), or
    ``<unk>`` without it. ``graphemes=True`` makes extended grapheme clusters the units
    (``é`` written as e + U+0301 is one token); a cluster outside the vocabulary falls back
    to its characters.
    """
    check_coverage(character_coverage)
    specials = special_token_list(special_tokens)
    check_threads(threads)
    counts = _core.PieceCounts.chars(bool(graphemes))
    feed(counts, corpus, errors=errors, text_field=text_field, enabled=progress_enabled(show_progress), threads=threads)
    trained = counts.train_chars(special_tokens=specials, byte_fallback=bool(byte_fallback),
                                 character_coverage=float(character_coverage))
    return Tokenizer(trained, name=name)
