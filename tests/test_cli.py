"""The tokkit command: results on stdout, messages on stderr, exit statuses, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import DATA, data_path


def run_cli(*args, input=None, cwd=None):
    env = {**os.environ, "TOKKIT_DATA": str(DATA), "TOKKIT_CACHE_DIR": str(DATA / "vocab" / "tiktoken")}
    return subprocess.run([sys.executable, "-m", "tokkit", *args], capture_output=True, text=True, input=input,
                          env=env, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    corpus = folder / "corpus.txt"
    corpus.write_text("the cat sat on the mat. the dog sat on the log.\n" * 200)
    out = folder / "tok.json"
    done = run_cli("train", "bpe", str(corpus), "--vocab-size", "270", "--special-token", "<|end|>", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_train_encode_decode_round_trip(trained):
    encoded = run_cli("encode", "-t", str(trained), "the cat sat")
    assert encoded.returncode == 0, encoded.stderr
    decoded = run_cli("decode", "-t", str(trained), input=encoded.stdout)
    assert decoded.stdout == "the cat sat\n"


def test_encode_shows_tokens_and_reads_stdin(trained):
    done = run_cli("encode", "-t", str(trained), "--tokens", input="the mat")
    assert done.returncode == 0
    tokens = done.stdout.split()
    assert tokens[0] == "the" and "".join(tokens).replace("␣", " ") == "the mat"


def test_encode_writes_npy_files(trained, tmp_path):
    path = tmp_path / "ids.npy"
    done = run_cli("encode", "-t", str(trained), "the cat", "the dog", "--out", str(path))
    assert done.returncode == 0, done.stderr
    assert np.load(path).dtype == np.uint32 and len(np.load(path)) >= 4


def test_encode_with_a_named_encoding():
    data_path("vocab", "tiktoken", "cl100k_base.tiktoken")
    done = run_cli("encode", "-t", "cl100k_base", "hello world")
    assert done.stdout.split() == ["15339", "1917"]


def test_special_token_text_is_text_unless_a_flag_says_otherwise():
    text = "a <|endoftext|> b"
    plain = run_cli("encode", "-t", "cl100k_base", text)
    assert plain.returncode == 0 and "100257" not in plain.stdout.split()
    special = run_cli("encode", "-t", "cl100k_base", "--allow-special", text)
    assert special.returncode == 0 and "100257" in special.stdout.split()
    strict = run_cli("encode", "-t", "cl100k_base", "--disallow-special", text)
    assert strict.returncode == 1 and "<|endoftext|>" in strict.stderr and "Traceback" not in strict.stderr


def test_inspect_describes_the_tokenizer(trained):
    done = run_cli("inspect", str(trained))
    assert done.returncode == 0
    assert "vocab size      270" in done.stdout and "<|end|> (269)" in done.stdout


def test_training_says_when_the_corpus_cannot_fill_the_vocabulary(tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("ab ab ab\n")
    done = run_cli("train", "bpe", str(corpus), "--vocab-size", "1000", "--out", str(tmp_path / "t.json"))
    assert done.returncode == 0
    assert "too few pairs" in done.stderr and "the vocabulary has 25" in done.stderr


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["encode", "-t", "missing.json", "x"], 1, "no tokenizer file"),
        (["decode", "-t", "cl100k_base", "12", "x"], 2, "whole numbers"),
        (["train", "bpe", "absent.txt", "--vocab-size", "300", "--out", "x.json"], 1, "no such corpus file"),
        (["train", "bpe", "c.txt", "--out", "x.json"], 2, "--vocab-size"),
        (["frobnicate"], 2, "invalid choice"),
        (["encode", "-t", "cl100k_base", "--file", "latin1.txt"], 1, "latin1.txt: invalid UTF-8 at byte 2"),
        (["encode", "-t", "cl100k_base", "--out", "ids.txt", "x"], 2, "--out must end in .npy or .bin"),
    ],
)
def test_mistakes_give_a_message_and_a_status_without_traceback(args, status, message, tmp_path):
    (tmp_path / "latin1.txt").write_bytes(b"ca\xe9 ok")  # Latin-1, not UTF-8
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == status
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_corrupt_tokenizer_file_is_a_failure_not_a_crash(tmp_path):
    bad = tmp_path / "bad.tiktoken"
    bad.write_text("YQ== 0\nnot base64 at all\n")
    done = run_cli("inspect", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_demo_runs_end_to_end_quickly(tmp_path):
    done = run_cli("demo", "--quick", "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for step in ("1. Training five tokenizers", "2. Comparing", "3. Training the NumPy transformer", "4. Writing the report"):
        assert step in out
    assert "Tibetan" in out and "premium" in out and "bits per byte" in out
    report = tmp_path / "report"
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert "## Language model" in markdown and "bits per byte" in markdown
    assert (report / "index.html").read_text(encoding="utf-8").count("<img") >= 4
    assert json.loads((report / "lm.json").read_text(encoding="utf-8"))[0]["bits_per_byte"] > 0
    assert list(report.glob("loss-*.png")) and list(report.glob("attention-*.png"))
    again = run_cli("demo", "--quick", "--out", str(tmp_path))
    assert again.returncode != 0 and "demo" in again.stderr


def test_convert_writes_a_file_that_loads_with_the_same_ids(trained, tmp_path):
    import tokkit

    target = tmp_path / "tokenizer.json"
    done = run_cli("convert", str(trained), str(target))
    assert done.returncode == 0, done.stderr
    text = "the cat sat on the log"
    assert tokkit.load(trained).encode(text) == tokenizers_ids(target, text)


def test_bench_reports_speeds(trained):
    done = run_cli("bench", "-t", str(trained))
    assert done.returncode == 0, done.stderr
    assert "one call:" in done.stdout and "MB/s" in done.stdout


def tokenizers_ids(path, text):
    tokenizers = pytest.importorskip("tokenizers")
    return tokenizers.Tokenizer.from_file(str(path)).encode(text).ids



def test_ctrl_c_stops_the_demo_cleanly_and_a_rerun_replaces_its_folder(tmp_path):
    import signal

    out = tmp_path / "report"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "tokkit", "demo", "--quick", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in child.stdout:
        if line.startswith("3. Training the NumPy transformer"):
            break
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    again = run_cli("demo", "--quick", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "replacing the earlier demo output" in again.stdout
