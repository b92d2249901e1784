"""Iris-scale workload: MLP 4-16-3 tanh, the full batch of 150 flowers, 1000 steps.

Cross-entropy, SGD with momentum 0.9 (PyTorch's), float32. The features
are the Iris measurements shipped with tinygrad_edu, standardised. Engines:
tinygrad_edu (``nn`` and ``optim``), a hand-written numpy forward and backward,
and PyTorch on the CPU (see mlp_workloads.py).

    python benchmarks/iris_scale.py [--steps 1000] [--rounds 7]
"""

from __future__ import annotations

import numpy as np
from harness import Target, main
from mlp_workloads import ENGINES, FLOAT, initial_weights


def make_setup() -> dict:
    from tinygrad_edu.datasets import load_iris
    features, labels, _ = load_iris()
    x = ((features - features.mean(axis=0)) / features.std(axis=0)).astype(FLOAT)
    setup = {"x": x, "y": labels.astype(np.int64), "activation": "tanh", "lr": 0.1, "momentum": 0.9}
    return setup | initial_weights(np.random.default_rng(0), (4, 16, 3))


if __name__ == "__main__":
    main("iris-scale: MLP 4-16-3 tanh, full batch 150, cross-entropy, SGD momentum 0.9, float32",
         ENGINES, make_setup, steps=1000, rounds=7, references=["numpy", "torch"],
         targets=[Target("tinygrad_edu", "numpy", 2.5), Target("tinygrad_edu", "torch", 0.5)])
