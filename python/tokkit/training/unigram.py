"""Unigram language-model tokenizers (Kudo 2018), trained as SentencePiece trains them.

Each line of the corpus is a sentence; it is normalized as SentencePiece's identity
normalizer does (spaces as ``▁``, one in front, extra spaces dropped) and cut into words at
each ``▁``. Only the word counts are kept, so memory grows with the number of distinct
words; every sentence is used (there is no sampling).
"""

from __future__ import annotations

from typing import Optional, Sequence

from .. import _core
from ..tokenizer import Tokenizer
from .corpus import Corpus, feed
from .options import check_int, check_number, check_threads, special_token_list
from .progress import StageBars, progress_enabled


def train_unigram(
    corpus: Corpus,
    *,
    vocab_size: int,
    character_coverage: float = 0.9995,
    max_piece_length: int = 16,
    split_digits: bool = False,
    byte_fallback: bool = False,
    special_tokens: Sequence[str] = (),
    shrinking_factor: float = 0.75,
    num_sub_iterations: int = 2,
    show_progress=True,
    threads: Optional[int] = None,
    errors: str = "strict",
    text_field: str = "text",
    name: str = "unigram",
) -> Tokenizer:
    """Trains a Unigram tokenizer, SentencePiece's default model.

    >>> tok = tokkit.train_unigram(["corpus.txt"], vocab_size=8_000)   # doctest: +SKIP
    >>> tok.save("unigram.model")        # loads in sentencepiece too  # doctest: +SKIP

    ``vocab_size`` counts everything: ``<unk>``, ``<s>``, ``</s>``, the ``special_tokens``
    (control pieces after them), the 256 byte pieces with ``byte_fallback``, and the learnt
    pieces. Characters rarer than ``character_coverage`` allows become ``<unk>`` (or bytes
    with ``byte_fallback``); pieces are at most ``max_piece_length`` characters, one script
    each, ``▁`` only in front, and with ``split_digits`` digits stand alone. Each pruning
    round keeps ``shrinking_factor`` of the pieces, after ``num_sub_iterations`` EM steps.
    The same corpus and options give the same model whatever ``threads`` is. A corpus too
    small for ``vocab_size`` is a ``ValueError`` that gives the largest size it supports.
    """
    check_int("vocab_size", vocab_size, 1, 2**31 - 1)
    check_number("character_coverage", character_coverage, 1e-9, 1.0)
    check_int("max_piece_length", max_piece_length, 1, 2**16)
    check_number("shrinking_factor", shrinking_factor, 1e-9, 1 - 1e-9)
    check_int("num_sub_iterations", num_sub_iterations, 1, 1000)
    specials = special_token_list(special_tokens)
    check_threads(threads)
    enabled = progress_enabled(show_progress)
    counts = _core.WordCounts()
    feed(counts, corpus, errors=errors, text_field=text_field, enabled=enabled, threads=threads)
    if len(counts) == 0:
        raise ValueError(
            "the corpus has no text to train on (the files are empty or the iterable yielded nothing); "
            "check the paths and globs you passed"
        )
    bars = StageBars(enabled)
    try:
        core = counts.train(
            vocab_size=vocab_size, character_coverage=float(character_coverage), max_piece_length=max_piece_length,
            split_digits=bool(split_digits), byte_fallback=bool(byte_fallback), special_tokens=specials,
            shrinking_factor=float(shrinking_factor), num_sub_iterations=num_sub_iterations, threads=threads,
            progress=bars,
        )
    finally:
        bars.close()
    return Tokenizer(core, name=name)
