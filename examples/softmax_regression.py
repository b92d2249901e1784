"""Part 2: softmax regression trained sample by sample, as the slide states it.

For each sample (x, y), with x = [1, features] and y one-hot over the classes:
    z = θᵀx,  ŷ = eᶻ ⊘ (Σ eᶻ),  L = −yᵀ log ŷ,  ∇θ L = x(ŷ − y)ᵀ,  θ ← θ − η ∇θ L.
Autograd computes ∇θ L from L alone; the script checks it against x(ŷ − y)ᵀ at every step.
Data: Iris, all three species, features standardised.
Run: python examples/softmax_regression.py [--plot]
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.datasets import Standardizer, load_iris
from tinygrad_edu.lecture.regression import train_sample_by_sample, with_bias_column
from tinygrad_edu.viz.plot import offer_picture, plot_losses

LR, EPOCHS = 0.1, 10
iris = load_iris()
inputs = with_bias_column(Standardizer.fit(iris.features).transform(iris.features))
one_hot = np.eye(len(iris.class_names))[iris.labels]
theta = tg.Value(np.zeros((inputs.shape[1], one_hot.shape[1])), dtype=np.float64, requires_grad=True)


def predict(x):
    return (x @ theta).softmax()


def cross_entropy(y_hat, y):
    return -(y * y_hat.log()).sum()


def mean_loss_and_accuracy(y_hat):
    mean_loss = np.mean(-(one_hot * np.log(y_hat)).sum(axis=1))
    return float(mean_loss), np.mean(y_hat.argmax(axis=1) == iris.labels)


print(f"Softmax regression on {len(inputs)} Iris flowers, {len(iris.class_names)} species, "
      f"η = {LR}, one sample per step")
losses = train_sample_by_sample(theta, inputs, one_hot, predict, cross_entropy,
                                lambda x, y_hat, y: np.outer(x, y_hat - y), "x(ŷ − y)ᵀ", mean_loss_and_accuracy,
                                lr=LR, epochs=EPOCHS)
print()
print(offer_picture("softmax_regression.png", lambda path: plot_losses(
    {"mean cross-entropy": losses}, path, title="Softmax regression, one sample per step")))
