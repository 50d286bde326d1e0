"""Every command in the README runs, and every result it shows is the result it gets.

Python blocks run in order in one namespace, in a scratch folder holding the files they
name; a line ``expression  # value`` must evaluate to that literal value, and a line
``expression  # SomeError ...`` must raise that error. Shell blocks: every ``tokkit``
line runs and must succeed (``make`` lines are what CI itself runs).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, ROOT, data_path

README = ROOT / "README.md"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)
EXPECTED = re.compile(r"^(?P<code>[^#]*?\S)\s+#\s+(?P<expected>.+)$")


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text(encoding="utf-8")) if lang == language]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A folder with the files the README's examples name."""
    tiktoken = data_path("vocab", "tiktoken")
    shutil.copy(tiktoken / "cl100k_base.tiktoken", tmp_path / "cl100k_base.tiktoken")
    shutil.copy(tiktoken / "o200k_base.tiktoken", tmp_path / "my.tiktoken")
    shutil.copy(data_path("vocab", "spm", "sentencepiece_test_model.model"), tmp_path / "spiece.model")
    (tmp_path / "bert").mkdir()
    shutil.copy(data_path("vocab", "hf", "bert-base-uncased", "tokenizer.json"), tmp_path / "bert" / "tokenizer.json")
    text = data_path("corpora", "mono", "tinyshakespeare.txt").read_text(encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    for i in range(3):
        (tmp_path / "corpus" / f"part-{i}.txt").write_text(text[i * 300_000 : (i + 1) * 300_000], encoding="utf-8")
    (tmp_path / "corpus.txt").write_text(text, encoding="utf-8")
    (tmp_path / "book.txt").write_text(text[:50_000], encoding="utf-8")
    (tmp_path / "shard-1.txt").write_text(text[:500_000], encoding="utf-8")
    (tmp_path / "shard-2.txt").write_text(text[500_000:], encoding="utf-8")
    (tmp_path / "udhr").symlink_to(data_path("corpora", "multilingual", "udhr"), target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOKKIT_CACHE_DIR", str(tiktoken))
    return tmp_path


def run_python_block(source: str, namespace: dict) -> None:
    for line in source.splitlines():
        match = EXPECTED.match(line)
        statement = match["code"] if match else line
        if not statement.strip() or statement.lstrip().startswith("#"):
            continue
        expected = match["expected"] if match else None
        if expected and re.match(r"^[A-Z]\w*Error\b", expected):
            error = getattr(__builtins__, expected.split()[0], None) or Exception
            with pytest.raises(error):
                exec(compile(statement, "README.md", "exec"), namespace)
            continue
        if expected:
            try:
                value = ast.literal_eval(expected)
            except (ValueError, SyntaxError):
                value = None  # a comment in words, not a value
            if value is not None:
                got = eval(compile(statement.strip(), "README.md", "eval"), namespace)
                assert got == value, f"README says {statement.strip()} gives {expected}, it gives {got!r}"
                continue
        exec(compile(statement, "README.md", "exec"), namespace)


def joined_statements(source: str) -> str:
    """Joins statements continued over several lines, so each line above is whole."""
    out, pending = [], ""
    for line in source.splitlines():
        pending = f"{pending} {line.strip()}" if pending else line
        if pending.count("(") + pending.count("[") + pending.count("{") == (
            pending.count(")") + pending.count("]") + pending.count("}")
        ):
            out.append(pending)
            pending = ""
    return "\n".join(out + ([pending] if pending else []))


@pytest.mark.filterwarnings("ignore:the corpus has too few pairs")  # the scratch corpora are small
def test_python_examples_run_and_show_true_results(scratch):
    namespace: dict = {}
    for source in blocks("python"):
        run_python_block(joined_statements(source), namespace)


def test_shell_examples_run(scratch):
    # One BLAS thread: on a busy machine, BLAS threads that wait by spinning for a core
    # already taken can make `tokkit lm train` ten times slower and run into the timeout.
    env = {**os.environ, "TOKKIT_DATA": str(DATA), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    commands = [line.split("#")[0].strip() for body in blocks("sh") for line in body.splitlines()]
    commands = [c for c in commands if c.startswith("tokkit ")]
    assert commands, "the README shows no tokkit commands"
    assert "tokkit demo" in commands
    # The full demo takes minutes; test_cli runs the same steps smaller and checks its report.
    commands = [c for c in commands if c != "tokkit demo"]
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "tokkit", *shlex_split(command)[1:]], capture_output=True,
                              text=True, env=env, cwd=scratch, timeout=600)
        assert done.returncode == 0, f"{command!r} failed: {done.stderr}"


def shlex_split(command: str) -> list[str]:
    import shlex

    return shlex.split(command)
