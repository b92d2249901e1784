"""Hessian-vector product on the iris-scale MLP: ``autograd.functional.hvp`` against PyTorch's.

The model of iris_scale.py (4-16-3 tanh, cross-entropy over the 150 standardised flowers,
float32, the same initial weights), and one direction v (one array per parameter, drawn once
in numpy). One step is ``hvp(loss, (W1, b1, W2, b2), v)``: H v for the loss's Hessian with
respect to every parameter, computed as both libraries compute it, by the double-backward trick
(a gradient with a graph, its vector-Jacobian product with a dummy u, and the gradient of that
with respect to u: three backward passes, two of them through the graph of a gradient). The
check value is Σ|H v|, which both engines must agree on.

    python benchmarks/hessian_vector.py [--steps 200] [--rounds 7]
"""

from __future__ import annotations

import time

import numpy as np
from harness import Engine, import_torch, main
from iris_scale import make_setup as iris_setup
from mlp_workloads import FLOAT


def make_setup() -> dict:
    setup = iris_setup()
    rng = np.random.default_rng(1)
    parameters = [setup["weights"][0], setup["biases"][0], setup["weights"][1], setup["biases"][1]]
    setup["v"] = [rng.uniform(-1, 1, p.shape).astype(FLOAT) for p in parameters]
    return setup


def parameters_of(setup: dict) -> list:
    return [setup["weights"][0], setup["biases"][0], setup["weights"][1], setup["biases"][1]]


def run_tinygrad_edu(setup, steps):
    import tinygrad_edu as tg
    from tinygrad_edu.autograd.functional import hvp
    x, y = tg.tensor(setup["x"]), setup["y"]

    def loss(w1, b1, w2, b2):
        h = (x @ w1.T + b1).tanh()
        return tg.nn.functional.cross_entropy(h @ w2.T + b2, y)

    parameters = tuple(tg.tensor(p) for p in parameters_of(setup))
    v = tuple(tg.tensor(d) for d in setup["v"])
    start = time.perf_counter()
    for _ in range(steps):
        _, product = hvp(loss, parameters, v)
    seconds = (time.perf_counter() - start) / steps
    return seconds, float(sum(np.abs(p.data).sum() for p in product))


def run_torch(setup, steps):
    torch = import_torch()
    x, y = torch.from_numpy(setup["x"]), torch.from_numpy(setup["y"])

    def loss(w1, b1, w2, b2):
        h = torch.tanh(x @ w1.T + b1)
        return torch.nn.functional.cross_entropy(h @ w2.T + b2, y)

    parameters = tuple(torch.from_numpy(p.copy()) for p in parameters_of(setup))
    v = tuple(torch.from_numpy(d) for d in setup["v"])
    start = time.perf_counter()
    for _ in range(steps):
        _, product = torch.autograd.functional.hvp(loss, parameters, v)
    seconds = (time.perf_counter() - start) / steps
    return seconds, float(sum(p.abs().sum() for p in product))


ENGINES = [
    Engine("tinygrad_edu", run_tinygrad_edu, ("tinygrad_edu",)),
    Engine("torch", run_torch, ("torch",)),
]


if __name__ == "__main__":
    main("Hessian-vector product on the iris-scale MLP 4-16-3 tanh, cross-entropy, float32: "
         "autograd.functional.hvp", ENGINES, make_setup, steps=200, rounds=7, references=["torch"], targets=[])
