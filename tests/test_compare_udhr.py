"""On UDHR (429 languages) the OpenAI encodings show the premiums published for them
(Petrov et al., 2023): several times the English token count for Burmese, Amharic and
Tibetan, under twice for Latin-script European languages, and o200k fairer than cl100k,
itself fairer than r50k. Script detection agrees with UDHR's own index."""

from __future__ import annotations

import csv
import statistics

import pytest

import tokkit
from tokkit.compare import detect_script

from conftest import data_path, ours

HIGH = ["mya", "amh", "bod", "shn", "khm"]          # Burmese, Amharic, Tibetan, Shan, Khmer
EUROPEAN = ["fra", "deu_1996", "spa", "ita", "por_PT", "nld", "dan", "swe"]


@pytest.fixture(scope="module")
def udhr():
    return data_path("corpora", "multilingual", "udhr")


@pytest.fixture(scope="module")
def report(udhr):
    return tokkit.compare({name: ours(name) for name in ["r50k_base", "cl100k_base", "o200k_base"]}, corpus=udhr,
                          pivot="eng")


def test_every_translation_is_measured(report):
    assert len(report.languages) == 429
    assert report.measures("cl100k_base", "eng")["premium"] == 1.0


@pytest.mark.parametrize("name", ["r50k_base", "cl100k_base"])
def test_scripts_with_few_tokens_pay_several_times_english(report, name):
    premiums = report.values(name, "premium")
    for code in HIGH:
        assert premiums[code] > 5, (code, premiums[code])
    tenth = sorted(premiums.values(), reverse=True)[len(premiums) // 10]
    assert all(premiums[code] >= tenth for code in ["mya", "amh", "bod"])


@pytest.mark.parametrize("name", ["r50k_base", "cl100k_base", "o200k_base"])
def test_latin_script_european_languages_pay_little(report, name):
    for code in EUROPEAN:
        assert 1.0 < report.measures(name, code)["premium"] < 2.5, code
    if name != "r50k_base":
        assert statistics.mean(report.measures(name, code)["premium"] for code in EUROPEAN) < 1.8


def test_o200k_is_fairer_than_cl100k_which_is_fairer_than_r50k(report):
    summary = report.summaries
    for measure in ["mean_premium", "gini"]:
        assert summary["o200k_base"][measure] < summary["cl100k_base"][measure] < summary["r50k_base"][measure]
    o200k, cl100k = report.values("o200k_base", "premium"), report.values("cl100k_base", "premium")
    assert statistics.median(o200k.values()) < statistics.median(cl100k.values())
    cheaper = sum(o200k[code] <= cl100k[code] for code in o200k)
    assert cheaper / len(o200k) > 0.9
    assert all(o200k[code] < cl100k[code] for code in HIGH)


def test_byte_fallback_follows_the_premium(report):
    for code in ["mya", "bod", "amh"]:
        assert report.measures("cl100k_base", code)["byte_fallback_rate"] > 0.8
    assert report.measures("cl100k_base", "eng")["byte_fallback_rate"] == 0.0


def test_detected_scripts_agree_with_the_udhr_index(udhr):
    same = {"Hans": "Hani", "Hant": "Hani", "Kore": "Hang"}  # detection sees Han and Hangul letters
    with open(udhr / "index.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    wrong = [(row["file"], row["script"], found) for row in rows
             if (found := detect_script((udhr / f"{row['file']}.txt").read_text(encoding="utf-8")))
             != same.get(row["script"], row["script"])]
    assert wrong == []
