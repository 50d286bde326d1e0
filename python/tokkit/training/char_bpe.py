"""BPE over characters (SentencePiece style), as Phi-3's and Llama 2's tokenizers are.

The initial symbols are characters: spaces become "▁", the text starts with one, words are
the runs that start at a "▁" (a newline stands alone), and merges never cross words.
"""

from __future__ import annotations

from typing import Optional, Sequence

from .. import _core
from ..tokenizer import Tokenizer
from .corpus import Corpus, feed
from .options import check_coverage, check_int, check_threads, special_token_list, warn_if_short
from .progress import MergeBar, progress_enabled


def train_char_bpe(
    corpus: Corpus,
    *,
    vocab_size: int,
    byte_fallback: bool = False,
    character_coverage: float = 1.0,
    special_tokens: Sequence[str] = (),
    min_frequency: int = 2,
    max_token_length: Optional[int] = None,
    show_progress=True,
    threads: Optional[int] = None,
    errors: str = "strict",
    text_field: str = "text",
    name: str = "bpe",
) -> Tokenizer:
    """Trains a BPE over characters.

    >>> tok = tokkit.train_char_bpe(["corpus.txt"], vocab_size=32_000, byte_fallback=True)  # doctest: +SKIP

    The alphabet is every character of the corpus (or the most frequent ones covering
    ``character_coverage`` of it); the rest become ``<0xXX>`` byte tokens with
    ``byte_fallback=True``, or ``<unk>``. ``<unk>`` and the special tokens take the first
    ids, then the byte tokens. ``vocab_size`` counts everything; pairs seen fewer than
    ``min_frequency`` times are never merged, and no token grows past ``max_token_length``
    characters. The same corpus and options give the same vocabulary whatever ``threads``
    is. It saves as a tokenizer.json shaped like Phi-3's, which HF ``tokenizers`` loads
    with the same ids.
    """
    check_int("vocab_size", vocab_size)
    check_int("min_frequency", min_frequency)
    if max_token_length is not None:
        check_int("max_token_length", max_token_length)
    check_coverage(character_coverage)
    specials = special_token_list(special_tokens)
    check_threads(threads)
    enabled = progress_enabled(show_progress)
    counts = _core.PieceCounts.char_bpe()
    feed(counts, corpus, errors=errors, text_field=text_field, enabled=enabled, threads=threads)
    bar = MergeBar(enabled)
    try:
        trained = counts.train_char_bpe(vocab_size=vocab_size, min_frequency=min_frequency,
                                        max_token_length=max_token_length, special_tokens=specials,
                                        byte_fallback=bool(byte_fallback),
                                        character_coverage=float(character_coverage), progress=bar)
    finally:
        bar.close()
    warn_if_short(trained, vocab_size)
    return Tokenizer(trained, name=name)
