"""The layout's rules, read from the code's own imports.

- no import circle among the modules of ``zenodo``, ``zenodo_sandbox`` and ``zenodo_demo``;
- no stage of a specimen's path imports a later stage (``STAGES`` gives their order);
- the domain packages import without Airflow installed;
- ``zenodo_sandbox`` (what the product is tested against) imports nothing of the product.

Imports under ``if TYPE_CHECKING:`` count for the first two rules (a stage should not even
name a later stage's types) but not for the third (annotations need no Airflow at run time).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"zenodo": ROOT / "plugins" / "zenodo", "zenodo_sandbox": ROOT / "zenodo_sandbox",
            "zenodo_demo": ROOT / "zenodo_demo"}
#: The path of one specimen, in order; a stage may import only itself and earlier stages.
STAGES = ("config", "source", "validate", "metadata", "store", "ledger", "traffic",
          "repository", "engine", "harvest", "reconcile", "writeback", "report")
#: Plain Python: importable without Airflow.
DOMAIN = (*STAGES, "errors")


@dataclass(frozen=True)
class Edge:
    """One import: ``source`` imports ``target`` (module names), at run time or for types."""

    source: str
    target: str
    typing_only: bool


def module_name(path: Path) -> str:
    for package, folder in PACKAGES.items():
        if path.is_relative_to(folder):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise ValueError(path)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for folder in PACKAGES.values() for p in folder.rglob("*.py")
            if "migrations" not in p.parts}


def _typing_only_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_lines = _typing_only_lines(tree)
    edges = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                       else node.module for alias in node.names]
        for target in targets:
            edges.append(Edge(name, target, node.lineno in typing_lines))
    return edges


def own_edges() -> list[Edge]:
    modules = all_modules()
    return [edge for name, path in modules.items() for edge in imports_of(name, path, modules)
            if edge.target in modules and edge.target != edge.source]


def part_of(module: str) -> str | None:
    """The folder (or top module) of ``zenodo`` a module is in: ``engine``, ``hooks``, …"""
    parts = module.split(".")
    return parts[1] if parts[0] == "zenodo" and len(parts) > 1 else None


def stage_of(module: str) -> str | None:
    part = part_of(module)
    return part if part in STAGES else None


def find_cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_rules_see_a_circle_and_a_backward_import() -> None:
    circle = [Edge("zenodo.a", "zenodo.b", False), Edge("zenodo.b", "zenodo.a", True)]
    assert find_cycles(circle) == [["zenodo.a", "zenodo.b"]]
    assert STAGES.index("engine") > STAGES.index("ledger")


def test_no_import_circle() -> None:
    assert find_cycles(own_edges()) == []


def test_no_stage_imports_a_later_stage() -> None:
    backward = [f"{e.source} -> {e.target}" for e in own_edges()
                if (a := stage_of(e.source)) and (b := stage_of(e.target))
                and STAGES.index(b) > STAGES.index(a)]
    assert backward == []


def test_the_sandbox_imports_nothing_of_the_product() -> None:
    modules = all_modules()
    leaks = [f"{e.source} -> {e.target}" for name, path in modules.items()
             if name.startswith("zenodo_sandbox")
             for e in imports_of(name, path, modules)
             if e.target.split(".")[0] in ("zenodo", "zenodo_demo")]
    assert leaks == []


def test_the_domain_packages_name_no_airflow_shell() -> None:
    shells = ("hooks", "operators", "sensors", "links", "www", "runtime", "dag_factory",
              "airflow_plugin")
    wrong = [f"{e.source} -> {e.target}" for e in own_edges()
             if not e.typing_only and part_of(e.source) in DOMAIN
             and part_of(e.target) in shells]
    assert wrong == []


_BLOCK_AIRFLOW = """
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "airflow" or name.startswith("airflow."):
            raise ImportError(f"{name} is blocked: the domain must import without Airflow")
sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module(name)
print("imported", len(sys.argv) - 1)
"""


@pytest.mark.parametrize("stage", DOMAIN)
def test_a_domain_package_imports_without_airflow(stage: str) -> None:
    names = sorted(m for m in all_modules() if m == f"zenodo.{stage}"
                   or m.startswith(f"zenodo.{stage}."))
    assert names, stage
    done = subprocess.run([sys.executable, "-c", _BLOCK_AIRFLOW, *names], cwd=ROOT,
                          env={"PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}", "PATH": "/usr/bin"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
