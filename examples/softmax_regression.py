"""Part 2: softmax regression trained sample by sample, as the slide states it.

For each sample (x, y), with x = [1, features] and y one-hot over the classes:
    z = θᵀx,  ŷ = eᶻ ⊘ (Σ eᶻ),  L = −yᵀ log ŷ,  ∇θ L = x(ŷ − y)ᵀ,  θ ← θ − η ∇θ L.
Autograd computes ∇θ L from L alone; the script checks it against x(ŷ − y)ᵀ at every step.
Data: Iris, all three species, features standardised.
Run: python examples/softmax_regression.py [--plot]
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.datasets import Standardizer, load_iris
from tinygrad_edu.plot import offer_picture, plot_losses

LR, EPOCHS = 0.1, 10
iris = load_iris()
features = Standardizer.fit(iris.features).transform(iris.features)
inputs = np.hstack([np.ones((len(features), 1)), features])  # x = [1, features]
one_hot = np.eye(len(iris.class_names))[iris.labels]
order = np.random.default_rng(0).permutation(len(inputs))  # the classes are stored in blocks

theta = tg.Value(np.zeros((inputs.shape[1], one_hot.shape[1])), dtype=np.float64, requires_grad=True)
optimizer = optim.SGD([theta], lr=LR)
print(f"Softmax regression on {len(inputs)} Iris flowers, {len(iris.class_names)} species, "
      f"η = {LR}, one sample per step")
losses, largest_gap = [], 0.0
for epoch in range(EPOCHS):
    for i in order:
        x, y = tg.Value(inputs[i]), one_hot[i]
        optimizer.zero_grad()
        y_hat = (x @ theta).softmax()
        loss = -(y * y_hat.log()).sum()
        loss.backward()
        largest_gap = max(largest_gap, np.abs(theta.grad - np.outer(inputs[i], y_hat.data - y)).max())
        optimizer.step()
    with tg.no_grad():
        y_hat = (tg.Value(inputs) @ theta).softmax().data
    losses.append(float(np.mean(-(one_hot * np.log(y_hat)).sum(axis=1))))
    accuracy = np.mean(y_hat.argmax(axis=1) == iris.labels)
    print(f"Epoch: {epoch:02d} -- mean loss = {losses[-1]:.5f}, accuracy = {accuracy:.4f}")
print("θ =", np.array2string(theta.data, precision=4, floatmode="fixed", prefix="θ = "))
steps = EPOCHS * len(inputs)
verdict = "agree" if largest_gap < 1e-12 else f"DISAGREE (largest difference {largest_gap:.3g})"
print(f"Autograd's ∇θ L and the slide's x(ŷ − y)ᵀ {verdict} at all {steps} steps.")
print()
print(offer_picture("softmax_regression.png", lambda path: plot_losses(
    {"mean cross-entropy": losses}, path, title="Softmax regression, one sample per step")))
