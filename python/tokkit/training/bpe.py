"""Byte-level BPE (GPT-2 / tiktoken style): counting pre-tokens, and training on them.

Training is two steps that can be run apart: ``count_pre_tokens`` (parallel, and additive
across shards) and training on the counts (``train_bpe(counts=...)``).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

from .. import _core
from ..tokenizer import Tokenizer
from .corpus import Corpus, feed, looks_like_path
from .options import check_int, check_threads, special_token_list
from .progress import MergeBar, progress_enabled


class PreTokenCounts:
    """How often each pre-token occurs in a corpus, under one pre-tokenizer pattern.

    Counts add up (``a + b``), save and load, so shards can be counted apart:

    >>> counts = tokkit.count_pre_tokens(["shard1.txt"], pattern="cl100k")   # doctest: +SKIP
    >>> counts.save("shard1.counts.json")                                      # doctest: +SKIP
    >>> total = PreTokenCounts.load("shard1.counts.json") + other              # doctest: +SKIP
    >>> tok = tokkit.train_bpe(counts=total, vocab_size=32_000)                # doctest: +SKIP
    """

    FORMAT = "tokkit-pre-token-counts"

    def __init__(self, core):
        self._core = core

    @property
    def pattern(self) -> str:
        return self._core.pattern

    def __len__(self) -> int:
        return len(self._core)

    def __getitem__(self, piece: str) -> int:
        return self._core.get(piece)

    @property
    def total(self) -> int:
        """The number of pre-tokens counted."""
        return self._core.total

    def items(self) -> list[tuple[str, int]]:
        """(piece, count), sorted by piece."""
        return self._core.items()

    def most_common(self, n: Optional[int] = None) -> list[tuple[str, int]]:
        ranked = sorted(self.items(), key=lambda item: (-item[1], item[0]))
        return ranked if n is None else ranked[:n]

    def __add__(self, other: "PreTokenCounts") -> "PreTokenCounts":
        if not isinstance(other, PreTokenCounts):
            return NotImplemented
        if other.pattern != self.pattern:
            raise ValueError("cannot add pre-token counts made with different patterns")
        total = _core.PreTokenCounts(self.pattern)
        total.merge(self._core)
        total.merge(other._core)
        return PreTokenCounts(total)

    def __repr__(self) -> str:
        return f"<PreTokenCounts: {len(self)} distinct pre-tokens, {self.total} in all>"

    def save(self, path: Union[str, os.PathLike]) -> None:
        document = {"format": self.FORMAT, "version": 1, "pattern": self.pattern, "counts": self.items()}
        Path(path).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "PreTokenCounts":
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"{path} is not a pre-token counts file ({e})") from None
        if not isinstance(document, dict) or document.get("format") != cls.FORMAT:
            raise ValueError(f"{path} is not a pre-token counts file written by PreTokenCounts.save")
        core = _core.PreTokenCounts(document["pattern"])
        for piece, count in document["counts"]:
            core.add(piece, count)
        return cls(core)


def count_pre_tokens(
    corpus: Corpus,
    *,
    pattern: str = "cl100k",
    errors: str = "strict",
    text_field: str = "text",
    show_progress=True,
    threads: Optional[int] = None,
) -> PreTokenCounts:
    """Counts the pre-tokens of a corpus (see the module doc for what a corpus can be).

    ``errors="replace"`` reads invalid UTF-8 as U+FFFD instead of failing on it.
    """
    check_threads(threads)
    core = _core.PreTokenCounts(pattern)
    feed(core, corpus, errors=errors, text_field=text_field, enabled=progress_enabled(show_progress), threads=threads)
    return PreTokenCounts(core)


def train_bpe(
    corpus: Union[Corpus, Mapping[str, Corpus], None] = None,
    *,
    vocab_size: int,
    pattern: Optional[str] = None,
    special_tokens: Sequence[str] = (),
    min_frequency: int = 2,
    max_token_length: Optional[int] = None,
    balance_languages: bool = False,
    show_progress=True,
    threads: Optional[int] = None,
    counts: Union[PreTokenCounts, Mapping[str, PreTokenCounts], None] = None,
    errors: str = "strict",
    text_field: str = "text",
    name: str = "bpe",
) -> Tokenizer:
    """Trains a byte-level BPE tokenizer (GPT-2 / tiktoken style). For a BPE over
    characters (SentencePiece style), see ``train_char_bpe``.

    >>> tok = tokkit.train_bpe(["corpus.txt"], vocab_size=32_000, pattern="cl100k")  # doctest: +SKIP

    ``vocab_size`` counts everything: the 256 byte tokens, the merges, and the special
    tokens (which take the last ids). Pairs seen fewer than ``min_frequency`` times are
    never merged, and no token grows past ``max_token_length`` bytes. The same corpus and
    options give the same vocabulary whatever ``threads`` is. Pass ``counts`` (from
    ``count_pre_tokens``) instead of a corpus to train on counts made earlier; the
    tokenizer then uses the counts' pattern. ``pattern`` defaults to ``"cl100k"``.

    The corpus may come per language, ``{language: corpus}`` (each a text, a list of texts,
    or paths and globs), or ``counts`` as ``{language: PreTokenCounts}``. With
    ``balance_languages=True`` training is parity-aware (Foroutan et al., 2025): each merge
    is the pair most frequent in the language whose text takes the most tokens so far,
    which evens out the token counts of texts that say the same things (a parallel corpus).
    Ties between languages go to the first name in sorted order.

    >>> tok = tokkit.train_bpe({"eng": english_lines, "amh": amharic_lines},
    ...                        vocab_size=4_000, balance_languages=True)  # doctest: +SKIP
    """
    check_int("vocab_size", vocab_size)
    check_int("min_frequency", min_frequency)
    if max_token_length is not None:
        check_int("max_token_length", max_token_length)
    specials = special_token_list(special_tokens)
    check_threads(threads)
    if (corpus is None) == (counts is None):
        raise ValueError("pass either a corpus or counts= (from tokkit.count_pre_tokens), not both or neither")
    if counts is None:
        def count(part: Corpus) -> PreTokenCounts:
            return count_pre_tokens(part, pattern=pattern or "cl100k", errors=errors, text_field=text_field,
                                    show_progress=show_progress, threads=threads)

        if isinstance(corpus, Mapping):
            counts = {language: count(_language_corpus(language, part)) for language, part in corpus.items()}
        else:
            counts = count(corpus)
    by_language = counts if isinstance(counts, Mapping) else None
    for one in (by_language or {None: counts}).values():
        if not isinstance(one, PreTokenCounts):
            raise TypeError("counts must be a PreTokenCounts from tokkit.count_pre_tokens, or a dict of them")
        if pattern is not None and _core.resolve_pattern(pattern) != one.pattern:
            raise ValueError("pattern differs from the pattern the counts were made with; leave pattern out "
                             "to use the counts' pattern")
    if balance_languages and by_language is None:
        raise ValueError("balance_languages=True needs the corpus per language: pass {language: texts or paths} "
                         "(or counts={language: PreTokenCounts})")
    if by_language is not None:
        _check_languages(by_language)
    bar = MergeBar(progress_enabled(show_progress), total=max(vocab_size - 256 - len(specials), 0))
    options = dict(vocab_size=vocab_size, min_frequency=min_frequency, max_token_length=max_token_length,
                   special_tokens=specials, progress=bar)
    try:
        if balance_languages:
            core = _core.train_bpe_parity([by_language[language]._core for language in sorted(by_language)],
                                          **options)
        else:
            total = counts if by_language is None else _sum_counts(by_language.values())
            core = total._core.train_bpe(**options)
    finally:
        bar.close()
    if core.id_bound < vocab_size:
        warnings.warn(
            f"the corpus has too few pairs seen {min_frequency}+ times for {vocab_size} tokens; the vocabulary has "
            f"{core.id_bound}. Use more text, or a lower min_frequency, to reach the size asked for.",
            stacklevel=2,
        )
    return Tokenizer(core, name=name)


def _language_corpus(language: str, corpus: Corpus) -> Corpus:
    """One language's part of a ``{language: corpus}`` mapping: a str that names no file is
    that language's text."""
    if isinstance(corpus, str) and not looks_like_path(corpus):
        return [corpus]
    if isinstance(corpus, Mapping):
        raise TypeError(f"the corpus of {language!r} is a mapping; give a text, a list of texts, or paths")
    return corpus


def _check_languages(by_language: Mapping[str, PreTokenCounts]) -> None:
    if not by_language:
        raise ValueError("the corpus has no languages; pass {language: texts or paths} with at least one")
    empty = sorted(language for language, one in by_language.items() if len(one) == 0)
    if empty:
        raise ValueError(f"no text for {', '.join(map(repr, empty))}; give every language some text, or leave "
                         f"it out")
    if len({one.pattern for one in by_language.values()}) > 1:
        raise ValueError("the per-language counts were made with different patterns; count them all with one")


def _sum_counts(parts: Iterable[PreTokenCounts]) -> PreTokenCounts:
    parts = list(parts)
    total = _core.PreTokenCounts(parts[0].pattern)
    for part in parts:
        total.merge(part._core)
    return PreTokenCounts(total)
