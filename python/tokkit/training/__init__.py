"""Training tokenizers from corpora, one module per model family.

Every trainer takes a corpus (``corpus.py``: paths, globs, gzip, JSON Lines, or an
iterable of str documents), counts it in parallel in the Rust engine with the GIL released
(memory grows with what is counted, not with the corpus), shows progress bars
(``progress.py``), and is deterministic: the same corpus and options give the same
vocabulary whatever ``threads`` is.

- ``bpe``: byte-level BPE (GPT-2 / tiktoken style), its pre-token counts, and
  parity-aware training across languages;
- ``char_bpe``: BPE over characters (SentencePiece style);
- ``unigram``: Unigram language models (SentencePiece's default);
- ``wordpiece``, ``words``, ``chars``: BERT's WordPiece, whole words, single characters.

The tokenizers of ``char_bpe``, ``wordpiece``, ``words`` and ``chars`` save as a
tokenizer.json HF ``tokenizers`` loads with the same ids; their vocabularies put the
unknown token and the special tokens first (ids 0, 1, ...), then the 256 ``<0xXX>`` byte
tokens where the model has byte fallback, then what was learned.
"""

from .bpe import PreTokenCounts, count_pre_tokens, train_bpe
from .char_bpe import train_char_bpe
from .chars import train_char
from .unigram import train_unigram
from .wordpiece import BERT_SPECIAL_TOKENS, train_wordpiece
from .words import train_word

__all__ = [
    "BERT_SPECIAL_TOKENS",
    "PreTokenCounts",
    "count_pre_tokens",
    "train_bpe",
    "train_char",
    "train_char_bpe",
    "train_unigram",
    "train_word",
    "train_wordpiece",
]
