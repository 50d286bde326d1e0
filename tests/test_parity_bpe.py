"""Parity-aware BPE (train_bpe(..., balance_languages=True)): plain BPE for one language,
the reference trainer, fairer premiums on held-out text, determinism, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples

import tokkit
from tokkit._reference import bpe_parity_train as reference
from tokkit.compare.sweep import held_out_lines
from tokkit.corpora import sample_lines

# Tiny corpora run out of pairs before the vocabulary is full; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:the corpus has too few pairs")


def vocabulary(tok) -> tuple:
    return tuple(tok._core.vocab_tokens()), tuple(tok._core.merges())


def counts_of(words: dict[str, int]) -> tokkit.PreTokenCounts:
    counts = tokkit.PreTokenCounts(tokkit._core.PreTokenCounts(r"\S+|\s+"))
    for word, count in words.items():
        counts._core.add(word, count)
    return counts


@pytest.fixture(scope="module")
def split():
    lines = sample_lines()
    test = held_out_lines(len(lines["eng"]), 0.25)
    train = {code: [line for i, line in enumerate(ls) if i not in test] for code, ls in lines.items()}
    held = {code: [ls[i] for i in test] for code, ls in lines.items()}
    return train, held


def test_one_language_gives_plain_bpe(split):
    train, _ = split
    for code in ["eng", "jpn", "amh"]:
        plain = tokkit.train_bpe(train[code], vocab_size=400, min_frequency=1, show_progress=False)
        parity = tokkit.train_bpe({code: train[code]}, vocab_size=400, min_frequency=1, balance_languages=True,
                                  show_progress=False)
        assert vocabulary(parity) == vocabulary(plain)


def test_a_corpus_per_language_without_balance_is_plain_bpe_on_all_of_it(split):
    train, _ = split
    everything = [line for code in sorted(train) for line in train[code]]
    by_language = tokkit.train_bpe(train, vocab_size=600, show_progress=False)
    assert vocabulary(by_language) == vocabulary(tokkit.train_bpe(everything, vocab_size=600, show_progress=False))


@settings(max_examples=examples(60), deadline=None)
@given(
    languages=st.dictionaries(
        st.sampled_from(["amh", "eng", "fra", "jpn"]),
        st.dictionaries(st.text(alphabet="abcé ", min_size=1, max_size=7), st.integers(1, 5), min_size=1, max_size=8),
        min_size=1, max_size=3),
    extra=st.integers(0, 30),
    min_frequency=st.integers(1, 3),
    max_len=st.one_of(st.none(), st.integers(2, 4)),
)
def test_merges_equal_the_reference_trainer(languages, extra, min_frequency, max_len):
    tok = tokkit.train_bpe(counts={code: counts_of(words) for code, words in languages.items()},
                           vocab_size=256 + extra, min_frequency=min_frequency, max_token_length=max_len,
                           balance_languages=True, show_progress=False)
    expected_merges, expected_tokens = reference.train(languages, vocab_size=256 + extra,
                                                       min_frequency=min_frequency, max_token_length=max_len)
    tokens = tok._core.vocab_tokens()
    assert [(tokens[left], tokens[right]) for left, right in tok._core.merges()] == expected_merges
    assert tokens == expected_tokens


def _premiums(tok, held: dict[str, list[str]]) -> list[float]:
    report = tokkit.compare({"bpe": tok}, corpus=held, pivot="eng")
    return [v for v in report.values("bpe", "premium").values()]


@pytest.mark.parametrize("vocab_size", [600, 1500])
def test_parity_lowers_max_premium_and_gini_on_held_out_lines(split, vocab_size):
    train, held = split
    plain = tokkit.train_bpe(train, vocab_size=vocab_size, show_progress=False)
    parity = tokkit.train_bpe(train, vocab_size=vocab_size, balance_languages=True, show_progress=False)
    plain_premiums, parity_premiums = _premiums(plain, held), _premiums(parity, held)
    assert max(parity_premiums) < max(plain_premiums)
    assert tokkit.compare.metrics.gini(parity_premiums) < tokkit.compare.metrics.gini(plain_premiums)


def test_training_is_deterministic_whatever_the_order_or_threads(split):
    train, _ = split
    reordered = dict(reversed(list(train.items())))
    one = tokkit.train_bpe(train, vocab_size=800, balance_languages=True, threads=1, show_progress=False)
    two = tokkit.train_bpe(reordered, vocab_size=800, balance_languages=True, threads=2, show_progress=False)
    assert vocabulary(one) == vocabulary(two)


def test_a_language_given_as_files_or_text_trains_the_same(tmp_path, split):
    train, _ = split
    path = tmp_path / "fra.txt"
    path.write_text("\n".join(train["fra"]), encoding="utf-8")
    from_file = tokkit.train_bpe({"eng": train["eng"], "fra": str(path)}, vocab_size=500, balance_languages=True,
                                 show_progress=False)
    from_text = tokkit.train_bpe({"eng": train["eng"], "fra": "\n".join(train["fra"])}, vocab_size=500,
                                 balance_languages=True, show_progress=False)
    assert vocabulary(from_file) == vocabulary(from_text)


def test_balance_needs_a_corpus_per_language():
    with pytest.raises(ValueError, match=r"needs the corpus per language"):
        tokkit.train_bpe(["some text", "more text"], vocab_size=300, balance_languages=True, show_progress=False)


def test_a_language_without_text_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"no text for 'fra'"):
        tokkit.train_bpe({"eng": ["some text"], "fra": []}, vocab_size=300, balance_languages=True,
                         show_progress=False)


def test_counts_made_with_different_patterns_are_refused():
    counts = {"eng": tokkit.count_pre_tokens(["a b"], pattern="cl100k", show_progress=False),
              "fra": tokkit.count_pre_tokens(["a b"], pattern="gpt2", show_progress=False)}
    with pytest.raises(ValueError, match=r"different patterns"):
        tokkit.train_bpe(counts=counts, vocab_size=300, balance_languages=True, show_progress=False)
