"""Tokens shown as text, for tables, plots and pages.

A token can hold part of a character's UTF-8 bytes; shown alone it would be unreadable.
"""

from __future__ import annotations

from typing import Union

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def readable_groups(tokens: list[Union[str, bytes]]) -> list[str]:
    """Tokens as text; tokens that hold parts of one character are shown together, as
    that text with the number of tokens in subscript: [b"\\xd0", b"\\xbc"] -> "м₂"."""
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
