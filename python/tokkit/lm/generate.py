"""Text generation, one token at a time, with a KV cache.

Attention at a new position needs the keys and values of every earlier position. Those
never change once computed, so the cache keeps them ([B, H, context, D] per layer) and each
step runs the model on the one new token only: O(T) work per token instead of O(T^2).
Once the sequence fills the context, the oldest tokens fall out of the window and every
kept token sits at a new position, so each later step recomputes the window in full (the
cache, which holds keys at their old positions, cannot help there).

``decode`` below is the inference path, written apart from the training forward in
``model.py``; a test holds the two equal.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from . import layers as L
from .model import Transformer


class KVCache:
    """Keys and values of the positions seen so far, for every layer."""

    def __init__(self, model: Transformer, batch: int = 1):
        c = model.config
        shape = (c.n_layers, batch, c.n_heads, c.context, c.head_dim)  # [L, B, H, T_max, D]
        self.keys = np.zeros(shape, dtype=model.dtype)
        self.values = np.zeros(shape, dtype=model.dtype)
        self.length = 0


def decode(model: Transformer, ids: np.ndarray, cache: KVCache) -> np.ndarray:
    """Runs new tokens ids [B, t] after the ``cache.length`` positions already cached;
    returns their logits [B, t, V] and appends their keys and values to the cache."""
    p, c = model.params, model.config
    ids = model.check_ids(ids)
    batch, new = ids.shape
    start, end = cache.length, cache.length + new
    if end > c.context:
        raise ValueError(f"the cache holds {start} positions; {new} more would pass the context of {c.context}")
    x = L.embedding_forward(ids, p["wte"])  # [B, t, C]
    if c.positional == "learned":
        x = x + p["wpe"][start:end]
    elif c.positional == "sinusoidal":
        x = x + model.sinusoid[start:end]
    rope = None if c.positional != "rope" else (model.rope[0][start:end], model.rope[1][start:end])
    # Query i (at position start + i) may see keys 0 .. start + i.
    mask = np.where(np.arange(end)[None, :] > np.arange(start, end)[:, None], -np.inf, 0.0).astype(model.dtype)  # [t, T]
    for layer in range(c.n_layers):
        name = f"block{layer}."
        a, _ = L.layernorm_forward(x, p[name + "ln1.gain"], p[name + "ln1.bias"])  # [B, t, C]
        qkv = a @ p[name + "attn.qkv.w"] + p[name + "attn.qkv.b"]  # [B, t, 3C]
        q, k, v = qkv.reshape(batch, new, 3, c.n_heads, c.head_dim).transpose(2, 0, 3, 1, 4)  # [B, H, t, D] each
        if rope is not None:
            q, k = L.rope_forward(q, *rope), L.rope_forward(k, *rope)
        cache.keys[layer, :, :, start:end] = k
        cache.values[layer, :, :, start:end] = v
        keys, values = cache.keys[layer, :, :, :end], cache.values[layer, :, :, :end]  # [B, H, T, D]
        scores = q @ keys.transpose(0, 1, 3, 2) / math.sqrt(c.head_dim) + mask  # [B, H, t, T]
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)
        y = (weights @ values).transpose(0, 2, 1, 3).reshape(batch, new, c.d_model)  # [B, t, C]
        x = x + y @ p[name + "attn.proj.w"] + p[name + "attn.proj.b"]
        m, _ = L.layernorm_forward(x, p[name + "ln2.gain"], p[name + "ln2.bias"])  # [B, t, C]
        g, _ = L.gelu_forward(m @ p[name + "mlp.up.w"] + p[name + "mlp.up.b"])  # [B, t, F]
        x = x + g @ p[name + "mlp.down.w"] + p[name + "mlp.down.b"]  # [B, t, C]
    cache.length = end
    h, _ = L.layernorm_forward(x, p["lnf.gain"], p["lnf.bias"])  # [B, t, C]
    return h @ model.head_weights()  # [B, t, V]


def next_token_probabilities(logits: np.ndarray, *, temperature: float, top_k: Optional[int],
                             top_p: Optional[float]) -> np.ndarray:
    """The distribution to sample from, after temperature, top-k and top-p (nucleus) cuts.

    >>> next_token_probabilities(np.log([0.5, 0.3, 0.2]), temperature=1.0, top_k=2, top_p=None).round(3).tolist()
    [0.625, 0.375, 0.0]
    """
    scaled = np.asarray(logits, dtype=np.float64) / temperature  # [V]
    if top_k is not None and top_k < len(scaled):
        cutoff = np.partition(scaled, -top_k)[-top_k]
        scaled = np.where(scaled < cutoff, -np.inf, scaled)
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-probs, kind="stable")
        before = np.cumsum(probs[order]) - probs[order]  # mass of the tokens ranked above each
        probs[order[before >= top_p]] = 0.0
        probs /= probs.sum()
    return probs


def generate(model: Transformer, tokenizer, prompt: str, *, max_new_tokens: int = 50, temperature: float = 1.0,
             top_k: Optional[int] = None, top_p: Optional[float] = None, seed: int = 0,
             kv_cache: bool = True) -> str:
    """Continues ``prompt`` and returns the new text (without the prompt).

    ``temperature=0`` picks the most likely token every time (greedy); otherwise tokens are
    drawn from the softmax at that temperature, cut to the ``top_k`` most likely and to the
    smallest set holding ``top_p`` of the mass. The same seed gives the same text.
    ``kv_cache=False`` recomputes the whole window at every step (slower, same result).

    >>> from tokkit.lm import Config, Transformer
    >>> import tokkit
    >>> tok = tokkit.train_bpe(["abc abc abc"], vocab_size=260, show_progress=False)
    >>> model = Transformer(Config(vocab_size=tok.vocab_size, context=16, d_model=16, n_heads=2))
    >>> len(generate(model, tok, "abc", max_new_tokens=5, temperature=0)) > 0
    True
    """
    _check_sampling(max_new_tokens, temperature, top_k, top_p)
    ids = list(tokenizer.encode_ordinary(prompt))
    if not ids:
        raise ValueError("the prompt is empty; give at least one character to continue from")
    context = model.config.context
    rng = np.random.default_rng(seed)
    cache = KVCache(model) if kv_cache else None
    new = []
    for _ in range(max_new_tokens):
        if cache is not None and len(ids) <= context:
            logits = decode(model, np.array([ids[cache.length :]]), cache)[0, -1]  # [V]
        else:
            logits = model.logits(np.array([ids[-context:]]))[0, -1]  # [V]
        if temperature == 0:
            token = int(np.argmax(logits))
        else:
            probs = next_token_probabilities(logits, temperature=temperature, top_k=top_k, top_p=top_p)
            token = int(rng.choice(len(probs), p=probs))
        ids.append(token)
        new.append(token)
    return tokenizer.decode(new)


def _check_sampling(max_new_tokens, temperature, top_k, top_p) -> None:
    if not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be an int >= 0, not {max_new_tokens!r}")
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0 (0 is greedy), not {temperature!r}")
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, not {top_k!r}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1] or None, not {top_p!r}")
