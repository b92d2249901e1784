"""Newton's method: the gradient divided by the curvature, in every direction at once.

Gradient descent steps η·g whatever the curvature, so one η must suit the steepest direction
and then crawls along the flattest (lecture/curvature.py). Newton's step H⁻¹g divides each
direction's slope by its own curvature: on a quadratic it lands on the minimum in one step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..arguments import check_nonnegative
from ..grad_mode import enable_grad
from ..value import Value
from .optimizer import Optimizer, Params


class Newton(Optimizer):
    """Newton's method, with ``step(closure)`` as ``torch.optim.LBFGS`` takes it. Each step, with g the
    gradient and H the Hessian of the loss over every parameter at once (all of them flattened
    into one vector of n numbers, so H is n × n and couples the parameters), damping λ and lr η::

        solve (H + λ·I)·d = g
        p ← p − η·d

    With η = 1 and λ = 0, one step lands on the minimum of a quadratic whatever its condition
    number, and near a minimum of a smooth function the number of correct digits doubles at
    every step. Plain Newton goes to any point where g = 0, a maximum or a saddle as readily as
    a minimum: where H has an eigenvalue below 0 its step goes uphill. Damping λ larger than
    −(the smallest eigenvalue) makes H + λ·I positive definite, so the step goes downhill (a
    large λ turns it into gradient descent with η/λ); λ > 0 also makes a singular H solvable.

    Nobody trains a network with it. With n = 10⁶ parameters H has 10¹² entries (4 TB in
    float32); it takes n backward passes to compute (one a row, as here) and about n³/3 = 3·10¹⁷
    operations to solve, every step. Far from a minimum a network's H has negative eigenvalues
    (saddle points), where the plain step goes the wrong way, and a mini-batch's H is noisy.
    Practice keeps the idea and drops the matrix: L-BFGS (``torch.optim.LBFGS``) builds an
    approximation of H⁻¹ from recent gradients, Hessian-free optimization solves for d with
    conjugate gradients and Hessian-vector products (``autograd.functional.hvp``), K-FAC and
    Shampoo keep block-diagonal approximations, and Adam's division by √v is a diagonal
    rescaling in the same spirit.

    ``step(closure)`` needs the closure: it recomputes the loss and returns it (it may call
    ``backward()`` too, as LBFGS's does). The loss is differentiated with ``autograd.grad``, once
    with ``create_graph=True`` for g, then each entry of g once more for a row of H. One parameter
    group only, as LBFGS. No state.
    """

    _OPTIONS = {"lr": check_nonnegative, "damping": check_nonnegative}

    def __init__(self, params: Params, lr: float = 1.0, damping: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "damping": damping})

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:  # H couples every parameter: one lr and one damping for all
            raise ValueError("Newton doesn't support per-parameter options (parameter groups): the Hessian couples "
                             "every parameter, so give them all in one list")
        super().add_param_group(param_group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Call ``closure`` for the loss, take one Newton step from its gradient and Hessian; return the loss.

        Everything is computed and checked before any parameter changes: a closure that returns
        no loss, a gradient or Hessian that is not finite, or a singular H + λI raises and leaves
        the parameters as they were.
        """
        if closure is None:
            raise RuntimeError("Newton.step: Newton's method needs the loss itself, to differentiate it twice: "
                               "pass a closure that recomputes the loss and returns it, optimizer.step(closure)")
        with enable_grad():
            loss = closure()
        group = self.param_groups[0]
        params = group["params"]
        gradient, hessian = gradient_and_hessian(loss, params)
        direction = newton_direction(hessian, gradient, group["damping"])
        start = 0
        for p in params:
            p.data -= (group["lr"] * direction[start:start + p.data.size]).reshape(p.data.shape).astype(p.dtype)
            p._version += 1
            start += p.data.size
        return loss


def gradient_and_hessian(loss: Any, params: list[Value]) -> tuple[np.ndarray, np.ndarray]:
    """g and H of ``loss`` over ``params`` flattened into one vector, as float64 arrays (n and n × n)."""
    from .. import autograd  # the engine's second derivatives, loaded when a step needs them

    if not isinstance(loss, Value) or loss.data.size != 1:
        got = f"a Value of shape {loss.shape}" if isinstance(loss, Value) else type(loss).__name__
        raise ValueError(f"Newton.step: the closure must return the loss, a Value with one element, got {got}")
    gradients = autograd.grad(loss, params, create_graph=True, allow_unused=True)
    gradient = flatten(gradients, params)
    rows = []
    for g, p in zip(gradients, params, strict=True):
        for index in range(p.data.size):
            if g is None or not g.requires_grad:  # the loss is linear in p (or does not use it): a row of 0s
                rows.append(np.zeros(gradient.size))
                continue
            rows.append(flatten(autograd.grad(g.reshape(-1)[index], params, allow_unused=True), params))
    hessian = np.array(rows)
    if not (np.all(np.isfinite(loss.data)) and np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))):
        raise ValueError(f"Newton.step: the loss ({loss.item():.6g}), its gradient or its Hessian is not finite at "
                         "these parameters (an overflow, or a point outside the loss's domain or where it is not "
                         "twice differentiable)")
    return gradient, hessian


def flatten(gradients: tuple, params: list[Value]) -> np.ndarray:
    """Gradients, one per parameter (None: 0s), as one float64 vector in the parameters' order."""
    return np.concatenate([np.zeros(p.data.size) if g is None else np.asarray(g.data, dtype=np.float64).reshape(-1)
                           for g, p in zip(gradients, params, strict=True)])


def newton_direction(hessian: np.ndarray, gradient: np.ndarray, damping: float) -> np.ndarray:
    """d with (H + λI)·d = g; ValueError naming damping as the fix when H + λI is singular."""
    system = hessian + damping * np.eye(len(gradient))
    # Singular to working precision: its condition number is beyond 1/ε, so d would be rounding noise.
    if np.linalg.cond(system) < 1 / np.finfo(np.float64).eps:
        return np.linalg.solve(system, gradient)
    eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
    shown = ", ".join(f"{value:.3g}" for value in eigenvalues[:6]) + (", …" if eigenvalues.size > 6 else "")
    if damping == 0:
        raise ValueError(f"Newton.step: the Hessian is singular (eigenvalues {shown}: the loss is flat in some "
                         f"direction{unused_entries(hessian, gradient)}), so H·d = g has no unique solution; give "
                         f"damping > 0, Newton(params, damping=1e-3), to solve (H + damping·I)·d = g instead")
    raise ValueError(f"Newton.step: H + damping·I is singular with damping = {damping:g} (the Hessian's eigenvalues "
                     f"are {shown}: damping cancels one); choose another damping")


def unused_entries(hessian: np.ndarray, gradient: np.ndarray) -> str:
    """Which entries of the flattened parameters the loss does not change with here (their gradient and row of H
    are 0), as words for the singular-Hessian error: often an entry the loss never reads."""
    idle = np.flatnonzero(~hessian.any(axis=1) & (gradient == 0))
    if idle.size == 0:
        return ""
    entries = ", ".join(str(i) for i in idle[:6]) + (", …" if idle.size > 6 else "")
    return (f"; it does not change with entr{'y' if idle.size == 1 else 'ies'} {entries} of the parameters "
            "flattened, whose gradient and row of H are 0: an entry the loss does not use, such as a start point "
            "with more numbers than the loss reads?")
