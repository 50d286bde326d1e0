"""Unigram (SentencePiece) segmentation, the slow and obvious way.

The identity normalizer (spaces as ``▁``, one in front, runs of spaces as one), then the
best path through every segmentation, with SentencePiece's float arithmetic: scores and
sums are single-precision, a later candidate wins only when strictly higher, and when the
score at a start lies outside ±100,000 it is subtracted from every node reached from there
on (the rebase that keeps long texts precise). Unknown characters (no one-character
piece) cost min_score − 10, and runs of them join.

>>> pieces = [("<unk>", 0.0, "unknown"), ("▁a", -1.0, "normal"), ("b", -2.0, "normal"),
...           ("▁ab", -2.5, "normal"), ("▁", -3.0, "normal")]
>>> segment(pieces, "ab")
['▁ab']
>>> segment(pieces, "a b 字字")
['▁a', '▁', 'b', '▁', '字字']
"""

from __future__ import annotations

import re

import numpy as np

SPACE = "\u2581"
REBASE = np.float32(100_000)


def normalize(text: str) -> str:
    """SentencePiece's identity normalizer: ``"  a  b "`` → ``"▁a▁b"``."""
    words = re.sub(" +", " ", text).strip(" ")
    return SPACE + words.replace(" ", SPACE) if words else ""


def segment(pieces: list[tuple[str, float, str]], text: str) -> list[str]:
    """The pieces of the best segmentation of ``text`` (normalized first)."""
    scores = {p: np.float32(s) for p, s, kind in pieces if kind == "normal"}
    unk_score = np.float32(min(np.float32(s) for p, s, kind in pieces if kind == "normal")) - np.float32(10)
    text = normalize(text)
    best = [None] * (len(text) + 1)  # (score, start, known) of the best path ending here
    best[0] = (np.float32(0), None, True)
    frontier = 0  # the furthest node reached
    for start in range(len(text)):
        till = best[start][0]
        if abs(till) > REBASE:
            for node in range(start, frontier + 1):
                if best[node] is not None:
                    score, previous, known = best[node]
                    best[node] = (np.float32(score - till), previous, known)
            till = np.float32(0)
        for end in range(start + 1, len(text) + 1):
            if text[start:end] in scores:
                frontier = max(frontier, end)
                candidate = np.float32(scores[text[start:end]] + till)
                if best[end] is None or candidate > best[end][0]:
                    best[end] = (candidate, start, True)
        if text[start] not in scores:
            frontier = max(frontier, start + 1)
            candidate = np.float32(unk_score + till)
            if best[start + 1] is None or candidate > best[start + 1][0]:
                best[start + 1] = (candidate, start, False)
    out: list[tuple[str, bool]] = []
    end = len(text)
    while end > 0:
        _, start, known = best[end]
        out.append((text[start:end], known))
        end = start
    out.reverse()
    merged: list[tuple[str, bool]] = []
    for piece, known in out:
        if merged and not known and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + piece, False)
        else:
            merged.append((piece, known))
    return [piece for piece, _ in merged]
