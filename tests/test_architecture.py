"""The map in ARCHITECTURE.md, checked: no import cycles, layers respected."""

from __future__ import annotations

import ast
from pathlib import Path

import garrison

PACKAGE_DIR = Path(garrison.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _import_graph() -> dict[str, set[str]]:
    modules = {
        _module_name(path): path
        for path in PACKAGE_DIR.rglob("*.py")
        if "migrations" not in path.parts
    }
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles_even_through_function_local_imports() -> None:
    graph = _import_graph()
    # A package __init__ re-exporting its own modules is not a cycle between concerns.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not (name.startswith(t + ".") and t in graph)}
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_services_never_import_views_runtime_or_cli() -> None:
    graph = _import_graph()
    offenders = [
        f"{name} imports {target}"
        for name, targets in graph.items()
        if not name.startswith(
            ("garrison.cli", "garrison.runtime", "garrison.web.app", "garrison.__main__")
        )
        and not name.endswith(("views", "metrics"))
        for target in targets
        if target.startswith(("garrison.cli", "garrison.runtime.server"))
        or (target.endswith(".views") and not name.startswith("garrison.web"))
    ]
    assert offenders == []


def test_no_print_outside_the_cli() -> None:
    offenders: list[str] = []
    for path in PACKAGE_DIR.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE_DIR).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []
