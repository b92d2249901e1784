"""Imports run one way: no module of the package imports another that imports it back.

The imports are read from the source with ``ast``, function-local ones included, and
followed through the package's folders. A package's ``__init__.py`` that only re-exports
names (imports, ``__all__`` and such assignments, PEP 562's lazy ``__getattr__``) is no
module of its own here: an import of it stands for imports of what it re-exports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_edu

PACKAGE = Path(tinygrad_edu.__file__).resolve().parent
ROOT = PACKAGE.parent


def module_names() -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name, for its __init__)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = module_names()


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imported(name: str) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its source."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if is_package(name) else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # ``from x import y``: the module x.y if there is one, else x
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {target for target in targets if target in MODULES and target != name}


def only_reexports(name: str) -> bool:
    """An ``__init__.py`` whose statements are imports, a docstring, assignments of names, and the
    lazy ``__getattr__``/``__dir__`` of PEP 562."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    return all(isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign))
               or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
               or (isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"))
               for node in tree.body)


def followed(direct: dict[str, set[str]], transparent: set[str]) -> dict[str, set[str]]:
    """``direct`` with each import of a ``transparent`` module replaced by what that module imports."""
    def through(target: str, seen: frozenset = frozenset()) -> set[str]:
        if target not in transparent:
            return {target}
        return set().union(*(through(t, seen | {target}) for t in direct[target] - seen - {target}))

    return {name: set().union(*(through(t) for t in targets)) - {name}
            for name, targets in direct.items() if name not in transparent}


def import_graph() -> dict[str, set[str]]:
    """Module → the modules it imports, an import of a re-exporting ``__init__`` followed through it."""
    transparent = {name for name in MODULES if is_package(name) and only_reexports(name)}
    return followed({name: imported(name) for name in MODULES}, transparent)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def within_course(group: list[str]) -> bool:
    return all(module.startswith("tinygrad_edu.course.") for module in group)


def test_no_module_imports_another_that_imports_it_back():
    assert [group for group in cycles(import_graph()) if not within_course(group)] == []


def test_not_even_course_modules_import_each_other_back():
    assert cycles(import_graph()) == []


def test_the_checker_finds_a_cycle_and_follows_it_through_a_reexporting_init():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    direct = {"a": {"pkg"}, "pkg": {"pkg.b"}, "pkg.b": {"a"}}
    assert cycles(followed(direct, {"pkg"})) == [["a", "pkg.b"]]
    assert cycles(followed({"a": {"pkg"}, "pkg": {"pkg.b"}, "pkg.b": set()}, {"pkg"})) == []


def test_from_package_import_module_is_an_import_of_the_module_not_of_the_init():
    assert "tinygrad_edu.autograd" in imported("tinygrad_edu.value")
    assert "tinygrad_edu" not in imported("tinygrad_edu.value")


def test_function_local_imports_count(tmp_path, monkeypatch):
    source = "def late():\n    from . import ops\n    return ops\n"
    path = tmp_path / "late.py"
    path.write_text(source)
    monkeypatch.setitem(MODULES, "tinygrad_edu.late", path)
    assert imported("tinygrad_edu.late") == {"tinygrad_edu.ops"}


@pytest.mark.parametrize("name", [name for name in MODULES if is_package(name)])
def test_every_package_init_only_reexports_or_counts_as_a_module(name):
    graph = import_graph()
    assert only_reexports(name) == (name not in graph)


def test_the_engine_imports_nothing_above_it():
    engine = ["ops", "recording", "indexing", "arguments", "dtypes", "value", "autograd.reverse_mode",
              "autograd.gradients", "autograd.functional", "grad_mode", "finite_differences", "creation", "printing"]
    above = ("tinygrad_edu.nn", "tinygrad_edu.optim", "tinygrad_edu.viz", "tinygrad_edu.lecture",
             "tinygrad_edu.course", "tinygrad_edu.cli", "tinygrad_edu.interop", "tinygrad_edu.serialization")
    graph = import_graph()
    wrong = {module: sorted(t for t in graph[f"tinygrad_edu.{module}"] if t.startswith(above)) for module in engine}
    assert {module: targets for module, targets in wrong.items() if targets} == {}


def test_nn_and_optim_do_not_import_each_other():
    graph = import_graph()
    for source, other in (("tinygrad_edu.nn", "tinygrad_edu.optim"), ("tinygrad_edu.optim", "tinygrad_edu.nn")):
        assert [(module, target) for module, targets in graph.items() if module.startswith(source)
                for target in targets if target.startswith(other)] == []


def test_the_command_line_starts_without_hypothesis():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "from tinygrad_edu.cli import main\n"
            "sys.exit(main(['--help']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage: tinygrad-edu" in result.stdout, result.stderr


def test_value_backward_looks_autograd_backward_up_each_time_it_runs(monkeypatch):
    from tinygrad_edu import Value, autograd
    calls = []
    monkeypatch.setattr(autograd, "backward", lambda root, grad: calls.append((root, grad.item())))
    x = Value(2.0, requires_grad=True)
    y = x * x
    y.backward()
    assert calls == [(y, 1.0)] and x.grad is None  # the swapped-in walk ran, not the engine's
