"""Parity-aware BPE training, slowly and plainly: recount every language's pairs and
tokens after every merge.

>>> merges, _ = train({"A": {"ab": 10}, "B": {"xyz": 8}}, vocab_size=300)
>>> merges      # B takes 24 tokens to A's 20, so B's pair goes first
[(b'x', b'y'), (b'a', b'b'), (b'xy', b'z')]
"""

from __future__ import annotations

from collections import Counter

from .bpe_train import _merge


def train(word_counts: dict[str, dict[str, int]], *, vocab_size: int, min_frequency: int = 1,
          max_token_length: int | None = None) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """The merges (as byte pairs) and the tokens (by id) that parity-aware byte-level BPE
    learns from ``{language: {word: count}}``.

    Each step finds the languages that still have a pair seen ``min_frequency`` times,
    takes the one whose words need the most tokens (ties: the first name in sorted order)
    and merges its most frequent pair (ties: the smallest (left bytes, right bytes)) in
    every language. Pairs that would make a token longer than ``max_token_length`` are
    never merged.
    """
    tokens = [bytes([b]) for b in range(256)]
    known = set(tokens)
    words = {language: {tuple(bytes([b]) for b in word.encode("utf-8")): count for word, count in counts.items()}
             for language, counts in sorted(word_counts.items())}
    merges: list[tuple[bytes, bytes]] = []
    banned: set[tuple[bytes, bytes]] = set()
    while len(tokens) < vocab_size:
        best_of = {}
        for language, language_words in words.items():
            pairs: Counter = Counter()
            for symbols, count in language_words.items():
                for pair in zip(symbols, symbols[1:]):
                    if pair not in banned:
                        pairs[pair] += count
            best = min(pairs, key=lambda pair: (-pairs[pair], pair), default=None)
            if best is not None and pairs[best] >= max(min_frequency, 1):
                best_of[language] = best
        if not best_of:
            break
        worst = min(best_of, key=lambda language: (-_length(words[language]), language))
        best = best_of[worst]
        if max_token_length is not None and len(best[0]) + len(best[1]) > max_token_length:
            banned.add(best)
            continue
        merged = best[0] + best[1]
        merges.append(best)
        if merged not in known:
            known.add(merged)
            tokens.append(merged)
        words = {language: {_merge(symbols, best, merged): count for symbols, count in language_words.items()}
                 for language, language_words in words.items()}
    return merges, tokens


def _length(words: dict[tuple, int]) -> int:
    """Tokens the words take: Σ count × symbols."""
    return sum(count * len(symbols) for symbols, count in words.items())
