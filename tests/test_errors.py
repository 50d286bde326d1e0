"""Every mistake a user can make is a Python exception that says what to do."""

from __future__ import annotations

import base64

import pytest

import tokkit

from conftest import data_path, ours


def write_ranks(path, lines):
    path.write_bytes("".join(lines).encode())
    return path


def all_bytes():
    return [f"{base64.b64encode(bytes([b])).decode()} {b}\n" for b in range(256)]


def test_a_malformed_line_is_named(tmp_path):
    path = write_ranks(tmp_path / "bad.tiktoken", all_bytes() + ["YWI=\n"])
    with pytest.raises(ValueError, match=r"bad.tiktoken: line 257: expected `base64 rank`"):
        tokkit.from_tiktoken(path, pattern="gpt2")


def test_bad_base64_and_bad_ranks_are_named(tmp_path):
    path = write_ranks(tmp_path / "b.tiktoken", all_bytes() + ["!!!! 256\n"])
    with pytest.raises(ValueError, match="line 257.*not valid base64"):
        tokkit.from_tiktoken(path, pattern="gpt2")
    path = write_ranks(tmp_path / "c.tiktoken", all_bytes() + ["YWI= x\n"])
    with pytest.raises(ValueError, match="line 257.*not a rank"):
        tokkit.from_tiktoken(path, pattern="gpt2")


def test_duplicate_ranks_are_rejected(tmp_path):
    path = write_ranks(tmp_path / "d.tiktoken", all_bytes() + ["YWI= 255\n"])
    with pytest.raises(ValueError, match="rank 255 is given twice"):
        tokkit.from_tiktoken(path, pattern="gpt2")


def test_missing_single_bytes_are_rejected(tmp_path):
    path = write_ranks(tmp_path / "e.tiktoken", all_bytes()[1:])
    with pytest.raises(ValueError, match="no token for the single bytes \\[0\\]"):
        tokkit.from_tiktoken(path, pattern="gpt2")


def test_unknown_pattern_names_and_invalid_regexes_are_rejected():
    path = data_path("vocab", "tiktoken", "r50k_base.tiktoken")
    with pytest.raises(ValueError, match="unknown pre-tokenizer pattern name \"cl99k\""):
        tokkit.from_tiktoken(path, pattern="cl99k")
    with pytest.raises(ValueError, match="invalid pre-tokenizer regular expression"):
        tokkit.from_tiktoken(path, pattern="(unclosed")
    with pytest.raises(ValueError, match="matches the empty string"):
        tokkit.from_tiktoken(path, pattern=r"\w*")


def test_special_ids_that_clash_with_ranks_are_rejected():
    path = data_path("vocab", "tiktoken", "r50k_base.tiktoken")
    with pytest.raises(ValueError, match="already uses"):
        tokkit.from_tiktoken(path, pattern="gpt2", special_tokens={"<|x|>": 5})


def test_unrecognised_files_say_what_to_do(tmp_path):
    path = write_ranks(tmp_path / "mine.tiktoken", all_bytes())
    with pytest.raises(ValueError, match="from_tiktoken"):
        tokkit.load(path)
    other = tmp_path / "notes.txt"
    other.write_text("just some notes\n")
    with pytest.raises(ValueError, match="not a tokenizer file"):
        tokkit.load(other)
    with pytest.raises(FileNotFoundError, match="no such tokenizer file"):
        tokkit.load(tmp_path / "absent.json")


def test_non_str_input_is_a_type_error():
    tok = ours("cl100k_base")
    with pytest.raises(TypeError, match="text must be a str, not bytes.*encode_bytes"):
        tok.encode(b"bytes")
    with pytest.raises(TypeError, match="not int"):
        tok.encode(42)
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        tok.encode_batch(["ok", None])
    with pytest.raises(TypeError, match="not one str; for one text use encode"):
        tok.encode_batch("one text, not a list")


@pytest.mark.parametrize("ids", [[-1], [100261], [2**40], [1.5], "abc"])
def test_invalid_ids_in_decode_are_rejected(ids):
    tok = ours("cl100k_base")
    with pytest.raises((ValueError, TypeError)) as info:
        tok.decode(ids)
    assert "token id" in str(info.value) or "sequence of token ids" in str(info.value)


def test_disallowed_special_text_names_the_token_and_both_remedies():
    tok = ours("cl100k_base")
    with pytest.raises(ValueError) as info:
        tok.encode("say <|endoftext|> now")
    message = str(info.value)
    assert "'<|endoftext|>'" in message or '"<|endoftext|>"' in message
    assert "allowed_special" in message and "disallowed_special=()" in message
    assert tok.encode("say <|endoftext|> now", disallowed_special=()) == tok.encode_ordinary("say <|endoftext|> now")


def test_special_token_rules_match_tiktoken():
    from conftest import oracle

    tok, ref = ours("cl100k_base"), oracle("cl100k_base")
    text = "a<|endoftext|>b<|fim_prefix|>c"
    for allowed, disallowed in [({"<|endoftext|>"}, ()), ("all", "all"), (set(), ()), ({"<|fim_prefix|>"}, ())]:
        assert tok.encode(text, allowed_special=allowed, disallowed_special=disallowed) == ref.encode(
            text, allowed_special=allowed, disallowed_special=disallowed
        )
    with pytest.raises(ValueError, match="fim_prefix"):
        tok.encode(text, allowed_special={"<|endoftext|>"})


def test_unknown_special_names_are_rejected():
    tok = ours("cl100k_base")
    with pytest.raises(ValueError, match="<\\|nope\\|>.*not a special token"):
        tok.encode("x", allowed_special={"<|nope|>"})
    with pytest.raises(TypeError, match="did you mean"):
        tok.encode("x", allowed_special="<|endoftext|>")
