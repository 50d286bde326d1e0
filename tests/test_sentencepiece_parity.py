"""SentencePiece models give sentencepiece's ids and pieces exactly; t5-small's
tokenizer.json gives HF tokenizers' ids; a model tokkit trains and saves as .model gives
the same ids in sentencepiece as in tokkit."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import data_path

spm = pytest.importorskip("sentencepiece")

SPM_MODELS = ["sentencepiece_test_model.model", "sentencepiece_test_ja_model.model", "mistral_7b_v1.model"]


@functools.cache
def models(name: str):
    import tokkit

    path = data_path("vocab", "spm", name)
    return tokkit.load(path), spm.SentencePieceProcessor(model_file=str(path))


@functools.cache
def corpus_lines(corpus: str) -> tuple[str, ...]:
    if corpus == "udhr":
        files = sorted(data_path("corpora", "multilingual", "udhr").glob("*.txt"))
        return tuple(line for f in files for line in f.read_text(encoding="utf-8").splitlines())
    name = {"botchan": "botchan_en.txt", "japanese": "wagahaiwa_nekodearu_ja.txt"}[corpus]
    return tuple(data_path("corpora", "mono", name).read_text(encoding="utf-8").splitlines())


def first_difference(ours, theirs, lines):
    for line in lines:
        a, b = ours(line), theirs(line)
        if a != b:
            return line, a, b
    return None


@pytest.mark.parametrize("corpus", ["udhr", "botchan", "japanese"])
@pytest.mark.parametrize("model", SPM_MODELS)
def test_ids_equal_sentencepiece_on_every_line(model, corpus):
    tok, sp = models(model)
    lines = corpus_lines(corpus)
    assert first_difference(lambda t: tok.encode(t, disallowed_special=()), sp.encode, lines) is None


@pytest.mark.parametrize("model", SPM_MODELS)
def test_pieces_equal_sentencepiece_on_udhr(model):
    tok, sp = models(model)
    lines = corpus_lines("udhr")[::7]
    assert first_difference(lambda t: tok.tokens(t, disallowed_special=()), lambda t: sp.encode(t, out_type=str), lines) is None


@pytest.mark.parametrize("model", SPM_MODELS)
def test_batches_equal_sentencepiece(model):
    tok, sp = models(model)
    lines = list(corpus_lines("botchan")[:2000])
    rows = tok.encode_batch(lines, disallowed_special=())
    assert [row.tolist() for row in rows] == sp.encode(lines)


text_alphabet = st.sampled_from(
    list("abcxyz ABC  \t\n0129.,!?'-") + ["é", "e\u0301", "ß", "ｈ", "ｱ", "①", "ﬁ", "漢", "字", "の", "は", "😀", "\u200b", "\u3000",
                                         "\u00a0", "Ω", "ж", "ا", "ק", "\ufffd", "<s>", "</s>", "<unk>", "\x00"]
)


@pytest.mark.parametrize("model", SPM_MODELS)
@settings(max_examples=150, deadline=None)
@given(parts=st.lists(text_alphabet, max_size=40))
def test_ids_equal_sentencepiece_on_generated_text(model, parts):
    tok, sp = models(model)
    text = "".join(parts)
    assert tok.encode(text, disallowed_special=()) == sp.encode(text)
    assert tok.tokens(text, disallowed_special=()) == sp.encode(text, out_type=str)


@pytest.mark.parametrize("model", SPM_MODELS)
def test_saved_model_reloads_with_the_same_ids(model, tmp_path):
    import tokkit

    tok, _ = models(model)
    tok.save(tmp_path / "copy.model")
    again = tokkit.load(tmp_path / "copy.model")
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "copy.model"))
    lines = corpus_lines("udhr")[::13]
    assert first_difference(lambda t: again.encode(t, disallowed_special=()), sp.encode, lines) is None


# ---- t5-small tokenizer.json against HF tokenizers ---------------------------------------


@functools.cache
def t5():
    import tokkit

    tokenizers = pytest.importorskip("tokenizers")
    path = data_path("vocab", "hf", "t5-small", "tokenizer.json")
    return tokkit.load(path), tokenizers.Tokenizer.from_file(str(path))


def test_t5_ids_equal_hf_tokenizers_but_for_two_known_quirks():
    """Every line gives HF's ids, but for two quirks of HF tokenizers 0.23, where tokkit
    follows SentencePiece: where two segmentations score exactly the same, HF breaks the tie
    otherwise (both are most likely segmentations); and HF's Precompiled normalizer applies
    the character map per grapheme, so it leaves a letter with two combining marks
    decomposed where SentencePiece composes the first. The test checks that each of the
    (four) differing lines is one of these."""
    tok, hf = t5()
    scores = dict((piece, score) for piece, score, _ in tok._core.pieces())
    total = lambda ids: sum(scores[tok.id_to_token(i)] for i in ids)  # noqa: E731
    differences = 0
    for corpus in ["udhr", "botchan"]:
        for line in corpus_lines(corpus):
            ours = tok.encode(line, disallowed_special=())
            theirs = hf.encode(line, add_special_tokens=False).ids
            if ours != theirs:
                differences += 1
                normalized_alike = hf.normalizer.normalize_str(line) == tok.normalize(line).replace("▁", " ").strip()
                assert not normalized_alike or total(ours) == pytest.approx(total(theirs), abs=1e-9), line
    assert differences <= 4


def test_t5_loads_special_tokens_and_saves_as_a_sentencepiece_model(tmp_path):
    tok, _ = t5()
    assert tok.special_tokens["</s>"] == 1
    assert tok.model_type == "SentencePiece Unigram"
    tok.save(tmp_path / "t5.model")
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "t5.model"))
    line = "Translate English to German: The house is wonderful."
    assert sp.encode(line) == tok.encode(line)


# ---- trained models in sentencepiece -------------------------------------------------------


def test_a_trained_model_gives_the_same_ids_in_sentencepiece(tmp_path):
    import tokkit

    botchan = data_path("corpora", "mono", "botchan_en.txt")
    tok = tokkit.train_unigram([botchan], vocab_size=2000, byte_fallback=True, special_tokens=["<pad>"],
                               show_progress=False)
    tok.save(tmp_path / "trained.model")
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "trained.model"))
    lines = list(corpus_lines("botchan")) + list(corpus_lines("udhr")[::11])
    assert first_difference(lambda t: tok.encode(t, disallowed_special=()), sp.encode, lines) is None
    assert sp.piece_to_id("<pad>") == tok.special_tokens["<pad>"]
