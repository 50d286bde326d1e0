"""SentencePiece models give sentencepiece's ids and pieces exactly; a model tokkit trains
and saves as .model gives the same ids in sentencepiece as in tokkit. (t5-small's
tokenizer.json, a HF pipeline, is checked against HF in test_hf_parity.py.)"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, data_path, examples

spm = pytest.importorskip("sentencepiece")

SPM_MODELS = ["sentencepiece_test_model.model", "sentencepiece_test_ja_model.model", "mistral_7b_v1.model"]
# Every .model in the reference data (the three above where the folder is absent: they skip).
ALL_SPM_MODELS = sorted(path.name for path in (DATA / "vocab" / "spm").glob("*.model")) or SPM_MODELS


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


def assert_same_ids_on_whole_book(tok, sp, name):
    """The book `name` encoded in one call: path scores pass -100,000 many times over, so
    sentencepiece's rebasing of the running score decides its ties."""
    book = data_path("corpora", "mono", name).read_text(encoding="utf-8")
    ours, theirs = tok.encode_ordinary(book), sp.encode(book)
    first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
    assert first is None and len(ours) == len(theirs), (first, len(ours), len(theirs))


@pytest.mark.parametrize("text", ["botchan_en.txt", "wagahaiwa_nekodearu_ja.txt", "tinyshakespeare.txt"])
@pytest.mark.parametrize("model", SPM_MODELS[:2])
def test_a_whole_book_in_one_call_equals_sentencepiece(model, text):
    assert_same_ids_on_whole_book(*models(model), text)


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
@settings(max_examples=examples(150), deadline=None)
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


# ---- exact ties ------------------------------------------------------------------------------
# Where two segmentations have the same exact score (1+11 and 11+1, say), only the rounding of
# sentencepiece's single-precision running score decides which one it keeps, and that depends
# on the text before the tie. These tests hold tokkit to the same arithmetic.

TIE_PARTS = st.sampled_from(["1", "11", "111", "2", "22", "0", "00", "9", "a", "aa", "b", "bb", "x", "e", "ss",
                             "the", " ", " ", "  ", "\n", ".", "..", "-", "ー", "ーー", "あ", "ああ", "１", "一", "一一"])
TIE_STRINGS = ["a111", "b111", "x111", "a1111", "z 111 a111 b222", "x a111", "a111 b111", "111 a111 11 a111"]


@pytest.mark.parametrize("text", TIE_STRINGS)
def test_exact_ties_fall_as_in_sentencepiece(text):
    tok, sp = models("sentencepiece_test_ja_model.model")
    assert tok.tokens(text) == sp.encode(text, out_type=str)


def test_the_same_word_ties_differently_after_different_text():
    # The premise of the tests above: a tie's outcome depends on the score the word starts
    # from, so no rule that looks at the word alone can match sentencepiece.
    tok, _ = models("sentencepiece_test_ja_model.model")
    assert tok.tokens("a111")[-2:] == ["11", "1"]
    assert tok.tokens("z 111 a111")[-2:] == ["1", "11"]


@pytest.mark.parametrize("model", ALL_SPM_MODELS)
@settings(max_examples=examples(200), deadline=None)
@given(parts=st.lists(TIE_PARTS, max_size=60))
def test_ids_equal_sentencepiece_where_ties_are_dense(model, parts):
    tok, sp = models(model)
    text = "".join(parts)
    assert tok.encode(text, disallowed_special=()) == sp.encode(text)


# Scores scaled up make the running score pass ±100,000 every few pieces, so short texts
# exercise sentencepiece's rebasing as a book does. User-defined pieces take the score
# sentencepiece gives them (0.1 per byte after the first) instead of their own: a one-byte
# "x" scores 0, so "x"+"x" (0) beats a normal "xx" scored -0.05 (with the -0.1 per piece
# of sentencepiece 0.2.1, "xx" would win).
USER_DEFINED = ["x", "11", "111", "aa", "ああ", "一一", "<x>"]
NORMAL = {"xx": -0.05}


def rewritten_model(name: str, folder, *, scale: float = 1.0, user_defined=(), normal=None) -> str:
    pb = pytest.importorskip("sentencepiece.sentencepiece_model_pb2")
    proto = pb.ModelProto()
    proto.ParseFromString(data_path("vocab", "spm", name).read_bytes())
    for piece in proto.pieces:
        piece.score *= scale
    known = {piece.piece: piece for piece in proto.pieces}
    for text in user_defined:
        piece = known.get(text) or proto.pieces.add(piece=text)
        piece.type = pb.ModelProto.SentencePiece.USER_DEFINED
        piece.score = 0.0
    for text, score in (normal or {}).items():
        piece = known.get(text) or proto.pieces.add(piece=text)
        piece.type = pb.ModelProto.SentencePiece.NORMAL
        piece.score = score
    path = folder / f"{'scaled' if scale != 1 else 'user'}-{name}"
    path.write_bytes(proto.SerializeToString())
    return str(path)


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory):
    """{label: (tokkit, sentencepiece)} for the Unigram test models rewritten."""
    import tokkit

    folder = tmp_path_factory.mktemp("rewritten")
    paths = {}
    for name in SPM_MODELS[:2]:
        paths[f"scaled-{name}"] = rewritten_model(name, folder, scale=4000.0)
        paths[f"user-{name}"] = rewritten_model(name, folder, user_defined=USER_DEFINED, normal=NORMAL)
    return {label: (tokkit.load(path), spm.SentencePieceProcessor(model_file=path)) for label, path in paths.items()}


@pytest.mark.parametrize("label", [f"{kind}-{name}" for kind in ("scaled", "user") for name in SPM_MODELS[:2]])
@settings(max_examples=examples(200), deadline=None)
@given(parts=st.lists(TIE_PARTS | st.sampled_from(["<x>", "<x", "x>"]), max_size=60))
def test_rewritten_models_equal_sentencepiece_where_ties_are_dense(rewritten, label, parts):
    tok, sp = rewritten[label]
    text = "".join(parts)
    assert tok.encode(text, disallowed_special=()) == sp.encode(text)


@pytest.mark.parametrize("name", SPM_MODELS[:2])
def test_user_defined_pieces_score_as_in_sentencepiece(rewritten, name):
    tok, sp = rewritten[f"user-{name}"]
    for text in ["xx", "xxx", "a111", "<x>aa", "ああ一一"]:
        assert tok.tokens(text) == sp.encode(text, out_type=str)
    assert sp.encode("xx", out_type=str)[-2:] == ["x", "x"]


@pytest.mark.parametrize("label", [f"scaled-{name}" for name in SPM_MODELS[:2]])
def test_a_whole_book_in_a_scaled_model_equals_sentencepiece(rewritten, label):
    assert_same_ids_on_whole_book(*rewritten[label], "botchan_en.txt")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A Unigram model tokkit trains on botchan and saves as .model, in both libraries."""
    import tokkit

    path = tmp_path_factory.mktemp("trained") / "botchan.model"
    tokkit.train_unigram([data_path("corpora", "mono", "botchan_en.txt")], vocab_size=2000,
                         show_progress=False).save(path)
    return tokkit.load(path), spm.SentencePieceProcessor(model_file=str(path))


@pytest.mark.parametrize("text", ["botchan_en.txt", "wagahaiwa_nekodearu_ja.txt", "tinyshakespeare.txt"])
def test_a_whole_book_in_a_trained_model_equals_sentencepiece(trained, text):
    assert_same_ids_on_whole_book(*trained, text)


@settings(max_examples=examples(200), deadline=None)
@given(parts=st.lists(TIE_PARTS, max_size=60))
def test_a_trained_model_equals_sentencepiece_where_ties_are_dense(trained, parts):
    tok, sp = trained
    text = "".join(parts)
    assert tok.encode(text, disallowed_special=()) == sp.encode(text)
