"""Word tokenizers: the most frequent words, ``<unk>`` for the rest."""

from __future__ import annotations

from typing import Optional, Sequence

from .. import _core
from ..tokenizer import Tokenizer
from .corpus import Corpus, feed
from .options import check_int, check_threads, special_token_list, warn_if_short
from .progress import progress_enabled


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
    check_int("vocab_size", vocab_size, 2)
    specials = special_token_list(special_tokens)
    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regex str or None, not {type(pattern).__name__}")
    check_threads(threads)
    counts = _core.PieceCounts.words(lowercase=bool(lowercase), nfkc=bool(nfkc), pattern=pattern)
    feed(counts, corpus, errors=errors, text_field=text_field, enabled=progress_enabled(show_progress), threads=threads)
    trained = counts.train_words(vocab_size=vocab_size, special_tokens=specials)
    warn_if_short(trained, vocab_size)
    return Tokenizer(trained, name=name)
