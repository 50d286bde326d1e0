"""Character, word and WordPiece tokenizers: training, encoding, determinism, and
tokenizer.json files that HF tokenizers loads with the same ids."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokkit

from conftest import data_path, examples

STRATEGIES = {
    "char": lambda corpus, **kw: tokkit.train_char(corpus, **kw),
    "char-graphemes": lambda corpus, **kw: tokkit.train_char(corpus, graphemes=True, **kw),
    "char-unk": lambda corpus, **kw: tokkit.train_char(corpus, byte_fallback=False, **kw),
    "word": lambda corpus, **kw: tokkit.train_word(corpus, vocab_size=5000, lowercase=True, nfkc=True, **kw),
    "word-regex": lambda corpus, **kw: tokkit.train_word(corpus, vocab_size=5000, pattern=r"\w+|[^\w\s]", **kw),
    "wordpiece": lambda corpus, **kw: tokkit.train_wordpiece(corpus, vocab_size=4000, **kw),
}


def corpus():
    return data_path("corpora", "mono", "tinyshakespeare.txt")


@functools.cache
def trained(strategy: str) -> tokkit.Tokenizer:
    return STRATEGIES[strategy](corpus(), special_tokens=["<s>"] if strategy != "wordpiece" else
                                ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], show_progress=False)


def vocabulary(tok) -> list:
    return [tok.id_to_token(i) for i in range(tok.vocab_size)]


def test_char_model_keeps_frequent_characters_and_falls_back_to_bytes():
    tok = trained("char")
    assert vocabulary(tok)[:2] == ["<s>", "<0x00>"]
    assert tok.tokens("To be") == ["T", "o", " ", "b", "e"]
    assert tok.tokens("中") == ["<0xE4>", "<0xB8>", "<0xAD>"]
    assert tok.decode(tok.encode("To be, 中文")) == "To be, 中文"


def test_char_model_without_byte_fallback_gives_unknown():
    tok = trained("char-unk")
    assert tok.tokens("a中") == ["a", "<unk>"]


def test_grapheme_clusters_are_one_token_when_known():
    tok = tokkit.train_char(["e\u0301te\u0301 e\u0301"], graphemes=True, character_coverage=1.0, show_progress=False)
    assert tok.tokens("e\u0301t") == ["e\u0301", "t"]
    assert tokkit.train_char(["e\u0301t"], show_progress=False, character_coverage=1.0).tokens("e\u0301") == ["e", "\u0301"]


def test_word_model_keeps_the_most_frequent_words():
    tok = trained("word")
    words = vocabulary(tok)
    assert words[:2] == ["<unk>", "<s>"] and len(words) == 5000
    assert tok.tokens("The KING, ﬁne") == ["the", "king", ",", "fine"]
    assert tok.tokens("zyzzyva") == ["<unk>"]
    assert tok.decode(tok.encode("the king ,")) == "the king ,"


def test_word_regex_cuts_what_it_matches():
    tok = trained("word-regex")
    assert tok.tokens("king's!!") == ["king", "'", "s", "!", "!"]


def test_wordpiece_learns_bert_style_continuations():
    tok = trained("wordpiece")
    tokens = vocabulary(tok)
    assert tokens[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert any(t.startswith("##") for t in tokens)
    pieces = tok.tokens("Unrighteousness!")
    assert pieces[0] == "un" or not pieces[0].startswith("##")
    assert all(p.startswith("##") for p in pieces[1:-1]) and pieces[-1] == "!"
    assert tok.decode(tok.encode("To be, or not to be!")) == "to be, or not to be!"
    assert tok.tokens("x" * 101) == ["[UNK]"]


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_training_is_deterministic_whatever_the_thread_count(strategy, tmp_path):
    texts = []
    for threads in (1, 2):
        tok = STRATEGIES[strategy](corpus(), threads=threads, show_progress=False)
        tok.save(tmp_path / "tokenizer.json")
        texts.append((tmp_path / "tokenizer.json").read_text(encoding="utf-8"))
    assert texts[0] == texts[1]


def held_out() -> list[str]:
    folder = data_path("corpora", "multilingual", "udhr")
    texts = [p.read_text(encoding="utf-8")[:1500] for p in sorted(folder.glob("*.txt"))[::6]]
    return texts + ["  spaces  and\ttabs\n\n<s> [CLS] x", "", "e\u0301 👍🏽 क्षि ²①"]


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_saved_tokenizer_json_gives_hf_the_same_ids_tokens_and_offsets(strategy, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    tok = trained(strategy)
    tok.save(tmp_path / "tokenizer.json")
    hf = tokenizers.Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    reloaded = tokkit.load(tmp_path / "tokenizer.json")
    for text in held_out():
        expected = hf.encode(text)
        assert tok.encode_with_offsets(text) == (expected.ids, expected.offsets), text[:80]
        assert tok.tokens(text) == expected.tokens
        assert reloaded.encode(text) == expected.ids
        assert tok.decode(expected.ids) == hf.decode(expected.ids, skip_special_tokens=False)

    @settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=st.text())
    def same_on_any_text(text):
        assert tok.encode(text) == hf.encode(text).ids

    same_on_any_text()


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text())
def test_char_model_with_byte_fallback_decodes_any_text_back(text):
    tok = trained("char")
    assert tok.decode(tok.encode(text, allowed_special=())) == text


def test_documents_can_come_from_an_iterable():
    documents = (f"line {i % 7} of words\n" for i in range(200))
    tok = tokkit.train_word(documents, vocab_size=10, show_progress=False)
    assert tok.tokens("line 3 of") == ["line", "3", "of"]


def test_bad_options_raise_clear_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="no text to train on"):
        tokkit.train_char(empty, show_progress=False)
    with pytest.raises(ValueError, match="character_coverage"):
        tokkit.train_char(corpus(), character_coverage=0, show_progress=False)
    with pytest.raises(ValueError, match="vocab_size must be an int of at least 2"):
        tokkit.train_word(corpus(), vocab_size=1, show_progress=False)
    with pytest.raises(ValueError, match="vocab_size 50 is too small"):
        tokkit.train_wordpiece(corpus(), vocab_size=50, show_progress=False)
    with pytest.warns(UserWarning, match="could not fill"):
        tokkit.train_word(["a b c"], vocab_size=100, show_progress=False)


@pytest.mark.parametrize("command", [
    ["char"],
    ["char", "--graphemes", "--no-byte-fallback"],
    ["word", "--vocab-size", "100", "--lowercase"],
    ["wordpiece", "--vocab-size", "200"],
    ["bpe", "--vocab-size", "400", "--char-level", "--byte-fallback"],
])
def test_the_command_trains_every_strategy(command, tmp_path):
    from test_cli import run_cli as run

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. the dog sat on the log.\n" * 200)
    out = tmp_path / "tokenizer.json"
    done = run("train", command[0], str(corpus), *command[1:], "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    encoded = run("encode", "-t", str(out), "the cat sat")
    assert encoded.returncode == 0, encoded.stderr
    decoded = run("decode", "-t", str(out), input=encoded.stdout)
    assert decoded.stdout.strip() == "the cat sat"
    assert run("inspect", str(out)).returncode == 0


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(word=st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=14))
def test_wordpiece_encoding_equals_the_reference(word):
    from tokkit._reference import wordpiece as reference

    tok = trained("wordpiece")
    vocab = {t: i for i, t in enumerate(vocabulary(tok))}
    normalized = word.replace("é", "e")  # BERT's normalizer strips accents
    assert tok.encode(word, add_special_tokens=False) == reference.encode(vocab, normalized)
