"""How long the Iris example takes to train: ``train_iris`` as ``tinygrad-edu train-iris`` runs it.

MLP 4-16-3 (Tanh), CrossEntropyLoss, SGD momentum 0.9, 200 full-batch epochs
on 120 flowers, float32, for seeds 0–9 (the seeds the test suite trains).
Each seed is timed ``--repeats`` times; we report the median seconds per
training (split, initialisation and 200 steps) and per epoch, as the process's
CPU time (on a shared machine wall-clock time also counts the moments spent
waiting for a core; it is printed beside), and the test accuracy, which must
be the same on every repeat.

    python benchmarks/iris_training.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from tinygrad_edu.lecture.iris import EPOCHS, train_iris

SEEDS = range(10)


def time_seed(seed: int, repeats: int) -> tuple[float, float, int]:
    """Median CPU and wall-clock seconds of one training, and its number of correct test flowers."""
    cpu, wall, correct = [], [], set()
    for _ in range(repeats):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        result = train_iris(seed=seed)
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
        correct.add(result.correct)
    assert len(correct) == 1, f"seed {seed}: the same training gave different results {correct}"
    return statistics.median(cpu), statistics.median(wall), correct.pop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print("seed  CPU s  ms/epoch  wall s  test correct")
    rows = [(seed, *time_seed(seed, args.repeats)) for seed in SEEDS]
    for seed, cpu, wall, correct in rows:
        print(f"{seed:>4}  {cpu:5.3f}  {1000 * cpu / EPOCHS:8.3f}  {wall:6.3f}  {correct:>9}/30")
    cpu = statistics.median(row[1] for row in rows)
    accuracy = [row[3] / 30 for row in rows]
    print(f"median CPU time {cpu:.3f} s a training, {1000 * cpu / EPOCHS:.3f} ms an epoch; "
          f"test accuracy mean {statistics.mean(accuracy):.4f}, min {min(accuracy):.4f}")


if __name__ == "__main__":
    main()
