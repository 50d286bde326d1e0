"""The training loop: batches -> forward -> backward -> clip -> AdamW, with evaluation,
checkpoints that resume exactly, and a stop with a message when the loss goes NaN.

Exact resumption needs every source of change saved at a step boundary: the weights, the
optimizer's moments and step count, the batch order's random state and the dropout
generator's state. ``train`` saves all of them, so 10 steps + resume + 10 steps gives the
same bits as 20 steps straight.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Optional

import numpy as np

from .checkpoint import read_checkpoint, save_checkpoint
from .data import Batches, check_tokens, eval_windows, split
from .model import Transformer
from .optim import AdamW, clip_by_global_norm, learning_rate

EVAL_WINDOWS = 64


class TrainingDiverged(FloatingPointError):
    """The loss or the gradient became NaN or infinite; the weights were not updated."""


def mean_loss(model: Transformer, x: np.ndarray, y: np.ndarray, *, batch_size: int) -> float:
    """Mean next-token loss (nats) over windows x, y [W, T], in batches."""
    total = 0.0
    for i in range(0, len(x), batch_size):
        total += model.loss(x[i : i + batch_size], y[i : i + batch_size]) * len(x[i : i + batch_size])
    return total / len(x)


def _empty_history() -> dict:
    return {"step": [], "tokens": [], "loss": [], "lr": [], "grad_norm": [], "seconds": [],
            "eval": {"step": [], "tokens": [], "loss": []}}


def train(
    model: Transformer,
    tokens: np.ndarray,
    *,
    steps: int,
    batch_size: int = 16,
    lr: float = 1e-3,
    eval_every: int = 100,
    eval_tokens: Optional[np.ndarray] = None,
    warmup: Optional[int] = None,
    min_lr: Optional[float] = None,
    weight_decay: float = 0.1,
    grad_clip: float = 1.0,
    seed: int = 0,
    checkpoint=None,
    resume: bool = False,
    show_progress=True,
) -> dict:
    """Trains ``model`` in place on a token stream and returns the history.

    >>> from tokkit.lm import Config, Transformer, train
    >>> tokens = np.tile(np.arange(10, dtype=np.uint16), 50)
    >>> model = Transformer(Config(vocab_size=10, context=8, d_model=16, n_heads=2, n_layers=1))
    >>> history = train(model, tokens, steps=60, batch_size=8, lr=1e-2, eval_every=30, show_progress=False)
    >>> history["eval"]["loss"][-1] < 0.5      # a repeating sequence is easy to learn
    True

    Without ``eval_tokens`` the last tenth of ``tokens`` is held out for evaluation (every
    ``eval_every`` steps and at the end). ``warmup`` defaults to steps // 20 and ``min_lr``
    to lr / 10. With ``checkpoint`` ("run.npz"), the run is saved at each evaluation;
    ``resume=True`` continues a run saved there, given the same tokens and options. The
    history holds per-step ``loss``, ``lr``, ``grad_norm``, ``tokens`` and ``seconds``, and
    ``eval`` losses; losses are in nats per token.
    """
    config = model.config
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, not {steps!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
    if not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"eval_every must be a positive int, not {eval_every!r}")
    if eval_tokens is None:
        tokens, eval_tokens = split(np.asarray(tokens))
    tokens = check_tokens(tokens, vocab_size=config.vocab_size, context=config.context)
    eval_tokens = check_tokens(eval_tokens, vocab_size=config.vocab_size, context=config.context, what="eval_tokens")
    options = {"steps": steps, "batch_size": batch_size, "lr": lr, "eval_every": eval_every,
               "warmup": steps // 20 if warmup is None else warmup, "min_lr": lr / 10 if min_lr is None else min_lr,
               "weight_decay": weight_decay, "grad_clip": grad_clip, "seed": seed,
               "n_tokens": len(tokens), "n_eval_tokens": len(eval_tokens)}

    optimizer = AdamW(model.params, weight_decay=weight_decay)
    batches = Batches(tokens, context=config.context, batch_size=batch_size, seed=seed)
    dropout_rng = np.random.default_rng([seed, 1])
    history, start = _empty_history(), 0
    checkpoint = None if checkpoint is None else Path(checkpoint)
    if resume:
        start, history = _resume(checkpoint, model, optimizer, batches, dropout_rng, options)
    elif checkpoint is not None and checkpoint.exists():
        raise FileExistsError(f"{checkpoint} exists; pass resume=True to continue that run, or choose another path")
    eval_x, eval_y = eval_windows(eval_tokens, context=config.context, limit=EVAL_WINDOWS)

    def save(step: int) -> None:
        if checkpoint is not None:
            training = {"step": step, "options": options, "batches": batches.state(),
                        "dropout_rng": dropout_rng.bit_generator.state, "history": history}
            save_checkpoint(checkpoint, model, optimizer=optimizer, training=training)

    bar = _progress_bar(show_progress, steps, start)
    tokens_per_step = batch_size * config.context
    last_saved = history["eval"]["step"][-1] if history["eval"]["step"] else None
    try:
        for step in range(start, steps):
            began = time.perf_counter()
            x, y = batches.next()
            rate = learning_rate(step, lr=lr, warmup=options["warmup"], steps=steps, min_lr=options["min_lr"])
            loss, cache = model.forward(x, y, rng=dropout_rng)
            grads, norm = None, math.nan
            if math.isfinite(loss):
                grads = model.backward(cache)
                norm = clip_by_global_norm(grads, grad_clip)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                raise TrainingDiverged(_diverged(loss, norm, step, rate, checkpoint, last_saved))
            optimizer.step(model.params, grads, lr=rate)
            seconds = time.perf_counter() - began
            for key, value in (("step", step + 1), ("tokens", (step + 1) * tokens_per_step), ("loss", loss),
                               ("lr", rate), ("grad_norm", norm), ("seconds", seconds)):
                history[key].append(value)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{tokens_per_step / seconds:,.0f}", refresh=False)
            if (step + 1) % eval_every == 0 or step + 1 == steps:
                history["eval"]["step"].append(step + 1)
                history["eval"]["tokens"].append((step + 1) * tokens_per_step)
                history["eval"]["loss"].append(mean_loss(model, eval_x, eval_y, batch_size=batch_size))
                save(step + 1)
                last_saved = step + 1 if checkpoint is not None else None
    finally:
        if bar is not None:
            bar.close()
    return history


def _diverged(loss: float, norm: float, step: int, rate: float, checkpoint, last_saved) -> str:
    kept = (f"the last good checkpoint (step {last_saved}) is kept in {checkpoint}" if last_saved is not None
            else "no checkpoint was written")
    return (f"the loss became {loss} (gradient norm {norm}) at step {step} with lr {rate:.3g}; training stopped "
            f"before updating the weights and {kept}. Try a lower lr, a longer warmup or a smaller grad_clip")


def _progress_bar(show_progress, steps: int, start: int):
    if show_progress is False or (show_progress is True and not sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=steps, initial=start, desc="training", unit="step", file=sys.stderr, dynamic_ncols=True)


def _resume(checkpoint: Optional[Path], model: Transformer, optimizer: AdamW, batches: Batches,
            dropout_rng: np.random.Generator, options: dict) -> tuple[int, dict]:
    """Loads a saved run into the fresh objects; returns (step, history)."""
    if checkpoint is None:
        raise ValueError("resume=True needs checkpoint= (the run's .npz)")
    config, params, moments, training = read_checkpoint(checkpoint)
    if config != model.config:
        differ = [k for k, v in config.to_dict().items() if model.config.to_dict()[k] != v]
        raise ValueError(f"{checkpoint} was saved from a model with another config ({', '.join(differ)} differ); "
                         f"build the model from the checkpoint's config (tokkit.lm.load_model)")
    if moments is None or training is None:
        raise ValueError(f"{checkpoint} holds a model but no training state; train it anew with another checkpoint path")
    saved = training["options"]
    differ = [k for k in options if saved.get(k) != options[k]]
    if differ:
        details = ", ".join(f"{k}: saved {saved.get(k)!r}, now {options[k]!r}" for k in differ)
        raise ValueError(f"cannot resume {checkpoint} exactly with other tokens or options ({details}); "
                         f"pass the same ones, or start a new run")
    for name, p in model.params.items():
        p[...] = params[name]
    optimizer.load_state(moments["m"], moments["v"], moments["t"])
    batches.restore(training["batches"])
    dropout_rng.bit_generator.state = training["dropout_rng"]
    return training["step"], training["history"]
