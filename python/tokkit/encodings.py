"""The encodings tokkit knows by name and by file hash, and ``get_encoding``.

``get_encoding("cl100k_base")`` works like tiktoken's: it downloads the official rank
file once, checks its SHA-256, and keeps it in a cache folder (``$TOKKIT_CACHE_DIR``, by
default ``~/.cache/tokkit``). ``tokkit.load`` recognises these files by their hash and
attaches the right pattern and special tokens itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .tokenizer import Tokenizer, from_ranks

_OPENAI = "https://openaipublic.blob.core.windows.net/encodings/"


@dataclass(frozen=True)
class KnownEncoding:
    name: str
    sha256: str
    pattern: str  # a builtin pattern name
    special_tokens: dict = field(default_factory=dict)
    url: Optional[str] = None


def _llama3_specials() -> dict[str, int]:
    names = [
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>",
        "<|reserved_special_token_2|>",
        "<|reserved_special_token_3|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|reserved_special_token_4|>",
        "<|eot_id|>",
    ] + [f"<|reserved_special_token_{i}|>" for i in range(5, 251)]
    return {name: 128_000 + i for i, name in enumerate(names)}


_ENDOFTEXT = "<|endoftext|>"

ENCODINGS: dict[str, KnownEncoding] = {
    e.name: e
    for e in [
        KnownEncoding(
            "r50k_base",
            "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
            "gpt2",
            {_ENDOFTEXT: 50256},
            _OPENAI + "r50k_base.tiktoken",
        ),
        KnownEncoding(
            "p50k_base",
            "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
            "gpt2",
            {_ENDOFTEXT: 50256},
            _OPENAI + "p50k_base.tiktoken",
        ),
        KnownEncoding(
            "cl100k_base",
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            "cl100k",
            {
                _ENDOFTEXT: 100257,
                "<|fim_prefix|>": 100258,
                "<|fim_middle|>": 100259,
                "<|fim_suffix|>": 100260,
                "<|endofprompt|>": 100276,
            },
            _OPENAI + "cl100k_base.tiktoken",
        ),
        KnownEncoding(
            "o200k_base",
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            "o200k",
            {_ENDOFTEXT: 199999, "<|endofprompt|>": 200018},
            _OPENAI + "o200k_base.tiktoken",
        ),
        # Meta's file is not publicly downloadable; it is recognised when loaded.
        KnownEncoding(
            "llama3",
            "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55",
            "llama3",
            _llama3_specials(),
        ),
    ]
}

ALIASES = {"gpt2": "r50k_base", "r50k": "r50k_base", "p50k": "p50k_base", "cl100k": "cl100k_base", "o200k": "o200k_base"}

BY_SHA256 = {e.sha256: e for e in ENCODINGS.values()}

_loaded: dict[str, Tokenizer] = {}
_lock = threading.Lock()


def cache_dir() -> Path:
    """Where downloaded rank files are kept: ``$TOKKIT_CACHE_DIR`` or ``~/.cache/tokkit``."""
    configured = os.environ.get("TOKKIT_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "tokkit"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def list_encoding_names() -> list[str]:
    return sorted(ENCODINGS)


def get_encoding(name: str) -> Tokenizer:
    """The named encoding, downloaded once and cached (like ``tiktoken.get_encoding``).

    >>> tok = tokkit.get_encoding("o200k_base")  # doctest: +SKIP
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    known = ENCODINGS.get(ALIASES.get(name, name))
    if known is None:
        raise ValueError(f"unknown encoding {name!r}; tokkit knows {', '.join(list_encoding_names())}")
    with _lock:
        if known.name not in _loaded:
            contents = _fetch(known)
            _loaded[known.name] = from_ranks(
                contents, f"{known.name}.tiktoken", pattern=known.pattern,
                special_tokens=known.special_tokens, name=known.name,
            )
        return _loaded[known.name]


def _fetch(known: KnownEncoding) -> bytes:
    path = cache_dir() / f"{known.name}.tiktoken"
    if path.exists():
        contents = path.read_bytes()
        if sha256_of(contents) == known.sha256:
            return contents
        if known.url is None:
            raise ValueError(f"{path} is not the {known.name} file (its SHA-256 differs); replace it")
    if known.url is None:
        raise ValueError(
            f"the {known.name} rank file cannot be downloaded automatically; obtain it from its "
            f"publisher and either put it at {path} or load it with tokkit.load(path)"
        )
    try:
        with urllib.request.urlopen(known.url, timeout=60) as response:
            contents = response.read()
    except OSError as e:
        raise OSError(
            f"could not download {known.name} from {known.url} ({e}); check the network, or put "
            f"the file at {path} yourself"
        ) from e
    if sha256_of(contents) != known.sha256:
        raise ValueError(f"the download of {known.name} from {known.url} is corrupt (SHA-256 mismatch); try again")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(contents)
    os.replace(tmp.name, path)
    return contents
