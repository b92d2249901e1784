"""The shared benchmark harness: engines side by side, each in its own process.

Every workload script (scalar.py, iris_scale.py, mnist_scale.py, …) describes
its engines as ``Engine(name, run, needs)`` and calls ``main``. Here is how a
measurement is made, and why:

* **One worker process per engine**, started with ``spawn``. Importing torch
  alone makes each of Python's full garbage-collection passes slower and starts
  thread pools; in its own process one library's imports and threads do not tax
  another's.
* **The same start for every engine.** The script makes the data and the
  initial weights once, with numpy, and sends the same arrays to every worker,
  which copies them into its engine. So all engines compute the same thing and
  their final losses must agree: a relative difference above 1e-4 prints a
  ``FAIL`` line (a fast wrong engine shows).
* **Interleaved rounds.** Round r runs the engines in rotated order (A B C,
  B C A, C A B, …), so a slow spell of a shared machine hits every engine.
  Per engine we print the median time per step over the rounds, with min..max;
  against a reference, the *paired* ratio: the median over rounds of
  (engine's time / reference's time in the same round), which cancels most of
  the load that other processes put on the machine.
* **As users run it**: Python's garbage collector stays on. Each round builds
  the model afresh from the initial weights, untimed; only the training steps
  are timed. One untimed warm-up run per worker comes first.
* **Threads.** By default every engine gets one thread (BLAS, OpenMP and
  ``torch.set_num_threads``): the comparison is then core for core and does not
  depend on what else runs on the machine. ``--threads N`` changes that.

An engine's ``run(setup, steps)`` is a module-level function of the workload
script (so ``spawn`` can find it); it builds its model from ``setup`` (a dict of
numpy arrays), times ``steps`` training steps and returns
``(seconds_per_step, final_loss)``. Engines whose packages are not installed
are skipped, with a line that says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import platform
import statistics
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

LOSS_TOLERANCE = 1e-4  # largest relative difference of final losses that still counts as the same result
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class Engine:
    """One contender: ``run(setup, steps) -> (seconds_per_step, final_loss)``, needing the
    importable packages ``needs`` (pip names in ``install``, when they differ)."""

    name: str
    run: Callable
    needs: tuple[str, ...] = ()
    install: str = ""


@dataclass
class Target:
    """``engine``'s paired ratio to ``reference`` should be at most ``ratio``."""

    engine: str
    reference: str
    ratio: float


@dataclass
class Outcome:
    """What the rounds measured for one engine."""

    name: str
    seconds: list[float] = field(default_factory=list)  # time per step, one per round
    losses: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def import_torch():
    """Import torch in a worker with the thread count the harness chose."""
    import torch
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    return torch


# ---------------------------------------------------------------- the worker process

def _worker(connection, run: Callable, setup: dict) -> None:
    """Serve ``steps`` requests from the parent until it sends None."""
    while True:
        steps = connection.recv()
        if steps is None:
            return
        try:
            seconds, loss = run(setup, steps)
            connection.send(("ok", (float(seconds), float(loss))))
        except BaseException as error:  # noqa: BLE001 — report any failure (RecursionError, MemoryError) to the parent
            summary = f"{type(error).__name__}: {error}"[:300]
            connection.send(("error", (summary, traceback.format_exc(limit=3))))


class Worker:
    """A spawned process running one engine."""

    def __init__(self, engine: Engine, setup: dict):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, engine.run, setup), daemon=True)
        self.process.start()

    def run(self, steps: int) -> tuple[str, tuple]:
        self.connection.send(steps)
        return self.connection.recv()

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


# ---------------------------------------------------------------- measuring

def available(engine: Engine) -> str | None:
    """None if every package the engine needs can be imported, else what is missing."""
    missing = [name for name in engine.needs if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return f"{', '.join(missing)} not installed (pip install {engine.install or ' '.join(missing)})"


def measure(engines: list[Engine], setup: dict, steps: int, rounds: int, warmup_steps: int = 1) -> dict[str, Outcome]:
    """Run every engine ``rounds`` times, interleaved and rotated, in its own worker."""
    outcomes = {engine.name: Outcome(engine.name) for engine in engines}
    workers = {engine.name: Worker(engine, setup) for engine in engines}
    try:
        for name, worker in workers.items():
            status, payload = worker.run(warmup_steps)
            if status == "error":
                outcomes[name].error = payload[0]
        live = [engine.name for engine in engines if outcomes[engine.name].error is None]
        for round_number in range(rounds):
            shift = round_number % max(len(live), 1)
            for name in live[shift:] + live[:shift]:
                if outcomes[name].error is not None:
                    continue
                status, payload = workers[name].run(steps)
                if status == "error":
                    outcomes[name].error = payload[0]
                    continue
                seconds, loss = payload
                outcomes[name].seconds.append(seconds)
                outcomes[name].losses.append(loss)
                print(f"  round {round_number + 1}/{rounds}  {name:<14} {format_time(seconds)}/step", file=sys.stderr)
    finally:
        for worker in workers.values():
            worker.stop()
    return outcomes


def paired_ratio(outcome: Outcome, reference: Outcome) -> list[float]:
    """engine / reference, round by round (both ran in the same round)."""
    return [a / b for a, b in zip(outcome.seconds, reference.seconds, strict=False)]


# ---------------------------------------------------------------- reporting

def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def machine_description(threads: int) -> str:
    """One line naming the machine and the versions, for the table's caption."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import numpy
    versions = [f"Python {platform.python_version()}", f"numpy {numpy.__version__}"]
    for package in ("torch", "micrograd"):
        if importlib.util.find_spec(package) is not None:
            from importlib.metadata import PackageNotFoundError, version
            try:
                versions.append(f"{package} {version(package)}")
            except PackageNotFoundError:
                pass
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    blas = f"; OPENBLAS_CORETYPE={coretype}" if coretype else ""
    return f"{os.cpu_count()} cores, {cpu}; {', '.join(versions)}; {threads} thread(s) per engine{blas}"


def report(title: str, outcomes: dict[str, Outcome], skipped: dict[str, str], references: list[str],
           targets: list[Target], threads: int) -> dict:
    """Print the table, the loss check and the targets; return the figures as plain data."""
    print(f"\n{title}")
    print(machine_description(threads))
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    measured = {name: o for name, o in outcomes.items() if o.seconds}
    for name, outcome in outcomes.items():
        if outcome.error is not None:
            print(f"{name} stopped with {outcome.error}")
    references = [r for r in references if r in measured]
    header = f"{'engine':<14} {'median/step':>12} {'min..max':>22}"
    header += "".join(f" {'vs ' + r:>14}" for r in references) + f" {'final loss':>14} {'rel. diff':>10}"
    print(header)
    figures = {"title": title, "machine": machine_description(threads), "engines": {}, "skipped": skipped}
    base_loss = measured[references[0]].losses[-1] if references else None
    failures = []
    for name, outcome in measured.items():
        low, high = min(outcome.seconds), max(outcome.seconds)
        line = f"{name:<14} {format_time(outcome.median):>12} {format_time(low) + '..' + format_time(high):>22}"
        ratios = {}
        for reference in references:
            ratios[reference] = statistics.median(paired_ratio(outcome, measured[reference]))
            line += f" {ratios[reference]:>13.3f}×"
        loss = outcome.losses[-1]
        difference = abs(loss - base_loss) / max(abs(base_loss), 1e-30) if base_loss is not None else 0.0
        line += f" {loss:>14.8g} {difference:>10.1e}"
        print(line)
        if not difference <= LOSS_TOLERANCE:
            failures.append(f"FAIL: {name}'s final loss {loss:.8g} differs from {references[0]}'s {base_loss:.8g} "
                            f"by {difference:.1e} (relative), more than {LOSS_TOLERANCE:g}")
        figures["engines"][name] = {"median": outcome.median, "min": low, "max": high, "ratios": ratios,
                                    "loss": loss, "loss_difference": difference, "rounds": outcome.seconds}
    for line in failures:
        print(line)
    for target in targets:
        if target.engine not in measured or target.reference not in measured:
            print(f"target {target.engine} ≤ {target.ratio}× {target.reference}: not measured")
            continue
        ratio = figures["engines"][target.engine]["ratios"][target.reference]
        verdict = "met" if ratio <= target.ratio else f"MISSED by {ratio / target.ratio - 1:.0%}"
        print(f"target {target.engine} ≤ {target.ratio}× {target.reference}: {ratio:.3f}×, {verdict}")
    figures["failures"] = failures
    return figures


def main(title: str, engines: list[Engine], make_setup: Callable[[], dict], *, steps: int, rounds: int,
         references: list[str], targets: list[Target], argv: list[str] | None = None) -> dict:
    """Parse the common options, measure the engines that are installed, print the report."""
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--steps", type=int, default=steps, help=f"timed training steps per round (default {steps})")
    parser.add_argument("--rounds", type=int, default=rounds, help=f"interleaved rounds (default {rounds})")
    parser.add_argument("--threads", type=int, default=1, help="threads per engine: BLAS, OpenMP, torch (default 1)")
    parser.add_argument("--engines", help="comma-separated subset of: " + ", ".join(e.name for e in engines))
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args(argv)
    if options.engines:
        wanted = options.engines.split(",")
        engines = [engine for engine in engines if engine.name in wanted]
    # Workers inherit the environment when they are spawned, before they import numpy or torch.
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(options.threads)
    skipped = {engine.name: why for engine in engines if (why := available(engine)) is not None}
    engines = [engine for engine in engines if engine.name not in skipped]
    print(f"{title}: {options.steps} steps × {options.rounds} rounds, engines {', '.join(e.name for e in engines)}",
          file=sys.stderr)
    outcomes = measure(engines, make_setup(), options.steps, options.rounds)
    figures = report(title, outcomes, skipped, references, targets, options.threads)
    figures.update(steps=options.steps, rounds=options.rounds, threads=options.threads)
    if options.json:
        with open(options.json, "w") as file:
            json.dump(figures, file, indent=1)
    return figures
