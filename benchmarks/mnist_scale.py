"""MNIST-scale workload: MLP 784-256-10 ReLU, a batch of 256 random float32 images, 50 steps.

Cross-entropy against random labels, SGD with momentum 0.9 (PyTorch's),
float32. The data are random (uniform [0, 1) pixels, 10 classes): the time per
step depends only on the shapes. Engines: tinygrad_edu (``nn`` and ``optim``),
a hand-written numpy forward and backward, and PyTorch on the CPU (see
mlp_workloads.py).

    python benchmarks/mnist_scale.py [--steps 50] [--rounds 7]
"""

from __future__ import annotations

import numpy as np
from harness import Target, main
from mlp_workloads import ENGINES, FLOAT, initial_weights

BATCH = 256


def make_setup() -> dict:
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 784), dtype=FLOAT)
    y = rng.integers(0, 10, size=BATCH, dtype=np.int64)
    setup = {"x": x, "y": y, "activation": "relu", "lr": 0.01, "momentum": 0.9}
    return setup | initial_weights(rng, (784, 256, 10))


if __name__ == "__main__":
    main("mnist-scale: MLP 784-256-10 ReLU, batch 256 random float32, cross-entropy, SGD momentum 0.9",
         ENGINES, make_setup, steps=50, rounds=7, references=["numpy", "torch"],
         targets=[Target("tinygrad_edu", "numpy", 1.15)])
