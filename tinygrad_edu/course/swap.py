"""The swap helper: how a student's code takes the engine's place, in the child that grades it.

The whole mechanism is ``swapped(owner, name, replacement)``: a context
manager that sets ``owner.name = replacement`` and puts the original back in
``finally``. It works because the engine looks these names up when it runs,
not when it is imported:

* ``Value.__mul__`` calls ``ops.Mul()``, and every op calls the module-level
  ``ops.unbroadcast``, so swapping ``ops.Mul`` or ``ops.unbroadcast`` reaches them;
* ``Value.backward`` calls ``autograd.backward``, which calls
  ``autograd.topological_order``;
* ``nn.BCELoss`` builds ``ops.BinaryCrossEntropy``, ``nn.CrossEntropyLoss``
  calls ``nn.functional.cross_entropy``, and ``lecture.descent`` and a student's
  training code build ``optim.GD``, ``optim.Momentum``, ``optim.Nesterov`` and
  ``optim.SGD`` by those names.

Swaps happen only in the child process that runs the student's code (see
child.py); the grader's engine is never touched, and the installed files are
never edited. What goes in is wrapped by ``contract.py``, so that the arrays
the student's code receives are read-only copies.

Tasks of Part 4 are functions of numpy arrays; the adapters below wrap them
in the optimizer classes, whose bookkeeping (parameter groups, state) stays the
reference's. An adapter's ``_update`` writes the new numbers into ``p.data``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import autograd, ops, optim
from ..nn import functional
from ..value import Value
from .contract import checked_function, checked_operation, frozen

Plug = tuple[Any, str, Any]  # (owner, attribute name, replacement)

__all__ = ["OPERATION_TASKS", "everywhere", "plugged", "plugs_for", "reference_for", "swapped"]

OPERATION_TASKS = ("Mul", "Div", "Pow", "Exp", "Log", "Sigmoid", "Tanh", "Relu", "MatMul", "Sum", "Mean",
                   "BinaryCrossEntropy")


@contextlib.contextmanager
def swapped(owner: Any, name: str, replacement: Any) -> Iterator[Any]:
    """``owner.name = replacement`` inside the block, the original again after it (also on error)."""
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield original
    finally:
        setattr(owner, name, original)


def everywhere(owner: Any, name: str, replacement: Any) -> list[Plug]:
    """``(owner, name, replacement)`` and the same for every other name the engine holds the original
    under: a package re-exports its modules' functions (``autograd.topological_order`` is
    ``autograd.reverse_mode.topological_order``, which the walk calls), a module imports another's by
    name (``viz.trace`` holds ``backward_steps``). Found by identity among tinygrad_edu's loaded modules."""
    original = getattr(owner, name)
    plugs = [(owner, name, replacement)]
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] != "tinygrad_edu" or module_name.startswith("tinygrad_edu.course"):
            continue
        plugs += [(module, alias, replacement) for alias, value in list(vars(module).items())
                  if value is original and (module, alias) != (owner, name)]
    return plugs


@contextlib.contextmanager
def plugged(plugs: list[Plug]) -> Iterator[None]:
    """Every swap of ``plugs`` at once, undone in reverse order."""
    with contextlib.ExitStack() as stack:
        for owner, name, replacement in plugs:
            stack.enter_context(swapped(owner, name, replacement))
        yield


def reference_for(symbol: str) -> Callable | None:
    """What a workspace function stands for in the engine, looked up now (None for a class or a
    Part 4/5 function): another task of the same file may call it, and then gets this one."""
    if symbol == "unbroadcast":
        return ops.unbroadcast
    if symbol == "topological_order":
        return autograd.topological_order
    if symbol == "log_softmax":
        return lambda x, axis=-1: x.log_softmax(axis)
    if symbol == "cross_entropy":
        reference = functional.cross_entropy
        return lambda logits, target: reference(logits, np.asarray(target))
    return None


# ---------------------------------------------------------------- Parts 2 and 3: functions of Values

def order_adapter(student: Callable) -> Callable:
    """``autograd.topological_order`` through the student's ``topological_order(root)``.

    The engine asks for every Value (constants too) only to name and draw
    nodes; then it gets the student's order as well, which names fewer nodes
    and changes no number.
    """
    def topological_order(root, every_value=False):
        return list(student(root))
    return topological_order


def cross_entropy_adapter(student: Callable, fallback: Callable) -> Callable:
    """``functional.cross_entropy`` with the student's function for what it is asked to do
    (class indices, mean, no weights), and ``fallback`` for everything else."""
    def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean"):
        indices = np.asarray(target.data if isinstance(target, Value) else target)
        asked = weight is None and reduction == "mean" and indices.dtype.kind in "iu"
        if not asked or (indices == ignore_index).any():
            return fallback(input, target, weight, ignore_index, reduction)
        return student(input, frozen(indices))
    return cross_entropy


def log_softmax_adapter(student: Callable) -> Callable:
    """``Value.log_softmax`` through the student's function of Values."""
    def log_softmax(self, axis=-1, *, dim=None):
        return student(self, axis if dim is None else dim)
    return log_softmax


# ---------------------------------------------------------------- Part 4: update rules in the optimizers

def updated(p: Value, data: Any) -> np.ndarray:
    """Write ``data`` into ``p.data`` and return it."""
    p.data[...] = data
    return p.data


def gd_adapter(step: Callable) -> type:
    """``optim.GD`` whose update is the student's ``gd_step``."""
    class GD(optim.GD):
        def _update(self, p, grad, group, state):
            return updated(p, step(p.data, grad, group["lr"]))
    return GD


def momentum_adapter(step: Callable) -> type:
    """``optim.Momentum`` whose update is the student's ``momentum_step`` (state 'velocity')."""
    class Momentum(optim.Momentum):
        def _update(self, p, grad, group, state):
            velocity = state.get("velocity", np.zeros_like(p.data))
            x, velocity = step(p.data, velocity, grad, group["lr"], group["momentum"])
            state["velocity"] = np.asarray(velocity, dtype=p.dtype)
            return updated(p, x)
    return Momentum


def nesterov_adapter(step: Callable) -> type:
    """``optim.Nesterov`` whose step is the student's ``nesterov_step``.

    ``gradient_at(point)`` moves the parameter to ``point``, evaluates the
    closure there and moves it back; the other parameters stay where they are,
    so this adapter is exact for one parameter (the slides' x), which is what
    the checks use it for.
    """
    class Nesterov(optim.Nesterov):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state.setdefault(p, {})
                    velocity = state.get("velocity", np.zeros_like(p.data))
                    x, velocity = step(p.data, velocity, gradient_at(p, closure), group["lr"], group["momentum"])
                    state["velocity"] = np.asarray(velocity, dtype=p.dtype)
                    p.data[...] = x
    return Nesterov


def gradient_at(p: Value, closure: Callable) -> Callable[[np.ndarray], np.ndarray]:
    """A function point ↦ ∇f(point) for parameter ``p``, evaluated by ``closure``."""
    def gradient(point):
        saved = p.data.copy()
        p.data[...] = point
        try:
            with autograd.enable_grad():
                closure()
            return p.grad.copy()
        finally:
            p.data[...] = saved
    return gradient


def sgd_adapter(gd_step: Callable | None, momentum_step: Callable | None, nesterov_step: Callable | None) -> type:
    """``optim.SGD`` with the student's steps where given (no weight decay, no dampening), else the reference's."""
    class SGD(optim.SGD):
        def _update(self, p, grad, group, state):
            if group["weight_decay"] or group["dampening"]:
                return super()._update(p, grad, group, state)
            if group["momentum"] == 0:
                if gd_step is None:
                    return super()._update(p, grad, group, state)
                return updated(p, gd_step(p.data, grad, group["lr"]))
            step = nesterov_step if group["nesterov"] else momentum_step
            if step is None:
                return super()._update(p, grad, group, state)
            x, buffer = step(p.data, grad, state.get("momentum_buffer"), group["lr"], group["momentum"])
            state["momentum_buffer"] = np.array(buffer, dtype=p.dtype)
            return updated(p, x)
    return SGD


# ---------------------------------------------------------------- where each symbol goes

STEPS = ("gd_step", "momentum_step", "nesterov_step", "sgd_momentum_step", "sgd_nesterov_step")


def plugs_for(symbols: dict[str, Any]) -> list[Plug]:
    """Where each of the student's symbols (workspace name → object) goes in the engine, wrapped so
    that it keeps its contract (contract.py)."""
    symbols = dict(symbols)
    for name in STEPS + ("unbroadcast", "backward"):
        if name in symbols:
            symbols[name] = checked_function(symbols[name], name)
    plugs: list[Plug] = []
    for name in OPERATION_TASKS:
        if name in symbols:
            plugs += everywhere(ops, name, checked_operation(symbols[name], name))
    if "unbroadcast" in symbols:
        plugs += everywhere(ops, "unbroadcast", symbols["unbroadcast"])
    if "topological_order" in symbols:
        plugs += everywhere(autograd, "topological_order", order_adapter(symbols["topological_order"]))
    if "backward" in symbols:
        plugs += everywhere(autograd, "backward", symbols["backward"])
    if "log_softmax" in symbols:
        plugs.append((Value, "log_softmax", log_softmax_adapter(symbols["log_softmax"])))
    if "cross_entropy" in symbols:
        adapter = cross_entropy_adapter(symbols["cross_entropy"], functional.cross_entropy)
        plugs += everywhere(functional, "cross_entropy", adapter)
    for name, make, cls in (("gd_step", gd_adapter, "GD"), ("momentum_step", momentum_adapter, "Momentum"),
                            ("nesterov_step", nesterov_adapter, "Nesterov")):
        if name in symbols:
            plugs += everywhere(optim, cls, make(symbols[name]))
    sgd_steps = [symbols.get(name) for name in ("gd_step", "sgd_momentum_step", "sgd_nesterov_step")]
    if any(step is not None for step in sgd_steps):
        plugs += everywhere(optim, "SGD", sgd_adapter(*sgd_steps))
    return plugs
