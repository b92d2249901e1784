"""Deep chain benchmark: is backward's cost linear in the size of the graph?

    x → (x·1.0001 + 0.0001).tanh()   repeated n times, then backward

for n = 1e4, 1e5 and 1e6 (three graph nodes per step). Prints, for each n, the
median over repeated runs of the time per step (building the chain plus
backward), the two parts separately, and the peak resident memory.

Times are CPU time of the process (``time.process_time``): on a machine shared
with other jobs, wall-clock time also counts the moments the benchmark waits
for a core, which can double it. The wall-clock time per step is printed too.

Each size runs in a fresh subprocess, so that its peak memory (``ru_maxrss``)
is its own and one size's garbage does not slow the next.

Usage:
    python benchmarks/deep_chain.py                  # every size, default settings
    python benchmarks/deep_chain.py --sizes 1e4 1e5  # some sizes
    python benchmarks/deep_chain.py --no-gc          # Python's cyclic GC off while timing

Other engines (PyTorch, micrograd) can be added as references: write a
function ``chain_<engine>(n) -> (build_seconds, backward_seconds, wall_seconds)``
like ``chain_tinygrad_edu`` and add it to ``ENGINES``; ``--engine NAME`` runs it.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time

RUNS = {10_000: 5, 100_000: 5, 1_000_000: 3}  # repeated runs per size; the median is reported


def chain_tinygrad_edu(n: int) -> tuple[float, float, float]:
    import tinygrad_edu as tg

    x = tg.Value(0.5, dtype="float64", requires_grad=True)
    wall, start = time.perf_counter(), time.process_time()
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.0001).tanh()
    built = time.process_time()
    y.backward()
    done, wall = time.process_time(), time.perf_counter() - wall
    assert x.grad is not None
    return built - start, done - built, wall


ENGINES = {"tinygrad_edu": chain_tinygrad_edu}


def run_child(engine: str, n: int, runs: int, gc_enabled: bool) -> None:
    """Time ``runs`` chains of ``n`` steps in this process; print the times as JSON."""
    chain = ENGINES[engine]
    timings = []
    for _ in range(runs):
        gc.collect()
        if not gc_enabled:
            gc.disable()
        timings.append(chain(n))  # the graph is freed on return, outside the timed region
        gc.enable()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"timings": timings, "peak_mib": peak_mib}))


def measure(engine: str, n: int, gc_enabled: bool) -> dict:
    command = [sys.executable, __file__, "--child", engine, str(n), str(RUNS.get(n, 3))]
    if not gc_enabled:
        command.append("--no-gc")
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"deep_chain: the run of n = {n} failed:\n{child.stderr}")
    result = json.loads(child.stdout)
    build, backward, wall = zip(*result["timings"], strict=True)
    totals = [b + w for b, w, _ in result["timings"]]
    return {
        "n": n,
        "runs": len(totals),
        "step_us": statistics.median(totals) / n * 1e6,
        "build_us": statistics.median(build) / n * 1e6,
        "backward_us": statistics.median(backward) / n * 1e6,
        "wall_us": statistics.median(wall) / n * 1e6,
        "peak_mib": result["peak_mib"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="tinygrad_edu")
    parser.add_argument("--sizes", nargs="+", type=lambda s: int(float(s)), default=sorted(RUNS))
    parser.add_argument("--no-gc", action="store_true", help="disable Python's cyclic GC while timing")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "N", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, n, runs = args.child
        run_child(engine, int(n), int(runs), gc_enabled=not args.no_gc)
        return

    print(f"deep chain, engine {args.engine}, cyclic GC {'off' if args.no_gc else 'on'}; "
          f"median CPU time per step (one step = mul, add, tanh)")
    print(f"{'n':>9} {'runs':>4} {'step µs':>9} {'build µs':>9} {'backward µs':>11} {'wall µs':>9} {'peak MiB':>9}")
    results = []
    for n in args.sizes:
        row = measure(args.engine, n, gc_enabled=not args.no_gc)
        results.append(row)
        print(f"{row['n']:>9} {row['runs']:>4} {row['step_us']:>9.2f} {row['build_us']:>9.2f} "
              f"{row['backward_us']:>11.2f} {row['wall_us']:>9.2f} {row['peak_mib']:>9.0f}", flush=True)
    if len(results) > 1:
        ratio = results[-1]["step_us"] / results[0]["step_us"]
        verdict = "within" if ratio <= 1.5 else "NOT within"
        print(f"time per step at n = {results[-1]['n']} is {ratio:.2f}× that at n = {results[0]['n']} "
              f"({verdict} the 1.5× the issue allows)")


if __name__ == "__main__":
    main()
