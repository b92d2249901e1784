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

    python benchmarks/deep_chain.py --compare        # against PyTorch and micrograd, interleaved

Every engine is a function ``chain_<engine>(n) -> (build_seconds,
backward_seconds, wall_seconds)`` in ``ENGINES``; ``--engine NAME`` runs one.
``--compare`` runs the installed ones (tinygrad_edu, torch, micrograd) for each
size in interleaved rounds (A B C, B C A, …), each run in a fresh subprocess,
and prints the median time per step, min..max, the paired ratio to PyTorch
(the median over rounds of tinygrad_edu's time / PyTorch's in the same round)
and the peak memory. PyTorch runs on one thread (``torch.set_num_threads(1)``).
micrograd has no tanh, so its chain is x·1.0001 + 0.0001 then relu; its
backward sorts the graph recursively and stops with RecursionError after a few
hundred steps: the script reports the longest chain it completes.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
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


def chain_torch(n: int) -> tuple[float, float, float]:
    import torch

    torch.set_num_threads(1)  # one core, as the other engines use
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    wall, start = time.perf_counter(), time.process_time()
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.0001).tanh()
    built = time.process_time()
    y.backward()
    done, wall = time.process_time(), time.perf_counter() - wall
    assert x.grad is not None
    return built - start, done - built, wall


def chain_micrograd(n: int) -> tuple[float, float, float]:
    """micrograd has no tanh: x·1.0001 + 0.0001, then relu (the same number of operations)."""
    from micrograd.engine import Value

    x = Value(0.5)
    wall, start = time.perf_counter(), time.process_time()
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.0001).relu()
    built = time.process_time()
    y.backward()
    done, wall = time.process_time(), time.perf_counter() - wall
    return built - start, done - built, wall


ENGINES = {"tinygrad_edu": chain_tinygrad_edu, "torch": chain_torch, "micrograd": chain_micrograd}
REFERENCE = "torch"  # the engine the paired ratios are taken against
TARGET = (100_000, 0.6)  # at n = 1e5, tinygrad_edu's time per step should be at most 0.6× PyTorch's


def longest_chain(chain, n: int) -> int:
    """The longest chain shorter than ``n`` that ``chain`` completes (bisection): where an
    engine whose backward recurses runs out of Python's recursion limit."""
    done, failed = 0, n
    while failed - done > 1:
        middle = (done + failed) // 2
        try:
            chain(middle)
            done = middle
        except RecursionError:
            failed = middle
    return done


def run_child(engine: str, n: int, runs: int, gc_enabled: bool) -> None:
    """Time ``runs`` chains of ``n`` steps in this process; print the times as JSON."""
    chain = ENGINES[engine]
    timings = []
    for _ in range(runs):
        gc.collect()
        if not gc_enabled:
            gc.disable()
        try:
            timings.append(chain(n))  # the graph is freed on return, outside the timed region
        except RecursionError:
            gc.enable()
            print(json.dumps({"error": "RecursionError", "longest": longest_chain(chain, n)}))
            return
        gc.enable()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"timings": timings, "peak_mib": peak_mib}))


def measure(engine: str, n: int, gc_enabled: bool, runs: int | None = None) -> dict:
    runs = RUNS.get(n, 3) if runs is None else runs
    command = [sys.executable, __file__, "--child", engine, str(n), str(runs)]
    if not gc_enabled:
        command.append("--no-gc")
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"deep_chain: the run of n = {n} failed:\n{child.stderr}")
    result = json.loads(child.stdout)
    if "error" in result:
        return {"n": n, **result}
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


def compare(sizes: list[int], gc_enabled: bool) -> None:
    """Every installed engine, interleaved round by round, each run in a fresh subprocess."""
    engines = [name for name in ENGINES if importlib.util.find_spec(name) is not None]
    for name in ENGINES:
        if name not in engines:
            print(f"skipped {name}: not installed (pip install {name})")
    print(f"deep chain, engines {', '.join(engines)}, cyclic GC {'on' if gc_enabled else 'off'}; "
          f"CPU time per step (one step = mul, add, tanh; micrograd: mul, add, relu), one thread each")
    print(f"{'n':>9} {'engine':<13} {'rounds':>6} {'step µs':>9} {'min..max µs':>15} "
          f"{'vs ' + REFERENCE:>9} {'peak MiB':>9}")
    for n in sizes:
        rows: dict[str, list[dict]] = {name: [] for name in engines}
        stopped: dict[str, dict] = {}
        rounds = RUNS.get(n, 3)
        for round_number in range(rounds):
            shift = round_number % len(engines)
            for name in engines[shift:] + engines[:shift]:
                if name not in stopped:
                    row = measure(name, n, gc_enabled, runs=1)
                    if "error" in row:
                        stopped[name] = row
                    else:
                        rows[name].append(row)
        reference = rows.get(REFERENCE, [])
        for name in engines:
            if name in stopped:
                print(f"{n:>9} {name:<13} stops with {stopped[name]['error']}: its backward recurses, and the "
                      f"longest chain it completes is {stopped[name]['longest']} steps")
                continue
            steps = [row["step_us"] for row in rows[name]]
            ratio = "" if not reference else \
                f"{statistics.median(s / r['step_us'] for s, r in zip(steps, reference, strict=False)):.3f}×"
            span = f"{min(steps):.1f}..{max(steps):.1f}"
            peak = max(row["peak_mib"] for row in rows[name])
            print(f"{n:>9} {name:<13} {len(steps):>6} {statistics.median(steps):>9.2f} {span:>15} {ratio:>9} "
                  f"{peak:>9.0f}", flush=True)
        if n == TARGET[0] and rows.get("tinygrad_edu") and reference:
            pairs = zip(rows["tinygrad_edu"], reference, strict=False)
            value = statistics.median(mine["step_us"] / theirs["step_us"] for mine, theirs in pairs)
            verdict = "met" if value <= TARGET[1] else f"MISSED by {value / TARGET[1] - 1:.0%}"
            print(f"target at n = {n}: tinygrad_edu ≤ {TARGET[1]}× {REFERENCE}: {value:.3f}×, {verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), default="tinygrad_edu")
    parser.add_argument("--sizes", nargs="+", type=lambda s: int(float(s)), default=sorted(RUNS))
    parser.add_argument("--no-gc", action="store_true", help="disable Python's cyclic GC while timing")
    parser.add_argument("--compare", action="store_true", help="every installed engine, interleaved, vs PyTorch")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "N", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, n, runs = args.child
        run_child(engine, int(n), int(runs), gc_enabled=not args.no_gc)
        return
    if args.compare:
        compare(args.sizes, gc_enabled=not args.no_gc)
        return

    print(f"deep chain, engine {args.engine}, cyclic GC {'off' if args.no_gc else 'on'}; "
          f"median CPU time per step (one step = mul, add, tanh)")
    print(f"{'n':>9} {'runs':>4} {'step µs':>9} {'build µs':>9} {'backward µs':>11} {'wall µs':>9} {'peak MiB':>9}")
    results = []
    for n in args.sizes:
        row = measure(args.engine, n, gc_enabled=not args.no_gc)
        if "error" in row:
            print(f"{n:>9} stops with {row['error']}; the longest chain {args.engine} completes is "
                  f"{row['longest']} steps")
            break
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
