"""The ``tokkit`` command (also ``python -m tokkit``).

    tokkit train bpe corpus.txt --vocab-size 32000 --out tok.json
    tokkit encode --tokenizer tok.json "some text"        # ids; --tokens for the pieces
    tokkit decode --tokenizer tok.json 1 2 3
    tokkit inspect tok.json
    tokkit convert tok.json tokenizer.json
    tokkit bench -t cl100k_base
    tokkit compare --corpus udhr/ --tokenizer cl100k=cl100k_base --out report/
    tokkit lm train --out run
    tokkit demo

Messages go to stderr; results to stdout. Exit status: 0 on success, 1 when the work
fails (a missing file, a corrupt tokenizer), 2 on a usage error, 130 on Ctrl-C. A user's
mistake never prints a Python traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from .compare import cli as compare_cli
from .lm import cli as lm_cli

EXAMPLES = {
    "train": "examples:\n  tokkit train bpe corpus.txt --vocab-size 32000 --out tok.json\n"
             "  tokkit train bpe 'data/*.jsonl' --vocab-size 8000 --pattern o200k --special-token '<|end|>' --out tok.tiktoken",
    "encode": "examples:\n  tokkit encode --tokenizer cl100k_base \"Hello world\"\n"
              "  tokkit encode --tokenizer tok.json --file book.txt --out book.npy\n"
              "  echo 'some text' | tokkit encode --tokenizer tok.json --tokens",
    "decode": "examples:\n  tokkit decode --tokenizer cl100k_base 9906 1917\n  tokkit encode -t tok.json x | tokkit decode -t tok.json",
    "inspect": "examples:\n  tokkit inspect tok.json\n  tokkit inspect cl100k_base",
    "demo": "examples:\n  tokkit demo\n  tokkit demo --quick --out /tmp/tokkit-demo",
    "convert": "examples:\n  tokkit convert cl100k_base tokenizer.json      # for HF tokenizers\n"
               "  tokkit convert tok.json tok.tiktoken            # + tok.tiktoken.json (pattern, specials)",
    "bench": "examples:\n  tokkit bench -t cl100k_base\n  tokkit bench -t tok.json --file book.txt",
}


class UsageError(Exception):
    """A mistake in how the command was called (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokkit", description="Tokenizers with a Rust core: train, encode, "
                                     "decode, inspect and compare.", formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Run 'tokkit COMMAND --help' for the options of a command.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, epilog=EXAMPLES.get(name),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    train = command("train", "train a tokenizer from a corpus")
    kinds = train.add_subparsers(dest="kind", metavar="KIND", required=True)
    bpe = kinds.add_parser("bpe", help="byte-level BPE (GPT-2 / tiktoken style)", epilog=EXAMPLES["train"],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    bpe.add_argument("corpus", nargs="+", help="text, .gz or .jsonl files, or globs")
    bpe.add_argument("--vocab-size", type=int, required=True, help="tokens in all, special tokens included")
    bpe.add_argument("--out", required=True, help="where to save: *.json (tokkit), tokenizer.json (HF), *.tiktoken")
    bpe.add_argument("--pattern", default="cl100k", help="pre-tokenizer: gpt2, cl100k, o200k, llama3, or a regex")
    bpe.add_argument("--special-token", action="append", default=[], metavar="TOKEN", help="repeat for several")
    bpe.add_argument("--min-frequency", type=int, default=2, help="never merge rarer pairs (default 2)")
    bpe.add_argument("--max-token-length", type=int, help="longest token in bytes")
    bpe.add_argument("--threads", type=int, help="default: all cores")
    bpe.add_argument("--errors", choices=["strict", "replace"], default="strict", help="invalid UTF-8 handling")
    bpe.add_argument("--text-field", default="text", help="JSON Lines field holding the text")
    bpe.add_argument("--quiet", action="store_true", help="no progress bars")
    bpe.set_defaults(run=_train)
    _add_train_unigram(kinds)

    encode = command("encode", "encode text into token ids")
    encode.add_argument("text", nargs="*", help="texts to encode (default: read stdin)")
    encode.add_argument("-t", "--tokenizer", required=True, help="a tokenizer file or an encoding name")
    encode.add_argument("-f", "--file", action="append", default=[], help="encode a file (repeatable)")
    encode.add_argument("--tokens", action="store_true", help="print the tokens instead of ids")
    encode.add_argument("--out", help="write ids to a .npy (one array of all ids) or .bin (raw uint32) file")
    encode.add_argument("--allow-special", action="store_true", help="encode special-token text as special tokens")

    decode = command("decode", "decode token ids into text")
    decode.add_argument("ids", nargs="*", help="ids (default: read whitespace-separated ids from stdin)")
    decode.add_argument("-t", "--tokenizer", required=True, help="a tokenizer file or an encoding name")

    inspect = command("inspect", "describe a tokenizer file")
    inspect.add_argument("tokenizer", help="a tokenizer file or an encoding name")

    convert = command("convert", "convert a tokenizer between file formats (by the output's name)")
    convert.add_argument("source", help="a tokenizer file or an encoding name")
    convert.add_argument("target", help="*.json (tokkit), tokenizer.json (HF), *.tiktoken")

    bench = command("bench", "measure encoding speed on this machine")
    bench.add_argument("-t", "--tokenizer", required=True, help="a tokenizer file or an encoding name")
    bench.add_argument("-f", "--file", help="text to encode (default: the bundled sample, repeated to ~4 MB)")

    compare_cli.add_parser(commands)
    lm_cli.add_parser(commands)

    demo = command("demo", "the whole story on the bundled multilingual sample")
    demo.add_argument("--quick", action="store_true", help="smaller and faster")
    demo.add_argument("--out", default="tokkit-demo", help="report folder (default: ./tokkit-demo)")
    return parser


def _tokenizer(spec: str):
    import tokkit
    from tokkit.encodings import ALIASES, ENCODINGS

    if spec in ENCODINGS or spec in ALIASES:
        return tokkit.get_encoding(spec)
    if not Path(spec).exists():
        raise FileNotFoundError(f"no tokenizer file {spec!r} (nor an encoding of that name: "
                                f"{', '.join(sorted(ENCODINGS))})")
    return tokkit.load(spec)


def _add_train_unigram(kinds) -> None:
    unigram = kinds.add_parser("unigram", help="a Unigram language model, as SentencePiece trains it",
                               description="Train a Unigram tokenizer and save it (a .model file loads in "
                                           "sentencepiece too).",
                               epilog="examples:\n  tokkit train unigram corpus.txt --vocab-size 8000 --out unigram.model",
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    unigram.add_argument("corpus", nargs="+", help="text files or globs (plain, .gz, or .jsonl with --text-field)")
    unigram.add_argument("--vocab-size", type=int, required=True, help="pieces in all, meta and special ones included")
    unigram.add_argument("--out", required=True, help="where to save: .model (SentencePiece) or any other name")
    unigram.add_argument("--character-coverage", type=float, default=0.9995)
    unigram.add_argument("--max-piece-length", type=int, default=16)
    unigram.add_argument("--split-digits", action="store_true")
    unigram.add_argument("--byte-fallback", action="store_true")
    unigram.add_argument("--special-token", action="append", default=[], metavar="TOKEN",
                         help="a control piece after <unk> <s> </s> (repeat for more)")
    unigram.add_argument("--shrinking-factor", type=float, default=0.75)
    unigram.add_argument("--num-sub-iterations", type=int, default=2)
    unigram.add_argument("--threads", type=int, help="default: all cores")
    unigram.add_argument("--text-field", default="text", help="JSON Lines field holding the text")
    unigram.add_argument("--errors", choices=["strict", "replace"], default="strict", help="invalid UTF-8 handling")
    unigram.add_argument("--quiet", action="store_true", help="no progress bars")
    unigram.set_defaults(run=_train_unigram)


def _train_unigram(args) -> None:
    from tokkit.train import corpus_files
    from tokkit.train_unigram import train_unigram

    tok = train_unigram(
        corpus_files(args.corpus), vocab_size=args.vocab_size, character_coverage=args.character_coverage,
        max_piece_length=args.max_piece_length, split_digits=args.split_digits, byte_fallback=args.byte_fallback,
        special_tokens=args.special_token, shrinking_factor=args.shrinking_factor,
        num_sub_iterations=args.num_sub_iterations, show_progress=not args.quiet, threads=args.threads,
        errors=args.errors, text_field=args.text_field,
    )
    tok.save(args.out)
    print(f"trained {tok.vocab_size} pieces; saved to {args.out}", file=sys.stderr)


def _train(args) -> None:
    import tokkit
    from tokkit.train import corpus_files

    tok = tokkit.train_bpe(corpus_files(args.corpus), vocab_size=args.vocab_size, pattern=args.pattern,
                           special_tokens=args.special_token, min_frequency=args.min_frequency,
                           max_token_length=args.max_token_length, threads=args.threads, errors=args.errors,
                           text_field=args.text_field, show_progress=not args.quiet, name=Path(args.out).stem)
    tok.save(args.out)
    print(f"trained {tok.vocab_size} tokens; saved to {args.out}", file=sys.stderr)


def _encode(args) -> None:
    import numpy as np

    tok = _tokenizer(args.tokenizer)
    texts = list(args.text) + [Path(f).read_text(encoding="utf-8") for f in args.file]
    if not texts:
        texts = [sys.stdin.read()]
    special = {"allowed_special": "all"} if args.allow_special else {"disallowed_special": ()}
    if args.out:
        ids, _ = tok.encode_batch(texts, flat=True, **special)
        if args.out.endswith(".npy"):
            np.save(args.out, ids)
        elif args.out.endswith(".bin"):
            ids.astype("<u4").tofile(args.out)
        else:
            raise UsageError("--out must end in .npy or .bin")
        print(f"wrote {len(ids)} ids to {args.out}", file=sys.stderr)
        return
    for text in texts:
        if args.tokens:
            print(" ".join(repr(t) if isinstance(t, bytes) else t.replace(" ", "␣").replace("\n", "↵")
                           for t in tok.tokens(text, **special)))
        else:
            print(" ".join(map(str, tok.encode(text, **special))))


def _decode(args) -> None:
    tok = _tokenizer(args.tokenizer)
    words = args.ids or sys.stdin.read().split()
    try:
        ids = [int(w) for w in words]
    except ValueError:
        raise UsageError("ids must be whole numbers separated by spaces") from None
    sys.stdout.write(tok.decode(ids))
    sys.stdout.write("\n")


def _inspect(args) -> None:
    tok = _tokenizer(args.tokenizer)
    specials = tok.special_tokens
    shown = ", ".join(f"{t} ({i})" for t, i in sorted(specials.items(), key=lambda x: x[1])[:8])
    more = f" and {len(specials) - 8} more" if len(specials) > 8 else ""
    rows = [
        ("name", tok.name),
        ("type", f"byte-level BPE ({'merge list' if tok._core.model_kind == 'merges' else 'ranks'})"),
        ("vocab size", str(tok.vocab_size)),
        ("normalizer", "none"),
        ("pre-tokenizer", tok.pattern),
        ("special tokens", (shown + more) or "none"),
    ]
    for key, value in rows:
        print(f"{key:15} {value}")


def _convert(args) -> None:
    tok = _tokenizer(args.source)
    tok.save(args.target)
    print(f"wrote {args.target}", file=sys.stderr)


def _bench(args) -> None:
    import time

    tok = _tokenizer(args.tokenizer)
    if args.file:
        text = Path(args.file).read_text(encoding="utf-8")
    else:
        from tokkit.corpora import load_sample

        sample = "\n".join(load_sample().values())
        text = sample * max(1, 4_000_000 // len(sample.encode("utf-8")))
    megabytes = len(text.encode("utf-8")) / 1e6
    documents = [line for line in text.splitlines(keepends=True) if line]

    def best(work) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return min(times)

    single = best(lambda: tok.encode_ordinary(text))
    batch = best(lambda: tok.encode_batch(documents, disallowed_special=()))
    print(f"{tok.name}: {megabytes:.1f} MB, {tok.count(text, disallowed_special=()):,} tokens")
    print(f"  one call:                      {megabytes / single:8.1f} MB/s")
    print(f"  batch of {len(documents):,} lines (all cores): {megabytes / batch:8.1f} MB/s")


def _demo(args) -> None:
    from tokkit.demo import run

    run(out=Path(args.out), quick=args.quick)


HANDLERS = {"train": lambda args: args.run(args), "encode": _encode, "decode": _decode, "inspect": _inspect, "convert": _convert,
            "bench": _bench, "compare": compare_cli.run, "lm": lm_cli.run, "demo": _demo}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = HANDLERS[args.command](args)
    except UsageError as e:
        parser.print_usage(sys.stderr)
        print(f"tokkit: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tokkit: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, UnicodeError) as e:
        print(f"tokkit: error: {e}", file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
