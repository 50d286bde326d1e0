"""BPE training: determinism, the reference trainer, counts, formats, corpora, bad input."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokkit
from tokkit._reference import bpe_train as reference

from conftest import data_path, examples


def vocabulary(tok) -> tuple:
    core = tok._core
    return tuple(core.vocab_tokens()), tuple(core.merges())


@pytest.fixture(scope="module")
def shakespeare():
    return data_path("corpora", "mono", "tinyshakespeare.txt")


def test_training_is_deterministic_whatever_the_thread_count(shakespeare):
    one = tokkit.train_bpe(shakespeare, vocab_size=3000, threads=1, show_progress=False)
    two = tokkit.train_bpe(shakespeare, vocab_size=3000, threads=2, show_progress=False)
    again = tokkit.train_bpe(shakespeare, vocab_size=3000, threads=2, show_progress=False)
    assert vocabulary(one) == vocabulary(two) == vocabulary(again)
    assert one.vocab_size == 3000


@pytest.mark.filterwarnings("ignore:the corpus has too few pairs")  # small corpora run out of pairs by design
@settings(max_examples=examples(60), deadline=None)
@given(
    words=st.dictionaries(st.text(alphabet="abcé ", min_size=1, max_size=8), st.integers(1, 6), min_size=1, max_size=12),
    extra=st.integers(0, 40),
    max_len=st.one_of(st.none(), st.integers(2, 4)),
)
def test_merges_equal_the_reference_trainer(words, extra, max_len):
    counts = tokkit.PreTokenCounts(tokkit._core.PreTokenCounts(r"\S+|\s+"))
    for word, count in words.items():
        counts._core.add(word, count)
    tok = tokkit.train_bpe(counts=counts, vocab_size=256 + extra, min_frequency=1, max_token_length=max_len,
                           show_progress=False)
    expected_merges, expected_tokens = reference.train(words, vocab_size=256 + extra, max_token_length=max_len)
    tokens = tok._core.vocab_tokens()
    assert [(tokens[l], tokens[r]) for l, r in tok._core.merges()] == expected_merges
    assert tokens == expected_tokens


@pytest.mark.filterwarnings("ignore:the corpus has too few pairs")
def test_training_from_counts_equals_training_from_text(tmp_path):
    texts = [f"line {i} of the corpus, with words like tokenizer and tokens {i % 7}\n" for i in range(400)]
    shards = [tmp_path / "a.txt", tmp_path / "b.txt"]
    shards[0].write_text("".join(texts[:200]))
    shards[1].write_text("".join(texts[200:]))
    direct = tokkit.train_bpe([str(s) for s in shards], vocab_size=400, show_progress=False)
    first = tokkit.count_pre_tokens(shards[0], show_progress=False)
    second = tokkit.count_pre_tokens(shards[1], show_progress=False)
    first.save(tmp_path / "first.json")
    total = tokkit.PreTokenCounts.load(tmp_path / "first.json") + second
    from_counts = tokkit.train_bpe(counts=total, vocab_size=400, show_progress=False)
    assert vocabulary(direct) == vocabulary(from_counts)
    assert total[" tokenizer"] == 400


def test_trained_tokenizer_saves_as_tokenizer_json_that_hf_encodes_identically(shakespeare, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokkit.train_bpe(shakespeare, vocab_size=4000, special_tokens=["<|end|>", "<pad>"], show_progress=False)
    path = tmp_path / "tokenizer.json"
    tok.save(path)
    hf = tokenizers.Tokenizer.from_file(str(path))
    held_out = data_path("corpora", "mono", "botchan_en.txt").read_text()
    lines = held_out.splitlines(keepends=True)[:2000] + ["numbers 1234567 and 'll 've", "x<|end|>y <pad>"]
    for line in lines:
        assert hf.encode(line).ids == tok.encode(line, allowed_special="all"), line
    assert hf.get_vocab_size() == tok.vocab_size


def test_trained_tokenizer_saves_as_tiktoken_that_tiktoken_encodes_identically(shakespeare, tmp_path):
    tiktoken = pytest.importorskip("tiktoken")
    from conftest import read_ranks

    tok = tokkit.train_bpe(shakespeare, vocab_size=3000, special_tokens=["<|end|>"], show_progress=False)
    path = tmp_path / "mine.tiktoken"
    tok.save(path)
    meta = json.loads((tmp_path / "mine.tiktoken.json").read_text())
    enc = tiktoken.Encoding(name="mine", pat_str=meta["pattern"], mergeable_ranks=read_ranks(path),
                            special_tokens=meta["special_tokens"])
    text = data_path("corpora", "mono", "botchan_en.txt").read_text()
    assert enc.encode(text, allowed_special="all") == tok.encode(text, allowed_special="all")
    assert tokkit.load(path).encode(text) == tok.encode(text)


def test_native_format_round_trips_a_trained_tokenizer(tmp_path):
    tok = tokkit.train_bpe(["some text to learn from\n" * 20], vocab_size=300, show_progress=False)
    tok.save(tmp_path / "tok.json")
    assert vocabulary(tokkit.load(tmp_path / "tok.json")) == vocabulary(tok)


def test_corpus_can_be_globs_gzip_jsonl_or_an_iterable(tmp_path):
    text = "the quick brown fox jumps over the lazy dog\n" * 50
    (tmp_path / "plain.txt").write_text(text)
    with gzip.open(tmp_path / "zipped.txt.gz", "wt") as f:
        f.write(text)
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps({"text": line}) + "\n" for line in text.splitlines(True)))
    reference_counts = tokkit.count_pre_tokens(iter([text]), show_progress=False)
    for corpus in [tmp_path / "plain.txt", str(tmp_path / "*.gz"), [str(tmp_path / "docs.jsonl")], [text]]:
        counts = tokkit.count_pre_tokens(corpus, show_progress=False)
        assert counts.items() == reference_counts.items(), corpus


def test_min_frequency_and_max_token_length_are_respected():
    with pytest.warns(UserWarning, match="too few pairs"):
        tok = tokkit.train_bpe(["aaaa bbbb " * 30 + "rare"], vocab_size=400, max_token_length=3, show_progress=False)
    assert all(len(t) <= 3 for t in tok._core.vocab_tokens())
    with pytest.warns(UserWarning, match="too few pairs"):
        tok = tokkit.train_bpe(["ab ab ab cd"], vocab_size=400, min_frequency=3, show_progress=False)
    tokens = tok._core.vocab_tokens()
    assert b"ab" in tokens or b" ab" in tokens
    assert b"cd" not in tokens and b" cd" not in tokens


def test_progress_bars_stay_silent_when_stderr_is_not_a_terminal(shakespeare, capsys):
    tokkit.train_bpe(shakespeare, vocab_size=300)
    assert capsys.readouterr().err == ""


def test_bad_corpora_and_options_raise_clear_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="no text to train on"):
        tokkit.train_bpe(empty, vocab_size=300, show_progress=False)
    with pytest.raises(ValueError, match="vocab_size 100 is too small.*at least 258"):
        tokkit.train_bpe(["text"], vocab_size=100, special_tokens=["<a>", "<b>"], show_progress=False)
    with pytest.raises(FileNotFoundError, match="no such corpus file"):
        tokkit.train_bpe(tmp_path / "absent.txt", vocab_size=300, show_progress=False)
    with pytest.raises(FileNotFoundError, match="no files match"):
        tokkit.train_bpe(str(tmp_path / "*.nothing"), vocab_size=300, show_progress=False)
    with pytest.raises(ValueError, match="given more than once"):
        tokkit.train_bpe(["text"], vocab_size=300, special_tokens=["<a>", "<a>"], show_progress=False)
    with pytest.raises(TypeError, match="did you mean"):
        tokkit.train_bpe(["text"], vocab_size=300, special_tokens="<a>", show_progress=False)


def test_invalid_utf8_names_the_file_and_offset_unless_replaced(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"good text\nbad \xff byte\n")
    with pytest.raises(ValueError, match=r"bad.txt: invalid UTF-8 at byte 14.*errors=\"replace\""):
        tokkit.train_bpe(bad, vocab_size=300, show_progress=False)
    tok = tokkit.train_bpe(bad, vocab_size=300, errors="replace", show_progress=False)
    assert tok.vocab_size <= 300


def test_ctrl_c_stops_training_promptly(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    corpus = data_path("corpora", "mono", "gutenberg_en_100M.txt")
    script = f"import tokkit; tokkit.train_bpe([{str(corpus)!r}] * 20, vocab_size=100_000, show_progress=False)"
    # A shell running this in the background would pass SIGINT on as ignored; restore it.
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(2.0)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert time.monotonic() - sent < 5, "training went on long after Ctrl-C"
    assert child.returncode != 0 and "KeyboardInterrupt" in err
