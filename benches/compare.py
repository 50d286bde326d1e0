"""Comparison speed and the UDHR premium table: tokkit.compare on all 429 UDHR
translations with five tokenizers.

    python benches/compare.py          # writes benches/results/compare.{json,md}

One run, each part in a fresh subprocess with its own peak RSS:
- tokkit: load r50k, cl100k, o200k and llama3 from $TOKKIT_DATA; train a byte-level BPE
  (vocab 32,000, cl100k pattern) on UDHR itself, so it is in-domain; time
  ``tokkit.compare`` over the five (every measure, every language), then ``Report.save``
  (Markdown, JSON, CSV, figures, HTML) apart;
- anchor: what a one-off script does, tiktoken counting the tokens of every line in a
  Python loop for the four encodings (token counts only, no other measure);
- sweep: plain against parity-aware BPE at 4,000 / 16,000 / 32,000 tokens, trained on
  UDHR's training lines and measured on its held-out lines.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, machine, measure, peak_rss_mb, versions, write_results  # noqa: E402

UDHR = DATA / "corpora/multilingual/udhr"
ENCODINGS = ["r50k_base", "cl100k_base", "o200k_base", "llama3"]
BPE_SIZE = 32_000
#: The languages the README's table shows, by UDHR file stem.
SHOWN = ["eng", "fra", "deu_1996", "spa", "rus", "ell_monotonic", "tur", "fin", "vie", "swh", "arb", "heb", "hin",
         "ben", "tam", "tha", "cmn_hans", "jpn", "kor", "kat", "amh", "khm", "mya", "shn", "bod"]


def reference(name: str) -> Path:
    return DATA / "vocab" / "tiktoken" / f"{name}.tiktoken"


def run_tokkit() -> dict:
    import tokkit

    start = time.perf_counter()
    tokenizers = {name: tokkit.load(reference(name)) for name in ENCODINGS}
    loaded = time.perf_counter()
    name = f"udhr-bpe-{BPE_SIZE // 1000}k"
    tokenizers[name] = tokkit.train_bpe(str(UDHR / "*.txt"), vocab_size=BPE_SIZE, show_progress=False, name=name)
    trained = time.perf_counter()
    report = tokkit.compare(tokenizers, corpus=UDHR, pivot="eng")
    compared = time.perf_counter()
    lines = [info["language"] for info in report.languages]
    with tempfile.TemporaryDirectory() as folder:
        files = report.save(folder)
    saved = time.perf_counter()
    return {
        "seconds": {"load": loaded - start, "train_bpe": trained - loaded, "compare": compared - trained,
                    "save": saved - compared},
        "files_written": len(files),
        "peak_rss_mb": peak_rss_mb(),
        "utf8_bytes": sum(row["bytes"] for row in report.rows if row["tokenizer"] == name),
        "summary_md": report.summary().to_markdown(),
        "premiums_md": report.table("premium", languages=SHOWN).to_markdown(),
        "summaries": report.summaries,
        "premiums": {name: {code: report.measures(name, code)["premium"] for code in SHOWN}
                     for name in report.tokenizers},
        "tokens": {name: {code: report.measures(name, code)["tokens"] for code in lines} for name in ENCODINGS},
    }


def run_anchor() -> dict:
    import tiktoken

    patterns = json.loads((DATA / "vocab/tiktoken/patterns.json").read_text())
    start = time.perf_counter()
    encodings = {}
    for name in ENCODINGS:
        ranks = {}
        for line in reference(name).read_bytes().splitlines():
            if line:
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
        encodings[name] = tiktoken.Encoding(name, pat_str=patterns[name]["pat_str"], mergeable_ranks=ranks,
                                            special_tokens={})
    loaded = time.perf_counter()
    lines = {path.stem: path.read_text(encoding="utf-8").split("\n") for path in sorted(UDHR.glob("*.txt"))}
    counts = {name: {code: sum(len(enc.encode_ordinary(line)) for line in text) for code, text in lines.items()}
              for name, enc in encodings.items()}
    counted = time.perf_counter()
    return {"seconds": {"load": loaded - start, "count": counted - loaded}, "peak_rss_mb": peak_rss_mb(),
            "tokens": counts}


def run_sweep() -> dict:
    import tokkit

    start = time.perf_counter()
    result = tokkit.compare.sweep(UDHR, strategies=["bpe", "bpe-parity"], vocab_sizes=[4_000, 16_000, 32_000])
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb(), "points": result.points,
            "table_md": result.table().to_markdown()}


def worker(spec: dict) -> dict:
    return {"tokkit": run_tokkit, "anchor": run_anchor, "sweep": run_sweep}[spec["part"]]()


def markdown(runs: dict, meta: dict) -> str:
    ours, anchor, sweep = runs["tokkit"], runs["anchor"], runs["sweep"]
    s = ours["seconds"]
    agreeing, total = runs["agreement"]
    out = [
        "# Comparing tokenizers across languages",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, Python {meta['machine']['python']}. "
        f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items() if v)}.",
        f"Corpus: UDHR, 429 translations × 32 aligned lines ({ours['utf8_bytes'] / 1e6:.1f} MB). Tokenizers: "
        f"{', '.join(ENCODINGS)} and a byte-level BPE of {BPE_SIZE:,} tokens trained on UDHR itself (in-domain). "
        "Pivot: English (`eng`).",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| load the four reference vocabularies | {s['load']:.2f} |",
        f"| train the UDHR BPE ({BPE_SIZE:,}) | {s['train_bpe']:.2f} |",
        f"| **`tokkit.compare`: 5 tokenizers × 429 languages, every measure** | **{s['compare']:.2f}** |",
        f"| `Report.save`: Markdown, JSON, CSV, {ours['files_written'] - 4} PNG figures, HTML | {s['save']:.2f} |",
        f"| anchor: tiktoken counting tokens line by line in Python, 4 encodings (counts only) "
        f"| {anchor['seconds']['count']:.2f} |",
        "",
        f"Peak RSS: tokkit run {ours['peak_rss_mb']:.0f} MB; anchor {anchor['peak_rss_mb']:.0f} MB. "
        f"Token counts equal tiktoken's for {agreeing:,} of {total:,} encoding × language pairs.",
        "",
        "## Summary",
        "",
        ours["summary_md"],
        "",
        "## Premium per language",
        "",
        "Premium = tokens of the translation ÷ tokens of English, on the lines both have. The mean, max and "
        "Gini rows are over all 429 translations.",
        "",
        ours["premiums_md"],
        "",
        "## Plain against parity-aware BPE",
        "",
        f"Trained on UDHR's training lines (24 of 32), measured on the 8 held-out lines; {sweep['seconds']:.1f} s "
        "for all six.",
        "",
        sweep["table_md"],
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    if not UDHR.exists():
        sys.exit(f"UDHR not found at {UDHR}; set TOKKIT_DATA to the shared data folder")
    meta = {"machine": machine(), "versions": versions("tokkit", "tiktoken", "matplotlib"),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    runs = {}
    for part in ["tokkit", "anchor", "sweep"]:
        runs[part] = measure(__file__, {"part": part})
        if "error" in runs[part]:
            sys.exit(f"{part}: {runs[part]['error']}")
        print(part, runs[part]["seconds"], flush=True)
    # Per-language token counts: checked here, too many to keep in the results.
    ours, anchor = runs["tokkit"].pop("tokens"), runs["anchor"].pop("tokens")
    pairs = [(name, code) for name in ENCODINGS for code in anchor[name]]
    runs["agreement"] = [sum(ours[name][code] == anchor[name][code] for name, code in pairs), len(pairs)]
    print(f"wrote {write_results('compare', {'meta': meta, 'runs': runs}, markdown(runs, meta))}")


if __name__ == "__main__":
    main()
