"""The package's modules import one another without cycles, and each layer only imports the layers below it.

Layers, lowest first: errors and states; scenario; sim; evaluate; output; report and distributed; api;
calibrate and serve (built on the API); cli. The graph is
built from the source with ast: every run-time import (at module level or inside a function, relative or
absolute) is an edge; imports under `if TYPE_CHECKING:` are for annotations only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "corridor"

# a module's layer: its sub-package, or for a top-level module its name; lower numbers sit lower
LAYERS = {
    "errors": 0,
    "states": 0,
    "scenario": 1,
    "sim": 2,
    "evaluate": 3,
    "output": 4,
    "report": 5,
    "distributed": 5,
    "api": 6,
    "calibrate": 7,
    "serve": 7,
    "cli": 8,
}


def module_names() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package's __init__ under the package's name)."""
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement outside `if TYPE_CHECKING:` blocks (their `else:` branches do run)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports at run time. `from X import y` names the module X.y when y
    is a module, else X itself (a name defined in X, or in X's __init__ for a package)."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]  # the package relative imports start from
    out: set[str] = set()
    for node in _runtime_imports(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                if node.module:
                    base = [*base, *node.module.split(".")]
                prefix = ".".join(base)
            else:
                prefix = node.module or ""
            targets = []
            for alias in node.names:
                sub = f"{prefix}.{alias.name}"
                targets.append(sub if sub in modules else prefix)
        for target in targets:
            # `import corridor.sim.kernels` names that module; keep the longest prefix that is one of ours
            parts = target.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != name:
                out.add(".".join(parts))
    return out


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        colour[node] = GREY
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, BLACK) == GREY:
                return [*stack[stack.index(nxt) :], nxt]
            if colour.get(nxt) == WHITE:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE:
            found = dfs(node)
            if found:
                return found
    return None


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_the_graph_sees_the_package():
    graph = import_graph()
    # sanity: the parser finds relative, absolute and function-level imports, and skips TYPE_CHECKING ones
    assert "corridor.sim.engine" in graph["corridor.api"]  # from .sim.engine import ...
    assert "corridor.report.compare" in graph["corridor.cli"]  # inside a function
    assert "corridor.states" in graph["corridor.sim.components.hazards"]  # from ...states import (...)
    assert "corridor.output.results" not in graph["corridor.evaluate.observations"]  # type-only


def test_find_cycle_names_the_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_type_checking_imports_are_left_out(tmp_path):
    code = (
        "from typing import TYPE_CHECKING\nimport typing\n"
        "if TYPE_CHECKING:\n    from .b import X\n"
        "if typing.TYPE_CHECKING:\n    from . import c\nelse:\n    from . import d\n"
        "def f():\n    from .e import g\n"
    )
    path = tmp_path / "a.py"
    path.write_text(code)
    modules = {n: tmp_path / f"{n}.py" for n in ("p.a", "p.b", "p.c", "p.d", "p.e")}
    assert imports_of("p.a", path, modules) == {"p.d", "p.e"}


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_layers_import_only_downwards():
    wrong = []
    for module, targets in import_graph().items():
        mine = layer(module)
        for target in targets:
            theirs = layer(target)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "an import goes up the layers: " + "; ".join(sorted(wrong))
