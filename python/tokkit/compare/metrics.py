"""Every measure ``tokkit.compare`` reports, defined once, with its formula.

Notation, for one tokenizer and one language: ``T`` tokens, ``B`` UTF-8 bytes and ``C``
characters (Unicode code points) of the text, ``W`` words, ``V`` the size of the
vocabulary without special tokens. Texts are encoded line by line, so line ends are
neither counted nor tokenized.

Words. In a script written with spaces, a word is a run of letters, marks and digits
(Unicode categories L, M, N), which an apostrophe, a hyphen or a zero-width (non-)joiner
may join, as may a comma or full stop between digits: "l'homme", "well-being", "1,898"
and Persian "می‌خواهم" are one word each, and "rights," is "rights". Spaces, other
punctuation and symbols separate words, and so do script-specific separators such as
Ethiopic ፡ (which Amharic writes where English writes a space). In a script written
without spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan...;
``corpus.UNSPACED_SCRIPTS``) words cannot be counted without a segmenter for each
language, and counting characters instead would mean different things for Chinese (a
character is about a morpheme) and Thai (a character is a letter). On parallel text such
a language says what the pivot says, so ``W`` is the pivot's word count on the same
lines: fertility is then tokens per pivot word, comparable across scripts as the premium
is. Such words have no boundaries in the text, so their split-word rate is undefined.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Container, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

#: Zouhar et al. (2023) found alpha = 2.5 to predict downstream quality best.
DEFAULT_ALPHA = 2.5

_JOINERS = "'\u2019\\-\u2010\u2011\u200c\u200d\u00ad"  # apostrophes, hyphens, ZWNJ, ZWJ, soft hyphen
_BYTE_PIECE = re.compile(r"<0x[0-9A-Fa-f]{2}>")


def _ratio(numerator: float, denominator: float) -> Optional[float]:
    return numerator / denominator if denominator else None


def bytes_per_token(n_bytes: int, tokens: int) -> Optional[float]:
    """Compression: ``B / T``, UTF-8 bytes per token (higher: shorter sequences).

    >>> bytes_per_token(12, 4)
    3.0
    """
    return _ratio(n_bytes, tokens)


def chars_per_token(characters: int, tokens: int) -> Optional[float]:
    """Compression in characters: ``C / T``.

    >>> chars_per_token(10, 4)
    2.5
    """
    return _ratio(characters, tokens)


def fertility(tokens: int, words: float) -> Optional[float]:
    """Tokens per word: ``T / W`` (Ács, 2019; Rust et al., 2021), with words counted as
    the module doc says.

    >>> fertility(15, 10)
    1.5
    """
    return _ratio(tokens, words)


def split_word_rate(tokens_per_word: Sequence[int], word_counts: Sequence[int]) -> Optional[float]:
    """The proportion of words split into more than one token (Rust et al. (2021)'s
    "proportion of continued words"): ``Σ_w c_w·[t_w > 1] / Σ_w c_w`` over distinct words
    ``w`` seen ``c_w`` times, each taking ``t_w`` tokens.

    >>> split_word_rate([1, 3, 2], [5, 1, 2])   # (1 + 2) / (5 + 1 + 2)
    0.375
    """
    counts = np.asarray(word_counts, dtype=np.float64)
    split = np.asarray(tokens_per_word) > 1
    return _ratio(float(counts[split].sum()), float(counts.sum()))


def premium(tokens: int, pivot_tokens: int) -> Optional[float]:
    """The tokenization premium (Petrov et al., 2023): ``T_lang / T_pivot`` on parallel
    text, the tokens a translation takes for each token the pivot takes. Parity is 1.

    >>> premium(30, 20)
    1.5
    """
    return _ratio(tokens, pivot_tokens)


def gini(values: Iterable[float]) -> Optional[float]:
    """The Gini coefficient: ``Σ_i Σ_j |x_i − x_j| / (2·n²·mean(x))``; 0 when all values are
    equal, towards 1 as one value takes everything.

    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([1, 3])   # (|1−3| + |3−1|) / (2 · 4 · 2)
    0.25
    """
    x = np.asarray(list(values), dtype=np.float64)
    if x.size == 0 or x.sum() == 0:
        return None
    # Σ_i Σ_j |x_i − x_j| = 2 Σ_k (2k − n − 1)·x_(k) over the sorted values x_(1..n)
    x.sort()
    k = np.arange(1, x.size + 1)
    pairwise = 2 * float(np.sum((2 * k - x.size - 1) * x))
    return pairwise / (2 * x.size**2 * float(x.mean()))


def unknown_rate(unknown_tokens: int, tokens: int) -> Optional[float]:
    """The share of tokens that are the tokenizer's unknown token: ``T_unk / T`` (0 for
    byte-level vocabularies, which can spell any text).

    >>> unknown_rate(1, 8)
    0.125
    """
    return _ratio(unknown_tokens, tokens)


def byte_fallback_rate(byte_tokens: int, tokens: int) -> Optional[float]:
    """The share of tokens that are byte fallbacks: ``T_byte / T``, a byte-fallback token
    being one that holds part of a character, not whole characters (see
    ``is_byte_token``). High where the vocabulary has no pieces for a script.

    >>> byte_fallback_rate(3, 12)
    0.25
    """
    return _ratio(byte_tokens, tokens)


def vocab_utilization(distinct_tokens: int, vocab_size: int) -> Optional[float]:
    """The share of the vocabulary a text uses: ``|{distinct tokens}| / V``.

    >>> vocab_utilization(250, 1000)
    0.25
    """
    return _ratio(distinct_tokens, vocab_size)


def renyi_efficiency(token_counts: Sequence[int], vocab_size: int, *, alpha: float = DEFAULT_ALPHA) -> Optional[float]:
    """Rényi efficiency (Zouhar et al., 2023): ``H_α(p) / log V`` with
    ``H_α(p) = log(Σ_i p_i^α) / (1 − α)`` the Rényi entropy of the unigram distribution
    ``p`` of the tokens (``p_i = count_i / T``), and Shannon entropy at ``α = 1``. Between
    0 and 1; it penalises both very frequent and very rare tokens. ``V`` is the whole
    vocabulary, as in the paper (their scorer divides by the tokens seen instead).

    >>> round(renyi_efficiency([1, 1, 1, 1], 16, alpha=2.0), 3)   # log 4 / log 16
    0.5
    """
    counts = np.asarray(token_counts, dtype=np.float64)
    counts = counts[counts > 0]
    if counts.size == 0 or vocab_size < 2:
        return None
    p = counts / counts.sum()
    if alpha == 1:
        entropy = -float(np.sum(p * np.log(p)))
    else:
        entropy = math.log(float(np.sum(p**alpha))) / (1 - alpha)
    return entropy / math.log(vocab_size)


def script_coverage(character_counts: Mapping[str, int], covered: Container[str]) -> Optional[float]:
    """The share of a text's characters (spaces left out) that are tokens of the
    vocabulary by themselves: ``Σ_c n_c·[c ∈ vocabulary] / Σ_c n_c``. Characters left out
    are spelled in bytes, or are unknown.

    >>> script_coverage({"a": 3, "b": 1}, {"a"})
    0.75
    """
    total = sum(character_counts.values())
    return _ratio(sum(n for char, n in character_counts.items() if char in covered), total)


def mean(values: Iterable[Optional[float]]) -> Optional[float]:
    """The arithmetic mean of the values that are defined (not None)."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


# ---- what counts as a word, a space token, a byte token ---------------------------------


def _word_pattern(text: str) -> "re.Pattern[str]":
    # Python's \w is letters, digits and "_"; marks (vowel signs, viramas, accents) must
    # be added, and only the ones in this text need be.
    marks = "".join(sorted(c for c in set(text) if unicodedata.category(c).startswith("M")))
    unit = "(?:[^\\W_]|[" + re.escape(marks) + "])" if marks else "[^\\W_]"
    joiner = f"(?:[{_JOINERS}]|(?<=\\d)[.,](?=\\d))"
    return re.compile(f"{unit}+(?:{joiner}{unit}+)*")


def word_forms(lines: Sequence[str]) -> list[Counter]:
    """The words of each line (the rule is in the module doc), each as it stands in the
    text: with the space before it, if there is one, since that is how a tokenizer meets
    it in running text.

    >>> [sorted(words.items()) for words in word_forms(["Hello, well-being world!", "ሰላም፡ዓለም"])]
    [[(' well-being', 1), (' world', 1), ('Hello', 1)], [('ሰላም', 1), ('ዓለም', 1)]]
    """
    pattern = _word_pattern("".join(lines))
    found = []
    for line in lines:
        forms: Counter = Counter()
        for match in pattern.finditer(line):
            start = match.start()
            forms[" " + match.group() if start and line[start - 1] == " " else match.group()] += 1
        found.append(forms)
    return found


def is_space_token(token: Union[str, bytes]) -> bool:
    """A token of only whitespace (or SentencePiece's ▁): it separates words and belongs to
    none, so it does not make a word split."""
    return isinstance(token, str) and not token.replace("\u2581", " ").strip()


def is_byte_token(token: Union[str, bytes]) -> bool:
    """A byte-fallback token: bytes that are not whole UTF-8 characters (how byte-level
    BPE spells what its vocabulary lacks), or a ``<0xNN>`` piece (SentencePiece's)."""
    return isinstance(token, bytes) or bool(_BYTE_PIECE.fullmatch(token))
