"""Reading tokenizer files (``Tokenizer.save`` writes them).

``load`` looks at a file's contents (not just its name) to tell what it is:
- a ``.tiktoken`` rank file (``base64 rank`` lines); official files are recognised by
  their SHA-256, others need ``from_tiktoken(path, pattern=...)`` or a ``<path>.json``
  sidecar written by ``Tokenizer.save``;
- tokkit's own JSON format (``{"format": "tokkit", ...}``);
- a HuggingFace ``tokenizer.json``, whatever its model: BPE, WordPiece, WordLevel or
  Unigram. The engine builds the whole pipeline (normalizer, pre-tokenizer, model,
  post-processor, decoder, added tokens) and gives HF's ids, tokens and offsets; a
  component tokkit cannot run exactly is an error naming it;
- a SentencePiece ``.model`` protocol buffer (Unigram or BPE), with its normalizer (the
  character map inside the file, whitespace rules, ``▁`` for spaces) and its Viterbi,
  unknown and byte-fallback handling; control pieces (``<s>``) are special tokens.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Mapping, Optional, Union

from . import _core
from .encodings import BY_SHA256, sha256_of
from .tokenizer import Tokenizer, from_ranks

PathLike = Union[str, os.PathLike]

_TIKTOKEN_LINE = re.compile(rb"^[A-Za-z0-9+/=]+ \d+\r?$")


def _read(path: PathLike) -> bytes:
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give the path of a tokenizer file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such tokenizer file: {path}") from None


def from_tiktoken(
    path: PathLike,
    *,
    pattern: str,
    special_tokens: Optional[Mapping[str, int]] = None,
    name: Optional[str] = None,
) -> Tokenizer:
    """A byte-level BPE from a ``.tiktoken`` rank file.

    ``pattern`` is the pre-tokenizer: a name (``"gpt2"``/``"r50k"``, ``"p50k"``,
    ``"cl100k"``, ``"o200k"``, ``"llama3"``) or any regular expression.

    >>> tok = tokkit.from_tiktoken("cl100k_base.tiktoken", pattern="cl100k",
    ...                            special_tokens={"<|endoftext|>": 100257})  # doctest: +SKIP
    """
    return from_ranks(_read(path), str(path), pattern=pattern, special_tokens=special_tokens, name=name)


def load(path: PathLike) -> Tokenizer:
    """Loads a tokenizer file, whatever tokkit can tell it is (see this module's doc)."""
    path = Path(path)
    contents = _read(path)
    kind = sniff(contents)
    if kind == "tiktoken":
        return _load_tiktoken(path, contents)
    if kind not in ("tokkit", "tokenizer.json", "sentencepiece"):
        raise ValueError(f"{path}: {kind}")
    core, name = _core.Tokenizer.from_saved(contents, str(path))
    return Tokenizer(core, name=name or _default_name(path, kind))


def _default_name(path: Path, kind: str) -> str:
    """``models/bert/tokenizer.json`` is named after its folder, ``bert``; other files
    after their stem."""
    if kind == "tokenizer.json" and path.name == "tokenizer.json" and path.parent.name:
        return path.parent.name
    return path.stem


def sniff(contents: bytes) -> str:
    """What a file is: "tiktoken", "tokkit", "tokenizer.json", "sentencepiece", or a
    sentence saying why it is none of them."""
    if _looks_like_model_proto(contents):
        return "sentencepiece"
    head = contents[:4096].lstrip()
    if head.startswith(b"{"):
        try:
            data = json.loads(contents)
        except ValueError as e:
            return f"looks like JSON but does not parse ({e})"
        if isinstance(data, dict) and data.get("format") == "tokkit":
            return "tokkit"
        if isinstance(data, dict) and "model" in data and "pre_tokenizer" in data:
            return "tokenizer.json"
        return "a JSON file that is not a tokenizer tokkit knows"
    first_line = head.split(b"\n", 1)[0]
    if _TIKTOKEN_LINE.match(first_line):
        return "tiktoken"
    return ("not a tokenizer file tokkit knows (expected a .tiktoken rank file, a tokenizer.json, a SentencePiece "
            ".model or tokkit JSON)")


def _looks_like_model_proto(contents: bytes) -> bool:
    """A SentencePiece ModelProto starts with its first piece: field 1, length-delimited
    (0x0A), whose own first field is the piece text (0x0A again) after a length varint."""
    if len(contents) < 4 or contents[0] != 0x0A:
        return False
    i = 1
    while i < min(len(contents), 6) and contents[i] & 0x80:
        i += 1
    return i + 1 < len(contents) and contents[i + 1] == 0x0A


def _load_tiktoken(path: Path, contents: bytes) -> Tokenizer:
    # A sidecar written by Tokenizer.save wins: the ranks may be official ones used with
    # another pattern or other special tokens.
    sidecar = path.with_name(path.name + ".json")
    if sidecar.exists():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            pattern = meta["pattern"]
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(
                f"{sidecar}: not a tokkit sidecar ({type(e).__name__}: {e}); it must be a JSON object "
                f"with \"pattern\" (and optionally \"special_tokens\", \"name\"), as Tokenizer.save "
                f"writes it. Fix or remove it, or load {path.name} with tokkit.from_tiktoken(..., pattern=...)"
            ) from None
        return from_ranks(contents, str(path), pattern=pattern, special_tokens=meta.get("special_tokens", {}),
                          name=meta.get("name"))
    known = BY_SHA256.get(sha256_of(contents))
    if known is not None:
        return from_ranks(contents, str(path), pattern=known.pattern, special_tokens=known.special_tokens,
                          name=known.name)
    # A file that is not even a valid rank file gets the error that names its bad line.
    from_ranks(contents, str(path), pattern="gpt2", special_tokens={})
    raise ValueError(
        f"{path} is a .tiktoken rank file tokkit does not recognise, so its pre-tokenizer pattern "
        f"is unknown; load it with tokkit.from_tiktoken({str(path)!r}, pattern=...) naming the "
        f"pattern (e.g. \"cl100k\") or giving the regex"
    )
