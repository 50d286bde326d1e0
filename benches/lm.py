"""Training-step speed of tokkit.lm against the same model in PyTorch (CPU, eager, float32).

    .venv/bin/python benches/lm.py [--rounds 7] [--steps 4] [--threads 2]

A step is what training repeats: forward, loss, backward, gradient clipping, AdamW. Each
framework runs in a worker process of its own (PyTorch lives in benches/.venv-torch,
created on the first run and installed from PyPI, so PyTorch is never a dependency of
tokkit), one worker per model size, all started up front and kept alive. The workers
take turns: every round runs ``--steps`` steps on each worker in sequence, so both
frameworks meet the same machine load, and a size's figure is the median over rounds.
Both see the same thread count (OMP/OpenBLAS/MKL variables and torch.set_num_threads).

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines set to work around old
OpenBLAS bugs, slow a current NumPy; they are removed for the workers of this command
only, and the BLAS kernel that then runs is recorded (threadpoolctl).

Writes benches/results/lm.json and benches/results/lm.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TORCH_VENV = HERE / ".venv-torch"
RESULTS = HERE / "results"

SIZES = {
    "d256-L4": dict(vocab_size=8192, context=256, d_model=256, n_heads=4, n_layers=4, batch_size=8),
    "d128-L2": dict(vocab_size=4096, context=128, d_model=128, n_heads=4, n_layers=2, batch_size=16),
}
# What the issue quotes for PyTorch on this kind of machine, for reference beside ours.
QUOTED_TORCH = {"d256-L4": 5150, "d128-L2": 22500}
TARGET_RATIO = 1.5


# ---- workers: read one JSON command per line, answer one JSON line --------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blas_info() -> list:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed; kernel unknown"}]
    keep = ("internal_api", "version", "num_threads", "architecture", "threading_layer")
    return [{k: info.get(k) for k in keep} for info in threadpool_info()]


def _tokkit_stepper(size: dict, threads: int):
    import numpy as np

    from tokkit.lm import AdamW, Config, Transformer
    from tokkit.lm.optim import clip_by_global_norm

    shape = {k: v for k, v in size.items() if k != "batch_size"}
    model = Transformer(Config(**shape))
    optimizer = AdamW(model.params, weight_decay=0.1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, size["vocab_size"], (size["batch_size"], size["context"]))
    y = rng.integers(0, size["vocab_size"], (size["batch_size"], size["context"]))

    def step() -> float:
        loss, cache = model.forward(x, y)
        grads = model.backward(cache)
        clip_by_global_norm(grads, 1.0)
        optimizer.step(model.params, grads, lr=1e-4)
        return loss

    return step, {"numpy": np.__version__, "blas": _blas_info(), "params": model.n_params}


def _torch_stepper(size: dict, threads: int):
    import torch

    from lm_torch import GPT, adamw, gpt2_init

    torch.set_num_threads(threads)
    shape = {k: v for k, v in size.items() if k != "batch_size"}
    config = dict(shape, d_ff=4 * shape["d_model"], dropout=0.0, positional="learned", tie_embeddings=True)
    model = GPT(config)
    gpt2_init(model, config["n_layers"], seed=0)
    optimizer = adamw(model, lr=1e-4, weight_decay=0.1)
    generator = torch.Generator().manual_seed(0)
    x = torch.randint(0, size["vocab_size"], (size["batch_size"], size["context"]), generator=generator)
    y = torch.randint(0, size["vocab_size"], (size["batch_size"], size["context"]), generator=generator)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return float(loss.detach())

    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": _blas_info(),
            "params": sum(p.numel() for p in model.parameters()),
            "config": torch.__config__.show().splitlines()[1:4]}
    return step, info


def worker(framework: str, size_name: str, threads: int) -> None:
    baseline = _peak_rss_mb()
    make = _tokkit_stepper if framework == "tokkit" else _torch_stepper
    step, info = make(SIZES[size_name], threads)
    step()  # first step: allocation and warm caches, never timed
    print(json.dumps({"ready": True, "info": info}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "stop":
            break
        step()  # untimed: wakes the thread pools after the other framework's turn
        times = []
        for _ in range(command["steps"]):
            began = time.perf_counter()
            step()
            times.append(time.perf_counter() - began)
        print(json.dumps({"times": times, "peak_rss_mb": _peak_rss_mb(), "baseline_rss_mb": baseline}), flush=True)


# ---- the conductor ------------------------------------------------------------------------


def ensure_torch_venv() -> Path:
    python = TORCH_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {TORCH_VENV} and installing PyTorch (CPU) from PyPI; this happens once", flush=True)
        subprocess.run([sys._base_executable, "-m", "venv", str(TORCH_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "torch", "numpy", "threadpoolctl"], check=True)
    return python


def worker_env(threads: int) -> dict:
    env = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(name, None)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


class Worker:
    def __init__(self, python, framework: str, size: str, threads: int):
        self.framework, self.size = framework, size
        self.process = subprocess.Popen(
            [str(python), str(Path(__file__).resolve()), "--worker", framework, "--size", size, "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=worker_env(threads), cwd=HERE)
        self.info = self._read()["info"]
        self.times, self.peak_rss_mb, self.baseline_rss_mb = [], 0.0, 0.0

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.framework} worker for {self.size} died; run it alone to see why")
        return json.loads(line)

    def run(self, steps: int) -> None:
        self.process.stdin.write(json.dumps({"do": "run", "steps": steps}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        self.times.append(statistics.median(answer["times"]))
        self.peak_rss_mb, self.baseline_rss_mb = answer["peak_rss_mb"], answer["baseline_rss_mb"]

    def stop(self) -> None:
        self.process.stdin.write(json.dumps({"do": "stop"}) + "\n")
        self.process.stdin.close()
        self.process.wait(timeout=60)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(), "niceness": os.nice(0)}


def summarise(workers: dict, size: str) -> dict:
    """The figures for one size. On a shared machine other work only ever slows a round
    down, so each framework's best round is the closest to its own speed (the reason
    timeit reports a minimum); the median of the per-round ratios is kept beside it."""
    spec = SIZES[size]
    tokens = spec["batch_size"] * spec["context"]
    out = {"config": spec}
    for framework in ("tokkit", "torch"):
        w = workers[framework, size]
        out[framework] = {"step_ms": min(w.times) * 1e3, "tokens_per_s": tokens / min(w.times),
                          "median_step_ms": statistics.median(w.times) * 1e3,
                          "step_ms_per_round": [t * 1e3 for t in w.times],
                          "peak_rss_mb": w.peak_rss_mb, "rss_before_model_mb": w.baseline_rss_mb,
                          "params": w.info["params"]}
    out["ratio"] = out["tokkit"]["step_ms"] / out["torch"]["step_ms"]
    per_round = [a / b for a, b in zip(workers["tokkit", size].times, workers["torch", size].times)]
    out["median_ratio_per_round"] = statistics.median(per_round)
    out["meets_target"] = out["ratio"] <= TARGET_RATIO
    out["torch_tokens_per_s_quoted_in_issue"] = QUOTED_TORCH[size]
    return out


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# tokkit.lm training step against PyTorch",
        "",
        f"{m['cpu']}, {m['cores']} cores, {result['threads']} threads each; load average at start "
        f"{m['load_average_at_start'][0]:.2f}, at end {result['load_average_at_end'][0]:.2f}. "
        f"NumPy {result['tokkit_info']['numpy']}, PyTorch {result['torch_info']['torch']}. "
        f"Best of {result['rounds']} alternating rounds of {result['steps_per_round']} steps (a round's figure "
        f"is the median of its steps); lm.json also holds every round and the median of the per-round ratios.",
        "",
        "| size | tokkit tokens/s | PyTorch tokens/s | tokkit step / PyTorch step | (median of rounds) | target | "
        "tokkit peak RSS | PyTorch peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in result["sizes"].items():
        lines.append(f"| {name} (vocab {s['config']['vocab_size']}, context {s['config']['context']}, batch "
                     f"{s['config']['batch_size']}) | {s['tokkit']['tokens_per_s']:,.0f} | "
                     f"{s['torch']['tokens_per_s']:,.0f} | {s['ratio']:.2f}x | {s['median_ratio_per_round']:.2f}x | "
                     f"<= {TARGET_RATIO}x "
                     f"{'met' if s['meets_target'] else 'missed'} | {s['tokkit']['peak_rss_mb']:,.0f} MB | "
                     f"{s['torch']['peak_rss_mb']:,.0f} MB |")
    blas = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, "
                     f"{b.get('num_threads')} threads)" for b in result["tokkit_info"]["blas"])
    lines += ["", f"tokkit's BLAS: {blas}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=4, help="timed steps per worker per round")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--worker", choices=("tokkit", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=sorted(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.size, args.threads)
        return
    torch_python = ensure_torch_venv()
    started = machine()
    workers = {}
    for size in SIZES:
        workers["tokkit", size] = Worker(sys.executable, "tokkit", size, args.threads)
        workers["torch", size] = Worker(torch_python, "torch", size, args.threads)
    for round_ in range(args.rounds):
        for size in SIZES:
            for framework in ("tokkit", "torch"):
                workers[framework, size].run(args.steps)
        print(f"round {round_ + 1}/{args.rounds}: " + ", ".join(
            f"{f} {s} {w.times[-1] * 1e3:.0f} ms" for (f, s), w in workers.items()), flush=True)
    result = {
        "machine": started, "threads": args.threads, "rounds": args.rounds, "steps_per_round": args.steps,
        "environment_removed_for_workers": [n for n in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if n in os.environ],
        "tokkit_info": workers["tokkit", next(iter(SIZES))].info,
        "torch_info": workers["torch", next(iter(SIZES))].info,
        "sizes": {size: summarise(workers, size) for size in SIZES},
        "load_average_at_end": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    for w in workers.values():
        w.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lm.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (RESULTS / "lm.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
