"""Each measure of tokkit.compare against a hand-computed example: the formulas one by
one, then whole rows of a report on a corpus small enough to tokenize by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokkit
from tokkit.compare import metrics

# ---- the formulas -----------------------------------------------------------------------


def test_compression_is_bytes_or_chars_per_token():
    assert metrics.bytes_per_token(27, 9) == 3.0
    assert metrics.chars_per_token(9, 6) == 1.5
    assert metrics.bytes_per_token(5, 0) is None


def test_fertility_is_tokens_per_word():
    assert metrics.fertility(7, 4) == 1.75


def test_split_word_rate_weights_words_by_count():
    # "the" x4 in one token; "premium" x1 in 3 tokens; "parity" x3 in 2: (1 + 3) / 8 split
    assert metrics.split_word_rate([1, 3, 2], [4, 1, 3]) == 0.5
    assert metrics.split_word_rate([], []) is None


def test_premium_is_tokens_over_pivot_tokens():
    assert metrics.premium(45, 30) == 1.5
    assert metrics.premium(30, 30) == 1.0


@pytest.mark.parametrize("values, expected", [
    ([2, 2, 2], 0.0),
    ([1, 2, 3, 4], 0.25),   # Σ|xi − xj| = 20 over ordered pairs; 20 / (2 · 16 · 2.5)
    ([0, 0, 0, 1], 0.75),   # one holds everything: (n − 1) / n
    ([1, 3], 0.25),
])
def test_gini(values, expected):
    assert metrics.gini(values) == pytest.approx(expected)


def test_gini_does_not_depend_on_order_or_scale():
    assert metrics.gini([3, 1, 2, 4]) == pytest.approx(metrics.gini([10, 20, 30, 40]))


def test_unknown_and_byte_fallback_rates():
    assert metrics.unknown_rate(2, 8) == 0.25
    assert metrics.byte_fallback_rate(3, 4) == 0.75


def test_vocab_utilization():
    assert metrics.vocab_utilization(30, 120) == 0.25


def test_renyi_efficiency_by_hand():
    # p = (1/2, 1/4, 1/4), V = 8.
    # α = 1 (Shannon): H = 1.5 bits, log2 8 = 3 bits -> 0.5
    assert metrics.renyi_efficiency([2, 1, 1], 8, alpha=1) == pytest.approx(0.5)
    # α = 2: H = −ln(1/4 + 1/16 + 1/16) = −ln 0.375 = 0.980829; / ln 8 = 2.079442
    assert metrics.renyi_efficiency([2, 1, 1], 8, alpha=2) == pytest.approx(0.980829 / 2.079442, abs=1e-6)
    # α = 2.5 (the default): Σp^2.5 = 0.176777 + 2 · 0.03125 = 0.239277; ln = −1.430135; / −1.5 = 0.953423
    assert metrics.renyi_efficiency([2, 1, 1], 8) == pytest.approx(0.953423 / 2.079442, abs=1e-6)


def test_renyi_efficiency_of_a_uniform_use_of_the_whole_vocabulary_is_one():
    assert metrics.renyi_efficiency([5] * 16, 16) == pytest.approx(1.0)


def test_script_coverage_counts_characters_by_occurrence():
    assert metrics.script_coverage({"a": 6, "ሰ": 1, "ላ": 1}, {"a", "ሰ"}) == 7 / 8


# ---- what a word is ---------------------------------------------------------------------


@pytest.mark.parametrize("line, words", [
    ("The rights, of all.", ["The", " rights", " of", " all"]),
    ("l'homme don’t well-being", ["l'homme", " don’t", " well-being"]),
    ("in 1,898 and 3.5 or 7.", [" 1,898", " 3.5", " and", " or", " 7", "in"]),
    ("मनुष्य के अधिकार", ["मनुष्य", " के", " अधिकार"]),           # vowel signs (marks) stay inside
    ("می‌خواهم بروم", ["می\u200cخواهم", " بروم"]),                  # a zero-width non-joiner joins
    ("ሰብኣዊ፡መሰል፡", ["ሰብኣዊ", "መሰል"]),                            # Ethiopic wordspace separates
    ("(quoted) «word»", ["quoted", "word"]),
])
def test_words_by_the_stated_rule(line, words):
    assert sorted(metrics.word_forms([line])[0].elements()) == sorted(words)


def test_space_and_byte_tokens():
    assert metrics.is_space_token(" ") and metrics.is_space_token("\u2581") and metrics.is_space_token("\n ")
    assert not metrics.is_space_token(" the") and not metrics.is_space_token(b"\xe1")
    assert metrics.is_byte_token(b"\xe1\x88") and metrics.is_byte_token("<0xE1>")
    assert not metrics.is_byte_token("ሰ") and not metrics.is_byte_token("<0xZZ>")


# ---- whole rows, by hand ----------------------------------------------------------------


class CharacterTokenizer:
    """One token per character of a fixed alphabet; any other character is [UNK]."""

    name = "chars"
    special_tokens: dict = {}
    unk_token = "[UNK]"

    def __init__(self, alphabet: str):
        self.pieces = list(alphabet) + [self.unk_token]
        self.ids = {piece: i for i, piece in enumerate(self.pieces)}
        self.vocab_size = len(self.pieces)

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(char, self.ids[self.unk_token]) for char in text]

    def encode_batch(self, texts, *, flat=False, disallowed_special=()):
        rows = [np.array(self.encode(text), dtype=np.uint32) for text in texts]
        offsets = np.cumsum([0] + [len(row) for row in rows]).astype(np.uint64)
        return np.concatenate(rows + [np.zeros(0, dtype=np.uint32)]), offsets

    def id_to_token(self, token_id: int) -> str:
        return self.pieces[token_id]

    def token_to_id(self, token: str):
        return self.ids.get(token)

    def tokens(self, text: str, **_) -> list[str]:
        return [self.pieces[i] for i in self.encode(text)]


CORPUS = {
    "eng": ["ab cd", "e", "a"],
    "fra": ["abc de", "eez", "b"],   # z is unknown
    "tha": ["กขค", "ง", ""],          # unspaced; all unknown; no third line
}


@pytest.fixture(scope="module")
def rows():
    report = tokkit.compare({"chars": CharacterTokenizer("abcdefgh ")}, corpus=CORPUS, pivot="eng", alpha=2.0)
    return {language: report.measures("chars", language) for language in CORPUS}


def test_pivot_row_by_hand(rows):
    eng = rows["eng"]
    assert eng["tokens"] == 7 and eng["bytes"] == 7 and eng["characters"] == 7
    assert eng["premium"] == 1.0
    # words: "ab", " cd", "e", "a"; "ab" and " cd" (c, d after the space token) are split
    assert eng["words"] == 4 and eng["words_from"] == "text"
    assert eng["fertility"] == 7 / 4
    assert eng["split_word_rate"] == 2 / 4
    assert eng["unknown_rate"] == 0.0 and eng["byte_fallback_rate"] == 0.0
    assert eng["vocab_utilization"] == 6 / 10        # a b ␣ c d e of 9 letters + [UNK]
    # counts a:2 b:1 ␣:1 c:1 d:1 e:1 of 7: Σp² = (4 + 5) / 49
    assert eng["renyi_efficiency"] == pytest.approx(-math.log(9 / 49) / math.log(10))
    assert eng["script_coverage"] == 1.0


def test_spaced_translation_row_by_hand(rows):
    fra = rows["fra"]
    assert fra["tokens"] == 10
    assert fra["premium"] == 10 / 7
    assert fra["words"] == 4 and fra["fertility"] == 10 / 4   # "abc", " de", "eez", "b"
    assert fra["split_word_rate"] == 3 / 4
    assert fra["unknown_rate"] == 1 / 10
    assert fra["vocab_utilization"] == 7 / 10                 # a b c ␣ d e [UNK]
    assert fra["script_coverage"] == 8 / 9                    # a b c d e e e b, not z
    assert fra["bytes_per_token"] == 1.0 and fra["chars_per_token"] == 1.0


def test_unspaced_row_uses_the_pivots_words_on_shared_lines(rows):
    tha = rows["tha"]
    assert tha["tokens"] == 4 and tha["bytes"] == 12
    # its third line is empty: the premium compares lines 1 and 2 only, 4 / (5 + 1)
    assert tha["premium"] == 4 / 6
    assert tha["words_from"] == "pivot" and tha["words"] == 3   # "ab", " cd", "e"
    assert tha["fertility"] == 4 / 3
    assert tha["split_word_rate"] is None
    assert tha["unknown_rate"] == 1.0 and tha["script_coverage"] == 0.0
    assert tha["bytes_per_token"] == 3.0


def test_summary_aggregates_by_hand():
    report = tokkit.compare({"chars": CharacterTokenizer("abcdefgh ")}, corpus=CORPUS, pivot="eng")
    summary = report.summaries["chars"]
    premiums = [1.0, 10 / 7, 4 / 6]
    assert summary["mean_premium"] == pytest.approx(sum(premiums) / 3)
    assert summary["max_premium"] == 10 / 7 and summary["max_premium_language"] == "fra"
    assert summary["gini"] == pytest.approx(metrics.gini(premiums))
    assert summary["tokens"] == 21
    assert summary["unknown_rate"] == 5 / 21
    assert summary["vocab_utilization"] == 7 / 10
