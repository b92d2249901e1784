"""Scalar workload: micrograd's own demo, with every weight a scalar Value.

An MLP 2-16-16-1 (ReLU, linear output) learns 100 two-moons points with the
SVM max-margin loss mean(relu(1 − yᵢ·scoreᵢ)) + 1e-4·Σ p², by plain gradient
descent with micrograd's decaying rate 1 − 0.9·k/100. One step is the demo's
iteration: forward, backward, update. Every engine computes in float64
(micrograd's Python floats), from the same numpy-made points and weights:

* tinygrad_edu: 0-d float64 Values, the demo's Neuron/Layer/MLP written over them;
* micrograd (``pip install micrograd``): its own ``micrograd.nn.MLP``;
* torch: the same classes over 0-d float64 tensors.

    python benchmarks/scalar.py [--steps 10] [--rounds 5]
"""

from __future__ import annotations

import time

import numpy as np
from harness import Engine, Target, import_torch, main

POINTS = 100
SIZES = (2, 16, 16, 1)
ALPHA = 1e-4  # the L2 penalty's weight


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (as scikit-learn's make_moons), labels −1 and +1."""
    outer, inner = n // 2, n - n // 2
    t_outer, t_inner = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    x = np.concatenate([np.stack([np.cos(t_outer), np.sin(t_outer)], 1),
                        np.stack([1 - np.cos(t_inner), 1 - np.sin(t_inner) - 0.5], 1)])
    x += rng.normal(scale=noise, size=x.shape)
    y = np.concatenate([-np.ones(outer), np.ones(inner)])
    return x, y


def make_setup() -> dict:
    """Points, labels, and micrograd's initialisation: weights uniform on ±1, biases 0."""
    rng = np.random.default_rng(1337)
    x, y = make_moons(POINTS, 0.1, rng)
    weights = [rng.uniform(-1, 1, size=(n_out, n_in)) for n_in, n_out in zip(SIZES, SIZES[1:], strict=False)]
    biases = [np.zeros(n_out) for n_out in SIZES[1:]]
    return {"x": x, "y": y, "weights": weights, "biases": biases}


def learning_rate(step: int) -> float:
    return 1.0 - 0.9 * step / 100


# ---------------------------------------------------------------- the demo's model, for any scalar type

class Neuron:
    def __init__(self, w, b, nonlin):
        self.w, self.b, self.nonlin = w, b, nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.relu() if self.nonlin else act


class MLP:
    """micrograd's MLP over any scalar type, from numpy weights: ``scalar(number)`` makes a parameter."""

    def __init__(self, setup, scalar):
        last = len(setup["weights"]) - 1
        layers = enumerate(zip(setup["weights"], setup["biases"], strict=True))
        self.layers = [[Neuron([scalar(w) for w in row], scalar(b), nonlin=i != last)
                        for row, b in zip(W, B, strict=True)] for i, (W, B) in layers]
        self.params = [p for layer in self.layers for n in layer for p in n.w + [n.b]]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0]


def svm_loss(model, inputs, labels):
    """The demo's loss: mean(relu(1 − yᵢ·scoreᵢ)) + α Σ p²."""
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + ALPHA * sum(p * p for p in model.params)


# ---------------------------------------------------------------- engines

def run_tinygrad_edu(setup, steps):
    import tinygrad_edu as tg
    model = MLP(setup, lambda number: tg.Value(np.float64(number), requires_grad=True))
    labels = setup["y"].tolist()
    start = time.perf_counter()
    for k in range(steps):
        inputs = [[tg.Value(np.float64(v)) for v in row] for row in setup["x"].tolist()]
        loss = svm_loss(model, inputs, labels)
        for p in model.params:
            p.grad = None
        loss.backward()
        rate = learning_rate(k)
        for p in model.params:
            p.data -= rate * p.grad
    return (time.perf_counter() - start) / steps, loss.item()


def run_micrograd(setup, steps):
    from micrograd.engine import Value
    model = MLP(setup, lambda number: Value(float(number)))
    labels = setup["y"].tolist()
    start = time.perf_counter()
    for k in range(steps):
        inputs = [list(map(Value, row)) for row in setup["x"].tolist()]
        loss = svm_loss(model, inputs, labels)
        for p in model.params:
            p.grad = 0
        loss.backward()
        rate = learning_rate(k)
        for p in model.params:
            p.data -= rate * p.grad
    return (time.perf_counter() - start) / steps, loss.data


def run_torch(setup, steps):
    torch = import_torch()
    model = MLP(setup, lambda number: torch.tensor(float(number), dtype=torch.float64, requires_grad=True))
    labels = setup["y"].tolist()
    start = time.perf_counter()
    for k in range(steps):
        inputs = [[torch.tensor(v, dtype=torch.float64) for v in row] for row in setup["x"].tolist()]
        loss = svm_loss(model, inputs, labels)
        for p in model.params:
            p.grad = None
        loss.backward()
        rate = learning_rate(k)
        with torch.no_grad():
            for p in model.params:
                p -= rate * p.grad
    return (time.perf_counter() - start) / steps, loss.item()


ENGINES = [
    Engine("tinygrad_edu", run_tinygrad_edu, ("tinygrad_edu",)),
    Engine("micrograd", run_micrograd, ("micrograd",)),
    Engine("torch", run_torch, ("torch",)),
]

if __name__ == "__main__":
    main("scalar: micrograd's demo, MLP 2-16-16-1 ReLU, 100 two-moons points, SVM loss + 1e-4·L2, float64",
         ENGINES, make_setup, steps=10, rounds=5, references=["micrograd", "torch"],
         targets=[Target("tinygrad_edu", "micrograd", 0.5)])
