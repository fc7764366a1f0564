"""No import cycles between coordhub modules: the module-level imports of the package, read with ast, form a graph
without cycles (an import inside a function to dodge a cycle is how the CLI's `_operation_by_name` hid one)."""

from __future__ import annotations

import ast
from pathlib import Path

import coordhub

PACKAGE = Path(coordhub.__file__).resolve().parent


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The imports a module runs when imported: its top level, inside top-level if/try blocks too, except under
    `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                found += _module_level(node.body) + _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            found += _module_level(node.body) + _module_level(node.orelse) + _module_level(node.finalbody)
            for handler in node.handlers:
                found += _module_level(handler.body)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports at module level (`from a import b` counts as a.b when b is a
    module, else as a)."""
    paths = {module_name(path, root): path for path in root.rglob("*.py")}
    top = root.name

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _module_level(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                targets |= {known(alias.name) for alias in node.names if alias.name.split(".")[0] == top} - {None}
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.split(".")[0] != top:
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                target = full if full in paths else known(base)
                if target is not None:
                    targets.add(target)
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_coordhub_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert "coordhub.wiring" in graph and "coordhub.registry.models" in graph["coordhub.web"]
    assert cycles(graph) == []


def test_a_cycle_is_found(tmp_path):
    """The check itself: a package whose modules import each other (directly, through `from . import`, or only
    inside a top-level try) is reported; imports inside functions and under TYPE_CHECKING are not module-level."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("try:\n    from .. import c\nexcept ImportError:\n    pass\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("def late():\n    from pkg import e\n")
    (package / "e.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n")
    (package / "f.py").write_text("from pkg.d import late\n")
    graph = import_graph(package)
    assert graph["pkg.d"] == set() and graph["pkg.e"] == set() and graph["pkg.f"] == {"pkg.d"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
