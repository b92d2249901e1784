"""Grading one task: run its check, and turn what happened into a result.

A check (one per task, in ``checks_*.py``) is a function of the student's
object and the workspace folder that returns when the task is right and
raises otherwise:

* ``Mismatch``: a wrong answer, with the smallest counterexample hypothesis
  found, expected against got, and for a backward the first step of the chain
  rule where the student's gradient leaves the reference → "failed";
* ``NotImplementedError("Task 1.6: …")``: a stub → "not started";
* any other exception → "error", with its one-line message.

hypothesis is imported here, so only ``exercises check`` needs it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st

from ..lecture.expected import EXPECTED
from ..lecture.tour import compare, shown
from ..viz import trace
from . import plugin, workspace
from .tasks import TASKS, Task

__all__ = ["Mismatch", "Result", "grade_workspace"]

PASSED, FAILED, ERROR, NOT_STARTED = "passed", "failed", "error", "not started"

# PyTorch gradcheck's tolerances, and the reference's.
FD_EPS, FD_ATOL, FD_RTOL = 1e-6, 1e-5, 1e-3
REFERENCE_RTOL, REFERENCE_ATOL = 1e-6, 1e-12


@dataclass
class Result:
    """How one task did: ``status`` is passed, failed, error or not started."""

    task: str
    title: str
    status: str
    message: str = ""
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "title": self.title, "status": self.status, "message": self.message,
                "details": self.details}


class Mismatch(AssertionError):
    """A wrong answer: what is wrong, the example, expected and got, and more lines (a trace step)."""

    def __init__(self, what: str, example: str, expected: str = "", got: str = "", more: list[str] | None = None):
        super().__init__(what)
        self.what, self.example, self.expected, self.got = what, example, expected, got
        self.more = more or []

    def details(self) -> list[str]:
        lines = [f"counterexample: {self.example}"]
        if self.expected or self.got:
            lines += [f"expected: {self.expected}", f"got:      {self.got}"]
        return lines + self.more


class StudentError(Exception):
    """The student's code raised on an example: the exception and the example."""

    def __init__(self, error: Exception, example: str):
        super().__init__(one_line(error))
        self.error, self.example = error, example


def one_line(error: BaseException) -> str:
    """``ValueError: shapes (2,) and (3,) not aligned``, on one line."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


def text(array: Any) -> str:
    """An array or number on one line, with enough digits to tell the difference."""
    if isinstance(array, str):
        return array
    if isinstance(array, (list, tuple)):
        return "(" + ", ".join(text(a) for a in array) + ")"
    array = np.asarray(array)
    if not array.ndim:
        return f"{array.item():.8g}"
    return "".join(np.array2string(array, separator=", ", precision=8, max_line_width=10_000).splitlines())


# ---------------------------------------------------------------- hypothesis

def search(strategy: st.SearchStrategy, check: Callable[[Any], None], describe: Callable[[Any], str],
           examples: int) -> None:
    """Run ``check`` on ``examples`` inputs from ``strategy``; raise the smallest failure found.

    Derandomized, so a check gives the same verdict every run; no example
    database is written into the student's folder. A student's exception on
    an example becomes a ``StudentError`` carrying the example.
    """
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, verbosity=Verbosity.quiet,
              report_multiple_bugs=False, suppress_health_check=list(HealthCheck), print_blob=False)
    @given(strategy)
    def run(example):
        try:
            check(example)
        except (Mismatch, NotImplementedError, StudentError):
            raise
        except Exception as error:
            raise StudentError(error, describe(example)) from error

    run()


# ---------------------------------------------------------------- comparisons

def close(expected: Any, got: Any, rtol: float, atol: float) -> bool:
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    return expected.shape == got.shape and bool(np.all(np.abs(got - expected) <= atol + rtol * np.abs(expected)))


def expect_close(what: str, example: str, expected: Any, got: Any, rtol: float = REFERENCE_RTOL,
                 atol: float = REFERENCE_ATOL, more: Callable[[], list[str]] | None = None) -> None:
    """Raise ``Mismatch`` unless ``got`` has ``expected``'s shape and values (|got − exp| ≤ atol + rtol·|exp|)."""
    if got is None:
        raise Mismatch(f"{what}: got None", example, text(expected), "None")
    if np.shape(got) != np.shape(expected):
        raise Mismatch(f"{what}: shape {np.shape(got)} instead of {np.shape(expected)}", example, text(expected),
                       text(got))
    if not close(expected, got, rtol, atol):
        raise Mismatch(what, example, text(expected), text(got), more() if more else None)


def numeric_gradients(loss: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Central differences (f(x + ε) − f(x − ε)) / 2ε of a scalar function, for every element of every array."""
    gradients = []
    for array in arrays:
        flat, gradient = array.reshape(-1), np.zeros(array.size)
        for j in range(array.size):
            original = flat[j]
            flat[j] = original + FD_EPS
            plus = loss(arrays)
            flat[j] = original - FD_EPS
            minus = loss(arrays)
            flat[j] = original
            gradient[j] = (plus - minus) / (2 * FD_EPS)
        gradients.append(gradient.reshape(array.shape))
    return gradients


def paired_values(reference_root: Any, student_root: Any) -> dict[int, Any]:
    """id(a Value of the reference's graph) → the student's Value in the same place.

    The two graphs were built by the same code, so walking both along the
    operations' inputs, in order, pairs them up.
    """
    pairs, stack = {}, [(reference_root, student_root)]
    while stack:
        reference, student = stack.pop()
        if id(reference) in pairs:
            continue
        pairs[id(reference)] = student
        if reference._op is not None and student._op is not None:
            stack.extend(zip(reference._op.parents, student._op.parents, strict=False))
    return pairs


def first_wrong_step(build: Callable[[], Any], seed: np.ndarray, student_root: Any) -> list[str]:
    """Where the student's gradients first leave the reference's, along the reference's trace.

    ``build()`` makes the same graph with the reference engine; ``trace_backward``
    walks it as ``backward`` does (this runs after the student's code is
    unplugged, so the walk is the reference's). The first node whose gradient
    is complete (in that order) and differs from the student's is reported with
    the steps that feed it: the operation, the upstream gradient and the local
    derivative.
    """
    reference_root = build()
    steps = trace.trace_backward(reference_root, seed)
    student_values = paired_values(reference_root, student_root)
    totals: dict[int, Any] = {}
    last_step: dict[int, int] = {}
    for number, step in enumerate(steps):
        totals[id(step.node)] = totals.get(id(step.node), 0) + step.product
        last_step[id(step.node)] = number
    for key in sorted(last_step, key=last_step.get):
        got = student_values[key].grad if key in student_values else None
        if got is None or close(totals[key], got, REFERENCE_RTOL, 1e-9):
            continue
        feeding = [step for step in steps if id(step.node) == key]
        node = feeding[0].node.name or feeding[0].node_id
        lines = [f"first wrong step of the chain rule (reference trace), at {node}:"]
        for step in feeding:
            output = step.output.name or step.output_id
            lines += [f"  {trace.step_text(step, precision=6)}",
                      f"    upstream dL/d{output} = {text(step.upstream)}, local derivative "
                      f"∂{output}/∂{node} = {text(step.local_derivative)}"]
        lines.append(f"  reference dL/d{node} = {text(totals[key])}, yours = {text(got)}")
        return lines
    return []


def check_slide_values(keys: tuple[str, ...], values: dict[str, tuple], where: str) -> None:
    """Raise ``Mismatch`` unless each slide entry of ``keys`` prints, at the slide's precision, as the slide."""
    for entry in EXPECTED:
        if entry.key in keys and not all(compare(entry, values.get(entry.key))):
            raise Mismatch(f"the slide's numbers are not reproduced ({entry.label})", where,
                           entry.layout.format(*entry.printed), shown(entry, values.get(entry.key)))


# ---------------------------------------------------------------- running a task

def checks() -> dict[str, Callable]:
    """Task id → its check."""
    from . import checks_derivatives, checks_engine, checks_losses, checks_optimisers, checks_training
    table = {}
    for module in (checks_derivatives, checks_engine, checks_losses, checks_optimisers, checks_training):
        table.update(module.CHECKS)
    return table


@contextlib.contextmanager
def isolated(task: Task, module: Any):
    """The other tasks of the student's file that this one may call, as the reference."""
    plugs = [(module, symbol, reference) for symbol, reference in plugin.REFERENCE.items()
             if symbol != task.symbol and hasattr(module, symbol)]
    with plugin.plugged(plugs):
        yield


def grade(task: Task, module: Any, check: Callable, directory: Path) -> Result:
    """Run ``check`` on the student's ``task`` and classify what happened."""
    result = Result(task.id, task.title, PASSED)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), isolated(task, module):
            warnings.simplefilter("ignore")
            check(getattr(module, task.symbol), directory)
    except Mismatch as mismatch:
        result.status, result.message, result.details = FAILED, mismatch.what, mismatch.details()
    except NotImplementedError as error:
        message = str(error)
        if message.startswith(f"Task {task.id}:"):
            result.status = NOT_STARTED
        elif message.startswith("Task "):  # Part 5 uses a task of Parts 1–4 that is still a stub
            result.status, result.message = NOT_STARTED, f"waits for {message.partition(':')[0]}, still a stub"
        else:  # the student's own NotImplementedError
            result.status, result.message = ERROR, one_line(error)
    except StudentError as error:
        result.status, result.message = ERROR, one_line(error.error)
        result.details = [f"counterexample: {error.example}"]
    except Exception as error:  # the student's code raised outside any example
        result.status, result.message = ERROR, one_line(error)
    return result


def grade_workspace(directory: Path, task_ids: list[str] | None = None) -> list[Result]:
    """Grade the asked tasks (all by default) of the workspace in ``directory``, in task order."""
    table = checks()
    asked = [task for task in TASKS if task_ids is None or task.id in task_ids]
    modules: dict[str, Any] = {}
    results = []
    for task in asked:
        if task.filename not in modules:
            try:
                modules[task.filename] = workspace.load_student_module(directory / task.filename)
            except Exception as error:  # a syntax error, or anything the file raises on import
                modules[task.filename] = error
        module = modules[task.filename]
        if isinstance(module, BaseException):
            where = f" (line {module.lineno})" if isinstance(module, SyntaxError) else ""
            results.append(Result(task.id, task.title, ERROR, f"{task.filename}: {one_line(module)}{where}"))
        elif not hasattr(module, task.symbol):
            results.append(Result(task.id, task.title, ERROR, f"{task.filename} defines no {task.symbol}"))
        else:
            results.append(grade(task, module, table[task.id], directory))
    return results
