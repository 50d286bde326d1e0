"""The ``tokkit`` command.

    tokkit train unigram corpus.txt "more/*.txt" --vocab-size 8000 --out unigram.model

Errors a user can cause (a missing file, a vocabulary too large for the corpus) end the
command with their message and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence


def _add_train_unigram(kinds) -> None:
    unigram = kinds.add_parser("unigram", help="a Unigram language model, as SentencePiece trains it",
                               description="Train a Unigram tokenizer and save it (a .model file loads in "
                                           "sentencepiece too).")
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
    unigram.add_argument("--threads", type=int, default=None)
    unigram.add_argument("--text-field", default="text", help="the field holding the text in .jsonl files")
    unigram.add_argument("--errors", choices=["strict", "replace"], default="strict",
                         help="what to do with bytes that are not UTF-8")
    unigram.add_argument("--quiet", action="store_true", help="no progress bars")
    unigram.set_defaults(run=_train_unigram)


def _train_unigram(args: argparse.Namespace) -> None:
    from .train_unigram import train_unigram

    # Paths, never documents: a name that matches no file is an error, not text.
    tok = train_unigram(
        [Path(p) for p in args.corpus], vocab_size=args.vocab_size, character_coverage=args.character_coverage,
        max_piece_length=args.max_piece_length, split_digits=args.split_digits, byte_fallback=args.byte_fallback,
        special_tokens=args.special_token, shrinking_factor=args.shrinking_factor,
        num_sub_iterations=args.num_sub_iterations, show_progress=False if args.quiet else "always",
        threads=args.threads, errors=args.errors, text_field=args.text_field,
    )
    tok.save(args.out)
    print(f"saved {tok!r} to {args.out}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tokkit", description="Tokenizers with a Rust core.")
    commands = top.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a tokenizer on a corpus")
    kinds = train.add_subparsers(dest="model", required=True)
    _add_train_unigram(kinds)
    return top


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, OSError, TypeError) as error:
        print(f"tokkit: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
