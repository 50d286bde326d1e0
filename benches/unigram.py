"""Unigram training and encoding: tokkit against sentencepiece.

Same corpus, same vocabulary size, same character coverage, same machine, one run. Every
figure is measured in a fresh subprocess so that the peak RSS beside it belongs to that
figure alone (interpreter, library, corpus handling, model).

    python benches/unigram.py            # full run, writes benches/results/unigram.{json,md}
    python benches/unigram.py --quick    # 10 MB of training text, for a smoke test

- training: the 100 MB Gutenberg file (all of it; --quick: its first 10 MB), vocab 32,000,
  character_coverage 0.9995, all cores. sentencepiece runs with the identity normalizer,
  tokkit's only one, so both do the same work (its default nmt_nfkc would cost it more).
- quality, on held-out text: Botchan (Project Gutenberg #8868, not among the file's books),
  line by line: bytes per token, and log-likelihood per byte, the sum of the Viterbi
  pieces' log-probabilities (their scores) over the UTF-8 bytes, for each model.
- encoding, on sentencepiece's trained model loaded by both: 10 MB of the Gutenberg file as
  one call on one thread (single), as paragraphs one call each on one thread (per-paragraph,
  the usual way a tokenizer is called), and as paragraphs in one batch call on all cores.
  The one-thread modes run pinned to core 0 (taskset -c 0). Each worker reports a digest
  of the ids it produced; the run stops if tokkit's and sentencepiece's differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("TOKKIT_DATA", ROOT.parent / "shared" / "data"))
GUTENBERG = DATA / "corpora/mono/gutenberg_en_100M.txt"
HELD_OUT = DATA / "corpora/mono/botchan_en.txt"
VOCAB = 32_000
COVERAGE = 0.9995


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- workers (each runs in its own process) ----------------------------------------------


def train(spec: dict) -> dict:
    corpus, out = spec["corpus"], spec["model"]
    start = time.perf_counter()
    if spec["lib"] == "tokkit":
        import tokkit

        tok = tokkit.train_unigram([corpus], vocab_size=VOCAB, character_coverage=COVERAGE, show_progress=False)
        seconds = time.perf_counter() - start
        tok.save(out)
    else:
        import sentencepiece as spm

        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=out[: -len(".model")], vocab_size=VOCAB, character_coverage=COVERAGE,
            model_type="unigram", normalization_rule_name="identity", num_threads=os.cpu_count() or 1,
            minloglevel=2,
        )
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def quality(spec: dict) -> dict:
    """Bytes per token and Viterbi log-likelihood per byte of the held-out text."""
    import tokkit

    tok = tokkit.load(spec["model"])
    scores = [score for _, score, _ in tok._core.pieces()]
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines()
    tokens, log_likelihood = 0, 0.0
    for line in lines:
        ids = tok.encode(line, disallowed_special=())
        tokens += len(ids)
        log_likelihood += sum(scores[i] for i in ids)
    size = sum(len(line.encode("utf-8")) for line in lines)
    return {"bytes_per_token": size / tokens, "log_likelihood_per_byte": log_likelihood / size, "tokens": tokens}


def encoding_text(quick: bool) -> str:
    with open(GUTENBERG, "rb") as f:
        f.seek(50_000_000)
        return f.read(2_000_000 if quick else 10_000_000).decode("utf-8", errors="ignore")


def encode(spec: dict) -> dict:
    text = encoding_text(spec["quick"])
    documents = [d for d in text.split("\n\n") if d]
    if spec["lib"] == "tokkit":
        import tokkit

        tok = tokkit.load(spec["model"])
        single = tok.encode_ordinary
        batch = lambda docs: tok.encode_batch(docs, disallowed_special=())  # noqa: E731
    else:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=spec["model"])
        single = sp.encode
        batch = lambda docs: sp.encode(docs, num_threads=os.cpu_count() or 1)  # noqa: E731
    single(text[:10_000])
    runs = {
        "single": lambda: single(text),
        "per-paragraph": lambda: [single(d) for d in documents],
        "batch": lambda: batch(documents),
    }
    best, out = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        out = runs[spec["mode"]]()
        best = min(best, time.perf_counter() - start)
    rows = [out] if spec["mode"] == "single" else out
    megabytes = len(text.encode("utf-8")) / 1e6
    return {"seconds": best, "mb_per_s": megabytes / best, "tokens": sum(len(row) for row in rows),
            "ids_sha256": ids_digest(rows), "peak_rss_mb": peak_rss_mb()}


def ids_digest(rows) -> str:
    """A digest of rows of ids (lists or arrays), to check that two encoders agree."""
    import numpy as np

    digest = hashlib.sha256()
    for row in rows:
        ids = np.asarray(row, dtype=np.uint32)
        digest.update(len(ids).to_bytes(8, "little") + ids.tobytes())
    return digest.hexdigest()


WORKERS = {"train": train, "quality": quality, "encode": encode}


def measure(spec: dict, *, pin: bool = False) -> dict:
    command = [sys.executable, __file__, "--worker", json.dumps(spec)]
    if pin:
        command = ["taskset", "-c", "0", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=7200)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the run ---------------------------------------------------------------------------------


def meta(quick: bool, corpus: Path) -> dict:
    from importlib.metadata import version

    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform()},
        "versions": {"python": platform.python_version(), "tokkit": version("tokkit"), "sentencepiece": version("sentencepiece")},
        "corpus": {"train": str(corpus.name), "train_bytes": corpus.stat().st_size, "held_out": HELD_OUT.name},
        "vocab_size": VOCAB, "character_coverage": COVERAGE, "quick": quick,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def gain(ours: dict, theirs: dict, key: str):
    """tokkit's figure relative to sentencepiece's: positive when tokkit's is higher."""
    if key not in ours or key not in theirs:
        return None
    return (ours[key] - theirs[key]) / abs(theirs[key])


def markdown(results: dict, info: dict) -> str:
    t, s = results["train"]["tokkit"], results["train"]["sentencepiece"]
    qt, qs = results["quality"]["tokkit"], results["quality"]["sentencepiece"]
    fmt = lambda v, f: f.format(v) if isinstance(v, (int, float)) else "–"  # noqa: E731
    lines = [
        "# Unigram: tokkit against sentencepiece",
        "",
        f"Machine: {info['machine']['cpu']}, {info['machine']['cores']} cores. Versions: "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + ".",
        f"Training: {info['corpus']['train']} ({info['corpus']['train_bytes'] / 1e6:.0f} MB), vocab {VOCAB:,}, "
        f"character_coverage {COVERAGE}, all cores, identity normalization for both. Held-out: "
        f"{info['corpus']['held_out']}, line by line.",
        "",
        "| | tokkit | sentencepiece | ratio |",
        "|---|---|---|---|",
        f"| training time (s) | {fmt(t.get('seconds'), '{:.1f}')} | {fmt(s.get('seconds'), '{:.1f}')} | "
        f"{fmt(s.get('seconds', 0) / t['seconds'] if 'seconds' in t else None, '{:.2f}x faster')} |",
        f"| training peak RSS (MB) | {fmt(t.get('peak_rss_mb'), '{:.0f}')} | {fmt(s.get('peak_rss_mb'), '{:.0f}')} | |",
        f"| held-out bytes per token (higher is better) | {fmt(qt.get('bytes_per_token'), '{:.4f}')} | "
        f"{fmt(qs.get('bytes_per_token'), '{:.4f}')} | {fmt(qt.get('bytes_per_token', 0) / qs.get('bytes_per_token', 1) - 1, '{:+.2%}')} |",
        f"| held-out log-likelihood per byte (higher is better) | {fmt(qt.get('log_likelihood_per_byte'), '{:.4f}')} | "
        f"{fmt(qs.get('log_likelihood_per_byte'), '{:.4f}')} | "
        f"{fmt(gain(qt, qs, 'log_likelihood_per_byte'), '{:+.2%}')} |",
        "",
        "Encoding with sentencepiece's trained model (loaded by both), 10 MB of Gutenberg text; MB/s of UTF-8 input. "
        "Ids checked equal in every mode before the figures were kept; single and per-paragraph pinned to one core.",
        "",
        "| mode | tokkit MB/s | sentencepiece MB/s | ratio | peak RSS MB (tokkit / sentencepiece) |",
        "|---|---|---|---|---|",
    ]
    for mode, row in results["encode"].items():
        ours, theirs = row.get("tokkit", {}), row.get("sentencepiece", {})
        ratio = ours["mb_per_s"] / theirs["mb_per_s"] if "mb_per_s" in ours and "mb_per_s" in theirs else None
        lines.append(f"| {mode} | {fmt(ours.get('mb_per_s'), '{:.1f}')} | {fmt(theirs.get('mb_per_s'), '{:.1f}')} | "
                     f"{fmt(ratio, '{:.2f}x')} | {fmt(ours.get('peak_rss_mb'), '{:.0f}')} / "
                     f"{fmt(theirs.get('peak_rss_mb'), '{:.0f}')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 MB of training text, 2 MB to encode")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for unigram.json and unigram.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(WORKERS[spec["task"]](spec)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        corpus = GUTENBERG
        if args.quick:
            corpus = Path(tmp) / "gutenberg_10M.txt"
            with open(GUTENBERG, "rb") as f:
                corpus.write_bytes(f.read(10_000_000).rsplit(b"\n", 1)[0] + b"\n")
        info = meta(args.quick, corpus)
        results: dict = {"train": {}, "quality": {}, "encode": {}}
        models = {lib: str(Path(tmp) / f"{lib}.model") for lib in ("tokkit", "sentencepiece")}
        for lib in ("tokkit", "sentencepiece"):
            results["train"][lib] = measure({"task": "train", "lib": lib, "corpus": str(corpus), "model": models[lib]})
            print(f"train   {lib:14} {results['train'][lib]}", flush=True)
            results["quality"][lib] = measure({"task": "quality", "model": models[lib]})
            print(f"quality {lib:14} {results['quality'][lib]}", flush=True)
        for mode in ("single", "per-paragraph", "batch"):
            for lib in ("tokkit", "sentencepiece"):
                spec = {"task": "encode", "lib": lib, "mode": mode, "model": models["sentencepiece"], "quick": args.quick}
                results["encode"].setdefault(mode, {})[lib] = measure(spec, pin=mode != "batch")
                print(f"encode  {mode:14} {lib:14} {results['encode'][mode][lib]}", flush=True)
            digests = {row.get("ids_sha256") for row in results["encode"][mode].values()}
            if len(digests) != 1:
                sys.exit(f"encode {mode}: tokkit's ids differ from sentencepiece's; no timing is reported")
    args.out.mkdir(parents=True, exist_ok=True)
    name = "unigram-quick" if args.quick else "unigram"
    (args.out / f"{name}.json").write_text(json.dumps({"meta": info, "results": results}, indent=1))
    (args.out / f"{name}.md").write_text(markdown(results, info))
    print(f"wrote {args.out / (name + '.md')}")


if __name__ == "__main__":
    main()
