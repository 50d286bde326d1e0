"""Training the other tokenization strategies: characters, words, WordPiece, and BPE over
characters (SentencePiece-style; reached through ``train_bpe(byte_level=False)``).

They take the same corpora as ``train_bpe`` (paths, globs, gzip, JSON Lines, iterables of
str), count in parallel in the Rust engine with the GIL released, show the same progress
bars, and are deterministic: the same corpus and options give the same vocabulary
whatever ``threads`` is. Each returns a ``Tokenizer`` that saves as a tokenizer.json HF
``tokenizers`` loads with the same ids.

Vocabulary layout: the unknown token and the special tokens first (ids 0, 1, ...), then
the 256 ``<0xXX>`` byte tokens where the model has byte fallback, then what was learned.
"""

from __future__ import annotations

import warnings
from typing import Optional, Sequence

from . import _core
from .tokenizer import Tokenizer
from .train import Corpus, _bar, _check_specials, _check_threads, _progress_enabled, feed

BERT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _count(core, corpus: Corpus, *, errors: str, text_field: str, show_progress, threads: Optional[int]):
    """Feeds a corpus to a ``_core.PieceCounts``, with a progress bar."""
    _check_threads(threads)
    feed(core, corpus, errors=errors, text_field=text_field, enabled=_progress_enabled(show_progress), threads=threads)
    return core


def _merging(core_train, *, show_progress, **options):
    """Runs a merge-based trainer with a progress bar counting its merges."""
    bar = _bar(_progress_enabled(show_progress), desc="merging", unit="merge")
    done = [0]

    def advance(merges: int) -> None:
        if bar:
            bar.update(merges - done[0])
            done[0] = merges

    try:
        return core_train(progress=advance, **options)
    finally:
        if bar:
            bar.close()


def _check_size(name: str, value, minimum: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int of at least {minimum}, not {value!r}")


def _check_coverage(character_coverage) -> None:
    if not isinstance(character_coverage, (int, float)) or not 0 < character_coverage <= 1:
        raise ValueError(f"character_coverage must be a number in (0, 1], not {character_coverage!r}")


def _warn_if_short(core, vocab_size: int, stacklevel: int = 3) -> None:
    if core.id_bound < vocab_size:
        warnings.warn(
            f"the corpus could not fill {vocab_size} tokens; the vocabulary has {core.id_bound}. Use more text "
            f"(or a lower min_frequency) to reach the size asked for.",
            stacklevel=stacklevel,
        )


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
    _check_coverage(character_coverage)
    specials = _check_specials(special_tokens)
    core = _count(_core.PieceCounts.chars(bool(graphemes)), corpus, errors=errors, text_field=text_field,
                  show_progress=show_progress, threads=threads)
    trained = core.train_chars(special_tokens=specials, byte_fallback=bool(byte_fallback),
                               character_coverage=float(character_coverage))
    return Tokenizer(trained, name=name)


def train_word(
    corpus: Corpus,
    *,
    vocab_size: int,
    special_tokens: Sequence[str] = (),
    lowercase: bool = False,
    nfkc: bool = False,
    pattern: Optional[str] = None,
    show_progress=True,
    threads: Optional[int] = None,
    errors: str = "strict",
    text_field: str = "text",
    name: str = "word",
) -> Tokenizer:
    """A word tokenizer: the ``vocab_size`` most frequent words, ``<unk>`` for the rest.

    >>> tok = tokkit.train_word(["corpus.txt"], vocab_size=30_000, lowercase=True)  # doctest: +SKIP

    Words are cut at whitespace and punctuation (runs of word characters, runs of other
    non-space characters), or are the matches of the regex ``pattern``; ``nfkc`` and
    ``lowercase`` normalize them first. ``vocab_size`` counts ``<unk>`` and the special
    tokens. Decoding joins the words with spaces (what the words were separated by is not
    kept): the word model is the baseline whose unknown-word rate comparisons show.
    """
    _check_size("vocab_size", vocab_size, 2)
    specials = _check_specials(special_tokens)
    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regex str or None, not {type(pattern).__name__}")
    core = _count(_core.PieceCounts.words(lowercase=bool(lowercase), nfkc=bool(nfkc), pattern=pattern), corpus,
                  errors=errors, text_field=text_field, show_progress=show_progress, threads=threads)
    trained = core.train_words(vocab_size=vocab_size, special_tokens=specials)
    _warn_if_short(trained, vocab_size)
    return Tokenizer(trained, name=name)


def train_wordpiece(
    corpus: Corpus,
    *,
    vocab_size: int,
    special_tokens: Sequence[str] = BERT_SPECIAL_TOKENS,
    unk_token: str = "[UNK]",
    min_frequency: int = 2,
    lowercase: bool = True,
    strip_accents: Optional[bool] = None,
    clean_text: bool = True,
    handle_chinese_chars: bool = True,
    continuing_subword_prefix: str = "##",
    max_input_chars_per_word: int = 100,
    show_progress=True,
    threads: Optional[int] = None,
    errors: str = "strict",
    text_field: str = "text",
    name: str = "wordpiece",
) -> Tokenizer:
    """A WordPiece tokenizer trained as HF's WordPieceTrainer trains one (BERT's scheme).

    >>> tok = tokkit.train_wordpiece(["corpus.txt"], vocab_size=30_000)      # doctest: +SKIP

    Text goes through BERT's normalizer (``clean_text``, spaces around CJK ideographs,
    ``strip_accents`` — by default when lowercasing —, ``lowercase``) and pre-tokenizer
    (whitespace and punctuation); BPE then learns merges over the words' characters, those
    after a word's first marked ``##``. Encoding takes the longest token first, and a word
    it cannot cut (or longer than ``max_input_chars_per_word``) becomes ``unk_token``.
    ``vocab_size`` counts the special tokens (BERT's by default), which come first.
    """
    _check_size("vocab_size", vocab_size)
    _check_size("min_frequency", min_frequency)
    _check_size("max_input_chars_per_word", max_input_chars_per_word)
    specials = _check_specials(special_tokens)
    if not isinstance(unk_token, str) or not unk_token:
        raise ValueError(f"unk_token must be a non-empty str, not {unk_token!r}")
    core = _count(_core.PieceCounts.wordpiece(clean_text=bool(clean_text), handle_chinese_chars=bool(handle_chinese_chars),
                                              strip_accents=strip_accents, lowercase=bool(lowercase)),
                  corpus, errors=errors, text_field=text_field, show_progress=show_progress, threads=threads)
    trained = _merging(core.train_wordpiece, show_progress=show_progress,
                       vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=specials,
                       unk_token=unk_token, continuing_subword_prefix=continuing_subword_prefix,
                       max_input_chars_per_word=max_input_chars_per_word)
    _warn_if_short(trained, vocab_size)
    return Tokenizer(trained, name=name)


def train_char_bpe(
    corpus: Corpus,
    *,
    vocab_size: int,
    special_tokens: Sequence[str],
    min_frequency: int,
    max_token_length: Optional[int],
    byte_fallback: bool,
    character_coverage: float,
    show_progress,
    threads: Optional[int],
    errors: str,
    text_field: str,
    name: str,
) -> Tokenizer:
    """BPE over characters (see ``train_bpe(byte_level=False)``, which checks the options)."""
    _check_coverage(character_coverage)
    core = _count(_core.PieceCounts.char_bpe(), corpus, errors=errors, text_field=text_field,
                  show_progress=show_progress, threads=threads)
    trained = _merging(core.train_char_bpe, show_progress=show_progress, vocab_size=vocab_size,
                       min_frequency=min_frequency, max_token_length=max_token_length, special_tokens=list(special_tokens),
                       byte_fallback=bool(byte_fallback), character_coverage=float(character_coverage))
    _warn_if_short(trained, vocab_size, stacklevel=4)
    return Tokenizer(trained, name=name)
