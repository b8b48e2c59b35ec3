"""The house rules, read from the code itself: floors import downwards only, no import circle,
no module past 900 lines.

Floors (DESIGN.md): io → network → analysis → run → publish → pipeline → province → cli. Every import
counts, including those inside functions and under ``TYPE_CHECKING``: a circle through a
type-only import is still two modules that each need the other to be understood.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"
MAX_LINES = 900

#: Floor of each top-level part of the package; a module may import its own floor or lower.
FLOORS: dict[str, int] = {
    "planner": 0,
    "planner.errors": 0,
    "planner.settings": 0,
    "planner._repr": 0,
    "planner.io": 1,
    "planner.study": 2,
    "planner.inputs": 3,
    "planner.demo": 3,
    "planner.network": 4,
    "planner.analysis": 5,
    "planner.run": 6,
    "planner.publish": 7,
    "planner.pipeline": 8,
    "planner.province": 9,
    "planner.cli": 10,
    "planner.__main__": 10,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """planner modules that ``name`` imports (resolving ``from a import b`` to ``a.b``)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "planner")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_package else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            if base.split(".")[0] != "planner":
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in known else base)
    out.discard(name)
    return out


def _floor(module: str) -> int:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in FLOORS:
            return FLOORS[prefix]
    raise AssertionError(f"{module} has no floor in FLOORS: add it (tests/test_architecture.py)")


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        for target in _imports(name, path, set(mods)):
            g.add_edge(name, target)
    return g


def test_import_graph_is_read(graph: nx.DiGraph) -> None:
    # The parser must see the imports we know of, or the other tests prove nothing.
    assert graph.has_edge("planner.pipeline", "planner.run")
    assert graph.has_edge("planner.publish.maps", "planner.run")
    assert graph.has_edge("planner.io.osm", "planner.io.osm.reader")
    assert graph.has_edge("planner.cli", "planner.pipeline")  # an import inside a function


def test_no_import_circle(graph: nx.DiGraph) -> None:
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert not cycles, "import circles: " + "; ".join(" -> ".join([*c, c[0]]) for c in cycles)


def test_floors_import_downwards(graph: nx.DiGraph) -> None:
    bad = [
        f"{a} (floor {_floor(a)}) imports {b} (floor {_floor(b)})"
        for a, b in graph.edges
        if _floor(b) > _floor(a)
    ]
    assert not bad, "imports that go up a floor: " + "; ".join(sorted(bad))


def test_publish_never_imports_the_pipeline(graph: nx.DiGraph) -> None:
    for mod in graph.nodes:
        if mod.startswith("planner.publish"):
            assert "planner.pipeline" not in graph.successors(mod), mod


def test_no_module_over_max_lines() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by concern): " + ", ".join(
        f"{k} ({v})" for k, v in sorted(long.items(), key=lambda kv: -kv[1])
    )


def test_cycle_detector_sees_a_circle(tmp_path: Path) -> None:
    # A hand-made two-module circle through a TYPE_CHECKING import is found.
    a = tmp_path / "a.py"
    a.write_text("from planner.b import x\n")
    b = tmp_path / "b.py"
    b.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from planner.a import y\n"
    )
    known = {"planner.a", "planner.b"}
    g = nx.DiGraph()
    g.add_edge("planner.a", *_imports("planner.a", a, known))
    g.add_edge("planner.b", *_imports("planner.b", b, known))
    assert [c for c in nx.simple_cycles(g) if len(c) > 1]
