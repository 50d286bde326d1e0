"""AdamW, gradient clipping, and the learning-rate schedule (linear warmup, cosine decay).

AdamW keeps two running averages per parameter, of the gradient (m) and of its square
(v), and steps each weight by ``lr * m_hat / (sqrt(v_hat) + eps)``, where the hats undo
the averages' bias towards their zero start. Weight decay shrinks the weights directly
(``p -= lr * weight_decay * p``) instead of going through the gradient, and only matrices
decay: biases and LayerNorm gains are left alone, as in GPT-2 and nanoGPT.
"""

from __future__ import annotations

import math

import numpy as np

from .parallel import over_rows


class AdamW:
    """AdamW over a dict of parameters, updated in place.

    >>> params = {"w": np.ones((2, 2)), "b": np.ones(2)}
    >>> opt = AdamW(params, weight_decay=0.5)
    >>> opt.step(params, {"w": np.zeros((2, 2)), "b": np.zeros(2)}, lr=0.1)
    >>> float(params["w"][0, 0]), float(params["b"][0])          # only the matrix decayed
    (0.95, 1.0)
    """

    def __init__(self, params: dict, *, betas=(0.9, 0.95), eps: float = 1e-8, weight_decay: float = 0.1):
        self.betas, self.eps, self.weight_decay = tuple(betas), eps, weight_decay
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, params: dict, grads: dict, *, lr: float) -> None:
        """One update, in place, a block of rows at a time (see ``parallel.py``)."""
        self.t += 1
        beta1, beta2 = self.betas
        step_size = lr / (1.0 - beta1**self.t)
        rms_scale = 1.0 / math.sqrt(1.0 - beta2**self.t)
        for name, p in params.items():
            decay = 1.0 - lr * self.weight_decay if p.ndim >= 2 else 1.0
            rows = [a.reshape(len(a), -1) if a.ndim > 1 else a.reshape(1, -1)
                    for a in (p, grads[name], self.m[name], self.v[name])]

            def block(r: slice, p=rows[0], g=rows[1], m=rows[2], v=rows[3]) -> None:
                pb, gb, mb, vb = p[r], g[r], m[r], v[r]
                tmp = np.multiply(gb, 1.0 - beta1)
                mb *= beta1
                mb += tmp  # m = beta1 m + (1 - beta1) g
                np.multiply(gb, gb, out=tmp)
                tmp *= 1.0 - beta2
                vb *= beta2
                vb += tmp  # v = beta2 v + (1 - beta2) g^2
                np.sqrt(vb, out=tmp)
                tmp *= rms_scale
                tmp += self.eps
                np.divide(mb, tmp, out=tmp)
                tmp *= step_size
                if decay != 1.0:
                    pb *= decay
                pb -= tmp  # p = p (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps)

            over_rows(block, len(rows[0]), rows[0].shape[1] * rows[0].itemsize)

    def state(self) -> tuple[dict, dict, int]:
        """(m, v, t): everything needed to continue exactly."""
        return self.m, self.v, self.t

    def load_state(self, m: dict, v: dict, t: int) -> None:
        for name in self.m:
            self.m[name][...] = m[name]
            self.v[name][...] = v[name]
        self.t = int(t)


def global_norm(grads: dict) -> float:
    """The L2 norm of all gradients taken as one vector (in float64)."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads: dict, max_norm: float) -> float:
    """Scales every gradient by ``max_norm / norm`` when the norm exceeds ``max_norm``, so
    one bad batch cannot throw the weights far. Returns the norm before clipping."""
    norm = global_norm(grads)
    if max_norm and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads.values():
            g *= scale
    return norm


def learning_rate(step: int, *, lr: float, warmup: int, steps: int, min_lr: float) -> float:
    """Linear warmup over ``warmup`` steps, then a cosine from ``lr`` down to ``min_lr`` at
    ``steps``. ``step`` counts from 0.

    >>> [round(learning_rate(s, lr=1.0, warmup=2, steps=6, min_lr=0.0), 2) for s in range(6)]
    [0.5, 1.0, 1.0, 0.85, 0.5, 0.15]
    """
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * progress))
