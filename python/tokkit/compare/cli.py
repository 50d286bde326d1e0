"""``tokkit compare``: measure tokenizers across the languages of a parallel corpus and
write tables, figures and one HTML page.

    tokkit compare                                   # the bundled sample, default tokenizers
    tokkit compare --corpus udhr/ --tokenizer cl100k=cl100k_base --tokenizer mine=tok.json --out report/

Without ``--tokenizer`` it compares the OpenAI and Llama 3 encodings whose files are at
hand ($TOKKIT_DATA or the download cache; nothing is downloaded) and a BPE trained on the
corpus itself. Unless ``--no-sweep``, it also trains each strategy this build has at a few
vocabulary sizes on the corpus's training lines and measures them on its held-out lines.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

EXAMPLES = """examples:
  tokkit compare
  tokkit compare --corpus ../shared/data/corpora/multilingual/udhr --tokenizer cl100k=cl100k_base \\
      --tokenizer o200k=o200k_base --pivot eng --out udhr-report
  tokkit compare --tokenizer mine=tok.json --strategies bpe,bpe-parity --vocab-sizes 500,1000,2000"""

_REFERENCE = ["r50k_base", "cl100k_base", "o200k_base", "llama3"]
_DEFAULT_BPE_SIZE = 2000


def _named(spec: str) -> tuple[str, str]:
    name, sep, source = spec.partition("=")
    if not sep:
        name, source = Path(spec).stem, spec
    if not name or not source:
        raise argparse.ArgumentTypeError(f"--tokenizer takes NAME=PATH (or a path, or an encoding name), not {spec!r}")
    return name, source


def _sizes(spec: str) -> list[int]:
    try:
        sizes = [int(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--vocab-sizes takes positive whole numbers separated by commas, not {spec!r}")
    return sizes


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``compare`` command to ``tokkit``'s subcommands."""
    summary = "compare tokenizers across languages: premiums, compression, fertility; tables, plots, HTML"
    description = ("Measure tokenizers across the languages of a parallel corpus (premium against a pivot "
                   "language, compression, fertility, split words, byte fallback, vocabulary use, Rényi "
                   "efficiency, script coverage) and write tables, figures and one HTML page. Without "
                   "--tokenizer: the reference encodings found in $TOKKIT_DATA or the download cache, and a BPE "
                   "trained on the corpus.")
    parser = subparsers.add_parser("compare", help=summary, description=textwrap.fill(description, 88),
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="folder of one .txt per language, lines aligned (default: the bundled "
                        "sample)")
    parser.add_argument("-t", "--tokenizer", action="append", type=_named, default=[], metavar="NAME=PATH",
                        help="a tokenizer file or encoding name, named NAME (repeat for several)")
    parser.add_argument("--pivot", default="eng", help="the language premiums are relative to, as the corpus names "
                        "it (default: eng)")
    parser.add_argument("--out", default="tokkit-compare", help="output folder (default: ./tokkit-compare)")
    parser.add_argument("--line", type=int, default=2, help="the line shown token by token (default: 2)")
    parser.add_argument("--alpha", type=float, default=2.5, help="order of the Rényi efficiency (default: 2.5)")
    parser.add_argument("--strategies", help="strategies to sweep, comma-separated (default: all this build has)")
    parser.add_argument("--vocab-sizes", type=_sizes, default=[500, 1000, 2000], help="vocabulary sizes to sweep "
                        "(default: 500,1000,2000)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the strategy sweep")
    return parser


def _load(source: str):
    import tokkit
    from tokkit.encodings import ALIASES, ENCODINGS

    if Path(source).exists():
        return tokkit.load(source)
    if source in ENCODINGS or source in ALIASES:
        return tokkit.get_encoding(source)
    raise FileNotFoundError(f"no tokenizer file {source!r}, nor an encoding of that name "
                            f"({', '.join(sorted(ENCODINGS))})")


def default_tokenizers(corpus) -> dict:
    """The reference encodings found on disk, and a BPE trained on ``corpus``."""
    import tokkit
    from tokkit.encodings import cache_dir

    found = {}
    folders = [Path(os.environ.get("TOKKIT_DATA", "../shared/data")) / "vocab" / "tiktoken", cache_dir()]
    for name in _REFERENCE:
        path = next((folder / f"{name}.tiktoken" for folder in folders if (folder / f"{name}.tiktoken").exists()), None)
        if path is not None:
            found[name] = tokkit.load(path)
    texts = {language.code: [line for line in language.lines if line] for language in corpus}
    name = f"bpe-{_DEFAULT_BPE_SIZE}"
    found[name] = tokkit.train_bpe(texts, vocab_size=_DEFAULT_BPE_SIZE, show_progress=False, name=name)
    return found


def run(args) -> None:
    """Runs ``tokkit compare`` with parsed arguments."""
    from . import compare, load_corpus, sweep

    corpus = load_corpus(args.corpus)
    if args.tokenizer:
        names = [name for name, _ in args.tokenizer]
        if len(set(names)) < len(names):
            raise ValueError("two --tokenizer options share a name; give each its own NAME=")
        tokenizers = {name: _load(source) for name, source in args.tokenizer}
    else:
        tokenizers = default_tokenizers(corpus)
    print(f"comparing {', '.join(tokenizers)} on {len(corpus)} languages...", file=sys.stderr)
    report = compare(tokenizers, corpus=corpus, pivot=args.pivot, alpha=args.alpha)
    swept = None
    if not args.no_sweep:
        strategies = [s.strip() for s in args.strategies.split(",")] if args.strategies else None
        print("sweeping strategies × vocabulary sizes...", file=sys.stderr)
        swept = sweep(corpus, strategies=strategies, vocab_sizes=args.vocab_sizes, pivot=report.pivot,
                      alpha=args.alpha)
    written = report.save(args.out, sweep=swept, line=args.line)
    print(report.summary())
    premiums = report.values(report.tokenizers[0], "premium")
    worst = sorted((code for code in premiums if premiums[code] is not None), key=lambda c: -premiums[c])[:12]
    print(f"\nThe {len(worst)} highest premiums for {report.tokenizers[0]} (all languages: report.md):")
    print(report.table("premium", languages=worst))
    if swept is not None:
        print()
        print(swept.table())
        for name, why in swept.impossible.items():
            print(f"{name}: not trained ({why})", file=sys.stderr)
    print(f"\nwrote {len(written)} files to {args.out}; open {Path(args.out) / 'index.html'}", file=sys.stderr)
