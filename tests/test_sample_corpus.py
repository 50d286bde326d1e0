"""Checks for the bundled parallel sample corpus (tokkit/corpora/sample)."""

import unicodedata

import pytest

from tokkit.corpora import SAMPLE_DIR, load_sample, sample_index, sample_lines

# ISO 15924 code -> prefixes of unicodedata.name() for letters of that script.
SCRIPT_PREFIXES = {
    "Latn": ("LATIN",),
    "Cyrl": ("CYRILLIC",),
    "Grek": ("GREEK",),
    "Arab": ("ARABIC",),
    "Hebr": ("HEBREW",),
    "Deva": ("DEVANAGARI",),
    "Beng": ("BENGALI",),
    "Taml": ("TAMIL",),
    "Hani": ("CJK UNIFIED",),
    "Hans": ("CJK UNIFIED",),
    "Hant": ("CJK UNIFIED",),
    "Jpan": ("CJK UNIFIED", "HIRAGANA", "KATAKANA"),
    "Hang": ("HANGUL",),
    "Kore": ("HANGUL", "CJK UNIFIED"),
    "Thai": ("THAI",),
    "Khmr": ("KHMER",),
    "Mymr": ("MYANMAR",),
    "Ethi": ("ETHIOPIC",),
    "Geor": ("GEORGIAN",),
    "Armn": ("ARMENIAN",),
    "Tibt": ("TIBETAN",),
}

INDEX = sample_index()
TEXTS = load_sample()
LINES = sample_lines()


def _letters(text):
    return [ch for ch in text if unicodedata.category(ch).startswith("L")]


def test_enough_languages_scripts_and_unspaced_languages():
    assert len(INDEX) >= 20
    assert len({row["script"] for row in INDEX}) >= 12
    assert sum(not row["spaces_between_words"] for row in INDEX) >= 3


def test_index_matches_files_on_disk():
    on_disk = sorted(p.name for p in SAMPLE_DIR.glob("*.txt"))
    listed = [row["file"] for row in INDEX]
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)
    for row in INDEX:
        assert row["file"] == row["iso639_3"] + ".txt"
        assert row["direction"] in ("ltr", "rtl")
        assert isinstance(row["spaces_between_words"], bool)
        assert row["name"].strip()


def test_load_sample_keys_match_index():
    assert list(TEXTS) == sorted(TEXTS)
    assert set(TEXTS) == {row["iso639_3"] for row in INDEX}
    assert set(LINES) == set(TEXTS)


def test_lines_aligned_and_clean():
    counts = {code: len(lines) for code, lines in LINES.items()}
    assert len(set(counts.values())) == 1, counts
    assert 12 <= counts["eng"] <= 16
    for code, text in TEXTS.items():
        assert text.endswith("\n") and not text.endswith("\n\n"), code
        assert "\r" not in text, code
        for i, line in enumerate(LINES[code], 1):
            assert line.strip(), f"{code}:{i} is empty"
            assert line == line.rstrip(), f"{code}:{i} has trailing whitespace"
            assert line == line.lstrip(), f"{code}:{i} has leading whitespace"


def test_numbers_survive_translation():
    # Every translation keeps the digits of line 3 (two years) in some form.
    for code, lines in LINES.items():
        digits = "".join(str(unicodedata.digit(ch)) for ch in lines[2] if unicodedata.category(ch) == "Nd")
        assert "1898" in digits and "1998" in digits, code


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_text_is_nfc(code):
    assert unicodedata.is_normalized("NFC", TEXTS[code])


@pytest.mark.parametrize("row", INDEX, ids=lambda r: r["iso639_3"])
def test_declared_script_is_plausible(row):
    assert row["script"] in SCRIPT_PREFIXES, f"unknown script code {row['script']}"
    prefixes = SCRIPT_PREFIXES[row["script"]]
    letters = _letters(TEXTS[row["iso639_3"]])
    assert letters
    matching = sum(unicodedata.name(ch, "").startswith(prefixes) for ch in letters)
    assert matching / len(letters) > 0.5, (row["iso639_3"], matching, len(letters))
    if row["script"] == "Jpan":
        kana = sum(unicodedata.name(ch, "").startswith(("HIRAGANA", "KATAKANA")) for ch in letters)
        assert kana > 0
    if row["script"] in ("Hani", "Hans", "Hant"):
        kana = sum(unicodedata.name(ch, "").startswith(("HIRAGANA", "KATAKANA")) for ch in letters)
        assert kana == 0


def test_direction_matches_script():
    for row in INDEX:
        rtl = row["script"] in ("Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm")
        assert (row["direction"] == "rtl") == rtl, row["iso639_3"]

