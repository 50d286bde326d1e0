"""Training tokenizers from corpora.

A corpus is a path, a glob, a list of paths or globs (plain text, ``.gz``, or JSON Lines
``.jsonl``/``.ndjson`` with the text in ``text_field``), or any iterable of ``str``
documents. Files are read by the Rust engine in chunks, with the GIL released, so a corpus
larger than memory streams through; memory grows with the number of distinct pre-tokens.

Training is two steps that can be run apart: ``count_pre_tokens`` (parallel, and additive
across shards) and training on the counts (``train_bpe(counts=...)``).
"""

from __future__ import annotations

import glob
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Optional, Sequence, Union

from . import _core
from .tokenizer import Tokenizer

Corpus = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Iterable[str]]

_JSON_LINES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_BATCH_BYTES = 8 << 20


# ---- progress ---------------------------------------------------------------------------


def _progress_enabled(show_progress) -> bool:
    """True: bars when stderr is a terminal; "always": bars anyway; False: none."""
    if show_progress == "always":
        return True
    if show_progress not in (True, False):
        raise ValueError(f'show_progress must be True, False or "always", not {show_progress!r}')
    return bool(show_progress) and sys.stderr.isatty()


def _bar(enabled: bool, **kwargs):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)


# ---- corpora ----------------------------------------------------------------------------


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _expand(item: Union[str, os.PathLike]) -> list[Path]:
    text = os.fspath(item)
    if _has_glob(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not found:
            raise FileNotFoundError(f"no files match {text!r}")
        return found
    path = Path(text)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; pass a glob such as {str(path / '*.txt')!r}")
    if not path.exists():
        raise FileNotFoundError(f"no such corpus file: {path}")
    return [path]


def corpus_files(items: Iterable[Union[str, os.PathLike]]) -> list[Path]:
    """Every item taken as a path or a glob (as on a command line): the files they name."""
    return [path for item in items for path in _expand(item)]


def _looks_like_path(item: object) -> bool:
    if isinstance(item, os.PathLike):
        return True
    if not isinstance(item, str) or "\n" in item or len(item) > 4096:
        return False
    try:
        return (_has_glob(item) and bool(glob.glob(item, recursive=True))) or Path(item).is_file()
    except OSError:  # a name too long for the file system: a document, not a path
        return False


def resolve_corpus(corpus: Corpus) -> Union[list[Path], Iterable[str]]:
    """Files (a list of Paths) or documents (an iterable of str).

    A str or Path is a file or a glob. A list or tuple is files when every item names a
    file or matches one, and documents when none does; a mix is an error. Any other
    iterable (a generator, a dataset column) is documents.
    """
    if isinstance(corpus, (str, os.PathLike)):
        return _expand(corpus)
    if isinstance(corpus, (bytes, bytearray)):
        raise TypeError("corpus must be paths, globs or str documents, not bytes")
    if isinstance(corpus, (list, tuple)):
        kinds = [_looks_like_path(item) for item in corpus]
        if corpus and all(kinds):
            return corpus_files(corpus)
        if not any(kinds):
            return corpus
        missing = [item for item, is_path in zip(corpus, kinds) if not is_path][:3]
        raise FileNotFoundError(
            f"some corpus items are files and some are not ({missing!r} are not); pass only paths "
            f"and globs, or only text documents"
        )
    if isinstance(corpus, Iterable):
        return corpus
    raise TypeError(f"corpus must be a path, a glob, a list of them, or an iterable of str, not {type(corpus).__name__}")


def _file_spec(path: Path, text_field: str) -> tuple[str, Optional[str]]:
    name = path.name.lower()
    return (str(path), text_field if name.endswith(_JSON_LINES) else None)


def _batches(documents: Iterable[str]) -> Iterator[list[str]]:
    batch, size = [], 0
    for i, document in enumerate(documents):
        if not isinstance(document, str):
            raise TypeError(f"corpus documents must be str; item {i} is {type(document).__name__}")
        batch.append(document)
        size += len(document)
        if size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


# ---- counting ---------------------------------------------------------------------------


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



def feed(counter, corpus: Corpus, *, errors: str, text_field: str, enabled: bool, threads: Optional[int]):
    """Feeds a corpus to a core counter (anything with ``add_files`` and ``add_documents``),
    with a progress bar in bytes: files are read in parallel in Rust, other sources in
    batches of documents."""
    source = resolve_corpus(corpus)
    if isinstance(source, list) and all(isinstance(p, Path) for p in source):
        bar = _bar(enabled, total=sum(p.stat().st_size for p in source), unit="B", unit_scale=True, desc="counting")
        try:
            counter.add_files([_file_spec(p, text_field) for p in source], errors=errors, threads=threads,
                              progress=bar.update if bar is not None else None)
        finally:
            if bar is not None:
                bar.close()
        return
    bar = _bar(enabled, unit="B", unit_scale=True, desc="counting")
    try:
        for batch in _batches(source):
            counter.add_documents(batch, threads=threads)
            if bar is not None:
                bar.update(sum(len(d) for d in batch))
    finally:
        if bar is not None:
            bar.close()

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
    _check_threads(threads)
    core = _core.PreTokenCounts(pattern)
    feed(core, corpus, errors=errors, text_field=text_field, enabled=_progress_enabled(show_progress), threads=threads)
    return PreTokenCounts(core)


def _check_threads(threads) -> None:
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a positive int or None (all cores), not {threads!r}")


def _check_specials(special_tokens) -> list[str]:
    if isinstance(special_tokens, str):
        raise TypeError(f"special_tokens must be a list of str, not the str {special_tokens!r}; "
                        f"did you mean [{special_tokens!r}]?")
    specials = list(special_tokens)
    for token in specials:
        if not isinstance(token, str) or not token:
            raise ValueError(f"special tokens must be non-empty str, found {token!r}")
    duplicates = sorted({t for t in specials if specials.count(t) > 1})
    if duplicates:
        raise ValueError(f"special tokens must be unique; given more than once: {duplicates}")
    return specials


# ---- BPE --------------------------------------------------------------------------------


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
    byte_level: bool = True,
    byte_fallback: bool = False,
    character_coverage: float = 1.0,
) -> Tokenizer:
    """Trains a byte-level BPE tokenizer (GPT-2 / tiktoken style), or with
    ``byte_level=False`` a BPE over characters (SentencePiece style).

    >>> tok = tokkit.train_bpe(["corpus.txt"], vocab_size=32_000, pattern="cl100k")  # doctest: +SKIP
    >>> sp = tokkit.train_bpe(["corpus.txt"], vocab_size=32_000, byte_level=False, byte_fallback=True)  # doctest: +SKIP

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

    With ``byte_level=False`` the initial symbols are characters: spaces become "▁", the
    text starts with one, words are the runs that start at a "▁" (a newline stands alone),
    and merges never cross words. The alphabet is every character of the corpus (or the
    most frequent ones covering ``character_coverage`` of it); the rest become ``<0xXX>``
    byte tokens with ``byte_fallback=True``, or ``<unk>``. ``<unk>`` and the special
    tokens take the first ids. It saves as a tokenizer.json shaped like Phi-3's.
    """
    if not isinstance(vocab_size, int) or isinstance(vocab_size, bool) or vocab_size < 1:
        raise ValueError(f"vocab_size must be a positive int, not {vocab_size!r}")
    if not isinstance(min_frequency, int) or min_frequency < 1:
        raise ValueError(f"min_frequency must be an int of at least 1, not {min_frequency!r}")
    if max_token_length is not None and (not isinstance(max_token_length, int) or max_token_length < 1):
        raise ValueError(f"max_token_length must be a positive int or None, not {max_token_length!r}")
    if not byte_level:
        return _train_char_bpe(corpus, vocab_size=vocab_size, pattern=pattern, special_tokens=special_tokens,
                               min_frequency=min_frequency, max_token_length=max_token_length,
                               show_progress=show_progress, threads=threads, counts=counts, errors=errors,
                               text_field=text_field, name=name, byte_fallback=byte_fallback,
                               character_coverage=character_coverage)
    if byte_fallback:
        raise ValueError("byte_fallback is for character-level BPE (byte_level=False); byte-level BPE has every byte")
    specials = _check_specials(special_tokens)
    _check_threads(threads)
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
    bar = _bar(_progress_enabled(show_progress), total=max(vocab_size - 256 - len(specials), 0), desc="merging",
               unit="merge")
    done = [0]

    def advance(merges: int) -> None:
        if bar:
            bar.update(merges - done[0])
            done[0] = merges

    options = dict(vocab_size=vocab_size, min_frequency=min_frequency, max_token_length=max_token_length,
                   special_tokens=specials, progress=advance)
    try:
        if balance_languages:
            core = _core.train_bpe_parity([by_language[language]._core for language in sorted(by_language)],
                                          **options)
        else:
            total = counts if by_language is None else _sum_counts(by_language.values())
            core = total._core.train_bpe(**options)
    finally:
        if bar:
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
    if isinstance(corpus, str) and not _looks_like_path(corpus):
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


def _train_char_bpe(corpus, *, vocab_size, pattern, special_tokens, min_frequency, max_token_length, show_progress,
                    threads, counts, errors, text_field, name, byte_fallback, character_coverage) -> Tokenizer:
    from .trainers import train_char_bpe

    if pattern is not None:
        raise ValueError("pattern is for byte-level BPE; character-level BPE cuts words at spaces (SentencePiece "
                         "style): leave pattern out, or pass byte_level=True")
    if counts is not None:
        raise ValueError("counts= holds byte-level pre-token counts; character-level BPE counts its own words: pass "
                         "the corpus instead")
    if corpus is None:
        raise ValueError("pass a corpus to train on")
    return train_char_bpe(corpus, vocab_size=vocab_size, special_tokens=_check_specials(special_tokens),
                          min_frequency=min_frequency, max_token_length=max_token_length, byte_fallback=byte_fallback,
                          character_coverage=character_coverage, show_progress=show_progress, threads=threads,
                          errors=errors, text_field=text_field, name=name)
