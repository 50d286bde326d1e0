"""Properties every comparison has, on generated parallel corpora: the pivot's premium is
1, line order does not matter, and a language's numbers do not depend on the others."""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import examples

import tokkit
from tokkit.corpora import sample_lines

# Letters of several scripts, spaced and not, with spaces and punctuation between them.
ALPHABET = list("abcdeéz  ,.'-") + list("ሰላም፡") + list("日本語") + list("ไทย") + list("मनुष्य") + ["\u200c"]
LINE = st.text(alphabet=st.sampled_from(ALPHABET), max_size=24)


@pytest.fixture(scope="module")
def tokenizers():
    return {"bpe": tokkit.train_bpe(sample_lines(), vocab_size=600, show_progress=False),
            "o200k-pattern": tokkit.train_bpe(sample_lines(), vocab_size=400, pattern="o200k", show_progress=False)}


@st.composite
def parallel_corpora(draw, min_languages=1, max_languages=4):
    """{language: lines}, every language with the same number of lines (some empty)."""
    n_lines = draw(st.integers(1, 6))
    codes = draw(st.lists(st.sampled_from(["eng", "fra", "amh", "jpn", "tha", "hin", "zzz"]), min_size=min_languages,
                          max_size=max_languages, unique=True))
    return {code: draw(st.lists(LINE, min_size=n_lines, max_size=n_lines)) for code in codes}


def rows(report) -> dict:
    return {(row["tokenizer"], row["language"]): row for row in report.rows}


SETTINGS = settings(max_examples=examples(40), deadline=None)


@SETTINGS
@given(corpus=parallel_corpora(), data=st.data())
def test_the_pivot_premium_is_one(tokenizers, corpus, data):
    pivot = data.draw(st.sampled_from(sorted(corpus)))
    assume(any(corpus[pivot]))
    report = tokkit.compare(tokenizers, corpus=corpus, pivot=pivot)
    for name in tokenizers:
        assert report.measures(name, pivot)["premium"] == 1.0


@SETTINGS
@given(corpus=parallel_corpora(), seed=st.integers(0, 2**32 - 1))
def test_measures_do_not_depend_on_line_order(tokenizers, corpus, seed):
    pivot = sorted(corpus)[0]
    order = list(range(len(corpus[pivot])))
    random.Random(seed).shuffle(order)
    shuffled = {code: [lines[i] for i in order] for code, lines in corpus.items()}
    before = tokkit.compare(tokenizers, corpus=corpus, pivot=pivot)
    after = tokkit.compare(tokenizers, corpus=shuffled, pivot=pivot)
    assert rows(after) == rows(before)
    assert after.summaries == before.summaries


@SETTINGS
@given(corpus=parallel_corpora(), seed=st.integers(0, 2**32 - 1))
def test_without_empty_lines_each_language_may_be_shuffled_apart(tokenizers, corpus, seed):
    assume(all(all(lines) for lines in corpus.values()))
    pivot = sorted(corpus)[0]
    rng = random.Random(seed)
    shuffled = {code: rng.sample(lines, len(lines)) for code, lines in corpus.items()}
    assert rows(tokkit.compare(tokenizers, corpus=shuffled, pivot=pivot)) == \
        rows(tokkit.compare(tokenizers, corpus=corpus, pivot=pivot))


@SETTINGS
@given(corpus=parallel_corpora(min_languages=2), extra_lines=st.data())
def test_adding_a_language_changes_no_other_numbers(tokenizers, corpus, extra_lines):
    pivot = sorted(corpus)[0]
    n_lines = len(corpus[pivot])
    extra = extra_lines.draw(st.lists(LINE, min_size=n_lines, max_size=n_lines))
    smaller = tokkit.compare(tokenizers, corpus=corpus, pivot=pivot)
    larger = tokkit.compare(tokenizers, corpus={**corpus, "new": extra}, pivot=pivot)
    larger_rows = rows(larger)
    for key, row in rows(smaller).items():
        assert larger_rows[key] == row
