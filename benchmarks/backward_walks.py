"""What the tuned walk buys: ``autograd.backpropagate`` (backward as the lesson writes it) against
``autograd.backward`` (the same walk tuned, what ``Value.backward`` runs), on one graph.

The graph is micrograd's demo loss over scalar Values (benchmarks/scalar.py: an MLP 2-16-16-1
on 100 points, about 65,000 operations), the workload where per-node Python dominates. Each
round runs both walks on the same graph, in alternating order, from cleared gradients, and
times them in CPU time (``time.process_time``); printed are the median times and the median
over rounds of the paired ratio textbook / tuned. Both walks give the same gradients bit for
bit (tests/test_backward_walks.py), so only the time differs.

    python benchmarks/backward_walks.py [--rounds 11]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np
import scalar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="rounds, each timing both walks (default 11)")
    options = parser.parse_args()

    import tinygrad_edu as tg
    from tinygrad_edu import autograd

    setup = scalar.make_setup()
    model = scalar.MLP(setup, lambda number: tg.Value(np.float64(number), requires_grad=True))
    inputs = [[tg.Value(np.float64(v)) for v in row] for row in setup["x"].tolist()]
    loss = scalar.svm_loss(model, inputs, setup["y"].tolist())
    walks = {"textbook (backpropagate)": autograd.backpropagate, "tuned (backward)": autograd.backward}
    seconds: dict[str, list[float]] = {name: [] for name in walks}
    for round_number in range(options.rounds):
        order = list(walks) if round_number % 2 else list(walks)[::-1]
        for name in order:
            for p in model.params:
                p.grad = None
            gc.collect()
            start = time.process_time()
            walks[name](loss, np.array(1.0))
            seconds[name].append(time.process_time() - start)
    nodes = len(autograd.topological_order(loss))
    print(f"backward of micrograd's demo loss: {nodes} nodes that require grad, {options.rounds} rounds, CPU time")
    for name, times in seconds.items():
        median = statistics.median(times)
        print(f"{name:<26} {median * 1e3:8.1f} ms   {median / nodes * 1e9:6.0f} ns a node")
    textbook, tuned = seconds.values()
    ratio = statistics.median(a / b for a, b in zip(textbook, tuned, strict=True))
    print(f"paired ratio textbook / tuned: {ratio:.3f}")


if __name__ == "__main__":
    main()
