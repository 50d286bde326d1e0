"""BPE over characters (SentencePiece style): train_char_bpe."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokkit
from tokkit._reference import char_bpe_train as reference

from conftest import data_path, examples


@pytest.fixture(scope="module")
def shakespeare():
    return data_path("corpora", "mono", "tinyshakespeare.txt")


@pytest.fixture(scope="module")
def with_bytes(shakespeare):
    return tokkit.train_char_bpe(shakespeare, vocab_size=3000, byte_fallback=True,
                                 special_tokens=["<s>", "</s>"], show_progress=False)


def vocabulary(tok) -> list[str]:
    return [tok.id_to_token(i) for i in range(tok.vocab_size)]


def test_words_start_with_the_space_mark_and_merges_never_cross_them(with_bytes):
    tokens = vocabulary(with_bytes)
    assert tokens[:3] == ["<unk>", "<s>", "</s>"]
    assert tokens[3:259] == [f"<0x{b:02X}>" for b in range(256)]
    assert all("▁" not in t[1:] for t in tokens)
    assert "▁the" in tokens
    assert with_bytes.tokens("the king") == ["▁the", "▁king"]


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text())
def test_byte_fallback_decodes_any_text_back(with_bytes, text):
    assert with_bytes.decode(with_bytes.encode(text, allowed_special=())) == text


def test_characters_outside_the_vocabulary_become_bytes_or_unknown(shakespeare, with_bytes):
    assert with_bytes.tokens("中")[-3:] == ["<0xE4>", "<0xB8>", "<0xAD>"]
    without = tokkit.train_char_bpe(shakespeare, vocab_size=2000, show_progress=False)
    assert without.tokens("a 中中 b") == ["▁a", "▁", "<unk>", "▁b"]
    assert without.vocab_size == 2000


def test_character_coverage_leaves_rare_characters_to_bytes(shakespeare):
    covered = tokkit.train_char_bpe(shakespeare, vocab_size=1000, byte_fallback=True,
                               character_coverage=0.99, show_progress=False)
    everything = tokkit.train_char_bpe(shakespeare, vocab_size=1000, byte_fallback=True,
                                  show_progress=False)
    single_chars = lambda tok: {t for t in vocabulary(tok) if len(t) == 1}  # noqa: E731
    assert single_chars(covered) < single_chars(everything)
    assert "Z" in single_chars(everything) and "Z" not in single_chars(covered)
    assert covered.decode(covered.encode("Zounds!")) == "Zounds!"


def test_training_is_deterministic_whatever_the_thread_count(shakespeare, tmp_path):
    files = []
    for threads in (1, 2):
        tok = tokkit.train_char_bpe(shakespeare, vocab_size=2000, byte_fallback=True, threads=threads,
                               show_progress=False)
        tok.save(tmp_path / f"{threads}.json")
        files.append((tmp_path / f"{threads}.json").read_text(encoding="utf-8"))
    assert files[0] == files[1]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    words=st.dictionaries(st.text(alphabet="abcé", min_size=1, max_size=6), st.integers(1, 5), min_size=1, max_size=10),
    extra=st.integers(0, 20),
)
def test_learned_tokens_equal_the_reference_trainer(words, extra):
    documents = [" ".join([word] * count) for word, count in words.items()]
    expected_words = {"▁" + word: count for word, count in words.items()}
    alphabet = 1 + len({c for w in expected_words for c in w})
    size = alphabet + extra
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small corpora cannot fill the vocabulary
        tok = tokkit.train_char_bpe(documents, vocab_size=size, min_frequency=1, show_progress=False)
    assert vocabulary(tok) == reference.train(expected_words, vocab_size=size)


def test_saves_a_phi3_shaped_tokenizer_json_that_hf_encodes_identically(with_bytes, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    path = tmp_path / "tokenizer.json"
    with_bytes.save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [n["type"] for n in document["normalizer"]["normalizers"]] == ["Prepend", "Replace"]
    assert document["model"]["byte_fallback"] and document["model"]["fuse_unk"]
    assert [d["type"] for d in document["decoder"]["decoders"]] == ["Replace", "ByteFallback", "Fuse", "Strip"]
    hf = tokenizers.Tokenizer.from_file(str(path))
    reloaded = tokkit.load(path)
    folder = data_path("corpora", "multilingual", "udhr")
    texts = [p.read_text(encoding="utf-8")[:2000] for p in sorted(folder.glob("*.txt"))[::4]]
    texts += ["  two  spaces\n\nand lines\t<s>x</s>", "", "é😀中"]
    for text in texts:
        expected = hf.encode(text)
        assert with_bytes.encode_with_offsets(text) == (expected.ids, expected.offsets), text[:80]
        assert reloaded.encode(text) == expected.ids
        assert with_bytes.decode(expected.ids) == hf.decode(expected.ids, skip_special_tokens=False)


def test_options_that_belong_to_the_other_family_are_refused(shakespeare):
    with pytest.raises(TypeError, match="pattern"):
        tokkit.train_char_bpe(shakespeare, vocab_size=1000, pattern="cl100k")
    with pytest.raises(TypeError, match="byte_fallback"):
        tokkit.train_bpe(shakespeare, vocab_size=1000, byte_fallback=True)
    counts = tokkit.count_pre_tokens(["some text"], show_progress=False)
    with pytest.raises(TypeError, match="counts"):
        tokkit.train_char_bpe(counts=counts, vocab_size=1000)
    with pytest.raises(ValueError, match="vocab_size 100 is too small.*character_coverage"):
        tokkit.train_char_bpe(shakespeare, vocab_size=100, byte_fallback=True)
