"""tokkit's ids equal tiktoken's, on every line of every corpus and on generated text."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TIKTOKEN_FILES, data_path, examples, oracle, ours

GUTENBERG_SLICE = 4_000_000  # bytes of the 100 MB file read for parity


@functools.cache
def corpus_texts(corpus: str) -> list[str]:
    """The texts of a corpus, each one file (or slice) of it."""
    if corpus == "udhr":
        folder = data_path("corpora", "multilingual", "udhr")
        return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    if corpus == "gutenberg":
        with open(data_path("corpora", "mono", "gutenberg_en_100M.txt"), "rb") as f:
            return [f.read(GUTENBERG_SLICE).decode("utf-8", errors="ignore")]
    files = {
        "python": ("code", "python_stdlib_3.11.7.txt"),
        "shakespeare": ("mono", "tinyshakespeare.txt"),
        "japanese": ("mono", "wagahaiwa_nekodearu_ja.txt"),
        "botchan": ("mono", "botchan_en.txt"),
    }
    return [data_path("corpora", *files[corpus]).read_text(encoding="utf-8")]


CORPORA = ["udhr", "gutenberg", "python", "shakespeare", "japanese", "botchan"]


def lines_and_blocks(texts: list[str]) -> list[str]:
    """Every line (with its newline), and blocks of 50 lines, so that both line ends and
    runs of blank lines and indentation across lines are exercised."""
    out = []
    for text in texts:
        lines = text.splitlines(keepends=True)
        out.extend(lines)
        out.extend("".join(lines[i : i + 50]) for i in range(0, len(lines), 50))
    return out


@pytest.mark.parametrize("corpus", CORPORA)
def test_ids_equal_tiktoken_on_every_line_of_every_corpus(encoding_name, corpus):
    texts = lines_and_blocks(corpus_texts(corpus))
    expected = oracle(encoding_name).encode_ordinary_batch(texts, num_threads=2)
    got = ours(encoding_name).encode_batch(texts, disallowed_special=())
    mismatches = [i for i, (e, g) in enumerate(zip(expected, got)) if list(g) != e]
    assert not mismatches, f"{len(mismatches)} texts differ; first: {texts[mismatches[0]]!r}"
    assert len(got) == len(expected)


@pytest.mark.parametrize("corpus", ["udhr", "japanese", "python"])
def test_whole_files_encode_like_tiktoken(encoding_name, corpus):
    tok, ref = ours(encoding_name), oracle(encoding_name)
    for text in corpus_texts(corpus)[:60]:
        assert tok.encode_ordinary(text) == ref.encode_ordinary(text)


LLAMA_CPP = {"gpt-2": "r50k_base", "llama-bpe": "llama3"}


@pytest.mark.parametrize("vocab", sorted(LLAMA_CPP))
def test_llama_cpp_vectors_pass(vocab):
    folder = data_path("peer_tests", "llama.cpp")
    cases = (folder / f"ggml-vocab-{vocab}.gguf.inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    assert cases[-1] == ""
    cases = cases[:-1]
    expected = (folder / f"ggml-vocab-{vocab}.gguf.out").read_text(encoding="utf-8").split("\n")[: len(cases)]
    tok = ours(LLAMA_CPP[vocab])
    for text, ids in zip(cases, expected):
        assert tok.encode_ordinary(text) == [int(i) for i in ids.split()], repr(text)


# Characters on the boundaries the patterns draw, special-token look-alikes, and
# surrogates (which tiktoken replaces with U+FFFD before encoding).
TRICKY = list("aAsStTdDmMlLvVeErRſ'’ \t\n\r\x0b\x0c\u00a0\u2009\u3000\u0085/!.,-_<|>") + [
    "0", "1", "7", "½", "٣", "ǅ", "ʰ", "中", "ア", "é", "\u0301", "\u093f", "\u200d", "😀", "\ufe0f",
]
LOOKALIKES = ["<|endoftext|>", "<|endoftext", "<|fim_prefix|>", "<|begin_of_text|>", "<|eot_id|>", "<|", "|>"]

# Prose- and code-like ASCII with runs of every class, some longer than the 64 bytes the
# splitters' class masks see at once, now and then broken by a character they cannot see.
ASCII_RUNS = ["the", " cat", "'s", "'LL", " 'd", "Hello", "HTTPServer", "x1", "2024", "1234567", "  ", "   ",
              "\n", "\r\n", "\n\n  ", "\t", " \t ", "...", " !!", "//", "/*", "#", "(", "){", "\x0b", "\x1f",
              "a" * 70, " " * 70, "9" * 70, "-" * 70, "\n" * 70, "Ab" * 40]
mostly_ascii = st.lists(st.one_of(st.sampled_from(ASCII_RUNS), st.sampled_from(ASCII_RUNS), st.sampled_from(TRICKY)),
                        min_size=1, max_size=120).map("".join)

any_text = st.one_of(
    mostly_ascii,
    st.text(),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=60),
    st.lists(st.one_of(st.sampled_from(TRICKY + LOOKALIKES), st.text(max_size=4)), max_size=30).map("".join),
    st.lists(
        st.one_of(st.characters(categories=["Cs"]), st.sampled_from(TRICKY)), max_size=20
    ).map("".join),
    st.from_regex(r"[ \t\n\r]{0,8}[a-zA-Z']{0,8}[0-9]{0,8}[ \t\n\r]{0,8}", fullmatch=True),
)


@pytest.mark.parametrize("name", sorted(TIKTOKEN_FILES))
@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
def test_ids_equal_tiktoken_on_any_text(name, text):
    tok, ref = ours(name), oracle(name)
    assert tok.encode(text, disallowed_special=()) == ref.encode(text, disallowed_special=())
    assert tok.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")


@pytest.mark.parametrize("name", sorted(TIKTOKEN_FILES))
def test_long_runs_encode_like_tiktoken(name):
    # Long pieces take the heap merge; tiktoken is quadratic there, so keep them modest.
    tok, ref = ours(name), oracle(name)
    for text in ["a" * 5000, "ab" * 3000, " " * 4000 + "x", "\n" * 3000, "1" * 3001, "😀" * 1000,
                 "".join(chr(0x61 + (i * 7919) % 26) for i in range(8000))]:
        assert tok.encode_ordinary(text) == ref.encode_ordinary(text)


# Long pieces (128 bytes and more) take the backtracking walk: one pre-token of letters, or
# of symbols, made from a small alphabet so that tokens overlap in every way.
long_piece = st.one_of(
    st.text(alphabet=st.sampled_from("ab"), min_size=128, max_size=700),
    st.text(alphabet=st.sampled_from("etaoinshrdlu"), min_size=128, max_size=700),
    st.text(alphabet=st.sampled_from("éжäöüßœ語ا"), min_size=64, max_size=400),
    st.text(alphabet=st.sampled_from("=-*#.:/"), min_size=128, max_size=700),
    st.lists(st.sampled_from(["the", "ing", "tion", "and", "qu", "x", "zz", "ment", "a"]),
             min_size=40, max_size=200).map("".join),
)


@pytest.mark.parametrize("name", sorted(TIKTOKEN_FILES))
@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=long_piece)
def test_long_pieces_encode_like_tiktoken(name, text):
    assert ours(name).encode_ordinary(text) == oracle(name).encode_ordinary(text)


def test_load_recognises_official_files_by_hash(encoding_name):
    tok, ref = ours(encoding_name), oracle(encoding_name)
    assert tok.pattern == ref._pat_str
    assert tok.special_tokens == ref._special_tokens
    assert tok.vocab_size == ref.n_vocab
