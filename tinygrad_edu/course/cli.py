"""``tinygrad-edu exercises start|reset|check|classroom|gradescope|grade``: the course mode's command line.

Exit codes as the rest of the CLI: 0 done (every task asked passed, for
check), 1 a check ran and some task failed, erred or is not started, 2 a usage
or I/O error (one line on stderr, and nothing written), 130 interrupted by
Ctrl-C (the tasks, or students, finished so far are still written).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

from .tasks import BY_ID, PARTS, TASKS, task_by_id
from .workspace import WorkspaceError, part_files, reset, start, write_text

__all__ = ["add_exercises_command"]

HOW_TO_INSTALL = 'exercises check needs hypothesis: pip install "tinygrad_edu[course]" (or pip install hypothesis)'
MAX_TIMEOUT = 86400.0


def task_argument(text: str) -> str:
    try:
        return task_by_id(text).id
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def timeout_argument(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(f"expected seconds > 0 and ≤ {MAX_TIMEOUT:g}, got {text}")
    return value


def jobs_argument(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 256, got {text!r}")
    return int(text)


def add_exercises_command(commands: argparse._SubParsersAction) -> None:
    """``exercises start|reset|check|classroom|gradescope|grade``."""
    command = commands.add_parser(
        "exercises", help="graded exercises: write a workspace of stubs, check it, reset a task, grade a class",
        description="Course mode: students write the derivatives, backward, the losses and the optimizers "
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
                               description="Grade each task, in a process of its own, against finite differences, "
                                           "the reference and the slides' numbers. Exit 0 when every task asked "
                                           "passed, 1 otherwise.")
    check.add_argument("dir", type=Path, help="the workspace folder")
    check.add_argument("tasks", nargs="*", type=task_argument, metavar="TASK", help="tasks to check (default: all)")
    check.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON, for an autograder")
    check.add_argument("--gradescope", type=Path, metavar="FILE", help="also write Gradescope's results.json")
    add_grading_options(check)
    check.set_defaults(run=run_check)
    classroom = actions.add_parser("classroom", help="write DIR/.github/workflows/classroom.yml for GitHub Classroom",
                                   description="One autograding test per task, then the reporter.")
    classroom.add_argument("dir", type=Path, help="the template repository's folder (the workspace)")
    classroom.add_argument("--install", metavar="SPEC", help="what the workflow pip-installs (default: this "
                                                             "version, tinygrad_edu[course]==VERSION)")
    add_grading_options(classroom)
    classroom.set_defaults(run=run_classroom)
    scope = actions.add_parser("gradescope", help="write DIR/setup.sh and DIR/run_autograder for Gradescope",
                               description="The two files of Gradescope's autograder zip (and DIR/points.toml "
                                           "with --points).")
    scope.add_argument("dir", type=Path, help="the folder to write them into (created)")
    scope.add_argument("--install", metavar="SPEC", help="what setup.sh pip-installs (default: this version, "
                                                         "tinygrad_edu[course]==VERSION)")
    add_grading_options(scope)
    scope.set_defaults(run=run_gradescope)
    grade = actions.add_parser("grade", help="grade a folder of workspaces, one per student, into a CSV gradebook",
                               description="Each sub-folder of SUBMISSIONS is one student's workspace.")
    grade.add_argument("submissions", type=Path, help="the folder of students' workspaces")
    grade.add_argument("--csv", type=Path, metavar="FILE", required=True, help="the gradebook to write")
    grade.add_argument("--jobs", type=jobs_argument, default=os.cpu_count() or 1,
                       help="students graded at once (default: the number of cores)")
    add_grading_options(grade)
    grade.set_defaults(run=run_grade)


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=timeout_argument, default=60.0, metavar="SECONDS",
                        help="the time each task's check may take (default 60)")
    parser.add_argument("--points", type=Path, metavar="FILE",
                        help='a TOML file of points per task, [points] "1.1" = 2 … (default: docs/exercises.md)')


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
    if backup is None:
        print(f"Wrote {path}: Part {BY_ID[args.task].part}'s tasks, each a stub")
    else:
        print(f"Task {args.task} is a stub again in {path}; your version is in {backup}")
    return 0


def workspace_problem(directory: Path) -> str | None:
    """Why ``directory`` cannot be graded (missing, not a workspace, a file unreadable), or None."""
    if not directory.is_dir():
        return f"{directory} is not a folder; write a workspace first: tinygrad-edu exercises start {directory}"
    files = part_files(directory)
    if not files:
        return f"{directory} is not a workspace; write one first: tinygrad-edu exercises start {directory}"
    for path in files.values():
        try:
            path.read_bytes()
        except OSError as error:
            return f"cannot read {path}: {error.strerror or error}"
    return None


def outputs_problem(*paths: Path | None) -> str | None:
    """Why one of the output files could not be written, checked before any grading; or None."""
    from .reports import check_writable

    for path in paths:
        if path is not None:
            try:
                check_writable(path)
            except OSError as error:
                return f"cannot write {path}: {error}"
    return None


def grading_ready(args: argparse.Namespace) -> tuple[dict | None, str | None]:
    """The points table, or what is wrong: no hypothesis, not POSIX, a bad points file."""
    if os.name != "posix":
        return None, "grading runs each task in a child process with POSIX tools: use Linux, macOS or WSL"
    try:
        import hypothesis  # noqa: F401 -- only grading needs it
    except ImportError:
        return None, HOW_TO_INSTALL
    from .points import PointsError, read_points

    try:
        return read_points(args.points), None
    except PointsError as error:
        return None, str(error)


def run_check(args: argparse.Namespace) -> int:
    points, problem = grading_ready(args)
    problem = problem or workspace_problem(args.dir) or outputs_problem(args.json, args.gradescope)
    if problem:
        return fail(problem)
    from .runner import launcher

    start_with = launcher()  # first: its imports run while this process imports hypothesis and the checks
    from .grading import Interrupted, grade_workspace

    with tempfile.TemporaryDirectory(prefix="tinygrad_edu_check_") as cache:
        # hypothesis keeps a folder of its own: here, not ./.hypothesis where the check was run
        ours = "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ
        if ours:
            os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = cache
        try:
            results = grade_workspace(args.dir, args.tasks or None, args.timeout, start_with, print_result)
            interrupted = False
        except Interrupted as stop:
            results, interrupted = stop.results, True
            print("\nInterrupted: the tasks graded so far are below.", file=sys.stderr)
        finally:
            start_with.close()
            if ours:
                del os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]
    return finish_check(args, results, points, interrupted)


def print_result(result) -> None:
    message = f" — {result.message}" if result.message else ""
    print(f"Task {result.task} {result.title}: {result.status}{message}")
    for line in result.details:
        print(f"    {line}")
    if result.output:
        print("    your code printed:")
        print("\n".join(f"    | {line}" for line in result.output.splitlines()))
    sys.stdout.flush()


def finish_check(args: argparse.Namespace, results: list, points: dict, interrupted: bool) -> int:
    """The table, then the reports; the exit code."""
    from .reports import dumps, gradescope_report, json_report, progress_table

    if results:
        print("\n".join(progress_table(results, points)))
    code = 130 if interrupted else 0 if all(result.status == "passed" for result in results) else 1
    try:
        if args.json is not None:
            write_text(args.json, dumps(json_report(results, points, code, interrupted)))
        if args.gradescope is not None:
            write_text(args.gradescope, dumps(gradescope_report(results, points)))
    except OSError as error:
        return fail(f"cannot write the report: {error.strerror or error}")
    return code


def run_classroom(args: argparse.Namespace) -> int:
    from .classroom import DEFAULT_INSTALL, workflow
    from .points import PointsError, read_points

    try:
        text = workflow(read_points(args.points), args.timeout, args.install or DEFAULT_INSTALL)
    except (PointsError, ValueError) as error:
        return fail(str(error))
    if args.dir.exists() and not args.dir.is_dir():
        return fail(f"{args.dir} is a file, not a folder")
    path = args.dir / ".github" / "workflows" / "classroom.yml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text)
    except OSError as error:
        return fail(f"cannot write {path}: {error.strerror or error}")
    print(f"Wrote {path}: one autograding test per task ({len(TASKS)}), then the reporter.")
    if not part_files(args.dir):
        print(f"{args.dir} has no exercise files yet: tinygrad-edu exercises start {args.dir} --force")
    return 0


def run_gradescope(args: argparse.Namespace) -> int:
    from .classroom import DEFAULT_INSTALL
    from .gradescope import run_autograder, setup_sh
    from .points import PointsError, read_points

    try:
        read_points(args.points)
        files = {"setup.sh": setup_sh(args.install or DEFAULT_INSTALL),
                 "run_autograder": run_autograder(args.timeout, args.points is not None)}
        if args.points is not None:
            files["points.toml"] = args.points.read_text(encoding="utf-8")
    except (PointsError, OSError) as error:
        return fail(str(error))
    try:
        args.dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            write_text(args.dir / name, text)
            if name != "points.toml":
                (args.dir / name).chmod(0o755)
    except OSError as error:
        return fail(f"cannot write into {args.dir}: {error.strerror or error}")
    names = ", ".join(str(args.dir / name) for name in files)
    print(f"Wrote {names}: zip them (zip -j autograder.zip {args.dir}/*) and upload the zip to Gradescope.")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    points, problem = grading_ready(args)
    if problem is None and not args.submissions.is_dir():
        problem = f"{args.submissions} is not a folder of students' workspaces"
    problem = problem or outputs_problem(args.csv)
    if problem:
        return fail(problem)
    from .batch import Interrupted, grade_submissions
    from .reports import gradebook_csv

    def report(row) -> None:
        student, graded, trouble = row
        print(f"{student}: " + (f"{graded['score']:g}/{graded['max_score']:g}" if graded else trouble), flush=True)

    try:
        rows, code = grade_submissions(args.submissions, args.timeout, args.points, args.jobs, report), 0
    except Interrupted as stop:
        rows, code = stop.rows, 130
        print("\nInterrupted: the students graded so far are in the gradebook.", file=sys.stderr)
    try:
        write_text(args.csv, gradebook_csv(rows, points))
    except OSError as error:
        return fail(f"cannot write {args.csv}: {error.strerror or error}")
    print(f"Wrote {args.csv}: {len(rows)} students")
    return code
