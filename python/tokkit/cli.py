"""The ``tokkit`` command (also ``python -m tokkit``).

    tokkit train bpe corpus.txt --vocab-size 32000 --out tok.json
    tokkit train bpe corpus.txt --vocab-size 32000 --char-level --byte-fallback --out tokenizer.json
    tokkit train char|word|wordpiece corpus.txt ... --out tokenizer.json
    tokkit train unigram corpus.txt --vocab-size 8000 --out unigram.model
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
             "  tokkit train bpe 'data/*.jsonl' --vocab-size 8000 --pattern o200k --special-token '<|end|>' --out tok.tiktoken\n"
             "  tokkit train bpe corpus.txt --vocab-size 8000 --char-level --byte-fallback --out tokenizer.json",
    "char": "examples:\n  tokkit train char corpus.txt --out chars.json\n"
            "  tokkit train char corpus.txt --graphemes --character-coverage 1 --out chars.json",
    "word": "examples:\n  tokkit train word corpus.txt --vocab-size 30000 --lowercase --out words.json",
    "wordpiece": "examples:\n  tokkit train wordpiece corpus.txt --vocab-size 30000 --out tokenizer.json",
    "unigram": "examples:\n  tokkit train unigram corpus.txt --vocab-size 8000 --out unigram.model",
    "convert": "examples:\n  tokkit convert cl100k_base tokenizer.json      # for HF tokenizers\n"
               "  tokkit convert tok.json tok.tiktoken            # + tok.tiktoken.json (pattern, specials)",
    "bench": "examples:\n  tokkit bench -t cl100k_base\n  tokkit bench -t tok.json --file book.txt",
    "encode": "examples:\n  tokkit encode --tokenizer cl100k_base \"Hello world\"\n"
              "  tokkit encode --tokenizer tok.json --file book.txt --out book.npy\n"
              "  echo 'some text' | tokkit encode --tokenizer tok.json --tokens",
    "decode": "examples:\n  tokkit decode --tokenizer cl100k_base 9906 1917\n  tokkit encode -t tok.json x | tokkit decode -t tok.json",
    "inspect": "examples:\n  tokkit inspect tok.json\n  tokkit inspect cl100k_base",
    "demo": "examples:\n  tokkit demo\n  tokkit demo --quick --out /tmp/tokkit-demo",
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

    def kind(name: str, help: str, out_help: str = "where to save (tokenizer.json or *.json)") -> argparse.ArgumentParser:
        sub = kinds.add_parser(name, help=help, description=help, epilog=EXAMPLES.get(name, EXAMPLES["train"]),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("corpus", nargs="+", help="text, .gz or .jsonl files, or globs")
        sub.add_argument("--out", required=True, help=out_help)
        sub.add_argument("--special-token", action="append", default=None, metavar="TOKEN", help="repeat for several")
        sub.add_argument("--threads", type=int, help="default: all cores")
        sub.add_argument("--errors", choices=["strict", "replace"], default="strict", help="invalid UTF-8 handling")
        sub.add_argument("--text-field", default="text", help="JSON Lines field holding the text")
        sub.add_argument("--quiet", action="store_true", help="no progress bars")
        return sub

    bpe = kind("bpe", "byte-level BPE (GPT-2 / tiktoken style), or with --char-level BPE over characters "
               "(SentencePiece style)", "where to save: *.json (tokkit), tokenizer.json (HF), *.tiktoken")
    bpe.add_argument("--vocab-size", type=int, required=True, help="tokens in all, special tokens included")
    bpe.add_argument("--pattern", help="pre-tokenizer: gpt2, cl100k (default), o200k, llama3, or a regex")
    bpe.add_argument("--min-frequency", type=int, default=2, help="never merge rarer pairs (default 2)")
    bpe.add_argument("--max-token-length", type=int, help="longest token in bytes")
    bpe.add_argument("--char-level", action="store_true", help="characters, not bytes, with ▁ for spaces")
    bpe.add_argument("--byte-fallback", action="store_true", help="with --char-level: <0xXX> tokens for unknown "
                     "characters (otherwise <unk>)")
    bpe.add_argument("--character-coverage", type=float, default=1.0, help="with --char-level: keep the most "
                     "frequent characters covering this share of the corpus (default 1)")

    char = kind("char", "one token per character (or grapheme cluster)")
    char.add_argument("--graphemes", action="store_true", help="extended grapheme clusters instead of code points")
    char.add_argument("--character-coverage", type=float, default=0.9995, help="keep the most frequent characters "
                      "covering this share of the corpus (default 0.9995)")
    char.add_argument("--no-byte-fallback", action="store_true", help="<unk> for the rest, not <0xXX> byte tokens")

    word = kind("word", "one token per frequent word, <unk> for the rest")
    word.add_argument("--vocab-size", type=int, required=True, help="tokens in all, <unk> and special tokens included")
    word.add_argument("--lowercase", action="store_true")
    word.add_argument("--nfkc", action="store_true", help="NFKC-normalize first")
    word.add_argument("--pattern", help="a regex whose matches are the words (default: cut at whitespace and "
                      "punctuation)")

    wordpiece = kind("wordpiece", "WordPiece (BERT's scheme)")
    wordpiece.add_argument("--vocab-size", type=int, required=True, help="tokens in all, special tokens included")
    wordpiece.add_argument("--min-frequency", type=int, default=2, help="never merge rarer pairs (default 2)")
    wordpiece.add_argument("--unk-token", default="[UNK]")
    wordpiece.add_argument("--cased", action="store_true", help="keep case and accents (BERT uncased by default)")

    unigram = kind("unigram", "a Unigram language model, as SentencePiece trains it",
                   "where to save: *.model (SentencePiece, which loads it too)")
    unigram.add_argument("--vocab-size", type=int, required=True, help="pieces in all, meta and special ones included")
    unigram.add_argument("--character-coverage", type=float, default=0.9995)
    unigram.add_argument("--max-piece-length", type=int, default=16)
    unigram.add_argument("--split-digits", action="store_true")
    unigram.add_argument("--byte-fallback", action="store_true")
    unigram.add_argument("--shrinking-factor", type=float, default=0.75)
    unigram.add_argument("--num-sub-iterations", type=int, default=2)

    encode = command("encode", "encode text into token ids")
    encode.add_argument("text", nargs="*", help="texts to encode (default: read stdin)")
    encode.add_argument("-t", "--tokenizer", required=True, help="a tokenizer file or an encoding name")
    encode.add_argument("-f", "--file", action="append", default=[], help="encode a file (repeatable)")
    encode.add_argument("--tokens", action="store_true", help="print the tokens instead of ids")
    encode.add_argument("--out", help="write ids to a .npy (one array of all ids) or .bin (raw uint32) file")
    specials = encode.add_mutually_exclusive_group()
    specials.add_argument("--allow-special", action="store_true", help="encode special-token text as special tokens")
    specials.add_argument("--disallow-special", action="store_true",
                          help="fail on special-token text, as the library does by default "
                               "(without either flag it is encoded as ordinary text)")

    decode = command("decode", "decode token ids into text")
    decode.add_argument("ids", nargs="*", help="ids (default: read whitespace-separated ids from stdin)")
    decode.add_argument("-t", "--tokenizer", required=True, help="a tokenizer file or an encoding name")

    inspect = command("inspect", "describe a tokenizer file")
    inspect.add_argument("tokenizer", help="a tokenizer file (tokkit JSON, tokenizer.json, .tiktoken, .model) or an "
                         "encoding name")

    convert = command("convert", "convert a tokenizer between file formats (by the output's name)")
    convert.add_argument("source", help="a tokenizer file or an encoding name")
    convert.add_argument("target", help="*.json (tokkit), tokenizer.json (HF), *.tiktoken, *.model")

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


def _train(args) -> None:
    import tokkit
    from tokkit.training.corpus import corpus_files
    from tokkit.training.wordpiece import BERT_SPECIAL_TOKENS

    common = dict(threads=args.threads, errors=args.errors, text_field=args.text_field, show_progress=not args.quiet,
                  name=Path(args.out).stem)
    specials = args.special_token or []
    corpus = corpus_files(args.corpus)
    if args.kind == "bpe":
        if not args.char_level and (args.byte_fallback or args.character_coverage != 1.0):
            raise UsageError("--byte-fallback and --character-coverage go with --char-level")
        if args.char_level and args.pattern:
            raise UsageError("--pattern is for byte-level BPE; --char-level cuts words at spaces")
        train, extra = (tokkit.train_char_bpe, dict(byte_fallback=args.byte_fallback,
                                                    character_coverage=args.character_coverage)) \
            if args.char_level else (tokkit.train_bpe, dict(pattern=args.pattern or "cl100k"))
        tok = train(corpus, vocab_size=args.vocab_size, special_tokens=specials, min_frequency=args.min_frequency,
                    max_token_length=args.max_token_length, **extra, **common)
    elif args.kind == "char":
        tok = tokkit.train_char(corpus, special_tokens=specials, byte_fallback=not args.no_byte_fallback,
                                character_coverage=args.character_coverage, graphemes=args.graphemes, **common)
    elif args.kind == "unigram":
        common.pop("name")
        tok = tokkit.train_unigram(corpus, vocab_size=args.vocab_size, character_coverage=args.character_coverage,
                            max_piece_length=args.max_piece_length, split_digits=args.split_digits,
                            byte_fallback=args.byte_fallback, special_tokens=specials,
                            shrinking_factor=args.shrinking_factor, num_sub_iterations=args.num_sub_iterations,
                            **common)
    elif args.kind == "word":
        tok = tokkit.train_word(corpus, vocab_size=args.vocab_size, special_tokens=specials, lowercase=args.lowercase,
                                nfkc=args.nfkc, pattern=args.pattern, **common)
    else:
        tok = tokkit.train_wordpiece(corpus, vocab_size=args.vocab_size, min_frequency=args.min_frequency,
                                     special_tokens=args.special_token or BERT_SPECIAL_TOKENS, unk_token=args.unk_token,
                                     lowercase=not args.cased, **common)
    tok.save(args.out)
    print(f"trained {tok.vocab_size} tokens; saved to {args.out}", file=sys.stderr)


def _read_text(path: str) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path}: invalid UTF-8 at byte {e.start}; fix the file, or convert it to UTF-8 first "
            f"(for instance with iconv)"
        ) from None


def _encode(args) -> None:
    import numpy as np

    tok = _tokenizer(args.tokenizer)
    if args.out and not args.out.endswith((".npy", ".bin")):
        raise UsageError("--out must end in .npy or .bin")
    texts = list(args.text) + [_read_text(f) for f in args.file]
    if not texts:
        texts = [sys.stdin.read()]
    if args.allow_special:
        special = {"allowed_special": "all"}
    elif args.disallow_special:
        special = {"allowed_special": (), "disallowed_special": "all"}
    else:
        special = {"allowed_special": (), "disallowed_special": ()}
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
    (_, kind), *stages = tok._core.describe()
    rows = [("name", tok.name), ("type", kind), ("vocab size", str(tok.vocab_size))]
    rows += [(stage, text if len(text) <= 200 else text[:199] + "…") for stage, text in stages]
    rows.append(("special tokens", (shown + more) or "none"))
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
        text = _read_text(args.file)
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


HANDLERS = {"train": _train, "encode": _encode, "decode": _decode, "inspect": _inspect, "convert": _convert,
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
