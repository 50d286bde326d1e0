"""Every mistake a user can make is a Python exception that says what to do."""

from __future__ import annotations

import base64
import json

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
    path = write_ranks(tmp_path / "f.tiktoken", all_bytes() + ["this is not base64!! 256\n"])
    with pytest.raises(ValueError, match="line 257: expected `base64 rank`"):
        tokkit.from_tiktoken(path, pattern="gpt2")


def test_duplicate_ranks_are_rejected(tmp_path):
    path = write_ranks(tmp_path / "d.tiktoken", all_bytes() + ["YWI= 255\n"])
    with pytest.raises(ValueError, match=r'rank 255 is given twice \(to b"\\xff" and b"ab"\)'):
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


def test_names_in_other_case_or_with_hyphens_are_not_taken_as_regexes():
    path = data_path("vocab", "tiktoken", "r50k_base.tiktoken")
    for name in ["CL100K", "Llama-3", "o200K"]:
        with pytest.raises(ValueError, match=f"unknown pre-tokenizer pattern name \"{name}\""):
            tokkit.from_tiktoken(path, pattern=name)


def test_text_a_regex_leaves_unmatched_is_an_error_not_dropped():
    path = data_path("vocab", "tiktoken", "r50k_base.tiktoken")
    letters = tokkit.from_tiktoken(path, pattern=r"[a-z]+")
    assert letters.encode("hello") == [31373]
    with pytest.raises(ValueError, match=r'at character 5 \(" world"\).*\|\\s\+\|\.'):
        letters.encode("hello world")
    with pytest.raises(ValueError, match=r"at character 5"):
        letters.encode("hello!")
    with pytest.raises(ValueError, match=r'at character 0 \("!hello"\)'):
        letters.encode_batch(["hello", "!hello"])
    with pytest.raises(ValueError, match=r"at character 0"):
        tokkit.from_tiktoken(path, pattern=r"\b").encode("ab c")
    covered = tokkit.from_tiktoken(path, pattern=r"[a-z]+|\s+|.")
    assert covered.decode(covered.encode("hello world!")) == "hello world!"


def test_id_to_token_takes_ints_only():
    enc = tokkit.from_tiktoken(data_path("vocab", "tiktoken", "r50k_base.tiktoken"), pattern="gpt2")
    assert enc.id_to_token(31373) == "hello"
    for bad in ["5", 1.9, True, None]:
        with pytest.raises(TypeError, match="a token id must be an int"):
            enc.id_to_token(bad)
    for out_of_range in [-1, 10**20, enc.vocab_size]:
        with pytest.raises(ValueError, match="is not in the vocabulary"):
            enc.id_to_token(out_of_range)


def test_special_ids_that_clash_with_ranks_are_rejected():
    path = data_path("vocab", "tiktoken", "r50k_base.tiktoken")
    with pytest.raises(ValueError, match="already uses"):
        tokkit.from_tiktoken(path, pattern="gpt2", special_tokens={"<|x|>": 5})


def test_load_names_a_bad_line_and_a_bad_sidecar(tmp_path):
    path = write_ranks(tmp_path / "broken.tiktoken", all_bytes() + ["YWI=\n"])
    with pytest.raises(ValueError, match=r"broken.tiktoken: line 257: expected `base64 rank`"):
        tokkit.load(path)
    path = write_ranks(tmp_path / "side.tiktoken", all_bytes())
    sidecar = tmp_path / "side.tiktoken.json"
    for contents in ["{}", "not json", "[1]"]:
        sidecar.write_text(contents)
        with pytest.raises(ValueError, match=r"side.tiktoken.json: not a tokkit sidecar.*\"pattern\""):
            tokkit.load(path)
    sidecar.write_text('{"pattern": "gpt2"}')
    assert tokkit.load(path).encode_ordinary("ab") == [97, 98]


def test_a_damaged_tokkit_file_is_named_with_what_is_wrong(tmp_path):
    path = tmp_path / "mine.json"
    ours("r50k_base").save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    for key, value, message in [("version", 7, r"mine.json: tokkit format version 7; this tokkit reads version 1"),
                                ("type", "wordpiece", r"mine.json: unknown tokenizer type \"wordpiece\""),
                                ("ranks", "not base64!", r"mine.json: \"ranks\" is not base64"),
                                ("special_tokens", {"<x>": -1}, r"mine.json: the special token \"<x>\" has id -1")]:
        path.write_text(json.dumps({**document, key: value}), encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            tokkit.load(path)


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
