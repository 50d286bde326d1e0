"""Comparing tokenizers by the language model they make possible.

Every tokenizer gets the same model shape, the same training text, the same number of
steps of the same batch of token windows, and the same held-out text; the score is bits
per byte on that text, which does not depend on what a token is. Two things do differ,
by design: the embedding table grows with the vocabulary, and a window of ``context``
tokens covers more text when tokens are longer. Both are reported next to the score.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from .data import tokenize
from .evaluate import evaluate
from .model import Config, Transformer
from .train import train


def build_tokenizer(spec: str, train_text: str):
    """A tokenizer from a short spec, trained on ``train_text`` where it needs training.

    ``bytes`` is byte-level BPE with no merges (one token per byte); ``KIND:SIZE`` calls
    ``tokkit.train_KIND(vocab_size=SIZE)`` (``bpe:2048``; also ``unigram:``, ``wordpiece:``
    where tokkit provides those trainers); ``KIND`` alone calls ``tokkit.train_KIND`` with
    its defaults (``char``); anything else is a file for ``tokkit.load``.
    """
    import tokkit

    if spec == "bytes":
        return tokkit.train_bpe([train_text], vocab_size=256, show_progress=False, name="bytes")
    if Path(spec).exists():
        return tokkit.load(spec)
    kind, _, size = spec.partition(":")
    trainer = getattr(tokkit, f"train_{kind}", None) if kind.isidentifier() else None
    if trainer is None:
        raise ValueError(f"unknown tokenizer {spec!r}: use bytes, bpe:SIZE, another KIND[:SIZE] with a "
                         f"tokkit.train_KIND function, or the path of a saved tokenizer")
    if size and not size.isdigit():
        raise ValueError(f"the size in {spec!r} must be a whole number of tokens, like bpe:2048")
    options = {"vocab_size": int(size)} if size else {}
    return trainer([train_text], show_progress=False, **options)


def compare_tokenizers(train_text: str, eval_text: str, tokenizers: dict, *, d_model: int = 64, n_layers: int = 2,
                       n_heads: int = 4, context: int = 64, steps: int = 300, batch_size: int = 16,
                       lr: float = 3e-3, seed: int = 0, show_progress=True) -> list[dict]:
    """Trains one model per tokenizer (``{name: tokenizer}``) and returns a row each:
    name, vocab_size, tokens (of the training text), bytes_per_token, params,
    bytes_seen (text read in training), loss (nats per token), bits_per_byte, seconds."""
    rows = []
    train_bytes = len(train_text.encode("utf-8"))
    for name, tokenizer in tokenizers.items():
        tokens = tokenize(tokenizer, train_text)
        model, scores, seconds = train_and_evaluate(
            tokenizer, tokens, eval_text, context=context, d_model=d_model, n_layers=n_layers, n_heads=n_heads,
            steps=steps, batch_size=batch_size, lr=lr, seed=seed, show_progress=show_progress)
        bytes_per_token = train_bytes / len(tokens)
        rows.append({"name": name, "vocab_size": tokenizer.vocab_size, "tokens": len(tokens),
                     "bytes_per_token": bytes_per_token, "params": model.n_params,
                     "bytes_seen": int(steps * batch_size * context * bytes_per_token),
                     "loss": scores["loss"], "bits_per_byte": scores["bits_per_byte"],
                     "seconds": seconds})
    return rows


def train_and_evaluate(tokenizer, tokens, eval_text: str, *, context: int, d_model: int, n_layers: int,
                       n_heads: int, steps: int, batch_size: int, lr: float, seed: int, show_progress,
                       eval_tokens=None):
    """Trains a fresh model of this shape on ``tokens`` and scores it on ``eval_text``:
    returns (model, scores from ``evaluate``, seconds spent training and scoring)."""
    config = Config(vocab_size=tokenizer.vocab_size, context=context, d_model=d_model, n_layers=n_layers,
                    n_heads=n_heads, seed=seed)
    model = Transformer(config)
    began = time.perf_counter()
    if eval_tokens is None:
        eval_tokens = tokenize(tokenizer, eval_text)
    train(model, tokens, steps=steps, batch_size=batch_size, lr=lr, eval_every=steps, eval_tokens=eval_tokens,
          seed=seed, show_progress=show_progress)
    scores = evaluate(model, tokenizer, eval_text)
    return model, scores, time.perf_counter() - began


def markdown_table(rows: Sequence[dict]) -> str:
    """The comparison as a markdown table, best bits per byte first."""
    lines = ["| tokenizer | vocab | bytes/token | params | text seen | loss/token | bits/byte |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: r["bits_per_byte"]):
        lines.append(f"| {r['name']} | {r['vocab_size']:,} | {r['bytes_per_token']:.2f} | {r['params']:,} | "
                     f"{r['bytes_seen'] / 1e3:,.0f} KB | {r['loss']:.3f} | **{r['bits_per_byte']:.3f}** |")
    return "\n".join(lines) + "\n"
