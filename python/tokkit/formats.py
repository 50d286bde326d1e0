"""Reading and writing tokenizer files.

``load`` looks at a file's contents (not just its name) to tell what it is:
- a ``.tiktoken`` rank file (``base64 rank`` lines); official files are recognised by
  their SHA-256, others need ``from_tiktoken(path, pattern=...)`` or a ``<path>.json``
  sidecar written by ``Tokenizer.save``;
- tokkit's own JSON format (``{"format": "tokkit", ...}``);
- a HuggingFace ``tokenizer.json`` (see ``hf.py``), whatever its model: BPE, WordPiece,
  WordLevel or Unigram;
- a SentencePiece ``.model`` protocol buffer (Unigram or BPE).
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Mapping, Optional, Union

from . import _core
from .encodings import BY_SHA256, sha256_of
from .tokenizer import Tokenizer

PathLike = Union[str, os.PathLike]

FORMAT_VERSION = 1
_TIKTOKEN_LINE = re.compile(rb"^[A-Za-z0-9+/=]+ \d+\r?$")


def _read(path: PathLike) -> bytes:
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give the path of a tokenizer file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such tokenizer file: {path}") from None


def tokenizer_from_ranks(
    contents: bytes,
    source_name: str,
    *,
    pattern: str,
    special_tokens: Optional[Mapping[str, int]] = None,
    name: Optional[str] = None,
) -> Tokenizer:
    specials = _check_specials(special_tokens)
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str (a pattern name or a regex), not {type(pattern).__name__}")
    core = _core.ByteLevelBpe.from_tiktoken(contents, source_name, pattern, specials)
    return Tokenizer(core, name=name or Path(source_name).stem)


def _check_specials(special_tokens: Optional[Mapping[str, int]]) -> list[tuple[str, int]]:
    if special_tokens is None:
        return []
    if not isinstance(special_tokens, Mapping):
        raise TypeError("special_tokens must be a dict {token text: id}")
    out = []
    for text, id in special_tokens.items():
        if not isinstance(text, str) or not isinstance(id, int) or isinstance(id, bool):
            raise TypeError(f"special_tokens must map str to int, found {text!r}: {id!r}")
        if not 0 <= id < 2**32 - 1:
            raise ValueError(f"the special token {text!r} has id {id}, outside 0..4294967294")
        out.append((text, id))
    return out


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
    return tokenizer_from_ranks(_read(path), str(path), pattern=pattern, special_tokens=special_tokens, name=name)


def load(path: PathLike) -> Tokenizer:
    """Loads a tokenizer file, whatever tokkit can tell it is (see this module's doc)."""
    return _load_contents(_read(path), Path(path))


def _load_contents(contents: bytes, path: Path) -> Tokenizer:
    kind = sniff(contents)
    if kind == "tiktoken":
        return _load_tiktoken(path, contents)
    if kind == "tokkit":
        return _load_native(path, contents)
    if kind == "sentencepiece":
        from .sentencepiece import from_model_bytes

        return from_model_bytes(contents, source_name=str(path))
    if kind == "tokenizer.json":
        from .hf import load_tokenizer_json

        return load_tokenizer_json(contents, name=_hf_name(path))
    raise ValueError(f"{path}: {kind}")


def _hf_name(path: Path) -> str:
    """``models/bert/tokenizer.json`` is named after its folder, ``bert``."""
    return path.parent.name if path.name == "tokenizer.json" and path.parent.name else path.stem


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
        return tokenizer_from_ranks(
            contents, str(path), pattern=pattern, special_tokens=meta.get("special_tokens", {}),
            name=meta.get("name"),
        )
    known = BY_SHA256.get(sha256_of(contents))
    if known is not None:
        return tokenizer_from_ranks(
            contents, str(path), pattern=known.pattern, special_tokens=known.special_tokens, name=known.name
        )
    # A file that is not even a valid rank file gets the error that names its bad line.
    tokenizer_from_ranks(contents, str(path), pattern="gpt2", special_tokens={})
    raise ValueError(
        f"{path} is a .tiktoken rank file tokkit does not recognise, so its pre-tokenizer pattern "
        f"is unknown; load it with tokkit.from_tiktoken({str(path)!r}, pattern=...) naming the "
        f"pattern (e.g. \"cl100k\") or giving the regex"
    )


def _load_native(path: Path, contents: bytes) -> Tokenizer:
    data = json.loads(contents)
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: tokkit format version {version!r}; this tokkit reads version {FORMAT_VERSION}")
    if data.get("type") != "byte_level_bpe":
        raise ValueError(f"{path}: unknown tokenizer type {data.get('type')!r}")
    specials = _check_specials(data.get("special_tokens", {}))
    if "merges" in data:
        tokens = [base64.b64decode(t) for t in data["tokens"]]
        merges = [tuple(m) for m in data["merges"]]
        core = _core.ByteLevelBpe.from_merges(tokens, merges, data["pattern"], specials)
        return Tokenizer(core, name=data.get("name") or path.stem)
    ranks = base64.b64decode(data["ranks"])
    return tokenizer_from_ranks(
        ranks, str(path), pattern=data["pattern"], special_tokens=dict(specials), name=data.get("name")
    )


def save(tokenizer: Tokenizer, path: PathLike) -> None:
    path = Path(path)
    core = tokenizer._core
    if isinstance(core, _core.SentencePiece):
        if path.suffix != ".model":
            raise ValueError(f"{tokenizer.name!r} is a SentencePiece model; save it as a .model file "
                             f"(e.g. {path.stem + '.model'!r})")
        from .sentencepiece import model_bytes

        path.write_bytes(model_bytes(tokenizer))
        return
    if path.suffix == ".model":
        raise ValueError(f"only SentencePiece models save as .model; this is a {tokenizer.model_type} tokenizer: "
                         f"save it as tokenizer.json")
    if isinstance(core, _core.Pipeline):
        if path.suffix == ".tiktoken":
            raise ValueError(f"only byte-level BPE saves as .tiktoken; this is a {core.model_kind} tokenizer: "
                             f"save it as tokenizer.json")
        from .hf import save_tokenizer_json

        save_tokenizer_json(tokenizer, path)
        return
    meta = {"name": tokenizer.name, "pattern": tokenizer.pattern, "special_tokens": tokenizer.special_tokens}
    if path.suffix == ".tiktoken":
        path.write_bytes(core.to_tiktoken())
        path.with_name(path.name + ".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return
    if path.name.endswith("tokenizer.json") or path.suffix == ".hf.json":
        from .hf import save_tokenizer_json

        save_tokenizer_json(tokenizer, path)
        return
    path.write_bytes(_native_bytes(tokenizer))


def _native_bytes(tokenizer: Tokenizer) -> bytes:
    """A byte-level BPE in tokkit's own format."""
    core = tokenizer._core
    document = {"format": "tokkit", "version": FORMAT_VERSION, "type": "byte_level_bpe", "name": tokenizer.name,
                "pattern": tokenizer.pattern, "special_tokens": tokenizer.special_tokens}
    if core.model_kind == "merges":
        document["tokens"] = [base64.b64encode(t).decode("ascii") for t in core.vocab_tokens()]
        document["merges"] = core.merges()
    else:
        document["ranks"] = base64.b64encode(core.to_tiktoken()).decode("ascii")
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def dumps(tokenizer: Tokenizer) -> bytes:
    """The whole tokenizer as bytes that ``loads`` turns back into it (for pickling):
    tokkit's format for byte-level BPE, tokenizer.json for pipelines, .model bytes for
    SentencePiece models."""
    core = tokenizer._core
    if isinstance(core, _core.SentencePiece):
        from .sentencepiece import model_bytes

        return model_bytes(tokenizer)
    if isinstance(core, _core.Pipeline):
        return core.to_json().encode("utf-8")
    return _native_bytes(tokenizer)


def loads(data: bytes, name: str = "tokenizer") -> Tokenizer:
    """The tokenizer that ``dumps`` gave these bytes for."""
    tokenizer = _load_contents(data, Path(name))
    tokenizer.name = name
    return tokenizer
