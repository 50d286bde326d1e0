"""tokkit.compare's outputs: tables, Markdown, JSON, CSV, PNG figures, the HTML page, the
command line; corpora from folders, mappings and the bundled sample; sweeps."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys

import pytest

import tokkit
from tokkit.compare import MEASURES, load_corpus
from tokkit.corpora import sample_lines

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tokenizers():
    lines = sample_lines()
    return {
        "bpe": tokkit.train_bpe(lines, vocab_size=800, show_progress=False),
        "bpe-parity": tokkit.train_bpe(lines, vocab_size=800, balance_languages=True, show_progress=False),
    }


@pytest.fixture(scope="module")
def report(tokenizers):
    return tokkit.compare(tokenizers, pivot="eng")


@pytest.fixture(scope="module")
def saved(report, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    result = tokkit.compare.sweep(strategies=["bpe", "bpe-parity"], vocab_sizes=[300, 600])
    return folder, report.save(folder, sweep=result)


def test_compare_is_callable_and_holds_sweep():
    assert callable(tokkit.compare) and callable(tokkit.compare.sweep)
    assert tokkit.compare.metrics.premium(2, 1) == 2.0


def test_report_has_a_row_per_tokenizer_and_language(report):
    assert len(report.rows) == 2 * 26
    assert report.tokenizers == ["bpe", "bpe-parity"]
    assert {row["language"] for row in report.rows} == set(sample_lines())


def test_table_prints_languages_by_tokenizers_with_aggregates(report):
    text = str(report.table("premium"))
    lines = text.splitlines()
    assert lines[0] == "premium per language (pivot eng)"
    assert lines[1].split() == ["language", "name", "script", "bpe", "bpe-parity"]
    assert len(lines) == 3 + 26 + 3
    assert [line.split()[0] for line in lines[-3:]] == ["mean", "max", "gini"]
    eng = next(line for line in lines if line.startswith("eng "))
    assert eng.split()[-2:] == ["1.00", "1.00"]


def test_table_can_show_chosen_languages_in_order(report):
    table = report.table("fertility", languages=["jpn", "eng"])
    assert [row[0] for row in table.rows[:2]] == ["jpn", "eng"]
    with pytest.raises(KeyError, match="xxx"):
        report.table("premium", languages=["xxx"])


def test_unknown_measure_names_the_choices(report):
    with pytest.raises(ValueError, match="bytes_per_token"):
        report.table("compression")


def test_summary_has_one_row_per_tokenizer(report):
    summary = report.summary()
    assert [row[0] for row in summary.rows] == ["bpe", "bpe-parity"]
    assert "mean_premium" in summary.columns and "gini" in summary.columns


def test_markdown_is_a_github_table(report):
    text = report.to_markdown()
    assert "## Summary" in text and "## premium per language (pivot eng)" in text
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert all(line.endswith("|") for line in table_lines)
    assert any(re.fullmatch(r"\|(-{3}:?\|)+", line.replace("---:", "---")) for line in table_lines)


def test_json_holds_everything(report):
    document = json.loads(report.to_json())
    assert document["pivot"] == "eng" and document["alpha"] == 2.5
    assert len(document["rows"]) == 52
    assert set(document["summaries"]) == {"bpe", "bpe-parity"}
    eng = next(row for row in document["rows"] if row["language"] == "eng")
    assert eng["premium"] == 1.0


def test_csv_columns_are_tokenizer_language_script_then_measures(report, tmp_path):
    path = tmp_path / "premiums.csv"
    report.to_csv(path)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["tokenizer", "language", "script"] + MEASURES
    assert rows[0][3] == "premium"
    assert len(rows) == 1 + 52
    tha = next(row for row in rows if row[:2] == ["bpe", "tha"])
    assert tha[2] == "Thai"
    assert tha[rows[0].index("split_word_rate")] == ""          # undefined for unspaced scripts
    assert float(tha[rows[0].index("premium")]) > 0


def test_saved_figures_are_valid_pngs(saved):
    from matplotlib.image import imread

    _, written = saved
    pngs = [path for path in written if path.suffix == ".png"]
    assert {p.name for p in pngs} >= {"premiums.png", "heatmap.png", "sweep.png", "boundaries-bpe.png"}
    for path in pngs:
        assert path.read_bytes()[:8] == PNG_MAGIC
        height, width = imread(path).shape[:2]
        assert height > 100 and width > 100


def test_html_page_is_self_contained(saved):
    folder, _ = saved
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) >= 4 and all(src.startswith("data:image/png;base64,") for src in sources)
    assert "<link" not in page and "http://" not in page and "https://" not in page
    assert "Definitions" in page and "renyi_efficiency" in page and "Strategy sweep" in page
    assert 'class="tokens"' in page        # the token-boundary view as text


def test_saved_files_match_the_report(saved, report):
    folder, written = saved
    names = {path.name for path in written}
    assert {"report.md", "report.json", "report.csv", "index.html", "sweep.md", "sweep.csv"} <= names
    assert (folder / "report.md").read_text(encoding="utf-8") == report.to_markdown()


# ---- corpora ------------------------------------------------------------------------------


def test_bundled_sample_is_the_default_corpus():
    corpus = load_corpus()
    assert len(corpus) == 26 and corpus.aligned
    assert corpus["jpn"].script == "Jpan" and not corpus["jpn"].spaces_between_words
    assert corpus["amh"].name == "Amharic"


def test_folder_with_an_index(tmp_path):
    (tmp_path / "eng.txt").write_text("One line.\nTwo lines.\n", encoding="utf-8")
    (tmp_path / "tha.txt").write_text("หนึ่ง\nสอง\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("not a language", encoding="utf-8")
    (tmp_path / "index.tsv").write_text("file\tname\tscript\neng\tEnglish\tLatn\ntha\tThai\tThai\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert list(corpus.languages) == ["eng", "tha"]
    assert corpus["eng"].name == "English" and corpus["eng"].lines == ("One line.", "Two lines.")
    assert corpus["tha"].script == "Thai" and not corpus["tha"].spaces_between_words


def test_folder_without_an_index_detects_scripts(tmp_path):
    texts = {"rus": "Все люди рождаются свободными", "amh": "የሰው ልጅ ሁሉ", "kor": "모든 인간은", "jpn": "すべての人間は"}
    for code, text in texts.items():
        (tmp_path / f"{code}.txt").write_text(text + "\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert {code: corpus[code].script for code in texts} == {"rus": "Cyrl", "amh": "Ethi", "kor": "Hang",
                                                            "jpn": "Jpan"}
    assert corpus["rus"].name == "rus"


def test_empty_lines_keep_the_alignment(tmp_path):
    (tmp_path / "eng.txt").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "deu.txt").write_text("a\n\nc\n", encoding="utf-8")
    assert load_corpus(tmp_path)["deu"].lines == ("a", "", "c")


def test_a_mapping_of_texts_or_lines():
    corpus = load_corpus({"fra": "Bonjour\nle monde\n", "eng": ["Hello", "the world"]})
    assert list(corpus.languages) == ["eng", "fra"]
    assert corpus["fra"].lines == ("Bonjour", "le monde") and corpus["fra"].script == "Latn"


def test_a_missing_pivot_suggests_the_corpus_names(tokenizers):
    with pytest.raises(ValueError, match=r"deu_1901, deu_1996"):
        tokkit.compare(tokenizers, corpus={"deu_1901": "x", "deu_1996": "y", "eng": "z"}, pivot="deu")


def test_bad_corpora_say_what_to_pass(tmp_path):
    with pytest.raises(FileNotFoundError, match="one .txt file per language"):
        load_corpus(tmp_path / "missing")
    with pytest.raises(ValueError, match="no .txt files"):
        load_corpus(tmp_path)
    with pytest.raises(TypeError, match="not a tokkit Tokenizer"):
        tokkit.compare({"x": object()})


# ---- sweeps -------------------------------------------------------------------------------


def test_sweep_measures_each_strategy_at_each_size_on_held_out_lines():
    result = tokkit.compare.sweep(strategies=["bpe", "bpe-parity"], vocab_sizes=[300, 600])
    assert [(p["strategy"], p["vocab_size"]) for p in result.points] == [
        ("bpe", 300), ("bpe", 600), ("bpe-parity", 300), ("bpe-parity", 600)]
    assert result.held_out == [3, 7, 11]
    assert all(p["actual_vocab_size"] <= p["vocab_size"] for p in result.points)
    larger = {p["strategy"]: p["bytes_per_token"] for p in result.points if p["vocab_size"] == 600}
    smaller = {p["strategy"]: p["bytes_per_token"] for p in result.points if p["vocab_size"] == 300}
    assert all(larger[s] > smaller[s] for s in larger)
    assert "bpe-parity" in str(result.table())


def test_a_strategy_this_build_lacks_is_named(monkeypatch):
    monkeypatch.delattr(tokkit.training, "train_unigram", raising=False)
    with pytest.raises(ValueError, match=r"no tokkit.train_unigram"):
        tokkit.compare.sweep(strategies=["unigram"], vocab_sizes=[300])
    assert "unigram" not in tokkit.compare.available_strategies()
    with pytest.raises(ValueError, match=r"unknown strategies 'sentencepiece'"):
        tokkit.compare.sweep(strategies=["sentencepiece"])


# ---- the command line ---------------------------------------------------------------------


def tokkit_command(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tokkit", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_compare_command_writes_everything_with_no_tokenizer_given(tmp_path):
    done = tokkit_command("compare", "--out", str(tmp_path / "out"), "--vocab-sizes", "300,600")
    assert done.returncode == 0, done.stderr
    assert "mean_premium" in done.stdout and "bpe-parity" in done.stdout
    assert (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "sweep.png").exists()


def test_compare_command_with_named_tokenizers(tmp_path, tokenizers):
    tokenizers["bpe"].save(tmp_path / "mine.json")
    done = tokkit_command("compare", "--tokenizer", f"mine={tmp_path / 'mine.json'}", "--pivot", "fra",
                          "--no-sweep", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "report.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {row["tokenizer"] for row in rows} == {"mine"}
    assert next(row for row in rows if row["language"] == "fra")["premium"] == "1.0"


def test_compare_command_errors_are_short(tmp_path):
    bad_spec = tokkit_command("compare", "--tokenizer", "=x", "--out", str(tmp_path))
    assert bad_spec.returncode == 2 and "NAME=PATH" in bad_spec.stderr
    bad_pivot = tokkit_command("compare", "--pivot", "xx", "--no-sweep", "--out", str(tmp_path))
    assert bad_pivot.returncode == 1 and "pivot" in bad_pivot.stderr and "Traceback" not in bad_pivot.stderr
