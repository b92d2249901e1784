"""What a grading run writes: the terminal's progress table, ``--json``, Gradescope's results.json, the CSV.

Every file is written whole or not at all (``workspace.write_text``: a
temporary file beside it, then a rename), so an autograder never reads half a
report. A task scores all of its
points when it passed and none otherwise.

Gradescope's format (gradescope-autograders.readthedocs.io, "Autograder
Specifications"): a top-level ``score`` and ``tests``, each test with
``name``, ``number``, ``score``, ``max_score``, ``status`` ("passed" or
"failed"), ``output`` and ``visibility``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from .. import __version__
from .grading import Result
from .tasks import TASKS

__all__ = ["check_writable", "dumps", "gradebook_csv", "gradescope_report", "json_report", "progress_table"]

STATUSES = ("passed", "failed", "error", "not started")


def score(results: list[Result], points: dict[str, float]) -> tuple[float, float]:
    """(points scored, points possible) over ``results``."""
    return (sum(points[r.task] for r in results if r.status == "passed"), sum(points[r.task] for r in results))


def progress_table(results: list[Result], points: dict[str, float]) -> list[str]:
    """One row per task, then the counts and the score."""
    width = max([len(result.title) for result in results] + [5])
    lines = ["", "Progress", f"{'task':<6} {'title':<{width}}  {'status':<11}  points"]
    lines += [f"{r.task:<6} {r.title:<{width}}  {r.status:<11}  {points[r.task] * (r.status == 'passed'):g}/"
              f"{points[r.task]:g}" for r in results]
    counts = {status: sum(result.status == status for result in results) for status in STATUSES}
    got, total = score(results, points)
    lines.append(", ".join(f"{count} {status}" for status, count in counts.items()) + f" (of {len(results)}); "
                 f"score {got:g}/{total:g}")
    return lines


def json_report(results: list[Result], points: dict[str, float], exit_code: int, interrupted: bool = False) -> dict:
    """``check --json``: the tasks (``task``, ``status`` and the rest), the score, the version."""
    got, total = score(results, points)
    tasks = [{**result.to_dict(), "points": points[result.task] * (result.status == "passed"),
              "max_points": points[result.task]} for result in results]
    return {"tasks": tasks, "score": got, "max_score": total, "version": __version__, "exit_code": exit_code,
            "interrupted": interrupted}


def feedback_text(result: Result) -> str:
    """What a student reads under a task: the verdict, the details, what the code printed."""
    lines = [result.status + (f": {result.message}" if result.message else "")]
    lines += result.details
    if result.output:
        lines += ["", "Your code printed:", result.output]
    return "\n".join(lines)


def gradescope_report(results: list[Result], points: dict[str, float]) -> dict:
    """Gradescope's results.json for ``results``."""
    got, _ = score(results, points)
    tests = [{"name": f"Task {r.task} · {r.title}", "number": r.task, "score": points[r.task] * (r.status == "passed"),
              "max_score": points[r.task], "status": "passed" if r.status == "passed" else "failed",
              "output": feedback_text(r), "visibility": "visible"} for r in results]
    return {"score": got, "execution_time": round(sum(r.seconds for r in results)),
            "output": f"Graded by tinygrad_edu {__version__}.", "tests": tests}


def gradebook_csv(rows: list[tuple[str, dict | None, str]], points: dict[str, float]) -> str:
    """One row per student: (student, their ``json_report`` or None, a problem grading them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *(task.id for task in TASKS), "problems"])
    total = sum(points.values())
    for student, report, problem in sorted(rows, key=lambda row: row[0]):
        if report is None:
            writer.writerow([student, 0, total, *("" for _ in TASKS), problem])
            continue
        by_task = {task["task"]: task for task in report["tasks"]}
        problems = [f"{t['task']} {t['status']}" for t in report["tasks"] if t["status"] != "passed"]
        writer.writerow([student, f"{report['score']:g}", f"{total:g}",
                         *(f"{by_task[task.id]['points']:g}" if task.id in by_task else "" for task in TASKS),
                         "; ".join(problems + ([problem] if problem else []))])
    return buffer.getvalue()


# ---------------------------------------------------------------- writing

def check_writable(path: Path) -> None:
    """Raise OSError now, before any grading, if ``path`` cannot be written later."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder")
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"the folder {folder} is not writable")


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
