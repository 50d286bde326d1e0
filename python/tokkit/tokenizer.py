"""The Tokenizer: one face over every model tokkit has.

Text goes in as ``str`` and comes out as token ids (``list[int]``, or NumPy ``uint32``
arrays for batches); ids go back to text with ``decode``. Heavy work runs in the Rust
engine with the GIL released, so one Tokenizer can be shared by many threads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import AbstractSet, Collection, Iterable, Literal, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core

SpecialChoice = Union[Literal["all"], AbstractSet[str], Collection[str], None]
TokenIds = Union[Sequence[int], np.ndarray]


def _check_text(text: object, what: str = "text") -> str:
    if isinstance(text, str):
        return text
    hint = " (decode bytes first, or use encode_bytes)" if isinstance(text, (bytes, bytearray)) else ""
    raise TypeError(f"{what} must be a str, not {type(text).__name__}{hint}")


def _without_surrogates(text: str) -> str:
    """Replaces lone surrogates (which UTF-8 cannot hold) with U+FFFD, and joins surrogate
    pairs into the characters they stand for, exactly as tiktoken does."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _check_id(id) -> int:
    """``id`` as an int, or a TypeError: a str or a float is not quietly converted."""
    if isinstance(id, bool) or not isinstance(id, (int, np.integer)):
        raise TypeError(f"a token id must be an int, not {type(id).__name__} ({id!r})")
    return int(id)


class TokenNotFound(KeyError, ValueError):
    """A token or id that is not in the vocabulary, from the methods with tiktoken's names:
    a ``KeyError`` as tiktoken raises, and a ``ValueError`` as the rest of tokkit does."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Tokenizer:
    """A tokenizer: text in, token ids out, and back.

    >>> import tokkit
    >>> tok = tokkit.get_encoding("cl100k_base")
    >>> tok.encode("hello world")
    [15339, 1917]
    >>> tok.decode([15339, 1917])
    'hello world'

    Special tokens follow tiktoken's rules: text that spells a special token raises a
    ``ValueError`` unless you say how to treat it, with ``allowed_special`` (encode it as
    the special token) or ``disallowed_special`` (encode it as ordinary text).

    Tokenizers loaded from a HuggingFace ``tokenizer.json`` (and those tokkit trains other
    than byte-level BPE) follow HF's rules instead, so that they give HF's ids: every
    added token in the text is matched (``allowed_special="all"``, ``disallowed_special=()``
    by default), and ``add_special_tokens=True`` lets the post-processor add its own
    (BERT's ``[CLS] ... [SEP]``). Pass ``allowed_special=()`` to read special-token text as
    text (HF's ``split_special_tokens``), or ``disallowed_special="all"`` for tiktoken's
    error. ``add_special_tokens`` does nothing for tokenizers without a post-processor.
    """

    def __init__(self, core: _core.Tokenizer, *, name: str = "tokenizer"):
        self._core = core
        self.name = name

    def __reduce__(self):
        # Pickling (multiprocessing, data loaders) carries the whole tokenizer.
        return (_from_saved, (self._core.to_bytes(self.name), self.name))

    def __repr__(self) -> str:
        return f"<tokkit.Tokenizer {self.name!r}: {self.model_type}, {self.vocab_size} ids>"

    @property
    def model_type(self) -> str:
        """What kind of model this is: "byte-level BPE" (tiktoken style), "SentencePiece
        Unigram", "SentencePiece BPE", or a pipeline's model ("BPE", "WordPiece",
        "WordLevel", "Unigram", with "(byte-level)" for byte-level BPE pipelines)."""
        return self._core.model_type

    def _call(self, method: str, text, allowed_special, disallowed_special, **options):
        """Calls a core method taking (text, allowed, disallowed, **options), retrying with
        surrogates replaced as tiktoken does. None leaves the choice to the tokenizer's
        defaults (see the class documentation)."""
        function = getattr(self._core, method)
        try:
            return function(text, allowed_special, disallowed_special, **options)
        except UnicodeEncodeError:
            fixed = [_without_surrogates(t) for t in text] if isinstance(text, list) else _without_surrogates(text)
            return function(fixed, allowed_special, disallowed_special, **options)

    def _on_text(self, method: str, text):
        """Calls a core method taking one text, checked, retrying with surrogates replaced
        as tiktoken does."""
        text = _check_text(text)
        try:
            return getattr(self._core, method)(text)
        except UnicodeEncodeError:
            return getattr(self._core, method)(_without_surrogates(text))

    # ---- what it is -------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """One more than the largest token id: the number of rows an embedding table needs
        (tiktoken's ``n_vocab``)."""
        return self._core.id_bound

    @property
    def special_tokens(self) -> dict[str, int]:
        """The special tokens and their ids."""
        return dict(self._core.special_tokens)

    @property
    def unk_token(self) -> Optional[str]:
        """The token that stands for what the vocabulary cannot represent (``<unk>``,
        ``[UNK]``), or None: byte-level BPE represents everything."""
        return self._core.unk_token

    @property
    def pattern(self) -> Optional[str]:
        """The pre-tokenizer's regular expression (None for SentencePiece models and
        pipelines without one)."""
        return self._core.pattern

    # ---- encoding ---------------------------------------------------------------------

    def encode(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = None,
        disallowed_special: SpecialChoice = None,
        add_special_tokens: bool = True,
    ) -> list[int]:
        """Encodes ``text`` into token ids. ``None`` means this tokenizer's default for
        special tokens (see the class documentation).

        >>> tok.encode("<|endoftext|>", allowed_special={"<|endoftext|>"})  # doctest: +SKIP
        [100257]
        """
        return self._call("encode", _check_text(text), allowed_special, disallowed_special,
                          add_special_tokens=add_special_tokens)

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes ``text`` treating special-token text as ordinary text."""
        return self._on_text("encode_ordinary", text)

    def encode_bytes(self, data: bytes) -> list[int]:
        """Encodes raw bytes, valid UTF-8 or not; ``decode_bytes`` gives them back exactly."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        return self._core.encode_bytes(bytes(data))

    def encode_batch(
        self,
        texts: Iterable[str],
        *,
        allowed_special: SpecialChoice = None,
        disallowed_special: SpecialChoice = None,
        flat: bool = False,
        add_special_tokens: bool = True,
    ):
        """Encodes many texts in parallel, on all cores.

        Returns a list of NumPy ``uint32`` arrays, one per text; with ``flat=True``, a pair
        ``(ids, offsets)``: one array of all ids and a ``uint64`` array of row offsets, text
        ``i`` being ``ids[offsets[i]:offsets[i + 1]]``.
        """
        if isinstance(texts, (str, bytes)):
            raise TypeError(f"encode_batch takes an iterable of str, not one {type(texts).__name__}; "
                            f"for one text use encode")
        texts = texts if type(texts) is list else list(texts)
        if not all(type(text) is str for text in texts):
            for i, text in enumerate(texts):
                _check_text(text, f"texts[{i}]")
        return self._call("encode_batch", texts, allowed_special, disallowed_special, flat=flat,
                          add_special_tokens=add_special_tokens)

    def count(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = None,
        disallowed_special: SpecialChoice = None,
        add_special_tokens: bool = True,
    ) -> int:
        """The number of tokens ``encode`` would give (no list of ids is made)."""
        return self._call("count", _check_text(text), allowed_special, disallowed_special,
                          add_special_tokens=add_special_tokens)

    def encode_with_offsets(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = None,
        disallowed_special: SpecialChoice = None,
        add_special_tokens: bool = True,
    ) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids and, for each, its ``(start, end)`` character offsets into ``text``.

        A token holding only part of a character's UTF-8 bytes is given that whole
        character, so neighbouring tokens can share it. Tokenizers loaded from
        tokenizer.json report HF's offsets (special tokens a post-processor adds get
        ``(0, 0)``). Replacing surrogates keeps the number of characters of the text, so
        the offsets still point into the str the caller gave, except where a surrogate
        pair became one character.
        """
        return self._call("encode_with_offsets", _check_text(text), allowed_special, disallowed_special,
                          add_special_tokens=add_special_tokens)

    def tokens(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = None,
        disallowed_special: SpecialChoice = None,
        add_special_tokens: bool = True,
    ) -> list[Union[str, bytes]]:
        """The tokens of ``text``: each a ``str``, or ``bytes`` where a token holds only
        part of a character's UTF-8 encoding. Tokenizers loaded from tokenizer.json give
        HF's token strings (``"Ġworld"``, ``"##ing"``, ``"<0xE2>"``)."""
        pieces = self._call("token_pieces", _check_text(text), allowed_special, disallowed_special,
                            add_special_tokens=add_special_tokens)
        return [_readable(p) for p in pieces]

    def pre_tokenize(self, text: str) -> list[str]:
        """The pieces the pre-tokenizer cuts ``text`` into before BPE merges each one."""
        return self._on_text("pre_tokens", text)

    def cache_info(self) -> Optional[dict[str, int]]:
        """What this thread's piece cache for this tokenizer has done: ``lookups`` and
        ``hits`` since the thread first used it, and the ``pieces`` and ``ids`` it holds.

        Each thread keeps the ids of the pieces it had to merge, for its last four
        tokenizers, across calls, so a word merged once costs one lookup afterwards; the
        cache never changes an id and is emptied when it holds 2^20 ids. In BPE, pieces
        that are tokens are found in the vocabulary first and never reach the cache;
        WordPiece and WordLevel look words up directly and use none. None for SentencePiece
        models, which keep word lattices instead.
        """
        found = self._core.cache_info()
        if found is None:
            return None
        return dict(zip(("lookups", "hits", "pieces", "ids"), found))

    def pre_token_count(self, text: str) -> int:
        """``len(pre_tokenize(text))`` without making the pieces (for byte-level BPE, the
        time of the split stage alone)."""
        return self._on_text("pre_token_count", text)

    # ---- decoding ---------------------------------------------------------------------

    def decode_bytes(self, ids: TokenIds, *, skip_special_tokens: bool = False) -> bytes:
        """The bytes the ids stand for (for tokenizer.json pipelines, what the decoder
        makes of them)."""
        return self._core.decode_bytes(ids, skip_special_tokens)

    def decode(self, ids: TokenIds, *, errors: str = "replace", skip_special_tokens: bool = False) -> str:
        """The text the ids stand for. Ids that end inside a character decode to U+FFFD
        with ``errors="replace"`` (the default, as in tiktoken); pass ``errors="strict"`` to
        get a ``UnicodeDecodeError`` instead. ``skip_special_tokens`` leaves special
        tokens out (HF's default is to leave them out; tokkit's is to keep them)."""
        return self.decode_bytes(ids, skip_special_tokens=skip_special_tokens).decode("utf-8", errors=errors)

    # ---- the vocabulary ---------------------------------------------------------------

    def id_to_token(self, id: int) -> Union[str, bytes]:
        """The token with this id: a ``str``, or ``bytes`` if it is not valid UTF-8."""
        id = _check_id(id)
        found = self._core.token_bytes(id) if 0 <= id < 2**32 else None
        if found is None:
            raise ValueError(
                f"token id {id} is not in the vocabulary (ids run from 0 to {self.vocab_size - 1})"
            )
        return _readable(found)

    def token_to_id(self, token: Union[str, bytes]) -> Union[int, None]:
        """The id of ``token`` (a str or its bytes), or None if it is not in the vocabulary."""
        if isinstance(token, str):
            token = token.encode("utf-8", "surrogatepass")
        elif not isinstance(token, (bytes, bytearray)):
            raise TypeError(f"token must be a str or bytes, not {type(token).__name__}")
        return self._core.token_id(bytes(token))

    # ---- tiktoken's names ---------------------------------------------------------------

    @property
    def n_vocab(self) -> int:
        """tiktoken's name for ``vocab_size``."""
        return self.vocab_size

    @property
    def max_token_value(self) -> int:
        """The largest token id (tiktoken's ``max_token_value``)."""
        return self.vocab_size - 1

    @property
    def special_tokens_set(self) -> set[str]:
        """The special tokens' texts (tiktoken's ``special_tokens_set``)."""
        return set(self.special_tokens)

    @property
    def eot_token(self) -> int:
        """The id of ``<|endoftext|>`` (tiktoken's ``eot_token``)."""
        eot = self.special_tokens.get("<|endoftext|>")
        if eot is None:
            raise TokenNotFound(f"{self.name!r} has no <|endoftext|> special token; its special tokens are "
                                f"{sorted(self.special_tokens) or 'none'}")
        return eot

    def encode_single_token(self, token: Union[str, bytes]) -> int:
        """The id of the one token spelled by ``token`` (a str or bytes, special tokens
        included); ``TokenNotFound`` (a ``KeyError`` and a ``ValueError``) if it is not one
        token."""
        if isinstance(token, str) and token in self.special_tokens:
            return self.special_tokens[token]
        found = self.token_to_id(token)
        if found is None:
            raise TokenNotFound(f"{token!r} is not a single token of {self.name!r}; use encode for text")
        return found

    def decode_single_token_bytes(self, id: int) -> bytes:
        """The bytes of one token (special tokens included)."""
        id = _check_id(id)
        if not 0 <= id < self.vocab_size:
            raise TokenNotFound(f"token id {id} is not in the vocabulary (ids run from 0 to {self.vocab_size - 1})")
        return self.decode_bytes([id])

    def decode_tokens_bytes(self, ids: TokenIds) -> list[bytes]:
        """The bytes of each token, one entry per id."""
        return [self.decode_single_token_bytes(i) for i in ids]

    def decode_with_offsets(self, ids: TokenIds) -> tuple[str, list[int]]:
        """The text and, for each token, the index of the character where it starts (a
        token that starts inside a character, with its trailing bytes, points at that
        character), as tiktoken's ``decode_with_offsets``. The ids must decode to valid
        UTF-8."""
        pieces = self.decode_tokens_bytes(ids)
        offsets, chars = [], 0
        for piece in pieces:
            inside = bool(piece) and 0x80 <= piece[0] < 0xC0
            offsets.append(max(0, chars - inside))
            chars += sum(1 for b in piece if not 0x80 <= b < 0xC0)
        return b"".join(pieces).decode("utf-8", errors="strict"), offsets

    def encode_ordinary_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """``encode_ordinary`` on many texts, in parallel, as lists (tiktoken's
        ``encode_ordinary_batch``; ``encode_batch`` gives NumPy arrays)."""
        return [ids.tolist() for ids in self.encode_batch(texts, allowed_special=(), disallowed_special=())]

    def decode_batch(self, batch: Iterable[TokenIds], *, errors: str = "replace") -> list[str]:
        """``decode`` on each list of ids."""
        return [self.decode(ids, errors=errors) for ids in batch]

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = None,
        disallowed_special: SpecialChoice = None,
        add_special_tokens: bool = True,
    ) -> np.ndarray:
        """``encode`` as a NumPy ``uint32`` array, made without a Python object per id (the
        fastest way to get ids out of one text)."""
        return self._call("encode_array", _check_text(text), allowed_special, disallowed_special,
                          add_special_tokens=add_special_tokens)

    # ---- Unigram: normalization, n-best, sampling ---------------------------------------

    def normalize(self, text: str) -> str:
        """The text a SentencePiece model segments: normalized, spaces as ``▁``.

        >>> tok.normalize("  Hello   world")          # doctest: +SKIP
        '▁Hello▁world'
        """
        return self._core.normalize(_without_surrogates(_check_text(text)))

    def encode_nbest(self, text: str, nbest: int) -> list[tuple[list[int], float]]:
        """The ``nbest`` most likely segmentations of ``text`` (Unigram models), best
        first, each with its log-probability (the sum of its pieces' scores).

        >>> [ids for ids, score in tok.encode_nbest("hello", 2)]   # doctest: +SKIP
        [[3, 4], [3, 7, 8]]
        """
        if not isinstance(nbest, int) or isinstance(nbest, bool) or nbest < 1:
            raise ValueError(f"nbest must be a positive int, not {nbest!r}")
        return self._core.nbest(_without_surrogates(_check_text(text)), nbest)

    def sample_encode(self, text: str, *, alpha: float = 0.1, nbest_size: int = -1, seed: Optional[int] = None) -> list[int]:
        """A segmentation of ``text`` drawn at random (subword regularization; Unigram
        models): with probability proportional to ``P(segmentation) ** alpha``, among all
        segmentations (``nbest_size=-1``) or among the ``nbest_size`` best. The same
        ``seed`` gives the same draw; ``seed=None`` draws a fresh one.

        >>> tok.sample_encode("hello", alpha=0.5, seed=1)   # doctest: +SKIP
        [3, 7, 8]
        """
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not alpha > 0:
            raise ValueError(f"alpha must be a positive number, not {alpha!r}")
        if not isinstance(nbest_size, int) or isinstance(nbest_size, bool) or nbest_size == 0 or nbest_size < -1:
            raise ValueError(f"nbest_size must be -1 (all segmentations) or a positive int, not {nbest_size!r}")
        if seed is None:
            seed = int.from_bytes(os.urandom(8), "little")
        elif not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative int or None, not {seed!r}")
        return self._core.sample(_without_surrogates(_check_text(text)), float(alpha), nbest_size, seed % 2**64)

    # ---- files ------------------------------------------------------------------------

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Saves the tokenizer; ``tokkit.load(path)`` reads it back.

        ``*.tiktoken`` writes tiktoken's rank file plus ``<path>.json`` with the pattern and
        special tokens; ``tokenizer.json`` (or ``*.hf.json``) writes HuggingFace's format,
        which HF ``tokenizers`` loads with the same ids; ``*.model`` writes a SentencePiece
        model (SentencePiece models only, which save only so); any other name writes
        tokkit's own JSON format (for tokenizer.json pipelines, HF's format).
        """
        path = Path(path)
        if path.suffix == ".tiktoken":
            path.write_bytes(self._core.save("tiktoken", self.name))
            path.with_name(path.name + ".json").write_bytes(self._core.tiktoken_sidecar(self.name))
        elif path.suffix == ".model":
            path.write_bytes(self._core.save("model", self.name))
        elif path.name.endswith("tokenizer.json") or path.name.endswith(".hf.json"):
            path.write_bytes(self._core.save("tokenizer.json", self.name))
        else:
            path.write_bytes(self._core.save("tokkit", self.name))


def from_ranks(
    contents: bytes,
    source_name: str,
    *,
    pattern: str,
    special_tokens: Optional[Mapping[str, int]] = None,
    name: Optional[str] = None,
) -> Tokenizer:
    """A byte-level BPE from the contents of a ``.tiktoken`` rank file (``source_name``
    names it in errors), with its pre-tokenizer pattern (a name or a regex) and special
    tokens."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str (a pattern name or a regex), not {type(pattern).__name__}")
    core = _core.Tokenizer.from_tiktoken(contents, source_name, pattern, special_token_ids(special_tokens))
    return Tokenizer(core, name=name or Path(source_name).stem)


def special_token_ids(special_tokens: Optional[Mapping[str, int]]) -> list[tuple[str, int]]:
    """``{text: id}`` checked and as (text, id) pairs: ids from 0 to 2**32 - 2."""
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


def _from_saved(data: bytes, name: str) -> Tokenizer:
    """The tokenizer whose ``_core.to_bytes`` gave ``data`` (for unpickling)."""
    core, _ = _core.Tokenizer.from_saved(data, name)
    return Tokenizer(core, name=name)


def _readable(token: Union[bytes, str]) -> Union[str, bytes]:
    if isinstance(token, str):
        return token
    try:
        return token.decode("utf-8")
    except UnicodeDecodeError:
        return token
