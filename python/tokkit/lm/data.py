"""From text to training batches.

A token stream is a 1-D array of ids: made here from text with any tokkit tokenizer, or
read (memory-mapped, so it may be larger than RAM) from a ``.npy`` file that
``save_tokens`` wrote. ``Batches`` cuts the stream into windows of ``context + 1`` tokens;
a window gives the input (its first ``context`` ids) and the target (the same shifted by
one: the next token at every position).

>>> stream = np.arange(100, dtype=np.uint16)
>>> x, y = Batches(stream, context=4, batch_size=2, seed=0).next()
>>> x.shape, bool((y[:, :-1] == x[:, 1:]).all())
((2, 4), True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Union

import numpy as np


def token_dtype(vocab_size: int) -> np.dtype:
    """uint16 when every id fits in it (half the memory and disk), else uint32."""
    return np.dtype(np.uint16 if vocab_size <= 1 << 16 else np.uint32)


def tokenize(tokenizer, text: Union[str, Iterable[str]]) -> np.ndarray:
    """The ids of ``text`` (one str, or documents joined end to end) as a compact array.

    Text that spells a special token is read as ordinary text: training data is data.
    """
    documents = [text] if isinstance(text, str) else list(text)
    ids, _ = tokenizer.encode_batch(documents, disallowed_special=(), flat=True)
    return ids.astype(token_dtype(tokenizer.vocab_size))


def save_tokens(path: Union[str, os.PathLike], tokens: np.ndarray) -> None:
    """Writes a token stream as ``.npy`` (the header records the dtype), for ``load_tokens``."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or tokens.dtype not in (np.uint16, np.uint32):
        raise ValueError(f"tokens must be a 1-D uint16 or uint32 array, not {tokens.dtype} of shape {tokens.shape}")
    np.save(Path(path), tokens)


def load_tokens(path: Union[str, os.PathLike]) -> np.ndarray:
    """A token stream written by ``save_tokens``, memory-mapped (read only, not loaded)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no token file at {path}; write one with tokkit.lm.save_tokens")
    tokens = np.load(path, mmap_mode="r")
    if tokens.ndim != 1 or tokens.dtype not in (np.uint16, np.uint32):
        raise ValueError(f"{path} holds {tokens.dtype} of shape {tokens.shape}, not a 1-D uint16/uint32 token stream")
    return tokens


def split(tokens: np.ndarray, *, eval_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(train, eval): the last ``eval_fraction`` of the stream is held out."""
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be between 0 and 1, not {eval_fraction!r}")
    cut = len(tokens) - max(1, int(len(tokens) * eval_fraction))
    return tokens[:cut], tokens[cut:]


def check_tokens(tokens: np.ndarray, *, vocab_size: int, context: int, what: str = "tokens") -> np.ndarray:
    """The stream as a 1-D integer array, or an error that says what is wrong with it."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"{what} must be a 1-D array of token ids, not {tokens.dtype} of shape {tokens.shape}")
    if len(tokens) < context + 1:
        raise ValueError(f"{what} has {len(tokens)} tokens; one window needs context + 1 = {context + 1}. "
                         f"Use more text or a model with a shorter context")
    top = int(tokens.max())
    if top >= vocab_size or int(tokens.min()) < 0:
        raise ValueError(f"{what} holds token id {top}, outside the model's vocabulary (0 to {vocab_size - 1}); "
                         f"build the model's Config with vocab_size=tokenizer.vocab_size")
    return tokens


class Batches:
    """Shuffled (input, target) batches from a token stream, in a seeded order.

    Each epoch starts the windows at a random phase in ``[0, context)`` and visits them in
    a random order, so every token is read once per epoch while window boundaries move
    from epoch to epoch. ``state()`` and ``restore()`` let a resumed run continue the
    same sequence of batches.
    """

    def __init__(self, tokens: np.ndarray, *, context: int, batch_size: int, seed: int = 0):
        if len(tokens) < context + 1:
            raise ValueError(f"the stream has {len(tokens)} tokens, fewer than context + 1 = {context + 1}")
        self.tokens, self.context, self.batch_size = tokens, context, batch_size
        self.rng = np.random.default_rng(seed)
        self.epoch = -1
        self._new_epoch()

    def _new_epoch(self) -> None:
        self.epoch_start = self.rng.bit_generator.state
        self.epoch += 1
        span = self.context + 1
        phase = int(self.rng.integers(0, min(self.context, len(self.tokens) - span + 1)))
        count = (len(self.tokens) - phase - 1) // self.context
        self.starts = phase + self.context * self.rng.permutation(count)  # [windows]
        self.cursor = 0

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y: [B, T] int64 arrays, y[b, t] the token after x[b, t]."""
        starts = []
        while len(starts) < self.batch_size:
            if self.cursor == len(self.starts):
                self._new_epoch()
            take = self.starts[self.cursor : self.cursor + self.batch_size - len(starts)]
            starts.extend(take)
            self.cursor += len(take)
        window = np.asarray(starts)[:, None] + np.arange(self.context + 1)  # [B, T + 1]
        chunk = np.asarray(self.tokens[window], dtype=np.int64)  # [B, T + 1]
        return chunk[:, :-1], chunk[:, 1:]

    def state(self) -> dict:
        return {"epoch": self.epoch, "cursor": self.cursor, "rng": self.epoch_start}

    def restore(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.epoch = state["epoch"] - 1
        self._new_epoch()
        self.cursor = state["cursor"]


def eval_windows(tokens: np.ndarray, *, context: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``limit`` non-overlapping windows spread evenly over the stream: a fixed
    evaluation set, the same at every evaluation."""
    count = (len(tokens) - 1) // context
    picks = np.unique(np.linspace(0, count - 1, num=min(count, limit)).astype(np.int64))  # [W]
    window = (picks * context)[:, None] + np.arange(context + 1)  # [W, T + 1]
    chunk = np.asarray(tokens[window], dtype=np.int64)
    return chunk[:, :-1], chunk[:, 1:]


def split_text(text: str, *, eval_fraction: float = 0.1) -> tuple[str, str]:
    """(train, eval) text: the last ``eval_fraction`` held out, cut at a line break where
    there is one, so that every tokenizer sees the same two texts."""
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be between 0 and 1, not {eval_fraction!r}")
    cut = int(len(text) * (1.0 - eval_fraction))
    line_break = text.rfind("\n", 0, cut)
    if line_break > len(text) // 2:
        cut = line_break + 1
    return text[:cut], text[cut:]


def sample_corpus(*, held_out_lines: int = 2) -> tuple[str, str]:
    """(train, eval) text from tokkit's bundled parallel corpus (26 languages, 12 lines
    each): the last ``held_out_lines`` lines of every language are held out, so the model
    is evaluated on unseen sentences of the languages it was trained on."""
    from tokkit.corpora import sample_lines

    train, held = [], []
    for lines in sample_lines().values():
        train.append("\n".join(lines[:-held_out_lines]) + "\n")
        held.append("\n".join(lines[-held_out_lines:]) + "\n")
    return "".join(train), "".join(held)
