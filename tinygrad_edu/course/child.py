"""The child process that runs one task's student code: one child per task, never reused.

It reads a request from the grader (which task, which files, its temporary
folder), hides the task's reference implementations (``hidden.py``), confines
itself (``confine.py``), imports the student's files, and then answers the
grader's requests one by one (``actions.py``): inputs in, numbers out, over
``wire.py``. When the grader closes the pipe, it ends with ``os._exit``, so
that no ``atexit`` handler, ``__del__`` or thread of the student's gets a last
word. Whatever the student's code raises (``SystemExit`` and
``KeyboardInterrupt`` too) is sent back as data: its type, its message, and
where in the student's files it happened.

This module never judges: it does not even import the grader's comparisons.
"""

from __future__ import annotations

import os
import sys
import traceback
import types
from pathlib import Path
from typing import Any

from .. import datasets, ops, optim  # noqa: F401 -- datasets: imported before the student's files are
from ..lecture import iris  # noqa: F401 -- the same
from . import actions, confine, hidden, swap, wire
from .tasks import BY_ID, TASKS, Task

__all__ = ["main"]

MAX_MESSAGE = 2000  # characters of an exception's message sent back
MAX_FRAMES = 3


def main(request_fd: int, reply_fd: int) -> None:
    """Serve one task, then end the process."""
    try:
        request = wire.receive(request_fd)
    except (EOFError, wire.WireError):
        os._exit(0)
    folder = Path(request["folder"])
    os.chdir(folder)
    hidden.hide(request["task"])
    layers = confine.confine(folder, float(request["timeout"]))
    student, reply = prepare(request, folder)
    reply["layers"] = layers
    answer(reply_fd, reply)
    while student is not None:
        try:
            message = wire.receive(request_fd)
        except (EOFError, wire.WireError):
            break
        answer(reply_fd, run(student, message, folder))
    flush()
    os._exit(0)


def prepare(request: dict, folder: Path) -> tuple[actions.Student | None, dict]:
    """Import the student's files and plug their code in; (None, what went wrong) if that fails."""
    task = BY_ID[request["task"]]
    files = {canonical: folder / actual for canonical, actual in request["files"].items()}
    try:
        if task.part < 5:
            return prepare_task(task, files[task.filename])
        return prepare_training(task, files, request["parts"])
    except MissingFile as missing:
        return None, {"missing_file": str(missing)}
    except MissingSymbol as missing:
        return None, {"missing_symbol": list(missing.args)}
    except BaseException as error:  # whatever the student's file does on import, SystemExit included
        return None, {"raised": describe(error, folder), "file": getattr(error, "student_file", None),
                      "hidden": hidden.attempts()}


class MissingFile(Exception):
    """A part file the task needs is not in the folder (its name is the message)."""


class MissingSymbol(Exception):
    """A file defines no object under a task's name: (file name, symbol, task id)."""


def load(path: Path) -> types.ModuleType:
    """Import the student's file under a private name, without sys.path, sys.modules or __pycache__."""
    if not path.is_file():
        raise MissingFile(path.name)
    module = types.ModuleType(f"tinygrad_edu_student_{path.stem}")
    module.__file__ = str(path)
    try:
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    except BaseException as error:
        error.student_file = path.name
        raise
    return module


def symbol_of(module: types.ModuleType, task: Task) -> Any:
    if not hasattr(module, task.symbol):
        raise MissingSymbol(task.filename, task.symbol, task.id)
    return getattr(module, task.symbol)


def kind(obj: Any) -> dict:
    return {"type": type(obj).__name__, "is_class": isinstance(obj, type), "callable": callable(obj),
            "operation": isinstance(obj, type) and issubclass(obj, ops.Function)}


def prepare_task(task: Task, path: Path) -> tuple[actions.Student, dict]:
    """A task of Parts 1–4: the other tasks of its file that it may call are the reference."""
    module = load(path)
    for other in TASKS:
        reference = swap.reference_for(other.symbol)
        if other.filename == task.filename and other is not task and reference and hasattr(module, other.symbol):
            setattr(module, other.symbol, reference)
    obj = symbol_of(module, task)
    fits = kind(obj)["operation"] if task.symbol in swap.OPERATION_TASKS else callable(obj)
    plugs = swap.plugs_for({task.symbol: obj}) if fits else []
    return actions.Student(task.symbol, obj, plugs), {"ready": kind(obj)}


def prepare_training(task: Task, files: dict[str, Path], parts: list[str]) -> tuple[actions.Student, dict]:
    """A task of Part 5: the student's Part 1–4 code (the tasks ``parts``) goes into the engine for the
    whole child, then the Part 5 file is imported, so that its imports get the student's code."""
    modules: dict[str, types.ModuleType] = {}
    symbols = {}
    for part in (BY_ID[part_id] for part_id in parts):
        if part.filename not in modules:
            modules[part.filename] = load(files[part.filename])
        symbols[part.symbol] = symbol_of(modules[part.filename], part)
    for owner, name, replacement in swap.plugs_for(symbols):
        setattr(owner, name, replacement)
    if task.symbol == "train_iris":
        optim.SGD = actions.recording_sgd(optim.SGD)
    obj = symbol_of(load(files[task.filename]), task)
    return actions.Student(task.symbol, obj), {"ready": kind(obj)}


def run(student: actions.Student, message: dict, folder: Path) -> dict:
    """One action; whatever the student's code raises comes back as data."""
    try:
        reply = {"result": actions.ACTIONS[message["action"]](student, **message["args"])}
    except BaseException as error:  # KeyboardInterrupt and SystemExit from student code too
        reply = {"raised": describe(error, folder)}
    reply["hidden"] = hidden.attempts()
    return reply


def answer(reply_fd: int, reply: dict) -> None:
    """Send ``reply``; a result that is not numbers (an object array, say) becomes an error."""
    flush()
    try:
        wire.send(reply_fd, reply)
    except (TypeError, ValueError) as error:  # raised while encoding, before anything is written
        wire.send(reply_fd, {"raised": {"type": "TypeError", "message": f"what your code returned is not numbers "
                                        f"({error})", "where": []}, "hidden": hidden.attempts()})


def flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # the student closed or replaced it
            pass


def describe(error: BaseException, folder: Path) -> dict:
    """An exception as data: type, message, and the last lines of the student's files it went through."""
    try:
        message = str(error)[:MAX_MESSAGE]
    except BaseException:
        message = "(the exception's message could not be read)"
    frames: list[dict] = []
    seen: BaseException | None = error
    while seen is not None and not frames:  # a ContractError's cause holds the student's line
        for frame in traceback.extract_tb(seen.__traceback__):
            if Path(frame.filename).parent != folder:
                continue
            line = {"file": Path(frame.filename).name, "line": frame.lineno, "function": frame.name,
                    "code": (frame.line or "").strip(), "repeated": 1}
            if frames and {**frames[-1], "repeated": 1} == line:  # a recursion: one line, counted
                frames[-1]["repeated"] += 1
            else:
                frames.append(line)
        seen = seen.__cause__ or seen.__context__
    where = getattr(error, "filename", None) if isinstance(error, SyntaxError) else None
    syntax = {"file": Path(where).name, "line": error.lineno, "code": (error.text or "").strip()} if where else None
    return {"type": type(error).__name__, "message": message, "where": frames[-MAX_FRAMES:], "syntax": syntax,
            "exit_code": error.code if isinstance(error, SystemExit) and isinstance(error.code, int) else None}
