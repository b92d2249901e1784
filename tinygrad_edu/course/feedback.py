"""What to tell a student when their code raised: where, what, and for common mistakes what to do.

The child sends an exception as data (type, message, the student's lines it
went through); this turns it into a status ("not started" for a stub, "error"
otherwise), one message line and detail lines. A second-year student reads
the message first, so the common mistakes get a sentence that says what to
change, not only what numpy or Python complained about.
"""

from __future__ import annotations

import re

from .tasks import BY_ID, Task

__all__ = ["ERROR", "FAILED", "NOT_STARTED", "PASSED", "explain", "where"]

PASSED, FAILED, ERROR, NOT_STARTED = "passed", "failed", "error", "not started"

RECURSION_IN_WALK = ("Python allows about 1,000 nested calls, and the check walks a chain of 5,000 Values: keep "
                     "the Values still to visit in a list used as a stack (append, pop) instead of recursing")
RECURSION_IN_OPERATION = ("your {name}.backward calls itself: while it is graded, ops.{name} is your class, so "
                          "ops.{name}.backward(…), or Values combined with the same operation, run your backward "
                          "again (the reference implementation is hidden while the task is graded): compute with "
                          "the numpy arrays (grad, self.…)")
COMPARE_BY_IDENTITY = ("`node in visited` with a list compares Values with ==, which is elementwise and gives a "
                       "Value, not True or False: keep the visited Values in a set (Values hash by identity) or "
                       "compare with `is`")
SEED_WITH_ARRAY = ("a gradient must be a numpy array of its Value's shape: start the walk from the `grad` you are "
                   "given (np.ones_like(root.data) for a loss), not from the number 1.0")
MATMUL_SHAPES = ("the shapes of a matrix product do not fit: dL/da = grad · bᵀ must have a's shape and "
                 "dL/db = aᵀ · grad b's; check which factor needs .T (and treat a vector a as a row (1, k))")


def explain(info: dict, task: Task) -> tuple[str, str, list[str]]:
    """(status, message, details) for the exception ``info`` the child sent while ``task`` was graded."""
    kind, message = str(info.get("type")), str(info.get("message") or "").strip()
    first = message.splitlines()[0] if message else ""
    if kind == "NotImplementedError" and re.match(r"Task \d+\.\d+:", first):
        stub = first.partition(":")[0].removeprefix("Task ")
        if stub == task.id:
            return NOT_STARTED, "", []
        title = BY_ID[stub].title if stub in BY_ID else stub
        return NOT_STARTED, f"waits for Task {stub} ({title}), still a stub", []
    first = re.sub(r"matmul: Input operand \d has a mismatch in its core dimension \d, with gufunc signature "
                   r"\S+ ", "matmul: the shapes do not fit ", first)  # numpy's gufunc signature says nothing here
    text = f"{kind}: {first}" if first else kind
    hint = advice(kind, first, task)
    return ERROR, text + (f" — {hint}" if hint else ""), where(info)


def advice(kind: str, message: str, task: Task) -> str:
    """The sentence of what to do, for the mistakes students make most."""
    if kind == "RecursionError":
        if task.part == 2:
            return RECURSION_IN_WALK
        return RECURSION_IN_OPERATION.format(name=task.symbol) if task.symbol[0].isupper() else ""
    if "truth value of an array" in message or "bool of a Value" in message:
        return COMPARE_BY_IDENTITY if task.part == 2 else "compare arrays with np.all(...) or np.any(...)"
    if kind == "AttributeError" and re.search(r"'(float|int)' object has no attribute", message):
        return SEED_WITH_ARRAY if task.part == 2 else "a gradient must be a numpy array, not a Python number"
    if "matmul: the shapes do not fit" in message or "not aligned" in message:
        return MATMUL_SHAPES
    if kind == "SystemExit":
        return "your code called sys.exit() or exit() while it was checked: return a value instead"
    if kind == "KeyboardInterrupt":
        return "your code raised KeyboardInterrupt while it was checked"
    if kind == "MemoryError":
        return "your code ran out of memory (the grader allows 4 GB)"
    if kind == "ReferenceHidden":
        return "the check hides it so that it tests your own code"
    return ""


def where(info: dict) -> list[str]:
    """The student's lines the exception went through, innermost last: file, line, and the code."""
    lines = []
    syntax = info.get("syntax")
    if syntax:
        lines.append(f"in {syntax['file']}, line {syntax['line']}:")
        lines.append(f"    {syntax['code']}")
    for frame in info.get("where") or []:
        again = f" ({frame['repeated']:,} times: a recursion)" if frame.get("repeated", 1) > 1 else ""
        lines.append(f"in {frame['file']}, line {frame['line']}, in {frame['function']}{again}:")
        if frame.get("code"):
            lines.append(f"    {frame['code']}")
    return lines
