"""Encoding speed of tokkit against tiktoken, HF tokenizers and rs-bpe.

Same text, same vocabulary, same machine, one run. Every figure is measured in a fresh
subprocess so that the peak RSS printed beside it belongs to that figure alone (the
process's whole peak: interpreter, library, vocabulary, text and output).

    python benches/encode.py            # full run, writes benches/results/encode.{json,md}
    python benches/encode.py --quick    # smaller texts, for a smoke test
    python benches/encode.py --hf-only  # the tokenizer.json table only: benches/results/encode-hf.{json,md}

Modes:
- single: one call on the whole text, one thread (every library encodes a single str on
  one thread);
- batch: the same text cut into many short documents, all cores; tokkit's own
  single-thread loop over the documents is measured too (`tokkit-1t`);
- adversarial: 1 MB of random letters with no spaces and 10 MB of one repeated letter,
  each one huge pre-token; reported as time per byte relative to English prose timed in
  the same process, the two alternating (best of 3 calls each; the warm-up call, which
  builds the backtracking walk's tables, is reported on its own).

The tokenizer.json table loads each HuggingFace file of the reference data in both
libraries and times `encode` (HF's default, special tokens added) single and batch, plus
tokkit's `encode_with_offsets` (HF's `encode` always computes offsets). A digest of all
the ids each library produced shows they are the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, machine, measure, peak_rss_mb, versions, write_results  # noqa: E402

ENCODINGS = {"cl100k_base": "cl100k_base.tiktoken", "o200k_base": "o200k_base.tiktoken", "llama3": "llama3.tiktoken"}
HF_FILES = ["roberta-base", "falcon", "phi-3-mini", "llama3", "t5-small", "bert-base-uncased"]


# ---- corpora --------------------------------------------------------------------------


def corpus_text(name: str, quick: bool) -> str:
    size = 2_000_000 if quick else 10_000_000
    if name == "english":
        with open(DATA / "corpora/mono/gutenberg_en_100M.txt", "rb") as f:
            return f.read(size).decode("utf-8", errors="ignore")
    if name == "multilingual":
        files = sorted((DATA / "corpora/multilingual/udhr").glob("*.txt"))
        text = "".join(p.read_text(encoding="utf-8") for p in files)
        return text[: size // 3] if quick else text
    if name == "code":
        with open(DATA / "corpora/code/python_stdlib_3.11.7.txt", "rb") as f:
            return f.read(size).decode("utf-8", errors="ignore")
    if name == "random-letters":
        rng = random.Random(0)
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1_000_000))
    if name == "one-letter":
        return "a" * 10_000_000
    raise ValueError(name)


def documents(text: str, name: str) -> list[str]:
    """Short documents: paragraphs of prose, lines of UDHR, blank-line blocks of code."""
    if name == "multilingual":
        docs = text.splitlines(keepends=True)
    else:
        docs = text.split("\n\n")
    return [d for d in docs if d]


# ---- the libraries --------------------------------------------------------------------


def load(lib: str, encoding: str):
    """(encode one text, encode a list of texts) for a library, or None if not installed."""
    path = DATA / "vocab/tiktoken" / ENCODINGS[encoding]
    if lib in ("tokkit", "tokkit-1t"):
        import tokkit

        tok = tokkit.load(path)
        if lib == "tokkit-1t":
            return tok.encode_ordinary, lambda docs: [tok.encode_ordinary(d) for d in docs]
        return tok.encode_ordinary, lambda docs: tok.encode_batch(docs, disallowed_special=())
    if lib == "tiktoken":
        import tiktoken
        import tiktoken.load

        patterns = json.loads((DATA / "vocab/tiktoken/patterns.json").read_text())
        enc = tiktoken.Encoding(
            name=encoding,
            pat_str=patterns[encoding]["pat_str"],
            mergeable_ranks=tiktoken.load.load_tiktoken_bpe(str(path)),
            special_tokens={},
        )
        threads = os.cpu_count() or 1
        return enc.encode_ordinary, lambda docs: enc.encode_ordinary_batch(docs, num_threads=threads)
    if lib == "hf-tokenizers":
        if encoding != "llama3":
            return None  # no tokenizer.json with these exact ids in the reference data
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(DATA / "vocab/hf/llama3/tokenizer.json"))
        return (
            lambda text: tok.encode(text, add_special_tokens=False).ids,
            lambda docs: [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)],
        )
    if lib == "rs-bpe":
        try:
            from rs_bpe.bpe import openai
        except ImportError:
            return None
        if encoding not in ("cl100k_base", "o200k_base"):
            return None
        tok = getattr(openai, encoding)()
        options = openai.ParallelOptions(1, 64, os.cpu_count() or 1)  # min batch, chunk, threads
        return tok.encode, lambda docs: tok.encode_batch_parallel(docs, options)[0]
    raise ValueError(lib)


def load_hf_file(lib: str, name: str):
    """(encode one text, encode a list of texts or None) for a tokenizer.json, or a reason
    why the library cannot load it."""
    path = DATA / "vocab/hf" / name / "tokenizer.json"
    if lib in ("tokkit", "tokkit-offsets"):
        import tokkit

        try:
            tok = tokkit.load(path)
        except ValueError as e:
            return str(e)
        if lib == "tokkit-offsets":
            return (lambda text: tok.encode_with_offsets(text)[0]), None
        return tok.encode, tok.encode_batch
    if lib == "hf-tokenizers":
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path))
        return (lambda text: tok.encode(text).ids), (lambda docs: [e.ids for e in tok.encode_batch(docs)])
    raise ValueError(lib)


def digest(rows) -> str:
    sha = hashlib.sha256()
    for row in rows:
        sha.update(len(row).to_bytes(8, "little"))
        sha.update(bytes(memoryview(__import__("numpy").asarray(row, dtype="uint32"))))
    return sha.hexdigest()[:16]


def hf_worker(spec: dict) -> dict:
    """Measures one figure of the tokenizer.json table."""
    fns = load_hf_file(spec["lib"], spec["file"])
    if isinstance(fns, str):
        return {"skipped": fns}
    single, batch = fns
    text = corpus_text("english", spec["quick"])
    single(text[:10_000])
    if spec["mode"] == "batch":
        docs = documents(text, "english")
        batch(docs[:100])
        seconds, out = best_time(batch, docs, spec["repeats"])
        rows, extra = out, {"documents": len(docs)}
    else:
        seconds, out = best_time(single, text, spec["repeats"])
        rows, extra = [out], {}
    megabytes = len(text.encode("utf-8")) / 1e6
    return {"seconds": seconds, "mb_per_s": megabytes / seconds, "megabytes": megabytes,
            "tokens": sum(len(r) for r in rows), "ids_digest": digest(rows), "peak_rss_mb": peak_rss_mb(), **extra}


def plan_hf(quick: bool) -> list[dict]:
    specs = []
    for name in HF_FILES:
        for lib, mode in [("tokkit", "single"), ("tokkit-offsets", "single"), ("hf-tokenizers", "single"),
                          ("tokkit", "batch"), ("hf-tokenizers", "batch")]:
            repeats = 2 if lib == "hf-tokenizers" and mode == "single" else 3
            specs.append({"table": "hf", "lib": lib, "file": name, "mode": mode, "quick": quick, "repeats": repeats})
    return specs


def markdown_hf(results: list[dict], meta: dict, skipped: dict) -> str:
    megabytes = results[0]["result"]["megabytes"] if results else 0
    lines = [
        "# Encoding speed: HuggingFace tokenizer.json files, tokkit and HF tokenizers",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores. Python {meta['machine']['python']}. "
        f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items() if v)}. "
        f"Load average {meta['load_average_before']:.1f} before the run, {meta['load_average_after']:.1f} after "
        f"(other work on the machine slows both libraries alike).",
        f"Text: {megabytes:.1f} MB of English (Project Gutenberg). "
        "Single = one `encode` call on the whole text, one thread; batch = `encode_batch` on its paragraphs, all "
        "cores. Both libraries add special tokens (HF's default). HF's `encode` also computes offsets; tokkit's "
        "`encode` gives ids only, and `encode_with_offsets` is shown too. MB/s of UTF-8 input, best of 2-3 runs after "
        "a warm-up; peak RSS of the measuring process. Same ids = the digests of all ids agree.",
        "",
        "| file | mode | tokkit MB/s | HF MB/s | tokkit ÷ HF | tokkit with offsets MB/s | same ids | peak RSS MB (tokkit / HF) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    table: dict[tuple, dict] = {}
    for r in results:
        table.setdefault((r["file"], r["mode"]), {})[r["lib"]] = r["result"]
    fmt = lambda r: f"{r['mb_per_s']:.1f}" if r and "mb_per_s" in r else "–"  # noqa: E731
    rss = lambda r: f"{r['peak_rss_mb']:.0f}" if r and "peak_rss_mb" in r else "–"  # noqa: E731
    for (name, mode), row in table.items():
        ours, theirs = row.get("tokkit"), row.get("hf-tokenizers")
        ok = ours and theirs and "mb_per_s" in ours and "mb_per_s" in theirs
        ratio = f"{ours['mb_per_s'] / theirs['mb_per_s']:.1f}x" if ok else "–"
        same = ("yes" if ours["ids_digest"] == theirs["ids_digest"] else "**no**") if ok else "–"
        lines.append(f"| {name} | {mode} | {fmt(ours)} | {fmt(theirs)} | {ratio} | {fmt(row.get('tokkit-offsets'))} | "
                     f"{same} | {rss(ours)} / {rss(theirs)} |")
    for name, reason in skipped.items():
        lines.append(f"| {name} | – | not loaded: {reason} | | | | | |")
    return "\n".join(lines) + "\n"


def main_hf(quick: bool) -> None:
    meta = {"machine": machine(), "versions": versions("tokkit", "tokenizers"), "quick": quick,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "load_average_before": os.getloadavg()[0]}
    results, skipped = [], {}
    for spec in plan_hf(quick):
        if spec["file"] in skipped:
            continue
        result = measure(__file__, spec)
        if "skipped" in result:
            skipped[spec["file"]] = result["skipped"].split(";")[0]
            print(f"{spec['file']:18} skipped: {result['skipped']}", flush=True)
            continue
        results.append({**spec, "result": result})
        shown = f"{result['mb_per_s']:8.1f} MB/s  {result['peak_rss_mb']:6.0f} MB  {result['ids_digest']}" \
            if "mb_per_s" in result else result
        print(f"{spec['file']:18} {spec['mode']:7} {spec['lib']:15} {shown}", flush=True)
    meta["load_average_after"] = os.getloadavg()[0]
    name = "encode-hf-quick" if quick else "encode-hf"
    document = {"meta": meta, "results": results, "skipped": skipped}
    print(f"wrote {write_results(name, document, markdown_hf(results, meta, skipped))}")


def best_time(fn, arg, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(arg)
        best = min(best, time.perf_counter() - start)
    return best, out


def worker(spec: dict) -> dict:
    """Measures one figure; runs in its own process."""
    fns = load(spec["lib"], spec["encoding"])
    if fns is None:
        return {"skipped": True}
    single, batch = fns
    text = corpus_text(spec["corpus"], spec["quick"])
    repeats = 3
    # Warm up: vocabulary tables, caches, thread pools. On adversarial text this is the
    # first long piece, which builds the backtracking walk's tables; timed on its own.
    start = time.perf_counter()
    single(text[:10_000])
    warm_up = time.perf_counter() - start
    if spec["mode"] == "adversarial":
        # English prose is timed in the same process, alternating with the adversarial
        # text, so that the ratio compares the two under the same conditions.
        english = corpus_text("english", spec["quick"])
        single(english[:10_000])
        best = {"adversarial": float("inf"), "english": float("inf")}
        for _ in range(repeats):
            for name, sample in (("english", english), ("adversarial", text)):
                best[name] = min(best[name], best_time(single, sample, 1)[0])
        seconds, out = best["adversarial"], single(text)
        tokens = len(out)
        extra = {"english_mb_per_s": len(english.encode("utf-8")) / 1e6 / best["english"]}
    elif spec["mode"] == "batch":
        docs = documents(text, spec["corpus"])
        batch(docs[:100])
        seconds, out = best_time(batch, docs, repeats)
        tokens = sum(len(row) for row in out)
        extra = {"documents": len(docs)}
    else:
        seconds, out = best_time(single, text, repeats)
        tokens = len(out)
        extra = {}
    megabytes = len(text.encode("utf-8")) / 1e6
    return {
        "seconds": seconds,
        "mb_per_s": megabytes / seconds,
        "megabytes": megabytes,
        "tokens": tokens,
        "peak_rss_mb": peak_rss_mb(),
        "warm_up_seconds": warm_up,
        **extra,
    }


def plan(quick: bool) -> list[dict]:
    specs = []
    libs = ["tokkit", "tiktoken", "rs-bpe", "hf-tokenizers"]
    for encoding in ENCODINGS:
        for corpus in ["english", "multilingual", "code"]:
            for lib in libs:
                specs.append({"lib": lib, "encoding": encoding, "corpus": corpus, "mode": "single"})
            for lib in libs + ["tokkit-1t"]:
                specs.append({"lib": lib, "encoding": encoding, "corpus": corpus, "mode": "batch"})
        for corpus in ["random-letters", "one-letter"]:
            specs.append({"lib": "tokkit", "encoding": encoding, "corpus": corpus, "mode": "adversarial"})
    for spec in specs:
        spec["quick"] = quick
    return specs


def markdown(results: list[dict], meta: dict) -> str:
    lines = [
        "# Encoding speed",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores. "
        f"Python {meta['machine']['python']}. "
        f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items() if v)}.",
        "Single = one call on the whole text, one thread. Batch = short documents, all cores. "
        "MB/s of UTF-8 input; peak RSS of the measuring process. Ratio = tokkit ÷ tiktoken.",
        "",
        "| encoding | corpus | mode | tokkit MB/s | tiktoken MB/s | ratio | rs-bpe MB/s | HF MB/s | tokkit 1-thread MB/s | peak RSS MB (tokkit / tiktoken) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    table: dict[tuple, dict] = {}
    for r in results:
        table.setdefault((r["encoding"], r["corpus"], r["mode"]), {})[r["lib"]] = r["result"]
    fmt = lambda r: f"{r['mb_per_s']:.1f}" if r and "mb_per_s" in r else "–"  # noqa: E731
    rss = lambda r: f"{r['peak_rss_mb']:.0f}" if r and "peak_rss_mb" in r else "–"  # noqa: E731
    for (encoding, corpus, mode), row in table.items():
        if mode == "adversarial":
            continue
        ours, theirs = row.get("tokkit"), row.get("tiktoken")
        ratio = f"{ours['mb_per_s'] / theirs['mb_per_s']:.2f}x" if ours and theirs and "mb_per_s" in ours and "mb_per_s" in theirs else "–"
        lines.append(
            f"| {encoding} | {corpus} | {mode} | {fmt(ours)} | {fmt(theirs)} | {ratio} | {fmt(row.get('rs-bpe'))} | "
            f"{fmt(row.get('hf-tokenizers'))} | {fmt(row.get('tokkit-1t'))} | {rss(ours)} / {rss(theirs)} |"
        )
    lines += ["", "Adversarial input (tokkit, single call): time per byte relative to English prose.", "",
              "| encoding | input | MB/s | English MB/s (same process) | per-byte time ÷ English | first 10 kB (s) | peak RSS MB |",
              "|---|---|---|---|---|---|---|"]
    for (encoding, corpus, mode), row in table.items():
        if mode != "adversarial":
            continue
        ours = row.get("tokkit")
        slowdown = f"{ours['english_mb_per_s'] / ours['mb_per_s']:.2f}" if ours and "english_mb_per_s" in ours else "–"
        english = f"{ours['english_mb_per_s']:.1f}" if ours and "english_mb_per_s" in ours else "–"
        warm = f"{ours['warm_up_seconds']:.3f}" if ours and "warm_up_seconds" in ours else "–"
        lines.append(f"| {encoding} | {corpus} | {fmt(ours)} | {english} | {slowdown} | {warm} | {rss(ours)} |")
    lines += ["", "Each adversarial text is timed in one process with English prose (the first 10 MB "
              "of the Gutenberg file), the two alternating, best of 3 calls each; the ratio is of those "
              "two figures. The first 10 kB column is the warm-up call before timing: its long piece "
              "builds the tables of the backtracking walk, once per vocabulary and process."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller texts, for a smoke test")
    parser.add_argument("--hf-only", action="store_true", help="only the tokenizer.json table (tokkit vs HF)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(hf_worker(spec) if spec.get("table") == "hf" else worker(spec)))
        return
    if args.hf_only:
        main_hf(args.quick)
        return
    meta = {"machine": machine(), "versions": versions("tokkit", "tiktoken", "tokenizers", "rs-bpe"),
            "quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    results = []
    for spec in plan(args.quick):
        result = measure(__file__, spec)
        if result.get("skipped"):
            continue
        results.append({**spec, "result": result})
        shown = f"{result['mb_per_s']:8.1f} MB/s  {result['peak_rss_mb']:6.0f} MB" if "mb_per_s" in result else result
        print(f"{spec['encoding']:12} {spec['corpus']:15} {spec['mode']:12} {spec['lib']:14} {shown}", flush=True)
    name = "encode-quick" if args.quick else "encode"
    print(f"wrote {write_results(name, {'meta': meta, 'results': results}, markdown(results, meta))}")


if __name__ == "__main__":
    main()
