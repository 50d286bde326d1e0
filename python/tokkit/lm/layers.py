"""The transformer's layers, each a forward and its backward side by side.

Shapes use one convention throughout: B batch, T positions, C channels (``d_model``),
H heads, D = C / H channels per head, F feed-forward width, V vocabulary, N = B * T.

A ``*_forward`` returns its output and a cache: what its backward needs. A
``*_backward`` takes d(loss)/d(output) and that cache and returns the gradients of its
inputs and parameters. No parameters live here (``model.py`` owns them) and nothing here
knows about any other layer, so each pair can be checked alone against finite differences
(``tests/test_lm_layers.py``).

Arrays keep the dtype they come in with: float32 for training, float64 for the checks.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

from .parallel import over_rows

# ---- token embedding ----------------------------------------------------------------------


def embedding_forward(ids: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Looks up one row of ``table`` per id.

    >>> embedding_forward(np.array([[2, 0]]), np.arange(6.0).reshape(3, 2)).tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    return table[ids]  # [B, T, C]


def embedding_backward(dout: np.ndarray, ids: np.ndarray, rows: int) -> np.ndarray:
    """Adds each position's gradient into the row its id picked; rows never picked get 0."""
    channels = dout.shape[-1]
    dtable = np.zeros((rows, channels), dtype=dout.dtype)  # [V, C]
    np.add.at(dtable, ids.reshape(-1), dout.reshape(-1, channels))
    return dtable


# ---- positional encodings -----------------------------------------------------------------


def sinusoidal_table(positions: int, channels: int, *, dtype=np.float64) -> np.ndarray:
    """The fixed encoding of "Attention Is All You Need": channel pairs (2i, 2i + 1) hold
    sin and cos of ``position / 10000 ** (2i / C)``. It has no parameters, so no backward:
    the gradient flows through the sum ``tokens + table`` to the token embedding unchanged.

    >>> sinusoidal_table(2, 4)[1].round(3).tolist()
    [0.841, 0.54, 0.01, 1.0]
    """
    position = np.arange(positions)[:, None]  # [T, 1]
    frequency = 10000.0 ** (-np.arange(0, channels, 2) / channels)  # [C/2]
    table = np.zeros((positions, channels))  # [T, C]
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency[: channels // 2])
    return table.astype(dtype)


def rope_angles(positions: int, head_dim: int, *, start: int = 0, dtype=np.float64):
    """cos and sin of the rotary angles ``position * 10000 ** (-2i / D)``, each [T, D/2].

    RoPE turns each (x_i, x_{i + D/2}) pair of a query or key by its angle, so the dot
    product of a query at position m with a key at position n depends on m - n only.
    """
    position = np.arange(start, start + positions)[:, None]  # [T, 1]
    frequency = 10000.0 ** (-np.arange(0, head_dim, 2) / head_dim)  # [D/2]
    angle = position * frequency  # [T, D/2]
    return np.cos(angle).astype(dtype), np.sin(angle).astype(dtype)


def rope_forward(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotates the halves of the last axis: [x1, x2] -> [x1 cos - x2 sin, x1 sin + x2 cos]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]  # [B, H, T, D/2] each
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)  # [B, H, T, D]


def rope_backward(dout: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """A rotation's transpose is the rotation by minus the angle."""
    return rope_forward(dout, cos, -sin)  # [B, H, T, D]


# ---- linear ---------------------------------------------------------------------------------


def linear_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x @ w + b``; weights are stored [in, out] so the product reads left to right.

    The product is taken on x flattened to 2-D rows: NumPy hands a 2-D product to BLAS
    whole, but loops over a 3-D one (measured 4x slower at [16, 128, 128] @ [128, 512])."""
    out = x.reshape(-1, x.shape[-1]) @ w  # [N, out]
    out += b
    return out.reshape(*x.shape[:-1], w.shape[1])  # [..., out]


def linear_backward(dout: np.ndarray, x: np.ndarray, w: np.ndarray):
    """Returns (dx, dw, db)."""
    rows_in, rows_out = x.reshape(-1, x.shape[-1]), dout.reshape(-1, dout.shape[-1])  # [N, in], [N, out]
    dw = rows_in.T @ rows_out  # [in, out]
    db = rows_out.sum(axis=0)  # [out]
    dx = (rows_out @ w.T).reshape(x.shape)  # [..., in]
    return dx, dw, db


# ---- layer norm -----------------------------------------------------------------------------

LAYERNORM_EPS = 1e-5


def layernorm_forward(x: np.ndarray, gain: np.ndarray, bias: np.ndarray):
    """Normalises each position's channels to mean 0 and variance 1, then scales and shifts."""
    rows = x.reshape(-1, x.shape[-1])  # [N, C]
    out, normed = np.empty_like(rows), np.empty_like(rows)  # [N, C]
    rstd = np.empty((len(rows), 1), dtype=x.dtype)  # [N, 1]

    def block(r: slice) -> None:
        n, o = normed[r], out[r]
        np.subtract(rows[r], rows[r].mean(axis=1, keepdims=True), out=n)  # centred
        rstd[r] = 1.0 / np.sqrt(np.einsum("nc,nc->n", n, n)[:, None] / n.shape[1] + LAYERNORM_EPS)
        n *= rstd[r]
        np.multiply(n, gain, out=o)
        o += bias

    over_rows(block, len(rows), rows.shape[1] * rows.itemsize)
    return out.reshape(x.shape), (normed, rstd, gain)


def layernorm_backward(dout: np.ndarray, cache):
    """Returns (dx, dgain, dbias). With n = normed and g = dout * gain, the gradient is
    ``rstd * (g - mean(g) - n * mean(g * n))``: normalising removes the mean and the part
    along n from the incoming gradient."""
    normed, rstd, gain = cache  # [N, C], [N, 1], [C]
    rows = dout.reshape(-1, dout.shape[-1])  # [N, C]
    dgain = np.einsum("nc,nc->c", rows, normed)  # [C]
    dbias = rows.sum(axis=0)  # [C]
    dx = np.empty_like(rows)  # [N, C]

    def block(r: slice) -> None:
        n, d = normed[r], dx[r]
        g = rows[r] * gain  # [n, C]
        np.multiply(n, np.einsum("nc,nc->n", g, n)[:, None] / n.shape[1], out=d)  # n * mean(g * n)
        d += g.mean(axis=1, keepdims=True)
        np.subtract(g, d, out=d)
        d *= rstd[r]

    over_rows(block, len(rows), rows.shape[1] * rows.itemsize)
    return dx.reshape(dout.shape), dgain, dbias


# ---- GELU -----------------------------------------------------------------------------------

_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


def gelu_forward(x: np.ndarray):
    """GELU, tanh form (GPT-2): ``0.5 x (1 + tanh(k (x + 0.044715 x^3)))``, k = sqrt(2/pi).

    The cache is the derivative, ``0.5 (1 + t) + 0.5 k x (1 + 3c x^2) (1 - t^2)`` with t
    the tanh, worked out here while each block of x and t is still in cache; the backward
    is then one multiplication."""
    rows = x.reshape(-1, x.shape[-1])  # [N, F]
    out, slope = np.empty_like(rows), np.empty_like(rows)  # [N, F]

    def block(r: slice) -> None:
        xb, ob, sb = rows[r], out[r], slope[r]
        x2 = xb * xb
        t = x2 * _GELU_C
        t += 1.0
        t *= xb
        t *= _GELU_K
        np.tanh(t, out=t)  # t = tanh(k (x + c x^3))
        np.add(t, 1.0, out=ob)
        ob *= xb
        ob *= 0.5  # 0.5 x (1 + t)
        x2 *= 3.0 * _GELU_C
        x2 += 1.0
        x2 *= xb
        x2 *= 0.5 * _GELU_K  # 0.5 k x (1 + 3c x^2)
        np.multiply(t, t, out=sb)
        np.subtract(1.0, sb, out=sb)  # 1 - t^2
        sb *= x2
        t *= 0.5
        sb += t
        sb += 0.5

    over_rows(block, len(rows), rows.shape[1] * rows.itemsize)
    return out.reshape(x.shape), slope.reshape(x.shape)


def gelu_backward(dout: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """The chain rule with the slope the forward computed."""
    return dout * slope  # [B, T, F]


# ---- dropout --------------------------------------------------------------------------------


def dropout_forward(x: np.ndarray, p: float, rng: np.random.Generator | None):
    """Zeroes each entry with probability p and scales the rest by 1 / (1 - p), so the
    expected output equals the input. Without an rng (evaluation), it is the identity."""
    if rng is None or p == 0.0:
        return x, None
    keep = (rng.random(x.shape, dtype=x.dtype) >= p) * x.dtype.type(1.0 / (1.0 - p))  # [B, T, C]
    return x * keep, keep


def dropout_backward(dout: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    return dout if keep is None else dout * keep


# ---- causal self-attention ------------------------------------------------------------------


def _split_heads(qkv: np.ndarray, n_heads: int):
    batch, positions, three_c = qkv.shape
    head_dim = three_c // (3 * n_heads)
    parts = qkv.reshape(batch, positions, 3, n_heads, head_dim).transpose(2, 0, 3, 1, 4)  # [3, B, H, T, D]
    return parts[0], parts[1], parts[2]


def causal_mask(positions: int, *, dtype) -> np.ndarray:
    """0 where a query may look (keys at or before it), -inf above the diagonal."""
    upper = np.triu(np.ones((positions, positions), dtype=bool), k=1)  # [T, T]
    return np.where(upper, -np.inf, 0.0).astype(dtype)


class AttentionCache(NamedTuple):
    """What ``attention_backward`` needs of a forward: the heads' queries, keys and values
    [B, H, T, D], the attention weights [B, H, T, T] (row i: where position i looked), and
    the rotary tables or None."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    probs: np.ndarray
    rope: Optional[tuple]


def attention_forward(qkv: np.ndarray, n_heads: int, rope=None):
    """Multi-head causal self-attention on packed queries, keys and values.

    ``qkv`` [B, T, 3C] is one matmul's output (queries, keys, values side by side). Each
    head scores every key against every query, ``q k^T / sqrt(D)``, masks the future,
    softmaxes each row, and mixes the values by those weights. ``rope`` is ``(cos, sin)``
    for rotary positions, or None. Returns y [B, T, C] and the cache.
    """
    batch, positions, _ = qkv.shape
    q, k, v = _split_heads(qkv, n_heads)  # [B, H, T, D] each
    if rope is not None:
        q, k = rope_forward(q, *rope), rope_forward(k, *rope)
    scale = 1.0 / math.sqrt(q.shape[-1])
    # NumPy's stacked matmul calls BLAS only when each operand is laid out plainly; a
    # transposed view of k makes it fall back to a loop three times slower than this copy.
    k_t = np.ascontiguousarray(k.transpose(0, 1, 3, 2))  # [B, H, D, T]
    probs = q @ k_t  # [B, H, T, T], scores until the softmax below
    mask = causal_mask(positions, dtype=probs.dtype)  # [T, T]
    per_head = probs.reshape(-1, positions, positions)  # [B*H, T, T]

    def softmax(r: slice) -> None:
        s = per_head[r]
        s *= scale
        s += mask
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s *= 1.0 / s.sum(axis=-1, keepdims=True)

    over_rows(softmax, len(per_head), positions * positions * probs.itemsize)
    heads = probs @ v  # [B, H, T, D]
    y = heads.transpose(0, 2, 1, 3).reshape(batch, positions, -1)  # [B, T, C]
    return y, AttentionCache(q, k, v, probs, rope)


def attention_backward(dy: np.ndarray, cache) -> np.ndarray:
    """Returns dqkv [B, T, 3C]. The softmax's backward for one row p with incoming g is
    ``p * (g - sum(p * g))``; masked entries have p = 0 and so get no gradient."""
    q, k, v, probs, rope = cache
    batch, n_heads, positions, head_dim = q.shape
    dheads = dy.reshape(batch, positions, n_heads, head_dim).transpose(0, 2, 1, 3)  # [B, H, T, D]
    dv = probs.transpose(0, 1, 3, 2) @ dheads  # [B, H, T, D]
    dscores = dheads @ np.ascontiguousarray(v.transpose(0, 1, 3, 2))  # [B, H, T, T], d(probs) until the softmax backward
    scale = 1.0 / math.sqrt(head_dim)
    per_head_d, per_head_p = dscores.reshape(-1, positions, positions), probs.reshape(-1, positions, positions)

    def softmax_backward(r: slice) -> None:
        d, p = per_head_d[r], per_head_p[r]
        d -= np.einsum("gij,gij->gi", d, p)[..., None]
        d *= p
        d *= scale

    over_rows(softmax_backward, len(per_head_d), positions * positions * probs.itemsize)
    dq = dscores @ k  # [B, H, T, D]
    dk = dscores.transpose(0, 1, 3, 2) @ q  # [B, H, T, D]
    if rope is not None:
        dq, dk = rope_backward(dq, *rope), rope_backward(dk, *rope)
    dqkv = np.empty((batch, positions, 3, n_heads, head_dim), dtype=dy.dtype)  # [B, T, 3, H, D]
    for part, grad in zip(dqkv.transpose(2, 0, 3, 1, 4), (dq, dk, dv)):  # each part [B, H, T, D]
        part[...] = grad
    return dqkv.reshape(batch, positions, 3 * n_heads * head_dim)  # [B, T, 3C]


# ---- softmax cross-entropy ------------------------------------------------------------------


def cross_entropy_forward(logits: np.ndarray, targets: np.ndarray):
    """Mean of ``-log softmax(logits)[target]`` over N positions; logits [N, V], targets [N].

    Returns the loss (a float) and the cache. The softmax is computed in the memory of
    ``logits``, which it overwrites: at [N, V] the logits are the largest array of a step,
    and the backward needs the probabilities, not the logits.
    """
    nll = np.empty(len(targets), dtype=np.float64)  # [N]

    def block(r: slice) -> None:
        z = logits[r]  # [n, V]
        z -= z.max(axis=1, keepdims=True)  # the largest logit of each row becomes 0
        nll[r] = -z[np.arange(len(z)), targets[r]]
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)  # [n, 1]
        nll[r] += np.log(total[:, 0])
        z *= 1.0 / total

    over_rows(block, len(logits), logits.shape[1] * logits.itemsize)
    return float(nll.mean()), (logits, targets)


def cross_entropy_backward(dloss: float, cache) -> np.ndarray:
    """d(loss)/d(logits) = (softmax - one_hot(target)) / N, written over the cached
    probabilities, so the cache cannot be used twice."""
    probs, targets = cache
    scale = dloss / len(targets)

    def block(r: slice) -> None:
        p = probs[r]
        p[np.arange(len(p)), targets[r]] -= 1.0
        p *= scale

    over_rows(block, len(probs), probs.shape[1] * probs.itemsize)
    return probs  # [N, V]
