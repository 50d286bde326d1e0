"""Checks of training options, each an error that names the option and what it takes."""

from __future__ import annotations

import warnings
from typing import Sequence


def check_int(name: str, value, minimum: int = 1, maximum: int = 2**63) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        limits = f"of at least {minimum}" if maximum == 2**63 else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an int {limits}, not {value!r}")


def check_number(name: str, value, low: float, high: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}], not {value!r}")


def check_coverage(character_coverage) -> None:
    if not isinstance(character_coverage, (int, float)) or not 0 < character_coverage <= 1:
        raise ValueError(f"character_coverage must be a number in (0, 1], not {character_coverage!r}")


def check_threads(threads) -> None:
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ValueError(f"threads must be a positive int or None (all cores), not {threads!r}")


def special_token_list(special_tokens: Sequence[str]) -> list[str]:
    """The special tokens to add, checked: non-empty and unique str."""
    if isinstance(special_tokens, str):
        raise TypeError(f"special_tokens must be a list of str, not the str {special_tokens!r}; "
                        f"did you mean [{special_tokens!r}]?")
    specials = list(special_tokens)
    for token in specials:
        if not isinstance(token, str) or not token:
            raise ValueError(f"special tokens must be non-empty str, found {token!r}")
    duplicates = sorted({t for t in specials if specials.count(t) > 1})
    if duplicates:
        raise ValueError(f"special tokens must be unique; given more than once: {duplicates}")
    return specials


def warn_if_short(core, vocab_size: int, stacklevel: int = 3) -> None:
    """Warns when the corpus could not fill the vocabulary asked for."""
    if core.id_bound < vocab_size:
        warnings.warn(
            f"the corpus could not fill {vocab_size} tokens; the vocabulary has {core.id_bound}. Use more text "
            f"(or a lower min_frequency) to reach the size asked for.",
            stacklevel=stacklevel,
        )
