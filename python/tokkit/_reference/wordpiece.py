"""WordPiece encoding of one word, slowly and plainly: the longest token first, left to
right, tokens after the first spelled with the continuation prefix.

>>> encode({"un": 0, "##aff": 1, "##able": 2, "[UNK]": 3}, "unaffable")
[0, 1, 2]
>>> encode({"un": 0, "##aff": 1, "[UNK]": 3}, "unable")
[3]
"""

from __future__ import annotations


def encode(vocab: dict[str, int], word: str, *, unk: str = "[UNK]", prefix: str = "##",
           max_chars: int = 100) -> list[int]:
    """The ids of `word`; the unknown token alone if some part matches no token or the
    word is longer than `max_chars` characters."""
    if len(word) > max_chars:
        return [vocab[unk]]
    ids, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else prefix + word[start:end]
            if piece in vocab:
                ids.append(vocab[piece])
                start = end
                break
        else:
            return [vocab[unk]]
    return ids
