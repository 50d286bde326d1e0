"""Instructions per encode call, counted by valgrind's callgrind: a figure that does not
move with the machine's load, for telling whether a change made encoding slower.

Two builds are compared in one run, the tokkit importable here and the package folder
given with `--against` (for instance a worktree of an earlier commit, its extension built
into it), on the same workloads: 20,000 calls on a short sentence (what per-call overhead
costs) and five calls on 200 KB of Botchan, for a tiktoken file (cl100k), a tokenizer.json
(bert-base-uncased) and a SentencePiece .model. Each count is that of the workload run
minus that of the same process loading the tokenizer and encoding nothing, on one thread
with Python's hash seed fixed, so that counts repeat exactly. Both builds' ids are checked
equal first.

    python benches/instructions.py --against /path/to/old/python --label "commit abc123"

writes benches/results/instructions.{json,md}.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, machine, write_results  # noqa: E402

TOKENIZERS = {
    "cl100k (.tiktoken)": "vocab/tiktoken/cl100k_base.tiktoken",
    "bert-base-uncased (tokenizer.json)": "vocab/hf/bert-base-uncased/tokenizer.json",
    "sentencepiece_test_model (.model)": "vocab/spm/sentencepiece_test_model.model",
}
SHORT = "Hello world, how are you doing today?"
WORKLOADS = {"short, 20,000 calls": (SHORT, 20_000), "200 KB, 5 calls": (None, 5)}
# What makes a count differ from run to run: Python's string hashing, seeded at random
# per process, and idle threads spinning (NumPy's BLAS pool, rayon's). With one seed and
# one thread each, the same run gives the same count to a few instructions.
ENV = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "RAYON_NUM_THREADS": "1"}


def worker(spec: dict) -> None:
    """Loads a tokenizer from `spec["package"]` (or the installed one) and encodes."""
    if spec["package"]:
        sys.path.insert(0, spec["package"])
    import tokkit

    tok = tokkit.load(DATA / spec["file"])
    text = spec["text"] if spec["text"] is not None else (DATA / "corpora/mono/botchan_en.txt").read_text()[:200_000]
    ids = []
    for _ in range(spec["calls"]):
        ids = tok.encode(text)
    print(hashlib.sha256(json.dumps(ids).encode()).hexdigest())


def instructions(spec: dict) -> int:
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
                           "--worker", json.dumps(spec)], capture_output=True, text=True, check=True, env=ENV)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


@functools.cache
def _baseline(package, file, text) -> int:
    return instructions({"package": package, "file": file, "text": text, "calls": 0})


def baseline(spec: dict) -> int:
    """The instructions of the same run encoding nothing: loading, reading the text."""
    return _baseline(spec["package"], spec["file"], spec["text"])


def digest(spec: dict) -> str:
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps({**spec, "calls": 1})], capture_output=True,
                          text=True, check=True, env=ENV)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="the python/ folder of the build to compare with")
    parser.add_argument("--label", help="what that build is (a commit, say), for the results")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    if args.against is None:
        parser.error("--against is required: the python/ folder of the build to compare with")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    builds = {"this build": None, "against": str(Path(args.against).resolve())}
    rows = []
    for name, file in TOKENIZERS.items():
        for workload, (text, calls) in WORKLOADS.items():
            specs = {build: {"package": package, "file": file, "text": text, "calls": calls}
                     for build, package in builds.items()}
            if len({digest(spec) for spec in specs.values()}) != 1:
                sys.exit(f"{name}, {workload}: the two builds give different ids; no counts are reported")
            counts = {build: (instructions(spec) - baseline(spec)) / calls for build, spec in specs.items()}
            rows.append({"tokenizer": name, "workload": workload, **counts})
            print(rows[-1], flush=True)
    lines = ["# Instructions per encode call (callgrind)", "",
             f"Machine: {machine()['cpu']}. Against: {args.label or builds['against']}. Ids checked equal in every "
             f"row.", "",
             "| tokenizer | workload | this build | against | change |", "|---|---|---|---|---|"]
    for row in rows:
        change = row["this build"] / row["against"] - 1
        lines.append(f"| {row['tokenizer']} | {row['workload']} | {row['this build']:,.0f} | {row['against']:,.0f} | "
                     f"{change:+.1%} |")
    write_results("instructions", {"machine": machine(), "against": args.label or builds["against"], "rows": rows},
                  "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
