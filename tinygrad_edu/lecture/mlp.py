"""Part 1 of the lecture, "Multilayer Perceptron", computed with the public API.

Two networks appear in the deck (see docs/slides.md, erratum 3): the summary
slide shows Linear(2, 2) → Linear(2, 2) → Sigmoid (12 parameters), while the
forward, backward and SGD slides compute Linear(2, 2) → Linear(2, 1) → Sigmoid
with every weight and bias 0.1, x = [1, 2] and target y = 0. ``summary_model``
builds the first and ``slide_network`` the second.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.autograd import node_ids

SLIDE_X = [1.0, 2.0]
SLIDE_TARGET = [0.0]
SLIDE_WEIGHT = 0.1
ACTIVATION_INPUT = [0.18, -0.18]
CROSS_ENTROPY_LOGITS = [0.0580, 0.4275]  # the slide's y_pred, as printed
CROSS_ENTROPY_TARGET = 0
LEARNING_RATE = 0.1


def summary_model() -> nn.Sequential:
    """The summary slide's model: Linear(2, 2) → Linear(2, 2) → Sigmoid, 12 parameters."""
    return nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Sigmoid())


@dataclass
class SlideNetwork:
    """The 2-2-1 network of the forward/backward slides after its forward pass."""

    model: nn.Sequential
    x: tg.Value
    target: tg.Value
    y_hat: tg.Value
    loss: tg.Value


def slide_network(dtype: Any = np.float32) -> SlideNetwork:
    """Linear(2, 2) → Linear(2, 1) → Sigmoid, every weight and bias 0.1, run on x = [1, 2]
    with BCELoss against y = 0: ŷ = σ(0.18) = 0.5449, loss = 0.7872.

    Every Value has the name the lecture says (graph, trace and page all print it):
    x, y, the parameters' state-dict names, h, z, ŷ, L, and the products between them.
    """
    model = nn.Sequential(nn.Linear(2, 2, dtype=dtype), nn.Linear(2, 1, dtype=dtype), nn.Sigmoid())
    for parameter in model.parameters():
        nn.init.constant_(parameter, SLIDE_WEIGHT)
    x = tg.tensor(SLIDE_X, dtype=dtype)
    target = tg.tensor(SLIDE_TARGET, dtype=dtype)
    x.name, target.name = "x", "y"
    h = model[0](x)
    z = model[1](h)
    y_hat = model[2](z)
    loss = nn.BCELoss()(y_hat, target)
    h.name, z.name, y_hat.name, loss.name = "h", "z", "ŷ", "L"
    name_products(loss)
    return SlideNetwork(model, x, target, y_hat, loss)


def name_products(root: tg.Value) -> None:
    """Name every unnamed transpose, matmul and (log_)softmax in ``root``'s graph after its inputs:
    ``0.weightᵀ``, ``x·0.weightᵀ``, ``log_softmax(logits)``. A Value whose inputs have no names keeps
    none (graphs then show its id)."""
    for value in node_ids(root):
        op = value.grad_fn
        if value.name or not all(parent.name for parent in getattr(op, "parents", ())):
            continue
        if op.name == "transpose":
            value.name = f"{op.parents[0].name}ᵀ"
        elif op.name == "matmul":
            value.name = "·".join(parent.name for parent in op.parents)
        elif op.name in ("softmax", "log_softmax"):  # inside a loss, such as CrossEntropyLoss
            value.name = f"{op.name}({op.parents[0].name})"


@dataclass
class HandForward:
    """The forward slide's quantities: h = [1 x] W_h, z = [1 h] W_z, ŷ = σ(z)."""

    w_h: tg.Value
    w_z: tg.Value
    h: tg.Value
    z: tg.Value
    y_hat: tg.Value


def forward_by_hand(dtype: Any = np.float32) -> HandForward:
    """The slide's forward pass with Value operations only.

    The slide puts each bias in the first row of its weight matrix and a 1 in
    front of the input: [1 x] W = 1·W[0] + x W[1:], which is what we compute.
    """
    x = tg.tensor(SLIDE_X, dtype=dtype)
    w_h = tg.Value(np.full((3, 2), SLIDE_WEIGHT), dtype=dtype, requires_grad=True, name="W_h")
    w_z = tg.Value(np.full((3, 1), SLIDE_WEIGHT), dtype=dtype, requires_grad=True, name="W_z")
    h = w_h[0] + x @ w_h[1:]
    z = w_z[0] + h @ w_z[1:]
    return HandForward(w_h, w_z, h, z, z.sigmoid())


def activations(dtype: Any = np.float32) -> OrderedDict:
    """Sigmoid, ReLU and Tanh modules applied to the slide's input [0.18, -0.18]."""
    x = tg.tensor(ACTIVATION_INPUT, dtype=dtype)
    return OrderedDict((type(act).__name__, act(x)) for act in (nn.Sigmoid(), nn.ReLU(), nn.Tanh()))


def cross_entropy_example(dtype: Any = np.float32) -> tuple[tg.Value, tg.Value, tg.Value]:
    """The slide's CrossEntropyLoss: logits [0.0580, 0.4275], target class 0 → 0.8949.
    Returns (y_pred, y, loss)."""
    y_pred = tg.tensor(CROSS_ENTROPY_LOGITS, dtype=dtype)
    y = tg.tensor(CROSS_ENTROPY_TARGET)
    return y_pred, y, nn.CrossEntropyLoss()(y_pred, y)


def layer_state_dicts(model: nn.Module) -> list[str]:
    """``print(layer.state_dict())`` for every layer, as the SGD slide does, one string per layer."""
    return [nn.format_state_dict(layer.state_dict()) for layer in model.children()]


def sgd_step(network: SlideNetwork, lr: float = LEARNING_RATE) -> None:
    """``loss.backward()`` then one step of gradient descent by hand: p ← p − lr · ∂loss/∂p.

    The update runs under ``no_grad``: changing a parameter is not part of the
    computation the next backward should differentiate.
    """
    network.loss.backward()
    with tg.no_grad():
        for parameter in network.model.parameters():
            parameter.data -= lr * parameter.grad
