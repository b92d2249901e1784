"""What the checks use to judge: comparisons, the wrong-answer exception, the example search, the trace.

Everything here runs in the grader only, never in a process where student
code ran; it reads what the child sent back (arrays and numbers) and the
reference engine's own results.

* ``Mismatch``: a wrong answer, with the counterexample, expected against got
  (labelled), and for a backward the first step of the chain rule where the
  student's gradient leaves the reference → "failed";
* ``StudentError``: the student's code raised on an example → "error";
* ``search``: hypothesis, derandomized, over a check of one example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from ..finite_differences import within_tolerance
from ..lecture.expected import EXPECTED
from ..lecture.tour import compare, shown
from ..viz import trace
from .examples import text
from .runner import Child, StudentRaised

__all__ = ["Lazy", "Mismatch", "Question", "StudentError", "expect_close", "expect_shape", "first_wrong_step",
           "search", "text"]

# The reference's tolerances; finite differences use finite_differences.py's (PyTorch gradcheck's).
REFERENCE_RTOL, REFERENCE_ATOL = 1e-6, 1e-12


class Mismatch(AssertionError):
    """A wrong answer: what is wrong, the example, expected and got, and more lines (a trace step).

    Everything but ``what`` is turned into text only when the mismatch is
    shown (``details``): hypothesis meets hundreds of failing examples while it
    shrinks, and printing each one's arrays, or tracing its backward, would
    cost more than checking it. ``example`` is anything whose ``str()``
    describes it; ``expected`` and ``got`` are text or numbers (shown with
    ``label``); ``more`` is a list of lines or a function making them.
    """

    def __init__(self, what: str, example: Any, expected: Any = "", got: Any = "",
                 more: list[str] | Callable[[], list[str]] | None = None, label: str = ""):
        super().__init__(what)
        self.what, self.example, self.expected, self.got = what, example, expected, got
        self.more, self.label = more, label

    def details(self) -> list[str]:
        lines = [f"counterexample: {self.example}"]
        if not (isinstance(self.expected, str) and isinstance(self.got, str) and not self.expected and not self.got):
            prefix = f"{self.label} = " if self.label else ""
            lines += [f"expected: {prefix}{as_text(self.expected)}", f"got:      {prefix}{as_text(self.got)}"]
        more = self.more() if callable(self.more) else self.more
        return lines + list(more or [])


def as_text(value: Any) -> str:
    """Numbers as ``text`` shows them; anything else (text, ``Lazy``) as its ``str``."""
    if value is None or isinstance(value, (np.ndarray, np.generic, list, tuple, int, float)):
        return text(value)
    return str(value)


class Lazy:
    """Text made only when it is shown (see ``Mismatch``)."""

    def __init__(self, make: Callable[[], str]):
        self.make = make

    def __str__(self) -> str:
        return self.make()


class StudentError(BaseException):
    """The student's code raised on an example: what the child sent, and the example.

    A BaseException, so that hypothesis stops at the first example on which
    the student's code raises (its first examples are its simplest) instead
    of asking the child hundreds of times more to shrink it: the student needs
    the line that raised, which every failing example shows alike.
    """

    def __init__(self, info: dict, example: str):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.info, self.example = info, example


def labelled(pairs: Sequence[tuple[str, Any]]) -> str:
    """``dL/da = [1, 2], dL/db = 3``: every number with its name."""
    return ", ".join(f"{name} = {text(value)}" for name, value in pairs)


# ---------------------------------------------------------------- hypothesis

# Not Phase.explain, which runs hundreds more examples to annotate which parts of the shrunk one matter:
# each is a round trip to the child, and the message says what matters already.
SETTINGS = settings(derandomize=True, database=None, deadline=None, verbosity=Verbosity.quiet,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck), print_blob=False,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink))


@dataclass(frozen=True)
class Question:
    """What a check asks the child about one example, and how it judges the answer."""

    ask: Callable[[Any], tuple[str, dict]]  # example → (the child's action, its arguments)
    judge: Callable[[Any, Any], None]  # (example, the child's answer) → raises Mismatch if it is wrong


def search(child: Child, strategy: st.SearchStrategy, question: Question, describe: Callable[[Any], str],
           examples: int) -> None:
    """Ask the child about ``examples`` inputs from ``strategy``; raise the smallest failure found.

    Derandomized, so a check gives the same verdict every run; no example
    database is written. First every example goes to the child in one request:
    right code, the common case, costs one round trip instead of forty. Only if
    an answer is wrong (or the code raised) does hypothesis search again, one
    example a round trip, to shrink the failure: the same examples in the same
    order, so it meets the same failure. A student's exception on an example
    becomes a ``StudentError`` carrying the example, which ends the search at
    once. A student's code that answers differently to the same example (a
    global counter) can make hypothesis report a wrong answer as flaky; the
    first failure is what the student needs to see, so it is raised instead.
    """
    found = drawn(strategy, examples)
    try:
        answers = child.call("many", requests=[question.ask(example) for example in found])
        for example, answer in zip(found, answers, strict=True):
            question.judge(example, answer)
        return
    except (Mismatch, StudentRaised):
        pass

    @settings(SETTINGS, max_examples=examples)
    @given(strategy)
    def run(example):
        action, arguments = question.ask(example)
        try:
            answer = child.call(action, **arguments)
        except StudentRaised as raised:
            raise StudentError(raised.info, describe(example)) from None
        question.judge(example, answer)

    try:
        run()
    except Flaky as flaky:
        raise _first_failure(flaky) from None


def drawn(strategy: st.SearchStrategy, examples: int) -> list:
    """The examples hypothesis tries first, in order, with ``search``'s settings (so the same ones)."""
    found: list = []

    @settings(SETTINGS, max_examples=examples)
    @given(strategy)
    def collect(example):
        found.append(example)

    collect()
    return found


def _first_failure(error: BaseException) -> BaseException:
    """The first Mismatch or StudentError inside hypothesis's report of a flaky failure."""
    for inner in getattr(error, "exceptions", ()):
        if isinstance(inner, (Mismatch, StudentError)):
            return inner
        found = _first_failure(inner)
        if found is not inner:
            return found
    cause = error.__cause__ or error.__context__
    return cause if isinstance(cause, (Mismatch, StudentError)) else error


# ---------------------------------------------------------------- comparisons

def close(expected: Any, got: Any, rtol: float, atol: float) -> bool:
    """Same shape, and |got − expected| ≤ atol + rtol·|expected| everywhere (NaN fails)."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    return expected.shape == got.shape and bool(np.all(within_tolerance(got, expected, atol, rtol)))


def expect_shape(what: str, example: Any, expected: Any, got: Any, hint: str = "") -> None:
    """Raise ``Mismatch`` when ``got`` is missing or has the wrong shape: shapes first, then values."""
    if got is None:
        raise Mismatch(f"{what}: got None", example, text(expected), "None")
    if np.shape(got) != np.shape(expected):
        raise Mismatch(f"{what}: only the shape is checked until it is right, and it is {np.shape(got)} instead of "
                       f"{np.shape(expected)} (the counterexample's numbers do not matter). {hint}".rstrip(),
                       example, f"an array of shape {np.shape(expected)}", f"shape {np.shape(got)}: {text(got)}")
    try:
        np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mismatch(f"{what}: not numbers", example, text(expected), repr(got)[:200]) from None


def expect_close(what: str, example: Any, expected: Any, got: Any, rtol: float = REFERENCE_RTOL,
                 atol: float = REFERENCE_ATOL, more: Callable[[], list[str]] | None = None, hint: str = "",
                 label: str = "") -> None:
    """Raise ``Mismatch`` unless ``got`` has ``expected``'s shape and values (|got − exp| ≤ atol + rtol·|exp|)."""
    expect_shape(what, example, expected, got, hint)
    if not close(expected, got, rtol, atol):
        raise Mismatch(what, example, expected, got, more, label)


# ---------------------------------------------------------------- where a backward goes wrong

def first_wrong_step(reference_root: Any, reference_values: list, seed: Any, student_grads: list) -> list[str]:
    """Where the student's gradients first leave the reference's, along the reference's trace.

    ``reference_values`` are the reference graph's Values in creation order,
    ``student_grads`` the child's gradients of the same Values in the same
    order (the two graphs were built by the same code). The first node whose
    gradient is complete, in the order backward walks, and differs from the
    student's is reported with the steps that feed it: the operation, the
    gradient from above and the local derivative.
    """
    steps = trace.trace_backward(reference_root, seed)
    position = {id(value): i for i, value in enumerate(reference_values)}
    totals: dict[int, Any] = {}
    last_step: dict[int, int] = {}
    for number, step in enumerate(steps):
        totals[id(step.node)] = totals.get(id(step.node), 0) + step.product
        last_step[id(step.node)] = number
    for key in sorted(last_step, key=last_step.get):
        got = student_grads[position[key]] if key in position else None
        if got is None or close(totals[key], got, REFERENCE_RTOL, 1e-9):
            continue
        feeding = [step for step in steps if id(step.node) == key]
        node = feeding[0].node.name or feeding[0].node_id
        lines = [f"first wrong step of the chain rule (reference trace), at {node}:"]
        for step in feeding:
            output = step.output.name or step.output_id
            lines += [f"  {trace.step_text(step, precision=6)}",
                      f"    gradient from above dL/d{output} = {text(step.upstream)}, local derivative "
                      f"∂{output}/∂{node} = {text(step.local_derivative)}"]
        lines.append(f"  reference dL/d{node} = {text(totals[key])}, yours = {text(got)}")
        return lines
    return []


def check_slide_values(keys: tuple[str, ...], values: dict[str, list], where: str) -> None:
    """Raise ``Mismatch`` unless each slide entry of ``keys`` prints, at the slide's precision, as the slide."""
    for entry in EXPECTED:
        if entry.key in keys and not all(compare(entry, values.get(entry.key))):
            raise Mismatch(f"the slide's numbers are not reproduced ({entry.label})", where,
                           f"{entry.label}: {entry.layout.format(*entry.printed)}",
                           f"{entry.label}: {shown(entry, values.get(entry.key))}")
