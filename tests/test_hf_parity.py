"""HuggingFace tokenizer.json files: tokkit gives HF tokenizers' ids, tokens and offsets.

Every file in $TOKKIT_DATA/vocab/hf is checked on all UDHR translations, on Python source
and on generated text, with llama.cpp's test vectors where they exist, and through save →
load round trips in both libraries.
"""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tokkit

from conftest import data_path, examples

HF_FILES = ["roberta-base", "falcon", "phi-3-mini", "llama3", "t5-small", "bert-base-uncased"]
LLAMA_CPP = {"phi-3": "phi-3-mini", "falcon": "falcon", "bert-bge": "bert-base-uncased", "llama-bpe": "llama3"}


@functools.cache
def hf(name: str):
    tokenizers = pytest.importorskip("tokenizers")
    return tokenizers.Tokenizer.from_file(str(data_path("vocab", "hf", name, "tokenizer.json")))


def ours(name: str) -> tokkit.Tokenizer:
    return _ours(str(data_path("vocab", "hf", name, "tokenizer.json")))


@functools.cache
def _ours(path: str) -> tokkit.Tokenizer:
    return tokkit.load(path)


@functools.cache
def udhr() -> list[str]:
    folder = data_path("corpora", "multilingual", "udhr")
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]


@functools.cache
def code() -> list[str]:
    with open(data_path("corpora", "code", "python_stdlib_3.11.7.txt"), encoding="utf-8") as f:
        text = f.read(300_000)
    return [text[i : i + 2000] for i in range(0, len(text), 2000)] + [text]


def assert_same_encodings(name: str, texts: list[str], **options) -> None:
    """ids, tokens and offsets of every text equal HF's."""
    tok = ours(name)
    expected = hf(name).encode_batch(texts, **options)
    for text, e in zip(texts, expected):
        ids, offsets = tok.encode_with_offsets(text, **options)
        assert ids == e.ids, (name, text[:200])
        # Ids alone take another path (a byte-level splitter's pieces straight to the model).
        assert tok.encode(text, **options) == e.ids, (name, text[:200])
        assert tok.tokens(text, **options) == e.tokens, (name, text[:200])
        assert offsets == e.offsets, (name, text[:200])


@pytest.mark.parametrize("name", HF_FILES)
def test_every_udhr_translation_encodes_as_in_hf(name):
    assert_same_encodings(name, udhr())


@pytest.mark.parametrize("name", HF_FILES)
def test_python_source_encodes_as_in_hf(name):
    assert_same_encodings(name, code())


@pytest.mark.parametrize("name", HF_FILES)
def test_without_special_tokens_encodes_as_in_hf(name):
    assert_same_encodings(name, udhr()[:40], add_special_tokens=False)


def _added_tokens(name: str) -> list[str]:
    document = json.loads(data_path("vocab", "hf", name, "tokenizer.json").read_text(encoding="utf-8"))
    return [t["content"] for t in document["added_tokens"]][:30]


# Text built from pieces that stress each stage: added tokens, whitespace runs, controls,
# combining marks, CJK, emoji, digits, bytes some vocabularies lack.
TRICKY = [" ", "  ", "\n", "\r\n", "\t", " \n ", "\u3000", "\xa0", "é", "e\u0301", "中文", "😀", "👍🏽", "\x0b", "\x00",
          "\ufffd", "İ", "ß", "ﬁ", "①", "²", "¼", "123456", "'s", "'LL", "▁", "Ġ", "##", "<0x41>", "ǅ", "\u200d",
          # Prose and code, with runs longer than the 64 bytes the splitters' masks see at once.
          " the cat's", "HTTPServer", "x = f(1)\n", "    return", " //", "a" * 70, " " * 70, "-" * 70, "\n" * 70]


@pytest.mark.parametrize("name", HF_FILES)
def test_generated_text_encodes_as_in_hf(name):
    pieces = st.one_of(st.text(max_size=20), st.sampled_from(TRICKY + _added_tokens(name)))
    tok, reference = ours(name), hf(name)

    @settings(max_examples=examples(250), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(pieces, max_size=8).map("".join))
    def check(text):
        e = reference.encode(text)
        assert tok.encode_with_offsets(text) == (e.ids, e.offsets)
        assert tok.encode(text) == e.ids
        assert tok.tokens(text) == e.tokens

    check()


@pytest.mark.parametrize("name", HF_FILES)
def test_decoding_matches_hf(name):
    tok, reference = ours(name), hf(name)
    texts = [t[:300] for t in udhr()[::10]] + [" ".join(_added_tokens(name)[:5]) + " x  y"]
    for text in texts:
        ids = reference.encode(text).ids
        assert tok.decode(ids) == reference.decode(ids, skip_special_tokens=False)
        assert tok.decode(ids, skip_special_tokens=True) == reference.decode(ids)


@pytest.mark.parametrize("name", HF_FILES)
def test_pairs_encode_as_in_hf(name):
    # Pairs are an engine feature the Python API does not expose yet: checked on the core.
    tok, reference = ours(name), hf(name)
    for first, second in [("Hello there", "General Kenobi!"), (udhr()[5][:200], udhr()[6][:200]), ("", "x")]:
        e = reference.encode(first, second)
        ids, tokens, offsets, type_ids = tok._core.encoding(first, second, "all", (), True)
        assert (ids, tokens, offsets, type_ids) == (e.ids, e.tokens, e.offsets, e.type_ids)


def llama_cpp_cases(model: str) -> list[tuple[str, list[int]]]:
    folder = data_path("peer_tests", "llama.cpp")
    inputs = (folder / f"ggml-vocab-{model}.gguf.inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    assert inputs[-1] == "", "the cases end with a separator"
    expected = (folder / f"ggml-vocab-{model}.gguf.out").read_text(encoding="utf-8").split("\n")
    return [(text, [int(i) for i in ids.split()]) for text, ids in zip(inputs[:-1], expected)]


@pytest.mark.parametrize("model", sorted(LLAMA_CPP))
def test_llama_cpp_vectors_pass(model):
    tok = ours(LLAMA_CPP[model])
    cases = llama_cpp_cases(model)
    assert len(cases) > 40
    for text, ids in cases:
        assert tok.encode(text, add_special_tokens=False) == ids, text


@pytest.mark.parametrize("name", HF_FILES)
def test_saved_file_loads_in_hf_with_the_same_ids(name, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    tok = ours(name)
    tok.save(tmp_path / "tokenizer.json")
    reloaded_hf = tokenizers.Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    reloaded = tokkit.load(tmp_path / "tokenizer.json")
    texts = [t[:1000] for t in udhr()[::7]] + code()[:20] + [" ".join(_added_tokens(name)[:5])]
    for text in texts:
        expected = hf(name).encode(text).ids
        assert reloaded_hf.encode(text).ids == expected, text[:100]
        assert reloaded.encode(text) == expected, text[:100]


def test_special_tokens_follow_hf_by_default_and_tiktoken_on_request():
    bert = ours("bert-base-uncased")
    text = "a [MASK] b"
    assert bert.encode(text) == hf("bert-base-uncased").encode(text).ids
    # allowed_special=(): special-token text is text (HF's split_special_tokens).
    as_text = bert.encode(text, allowed_special=(), add_special_tokens=False)
    assert 103 not in as_text and len(as_text) > 3
    with pytest.raises(ValueError, match=r"\[MASK\].*allowed_special"):
        bert.encode(text, disallowed_special="all", allowed_special=())
    assert bert.encode_ordinary(text) == as_text


def test_unsupported_components_are_errors_that_name_them(tmp_path):
    document = json.loads(data_path("vocab", "hf", "bert-base-uncased", "tokenizer.json").read_text(encoding="utf-8"))
    for stage, component in [("decoder", {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": True}),
                             ("pre_tokenizer", {"type": "UnicodeScripts"}),
                             ("normalizer", {"type": "Nmt"})]:
        changed = dict(document, **{stage: component})
        path = tmp_path / "tokenizer.json"
        path.write_text(json.dumps(changed), encoding="utf-8")
        with pytest.raises(ValueError, match=component["type"]):
            tokkit.load(path)
    padded = dict(document, padding={"strategy": "BatchLongest"})
    path.write_text(json.dumps(padded), encoding="utf-8")
    with pytest.raises(ValueError, match="padding"):
        tokkit.load(path)


def test_repr_names_the_model():
    assert "WordPiece" in repr(ours("bert-base-uncased"))
    assert "BPE (byte-level)" in repr(ours("llama3"))
    assert "Unigram" in repr(ours("t5-small"))


def test_unigram_pipelines_send_nbest_and_sampling_to_the_sentencepiece_model():
    t5 = ours("t5-small")
    for call in (lambda: t5.encode_nbest("hi", 2), lambda: t5.sample_encode("hi", seed=0)):
        with pytest.raises(TypeError, match=r"\.model"):
            call()


@pytest.mark.parametrize("encoding", ["r50k_base", "llama3"])
def test_tiktoken_style_tokenizers_save_as_tokenizer_json_both_libraries_read_alike(encoding, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from conftest import ours as tiktoken_style

    tok = tiktoken_style(encoding)
    path = tmp_path / "tokenizer.json"
    tok.save(path)
    in_hf, back = tokenizers.Tokenizer.from_file(str(path)), tokkit.load(path)
    for text in [t[:3000] for t in udhr()[::20]] + code()[:10] + ["<|endoftext|> x <|begin_of_text|>"]:
        expected = tok.encode(text, allowed_special="all")
        assert back.encode(text) == expected
        assert in_hf.encode(text).ids == expected


def _hf_built(kind: str):
    """Tokenizers HF builds and trains itself, to exercise components and options the
    reference files do not use."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import AddedToken, Regex, decoders, models, normalizers, pre_tokenizers, processors, trainers

    lines = data_path("corpora", "mono", "tinyshakespeare.txt").read_text(encoding="utf-8")[:200_000].splitlines()
    if kind == "bpe-prefix-suffix":
        tok = tokenizers.Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
        tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=1500, special_tokens=["[UNK]", "[CLS]", "[SEP]"],
                                                           continuing_subword_prefix="##", end_of_word_suffix="</w>"))
        tok.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
        tok.decoder = decoders.BPEDecoder(suffix="</w>")
    elif kind == "wordlevel-template":
        tok = tokenizers.Tokenizer(models.WordLevel(unk_token="<unk>"))
        tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Strip()])
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                     pre_tokenizers.Punctuation("merged_with_previous"),
                                                     pre_tokenizers.Digits(individual_digits=True)])
        tok.train_from_iterator(lines, trainers.WordLevelTrainer(vocab_size=2000, special_tokens=["<unk>", "<s>"]))
        tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s>:1 $B:1",
                                                           special_tokens=[("<s>", 1)])
    elif kind == "metaspace-first":
        tok = tokenizers.Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
        tok.normalizer = normalizers.Replace(Regex(r"\s+"), " ")
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
        alphabet = [f"<0x{b:02X}>" for b in range(256)]
        tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=1500, special_tokens=["<unk>"], initial_alphabet=alphabet))
        tok.decoder = decoders.Sequence([decoders.Metaspace(replacement="▁", prepend_scheme="first"),
                                         decoders.ByteFallback(), decoders.Fuse()])
    else:  # byte-level with a prefix space, and added tokens with options
        tok = tokenizers.Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.decoder = decoders.ByteLevel()
        tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=1500, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        tok.post_processor = processors.ByteLevel(trim_offsets=True, add_prefix_space=True)
        tok.add_tokens([AddedToken("hello world", single_word=True, lstrip=True), AddedToken("Thou", normalized=True)])
        tok.add_special_tokens([AddedToken("<|e|>", rstrip=True)])
    return tok


@pytest.mark.parametrize("kind", ["bpe-prefix-suffix", "wordlevel-template", "metaspace-first", "byte-level-options"])
def test_pipelines_hf_builds_itself_encode_alike(kind, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    path = tmp_path / "tokenizer.json"
    _hf_built(kind).save(str(path))
    reference, tok = tokenizers.Tokenizer.from_file(str(path)), tokkit.load(path)
    pieces = st.one_of(st.text(max_size=15), st.sampled_from(TRICKY + ["hello world", " hello world ", "Thou", "<|e|> ", "<s>"]))

    @settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(pieces, max_size=8).map("".join), st.text(max_size=12))
    def check(text, pair):
        e = reference.encode(text)
        assert tok.encode_with_offsets(text) == (e.ids, e.offsets)
        assert tok.tokens(text) == e.tokens
        e = reference.encode(text, pair)
        assert tok._core.encoding(text, pair, "all", (), True) == (e.ids, e.tokens, e.offsets, e.type_ids)
        assert tok.decode(e.ids) == reference.decode(e.ids, skip_special_tokens=False)

    check()
