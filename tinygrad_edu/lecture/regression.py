"""Part 2's regressions, trained sample by sample as the slides state them.

Logistic and softmax regression share everything but the model, the loss and
the slide's formula for the gradient: x = [1, features] so that θ₀ is the
bias, one SGD step per sample, and autograd's ∇θ L checked against the
slide's formula at every step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import Value, no_grad, optim
from ..terminal import write_line

# Autograd and the slide's formula compute the same float64 numbers in a different order.
AGREEMENT = 1e-12


def with_bias_column(features: np.ndarray) -> np.ndarray:
    """x = [1, features] for every row, so that θ₀ multiplies 1 and is the bias."""
    return np.hstack([np.ones((len(features), 1)), features])


def train_sample_by_sample(theta: Value, inputs: np.ndarray, targets: np.ndarray,
                           predict: Callable[[Value], Value], loss: Callable[[Value, np.ndarray], Value],
                           slide_gradient: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
                           formula: str, evaluate: Callable[[np.ndarray], tuple[float, float]],
                           lr: float, epochs: int) -> list[float]:
    """θ ← θ − η ∇θ L for each sample (x, y), ``epochs`` times; returns the mean loss per epoch.

    ``predict(x)`` is ŷ and ``loss(ŷ, y)`` is L: autograd takes ∇θ L from L
    alone, and ``slide_gradient(x, ŷ, y)`` is the slide's ``formula`` for it.
    After each epoch ``evaluate(ŷ of every input)`` gives the mean loss and
    accuracy printed as the epoch's row; at the end θ, and whether autograd and
    the formula agreed at every step, are printed.
    """
    optimizer = optim.SGD([theta], lr=lr)
    order = np.random.default_rng(0).permutation(len(inputs))  # the classes are stored in blocks
    losses, largest_gap = [], 0.0
    for epoch in range(epochs):
        for i in order:
            optimizer.zero_grad()
            y_hat = predict(Value(inputs[i]))
            loss(y_hat, targets[i]).backward()
            largest_gap = max(largest_gap, np.abs(theta.grad - slide_gradient(inputs[i], y_hat.data, targets[i])).max())
            optimizer.step()
        with no_grad():
            mean_loss, accuracy = evaluate(predict(Value(inputs)).data)
        losses.append(mean_loss)
        write_line(f"Epoch: {epoch:02d} -- mean loss = {mean_loss:.5f}, accuracy = {accuracy:.4f}")
    write_line(f"θ = {np.array2string(theta.data, precision=4, floatmode='fixed', prefix='θ = ')}")
    verdict = "agree" if largest_gap < AGREEMENT else f"DISAGREE (largest difference {largest_gap:.3g})"
    write_line(f"Autograd's ∇θ L and the slide's {formula} {verdict} at all {epochs * len(inputs)} steps.")
    return losses
