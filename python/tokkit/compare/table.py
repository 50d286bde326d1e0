"""A small table that prints well in a terminal and as Markdown, without pandas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

Formatter = Callable[[object], str]


def number(digits: int) -> Formatter:
    return lambda v: f"{v:.{digits}f}"


def percent(digits: int = 1) -> Formatter:
    return lambda v: f"{v:.{digits}%}"


def whole(v) -> str:
    return f"{v:,.0f}"


def text(v) -> str:
    return str(v)


class Formatted(str):
    """A value formatted already (printed as it is, aligned as a number)."""


@dataclass
class Table:
    """Rows of values under named columns; each column has a formatter, and a missing
    value (None) prints as "–". ``str(table)`` aligns the columns; ``to_markdown()`` gives
    a GitHub table."""

    columns: list[str]
    rows: list[list]
    formats: list[Formatter]
    title: str = ""

    def cells(self) -> list[list[str]]:
        return [["–" if value is None else value if isinstance(value, Formatted) else fmt(value)
                 for value, fmt in zip(row, self.formats)] for row in self.rows]

    def numeric_columns(self) -> list[bool]:
        """Per column: does it hold numbers (to align right)?"""
        def number(value) -> bool:
            return isinstance(value, (int, float, Formatted)) and not isinstance(value, bool)

        return [all(number(row[i]) or row[i] is None for row in self.rows) and
                any(row[i] is not None for row in self.rows) for i in range(len(self.columns))]

    def __str__(self) -> str:
        cells = self.cells()
        widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(self.columns)]
        numeric = self.numeric_columns()

        def line(values: Sequence[str]) -> str:
            return "  ".join(v.rjust(w) if right else v.ljust(w)
                             for v, w, right in zip(values, widths, numeric)).rstrip()

        out = [self.title] if self.title else []
        out += [line(self.columns), line(["-" * w for w in widths])]
        out += [line(row) for row in cells]
        return "\n".join(out)

    __repr__ = __str__

    def to_markdown(self, *, title_level: Optional[int] = None) -> str:
        numeric = self.numeric_columns()
        out = [f"{'#' * title_level} {self.title}", ""] if title_level and self.title else []
        out.append("| " + " | ".join(self.columns) + " |")
        out.append("|" + "|".join("---:" if right else "---" for right in numeric) + "|")
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.cells()]
        return "\n".join(out)
