"""The package's imports run one way: no cycles, no module importing another's private name.

Walks every module of ``fisherstat`` with :mod:`ast` (no import is executed), resolves each
``import``/``from ... import`` inside the package -- at module level *and* inside functions,
so a function-level import cannot hide a cycle -- and checks two properties of the graph:

* it is acyclic (a strongly connected component of more than one module is a cycle);
* no module imports a name starting with ``_`` from *another* module, unless that module is
  itself private to the package (a file or package whose own name starts with ``_``, such as
  ``fisherstat._validation``: those are the shared internals every module may use).

Imports of third-party packages are not part of the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fisherstat

ROOT = Path(fisherstat.__file__).resolve().parent
PACKAGE = "fisherstat"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _target(name: str) -> str | None:
    """The package module that ``name`` (a dotted import target) lives in, if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_private_module(name: str) -> bool:
    return any(part.startswith("_") for part in name.split(".")[1:])


def _edges():
    """Yield (importer, imported module, imported name or None, line)."""
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        target = _target(alias.name)
                        if target:
                            yield name, target, None, node.lineno
            elif isinstance(node, ast.ImportFrom):
                mod = _resolve(name, node)
                if mod.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    sub = f"{mod}.{alias.name}"
                    if sub in MODULES:  # ``from . import submodule``
                        yield name, sub, None, node.lineno
                    else:
                        target = _target(mod)
                        if target:
                            yield name, target, alias.name, node.lineno


EDGES = list(_edges())


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for importer, target, _, _ in EDGES:
        if target == importer:
            continue
        graph[importer].add(target)
        # Importing ``pkg.sub`` first runs ``pkg/__init__``, which usually imports the rest of
        # ``pkg``: the interpreter's edge to every enclosing package the importer is not
        # already inside is as real as the written one.
        parts = target.split(".")
        for k in range(2, len(parts)):
            package = ".".join(parts[:k])
            if not _is_ancestor_package(package, importer):
                graph[importer].add(package)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _is_ancestor_package(a: str, b: str) -> bool:
    """True if ``a`` is a package that contains module ``b``."""
    return b.startswith(a + ".")


def test_the_walk_sees_the_package():
    # The walk must see every layer of ARCHITECTURE.md, else the checks below pass vacuously.
    for name in ("fisherstat.information", "fisherstat.models.base", "fisherstat.design",
                 "fisherstat.nn.mlp", "fisherstat.asymptotics", "fisherstat.singular"):
        assert name in MODULES
    assert len(EDGES) > 100


def test_no_import_cycles():
    graph = _graph()
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_imports_another_modules_private_name():
    bad = []
    for importer, target, name, line in EDGES:
        if name is None or not name.startswith("_") or name.startswith("__"):
            continue
        if target == importer or _is_private_module(target):
            continue
        if _is_ancestor_package(target, importer) and _is_private_module(importer):
            continue
        bad.append(f"{MODULES[importer].relative_to(ROOT.parent)}:{line} imports "
                   f"{name} from {target}")
    assert bad == [], "private names imported across modules:\n" + "\n".join(bad)
