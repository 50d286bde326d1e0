"""BPE training, slowly and plainly: recount every pair after every merge.

>>> merges, _ = train({"ab": 5, "abc": 3}, vocab_size=258)
>>> merges
[(b'a', b'b'), (b'ab', b'c')]
"""

from __future__ import annotations

from collections import Counter


def train(word_counts: dict[str, int], *, vocab_size: int, min_frequency: int = 1,
          max_token_length: int | None = None) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """The merges (as byte pairs) and the tokens (by id) that byte-level BPE learns.

    Each step merges the pair with the highest count; ties go to the smallest
    (left bytes, right bytes). A merge that makes an existing token adds no token.
    """
    tokens = [bytes([b]) for b in range(256)]
    known = set(tokens)
    words = {tuple(bytes([b]) for b in word.encode("utf-8")): count for word, count in word_counts.items()}
    merges: list[tuple[bytes, bytes]] = []
    banned: set[tuple[bytes, bytes]] = set()
    while len(tokens) < vocab_size:
        pairs: Counter = Counter()
        for symbols, count in words.items():
            for pair in zip(symbols, symbols[1:]):
                if pair not in banned:
                    pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        if pairs[best] < max(min_frequency, 1):
            break
        if max_token_length is not None and len(best[0]) + len(best[1]) > max_token_length:
            banned.add(best)
            continue
        merged = best[0] + best[1]
        merges.append(best)
        if merged not in known:
            known.add(merged)
            tokens.append(merged)
        words = {_merge(symbols, best, merged): count for symbols, count in words.items()}
    return merges, tokens


def _merge(symbols: tuple, pair: tuple, merged: bytes) -> tuple:
    """Joins every occurrence of `pair`, left to right: (a, b, b) with (b, b) -> (a, bb)."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)
