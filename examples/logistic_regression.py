"""Part 2: logistic regression trained sample by sample, as the slide states it.

For each sample (x, y), with x = [1, features] so that θ₀ is the bias:
    z = θᵀx,  ŷ = σ(z),  L = −y·log ŷ − (1 − y)·log(1 − ŷ),  ∇θ L = x(ŷ − y),  θ ← θ − η ∇θ L.
Autograd computes ∇θ L from L alone; the script checks it against x(ŷ − y) at every step.
Data: Iris, versicolor (y = 0) against virginica (y = 1), features standardised.
Run: python examples/logistic_regression.py [--plot]
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.datasets import Standardizer, load_iris
from tinygrad_edu.plot import offer_picture, plot_losses

LR, EPOCHS = 0.1, 10
iris = load_iris()
rows = iris.labels > 0
features = Standardizer.fit(iris.features[rows]).transform(iris.features[rows])
inputs = np.hstack([np.ones((len(features), 1)), features])  # x = [1, features]
targets = (iris.labels[rows] == 2).astype(np.float64)
order = np.random.default_rng(0).permutation(len(inputs))  # the classes are stored in blocks

theta = tg.Value(np.zeros(inputs.shape[1]), dtype=np.float64, requires_grad=True)
optimizer = optim.SGD([theta], lr=LR)
print(f"Logistic regression on {len(inputs)} Iris flowers ({iris.class_names[1]} vs {iris.class_names[2]}), "
      f"η = {LR}, one sample per step")
losses, largest_gap = [], 0.0
for epoch in range(EPOCHS):
    for i in order:
        x, y = tg.Value(inputs[i]), targets[i]
        optimizer.zero_grad()
        y_hat = (x @ theta).sigmoid()
        loss = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())
        loss.backward()
        largest_gap = max(largest_gap, np.abs(theta.grad - inputs[i] * (y_hat.item() - y)).max())
        optimizer.step()
    with tg.no_grad():
        y_hat = (tg.Value(inputs) @ theta).sigmoid().data
    losses.append(float(np.mean(-(targets * np.log(y_hat) + (1 - targets) * np.log(1 - y_hat)))))
    accuracy = np.mean((y_hat > 0.5) == (targets == 1))
    print(f"Epoch: {epoch:02d} -- mean loss = {losses[-1]:.5f}, accuracy = {accuracy:.4f}")
print("θ =", np.array2string(theta.data, precision=4, floatmode="fixed"))
steps = EPOCHS * len(inputs)
verdict = "agree" if largest_gap < 1e-12 else f"DISAGREE (largest difference {largest_gap:.3g})"
print(f"Autograd's ∇θ L and the slide's x(ŷ − y) {verdict} at all {steps} steps.")
print()
print(offer_picture("logistic_regression.png", lambda path: plot_losses(
    {"mean BCE loss": losses}, path, title="Logistic regression, one sample per step")))
