"""``tinygrad-edu exercises start|reset|check``: the course mode's command line.

Exit codes as the rest of the CLI: 0 done (every task asked passed, for
check), 1 a check ran and some task failed, erred or is not started, 2 a usage
or I/O error (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from .tasks import BY_ID, PARTS, TASKS, task_by_id
from .workspace import WorkspaceError, reset, start, write_text

__all__ = ["add_exercises_command"]

HOW_TO_INSTALL = 'exercises check needs hypothesis: pip install "tinygrad_edu[course]" (or pip install hypothesis)'


def task_argument(text: str) -> str:
    try:
        return task_by_id(text).id
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_exercises_command(commands: argparse._SubParsersAction) -> None:
    """``exercises start DIR [--force] [--solutions]``, ``exercises reset DIR TASK``,
    ``exercises check DIR [TASK …] [--json FILE]``."""
    command = commands.add_parser(
        "exercises", help="graded exercises: write a workspace of stubs, check it, reset a task",
        description="Course mode: students write the derivatives, backward, the losses and the optimisers "
                    "themselves; check grades them. Tasks: " + ", ".join(task.id for task in TASKS) + ".")
    actions = command.add_subparsers(dest="action", metavar="action", required=True)
    begin = actions.add_parser("start", help="write one file per part into DIR, each task a stub",
                               description="Write the workspace: " + ", ".join(f for f, _ in PARTS.values()) + ".")
    begin.add_argument("dir", type=Path, help="the workspace folder (created; must be empty unless --force)")
    begin.add_argument("--force", action="store_true",
                       help="write into a non-empty DIR, after moving its files to DIR-backup-DATE beside it")
    begin.add_argument("--solutions", action="store_true", help="write the solved workspace (for teachers)")
    begin.set_defaults(run=run_start)
    again = actions.add_parser("reset", help="put one task's stub back, keeping your version in a backup folder")
    again.add_argument("dir", type=Path, help="the workspace folder")
    again.add_argument("task", type=task_argument, help="the task, such as 1.6")
    again.set_defaults(run=run_reset)
    check = actions.add_parser("check", help="grade the tasks (all, or those named) and print a progress table",
                               description="Grade each task against finite differences, the reference and the "
                                           "slides' numbers. Exit 0 when every task asked passed, 1 otherwise.")
    check.add_argument("dir", type=Path, help="the workspace folder")
    check.add_argument("tasks", nargs="*", type=task_argument, metavar="TASK", help="tasks to check (default: all)")
    check.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON, for an autograder")
    check.set_defaults(run=run_check)


def fail(message: str) -> int:
    """A usage or I/O error: one line on stderr, exit code 2."""
    print(f"tinygrad-edu exercises: {message}", file=sys.stderr)
    return 2


def run_start(args: argparse.Namespace) -> int:
    try:
        written, backup = start(args.dir, force=args.force, solutions=args.solutions)
    except (WorkspaceError, OSError) as error:
        return fail(str(error))
    if backup is not None:
        print(f"Moved the old files of {args.dir} to {backup}")
    kind = "solved workspace" if args.solutions else "workspace"
    print(f"Wrote the {kind} {args.dir}: " + ", ".join(path.name for path in written))
    print(f"Check it with: tinygrad-edu exercises check {args.dir}")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    try:
        path, backup = reset(args.dir, BY_ID[args.task])
    except (WorkspaceError, OSError) as error:
        return fail(str(error))
    print(f"Task {args.task} is a stub again in {path}; your version is in {backup}")
    return 0


def progress_table(results: list) -> list[str]:
    """One row per task, then the counts."""
    width = max(len(result.title) for result in results)
    lines = ["", "Progress", f"{'task':<6}{'':1}{'title':<{width}}  status"]
    lines += [f"{result.task:<6} {result.title:<{width}}  {result.status}" for result in results]
    counts = {status: sum(result.status == status for result in results)
              for status in ("passed", "failed", "error", "not started")}
    lines.append(", ".join(f"{count} {status}" for status, count in counts.items()) + f" (of {len(results)})")
    return lines


def grade_in_a_clean_folder(grade, directory: Path, task_ids: list[str] | None) -> list:
    """``grade(directory, task_ids)`` with hypothesis's cache in a temporary folder instead of
    ``./.hypothesis``, so that a check run inside the workspace leaves nothing in it."""
    with tempfile.TemporaryDirectory(prefix="tinygrad_edu_check_") as cache:
        ours = "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ
        if ours:
            os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = cache
        try:
            return grade(directory, task_ids)
        finally:
            if ours:
                del os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]


def run_check(args: argparse.Namespace) -> int:
    try:
        import hypothesis  # noqa: F401 -- only this command needs it
    except ImportError:
        return fail(HOW_TO_INSTALL)
    if not args.dir.is_dir() or not any((args.dir / filename).is_file() for filename, _ in PARTS.values()):
        return fail(f"{args.dir} is not a workspace; write one first: tinygrad-edu exercises start {args.dir}")
    from .grading import grade_workspace

    results = grade_in_a_clean_folder(grade_workspace, args.dir, args.tasks or None)
    for result in results:
        message = f" — {result.message}" if result.message else ""
        print(f"Task {result.task} {result.title}: {result.status}{message}")
        for line in result.details:
            print(f"    {line}")
    print("\n".join(progress_table(results)))
    code = 0 if all(result.status == "passed" for result in results) else 1
    if args.json is not None:
        report = {"tasks": [result.to_dict() for result in results], "exit_code": code}
        try:
            write_text(args.json, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        except OSError as error:
            return fail(f"cannot write {args.json}: {error.strerror or error}")
    return code
