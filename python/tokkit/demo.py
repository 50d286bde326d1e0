"""``tokkit demo``: what tokkit is for, on the bundled multilingual sample.

It trains a small byte-level BPE on the sample (26 languages, 18 scripts), shows how
one sentence splits into tokens in several scripts, and counts tokens per language for
that BPE and for the OpenAI encodings when their files are at hand (``$TOKKIT_DATA`` or
``tokkit.get_encoding``'s cache), so the premium a language pays is visible.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Union

import tokkit
from tokkit.corpora import load_sample, sample_index

SHOWN_LANGUAGES = ["eng", "rus", "hin", "cmn", "arb", "amh"]
SENTENCE = 2  # the line about the bridge built in 1898


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def readable_groups(tokens: list[Union[str, bytes]]) -> list[str]:
    """Tokens as text; tokens that hold parts of one character are shown together, as
    that text with the number of tokens in subscript: [b"\xd0", b"\xbc"] -> "м₂"."""
    groups, pending, count = [], b"", 0
    for token in tokens:
        if isinstance(token, str) and not pending:
            groups.append(token)
            continue
        pending += token.encode("utf-8") if isinstance(token, str) else token
        count += 1
        try:
            groups.append(pending.decode("utf-8") + str(count).translate(SUBSCRIPTS))
            pending, count = b"", 0
        except UnicodeDecodeError:
            continue
    if pending:
        groups.append(pending.decode("utf-8", errors="replace") + str(count).translate(SUBSCRIPTS))
    return groups


def show_tokens(tokens: list[Union[str, bytes]], color: bool) -> str:
    """One line with the token boundaries visible: alternating colours on a terminal,
    brackets elsewhere. Spaces show as ␣; a character split over n tokens shows once,
    with n in subscript."""
    shown = []
    for i, group in enumerate(readable_groups(tokens)):
        text = group.replace(" ", "␣").replace("\n", "↵")
        if color:
            shown.append(f"\x1b[{(44, 42, 45, 46)[i % 4]}m\x1b[30m{text}\x1b[0m")
        else:
            shown.append(f"[{text}]")
    return "".join(shown)


def reference_encodings() -> dict[str, "tokkit.Tokenizer"]:
    """cl100k / o200k / r50k from $TOKKIT_DATA or the download cache, if present."""
    found = {}
    data = Path(os.environ.get("TOKKIT_DATA", "../shared/data")) / "vocab" / "tiktoken"
    for name in ["r50k_base", "cl100k_base", "o200k_base"]:
        path = data / f"{name}.tiktoken"
        try:
            found[name] = tokkit.load(path) if path.exists() else _cached(name)
        except (OSError, ValueError):
            continue
    return {k: v for k, v in found.items() if v is not None}


def _cached(name: str) -> Optional["tokkit.Tokenizer"]:
    from tokkit.encodings import cache_dir

    path = cache_dir() / f"{name}.tiktoken"
    return tokkit.load(path) if path.exists() else None


def run(out: Path, quick: bool = False, stream=None) -> None:
    stream = stream or sys.stdout
    color = stream.isatty()
    texts = load_sample()
    names = {row["iso639_3"]: row["name"] for row in sample_index()}
    vocab_size = 800 if quick else 2000
    print(f"Training a byte-level BPE of {vocab_size} tokens on the bundled sample "
          f"({len(texts)} languages, {sum(len(t.encode()) for t in texts.values()):,} bytes)...", file=stream)
    bpe = tokkit.train_bpe(list(texts.values()), vocab_size=vocab_size, pattern="o200k", show_progress=False,
                           name=f"sample-bpe-{vocab_size}")
    tokenizers = {bpe.name: bpe, **reference_encodings()}

    print(f"\nOne sentence, token by token ({bpe.name}):\n", file=stream)
    for code in SHOWN_LANGUAGES:
        line = texts[code].splitlines()[SENTENCE]
        tokens = bpe.tokens(line)
        print(f"{names[code]} ({len(tokens)} tokens)\n  {show_tokens(tokens, color)}", file=stream)

    print("\nTokens for the whole sample, per language (premium = tokens ÷ English tokens):\n", file=stream)
    header = f"{'language':22}" + "".join(f"{name:>22}" for name in tokenizers)
    print(header, file=stream)
    english = {name: tok.count(texts["eng"]) for name, tok in tokenizers.items()}
    for code in sorted(texts, key=lambda c: bpe.count(texts[c]) / english[bpe.name]):
        cells = []
        for name, tok in tokenizers.items():
            count = tok.count(texts[code], disallowed_special=())
            cells.append(f"{count:>12,} ({count / english[name]:4.2f}x)")
        print(f"{names[code][:21]:22}" + "".join(cells), file=stream)
    if len(tokenizers) == 1:
        print("\n(OpenAI's encodings were not found; set TOKKIT_DATA to compare with them.)", file=stream)
