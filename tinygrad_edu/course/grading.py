"""Grading: each task in its own child process, the verdict decided here, where no student code runs.

For each task, ``grade_task`` starts a child (runner.py) on a copy of the
workspace's files, runs the task's check (``checks_*.py``), which asks the
child for numbers and judges them, and turns what happened into a ``Result``:

* passed;
* failed: a ``Mismatch``, a wrong answer with its counterexample;
* not started: the stub's ``NotImplementedError("Task 1.6: …")`` (a Part 5
  task says which earlier stub it waits for);
* error: the student's code raised (feedback.py says where and what to do),
  called a hidden reference, timed out, crashed or ended the child. One task's
  trouble never stops the others.

hypothesis is imported here (by the checks), so only ``exercises check`` needs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import (
    checks_curvature,
    checks_derivatives,
    checks_engine,
    checks_losses,
    checks_optimizers,
    checks_training,
    runner,
)
from .feedback import ERROR, FAILED, PASSED, explain, where
from .runner import Child, ChildGone, ReferenceUsed, StudentRaised
from .swap import OPERATION_TASKS
from .tasks import PARTS, TASKS, Task
from .toolkit import Mismatch, StudentError
from .workspace import part_files

__all__ = ["DEFAULT_TIMEOUT", "Interrupted", "Result", "grade_task", "grade_workspace"]

DEFAULT_TIMEOUT = 60.0  # seconds per task
CHECKS: dict[str, Callable[[Child], None]] = {
    **checks_derivatives.CHECKS, **checks_engine.CHECKS, **checks_losses.CHECKS, **checks_optimizers.CHECKS,
    **checks_training.CHECKS, **checks_curvature.CHECKS}
OUTPUT_LINES, OUTPUT_CHARACTERS = 40, 4000  # of a task's captured output, in the report


@dataclass
class Result:
    """How one task did: ``status`` is passed, failed, error or not started; ``output`` what it printed (trimmed)."""

    task: str
    title: str
    status: str
    message: str = ""
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "title": self.title, "status": self.status, "message": self.message,
                "details": self.details, "seconds": round(self.seconds, 3), "output": self.output}


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during grading: ``results`` holds the tasks finished before it."""

    def __init__(self, results: list[Result]):
        super().__init__()
        self.results = results


def grade_workspace(directory: Path, task_ids: list[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                    start_with: runner.ForkServer | runner.Spawner | None = None,
                    on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Grade the asked tasks (all by default) of the workspace in ``directory``, in task order, each in a
    fresh child; ``on_result`` hears of each as it is done. Ctrl-C raises ``Interrupted``."""
    asked = [task for task in TASKS if task_ids is None or task.id in task_ids]
    own = start_with is None
    start_with = runner.launcher() if own else start_with
    results: list[Result] = []
    broken: dict[str, str] = {}  # a file whose import timed out or crashed → what happened (not tried again)
    try:
        for task in asked:
            results.append(grade_task(task, directory, timeout, start_with, broken))
            if on_result is not None:
                on_result(results[-1])
    except KeyboardInterrupt:
        raise Interrupted(results) from None
    finally:
        if own:
            start_with.close()
    return results


def grade_task(task: Task, directory: Path, timeout: float, start_with: runner.ForkServer | runner.Spawner,
               broken: dict[str, str] | None = None, parts: list[str] | None = None) -> Result:
    """One task, in its own child; ``parts`` (Part 5) the tasks of the student's to plug in (default: all,
    and then a failure is diagnosed)."""
    broken = {} if broken is None else broken
    result, began = Result(task.id, task.title, PASSED), time.monotonic()
    files = part_files(directory)
    needed = list(files) if task.trains else [task.filename]
    missing = task.filename not in files
    if missing or any(name in broken for name in needed):
        result.status = ERROR
        result.message = (missing_file(task.filename, directory) if missing
                          else next(broken[name] for name in needed if name in broken))
        return result
    every_part = parts is None
    if every_part:
        parts = [t.id for t in TASKS if t.part < 5 and t.filename in files] if task.trains else []
    child, checked = Child(start_with, task.id, {name: files[name] for name in needed}, parts, timeout), False
    try:
        with child:
            checked = run_check(task, child, result)
    except ChildGone as gone:
        result.status, result.message = ERROR, f"the process that ran your code stopped: {gone.reason}"
        if not task.trains and not child.started:
            broken[task.filename] = f"{task.filename} could not be imported (Task {task.id}): {gone.reason}"
    except Exception as error:  # the grader's own trouble (no pipe left, a full disk): this task's error only
        result.status, result.message = ERROR, f"the grader could not grade this task: {type(error).__name__}: {error}"
    if child.output is not None:  # also after a timeout: what it printed may say where it looped
        result.output = trimmed(child.output)
    if task.trains and every_part and checked and result.status in (FAILED, ERROR) and not child.hidden:
        diagnose(task, directory, timeout, start_with, result)
    result.seconds = time.monotonic() - began
    return result


def run_check(task: Task, child: Child, result: Result) -> bool:
    """Start the child, run the check, and write what happened into ``result``; whether the check ran
    (the student's files imported and the task's object fits)."""
    checked = False
    try:
        ready = child.start()
        if "ready" not in ready:
            result.status, result.message, result.details = not_imported(task, ready)
        elif fits(task, ready["ready"], result):
            checked = True
            CHECKS[task.id](child)
    except Mismatch as mismatch:
        result.status, result.message, result.details = FAILED, mismatch.what, mismatch.details()
    except StudentError as error:
        result.status, result.message, result.details = explain(error.info, task)
        result.details = [f"counterexample: {error.example}", *result.details]
    except StudentRaised as raised:
        result.status, result.message, result.details = explain(raised.info, task)
    except ReferenceUsed as used:
        result.details = where(used.info or {})
    if child.hidden:  # whatever the check made of it: the answer may have come from the reference
        result.status = ERROR
        result.message = (f"your code calls {', '.join(child.hidden)}, the reference implementation, which is "
                          f"hidden while Task {task.id} is graded: write it yourself")
    return checked


def missing_file(filename: str, directory: Path | None) -> str:
    """A part's file is not in the workspace (started before the part existed, or deleted): how to write it."""
    part = next(number for number, (name, _) in PARTS.items() if name == filename)
    first = next(task.id for task in TASKS if task.part == part)
    return (f"{filename} is missing from the workspace (started before Part {part} existed?); write it with: "
            f"tinygrad-edu exercises reset {directory or 'WORKSPACE'} {first}")


def not_imported(task: Task, reply: dict) -> tuple[str, str, list[str]]:
    """Why the child could not get the student's code ready: a file or name missing, or the import raised."""
    if "missing_symbol" in reply:
        filename, symbol, task_id = reply["missing_symbol"]
        if task_id == task.id:
            return ERROR, f"{filename} defines no {symbol} (keep its name: the check looks it up)", []
        return ERROR, f"uses Task {task_id} ({symbol}), which {filename} no longer defines", []
    if "missing_file" in reply:
        return ERROR, missing_file(reply["missing_file"], None), []
    info, filename = reply.get("raised") or {}, reply.get("file") or task.filename
    status, message, details = explain(info, task)
    if info.get("type") == "SystemExit":
        message = (f"SystemExit({info.get('exit_code')}) while the grader imported {filename}: code at the top "
                   "level of a workspace file runs when it is imported; remove the exit")
    elif status == ERROR:
        message = f"{filename}: {message}"
    if task.trains and filename != task.filename:
        message = f"uses {filename}, which does not import: {message}"
    return status, message, details


def fits(task: Task, kind: dict, result: Result) -> bool:
    """Whether the student's object is the kind of thing the task asks for (else an error in ``result``)."""
    if task.symbol in OPERATION_TASKS and not kind["operation"]:
        base = "ops.Function" if task.symbol == "BinaryCrossEntropy" else f"ops.{task.symbol}"
        result.status = ERROR
        result.message = f"{task.symbol} must be a class derived from {base}, got a {kind['type']}"
    elif task.symbol not in OPERATION_TASKS and not kind["callable"]:
        result.status, result.message = ERROR, f"{task.symbol} must be a function, got a {kind['type']}"
    return result.status == PASSED


def trimmed(output: runner.Output) -> str:
    """What the task printed: its first lines, and how much more there was."""
    text = output.text()
    lines = text.splitlines()
    shown = "\n".join(lines[:OUTPUT_LINES])[:OUTPUT_CHARACTERS]
    if output.total > len(shown.encode()):
        shown += f"\n… ({output.lines:,} lines, {output.total:,} bytes in all; the rest not shown)"
    return shown


# ---------------------------------------------------------------- Part 5: which earlier task breaks it

def diagnose(task: Task, directory: Path, timeout: float, start_with: runner.ForkServer | runner.Spawner,
             result: Result) -> None:
    """Add to ``result`` which of the student's Part 1–4 tasks makes ``task`` fail, if any: run it again
    with the reference's parts, then with one of the student's parts at a time."""
    if grade_task(task, directory, timeout, start_with, parts=[]).status != PASSED:
        result.details.append("It fails with the reference's Parts 1–4 as well: the mistake is in "
                              f"{task.filename}.")
        return
    used = [t for t in TASKS if t.part < 5 and t.filename in part_files(directory)]
    culprits = [t for t in used if grade_task(task, directory, timeout, start_with, parts=[t.id]).status != PASSED]
    if culprits:
        names = ", ".join(f"Task {t.id} ({t.title})" for t in culprits)
        result.message += f" — it passes with the reference's Parts 1–4; with yours, {names} makes it fail: " \
                          f"check {'it' if len(culprits) == 1 else 'them'} first"
    else:
        result.message += " — it passes with the reference's Parts 1–4 and with each of yours alone: two of " \
                          "your parts fail only together"

