"""tokkit.lm's architecture written the usual PyTorch way: the anchor for benches/lm.py and
the reference for tests/test_lm_torch_parity.py.

It imports torch and numpy only (not tokkit), so it runs in the benchmark's own venv.
Weights come from and gradients go back to tokkit's parameter names and layouts
(tokkit stores linear weights [in, out]; torch's nn.Linear holds [out, in]).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def rope_angles(positions: int, head_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    frequency = 10000.0 ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angle = torch.arange(positions, dtype=torch.float64)[:, None] * frequency  # [T, D/2]
    return angle.cos(), angle.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def sinusoids(positions: int, channels: int) -> torch.Tensor:
    frequency = 10000.0 ** (-torch.arange(0, channels, 2, dtype=torch.float64) / channels)
    angle = torch.arange(positions, dtype=torch.float64)[:, None] * frequency
    table = torch.zeros(positions, channels, dtype=torch.float64)
    table[:, 0::2] = angle.sin()
    table[:, 1::2] = angle[:, : channels // 2].cos()
    return table


class Block(nn.Module):
    def __init__(self, c: dict):
        super().__init__()
        d = c["d_model"]
        self.n_heads, self.dropout = c["n_heads"], c["dropout"]
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.up, self.down = nn.Linear(d, c["d_ff"]), nn.Linear(c["d_ff"], d)

    def forward(self, x: torch.Tensor, rope) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
        x = x + F.dropout(self.proj(y), self.dropout, self.training)
        x = x + F.dropout(self.down(F.gelu(self.up(self.ln2(x)), approximate="tanh")), self.dropout, self.training)
        return x


class GPT(nn.Module):
    """Built from a tokkit ``Config.to_dict()``."""

    def __init__(self, c: dict):
        super().__init__()
        self.c = c
        self.wte = nn.Embedding(c["vocab_size"], c["d_model"])
        if c["positional"] == "learned":
            self.wpe = nn.Embedding(c["context"], c["d_model"])
        if c["positional"] == "sinusoidal":
            self.register_buffer("sinusoid", sinusoids(c["context"], c["d_model"]), persistent=False)
        if c["positional"] == "rope":
            cos, sin = rope_angles(c["context"], c["d_model"] // c["n_heads"])
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["n_layers"]))
        self.lnf = nn.LayerNorm(c["d_model"])
        if not c["tie_embeddings"]:
            self.head = nn.Linear(c["d_model"], c["vocab_size"], bias=False)

    def forward(self, ids: torch.Tensor, targets: torch.Tensor | None = None):
        T = ids.shape[1]
        x = self.wte(ids)
        if self.c["positional"] == "learned":
            x = x + self.wpe.weight[:T]
        if self.c["positional"] == "sinusoidal":
            x = x + self.sinusoid[:T].to(x.dtype)
        x = F.dropout(x, self.c["dropout"], self.training)
        rope = None
        if self.c["positional"] == "rope":
            rope = (self.cos[:T].to(x.dtype), self.sin[:T].to(x.dtype))
        for block in self.blocks:
            x = block(x, rope)
        h = self.lnf(x)
        logits = h @ self.wte.weight.T if self.c["tie_embeddings"] else self.head(h)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    # ---- tokkit names <-> torch tensors ---------------------------------------------

    def named_tokkit(self) -> dict[str, tuple[torch.Tensor, bool]]:
        """tokkit name -> (torch parameter, stored transposed)."""
        out = {"wte": (self.wte.weight, False)}
        if self.c["positional"] == "learned":
            out["wpe"] = (self.wpe.weight, False)
        for i, b in enumerate(self.blocks):
            n = f"block{i}."
            out.update({
                n + "ln1.gain": (b.ln1.weight, False), n + "ln1.bias": (b.ln1.bias, False),
                n + "attn.qkv.w": (b.qkv.weight, True), n + "attn.qkv.b": (b.qkv.bias, False),
                n + "attn.proj.w": (b.proj.weight, True), n + "attn.proj.b": (b.proj.bias, False),
                n + "ln2.gain": (b.ln2.weight, False), n + "ln2.bias": (b.ln2.bias, False),
                n + "mlp.up.w": (b.up.weight, True), n + "mlp.up.b": (b.up.bias, False),
                n + "mlp.down.w": (b.down.weight, True), n + "mlp.down.b": (b.down.bias, False),
            })
        out.update({"lnf.gain": (self.lnf.weight, False), "lnf.bias": (self.lnf.bias, False)})
        if not self.c["tie_embeddings"]:
            out["head"] = (self.head.weight, True)
        return out

    def load_tokkit(self, params: dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            for name, (tensor, transposed) in self.named_tokkit().items():
                value = torch.from_numpy(np.ascontiguousarray(params[name]))
                tensor.copy_(value.T if transposed else value)

    def tokkit_values(self, *, grads: bool = False) -> dict[str, np.ndarray]:
        out = {}
        for name, (tensor, transposed) in self.named_tokkit().items():
            value = (tensor.grad if grads else tensor).detach()
            out[name] = (value.T if transposed else value).numpy().copy()
        return out


def adamw(model: GPT, *, lr: float, weight_decay: float, betas=(0.9, 0.95), eps: float = 1e-8):
    """AdamW with weight decay on matrices only (as tokkit.lm.optim.AdamW)."""
    params = [p for p, _ in model.named_tokkit().values()]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)


def gpt2_init(model: GPT, n_layers: int, seed: int) -> None:
    """N(0, 0.02) weights, residual projections / sqrt(2 L), zero biases (as tokkit)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, (tensor, _) in model.named_tokkit().items():
            if name.endswith((".b", ".bias")):
                tensor.zero_()
            elif name.endswith(".gain"):
                tensor.fill_(1.0)
            else:
                std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("proj.w", "down.w")) else 0.02
                tensor.normal_(0.0, std, generator=generator)
