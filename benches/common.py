"""What every benchmark shares: where the data is, the machine and versions, and running
one figure in a fresh subprocess so that the peak RSS reported beside it is its own."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("TOKKIT_DATA", ROOT.parent / "shared" / "data"))
RESULTS = HERE / "results"


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(), "python": platform.python_version()}


def versions(*distributions: str) -> dict:
    found = {}
    for name in distributions:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, because ru_maxrss survives
    exec and would report the parent's peak in a fresh worker."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(script: str, spec: dict, timeout: float = 3600) -> dict:
    """Runs `script --worker SPEC` and returns the JSON its last line prints."""
    done = subprocess.run([sys.executable, script, "--worker", json.dumps(spec)], capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_results(name: str, document: dict, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=1))
    path = RESULTS / f"{name}.md"
    path.write_text(markdown)
    return path
