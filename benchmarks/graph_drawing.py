"""How long draw_graph takes on a 10,000-node graph (target: under a second).

The graph is a chain of 5,000 scalar operations (sigmoid and tanh in turn),
5,001 Values and 5,000 operations: 10,001 nodes, five times deeper than
Python's recursion limit. Each run builds the Values, runs backward (so every
node has a grad to print) and converts the picture to DOT source; the median
of the runs is reported, because a shared machine makes single runs noisy.

    python benchmarks/graph_drawing.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import tinygrad_edu as tg

OPERATIONS = 5_000  # 5,001 Values + 5,000 operations = 10,001 nodes
TARGET_SECONDS = 1.0


def chain(operations: int) -> tg.Value:
    value = tg.Value(0.5, requires_grad=True, name="x")
    for i in range(operations):
        value = value.tanh() if i % 2 else value.sigmoid()
    return value


def one_run(operations: int) -> tuple[float, float, int]:
    """Seconds to build and backward, seconds to draw to DOT source, and the number of DOT lines."""
    start = time.perf_counter()
    root = chain(operations)
    root.backward()
    built = time.perf_counter()
    source = tg.draw_graph(root).source
    drawn = time.perf_counter()
    return built - start, drawn - built, source.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    runs = [one_run(OPERATIONS) for _ in range(repeats)]
    build = statistics.median(run[0] for run in runs)
    draw = statistics.median(run[1] for run in runs)
    nodes = 2 * OPERATIONS + 1
    verdict = "under" if draw < TARGET_SECONDS else "OVER"
    print(f"draw_graph on {nodes:,} nodes, median of {repeats} runs")
    print(f"  build the Values and backward: {build:.3f} s")
    print(f"  draw_graph(...).source:        {draw:.3f} s  ({verdict} the {TARGET_SECONDS:.0f} s target)")


if __name__ == "__main__":
    main()
