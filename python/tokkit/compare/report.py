"""The result of ``tokkit.compare``: one row of measures per tokenizer × language, and
aggregates per tokenizer; as tables, Markdown, JSON, CSV, figures and an HTML page.

>>> report = tokkit.compare({"cl100k": cl100k, "o200k": o200k}, pivot="eng")  # doctest: +SKIP
>>> print(report.summary())                    # one row per tokenizer        # doctest: +SKIP
>>> print(report.table("premium"))             # languages × tokenizers      # doctest: +SKIP
>>> report.to_csv("premiums.csv"); report.save("report/")                    # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from . import metrics
from .table import Formatted, Table, number, percent, text, whole

#: The measures of each tokenizer × language row, in column order (see ``metrics``).
MEASURES = [
    "premium", "tokens", "bytes", "characters", "words", "words_from", "bytes_per_token", "chars_per_token",
    "fertility", "split_word_rate", "unknown_rate", "byte_fallback_rate", "vocab_utilization",
    "renyi_efficiency", "script_coverage",
]

#: The aggregates of each tokenizer over all languages.
SUMMARY = [
    "vocab_size", "tokens", "bytes_per_token", "mean_premium", "max_premium", "max_premium_language", "gini",
    "mean_fertility", "vocab_utilization", "renyi_efficiency", "unknown_rate", "byte_fallback_rate",
]

FORMATS = {
    "premium": number(2), "tokens": whole, "bytes": whole, "characters": whole, "words": whole, "words_from": text,
    "bytes_per_token": number(2), "chars_per_token": number(2), "fertility": number(2),
    "split_word_rate": percent(), "unknown_rate": percent(2), "byte_fallback_rate": percent(),
    "vocab_utilization": percent(2), "renyi_efficiency": number(3), "script_coverage": percent(),
    "vocab_size": whole, "mean_premium": number(2), "max_premium": number(2), "max_premium_language": text,
    "gini": number(3), "mean_fertility": number(2),
}


@dataclass
class Report:
    """Measures of tokenizers on a multilingual corpus (built by ``tokkit.compare``).

    ``rows`` holds one dict per tokenizer × language (keys ``tokenizer``, ``language``,
    ``script``, then ``MEASURES``); ``summaries`` one dict per tokenizer (``SUMMARY``).
    ``corpus`` and ``models`` (name -> Tokenizer) are kept for the token-boundary views.
    """

    pivot: str
    alpha: float
    source: str  # where the corpus came from
    tokenizers: list[str]
    languages: list[dict]  # language, name, script, spaces_between_words
    rows: list[dict]
    summaries: dict[str, dict]
    corpus: object = field(default=None, repr=False)
    models: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._by_key = {(row["tokenizer"], row["language"]): row for row in self.rows}

    def __repr__(self) -> str:
        return (f"<tokkit.compare.Report: {len(self.tokenizers)} tokenizers × {len(self.languages)} languages, "
                f"pivot {self.pivot!r}>")

    # ---- reading numbers -----------------------------------------------------------------

    def measures(self, tokenizer: str, language: str) -> dict:
        """The row of one tokenizer on one language."""
        try:
            return self._by_key[(tokenizer, language)]
        except KeyError:
            raise KeyError(f"no row for tokenizer {tokenizer!r} and language {language!r}; tokenizers: "
                           f"{', '.join(self.tokenizers)}") from None

    def values(self, tokenizer: str, measure: str) -> dict[str, Optional[float]]:
        """``{language: value}`` of one measure for one tokenizer."""
        _check_measure(measure)
        return {info["language"]: self.measures(tokenizer, info["language"])[measure] for info in self.languages}

    def aggregates(self, tokenizer: str, measure: str) -> dict[str, Optional[float]]:
        """Mean, max and Gini coefficient of a measure across languages (``metrics.gini``)."""
        known = [v for v in self.values(tokenizer, measure).values() if v is not None]
        return {"mean": metrics.mean(known), "max": max(known) if known else None, "gini": metrics.gini(known)}

    # ---- tables --------------------------------------------------------------------------

    def summary(self) -> Table:
        """One row per tokenizer: the aggregates of ``SUMMARY``."""
        rows = [[name] + [self.summaries[name][key] for key in SUMMARY] for name in self.tokenizers]
        return Table(["tokenizer"] + SUMMARY, rows, [text] + [FORMATS[key] for key in SUMMARY],
                     title=f"Summary ({len(self.languages)} languages, pivot {self.pivot}, corpus {self.source})")

    def table(self, measure: str = "premium", *, languages: Optional[Sequence[str]] = None) -> Table:
        """Languages × tokenizers for one measure, with mean, max and Gini rows below.

        Languages are sorted by the first tokenizer's value, highest first, unless
        ``languages`` names the ones to show (in that order).
        """
        _check_measure(measure)
        info = {row["language"]: row for row in self.languages}
        if languages is None:
            first = self.values(self.tokenizers[0], measure)
            codes = sorted(info, key=lambda code: (first[code] is None, -(first[code] or 0), code))
        else:
            missing = [code for code in languages if code not in info]
            if missing:
                raise KeyError(f"languages not in the report: {', '.join(missing)}")
            codes = list(languages)
        rows = [[code, info[code]["name"], info[code]["script"]] +
                [self.measures(name, code)[measure] for name in self.tokenizers] for code in codes]
        if measure != "words_from":
            aggregates = [self.aggregates(name, measure) for name in self.tokenizers]
            for label in ("mean", "max", "gini"):
                cells = [a[label] for a in aggregates]
                if label == "gini":
                    cells = [None if v is None else Formatted(FORMATS["gini"](v)) for v in cells]
                rows.append([label, f"(all {len(info)} languages)", ""] + cells)
        formats = [text, text, text] + [FORMATS[measure]] * len(self.tokenizers)
        return Table(["language", "name", "script"] + list(self.tokenizers), rows, formats,
                     title=f"{measure} per language (pivot {self.pivot})")

    # ---- files ---------------------------------------------------------------------------

    def to_markdown(self, *, languages: Optional[Sequence[str]] = None) -> str:
        """The summary and the premium table, as Markdown."""
        return "\n\n".join([self.summary().to_markdown(title_level=2),
                            self.table("premium", languages=languages).to_markdown(title_level=2)]) + "\n"

    def to_json(self) -> str:
        """Everything, as JSON (missing values are null)."""
        document = {
            "pivot": self.pivot, "alpha": self.alpha, "corpus": self.source, "tokenizers": self.tokenizers,
            "languages": self.languages, "summaries": self.summaries, "rows": self.rows,
        }
        return json.dumps(_finite(document), ensure_ascii=False, indent=1)

    def to_csv(self, path) -> None:
        """One row per tokenizer × language: ``tokenizer, language, script`` and the
        measures; a missing value is an empty cell."""
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["tokenizer", "language", "script"] + MEASURES)
            for row in self.rows:
                writer.writerow([row["tokenizer"], row["language"], row["script"]] +
                                ["" if row[key] is None else row[key] for key in MEASURES])

    def save(self, folder, *, sweep=None, line: int = 2) -> list[Path]:
        """Writes into ``folder``: report.md, report.json, report.csv, the figures as PNG
        (premium bars, heatmap, token boundaries of line ``line`` per tokenizer, and the
        sweep's curves when ``sweep`` is given) and index.html, one page holding them all.
        Returns the paths written."""
        from . import html, plots

        folder = Path(os.fspath(folder))
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "report.md", folder / "report.json", folder / "report.csv"]
        written[0].write_text(self.to_markdown(), encoding="utf-8")
        written[1].write_text(self.to_json(), encoding="utf-8")
        self.to_csv(written[2])
        figures = {"premiums.png": plots.premium_bars(self), "heatmap.png": plots.premium_heatmap(self)}
        sentences = plots.boundary_sentences(self, line=line)
        if sentences:
            for name in self.tokenizers:
                figures[f"boundaries-{_file_safe(name)}.png"] = plots.token_boundaries(self.models[name], sentences)
        if sweep is not None:
            figures["sweep.png"] = plots.sweep_curves(sweep)
            written += [folder / "sweep.md", folder / "sweep.csv"]
            written[-2].write_text(sweep.to_markdown(), encoding="utf-8")
            sweep.to_csv(written[-1])
        for name, figure in figures.items():
            written.append(folder / name)
            plots.save_png(figure, written[-1])
        page = folder / "index.html"
        page.write_text(html.page(self, figures=written, sweep=sweep, sentences=sentences), encoding="utf-8")
        return written + [page]


def _file_safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _check_measure(measure: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")


def _finite(value):
    """NaN and infinities have no JSON spelling: null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
