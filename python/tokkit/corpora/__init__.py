"""Small corpora bundled with tokkit.

The *sample* corpus is a short original text (12 sentences about a market
town, a bicycle repair shop and a rain shower) written for this project in
English and translated into 25 other languages. The files are parallel: line
``k`` of every file translates line ``k`` of ``eng.txt``, which makes the
corpus handy for comparing how many tokens a tokenizer needs per language.

Files live in ``sample/`` and are named by ISO 639-3 code (``eng.txt``,
``cmn.txt``, ...). ``sample/index.tsv`` describes each file: language name,
ISO 15924 script, writing direction and whether words are separated by
spaces. All text is UTF-8 and NFC-normalised.

>>> from tokkit.corpora import load_sample
>>> texts = load_sample()
>>> texts["eng"].splitlines()[0][:22]
'On Saturday mornings t'
"""

from __future__ import annotations

import csv
from pathlib import Path

__all__ = ["SAMPLE_DIR", "load_sample", "sample_index", "sample_lines"]

#: Folder holding the bundled parallel sample corpus.
SAMPLE_DIR: Path = Path(__file__).resolve().parent / "sample"

_INDEX_FILE = "index.tsv"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def sample_index() -> list[dict]:
    """Return the rows of ``sample/index.tsv`` as dicts, sorted by file name.

    Keys: ``file``, ``iso639_3``, ``name``, ``script`` (ISO 15924),
    ``direction`` (``"ltr"``/``"rtl"``) and ``spaces_between_words`` (bool).

    >>> row = next(r for r in sample_index() if r["iso639_3"] == "tha")
    >>> row["script"], row["spaces_between_words"]
    ('Thai', False)
    """
    with open(SAMPLE_DIR / _INDEX_FILE, encoding="utf-8", newline="") as fh:
        rows = []
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            flag = row["spaces_between_words"].strip().lower()
            if flag not in ("yes", "no"):
                raise ValueError(f"bad spaces_between_words value {flag!r} in {_INDEX_FILE}")
            row["spaces_between_words"] = flag == "yes"
            rows.append(row)
    return sorted(rows, key=lambda r: r["file"])


def load_sample() -> dict[str, str]:
    """Return ``{iso639_3: full text}`` for every language, sorted by code.

    >>> texts = load_sample()
    >>> list(texts)[:3]
    ['amh', 'arb', 'ben']
    >>> texts["cmn"].splitlines()[0][:5]
    '每到星期六'
    """
    return {path.stem: _read(path) for path in sorted(SAMPLE_DIR.glob("*.txt"))}


def sample_lines() -> dict[str, list[str]]:
    """Return ``{iso639_3: list of lines}``; all lists are aligned and equally long.

    >>> lines = sample_lines()
    >>> len(lines["eng"]) == len(lines["jpn"])
    True
    """
    return {code: text.rstrip("\n").split("\n") for code, text in load_sample().items()}
