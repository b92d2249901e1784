"""GitHub Classroom's autograding workflow: one test per task, then the reporter.

The form GitHub Classroom writes itself (and minitorch uses): a job with one
``classroom-resources/autograding-command-grader@v1`` step per test, each
with an ``id``, a ``test-name``, a ``command`` whose exit code 0 earns the
test's ``max-score``, and a ``timeout`` in minutes; then
``classroom-resources/autograding-grading-reporter@v1``, given each step's
result in an environment variable ``<ID>_RESULTS`` and the ids as ``runners``.

Each task's command is ``tinygrad-edu exercises check . TASK``, which exits 0
only when that task passed. Scalars are written as JSON strings, which YAML
reads as its own double-quoted strings.
"""

from __future__ import annotations

import json
import math

from .. import __version__
from .tasks import TASKS

__all__ = ["DEFAULT_INSTALL", "workflow"]

DEFAULT_INSTALL = f"tinygrad_edu[course]=={__version__}"


def step_id(task_id: str) -> str:
    return "task-" + task_id.replace(".", "-")


def minutes(timeout: float, part: int) -> int:
    """A step's time limit: a check's children each have ``timeout`` seconds (Part 5 may run 24 of them,
    to find which earlier task makes it fail)."""
    children = 24 if part == 5 else 1
    return max(10, math.ceil(timeout * children / 60) + 1)


def workflow(points: dict[str, float], timeout: float, install: str = DEFAULT_INSTALL) -> str:
    """The text of ``.github/workflows/classroom.yml``; ValueError for points that are not whole
    numbers (the grader action reads max-score with parseInt)."""
    fractions = [task_id for task_id, value in points.items() if value != int(value)]
    if fractions:
        raise ValueError(f"GitHub Classroom's grader takes whole points; task {fractions[0]} has "
                         f"{points[fractions[0]]:g}")
    q = json.dumps
    lines = [
        "# Written by `tinygrad-edu exercises classroom`: one autograding test per task of the exercises.",
        "name: Autograding Tests",
        "'on':", "- push", "- workflow_dispatch", "- repository_dispatch",
        "permissions:", "  checks: write", "  actions: read", "  contents: read",
        "jobs:", "  run-autograding-tests:", "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "    - name: Checkout code", "      uses: actions/checkout@v4",
        "    - name: Set up Python", "      uses: actions/setup-python@v5", "      with:",
        "        python-version: '3.11'",
        "    - name: Install tinygrad_edu", f"      run: {q('python -m pip install ' + q(install))}",
    ]
    for task in TASKS:
        name = f"Task {task.id} · {task.title}"
        lines += [
            f"    - name: {q(name)}", f"      id: {step_id(task.id)}",
            "      uses: classroom-resources/autograding-command-grader@v1", "      with:",
            f"        test-name: {q(name)}",
            f"        command: {q(f'tinygrad-edu exercises check . {task.id} --timeout {timeout:g}')}",
            f"        timeout: {minutes(timeout, task.part)}",
            f"        max-score: {points[task.id]:g}",
        ]
    lines += ["    - name: Autograding Reporter", "      uses: classroom-resources/autograding-grading-reporter@v1",
              "      env:"]
    lines += [f"        {step_id(t.id).upper()}_RESULTS: \"${{{{steps.{step_id(t.id)}.outputs.result}}}}\""
              for t in TASKS]
    lines += ["      with:", f"        runners: {','.join(step_id(t.id) for t in TASKS)}"]
    return "\n".join(lines) + "\n"
