"""The engine reads as the lesson (issue 22): the limits that keep the reading path short.

These are lasting limits, not measurements: a change that breaks one moves code out of the
reading path (see docs/how_it_works.md) instead of raising the number.
"""

import ast
import inspect
import io
import re
import tokenize
from pathlib import Path

import tinygrad_edu
from tinygrad_edu.autograd import reverse_mode

PACKAGE = Path(tinygrad_edu.__file__).parent
ENGINE = ["ops.py", "value.py", "recording.py", "grad_mode.py", "arrays_or_values.py", "views.py", "in_place.py",
          *(f"autograd/{path.name}" for path in sorted((PACKAGE / "autograd").glob("*.py")))]


def lines(name: str) -> list[str]:
    return (PACKAGE / name).read_text(encoding="utf-8").splitlines()


def first_line_of_class(name: str, test) -> int:
    tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
    return min(node.lineno for node in tree.body if isinstance(node, ast.ClassDef) and test(node))


def test_ops_py_is_the_table_of_derivatives_under_850_lines():
    assert len(lines("ops.py")) <= 850


def test_the_first_operation_comes_within_about_100_lines():
    bases = lambda node: {getattr(base, "id", None) for base in node.bases}  # noqa: E731
    assert first_line_of_class("ops.py", lambda node: "Function" in bases(node)) <= 100


def test_value_py_opens_with_the_value_class():
    assert first_line_of_class("value.py", lambda node: node.name == "Value") <= 120


def code_lines(function) -> int:
    """Lines of ``function`` that are neither its docstring, blank nor a comment."""
    source = inspect.getsource(function)
    body = ast.parse(source).body[0].body
    documented = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    start = body[1].lineno if documented else body[0].lineno
    kept = source.splitlines()[start - 1:]
    return sum(1 for line in kept if line.strip() and not line.strip().startswith("#"))


def test_the_textbook_walk_is_about_25_lines():
    assert code_lines(reverse_mode.backpropagate) <= 25


FIGURE = re.compile(r"\d[\d.,]*\s*(?:µs|us|ns|ms|%|×)|\d[\d.,]*\s*(?:times faster|x faster)")


def comments_and_docstrings(name: str) -> list[tuple[int, str]]:
    text = (PACKAGE / name).read_text(encoding="utf-8")
    found = [(token.start[0], token.string) for token in tokenize.generate_tokens(io.StringIO(text).readline)
             if token.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((node.body[0].lineno, doc))
    return found


def test_no_timing_or_percentage_in_the_engine_s_comments():
    """A figure belongs in benchmarks/README.md, where it is dated and re-measured; the engine says
    ``speed: <what it saves>, see benchmarks/README.md``."""
    stale = [f"{name}:{line}: {FIGURE.search(text).group(0)}" for name in ENGINE
             for line, text in comments_and_docstrings(name) if FIGURE.search(text)]
    assert stale == []


def test_the_rule_catches_a_figure():
    assert FIGURE.search("# speed: saves 4% of a scalar operation") and FIGURE.search("3 µs of a step")
    assert not FIGURE.search("# speed: one dict lookup fewer, see benchmarks/README.md")
