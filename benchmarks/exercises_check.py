"""How long ``tinygrad-edu exercises check`` takes on the solved workspace (every task passes).

Writes the solved workspace to a temporary folder and grades all of it
``--repeats`` times in this process (the first run, which imports hypothesis
and the graders, is timed apart as the cold start a student sees), reporting
the median CPU time (wall-clock beside it) in all and per part.

    python benchmarks/exercises_check.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tinygrad_edu.course import workspace
from tinygrad_edu.course.tasks import PARTS, TASKS


def timed_check(directory: Path, task_ids: list[str] | None = None) -> tuple[float, float]:
    """CPU and wall-clock seconds of one grading; every task must pass."""
    from tinygrad_edu.course.grading import grade_workspace

    cpu_start, wall_start = time.process_time(), time.perf_counter()
    results = grade_workspace(directory, task_ids)
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    assert all(result.status == "passed" for result in results), [r for r in results if r.status != "passed"]
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "solved"
        workspace.start(directory, solutions=True)
        cold = timed_check(directory)
        print(f"first check (imports hypothesis and the graders): {cold[0]:.2f} s CPU, {cold[1]:.2f} s wall")
        runs = [timed_check(directory) for _ in range(args.repeats)]
        print(f"every task, median of {args.repeats}: {statistics.median(r[0] for r in runs):.2f} s CPU, "
              f"{statistics.median(r[1] for r in runs):.2f} s wall")
        for part, (filename, _) in PARTS.items():
            ids = [task.id for task in TASKS if task.part == part]
            part_runs = [timed_check(directory, ids) for _ in range(args.repeats)]
            cpu = statistics.median(r[0] for r in part_runs)
            print(f"  part {part} ({filename}, {len(ids)} tasks): {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
