"""Derivatives of derivatives on the deck's own examples: the slide network's Hessian, and Newton's method.

The gradient says which way is downhill; the second derivative says how fast the slope
changes, which is what decides how large a step may be. Both computed here come from
``autograd`` with ``create_graph=True``: the gradient is itself a Value with a graph, and
differentiating it again gives the curvature.

- ``slide_hessian``: the Hessian of the slide network's loss with respect to one layer's
  weights (``autograd.functional.hessian``), and its eigenvalues. The network has no
  activation between its two Linear layers, so z is linear in either weight matrix and the
  Hessian is ŷ(1 − ŷ)·ggᵀ with g = ∂z/∂W: one direction of curvature, of size ŷ(1 − ŷ)·‖g‖².
- ``newton``: x ← x − f'(x)/f''(x) on a function of one number, both derivatives by autograd:
  gradient descent whose learning rate is 1/f''(x), the local curvature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import Value, nn
from ..autograd import functional, grad
from .mlp import slide_network

SLIDE_LAYER = "0.weight"  # the hidden layer's weights: 4 numbers, a 4 × 4 Hessian


@dataclass
class SlideHessian:
    """The slide network's loss L, ∂L/∂W and ∂²L/∂W² (flattened to W.size × W.size, W's elements in
    row-major order) for one weight matrix W, in float64, with the Hessian's eigenvalues (ascending)
    and, for the check, ŷ(1 − ŷ)·‖∂z/∂W‖²."""

    layer: str
    loss: float
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    curvature_along_z: float


def slide_loss_of_weight(layer: str = SLIDE_LAYER) -> tuple[Callable[[Value], Value], Value]:
    """The slide network's loss as a function of one of its weight matrices (the others, x and y held
    at the slide's values), and that matrix's value, in float64."""
    network = slide_network(np.float64)
    model = network.model
    index = {"0.weight": 0, "1.weight": 1}[layer]

    def loss(weight: Value) -> Value:
        h = nn.functional.linear(network.x, weight, model[0].bias) if index == 0 else model[0](network.x)
        z = nn.functional.linear(h, weight, model[1].bias) if index == 1 else model[1](h)
        return nn.BCELoss()(model[2](z), network.target)

    return loss, dict(model.named_parameters())[layer].detach()


def slide_hessian(layer: str = SLIDE_LAYER) -> SlideHessian:
    """The Hessian of the slide network's loss with respect to ``layer`` ("0.weight" or "1.weight")."""
    loss, weight = slide_loss_of_weight(layer)
    point = Value(weight.data, requires_grad=True)
    value = loss(point)
    (gradient,) = grad(value, point)
    hessian = functional.hessian(loss, weight).data.reshape(weight.numel(), weight.numel())
    # The check: z is linear in W, so H = ŷ(1 − ŷ)·ggᵀ with g = ∂z/∂W, whose one nonzero eigenvalue is ŷ(1 − ŷ)·‖g‖².
    network = slide_network(np.float64)
    y_hat = network.y_hat.item()
    z = network.y_hat.grad_fn.parents[0]
    (dz_dw,) = grad(z.sum(), dict(network.model.named_parameters())[layer])
    return SlideHessian(layer, value.item(), gradient.data, hessian, np.linalg.eigvalsh(hessian),
                        y_hat * (1 - y_hat) * float(np.sum(dz_dw.data ** 2)))


@dataclass
class NewtonStep:
    """One step of Newton's method: at x, f(x), f'(x) and f''(x); the next x is x − f'(x)/f''(x)."""

    x: float
    value: float
    slope: float
    curvature: float

    @property
    def next_x(self) -> float:
        return self.x - self.slope / self.curvature


def newton(objective: Callable[[Value], Value], start: float, steps: int) -> list[NewtonStep]:
    """``steps`` steps of Newton's method from ``start``, f' and f'' by autograd in float64."""
    rows, x = [], start
    for _ in range(steps):
        point = Value(x, dtype=np.float64, requires_grad=True)
        value = objective(point)
        (slope,) = grad(value, point, create_graph=True)  # f'(x), a Value with a graph: differentiable
        (curvature,) = grad(slope, point)  # f''(x)
        rows.append(NewtonStep(x, value.item(), slope.item(), curvature.item()))
        x = rows[-1].next_x
    return rows
