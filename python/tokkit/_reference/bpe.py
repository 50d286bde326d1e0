"""Byte-level BPE encoding with a rank table, as tiktoken defines it.

>>> ranks = {bytes([b]): b for b in range(256)} | {b"ab": 256, b"abc": 257}
>>> merge(ranks, b"abcab")
[257, 256]
"""

from __future__ import annotations


def merge(ranks: dict[bytes, int], piece: bytes) -> list[int]:
    """The ids of one pre-token: start from single bytes and merge the adjacent pair whose
    concatenation has the lowest rank (the leftmost on ties) until no pair is a token.
    A piece that is itself a token is that token, without merging (tiktoken's shortcut).

    >>> merge({bytes([b]): b for b in range(256)} | {b"aa": 256}, b"aaa")
    [256, 97]
    """
    if piece in ranks:
        return [ranks[piece]]
    parts = [bytes([b]) for b in piece]
    while len(parts) > 1:
        best = None  # (rank, index)
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, i)
        if best is None:
            break
        i = best[1]
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]


def split(pattern: str, text: str) -> list[str]:
    """The pre-tokens of ``text``: every match of ``pattern``, left to right.

    >>> split(r"\\w+|\\s", "hi there")
    ['hi', ' ', 'there']
    """
    import regex  # the `regex` package understands possessive quantifiers and \\p{..}

    return regex.findall(pattern, text)


def encode(ranks: dict[bytes, int], pattern: str, text: str) -> list[int]:
    """Encodes ordinary text: split, then merge each piece's UTF-8 bytes.

    >>> ranks = {bytes([b]): b for b in range(256)} | {b"hi": 256}
    >>> encode(ranks, r"\\w+|\\s", "hi hi")
    [256, 32, 256]
    """
    return [id for piece in split(pattern, text) for id in merge(ranks, piece.encode("utf-8"))]
