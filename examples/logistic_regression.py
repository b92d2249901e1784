"""Part 2: logistic regression trained sample by sample, as the slide states it.

For each sample (x, y), with x = [1, features] so that θ₀ is the bias:
    z = θᵀx,  ŷ = σ(z),  L = −y·log ŷ − (1 − y)·log(1 − ŷ),  ∇θ L = x(ŷ − y),  θ ← θ − η ∇θ L.
Autograd computes ∇θ L from L alone; the script checks it against x(ŷ − y) at every step.
Data: Iris, versicolor (y = 0) against virginica (y = 1), features standardised.
Run: python examples/logistic_regression.py [--plot]
"""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.datasets import Standardizer, load_iris
from tinygrad_edu.lecture.regression import train_sample_by_sample, with_bias_column
from tinygrad_edu.viz.plot import offer_picture, plot_losses

LR, EPOCHS = 0.1, 10
iris = load_iris()
rows = iris.labels > 0
inputs = with_bias_column(Standardizer.fit(iris.features[rows]).transform(iris.features[rows]))
targets = (iris.labels[rows] == 2).astype(np.float64)
theta = tg.Value(np.zeros(inputs.shape[1]), dtype=np.float64, requires_grad=True)


def predict(x):
    return (x @ theta).sigmoid()


def binary_cross_entropy(y_hat, y):
    return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())


def mean_loss_and_accuracy(y_hat):
    mean_loss = np.mean(-(targets * np.log(y_hat) + (1 - targets) * np.log(1 - y_hat)))
    return float(mean_loss), np.mean((y_hat > 0.5) == (targets == 1))


print(f"Logistic regression on {len(inputs)} Iris flowers ({iris.class_names[1]} vs {iris.class_names[2]}), "
      f"η = {LR}, one sample per step")
losses = train_sample_by_sample(theta, inputs, targets, predict, binary_cross_entropy,
                                lambda x, y_hat, y: x * (y_hat - y), "x(ŷ − y)", mean_loss_and_accuracy,
                                lr=LR, epochs=EPOCHS)
print()
print(offer_picture("logistic_regression.png", lambda path: plot_losses(
    {"mean BCE loss": losses}, path, title="Logistic regression, one sample per step")))
