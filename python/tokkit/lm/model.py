"""A GPT-style decoder: token ids in, next-token logits (or the loss) out.

    ids [B, T] -> token embedding (+ positions) -> n_layers x block -> LayerNorm -> head -> logits [B, T, V]
    block: x = x + attn(LN1(x));  x = x + mlp(LN2(x))          (pre-LN, as in GPT-2)

Parameters live in one flat dict of NumPy arrays (``model.params``), named as in the table
of ``parameter_shapes``; gradients come back as a dict with the same names. The forward
keeps what the backward needs in a cache, and ``backward`` walks the layers in reverse,
each through its pair in ``layers.py``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import NamedTuple, Optional

import numpy as np

from . import layers as L

POSITIONAL = ("learned", "sinusoidal", "rope")


class BlockCache(NamedTuple):
    """What a block's backward needs of its forward (names as in ``_block_forward``)."""

    a: np.ndarray  # [B, T, C] the block's input after LN1
    ln1: tuple  # LN1's cache
    attn: L.AttentionCache
    y: np.ndarray  # [B, T, C] the heads' output, before the projection
    drop1: Optional[np.ndarray]  # [B, T, C] the attention dropout's keep mask, or None
    m: np.ndarray  # [B, T, C] the residual stream after LN2
    ln2: tuple  # LN2's cache
    gelu: np.ndarray  # [B, T, F] GELU's slope at each input
    g: np.ndarray  # [B, T, F] the MLP's activations
    drop2: Optional[np.ndarray]  # [B, T, C] the MLP dropout's keep mask, or None
DTYPES = ("float32", "float64")


@dataclass
class Config:
    """The model's shape. ``d_ff`` defaults to 4 x ``d_model``.

    >>> Config(vocab_size=512, d_model=64, n_heads=4).head_dim
    16
    """

    vocab_size: int
    context: int = 128
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 2
    d_ff: Optional[int] = None
    dropout: float = 0.0
    positional: str = "learned"
    tie_embeddings: bool = True
    dtype: str = "float32"
    seed: int = 0

    def __post_init__(self):
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model
        for name in ("vocab_size", "context", "d_model", "n_heads", "n_layers", "d_ff"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Config.{name} must be a positive int, not {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})")
        if self.positional not in POSITIONAL:
            raise ValueError(f"positional must be one of {', '.join(POSITIONAL)}; got {self.positional!r}")
        if self.positional == "rope" and self.head_dim % 2:
            raise ValueError(f"rope needs an even head size; d_model / n_heads = {self.head_dim}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be float32 (training) or float64 (gradient checks), not {self.dtype!r}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, fields: dict) -> "Config":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValueError(f"unknown Config fields {unknown}; known fields are {sorted(known)}")
        return cls(**fields)


def parameter_shapes(config: Config) -> dict[str, tuple[int, ...]]:
    """Every parameter's name and shape, in a fixed order (the order of ``model.params``).

    >>> list(parameter_shapes(Config(vocab_size=10, n_layers=1)))[:4]
    ['wte', 'wpe', 'block0.ln1.gain', 'block0.ln1.bias']
    """
    V, T, C, F = config.vocab_size, config.context, config.d_model, config.d_ff
    shapes = {"wte": (V, C)}
    if config.positional == "learned":
        shapes["wpe"] = (T, C)
    for layer in range(config.n_layers):
        shapes.update({
            f"block{layer}.ln1.gain": (C,), f"block{layer}.ln1.bias": (C,),
            f"block{layer}.attn.qkv.w": (C, 3 * C), f"block{layer}.attn.qkv.b": (3 * C,),
            f"block{layer}.attn.proj.w": (C, C), f"block{layer}.attn.proj.b": (C,),
            f"block{layer}.ln2.gain": (C,), f"block{layer}.ln2.bias": (C,),
            f"block{layer}.mlp.up.w": (C, F), f"block{layer}.mlp.up.b": (F,),
            f"block{layer}.mlp.down.w": (F, C), f"block{layer}.mlp.down.b": (C,),
        })
    shapes.update({"lnf.gain": (C,), "lnf.bias": (C,)})
    if not config.tie_embeddings:
        shapes["head"] = (C, V)
    return shapes


def init_params(config: Config) -> dict[str, np.ndarray]:
    """GPT-2's initialisation: weights ~ N(0, 0.02), the two projections that write into
    the residual stream scaled down by sqrt(2 n_layers), biases 0, LayerNorm gains 1.
    Drawn in float64 and then cast, so float32 and float64 models start from one point."""
    rng = np.random.default_rng(config.seed)
    residual_std = 0.02 / math.sqrt(2 * config.n_layers)
    params = {}
    for name, shape in parameter_shapes(config).items():
        if name.endswith(".gain"):
            value = np.ones(shape)
        elif name.endswith((".b", ".bias")):
            value = np.zeros(shape)
        else:
            std = residual_std if name.endswith(("proj.w", "down.w")) else 0.02
            value = rng.normal(0.0, std, size=shape)
        params[name] = value.astype(config.dtype)
    return params


class Transformer:
    """The model: ``Config`` plus parameters.

    >>> model = Transformer(Config(vocab_size=50, context=16, d_model=32, n_heads=2))
    >>> ids = np.array([[1, 2, 3, 4]])
    >>> loss, cache = model.forward(ids, np.array([[2, 3, 4, 5]]))
    >>> grads = model.backward(cache)
    >>> grads["wte"].shape
    (50, 32)
    """

    def __init__(self, config: Config, *, params: Optional[dict] = None):
        self.config = config
        self.params = init_params(config) if params is None else params
        self.dtype = np.dtype(config.dtype)
        if config.positional == "sinusoidal":
            self.sinusoid = L.sinusoidal_table(config.context, config.d_model, dtype=self.dtype)  # [T, C]
        if config.positional == "rope":
            self.rope = L.rope_angles(config.context, config.head_dim, dtype=self.dtype)  # ([T, D/2], [T, D/2])

    def __repr__(self) -> str:
        c = self.config
        return (f"<tokkit.lm.Transformer: {self.n_params:,} parameters, {c.n_layers} layers x {c.n_heads} heads, "
                f"d_model {c.d_model}, context {c.context}, vocab {c.vocab_size}, {c.positional} positions>")

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.params.values())

    @property
    def n_params_non_embedding(self) -> int:
        """Parameters other than the token and position tables: the N of scaling laws."""
        return self.n_params - sum(self.params[n].size for n in ("wte", "wpe") if n in self.params)

    def check_ids(self, ids, what: str = "ids") -> np.ndarray:
        """ids as a [B, T] integer array, or an error that says what is wrong with them."""
        ids = np.asarray(ids)
        if ids.ndim == 1:
            ids = ids[None, :]
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"{what} must be a [batch, positions] array of ints; got {ids.dtype} of shape {ids.shape}")
        if ids.shape[1] > self.config.context:
            raise ValueError(f"{what} has {ids.shape[1]} positions but the model's context is {self.config.context}; "
                             f"cut the input into windows of at most {self.config.context} tokens")
        if ids.size and (ids.min() < 0 or ids.max() >= self.config.vocab_size):
            bad = int(ids.max()) if ids.max() >= self.config.vocab_size else int(ids.min())
            raise ValueError(f"token id {bad} in {what} is outside the model's vocabulary (0 to "
                             f"{self.config.vocab_size - 1}); build the Config with the tokenizer's vocab_size")
        return ids

    # ---- forward -----------------------------------------------------------------------

    def forward(self, ids, targets=None, *, rng: Optional[np.random.Generator] = None):
        """Runs the model. With ``targets`` returns (mean loss, cache) for ``backward``;
        without, (logits [B, T, V], cache). ``rng`` turns dropout on (training only)."""
        ids = self.check_ids(ids)
        p, config = self.params, self.config
        batch, positions = ids.shape
        x = L.embedding_forward(ids, p["wte"])  # [B, T, C]
        if config.positional == "learned":
            x = x + p["wpe"][:positions]  # [B, T, C]
        elif config.positional == "sinusoidal":
            x = x + self.sinusoid[:positions]  # [B, T, C]
        x, drop = L.dropout_forward(x, config.dropout, rng)
        rope = None if config.positional != "rope" else (self.rope[0][:positions], self.rope[1][:positions])
        blocks = []
        for layer in range(config.n_layers):
            x, block = self._block_forward(layer, x, rope, rng)
            blocks.append(block)
        h, lnf = L.layernorm_forward(x, p["lnf.gain"], p["lnf.bias"])  # [B, T, C]
        logits = (h.reshape(-1, config.d_model) @ self.head_weights()).reshape(batch, positions, -1)  # [B, T, V]
        cache = {"ids": ids, "drop": drop, "blocks": blocks, "h": h, "lnf": lnf}
        if targets is None:
            return logits, cache
        targets = self.check_ids(targets, "targets")
        if targets.shape != ids.shape:
            raise ValueError(f"targets have shape {targets.shape} but ids have {ids.shape}; they must match")
        loss, cache["xent"] = L.cross_entropy_forward(logits.reshape(-1, config.vocab_size), targets.reshape(-1))
        return loss, cache

    def head_weights(self) -> np.ndarray:
        """The output projection [C, V]: the token table's transpose when tied."""
        return self.params["wte"].T if self.config.tie_embeddings else self.params["head"]  # [C, V]

    def _block_forward(self, layer: int, x: np.ndarray, rope, rng):
        p, config, name = self.params, self.config, f"block{layer}."
        a, ln1 = L.layernorm_forward(x, p[name + "ln1.gain"], p[name + "ln1.bias"])  # [B, T, C]
        qkv = L.linear_forward(a, p[name + "attn.qkv.w"], p[name + "attn.qkv.b"])  # [B, T, 3C]
        y, attn = L.attention_forward(qkv, config.n_heads, rope)  # [B, T, C]
        o = L.linear_forward(y, p[name + "attn.proj.w"], p[name + "attn.proj.b"])  # [B, T, C]
        o, drop1 = L.dropout_forward(o, config.dropout, rng)
        x = x + o  # [B, T, C]
        m, ln2 = L.layernorm_forward(x, p[name + "ln2.gain"], p[name + "ln2.bias"])  # [B, T, C]
        u = L.linear_forward(m, p[name + "mlp.up.w"], p[name + "mlp.up.b"])  # [B, T, F]
        g, gelu = L.gelu_forward(u)  # [B, T, F]
        d = L.linear_forward(g, p[name + "mlp.down.w"], p[name + "mlp.down.b"])  # [B, T, C]
        d, drop2 = L.dropout_forward(d, config.dropout, rng)
        x = x + d  # [B, T, C]
        return x, BlockCache(a, ln1, attn, y, drop1, m, ln2, gelu, g, drop2)

    # ---- backward ----------------------------------------------------------------------

    def backward(self, cache) -> dict[str, np.ndarray]:
        """Gradients of the mean loss for every parameter, from a ``forward`` with targets.
        The cache is used up: run ``forward`` again before another ``backward``."""
        if "xent" not in cache:
            raise ValueError("backward needs the cache of a forward with targets (the loss)")
        p, config = self.params, self.config
        ids = cache["ids"]
        batch, positions = ids.shape
        grads = {}
        dlogits = L.cross_entropy_backward(1.0, cache.pop("xent"))  # [N, V]
        h = cache["h"].reshape(-1, config.d_model)  # [N, C]
        if config.tie_embeddings:
            dh = dlogits @ p["wte"]  # [N, C]
            dwte_head = dlogits.T @ h  # [V, C]
        else:
            dh = dlogits @ p["head"].T  # [N, C]
            grads["head"] = h.T @ dlogits  # [C, V]
        dx, grads["lnf.gain"], grads["lnf.bias"] = L.layernorm_backward(dh.reshape(batch, positions, -1), cache["lnf"])
        for layer in reversed(range(config.n_layers)):
            dx = self._block_backward(layer, dx, cache["blocks"][layer], grads)
        dx = L.dropout_backward(dx, cache["drop"])  # [B, T, C]
        if config.positional == "learned":
            grads["wpe"] = np.zeros_like(p["wpe"])  # [T_max, C]
            grads["wpe"][:positions] = dx.sum(axis=0)
        grads["wte"] = L.embedding_backward(dx, ids, config.vocab_size)  # [V, C]
        if config.tie_embeddings:
            grads["wte"] += dwte_head
        return {name: grads[name] for name in p}

    def _block_backward(self, layer: int, dx: np.ndarray, cache, grads: dict) -> np.ndarray:
        p, name = self.params, f"block{layer}."
        a, ln1, attn, y, drop1, m, ln2, gelu, g, drop2 = cache
        dd = L.dropout_backward(dx, drop2)  # [B, T, C]
        dg, grads[name + "mlp.down.w"], grads[name + "mlp.down.b"] = L.linear_backward(dd, g, p[name + "mlp.down.w"])
        du = L.gelu_backward(dg, gelu)  # [B, T, F]
        dm, grads[name + "mlp.up.w"], grads[name + "mlp.up.b"] = L.linear_backward(du, m, p[name + "mlp.up.w"])
        dmx, grads[name + "ln2.gain"], grads[name + "ln2.bias"] = L.layernorm_backward(dm, ln2)
        dx = dx + dmx  # [B, T, C]
        do = L.dropout_backward(dx, drop1)  # [B, T, C]
        dy, grads[name + "attn.proj.w"], grads[name + "attn.proj.b"] = L.linear_backward(do, y, p[name + "attn.proj.w"])
        dqkv = L.attention_backward(dy, attn)  # [B, T, 3C]
        da, grads[name + "attn.qkv.w"], grads[name + "attn.qkv.b"] = L.linear_backward(dqkv, a, p[name + "attn.qkv.w"])
        dax, grads[name + "ln1.gain"], grads[name + "ln1.bias"] = L.layernorm_backward(da, ln1)
        return dx + dax  # [B, T, C]

    # ---- conveniences ------------------------------------------------------------------

    def logits(self, ids) -> np.ndarray:
        """Next-token logits [B, T, V] for every position."""
        return self.forward(ids)[0]

    def loss(self, ids, targets) -> float:
        """Mean cross-entropy of predicting ``targets`` from ``ids``, in nats per token."""
        return self.forward(ids, targets)[0]

    def attention_maps(self, ids) -> np.ndarray:
        """Attention weights [n_layers, B, n_heads, T, T]: row i says where position i looked."""
        _, cache = self.forward(ids)
        return np.stack([block.attn.probs for block in cache["blocks"]])
