"""BPE training over characters (SentencePiece style), slowly and plainly.

>>> train({"▁ab": 5, "▁abc": 3}, vocab_size=7)
['<unk>', 'a', 'b', '▁', 'c', 'ab', '▁ab']
"""

from __future__ import annotations

from collections import Counter

from .bpe_train import _merge


def train(word_counts: dict[str, int], *, vocab_size: int, min_frequency: int = 1,
          reserved: tuple[str, ...] = ("<unk>",)) -> list[str]:
    """The tokens by id: the reserved ones, the characters (most frequent first, ties by
    character), then one token per merge. Each step merges the pair of symbols with the
    highest count; ties go to the smallest (left, right). A merge that makes an existing
    token adds no token.
    """
    chars: Counter = Counter()
    for word, count in word_counts.items():
        for c in word:
            chars[c] += count
    tokens = list(reserved) + [c for c in sorted(chars, key=lambda c: (-chars[c], c)) if c not in reserved]
    known = set(tokens)
    words = {tuple(word): count for word, count in word_counts.items()}
    while len(tokens) < vocab_size:
        pairs: Counter = Counter()
        for symbols, count in words.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        if pairs[best] < max(min_frequency, 1):
            break
        merged = best[0] + best[1]
        if merged not in known:
            known.add(merged)
            tokens.append(merged)
        words = {_merge(symbols, best, merged): count for symbols, count in words.items()}
    return tokens
