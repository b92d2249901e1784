"""``exercises grade SUBMISSIONS --csv FILE``: a folder of workspaces, one per student, graded in parallel.

Each student's workspace is graded by its own ``tinygrad-edu exercises check
--json`` process (which runs each task in a child of its own, as for one
student), as many at a time as the machine has cores. The gradebook gets one
row per student, from their JSON report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .workspace import part_files

__all__ = ["Interrupted", "grade_submissions", "submissions"]

Row = tuple[str, dict | None, str]  # (student, their JSON report or None, a problem grading them)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while grading submissions: ``rows`` holds the students finished before it."""

    def __init__(self, rows: list[Row]):
        super().__init__()
        self.rows = rows


def submissions(folder: Path) -> list[Path]:
    """Every sub-folder of ``folder`` (hidden ones aside), in name order: one per student."""
    return sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))


def command(workspace: Path, report: Path, timeout: float, points: Path | None) -> list[str]:
    arguments = [sys.executable, "-m", "tinygrad_edu", "exercises", "check", str(workspace), "--json", str(report),
                 "--timeout", f"{timeout:g}"]
    return arguments + (["--points", str(points)] if points is not None else [])


def grade_submissions(folder: Path, timeout: float, points: Path | None, jobs: int,
                      on_row: Callable[[Row], None] | None = None) -> list[Row]:
    """Grade every student's workspace under ``folder``, ``jobs`` at a time; one row per student."""
    waiting, running, rows = submissions(folder), {}, []
    with tempfile.TemporaryDirectory(prefix="tinygrad_edu_grade_") as scratch:
        try:
            while waiting or running:
                while waiting and len(running) < jobs:
                    student = waiting.pop(0)
                    if not part_files(student):
                        rows.append((student.name, None, "not a workspace: none of the exercise files"))
                        continue
                    report = Path(scratch) / f"{len(rows) + len(running)}.json"
                    with open(report.with_suffix(".err"), "wb") as errors:  # a file: a pipe could fill up
                        process = subprocess.Popen(command(student, report, timeout, points),
                                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                   stderr=errors, start_new_session=True)
                    running[process] = (student.name, report)
                for process in [p for p in running if p.poll() is not None]:
                    rows.append(finished(process, *running.pop(process)))
                    if on_row is not None:
                        on_row(rows[-1])
                time.sleep(0.05)
        except KeyboardInterrupt:
            for process in running:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            raise Interrupted(rows) from None
    return rows


def finished(process: subprocess.Popen, student: str, report: Path) -> Row:
    """A student's row from their grading process's JSON (or what went wrong)."""
    error = report.with_suffix(".err").read_text(encoding="utf-8", errors="replace").strip()
    try:
        return student, json.loads(report.read_text(encoding="utf-8")), ""
    except (OSError, ValueError):
        return student, None, error.splitlines()[-1] if error else f"grading ended with exit code {process.returncode}"
