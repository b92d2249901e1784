"""What several test files need: the repository root, running the command line and the
examples in a fresh interpreter, skipping without graphviz, and a module's public names."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
NO_DOT = "graphviz's dot is not installed (apt-get install graphviz)"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NO_DOT)


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
