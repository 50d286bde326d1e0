"""SentencePiece models give sentencepiece's ids and pieces exactly; a model tokkit trains
and saves as .model gives the same ids in sentencepiece as in tokkit. (t5-small's
tokenizer.json, a HF pipeline, is checked against HF in test_hf_parity.py.)"""

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


@pytest.mark.parametrize("text", ["botchan_en.txt", "wagahaiwa_nekodearu_ja.txt", "tinyshakespeare.txt"])
@pytest.mark.parametrize("model", SPM_MODELS[:2])
def test_a_whole_book_in_one_call_equals_sentencepiece(model, text):
    # Path scores reach -10^6 over a book, where single-precision sums would round near
    # ties differently from sentencepiece.
    tok, sp = models(model)
    book = data_path("corpora", "mono", text).read_text(encoding="utf-8")[:400_000]
    ours, theirs = tok.encode_ordinary(book), sp.encode(book)
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
    assert first is None and len(ours) == len(theirs), (first, len(ours), len(theirs))


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
