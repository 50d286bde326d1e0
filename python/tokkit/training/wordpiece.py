"""WordPiece tokenizers, trained as HF's WordPieceTrainer trains them (BERT's scheme)."""

from __future__ import annotations

from typing import Optional, Sequence

from .. import _core
from ..tokenizer import Tokenizer
from .corpus import Corpus, feed
from .options import check_int, check_threads, special_token_list, warn_if_short
from .progress import MergeBar, progress_enabled

BERT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


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
    """A WordPiece tokenizer trained as HF's WordPieceTrainer trains one.

    >>> tok = tokkit.train_wordpiece(["corpus.txt"], vocab_size=30_000)      # doctest: +SKIP

    Text goes through BERT's normalizer (``clean_text``, spaces around CJK ideographs,
    ``strip_accents`` — by default when lowercasing —, ``lowercase``) and pre-tokenizer
    (whitespace and punctuation); BPE then learns merges over the words' characters, those
    after a word's first marked ``##``. Encoding takes the longest token first, and a word
    it cannot cut (or longer than ``max_input_chars_per_word``) becomes ``unk_token``.
    ``vocab_size`` counts the special tokens (BERT's by default), which come first.
    """
    check_int("vocab_size", vocab_size)
    check_int("min_frequency", min_frequency)
    check_int("max_input_chars_per_word", max_input_chars_per_word)
    specials = special_token_list(special_tokens)
    if not isinstance(unk_token, str) or not unk_token:
        raise ValueError(f"unk_token must be a non-empty str, not {unk_token!r}")
    check_threads(threads)
    enabled = progress_enabled(show_progress)
    counts = _core.PieceCounts.wordpiece(clean_text=bool(clean_text), handle_chinese_chars=bool(handle_chinese_chars),
                                         strip_accents=strip_accents, lowercase=bool(lowercase))
    feed(counts, corpus, errors=errors, text_field=text_field, enabled=enabled, threads=threads)
    bar = MergeBar(enabled)
    try:
        trained = counts.train_wordpiece(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=specials,
                                         unk_token=unk_token, continuing_subword_prefix=continuing_subword_prefix,
                                         max_input_chars_per_word=max_input_chars_per_word, progress=bar)
    finally:
        bar.close()
    warn_if_short(trained, vocab_size)
    return Tokenizer(trained, name=name)
