"""What several test files need: the repository root, running the command line and the
examples in a fresh interpreter, a PATH without Graphviz, skipping PNG without a system
``dot``, and a module's public names."""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
# Only PNG, and SVG where wasmtime cannot be imported, need Graphviz's program; SVG needs nothing but pip.
NO_DOT = ("needs Graphviz's dot program (for PNG, or for SVG where wasmtime is missing): "
          "enable with apt-get install graphviz (or brew install graphviz)")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NO_DOT)


def path_without_graphviz(tmp_path: Path) -> str:
    """A PATH (an empty folder) on which no Graphviz program can be found."""
    empty = tmp_path / "no_graphviz_on_path"
    empty.mkdir(exist_ok=True)
    return str(empty)


def svg_node_titles(svg: bytes) -> list[str]:
    """The DOT names of the nodes Graphviz drew (each node's ``<g class="node">`` has its name as ``<title>``)."""
    ns = "{http://www.w3.org/2000/svg}"
    return [title.text for group in ET.fromstring(svg).iter(f"{ns}g") if group.get("class") == "node"
            for title in group.iter(f"{ns}title")]


def run_tinygrad_edu(*arguments: str, cwd=None, path: str | None = None) -> subprocess.CompletedProcess:
    """``python -m tinygrad_edu ARGUMENTS`` in ``cwd``; ``path`` replaces PATH (a PATH without dot)."""
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def run_example(name: str, *arguments: str, cwd) -> subprocess.CompletedProcess:
    """``python examples/NAME.py ARGUMENTS`` in ``cwd``, as a teacher would run it."""
    return subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), *arguments], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def golden(name: str) -> str:
    """The output ``examples/NAME.py`` must print, from tests/golden/."""
    return (ROOT / "tests" / "golden" / f"{name}.txt").read_text(encoding="utf-8")


def public_names(module) -> list:
    """``__all__``, or else the classes and functions the module itself defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__]


def floats(low: float, high: float) -> st.SearchStrategy:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def recorded_ops(value) -> set:
    """The classes of every operation in the graph behind ``value``."""
    found, stack, seen = set(), [value], set()
    while stack:
        node = stack.pop()
        if id(node) in seen or node._op is None:
            continue
        seen.add(id(node))
        found.add(type(node._op))
        stack.extend(node._op.parents)
    return found
