"""Training Unigram language-model tokenizers (Kudo 2018), as SentencePiece trains them.

A corpus is what ``train_bpe`` takes (paths, globs, iterables of documents; see
``tokkit.train``). Each line is a sentence; it is normalized as SentencePiece's identity
normalizer does (spaces as ``▁``, one in front, extra spaces dropped) and cut into words
at each ``▁``. Only the word counts are kept, so memory grows with the number of distinct
words; every sentence is used (there is no sampling).
"""

from __future__ import annotations

from typing import Optional, Sequence

from . import _core
from .tokenizer import Tokenizer
from .train import Corpus, _bar, _check_specials, _check_threads, _progress_enabled, feed


def _count_words(corpus: Corpus, *, errors: str, text_field: str, enabled: bool, threads: Optional[int]):
    counts = _core.WordCounts()
    feed(counts, corpus, errors=errors, text_field=text_field, enabled=enabled, threads=threads)
    return counts


class _StageBars:
    """One progress bar per training stage (seeding, each EM round, each pruning)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = _bar(True, total=total, desc=stage, unit="step")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _check_number(name: str, value, low: float, high: float, *, integer: bool = False) -> None:
    kind = int if integer else (int, float)
    if not isinstance(value, kind) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be {'an int' if integer else 'a number'} in [{low}, {high}], not {value!r}")


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
    _check_number("vocab_size", vocab_size, 1, 2**31 - 1, integer=True)
    _check_number("character_coverage", character_coverage, 1e-9, 1.0)
    _check_number("max_piece_length", max_piece_length, 1, 2**16, integer=True)
    _check_number("shrinking_factor", shrinking_factor, 1e-9, 1 - 1e-9)
    _check_number("num_sub_iterations", num_sub_iterations, 1, 1000, integer=True)
    specials = _check_specials(special_tokens)
    _check_threads(threads)
    enabled = _progress_enabled(show_progress)
    counts = _count_words(corpus, errors=errors, text_field=text_field, enabled=enabled, threads=threads)
    if len(counts) == 0:
        raise ValueError(
            "the corpus has no text to train on (the files are empty or the iterable yielded nothing); "
            "check the paths and globs you passed"
        )
    bars = _StageBars(enabled)
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
