"""The import graph of pcnb/ has no cycles, and layers import only downwards.

Walks every module with ast. Module-level imports (not inside a function or an ``if TYPE_CHECKING:``
block) run at import time, so a cycle among them is a real one; the stricter check also counts the
imports deferred into functions (only type-only imports are exempt), so no two modules lean on each
other at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "pcnb"


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _all_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import outside ``if TYPE_CHECKING:`` blocks, function-level ones included."""
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node)
                 for n in ast.walk(node)}
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in type_only]


def _every_import(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Type-only imports too: a circle through them still means two modules each need the other."""
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, ast.If):
                if not _is_type_checking(node):
                    walk(node.body)
                walk(node.orelse)
            elif isinstance(node, ast.Try):
                walk(node.body)
                for h in node.handlers:
                    walk(h.body)
                walk(node.orelse)
                walk(node.finalbody)
            elif isinstance(node, (ast.With, ast.ClassDef)):
                walk(node.body)
    walk(tree.body)
    return found


def import_graph(deferred: bool = False, types: bool = False) -> dict[str, set[str]]:
    """module -> the pcnb modules it imports (``deferred``: function-level imports too; ``types``: and
    the ones under ``if TYPE_CHECKING:``)."""
    collect = _every_import if types else _all_imports if deferred else _module_level_imports
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in collect(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base
                                                                                                        else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles_in_pcnb():
    graph = import_graph()
    assert len(graph) > 50 and "pcnb.writeback.actions" in graph["pcnb.writeback.planner"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_no_import_cycles_even_through_deferred_imports():
    graph = import_graph(deferred=True)
    assert "pcnb.workspace" in graph["pcnb.commands.connection"]  # a function-level import is seen
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def package_graph() -> dict[str, set[str]]:
    """The deferred graph collapsed to pcnb's packages and top-level modules (pcnb.api, pcnb.config, ...)."""
    def unit(module: str) -> str:
        return ".".join(module.split(".")[:2])

    out: dict[str, set[str]] = {}
    for module, deps in import_graph(deferred=True).items():
        out.setdefault(unit(module), set()).update(unit(d) for d in deps if d != "pcnb" and unit(d) != unit(module))
    out.pop("pcnb", None)
    return out


def test_no_two_packages_lean_on_each_other():
    """config and api once imported each other (the contract lived in api); the contract is a leaf now."""
    graph = package_graph()
    assert {"pcnb.api", "pcnb.config", "pcnb.contract", "pcnb.diagnostics", "pcnb.writeback"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])
    assert graph["pcnb.contract"] == set() and graph["pcnb.clock"] == set()
    assert "pcnb.api" not in graph["pcnb.config"] and "pcnb.diagnostics" not in graph["pcnb.api"]


def test_write_back_has_no_circle_even_for_types():
    """actions and current type against model.PlannerView, not the planner that imports them."""
    graph = {m: {d for d in deps if d.startswith("pcnb.writeback")}
             for m, deps in import_graph(types=True).items() if m.startswith("pcnb.writeback")}
    assert "pcnb.writeback.actions" in graph["pcnb.writeback.planner"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layers_import_downwards():
    """api imports no other layer; the sandbox only the contract and the codec; cache and writeback
    never the workspace or a front end; command families never their registry."""
    graph = import_graph()

    def reach(module: str) -> set[str]:
        seen, todo = set(), [module]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    front = {"pcnb.workspace", "pcnb.magics", "pcnb.cli", "pcnb.commands", "pcnb.widgets.browser",
             "pcnb.widgets.login", "pcnb.report"}
    for name in graph:
        deps = reach(name)
        if name.startswith("pcnb.api."):
            assert not {d for d in deps if d.startswith(("pcnb.cache", "pcnb.writeback", "pcnb.commands",
                                                         "pcnb.sandbox", "pcnb.analytics"))}, name
        if name.startswith("pcnb.sandbox."):
            assert {d for d in deps if not d.startswith("pcnb.sandbox")} <= {
                "pcnb", "pcnb.api", "pcnb.contract", "pcnb.api.codec", "pcnb.clock"}, (name, deps)
        if name == "pcnb.clock":
            assert not deps, deps  # a leaf: everything may ask it the time
        if name.startswith(("pcnb.cache.", "pcnb.writeback.", "pcnb.api.", "pcnb.diagnostics.")) or name in (
                "pcnb.connect", "pcnb.contract", "pcnb.clock"):
            assert not deps & front, (name, deps & front)
        if name.startswith("pcnb.commands.") and name != "pcnb.commands":
            assert "pcnb.commands" not in graph[name], name


def test_the_package_face_is_curated_and_lazy():
    import subprocess
    import sys

    import pcnb

    code = "import sys, pcnb; print(sorted(m for m in ('polars', 'requests', 'IPython') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"
    assert set(pcnb.__all__) - {"__version__", "load_ipython_extension"} == set(pcnb._FACE)
    for name in pcnb._FACE:
        assert getattr(pcnb, name) is not None, name
    from pcnb import PowerClerkError, RateLimited, Workspace, running_sandbox

    assert issubclass(RateLimited, PowerClerkError) and callable(running_sandbox) and hasattr(Workspace, "open")
