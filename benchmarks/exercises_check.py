"""How long ``tinygrad-edu exercises check`` takes on the solved workspace (every task passes).

Writes the solved workspace to a temporary folder and times what a student
waits for: ``python -m tinygrad_edu exercises check DIR`` in a fresh process
(interpreter start, imports, the fork server, every task in a child of its
own), ``--repeats`` times, reporting the median wall-clock time; then, in this
process, the grading of each part on its own (``grade_workspace``, one fork
server per run), median wall-clock time per part.

    python benchmarks/exercises_check.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tinygrad_edu.course import workspace
from tinygrad_edu.course.tasks import PARTS, TASKS


def timed_command(directory: Path) -> float:
    """Wall-clock seconds of one ``exercises check`` of every task, in a fresh interpreter; every task must pass."""
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tinygrad_edu", "exercises", "check", str(directory)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    return time.perf_counter() - began


def timed_part(directory: Path, task_ids: list[str]) -> float:
    from tinygrad_edu.course.grading import grade_workspace

    began = time.perf_counter()
    results = grade_workspace(directory, task_ids)
    assert all(result.status == "passed" for result in results), [r for r in results if r.status != "passed"]
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "solved"
        workspace.start(directory, solutions=True)
        runs = [timed_command(directory) for _ in range(args.repeats)]
        print(f"exercises check, every task, in a fresh process: median of {args.repeats} "
              f"{statistics.median(runs):.2f} s wall (runs: {', '.join(f'{r:.2f}' for r in runs)})")
        for part, (filename, _) in PARTS.items():
            ids = [task.id for task in TASKS if task.part == part]
            part_runs = [timed_part(directory, ids) for _ in range(args.repeats)]
            print(f"  part {part} ({filename}, {len(ids)} tasks): {statistics.median(part_runs):.2f} s wall")


if __name__ == "__main__":
    main()
