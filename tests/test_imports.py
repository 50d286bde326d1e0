"""The package's modules import one another without a circle: a module never depends,
directly or through others, on a module that depends on it. Imports inside functions count
too; a circle hidden in a function is still a circle in the design."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "tokkit"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package by name; the compiled engine, ``tokkit._core``, imports
    nothing of the package."""
    found = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    found["tokkit._core"] = None
    return found


def imports(name: str, path: Optional[Path], known: set[str]) -> set[str]:
    """The tokkit modules `name` imports, anywhere in its file."""
    if path is None:
        return set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {module for module in found if module in known and module != name}


def find_circle(graph: dict[str, set[str]]) -> list[str]:
    """A circle of imports as a list of modules, or [] if there is none."""
    state: dict[str, int] = {}  # 1 while on the current path, 2 when done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for other in sorted(graph[module]):
            if state.get(other) == 1:
                return path[path.index(other):] + [other]
            if other not in state:
                circle = visit(other)
                if circle:
                    return circle
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state:
            circle = visit(module)
            if circle:
                return circle
    return []


def test_no_module_imports_itself_through_others():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    circle = find_circle(graph)
    assert not circle, "import circle: " + " -> ".join(circle)


def test_the_circle_finder_finds_a_circle():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) == []
