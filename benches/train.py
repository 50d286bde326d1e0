"""BPE training speed and memory: tokkit against HF tokenizers, bpeasy and sentencepiece.

Same corpus, same vocabulary size, same pre-tokenizer regex where the library takes one
(GPT-2's, which HF's ByteLevel pre-tokenizer uses), one run, each figure in a fresh
subprocess with its own peak RSS.

    python benches/train.py            # writes benches/results/train.{json,md}
    python benches/train.py --quick    # 10 MB instead of 100 MB

Figures:
- time and peak RSS training on the 100 MB Gutenberg file at vocab 32,000;
- held-out compression: each library trains on the file minus its last 5 MB, and bytes
  per token are measured on those 5 MB with each library's own encoder;
- streaming: tokkit on the 100 MB file given ten times (1 GB), against one time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, machine, measure, peak_rss_mb, versions, write_results  # noqa: E402

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
VOCAB = 32_000
HELD_OUT = 5_000_000


def corpus_path() -> Path:
    return DATA / "corpora/mono/gutenberg_en_100M.txt"


def split_corpus(quick: bool, folder: Path) -> tuple[Path, Path, Path]:
    """(full, training part, held-out part) as files; quick keeps the first 10 MB."""
    data = corpus_path().read_bytes()
    if quick:
        data = data[:10_000_000]
    cut = data.rfind(b"\n", 0, len(data) - HELD_OUT) + 1
    full, train, held = folder / "full.txt", folder / "train.txt", folder / "held.txt"
    full.write_bytes(data)
    train.write_bytes(data[:cut])
    held.write_bytes(data[cut:])
    return full, train, held


def lines(path: Path):
    with open(path, encoding="utf-8") as f:
        yield from f


def train(lib: str, path: str, repeat: int):
    """Trains `lib` on the file (given `repeat` times); returns an encode function."""
    if lib == "tokkit":
        import tokkit

        tok = tokkit.train_bpe([path] * repeat, vocab_size=VOCAB, pattern="gpt2", show_progress=False)
        return tok.encode_ordinary
    if lib == "hf-tokenizers":
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=VOCAB, min_frequency=2, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train([path] * repeat, trainer)
        return lambda text: tok.encode(text).ids
    if lib == "bpeasy":
        import bpeasy
        from bpeasy.tokenizer import BPEasyTokenizer

        vocab = bpeasy.train_bpe(lines(Path(path)), GPT2_PATTERN, 128, VOCAB)
        tok = BPEasyTokenizer(vocab=vocab, regex_pattern=GPT2_PATTERN, special_tokens=[])
        return tok.encode
    if lib == "sentencepiece-bpe":
        import sentencepiece as spm

        prefix = tempfile.mkdtemp() + "/spm"
        spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, model_type="bpe", vocab_size=VOCAB,
                                       byte_fallback=True, character_coverage=0.9999, num_threads=2,
                                       minloglevel=2, train_extremely_large_corpus=False)
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
        return sp.encode
    raise ValueError(lib)


def worker(spec: dict) -> dict:
    start = time.perf_counter()
    encode = train(spec["lib"], spec["path"], spec.get("repeat", 1))
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}
    if spec.get("held_out"):
        text = Path(spec["held_out"]).read_text(encoding="utf-8")
        tokens = sum(len(encode(line)) for line in text.splitlines(keepends=True))
        result["bytes_per_token"] = len(text.encode("utf-8")) / tokens
    return result


def markdown(runs: dict, meta: dict) -> str:
    corpus = "first 10 MB of " if meta["quick"] else ""
    lines_out = [
        "# BPE training",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, Python {meta['machine']['python']}. "
        f"Versions: {', '.join(f'{k} {v}' for k, v in meta['versions'].items() if v)}.",
        f"Corpus: {corpus}gutenberg_en_100M.txt; vocab {VOCAB:,}; GPT-2 pre-tokenizer regex (sentencepiece: "
        "its own). Held-out: the last 5 MB, each library trained on the rest.",
        "",
        "| library | train time s | peak RSS MB | tokkit speed-up | held-out bytes/token |",
        "|---|---|---|---|---|",
    ]
    ours = runs.get("tokkit", {}).get("full", {})
    for lib, run in runs.items():
        full, held = run.get("full", {}), run.get("held", {})
        if "seconds" not in full:
            lines_out.append(f"| {lib} | {full.get('error', '–')} | | | |")
            continue
        speedup = f"{full['seconds'] / ours['seconds']:.1f}x" if "seconds" in ours else "–"
        bpt = f"{held['bytes_per_token']:.4f}" if "bytes_per_token" in held else "–"
        lines_out.append(f"| {lib} | {full['seconds']:.2f} | {full['peak_rss_mb']:.0f} | {speedup} | {bpt} |")
    stream = runs.get("tokkit", {}).get("stream")
    if stream and "seconds" in stream and "seconds" in ours:
        lines_out += [
            "",
            f"Streaming: tokkit on the corpus given ten times took {stream['seconds']:.2f} s "
            f"({stream['seconds'] / ours['seconds']:.1f}x one pass) with peak RSS {stream['peak_rss_mb']:.0f} MB "
            f"({stream['peak_rss_mb'] / ours['peak_rss_mb']:.2f}x one pass).",
        ]
    return "\n".join(lines_out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="train on 10 MB instead of 100 MB")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        import json

        print(json.dumps(worker(json.loads(args.worker))))
        return
    meta = {"machine": machine(), "versions": versions("tokkit", "tokenizers", "bpeasy", "sentencepiece"),
            "quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    runs: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        full, train_part, held = split_corpus(args.quick, Path(folder))
        for lib in ["tokkit", "hf-tokenizers", "bpeasy", "sentencepiece-bpe"]:
            runs[lib] = {
                "full": measure(__file__, {"lib": lib, "path": str(full)}),
                "held": measure(__file__, {"lib": lib, "path": str(train_part), "held_out": str(held)}),
            }
            print(lib, runs[lib], flush=True)
        runs["tokkit"]["stream"] = measure(__file__, {"lib": "tokkit", "path": str(full), "repeat": 10})
        print("tokkit x10", runs["tokkit"]["stream"], flush=True)
    name = "train-quick" if args.quick else "train"
    print(f"wrote {write_results(name, {'meta': meta, 'runs': runs}, markdown(runs, meta))}")


if __name__ == "__main__":
    main()
