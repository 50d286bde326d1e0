"""A self-contained HTML page of a comparison: tables, figures inlined as base64 PNG, the
token boundaries of one sentence as coloured text, and the definitions of the measures
(taken from ``metrics``' docstrings, so the page and the code say the same thing). It
loads nothing from anywhere: one file to mail or attach to a paper's supplement.
"""

from __future__ import annotations

import base64
import html
import inspect
import re
from pathlib import Path
from typing import Optional, Sequence

from . import metrics
from .readable import readable_groups
from .table import Table

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; }
.tokens { line-height: 2.1; margin: 0.2em 0 1em; }
.tokens span { padding: 0.15em 0.05em; margin-right: 1px; border-radius: 2px; white-space: pre; }
.t0 { background: #cfe2f3; } .t1 { background: #d9ead3; } .t2 { background: #fce5cd; } .t3 { background: #ead1dc; }
dt { font-weight: bold; margin-top: 0.6em; } dd { margin-left: 1.2em; }
.scroll { max-height: 36em; overflow-y: auto; }
"""

#: Measures defined in ``metrics``, in the order the page lists them.
DEFINED = ["premium", "gini", "bytes_per_token", "chars_per_token", "fertility", "split_word_rate",
           "unknown_rate", "byte_fallback_rate", "vocab_utilization", "renyi_efficiency", "script_coverage"]


def table_html(table: Table) -> str:
    numeric = table.numeric_columns()
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{html.escape(v)}</td>' if right else f"<td>{html.escape(v)}</td>"
                         for v, right in zip(row, numeric)) + "</tr>"
        for row in table.cells())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image(path: Path) -> str:
    """A PNG file as a figure with the image inline, so the page stands alone."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(path.name)}</figcaption></figure>")


def token_spans(tokenizer, text: str) -> str:
    """The tokens of ``text`` as coloured spans (the page's token-boundary view)."""
    groups = readable_groups(tokenizer.tokens(text, disallowed_special=()))
    spans = "".join(f'<span class="t{i % 4}">{html.escape(g)}</span>' for i, g in enumerate(groups))
    return f'<div class="tokens" dir="auto">{spans}</div>'


def _prose(docstring: str) -> str:
    """Docstring text as HTML: escaped, ``code`` as <code>, the doctest examples left out."""
    text = html.escape(docstring.split(">>>")[0].strip())
    return re.sub(r"``(.+?)``", r"<code>\1</code>", text)


def _definitions() -> str:
    paragraphs = "".join(f"<p>{_prose(p)}</p>" for p in inspect.getdoc(metrics).split("\n\n")[1:])
    items = "".join(f"<dt>{name}</dt><dd>{_prose(inspect.getdoc(getattr(metrics, name)))}</dd>" for name in DEFINED)
    return f"<h2>Definitions</h2>{paragraphs}<dl>{items}</dl>"


def page(report, *, figures: Sequence[Path] = (), sweep=None, sentences: Optional[Sequence[tuple]] = None) -> str:
    """The HTML page for ``report`` (and ``sweep``), with the PNG ``figures`` inlined."""
    parts = [
        f"<h1>Tokenizers across {len(report.languages)} languages</h1>",
        f"<p>Corpus: {html.escape(report.source)}. Pivot: <b>{html.escape(report.pivot)}</b> "
        f"(premium = tokens of a translation ÷ tokens of the pivot on the same lines). "
        f"Rényi efficiency at α = {report.alpha}.</p>",
        "<h2>Summary</h2>", table_html(report.summary()),
    ]
    images = [Path(p) for p in figures if str(p).endswith(".png")]
    parts += ["<h2>Figures</h2>"] + [image(p) for p in images if not p.name.startswith("boundaries-")]
    if sentences:
        parts.append("<h2>Token boundaries</h2>")
        for name in report.tokenizers:
            parts.append(f"<h3>{html.escape(name)}</h3>")
            for label, text in sentences:
                parts.append(f"<div><b>{html.escape(label)}</b></div>{token_spans(report.models[name], text)}")
        parts += [image(p) for p in images if p.name.startswith("boundaries-")]
    if sweep is not None:
        parts += ["<h2>Strategy sweep</h2>", table_html(sweep.table())]
    parts += ["<h2>Premium per language</h2>", f'<div class="scroll">{table_html(report.table("premium"))}</div>',
              "<h2>Fertility per language</h2>",
              f'<div class="scroll">{table_html(report.table("fertility"))}</div>', _definitions()]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>tokkit comparison</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
