"""The package's layout rules (docs/design.md): no import circle, counting imports inside
functions too (a circle hidden behind a function-level import is still one), and no module at
the top of the package besides the CLI entry, the error type, the cache paths and the one
pipeline that spans stages. The import graph is read with ast, so nothing is imported."""

import ast
from pathlib import Path

import unicore

SRC = Path(unicore.__file__).parent
TOP_LEVEL = {"__init__", "__main__", "cli", "errors", "paths", "pipeline"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in SRC.rglob("*.py") if "pool" not in p.relative_to(SRC).parts}


def _targets(node: ast.AST, package: str) -> set[str]:
    """The package modules an import statement loads: `from pkg import sub` is the submodule."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if not isinstance(node, ast.ImportFrom):
        return set()
    base = node.module or ""
    if node.level:
        kept = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join(kept + ([base] if base else []))
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set().union(*(_targets(n, package) for n in ast.walk(ast.parse(path.read_text()))))
        graph[name] = {m for m in found if m in MODULES and m != name}
    return graph


def _circle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path start -> ... -> start, if there is one (depth-first)."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in graph[node]:
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_the_graph_sees_imports_inside_functions():
    graph = _graph()
    assert "unicore.analysis.static.analyze" in graph["unicore.analysis.analyze"]  # imported in a function
    assert "unicore.errors" in graph["unicore.cli"] or "unicore.errors" in graph["unicore.commands.build"]


def test_no_import_circle():
    graph = _graph()
    circles = [c for c in (_circle_from(m, graph) for m in sorted(graph)) if c]
    assert circles == []


def test_no_stray_top_level_module():
    stray = sorted(p.stem for p in SRC.glob("*.py") if p.stem not in TOP_LEVEL)
    assert stray == []
