"""The package's layers only import downward, and no two modules import each other.

Every ``import`` and ``from … import`` of the package counts, wherever it is written: at
the top, inside a function or under ``if TYPE_CHECKING`` (a cycle hidden in a function is
still a cycle a reader has to untangle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archive"

# Lowest first. A module may import modules of its own layer or of a lower one.
LAYERS = [
    ("archive", "archive.errors", "archive.times", "archive.urls", "archive.workers", "archive.config"),
    ("archive.storage",),
    ("archive.warc",),
    ("archive.text",),
    ("archive.index",),
    ("archive.capture",),
    ("archive.provenance",),
    ("archive.store",),
    ("archive.check", "archive.watch", "archive.export", "archive.site"),
    ("archive.spark",),
    ("archive.web",),
    ("archive.demo",),
    ("archive.cli",),
]


def layer_of(module: str) -> int:
    best = None
    for rank, names in enumerate(LAYERS):
        for name in names:
            if module == name or (name != "archive" and module.startswith(name + ".")):
                best = rank
    if best is None:
        raise AssertionError(f"{module} is in no layer of tests/test_layout.py: place it")
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (``from pkg import mod`` names mod)."""
    me = module_name(path)
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "archive":
                    out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".") if is_pkg else me.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "archive":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
    return {m for m in out if m != me}


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: {m for m in imports_of(path, known) if m in known} for name, path in mods.items()}


def test_every_module_has_a_layer():
    for name in modules():
        layer_of(name)


def test_imports_only_run_downward():
    upward = []
    for mod, deps in graph().items():
        for dep in deps:
            # a package's __init__ may name its own modules (the web plugin's hooks do)
            if dep.startswith(mod + "."):
                continue
            if layer_of(dep) > layer_of(mod):
                upward.append(f"{mod} (layer {layer_of(mod)}) imports {dep} (layer {layer_of(dep)})")
    assert not upward, "\n".join(sorted(upward))


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(g.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_cycles():
    g = graph()
    # A package importing its own submodules is not a cycle unless one imports it back.
    cycle = find_cycle(g)
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize("edges, cycle", [
    ({"a": {"b"}, "b": {"a"}}, True),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
])
def test_the_cycle_finder_finds_cycles(edges, cycle):
    assert (find_cycle(edges) is not None) == cycle


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The walk reads function-level and TYPE_CHECKING imports too."""
    src = tmp_path / "archive" / "warc"
    src.mkdir(parents=True)
    f = src / "x.py"
    f.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from archive.store import Store\n"
                 "def g():\n    from archive.cli import cli\n")
    global PACKAGE
    saved = PACKAGE
    try:
        PACKAGE = tmp_path / "archive"
        deps = imports_of(f, {"archive.store", "archive.cli", "archive.warc.x"})
    finally:
        PACKAGE = saved
    assert deps == {"archive.store", "archive.cli"}
