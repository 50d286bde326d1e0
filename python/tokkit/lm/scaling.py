"""A scaling-law experiment: how the loss falls with model size at a fixed token budget.

Models of growing size N (non-embedding parameters, as Kaplan et al. count them) are
trained on the same tokens for the same number of steps, and the held-out loss is fitted
by ``L(N) = E + A * N^(-alpha)``: E is the loss no model size removes (the text's own
entropy plus what the budget leaves unlearned), and alpha how fast size pays. The fit
scans alpha on a grid and solves E and A by least squares at each alpha, which needs no
optimiser library and finds the global best on the grid.
"""

from __future__ import annotations

import math
import os
from typing import Optional, Sequence, Union

import numpy as np

from .compare import train_and_evaluate
from .data import tokenize

# (d_model, n_layers, n_heads): from about 3 thousand to 600 thousand non-embedding parameters.
SIZES = ((16, 1, 2), (32, 1, 2), (48, 2, 2), (64, 2, 4), (96, 3, 4), (128, 3, 4))
QUICK_SIZES = ((8, 1, 2), (16, 1, 2), (24, 1, 2), (32, 2, 2), (48, 2, 4))


def fit_power_law(n: Sequence[float], loss: Sequence[float]) -> dict:
    """Least-squares fit of ``loss = E + A * n^(-alpha)`` with E, A >= 0.

    >>> n = np.array([1e3, 1e4, 1e5, 1e6])
    >>> fit = fit_power_law(n, 1.5 + 40 * n ** -0.3)
    >>> round(fit["E"], 3), round(fit["A"], 2), round(fit["alpha"], 3)
    (1.5, 40.0, 0.3)
    """
    n, loss = np.asarray(n, dtype=np.float64), np.asarray(loss, dtype=np.float64)
    if len(n) < 3:
        raise ValueError(f"a three-parameter fit needs at least 3 model sizes, got {len(n)}")

    def solve(alpha: float):
        x = n ** -alpha
        design = np.stack([np.ones_like(x), x], axis=1)  # [sizes, 2]
        (e, a), *_ = np.linalg.lstsq(design, loss, rcond=None)
        if e < 0 or a < 0:  # keep the curve a falling one with a floor above zero
            e, a = (0.0, float(loss @ x / (x @ x))) if e < 0 else (float(loss.mean()), 0.0)
        residual = loss - e - a * x
        return float(residual @ residual), float(e), float(a)

    alphas = np.linspace(0.001, 2.0, 2000)
    errors = [solve(a)[0] for a in alphas]
    best = int(np.argmin(errors))
    low, high = alphas[max(best - 1, 0)], alphas[min(best + 1, len(alphas) - 1)]
    for _ in range(60):  # golden-section search between the grid neighbours
        third = (high - low) * 0.381966
        a, b = low + third, high - third
        if solve(a)[0] < solve(b)[0]:
            high = b
        else:
            low = a
    alpha = float(low + high) / 2
    error, e, a = solve(alpha)
    return {"E": e, "A": a, "alpha": alpha, "rmse": math.sqrt(error / len(n))}


def run_scaling(train_text: str, eval_text: str, tokenizer, *, sizes=SIZES, steps: int = 300,
                batch_size: int = 16, context: int = 64, lr: float = 3e-3, seed: int = 0,
                show_progress=True) -> dict:
    """Trains one model per ``(d_model, n_layers, n_heads)`` in ``sizes`` for the same
    ``steps`` (so the same ``steps * batch_size * context`` tokens), evaluates each on
    ``eval_text``, and fits the power law. Returns ``{"runs": [...], "fit": {...}}``."""
    tokens, eval_tokens = tokenize(tokenizer, train_text), tokenize(tokenizer, eval_text)
    runs = []
    for d_model, n_layers, n_heads in sizes:
        model, scores, seconds = train_and_evaluate(
            tokenizer, tokens, eval_text, context=context, d_model=d_model, n_layers=n_layers, n_heads=n_heads,
            steps=steps, batch_size=batch_size, lr=lr, seed=seed, show_progress=show_progress,
            eval_tokens=eval_tokens)
        runs.append({"d_model": d_model, "n_layers": n_layers, "n_heads": n_heads,
                     "params": model.n_params_non_embedding, "params_total": model.n_params,
                     "loss": scores["loss"], "bits_per_byte": scores["bits_per_byte"],
                     "seconds": seconds})
    fit = fit_power_law([r["params"] for r in runs], [r["loss"] for r in runs])
    budget = steps * batch_size * context
    return {"runs": runs, "fit": fit, "tokens": budget, "train_tokens": len(tokens),
            "vocab_size": tokenizer.vocab_size}


def plot_scaling(result: dict, path: Union[str, os.PathLike]) -> None:
    """Held-out loss against non-embedding parameters (log x), with the fitted curve."""
    from .plots import new_figure, save_figure

    runs, fit = result["runs"], result["fit"]
    n = np.array([r["params"] for r in runs], dtype=np.float64)
    fig = new_figure(6.5, 4.2)
    ax = fig.add_subplot()
    ax.scatter(n, [r["loss"] for r in runs], color="tab:blue", zorder=3, label="trained models")
    grid = np.geomspace(n.min() / 1.5, n.max() * 1.5, 200)
    ax.plot(grid, fit["E"] + fit["A"] * grid ** -fit["alpha"], color="tab:orange",
            label=f"L(N) = {fit['E']:.2f} + {fit['A']:.2f}·N^-{fit['alpha']:.3f}")
    ax.axhline(fit["E"], color="tab:gray", linestyle=":", linewidth=1, label=f"E = {fit['E']:.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("non-embedding parameters N")
    ax.set_ylabel("held-out loss (nats per token)")
    ax.set_title(f"{len(runs)} model sizes, {result['tokens']:,} training tokens each")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    save_figure(fig, path)


def scaling(text: Optional[str] = None, *, quick: bool = False, vocab_size: int = 512, steps: Optional[int] = None,
            seed: int = 0, show_progress=True) -> dict:
    """The whole experiment on ``text`` (held out: its last tenth) or, without text, on
    tokkit's bundled sample corpus, with a byte-level BPE of ``vocab_size`` trained on the
    training part. ``quick=True`` uses tiny models and few steps (seconds, for tests)."""
    import tokkit

    from .data import sample_corpus, split_text

    train_text, eval_text = sample_corpus() if text is None else split_text(text)
    tokenizer = tokkit.train_bpe([train_text], vocab_size=vocab_size, show_progress=False)
    if quick:
        return run_scaling(train_text, eval_text, tokenizer, sizes=QUICK_SIZES, steps=steps or 40, batch_size=8,
                           context=32, lr=1e-2, seed=seed, show_progress=show_progress)
    return run_scaling(train_text, eval_text, tokenizer, steps=steps or 300, seed=seed, show_progress=show_progress)
