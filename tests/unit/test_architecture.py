"""The layers' contract (docs/architecture.md) beyond what `lint-imports` (.importlinter) checks: no import cycle
between the project's modules, imports written inside functions counted (grimp, import-linter's library, sees
them), and no import inside a function but the app factory's and the CLI's, each listed here."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

from market import ROOT

PACKAGES = ("market", "catalog", "orders", "payments", "vendors")

# (file, module imported) written inside a function: only the app factory, which imports the blueprints and what
# they bring (the features) when it builds an app, since `import market.core.db` runs market/__init__.py first and
# must not pull in every feature. Any other needs a reason written down here.
ALLOWED_INSIDE_FUNCTIONS = {
    ("market/__init__.py", name) for name in (
        "catalog", "catalog.views", "market.admin", "market.cli", "market.dashboard_views", "market.export_jobs",
        "market.flows", "market.ondc.views", "market.overview_views",
        "market.job_views", "market.reports", "market.views", "orders.quote_views", "orders.views", "payments",
        "payments.gateways", "payments.views", "vendors", "vendors.groupfund.views", "vendors.views")
}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while (top := stack.pop()) != module:
                group.append(top)
            if group:
                found.append(sorted([module, *group]))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_cycles_finds_a_cycle_and_only_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycle_between_the_projects_modules():
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    assert cycles(edges) == []


def imports_inside_functions(path: Path) -> set[str]:
    """The project's modules imported inside a function (or method) of a source file."""
    found = set()

    def walk(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif inside and isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.add(child.module)
            walk(child, inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(ast.parse(path.read_text(encoding="utf-8")), False)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def test_imports_inside_functions_are_only_the_app_factorys_and_the_clis():
    written = {(path.relative_to(ROOT).as_posix(), name)
               for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
               for name in imports_inside_functions(path)}
    assert written - ALLOWED_INSIDE_FUNCTIONS == set(), "import at the top of the module (or break the cycle)"
    assert ALLOWED_INSIDE_FUNCTIONS - written == set(), "gone: take it off the list"
