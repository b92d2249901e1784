"""The engines of the two MLP workloads (iris_scale.py and mnist_scale.py).

One hidden layer, y = W2·act(W1·x + b1) + b2, cross-entropy of the logits
against integer classes (mean over the batch), SGD with momentum and
PyTorch's update (the first momentum buffer is the gradient itself), full batch
every step, float32 throughout. ``setup`` holds the data, the initial weights
(PyTorch's layout: W of shape (out, in)), the activation, the learning rate
and the momentum. Each engine returns ``(seconds_per_step, final_loss)``, the
loss of the last step.

* tinygrad_edu: ``nn.Sequential(nn.Linear, act, nn.Linear)``, ``nn.CrossEntropyLoss``
  and ``optim.SGD``, written as a learner writes them;
* numpy: the forward and the backward written out by hand, the floor for any
  engine built on numpy;
* torch: the same model with ``torch.nn`` and ``torch.optim.SGD``, on the CPU.
"""

from __future__ import annotations

import time

import numpy as np
from harness import Engine, import_torch

FLOAT = np.float32


def initial_weights(rng: np.random.Generator, sizes: tuple[int, ...]) -> dict:
    """PyTorch's Linear initialisation, uniform on ±1/√fan_in, drawn once in numpy for every engine."""
    weights, biases = [], []
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        bound = 1 / np.sqrt(n_in)
        weights.append(rng.uniform(-bound, bound, size=(n_out, n_in)).astype(FLOAT))
        biases.append(rng.uniform(-bound, bound, size=n_out).astype(FLOAT))
    return {"weights": weights, "biases": biases}


def run_tinygrad_edu(setup, steps):
    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim
    activation = {"tanh": nn.Tanh, "relu": nn.ReLU}[setup["activation"]]
    (w1, w2), (b1, b2) = setup["weights"], setup["biases"]
    model = nn.Sequential(nn.Linear(w1.shape[1], w1.shape[0]), activation(), nn.Linear(w2.shape[1], w2.shape[0]))
    with tg.no_grad():
        for layer, w, b in ((model[0], w1, b1), (model[2], w2, b2)):
            layer.weight.data[...] = w
            layer.bias.data[...] = b
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=setup["lr"], momentum=setup["momentum"])
    x, y = tg.tensor(setup["x"]), tg.tensor(setup["y"])
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps, loss.item()


def run_numpy(setup, steps):
    """Forward and backward by hand: the least work a numpy engine can do for this model."""
    x, y = setup["x"], setup["y"]
    n = len(y)
    pairs = zip(setup["weights"], setup["biases"], strict=True)
    params = [array.copy() for pair in pairs for array in pair]  # W1 b1 W2 b2
    buffers = [None] * len(params)
    lr, momentum = setup["lr"], setup["momentum"]
    tanh = setup["activation"] == "tanh"
    rows = np.arange(n)
    start = time.perf_counter()
    for _ in range(steps):
        w1, b1, w2, b2 = params
        z = x @ w1.T + b1
        h = np.tanh(z) if tanh else np.maximum(z, 0)
        logits = h @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = np.log(total[:, 0]).mean() - shifted[rows, y].mean()
        # dL/dlogits = (softmax − onehot(y)) / n
        d_logits = exp / total
        d_logits[rows, y] -= 1
        d_logits /= n
        d_h = d_logits @ w2
        d_z = d_h * (1 - h * h) if tanh else d_h * (z > 0)
        grads = [d_z.T @ x, d_z.sum(axis=0), d_logits.T @ h, d_logits.sum(axis=0)]
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if buffers[i] is None:
                buffers[i] = g.copy()
            else:
                buffers[i] *= momentum
                buffers[i] += g
            p -= lr * buffers[i]
    return (time.perf_counter() - start) / steps, float(loss)


def run_torch(setup, steps):
    torch = import_torch()
    activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[setup["activation"]]
    (w1, w2), (b1, b2) = setup["weights"], setup["biases"]
    model = torch.nn.Sequential(torch.nn.Linear(w1.shape[1], w1.shape[0]), activation(),
                                torch.nn.Linear(w2.shape[1], w2.shape[0]))
    with torch.no_grad():
        for layer, w, b in ((model[0], w1, b1), (model[2], w2, b2)):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=setup["lr"], momentum=setup["momentum"])
    x, y = torch.from_numpy(setup["x"]), torch.from_numpy(setup["y"])
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps, loss.item()


ENGINES = [
    Engine("tinygrad_edu", run_tinygrad_edu, ("tinygrad_edu",)),
    Engine("numpy", run_numpy),
    Engine("torch", run_torch, ("torch",)),
]
