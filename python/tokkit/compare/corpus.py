"""Multilingual corpora for comparisons: aligned lines per language, with a name and a script.

A corpus comes from one of three places:

- a folder with one ``.txt`` file per language, line ``k`` of every file translating line
  ``k`` of the others (the layout of UDHR in ``$TOKKIT_DATA/corpora/multilingual/udhr``).
  A language is named by its file stem (``eng``, ``cmn_hans``). An ``index.tsv`` is
  optional; its ``file`` column (a stem, or a file name) picks the row, and ``name``,
  ``script`` and ``spaces_between_words`` (yes/no) columns are used where present. Without
  them the name is the stem and the script is detected from the text. Other files in the
  folder are ignored;
- a mapping ``{language: text or list of lines}``;
- ``None``: the parallel sample bundled with tokkit (26 languages, 18 scripts).

Empty lines are kept, so that line ``k`` stays line ``k`` in every language (UDHR marks a
missing article with an empty line).
"""

from __future__ import annotations

import csv
import os
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

#: ISO 15924 codes of the scripts written without spaces between words. For these the
#: words of a text cannot be counted from the text itself (see ``metrics.count_words``).
UNSPACED_SCRIPTS = frozenset({
    "Hani", "Hans", "Hant", "Jpan", "Hira", "Kana", "Yiii",  # Chinese, Japanese, Yi
    "Thai", "Laoo", "Khmr", "Mymr", "Lana", "Tavt", "Tale", "Talu",  # mainland South-East Asia
    "Tibt", "Bali", "Java",
})

# Leading words of Unicode character names -> ISO 15924 script code. Longer prefixes are
# tried first, so "TAI THAM" wins over a one-word "TAI".
_SCRIPT_OF_NAME = {
    "LATIN": "Latn", "FULLWIDTH LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "COPTIC": "Copt",
    "ARMENIAN": "Armn", "GEORGIAN": "Geor", "HEBREW": "Hebr", "ARABIC": "Arab", "SYRIAC": "Syrc",
    "THAANA": "Thaa", "NKO": "Nkoo", "ADLAM": "Adlm", "TIFINAGH": "Tfng", "ETHIOPIC": "Ethi", "VAI": "Vaii",
    "BAMUM": "Bamu", "OSMANYA": "Osma", "CHEROKEE": "Cher", "CANADIAN SYLLABICS": "Cans",
    "DEVANAGARI": "Deva", "BENGALI": "Beng", "GURMUKHI": "Guru", "GUJARATI": "Gujr", "ORIYA": "Orya",
    "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda", "MALAYALAM": "Mlym", "SINHALA": "Sinh",
    "TIBETAN": "Tibt", "LIMBU": "Limb", "OL CHIKI": "Olck", "MEETEI MAYEK": "Mtei", "CHAKMA": "Cakm",
    "THAI": "Thai", "LAO": "Laoo", "KHMER": "Khmr", "MYANMAR": "Mymr", "TAI THAM": "Lana", "TAI VIET": "Tavt",
    "TAI LE": "Tale", "NEW TAI LUE": "Talu", "BALINESE": "Bali", "JAVANESE": "Java", "SUNDANESE": "Sund",
    "BUGINESE": "Bugi", "MONGOLIAN": "Mong", "HANGUL": "Hang", "HIRAGANA": "Hira", "KATAKANA": "Kana",
    "HALFWIDTH KATAKANA": "Kana", "CJK UNIFIED": "Hani", "CJK COMPATIBILITY": "Hani", "YI": "Yiii",
}

UNKNOWN_SCRIPT = "Zzzz"  # ISO 15924's code for an uncoded script


@dataclass(frozen=True)
class Language:
    """One language of a corpus: its lines, and what is known about it."""

    code: str  # as the corpus names it: a file stem or a mapping key
    lines: tuple[str, ...]
    name: str
    script: str  # ISO 15924
    spaces_between_words: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class ParallelCorpus:
    """Languages by code, in sorted order. ``aligned`` is true when every language has the
    same number of lines, so line ``k`` can be compared across languages."""

    languages: dict[str, Language]
    source: str

    def __len__(self) -> int:
        return len(self.languages)

    def __iter__(self):
        return iter(self.languages.values())

    def __getitem__(self, code: str) -> Language:
        return self.languages[code]

    @property
    def aligned(self) -> bool:
        return len({len(language.lines) for language in self}) <= 1

    def subset(self, codes: Sequence[str]) -> "ParallelCorpus":
        """The corpus with only these languages."""
        return ParallelCorpus({code: self.languages[code] for code in sorted(codes)}, self.source)

    def select_lines(self, indices: Sequence[int]) -> "ParallelCorpus":
        """The corpus with only lines ``indices`` of every language (an aligned split)."""
        picked = {
            code: Language(code, tuple(language.lines[i] for i in indices), language.name, language.script,
                           language.spaces_between_words)
            for code, language in self.languages.items()
        }
        return ParallelCorpus(picked, self.source)


CorpusSource = Union[None, str, os.PathLike, Mapping[str, Union[str, Sequence[str]]], ParallelCorpus]


def load_corpus(source: CorpusSource = None) -> ParallelCorpus:
    """A folder, a ``{language: text or lines}`` mapping, or None for the bundled sample
    (see the module doc).

    >>> corpus = load_corpus()
    >>> corpus["tha"].script, corpus["tha"].spaces_between_words
    ('Thai', False)
    """
    if source is None:
        return _bundled_sample()
    if isinstance(source, ParallelCorpus):
        return source
    if isinstance(source, Mapping):
        return _from_mapping(source)
    if isinstance(source, (str, os.PathLike)):
        return _from_folder(Path(source))
    raise TypeError(f"corpus must be a folder, a {{language: text}} dict, or None for the bundled sample, "
                    f"not {type(source).__name__}")


def detect_script(text: str) -> str:
    """The ISO 15924 code of the script most of the letters of ``text`` belong to, read
    from the Unicode character names; Han characters mixed with kana count as Japanese
    (``Jpan``). ``Zzzz`` when there are no letters of a known script.

    >>> detect_script("Всеобщая декларация"), detect_script("すべての人間は、生まれながらにして自由")
    ('Cyrl', 'Jpan')
    """
    scripts: Counter = Counter()
    for char, count in Counter(text).items():
        if unicodedata.category(char).startswith("L"):
            script = _script_of_char(char)
            if script is not None:
                scripts[script] += count
    if not scripts:
        return UNKNOWN_SCRIPT
    kana = scripts["Hira"] + scripts["Kana"]
    if kana and kana + scripts["Hani"] >= max(scripts.values()):
        return "Jpan"
    return min(scripts, key=lambda script: (-scripts[script], script))


def _script_of_char(char: str) -> Optional[str]:
    words = unicodedata.name(char, "").split()
    for length in (3, 2, 1):
        script = _SCRIPT_OF_NAME.get(" ".join(words[:length]))
        if script is not None:
            return script
    return None


def split_lines(text: str) -> tuple[str, ...]:
    """A text's lines, without line ends; a final line end does not start a new line."""
    if text.endswith("\n"):
        text = text[:-1]
    return tuple(line.rstrip("\r") for line in text.split("\n")) if text else ()


def _language(code: str, lines: tuple[str, ...], info: Mapping[str, str]) -> Language:
    script = (info.get("script") or "").strip() or detect_script("\n".join(lines))
    flag = (info.get("spaces_between_words") or "").strip().lower()
    if flag not in ("", "yes", "no", "true", "false"):
        raise ValueError(f"spaces_between_words for {code!r} is {flag!r}; write yes or no")
    spaced = flag in ("yes", "true") if flag else script not in UNSPACED_SCRIPTS
    return Language(code, lines, (info.get("name") or "").strip() or code, script, spaced)


def _from_mapping(texts: Mapping[str, Union[str, Sequence[str]]]) -> ParallelCorpus:
    languages = {}
    for code in sorted(texts):
        value = texts[code]
        if not isinstance(code, str) or not code:
            raise TypeError(f"languages must be named by non-empty str, not {code!r}")
        lines = split_lines(value) if isinstance(value, str) else tuple(value)
        if not all(isinstance(line, str) for line in lines):
            raise TypeError(f"the text of {code!r} must be a str or a list of str")
        languages[code] = _language(code, lines, {})
    if not languages:
        raise ValueError("the corpus has no languages; pass {language: text} with at least one")
    return ParallelCorpus(languages, "mapping")


def _read_index(path: Path) -> dict[str, dict[str, str]]:
    """Rows of an index.tsv by file stem."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not reader.fieldnames or "file" not in reader.fieldnames:
            raise ValueError(f"{path} has no 'file' column; it needs one naming each language's file")
        return {Path(row["file"]).stem if row["file"].endswith(".txt") else row["file"]: row for row in reader}


def _from_folder(folder: Path) -> ParallelCorpus:
    if not folder.is_dir():
        raise FileNotFoundError(f"no corpus folder {folder}; give a folder with one .txt file per language")
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise ValueError(f"{folder} holds no .txt files; a corpus folder has one .txt file per language")
    index_path = folder / "index.tsv"
    index = _read_index(index_path) if index_path.exists() else {}
    languages = {}
    for path in files:
        lines = split_lines(path.read_text(encoding="utf-8"))
        languages[path.stem] = _language(path.stem, lines, index.get(path.stem, {}))
    return ParallelCorpus(languages, str(folder))


def _bundled_sample() -> ParallelCorpus:
    from ..corpora import SAMPLE_DIR, load_sample, sample_index

    index = {row["iso639_3"]: row for row in sample_index()}
    languages = {}
    for code, text in load_sample().items():
        row = index[code]
        info = {"name": row["name"], "script": row["script"],
                "spaces_between_words": "yes" if row["spaces_between_words"] else "no"}
        languages[code] = _language(code, split_lines(text), info)
    return ParallelCorpus(languages, f"tokkit sample ({SAMPLE_DIR.name})")
