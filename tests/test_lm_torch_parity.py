"""tokkit.lm against PyTorch on one set of weights: logits, loss, every gradient, and ten
AdamW steps, in float64 so that any difference beyond rounding is a bug.

PyTorch is not a dependency of tokkit or of its tests: without it this file skips. To
run it, put torch on the path, for instance the benchmark's own environment:
``PYTHONPATH=benches/.venv-torch/lib/python3.11/site-packages .venv/bin/python -m pytest
tests/test_lm_torch_parity.py`` (after ``make bench-lm`` has created it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the optional PyTorch parity test is skipped")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benches"))
from lm_torch import GPT, adamw  # noqa: E402

from tokkit import lm  # noqa: E402
from tokkit.lm.optim import clip_by_global_norm  # noqa: E402

CASES = [("learned", True), ("sinusoidal", False), ("rope", True)]


def pair(positional: str, tied: bool):
    config = lm.Config(vocab_size=53, context=16, d_model=32, n_heads=4, n_layers=2, positional=positional,
                       tie_embeddings=tied, dtype="float64", seed=11)
    ours = lm.Transformer(config)
    theirs = GPT(config.to_dict()).double()
    theirs.load_tokkit(ours.params)
    return ours, theirs


def batch(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 53, (3, 12)), rng.integers(0, 53, (3, 12))


@pytest.mark.parametrize("positional, tied", CASES)
def test_logits_loss_and_every_gradient_match_pytorch(positional, tied):
    ours, theirs = pair(positional, tied)
    ids, targets = batch()
    their_logits, their_loss = theirs(torch.from_numpy(ids), torch.from_numpy(targets))
    their_loss.backward()
    np.testing.assert_allclose(ours.logits(ids), their_logits.detach().numpy(), rtol=1e-12, atol=1e-12)
    loss, cache = ours.forward(ids, targets)
    assert loss == pytest.approx(their_loss.item(), rel=1e-12)
    grads, their_grads = ours.backward(cache), theirs.tokkit_values(grads=True)
    assert sorted(grads) == sorted(their_grads)
    for name in grads:
        np.testing.assert_allclose(grads[name], their_grads[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("positional, tied", CASES)
def test_ten_adamw_steps_match_pytorch(positional, tied):
    ours, theirs = pair(positional, tied)
    optimizer = lm.AdamW(ours.params, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    their_optimizer = adamw(theirs, lr=3e-3, weight_decay=0.1, betas=(0.9, 0.95), eps=1e-8)
    for step in range(10):
        ids, targets = batch(step)
        loss, cache = ours.forward(ids, targets)
        grads = ours.backward(cache)
        clip_by_global_norm(grads, 1.0)
        optimizer.step(ours.params, grads, lr=3e-3)

        their_optimizer.zero_grad()
        _, their_loss = theirs(torch.from_numpy(ids), torch.from_numpy(targets))
        their_loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        their_optimizer.step()
        assert loss == pytest.approx(their_loss.item(), rel=1e-10), f"step {step}"
    for name, value in theirs.tokkit_values().items():
        np.testing.assert_allclose(ours.params[name], value, rtol=1e-8, atol=1e-10, err_msg=name)
