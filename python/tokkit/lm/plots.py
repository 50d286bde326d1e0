"""Pictures of what the model learned, as PNG files (matplotlib, no display needed).

- ``plot_loss``: train and eval loss against tokens seen, with bits per byte beside.
- ``plot_attention``: where each head of each layer looks, for one sentence.
- ``plot_embeddings``: token embeddings projected to 2-D by PCA; ``embedding_neighbours``
  lists the tokens whose embeddings point the same way as a given one.
- ``plot_next_token``: the most likely next tokens after a prompt, with probabilities.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Optional, Union

import numpy as np

from .data import tokenize
from .model import Transformer

PathLike = Union[str, os.PathLike]


def new_figure(width: float, height: float):
    # The object API needs no GUI backend and leaves pyplot's global state alone.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def save_figure(fig, path: PathLike) -> None:
    # Tokens of scripts the default font lacks are drawn as boxes; one warning per missing
    # glyph would bury the command's own output.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig.savefig(path)


def token_label(tokenizer, token_id: int) -> str:
    """A token as readable text: spaces as '␣', newlines as '↵', partial bytes as <xx>."""
    piece = tokenizer.id_to_token(int(token_id))
    if isinstance(piece, bytes):
        return "".join(f"<{b:02x}>" for b in piece)
    return piece.replace(" ", "␣").replace("\n", "↵")


def smooth(values, weight: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction, so the first points are not pulled to 0."""
    out, average = [], 0.0
    for i, value in enumerate(values, start=1):
        average = weight * average + (1 - weight) * value
        out.append(average / (1 - weight**i))
    return np.array(out)


def plot_loss(history: dict, path: PathLike, *, bytes_per_token: Optional[float] = None, title: str = "") -> None:
    """Loss (nats per token) against tokens seen; with ``bytes_per_token`` (UTF-8 bytes
    per token of the training text) a right axis gives bits per byte."""
    fig = new_figure(7, 4)
    ax = fig.add_subplot()
    ax.plot(history["tokens"], history["loss"], color="tab:blue", alpha=0.25, linewidth=0.8)
    ax.plot(history["tokens"], smooth(history["loss"]), color="tab:blue", label="train (smoothed)")
    if history["eval"]["loss"]:
        ax.plot(history["eval"]["tokens"], history["eval"]["loss"], "o-", color="tab:orange", label="eval")
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("loss (nats per token)")
    ax.grid(alpha=0.3)
    ax.legend()
    if bytes_per_token:
        to_bpb = 1.0 / (math.log(2) * bytes_per_token)
        right = ax.secondary_yaxis("right", functions=(lambda y: y * to_bpb, lambda b: b / to_bpb))
        right.set_ylabel("bits per byte")
    ax.set_title(title or "training loss")
    save_figure(fig, path)


def plot_attention(model: Transformer, tokenizer, sentence: str, path: PathLike) -> None:
    """A grid of attention maps, one row per layer and one column per head: cell (i, j)
    is how much position i attends to position j (rows sum to 1; the future is masked)."""
    ids = tokenize(tokenizer, sentence)[: model.config.context]
    maps = model.attention_maps(ids[None, :])[:, 0]  # [L, H, T, T]
    labels = [token_label(tokenizer, i) for i in ids]
    layers, heads = maps.shape[:2]
    size = min(4.0, 0.12 * len(ids) + 1.5)
    fig = new_figure(size * heads + 0.6, size * layers + 0.4)
    grid = fig.subplots(layers, heads, squeeze=False)
    for layer in range(layers):
        for head in range(heads):
            ax = grid[layer][head]
            ax.imshow(maps[layer, head], cmap="viridis", vmin=0.0, vmax=1.0)
            ax.set_title(f"layer {layer} head {head}", fontsize=8)
            ticks = range(len(ids)) if len(ids) <= 48 else []
            ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=90, fontsize=5)
            ax.set_yticks(ticks, [labels[i] for i in ticks], fontsize=5)
    save_figure(fig, path)


def embedding_neighbours(model: Transformer, tokenizer, token: Union[str, int], *, k: int = 8) -> list[tuple[str, float]]:
    """The ``k`` tokens whose embeddings have the highest cosine similarity to ``token``
    (a token id, or text that encodes to one token), as (label, cosine)."""
    if isinstance(token, str):
        ids = tokenize(tokenizer, token)
        if len(ids) != 1:
            raise ValueError(f"{token!r} is {len(ids)} tokens; give text that is one token, or a token id")
        token = int(ids[0])
    table = model.params["wte"].astype(np.float64)  # [V, C]
    unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    cosine = unit @ unit[token]  # [V]
    cosine[token] = -np.inf
    best = np.argsort(-cosine, kind="stable")[:k]
    return [(token_label(tokenizer, i), float(cosine[i])) for i in best]


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Rows projected onto their two directions of largest variance."""
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T  # [n, 2]


def most_frequent(tokens: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` most frequent ids of a token stream, most frequent first (ties: lower id)."""
    counts = np.bincount(np.asarray(tokens, dtype=np.int64))
    return np.argsort(-counts, kind="stable")[: min(n, int((counts > 0).sum()))]


def plot_embeddings(model: Transformer, tokenizer, path: PathLike, *, ids) -> None:
    """The embeddings of the tokens ``ids`` (say, ``most_frequent(tokens, 120)``), placed by
    their first two principal components: tokens used alike end up near each other."""
    ids = np.asarray(ids, dtype=np.int64)
    points = pca_2d(model.params["wte"][ids].astype(np.float64))
    fig = new_figure(8, 7)
    ax = fig.add_subplot()
    ax.scatter(points[:, 0], points[:, 1], s=6, color="tab:gray")
    for (x, y), token_id in zip(points, ids):
        ax.annotate(token_label(tokenizer, token_id), (x, y), fontsize=7)
    ax.set_title(f"token embeddings of {len(ids)} tokens, first two principal components")
    save_figure(fig, path)


def next_token_distribution(model: Transformer, tokenizer, prompt: str, *, k: int = 15) -> list[tuple[str, float]]:
    """The ``k`` most likely next tokens after ``prompt`` and their probabilities."""
    ids = tokenize(tokenizer, prompt)[-model.config.context :]
    if not len(ids):
        raise ValueError("the prompt is empty; give at least one character")
    logits = model.logits(ids[None, :])[0, -1].astype(np.float64)  # [V]
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    best = np.argsort(-probs, kind="stable")[:k]
    return [(token_label(tokenizer, i), float(probs[i])) for i in best]


def plot_next_token(model: Transformer, tokenizer, prompt: str, path: PathLike, *, k: int = 15) -> None:
    """Bars of the ``k`` most likely next tokens after ``prompt``."""
    ranked = next_token_distribution(model, tokenizer, prompt, k=k)
    fig = new_figure(6, 0.3 * len(ranked) + 1.2)
    ax = fig.add_subplot()
    ax.barh(range(len(ranked)), [p for _, p in ranked], color="tab:green")
    ax.set_yticks(range(len(ranked)), [label for label, _ in ranked])
    ax.invert_yaxis()
    ax.set_xlabel("probability")
    ax.set_title(f"next token after {prompt[-40:]!r}", fontsize=9)
    save_figure(fig, path)
