"""Figures for comparisons, drawn with matplotlib's Agg renderer and saved as PNG.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot, so no global
backend is switched and nothing opens a window; ``save_png(figure, path)`` writes it.

Scripts the installed fonts lack (matplotlib ships only DejaVu Sans, which has no CJK,
Ethiopic, Myanmar or Tibetan glyphs) draw as boxes in the token-boundary view, and
matplotlib neither shapes Arabic nor orders right-to-left text; the boxes still show where
the tokens split. The HTML page (``html.py``) shows the same view as text, which the
browser renders in any script. Installed Noto fonts are used when present.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .readable import readable_groups

_BAR = "#4c72b0"
_PIVOT = "#c44e52"
_TOKEN_COLOURS = ["#cfe2f3", "#d9ead3", "#fce5cd", "#ead1dc"]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


@lru_cache(maxsize=1)
def font_families() -> tuple[str, ...]:
    """DejaVu Sans, then any installed Noto family, as a fallback list for many scripts."""
    from matplotlib import font_manager

    noto = sorted({f.name for f in font_manager.fontManager.ttflist if f.name.startswith("Noto")})
    return ("DejaVu Sans", *noto)


def save_png(figure, path) -> Path:
    """Writes the figure as a PNG (warnings about glyphs missing from the fonts muted)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        figure.savefig(path, format="png", dpi=figure.dpi)
    return Path(path)


def premium_bars(report):
    """Premium per language as sorted bars, one panel per tokenizer; the pivot's bar (1.0)
    in red. With more than 60 languages the bars go unlabelled and a box lists the ten
    highest."""
    n = len(report.languages)
    figure = _figure(min(max(8.0, 0.2 * n + 2), 24.0), 2.8 * len(report.tokenizers) + 0.4)
    axes = figure.subplots(len(report.tokenizers), 1, squeeze=False)[:, 0]
    top = max((v for name in report.tokenizers for v in report.values(name, "premium").values() if v), default=1)
    for ax, name in zip(axes, report.tokenizers):
        premiums = {k: v for k, v in report.values(name, "premium").items() if v is not None}
        codes = sorted(premiums, key=lambda code: (-premiums[code], code))
        heights = [premiums[code] for code in codes]
        colours = [_PIVOT if code == report.pivot else _BAR for code in codes]
        ax.bar(range(len(codes)), heights, color=colours, width=0.85)
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_ylim(0, top * 1.12)
        ax.set_xlim(-0.6, len(codes) - 0.4)
        summary = report.summaries[name]
        ax.set_title(f"{name}: mean premium {summary['mean_premium']:.2f}, max {summary['max_premium']:.2f} "
                     f"({summary['max_premium_language']}), Gini {summary['gini']:.3f}", fontsize=10, loc="left")
        ax.set_ylabel(f"tokens ÷ {report.pivot} tokens")
        if len(codes) <= 60:
            ax.set_xticks(range(len(codes)), codes, rotation=90, fontsize=7)
        else:
            ax.set_xticks([])
            width = max(len(code) for code in codes[:10])
            highest = "\n".join(f"{code:<{width}} {premiums[code]:5.1f}" for code in codes[:10])
            ax.text(0.99, 0.95, f"highest:\n{highest}", transform=ax.transAxes, ha="right", va="top", fontsize=7,
                    family="monospace", multialignment="left", bbox=dict(boxstyle="round", fc="white", ec="#999"))
            ax.set_xlabel(f"{len(codes)} languages, highest premium first")
    return figure


def premium_heatmap(report):
    """Tokenizers × languages, coloured by premium on a log scale (parity is the middle);
    languages sorted by their mean premium over the tokenizers."""
    from matplotlib.colors import LogNorm

    codes = [info["language"] for info in report.languages]
    grid = np.array([[report.measures(name, code)["premium"] or np.nan for code in codes]
                     for name in report.tokenizers], dtype=np.float64)
    order = np.argsort(np.nanmean(grid, axis=0), kind="stable")
    grid, codes = grid[:, order], [codes[i] for i in order]
    spread = max(float(np.nanmax(grid)), 1 / float(np.nanmin(grid)), 1.01)
    figure = _figure(min(max(6.0, 0.3 * len(codes) + 2.5), 24.0), 0.45 * len(report.tokenizers) + 1.8)
    ax = figure.subplots()
    image = ax.imshow(grid, aspect="auto", cmap="RdBu_r", norm=LogNorm(vmin=1 / spread, vmax=spread),
                      interpolation="nearest")
    ax.set_yticks(range(len(report.tokenizers)), report.tokenizers)
    if len(codes) <= 80:
        ax.set_xticks(range(len(codes)), codes, rotation=90, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(codes)} languages, lowest mean premium first")
    if grid.size <= 200:
        for (i, j), value in np.ndenumerate(grid):
            ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=6)
    figure.colorbar(image, ax=ax, label=f"premium (tokens ÷ {report.pivot} tokens)")
    return figure


def sweep_curves(sweep, measures: Sequence[str] = ("max_premium", "gini", "bytes_per_token")):
    """Each measure against the vocabulary size, one line per strategy (from a ``Sweep``)."""
    figure = _figure(4.2 * len(measures), 3.4)
    axes = figure.subplots(1, len(measures), squeeze=False)[0]
    for ax, measure in zip(axes, measures):
        for strategy in sweep.strategies:
            points = sorted((p["actual_vocab_size"], p[measure]) for p in sweep.points
                            if p["strategy"] == strategy and p[measure] is not None)
            if points:
                ax.plot(*zip(*points), marker="o", label=strategy)
        ax.set_xscale("log")
        ax.set_xlabel("vocabulary size")
        ax.set_title(measure.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return figure


def boundary_sentences(report, *, line: int = 2, limit: int = 8) -> list[tuple[str, str]]:
    """(label, text) of line ``line`` in the pivot and in up to ``limit - 1`` other
    languages, one per script (the first by name in each), picked at evenly spaced ranks
    of premium so that cheap and costly scripts both show; highest premium first. Empty
    when the report holds no corpus or no such line."""
    corpus = report.corpus
    if corpus is None or not report.tokenizers:
        return []
    premiums = report.values(report.tokenizers[0], "premium")
    chosen = {}
    for info in report.languages:
        language = corpus[info["language"]]
        if line >= len(language.lines) or not language.lines[line] or premiums[language.code] is None:
            continue
        if language.code == report.pivot or language.script not in chosen:
            chosen[language.script] = language
    pivot = [lang for lang in chosen.values() if lang.code == report.pivot]
    others = sorted((lang for lang in chosen.values() if lang.code != report.pivot),
                    key=lambda lang: (-premiums[lang.code], lang.code))
    room = limit - len(pivot)
    if len(others) > room:
        others = [others[i] for i in sorted({round(k * (len(others) - 1) / max(room - 1, 1)) for k in range(room)})]
    return [(f"{lang.code} · {lang.name}", lang.lines[line]) for lang in pivot + others]


def token_boundaries(tokenizer, sentences: Sequence[tuple[str, str]], *, width: int = 1100, shown: int = 120):
    """One sentence in several languages, each token in a box of alternating colour; after
    ``shown`` boxes a language's row ends with "… +n" (the label gives the full count)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    families = list(font_families())
    rows = []
    for label, text in sentences:
        tokens = tokenizer.tokens(text, disallowed_special=())
        groups = [g.replace(" ", "␣") for g in readable_groups(tokens)]
        if len(groups) > shown:
            groups = groups[:shown] + [f"… +{len(groups) - shown}"]
        rows.append((f"{label}: {len(tokens)} tokens", groups))
    # Measure every token once on a scratch canvas, then lay them out in lines.
    scratch = _figure(width / 100, 1)
    renderer = FigureCanvasAgg(scratch).get_renderer()

    def text_width(s: str) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return scratch.text(0, 0, s, fontsize=11, fontfamily=families).get_window_extent(renderer).width

    placed = [("label", f"Token boundaries: {getattr(tokenizer, 'name', '')}", 10.0, 16.0)]
    y = 46.0
    for label, groups in rows:
        placed.append(("label", label, 10.0, y))
        y += 22
        x = 10.0
        for i, group in enumerate(groups):
            w = text_width(group) + 6
            if x + w > width - 10 and x > 10:
                x, y = 10.0, y + 24
            placed.append((i, group, x, y))
            x += w + 3
        y += 34
    figure = _figure(width / 100, y / 100)
    figure.set_layout_engine(None)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(y, 0)
    ax.axis("off")
    for kind, content, x, top in placed:
        if kind == "label":
            ax.text(x, top, content, fontsize=10, fontweight="bold", va="center")
        else:
            ax.text(x + 3, top, content, fontsize=11, fontfamily=families, va="center",
                    bbox=dict(boxstyle="square,pad=0.2", fc=_TOKEN_COLOURS[kind % 4], ec="none"))
    return figure
