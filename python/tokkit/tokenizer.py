"""The Tokenizer: one face over every model tokkit has.

Text goes in as ``str`` and comes out as token ids (``list[int]``, or NumPy ``uint32``
arrays for batches); ids go back to text with ``decode``. Heavy work runs in the Rust
engine with the GIL released, so one Tokenizer can be shared by many threads.
"""

from __future__ import annotations

import os
from typing import AbstractSet, Collection, Iterable, Literal, Optional, Sequence, Union

import numpy as np

SpecialChoice = Union[Literal["all"], AbstractSet[str], Collection[str]]
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
    """

    def __init__(self, core, *, name: str = "tokenizer"):
        self._core = core
        self.name = name

    def __reduce__(self):
        # Pickling (multiprocessing, data loaders) carries the whole tokenizer.
        from .formats import dumps, loads

        return (loads, (dumps(self),))

    def __repr__(self) -> str:
        return f"<tokkit.Tokenizer {self.name!r}: {self.model_type}, {self.vocab_size} ids>"

    @property
    def model_type(self) -> str:
        """What kind of model this is: "byte-level BPE", "SentencePiece Unigram" or
        "SentencePiece BPE"."""
        kind = getattr(self._core, "model_type", None)
        return {"unigram": "SentencePiece Unigram", "bpe": "SentencePiece BPE"}.get(kind, "byte-level BPE")

    def _unigram_core(self, what: str):
        if getattr(self._core, "model_type", None) != "unigram":
            raise TypeError(f"{what} needs a Unigram model; {self.name!r} is a {self.model_type} tokenizer")
        return self._core

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
    def pattern(self) -> Optional[str]:
        """The pre-tokenizer's regular expression (None for SentencePiece models, which
        have none)."""
        return self._core.pattern

    # ---- encoding ---------------------------------------------------------------------

    def encode(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = frozenset(),
        disallowed_special: SpecialChoice = "all",
    ) -> list[int]:
        """Encodes ``text`` into token ids.

        >>> tok.encode("<|endoftext|>", allowed_special={"<|endoftext|>"})  # doctest: +SKIP
        [100257]
        """
        text = _check_text(text)
        try:
            return self._core.encode(text, allowed_special, disallowed_special)
        except UnicodeEncodeError:
            return self._core.encode(_without_surrogates(text), allowed_special, disallowed_special)

    def encode_ordinary(self, text: str) -> list[int]:
        """Encodes ``text`` treating special-token text as ordinary text."""
        text = _check_text(text)
        try:
            return self._core.encode_ordinary(text)
        except UnicodeEncodeError:
            return self._core.encode_ordinary(_without_surrogates(text))

    def encode_bytes(self, data: bytes) -> list[int]:
        """Encodes raw bytes, valid UTF-8 or not; ``decode_bytes`` gives them back exactly."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        return self._core.encode_bytes(bytes(data))

    def encode_batch(
        self,
        texts: Iterable[str],
        *,
        allowed_special: SpecialChoice = frozenset(),
        disallowed_special: SpecialChoice = "all",
        flat: bool = False,
    ):
        """Encodes many texts in parallel, on all cores.

        Returns a list of NumPy ``uint32`` arrays, one per text; with ``flat=True``, a pair
        ``(ids, offsets)``: one array of all ids and a ``uint64`` array of row offsets, text
        ``i`` being ``ids[offsets[i]:offsets[i + 1]]``.
        """
        texts = list(texts)
        for i, text in enumerate(texts):
            _check_text(text, f"texts[{i}]")
        try:
            return self._core.encode_batch(texts, allowed_special, disallowed_special, flat)
        except UnicodeEncodeError:
            texts = [_without_surrogates(t) for t in texts]
            return self._core.encode_batch(texts, allowed_special, disallowed_special, flat)

    def count(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = frozenset(),
        disallowed_special: SpecialChoice = "all",
    ) -> int:
        """The number of tokens ``encode`` would give."""
        return len(self.encode(text, allowed_special=allowed_special, disallowed_special=disallowed_special))

    def encode_with_offsets(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = frozenset(),
        disallowed_special: SpecialChoice = "all",
    ) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids and, for each, its ``(start, end)`` character offsets into ``text``.

        A token holding only part of a character's UTF-8 bytes is given that whole
        character, so neighbouring tokens can share it.
        """
        text = _check_text(text)
        try:
            return self._core.encode_with_offsets(text, allowed_special, disallowed_special)
        except UnicodeEncodeError:
            # Replacing surrogates keeps the number of characters of the text, so the
            # offsets still point into the str the caller gave, except where a surrogate
            # pair became one character.
            fixed = _without_surrogates(text)
            return self._core.encode_with_offsets(fixed, allowed_special, disallowed_special)

    def tokens(
        self,
        text: str,
        *,
        allowed_special: SpecialChoice = frozenset(),
        disallowed_special: SpecialChoice = "all",
    ) -> list[Union[str, bytes]]:
        """The tokens of ``text``: each a ``str``, or ``bytes`` where a token holds only
        part of a character's UTF-8 encoding."""
        text = _check_text(text)
        try:
            pieces = self._core.token_pieces(text, allowed_special, disallowed_special)
        except UnicodeEncodeError:
            pieces = self._core.token_pieces(_without_surrogates(text), allowed_special, disallowed_special)
        return [_readable(p) for p in pieces]

    def pre_tokenize(self, text: str) -> list[str]:
        """The pieces the pre-tokenizer cuts ``text`` into before BPE merges each one."""
        text = _check_text(text)
        try:
            return self._core.pre_tokens(text)
        except UnicodeEncodeError:
            return self._core.pre_tokens(_without_surrogates(text))

    # ---- Unigram: normalization, n-best, sampling ---------------------------------------

    def normalize(self, text: str) -> str:
        """The text a SentencePiece model segments: normalized, spaces as ``▁``.

        >>> tok.normalize("  Hello   world")          # doctest: +SKIP
        '▁Hello▁world'
        """
        if not hasattr(self._core, "normalize"):
            raise TypeError(f"normalize needs a SentencePiece model; {self.name!r} is a {self.model_type} tokenizer")
        return self._core.normalize(_without_surrogates(_check_text(text)))

    def encode_nbest(self, text: str, nbest: int) -> list[tuple[list[int], float]]:
        """The ``nbest`` most likely segmentations of ``text`` (Unigram models), best
        first, each with its log-probability (the sum of its pieces' scores).

        >>> [ids for ids, score in tok.encode_nbest("hello", 2)]   # doctest: +SKIP
        [[3, 4], [3, 7, 8]]
        """
        core = self._unigram_core("encode_nbest")
        if not isinstance(nbest, int) or isinstance(nbest, bool) or nbest < 1:
            raise ValueError(f"nbest must be a positive int, not {nbest!r}")
        return core.nbest(_without_surrogates(_check_text(text)), nbest)

    def sample_encode(self, text: str, *, alpha: float = 0.1, nbest_size: int = -1, seed: Optional[int] = None) -> list[int]:
        """A segmentation of ``text`` drawn at random (subword regularization; Unigram
        models): with probability proportional to ``P(segmentation) ** alpha``, among all
        segmentations (``nbest_size=-1``) or among the ``nbest_size`` best. The same
        ``seed`` gives the same draw; ``seed=None`` draws a fresh one.

        >>> tok.sample_encode("hello", alpha=0.5, seed=1)   # doctest: +SKIP
        [3, 7, 8]
        """
        core = self._unigram_core("sample_encode")
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not alpha > 0:
            raise ValueError(f"alpha must be a positive number, not {alpha!r}")
        if not isinstance(nbest_size, int) or isinstance(nbest_size, bool) or nbest_size == 0 or nbest_size < -1:
            raise ValueError(f"nbest_size must be -1 (all segmentations) or a positive int, not {nbest_size!r}")
        if seed is None:
            seed = int.from_bytes(os.urandom(8), "little")
        elif not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative int or None, not {seed!r}")
        return core.sample(_without_surrogates(_check_text(text)), float(alpha), nbest_size, seed % 2**64)

    # ---- decoding ---------------------------------------------------------------------

    def decode_bytes(self, ids: TokenIds) -> bytes:
        """The bytes the ids stand for."""
        return self._core.decode_bytes(ids)

    def decode(self, ids: TokenIds, *, errors: str = "replace") -> str:
        """The text the ids stand for. Ids that end inside a character decode to U+FFFD
        with ``errors="replace"`` (the default, as in tiktoken); pass ``errors="strict"`` to
        get a ``UnicodeDecodeError`` instead."""
        return self._core.decode_bytes(ids).decode("utf-8", errors=errors)

    # ---- the vocabulary ---------------------------------------------------------------

    def id_to_token(self, id: int) -> Union[str, bytes]:
        """The token with this id: a ``str``, or ``bytes`` if it is not valid UTF-8."""
        found = self._core.token_bytes(int(id))
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

    # ---- files ------------------------------------------------------------------------

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Saves the tokenizer; ``tokkit.load(path)`` reads it back.

        ``*.tiktoken`` writes tiktoken's rank file plus ``<path>.json`` with the pattern and
        special tokens; ``*.model`` writes a SentencePiece model (SentencePiece models only,
        which save only so); any other name writes tokkit's own JSON format.
        """
        from .formats import save

        save(self, path)


def _readable(token: bytes) -> Union[str, bytes]:
    try:
        return token.decode("utf-8")
    except UnicodeDecodeError:
        return token
