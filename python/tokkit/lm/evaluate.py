"""Scoring a model on text, in units that compare across tokenizers.

Loss per token depends on what a token is: a character-level model predicts many easy
tokens, a BPE model fewer hard ones. Bits per byte does not: the total surprise of the
text (negative log-likelihood, in bits) divided by the UTF-8 bytes it covers. A model
that spends 2.1 bits per byte compresses the text to 2.1 / 8 of its size, whatever its
tokenizer.
"""

from __future__ import annotations

import math

import numpy as np

from .data import tokenize
from .model import Transformer


def total_nll(model: Transformer, ids: np.ndarray, *, batch_size: int = 8) -> float:
    """Sum of -ln p(token | tokens before it, up to the context) over ids[1:], in nats.

    The stream is cut into windows of context + 1 tokens that overlap by one token, so
    every token but the first is predicted exactly once.
    """
    context = model.config.context
    full = (len(ids) - 1) // context
    starts = np.arange(full) * context
    total = 0.0
    for i in range(0, full, batch_size):
        window = starts[i : i + batch_size, None] + np.arange(context + 1)  # [b, T + 1]
        chunk = np.asarray(ids[window], dtype=np.int64)
        total += model.loss(chunk[:, :-1], chunk[:, 1:]) * chunk[:, 1:].size
    tail = np.asarray(ids[full * context :], dtype=np.int64)  # the last, shorter window
    if len(tail) > 1:
        total += model.loss(tail[None, :-1], tail[None, 1:]) * (len(tail) - 1)
    return total


def evaluate(model: Transformer, tokenizer, text: str, *, batch_size: int = 8) -> dict:
    """Loss per token and bits per byte of ``model`` on ``text``.

    >>> import tokkit
    >>> from tokkit.lm import Config, Transformer
    >>> tok = tokkit.train_bpe(["the cat sat on the mat"], vocab_size=270, show_progress=False)
    >>> model = Transformer(Config(vocab_size=tok.vocab_size, context=8, d_model=16, n_heads=2))
    >>> scores = evaluate(model, tok, "the cat sat on the mat")
    >>> abs(scores["bits_per_token"] - math.log2(tok.vocab_size)) < 0.1   # untrained: near uniform
    True

    Returns ``tokens``, ``bytes`` (UTF-8 bytes of the predicted tokens: all the text but
    the first token, which nothing precedes), ``text_bytes``, ``loss`` (nats per predicted
    token), ``bits_per_token``, ``bits_per_byte`` and ``perplexity`` (per token).
    """
    ids = tokenize(tokenizer, text)
    if len(ids) < 2:
        raise ValueError(f"the text gives {len(ids)} token(s); bits per byte needs at least 2")
    if ids.max() >= model.config.vocab_size:
        raise ValueError(f"the tokenizer gives id {ids.max()}, outside the model's vocabulary (0 to "
                         f"{model.config.vocab_size - 1}); evaluate with the tokenizer the model was trained with")
    nats = total_nll(model, ids, batch_size=batch_size)
    predicted = len(ids) - 1
    covered = len(tokenizer.decode_bytes(ids[1:]))
    loss = nats / predicted
    return {
        "tokens": len(ids),
        "bytes": covered,
        "text_bytes": len(text.encode("utf-8")),
        "loss": loss,
        "bits_per_token": loss / math.log(2),
        "bits_per_byte": nats / math.log(2) / covered,
        "perplexity": math.exp(loss),
    }
