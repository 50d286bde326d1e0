"""tokkit: tokenizers with a Rust core.

>>> import tokkit
>>> tok = tokkit.get_encoding("cl100k_base")          # like tiktoken.get_encoding
>>> tok = tokkit.load("some/tokenizer/file")          # .tiktoken, .model, tokenizer.json, tokkit JSON
>>> ids = tok.encode("hello world"); tok.decode(ids)
>>> report = tokkit.compare({"cl100k": tok}, pivot="eng")   # on the bundled sample
>>> model = tokkit.lm.Transformer(tokkit.lm.Config(vocab_size=tok.vocab_size))  # the NumPy LM
"""

from . import compare, lm
from .encodings import get_encoding, list_encoding_names
from .formats import from_tiktoken, load
from .tokenizer import TokenNotFound, Tokenizer
from .training import (PreTokenCounts, count_pre_tokens, train_bpe, train_char, train_char_bpe, train_unigram,
                       train_word, train_wordpiece)

__all__ = [
    "PreTokenCounts",
    "TokenNotFound",
    "Tokenizer",
    "compare",
    "lm",
    "count_pre_tokens",
    "from_tiktoken",
    "get_encoding",
    "list_encoding_names",
    "load",
    "train_bpe",
    "train_unigram",
    "train_char",
    "train_char_bpe",
    "train_word",
    "train_wordpiece",
]
__version__ = "0.1.0"
