"""Unigram models: n-best, sampling, training, and the errors a user can cause."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokkit
from conftest import data_path, examples


@functools.cache
def reference_model():
    return tokkit.load(data_path("vocab", "spm", "sentencepiece_test_model.model"))


@functools.cache
def botchan():
    return data_path("corpora", "mono", "botchan_en.txt")


# ---- n-best and sampling -------------------------------------------------------------------


def test_the_best_of_nbest_is_the_encoding():
    tok = reference_model()
    for text in ["hello world", "I am a cat.", "Shalt rule me as thou"]:
        best = tok.encode_nbest(text, 5)
        assert best[0][0] == tok.encode(text)
        scores = [score for _, score in best]
        assert scores == sorted(scores, reverse=True)
        assert len({tuple(ids) for ids, _ in best}) == len(best)


def test_nbest_equals_sentencepiece_nbest():
    spm = pytest.importorskip("sentencepiece")
    sp = spm.SentencePieceProcessor(model_file=str(data_path("vocab", "spm", "sentencepiece_test_model.model")))
    for text in ["hello world", "I am a cat.", "The quick brown fox"]:
        assert [ids for ids, _ in reference_model().encode_nbest(text, 4)] == sp.nbest_encode(text, nbest_size=4)


def test_sampling_is_reproducible_with_a_seed():
    tok = reference_model()
    text = "Subword regularization samples a segmentation of the sentence."
    assert tok.sample_encode(text, alpha=0.1, seed=42) == tok.sample_encode(text, alpha=0.1, seed=42)
    draws = {tuple(tok.sample_encode(text, alpha=0.1, seed=seed)) for seed in range(20)}
    assert len(draws) > 1
    for ids in draws:
        assert tok.decode(list(ids)) == text


def test_sampling_among_the_nbest_stays_among_them():
    tok = reference_model()
    text = "hello world"
    best = {tuple(ids) for ids, _ in tok.encode_nbest(text, 3)}
    for seed in range(30):
        assert tuple(tok.sample_encode(text, alpha=0.5, nbest_size=3, seed=seed)) in best


def test_sharp_sampling_gives_the_best_segmentation():
    tok = reference_model()
    assert tok.sample_encode("hello world", alpha=50.0, seed=3) == tok.encode("hello world")


def test_nbest_and_sampling_need_a_unigram_model():
    bpe = tokkit.load(data_path("vocab", "spm", "mistral_7b_v1.model"))
    with pytest.raises(TypeError, match="Unigram"):
        bpe.encode_nbest("hi", 2)
    with pytest.raises(TypeError, match="Unigram"):
        tokkit.get_encoding("cl100k_base").sample_encode("hi") if _has_cl100k() else bpe.sample_encode("hi")


def _has_cl100k() -> bool:
    try:
        tokkit.get_encoding("cl100k_base")
        return True
    except Exception:
        return False


def test_sampling_options_are_checked():
    tok = reference_model()
    with pytest.raises(ValueError, match="alpha"):
        tok.sample_encode("hi", alpha=0)
    with pytest.raises(ValueError, match="nbest_size"):
        tok.sample_encode("hi", nbest_size=0)
    with pytest.raises(ValueError, match="nbest"):
        tok.encode_nbest("hi", 0)


# ---- against the reference ------------------------------------------------------------------


@functools.cache
def small_model():
    return tokkit.train_unigram([botchan()], vocab_size=300, character_coverage=0.995, show_progress=False)


@settings(max_examples=examples(300), deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("theanosri  ,.'TH\u00e9\u5b57")), max_size=60))
def test_segmentation_equals_the_reference(text):
    from tokkit._reference import unigram as reference

    tok = small_model()
    assert tok.tokens(text) == reference.segment(tok._core.pieces(), text)


# Letters score -50,000 to -300,000, so the running score passes ±100,000 within a piece or
# two and sentencepiece's rebase decides how the digits after them round. Digit pieces score
# in hundredths or from a short list (-1.1 twice ties -2.2 exactly), so near and exact ties
# are common.
LETTER_SCORES = st.integers(5_000_000, 30_000_000).map(lambda n: -n / 100)
DIGIT_SCORES = st.one_of(st.sampled_from([-0.7, -1.1, -1.4, -2.1, -2.2, -3.3]),
                         st.integers(6, 400).map(lambda n: -n / 100))
MODELS = st.fixed_dictionaries(
    {"▁": LETTER_SCORES, "a": LETTER_SCORES, "b": LETTER_SCORES, "1": DIGIT_SCORES, "11": DIGIT_SCORES, "2": DIGIT_SCORES},
    optional={"▁a": LETTER_SCORES, "ab": LETTER_SCORES, "111": DIGIT_SCORES, "12": DIGIT_SCORES, "21": DIGIT_SCORES})
TEXTS = st.lists(st.sampled_from(["a", "b", "ab", "1", "11", "111", "2", "12", " ", "a111", "b1111"]), min_size=1,
                 max_size=12).map("".join)


def write_model(pieces: dict[str, float], path) -> None:
    """A SentencePiece Unigram .model with these normal pieces and the identity normalizer."""
    pb = pytest.importorskip("sentencepiece.sentencepiece_model_pb2")
    kind = pb.ModelProto.SentencePiece
    proto = pb.ModelProto()
    proto.pieces.add(piece="<unk>", score=0.0, type=kind.UNKNOWN)
    for text, score in pieces.items():
        proto.pieces.add(piece=text, score=score, type=kind.NORMAL)
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    spec = proto.normalizer_spec
    spec.name, spec.add_dummy_prefix, spec.remove_extra_whitespaces, spec.escape_whitespaces = "identity", True, True, True
    path.write_bytes(proto.SerializeToString())


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("drawn")


@settings(max_examples=examples(300), deadline=None)
@given(scores=MODELS, text=TEXTS)
def test_any_model_segments_as_the_reference_and_sentencepiece(model_folder, scores, text):
    from tokkit._reference import unigram as reference

    spm = pytest.importorskip("sentencepiece")
    path = model_folder / "drawn.model"
    write_model(scores, path)
    tok, sp = tokkit.load(path), spm.SentencePieceProcessor(model_file=str(path))
    assert tok.tokens(text) == reference.segment(tok._core.pieces(), text) == sp.encode(text, out_type=str)


# ---- the Tokenizer face ----------------------------------------------------------------------


def test_repr_names_the_model_type():
    assert "SentencePiece Unigram" in repr(reference_model())
    assert "SentencePiece BPE" in repr(tokkit.load(data_path("vocab", "spm", "mistral_7b_v1.model")))


def test_offsets_point_into_the_original_text():
    tok = reference_model()
    text = "  Hello   world"
    ids, offsets = tok.encode_with_offsets(text)
    assert len(ids) == len(offsets)
    assert "".join(text[s:e] for s, e in offsets).replace(" ", "") == "Helloworld"


def test_decode_inverts_encode_on_normalized_text():
    tok = reference_model()
    assert tok.decode(tok.encode("Hello world.")) == "Hello world."


# ---- training --------------------------------------------------------------------------------


def test_training_is_the_same_with_one_or_two_threads():
    one = tokkit.train_unigram([botchan()], vocab_size=800, threads=1, show_progress=False)
    two = tokkit.train_unigram([botchan()], vocab_size=800, threads=2, show_progress=False)
    assert one._core.pieces() == two._core.pieces()


def test_training_from_files_or_documents_gives_the_same_model():
    from_file = tokkit.train_unigram([botchan()], vocab_size=600, show_progress=False)
    lines = botchan().read_text(encoding="utf-8").splitlines(keepends=True)
    from_documents = tokkit.train_unigram(iter(lines), vocab_size=600, show_progress=False)
    assert from_file._core.pieces() == from_documents._core.pieces()


def test_trained_vocabulary_has_the_requested_size_and_layout():
    tok = tokkit.train_unigram([botchan()], vocab_size=700, byte_fallback=True, special_tokens=["<pad>", "<mask>"],
                               split_digits=True, show_progress=False)
    assert tok.vocab_size == 700
    pieces = tok._core.pieces()
    assert [p for p, _, _ in pieces[:5]] == ["<unk>", "<s>", "</s>", "<pad>", "<mask>"]
    assert pieces[5][0] == "<0x00>" and pieces[5][2] == "byte"
    assert tok.special_tokens == {"<s>": 1, "</s>": 2, "<pad>": 3, "<mask>": 4}
    assert not any(len(p) > 1 and any(c.isdigit() for c in p) for p, _, kind in pieces if kind == "normal")
    # Byte fallback: a character the corpus never had still round-trips.
    assert tok.decode(tok.encode("漢字 ok")) == "漢字 ok"


def test_too_large_a_vocabulary_says_the_largest_possible():
    with pytest.raises(ValueError, match=r"too large for this corpus.*largest vocabulary it supports with these options is \d+"):
        tokkit.train_unigram(["a b c d e f g a b c"], vocab_size=5000, show_progress=False)


def test_too_small_a_vocabulary_for_the_characters_is_an_error():
    with pytest.raises(ValueError, match="character_coverage"):
        tokkit.train_unigram([botchan()], vocab_size=20, show_progress=False)


def test_empty_input_is_an_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="no text"):
        tokkit.train_unigram([empty], vocab_size=100, show_progress=False)
    with pytest.raises(ValueError, match="no text"):
        tokkit.train_unigram(iter([]), vocab_size=100, show_progress=False)


def test_bad_training_options_are_errors():
    with pytest.raises(ValueError, match="character_coverage"):
        tokkit.train_unigram(["abc"], vocab_size=100, character_coverage=1.5, show_progress=False)
    with pytest.raises(ValueError, match="shrinking_factor"):
        tokkit.train_unigram(["abc"], vocab_size=100, shrinking_factor=1.0, show_progress=False)
    with pytest.raises(ValueError, match="vocab_size"):
        tokkit.train_unigram(["abc"], vocab_size=0, show_progress=False)


def test_rare_characters_outside_the_coverage_become_unknown():
    text = ["the cat sat on the mat " * 50 + "ж"]
    tok = tokkit.train_unigram(text, vocab_size=15, character_coverage=0.99, show_progress=False)
    assert tok.token_to_id("ж") is None
    assert tok.encode("ж")[-1] == 0


# ---- files -----------------------------------------------------------------------------------


def test_a_corrupt_model_file_is_a_clear_error(tmp_path):
    good = data_path("vocab", "spm", "sentencepiece_test_model.model").read_bytes()
    bad = tmp_path / "bad.model"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        tokkit.load(bad)


def test_a_foreign_file_is_a_clear_error(tmp_path):
    foreign = tmp_path / "x.model"
    foreign.write_bytes(b"\x89PNG\r\n\x1a\n not a model at all")
    with pytest.raises(ValueError, match="not a tokenizer file"):
        tokkit.load(foreign)


def test_a_sentencepiece_model_saves_only_as_model(tmp_path):
    with pytest.raises(ValueError, match=r"\.model"):
        reference_model().save(tmp_path / "x.json")


def test_save_then_load_gives_the_same_ids(tmp_path):
    tok = tokkit.train_unigram([botchan()], vocab_size=500, show_progress=False)
    tok.save(tmp_path / "t.model")
    again = tokkit.load(tmp_path / "t.model")
    text = botchan().read_text(encoding="utf-8")[:20000]
    assert again.encode(text) == tok.encode(text)


# ---- the command line ------------------------------------------------------------------------


def test_the_command_line_trains_and_saves_a_model(tmp_path, capsys):
    from tokkit.cli import main

    out = tmp_path / "cli.model"
    assert main(["train", "unigram", str(botchan()), "--vocab-size", "500", "--out", str(out), "--quiet"]) == 0
    assert tokkit.load(out).vocab_size == 500
    assert "saved" in capsys.readouterr().err


def test_the_command_line_reports_errors_without_a_traceback(tmp_path, capsys):
    from tokkit.cli import main

    status = main(["train", "unigram", str(tmp_path / "missing.txt"), "--vocab-size", "500",
                   "--out", str(tmp_path / "x.model")])
    assert status == 1  # a failure of the work (a missing file), not a usage error
    assert "no such corpus file" in capsys.readouterr().err
