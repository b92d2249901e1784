"""Two versions of tinygrad_edu, before and after a change, in one process, alternated.

    python benchmarks/compare_trees.py BEFORE AFTER [--workload iris_scale] [--rounds 30] [--steps 100]

BEFORE and AFTER are folders that hold a ``tinygrad_edu`` package (two clones, or
``git archive <commit> tinygrad_edu | tar -x -C DIR``). Each is loaded under a name of
its own, so both live in this process; then the workload's tinygrad_edu engine (the
same function the harness times: ``iris_scale``, ``mnist_scale``, ``scalar``) runs
on one and on the other, in turn, round after round, the order
switching every round. Printed: each version's median time per step, and the paired
ratio after / before, the median over rounds of the two times of the same round.

Why beside the harness: on a machine shared with other jobs, or a virtual machine
whose speed drifts by 10–40% from one second to the next, two processes started one
after the other rarely see the same machine, and a 3% change hides in the spread of
five runs. Two versions alternated every few hundred milliseconds in one process see
the same drift, and the same numpy, the same imports and the same garbage collector
settings; their paired ratio moves by about ±1% from run to run. (The harness
remains the measure against other engines, where one process per engine is fairer.)

The engine imports its own modules relatively, so a copy of the package under
another name is a complete second version. The workloads import ``tinygrad_edu``
when they run: before each run, that name is pointed at the version to time.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = ("iris_scale", "mnist_scale", "scalar")


def load_version(folder: Path, name: str, scratch: Path):
    """The ``tinygrad_edu`` package of ``folder``, imported as ``name`` (a copy in ``scratch``)."""
    source = folder / "tinygrad_edu"
    shutil.copytree(source, scratch / name, ignore=shutil.ignore_patterns("__pycache__"))
    return importlib.import_module(name)


def time_once(version, workload, setup: dict, steps: int) -> float:
    """Seconds per step of ``workload``'s tinygrad_edu engine on ``version``, which ``import tinygrad_edu``
    gives it."""
    sys.modules["tinygrad_edu"] = version
    [run] = [engine.run for engine in workload.ENGINES if engine.name == "tinygrad_edu"]
    seconds, _ = run(setup, steps)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a folder holding the tinygrad_edu package before the change")
    parser.add_argument("after", type=Path, help="a folder holding the tinygrad_edu package after the change")
    parser.add_argument("--workload", choices=WORKLOADS, default="iris_scale")
    parser.add_argument("--rounds", type=int, default=30, help="rounds, each timing both versions (default 30)")
    parser.add_argument("--steps", type=int, default=100, help="training steps a version runs per round")
    args = parser.parse_args(argv)
    if args.rounds < 2 or args.steps < 1:
        parser.error("--rounds must be at least 2 and --steps at least 1")
    for folder in (args.before, args.after):
        if not (folder / "tinygrad_edu" / "__init__.py").is_file():
            parser.error(f"{folder} holds no tinygrad_edu package (a clone, or git archive COMMIT tinygrad_edu | "
                         "tar -x -C FOLDER)")
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as scratch:
        sys.path.insert(0, scratch)
        versions = {"before": load_version(args.before, "tinygrad_edu_before", Path(scratch)),
                    "after": load_version(args.after, "tinygrad_edu_after", Path(scratch))}
        sys.modules["tinygrad_edu"] = versions["after"]  # the workload's setup may read the package's data
        workload = importlib.import_module(args.workload)
        setup = workload.make_setup()
        times: dict[str, list[float]] = {"before": [], "after": []}
        for name in times:  # warm up: imports, caches, numpy's first calls
            time_once(versions[name], workload, setup, max(1, args.steps // 5))
        for round_ in range(args.rounds):
            for name in ("before", "after") if round_ % 2 else ("after", "before"):
                gc.collect()
                times[name].append(time_once(versions[name], workload, setup, args.steps))
    before, after = times["before"], times["after"]
    paired = statistics.median(a / b for a, b in zip(after, before, strict=True))
    print(f"{args.workload}, {args.rounds} rounds of {args.steps} steps, alternated in one process")
    for name, values in times.items():
        print(f"  {name:6s} median {statistics.median(values) * 1e6:9.1f} µs a step  "
              f"(min {min(values) * 1e6:.1f}, max {max(values) * 1e6:.1f})")
    print(f"  after / before, paired: {paired:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
