"""Optimizers: the update rules of the slides, and PyTorch's SGD beside them.

An optimizer holds parameters (leaf Values) and, after ``loss.backward()``,
moves each one against its gradient ``p.grad``. It sees only Values and their
``.grad`` arrays, so a gradient set by hand (``p.grad = 4*x**3 + ...``) drives
it exactly as one from autograd does.

The contract is PyTorch's: ``param_groups`` is a list of dicts (so
``opt.param_groups[0]['lr'] = 0.01`` changes the rate mid-training), ``state``
is a dict keyed by parameter, ``zero_grad()`` sets grads to None, and
``step(closure)`` returns the closure's loss. Updates write the numbers of
``p.data`` in place, outside the graph, and never write into ``p.grad``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .autograd import enable_grad
from .value import Value

Params = Iterable[Value] | Iterable[dict]


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``step``, state dicts.

    A subclass checks its hyperparameters in ``_check`` and writes the rule for
    one parameter in ``_update(p, grad, group, state)``.
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Value):
            # A Value is iterable (over its rows), so it would silently become many parameters.
            raise TypeError(f"{name}: params must be an iterable of Values or dicts, got a single Value; "
                            "wrap it in a list: [x]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = dict(defaults)
        self.state: dict[Value, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({settings})"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones come from the defaults)."""
        name = type(self).__name__
        params = param_group["params"]
        params = [params] if isinstance(params, Value) else list(params)
        if not params:
            raise ValueError(f"{name}: got an empty parameter group")
        for p in params:
            _check_parameter(name, p)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) < len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{name}: a parameter appears more than once; each may be optimized once")
        group = {**self.defaults, **param_group, "params": params}
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group: dict[str, Any]) -> None:
        """Raise ValueError for hyperparameters the rule cannot use (before anything changes)."""
        if not group["lr"] >= 0.0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate lr={group['lr']}; it must be >= 0")

    def _check_momentum(self, group: dict[str, Any]) -> None:
        if not 0.0 <= group["momentum"] < 1.0:
            raise ValueError(f"{type(self).__name__}: invalid momentum={group['momentum']}; it must be in [0, 1)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients, so the next ``backward()`` does not add to them."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None if set_to_none else np.zeros_like(p.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss (or None).

        The closure re-evaluates the model: it zeroes the grads, computes the
        loss, calls ``backward()`` and returns the loss.
        """
        loss = None
        if closure is not None:
            with enable_grad():  # the closure calls backward(), even if step runs under no_grad
                loss = closure()
        self._update_all()
        return loss

    def _update_all(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:  # a parameter the loss did not reach keeps its value
                    continue
                state = self.state.get(p, {})
                self._update(p, p.grad, group, state)
                if state:  # rules without state (GD) leave ``state`` empty, as PyTorch's do
                    self.state[p] = state

    def _update(self, p: Value, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update(p, grad, group, state)")

    # ------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, Any]:
        """The optimizer as plain data, in PyTorch's layout: parameters become their index.

        ``{'state': {index: {...}}, 'param_groups': [{'lr': ..., 'params': [indices]}]}``.
        Arrays are copied, so later steps do not change a saved state dict.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                indices.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": indices})
        state = {index[id(p)]: copy.deepcopy(values) for p, values in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: hyperparameters and state, matched to parameters by position."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {number} has {len(saved['params'])} "
                                 f"parameters in the state dict and {len(group['params'])} here")
        by_index = {i: p for saved, group in zip(saved_groups, self.param_groups, strict=True)
                    for i, p in zip(saved["params"], group["params"], strict=True)}
        unknown = sorted(set(state_dict["state"]) - set(by_index))
        if unknown:
            raise ValueError(f"{name}.load_state_dict: state for parameter indices {unknown}, "
                             "which no parameter group lists")
        new_groups = [{**copy.deepcopy({k: v for k, v in saved.items() if k != "params"}), "params": group["params"]}
                      for saved, group in zip(saved_groups, self.param_groups, strict=True)]
        for group in new_groups:
            self._check(group)
        self.state = {by_index[i]: _cast_state(values, by_index[i]) for i, values in state_dict["state"].items()}
        self.param_groups = new_groups


def _check_parameter(optimizer: str, p: Any) -> None:
    """Only leaf Values that require grad can be optimized (PyTorch's rule)."""
    if not isinstance(p, Value):
        raise TypeError(f"{optimizer}: parameters must be Values, got {type(p).__name__}")
    if not p.requires_grad:
        raise ValueError(f"{optimizer}: a parameter of shape {p.shape} does not require grad, so it never gets "
                         "a gradient; create it with requires_grad=True (or leave it out)")
    if not p.is_leaf:
        raise ValueError(f"{optimizer}: cannot optimize a non-leaf Value (made by {p.grad_fn.name}); "
                         "optimize the leaves it was computed from")


def _like(p: Value, array: Any) -> np.ndarray:
    """An array in ``p``'s dtype and shape (arithmetic on 0-d arrays returns numpy scalars)."""
    return np.asarray(array, dtype=p.dtype)


def _cast_state(values: dict[str, Any], p: Value) -> dict[str, Any]:
    """Copies of saved state arrays in the parameter's dtype (so float32 stays float32)."""
    return {key: np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) else copy.deepcopy(v)
            for key, v in values.items()}


class GD(Optimizer):
    r"""Gradient descent, the slides' first rule.

    .. math::
        p_{t} = p_{t-1} - \eta\, g_t, \qquad g_t = \nabla f(p_{t-1})

    Equals ``Momentum`` with momentum 0 and ``SGD(params, lr)`` (momentum 0):
    the same iterates, bit for bit.
    """

    def __init__(self, params: Params, lr: float) -> None:
        super().__init__(params, {"lr": lr})

    def _update(self, p, grad, group, state):
        p.data -= group["lr"] * grad


class Momentum(Optimizer):
    r"""Gradient descent with momentum, as the slides write it (state ``'velocity'``).

    .. math::
        v_t = \gamma\, v_{t-1} + \eta\, g_t, \qquad p_t = p_{t-1} - v_t, \qquad v_0 = 0

    Equals PyTorch's ``SGD(params, lr=η, momentum=γ)`` while η is constant: that
    keeps b_t = γ b_{t-1} + g_t and steps p_t = p_{t-1} − η b_t, so v_t = η b_t.
    (The two round differently, so they agree to rounding error, not bit for bit.)
    """

    def __init__(self, params: Params, lr: float, momentum: float) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def _check(self, group):
        super()._check(group)
        self._check_momentum(group)

    def _update(self, p, grad, group, state):
        velocity = state.get("velocity", np.zeros_like(p.data))
        state["velocity"] = _like(p, group["momentum"] * velocity + group["lr"] * grad)
        p.data -= state["velocity"]


class Nesterov(Optimizer):
    r"""Nesterov momentum, as the slides write it: the gradient is taken at the look-ahead point.

    .. math::
        v_t = \gamma\, v_{t-1} - \eta\, \nabla f(p_{t-1} + \gamma v_{t-1}), \qquad
        p_t = p_{t-1} + v_t, \qquad v_0 = 0

    ``step(closure)`` moves every parameter to its look-ahead point p + γv,
    calls the closure there (it computes the loss and its gradient), moves the
    parameters back and then updates them. State: ``'velocity'``.

    Equals PyTorch's ``SGD(params, lr=η, momentum=γ, nesterov=True)``, which
    keeps the look-ahead point itself: its iterate is this rule's p_t + γ v_t at
    every step, so it needs no closure.
    """

    def __init__(self, params: Params, lr: float, momentum: float) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def _check(self, group):
        super()._check(group)
        self._check_momentum(group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Evaluate ``closure`` at the look-ahead points p + γv, then update; return its loss."""
        if closure is None:
            raise RuntimeError("Nesterov.step: the gradient must be taken at the look-ahead point p + γv, "
                               "so step needs a closure that computes the loss there and calls backward(): "
                               "optimizer.step(closure)")
        saved = []
        for group in self.param_groups:
            for p in group["params"]:
                saved.append((p, p.data.copy()))  # restored exactly, not by subtracting γv again
                p.data += group["momentum"] * self.state.get(p, {}).get("velocity", 0.0)
        try:
            with enable_grad():
                loss = closure()
        finally:
            for p, data in saved:
                p.data[...] = data
        self._update_all()
        return loss

    def _update(self, p, grad, group, state):
        velocity = state.get("velocity", np.zeros_like(p.data))
        state["velocity"] = _like(p, group["momentum"] * velocity - group["lr"] * grad)
        p.data += state["velocity"]


class SGD(Optimizer):
    r"""Stochastic gradient descent with PyTorch's rules, exactly (``torch.optim.SGD``).

    .. math::
        \begin{aligned}
        g_t &= \nabla f(p_{t-1}) + \lambda\, p_{t-1} && \text{(weight decay } \lambda) \\
        b_t &= g_t \text{ if } t = 1, \text{ else } \mu\, b_{t-1} + (1 - \tau)\, g_t
            && \text{(momentum } \mu, \text{ dampening } \tau) \\
        g_t &\leftarrow g_t + \mu\, b_t \text{ if nesterov, else } b_t  && \text{(only when } \mu \ne 0) \\
        p_t &= p_{t-1} - \eta\, g_t
        \end{aligned}

    The first momentum buffer is the raw gradient (dampening applies from the
    second step on). State: ``'momentum_buffer'``, only when μ ≠ 0.

    With μ = 0 it is ``GD``; with μ = γ it is the slides' ``Momentum`` (v = η b);
    with ``nesterov=True`` its iterate is the slides' ``Nesterov`` look-ahead
    point p + γv. Nesterov needs μ > 0 and τ = 0.
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "nesterov": nesterov, "weight_decay": weight_decay})

    def _check(self, group):
        super()._check(group)
        self._check_momentum(group)
        if not group["weight_decay"] >= 0.0:
            raise ValueError(f"SGD: invalid weight_decay={group['weight_decay']}; it must be >= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p, grad, group, state):
        momentum = group["momentum"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p.data  # a new array: p.grad stays as backward left it
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = np.array(grad, dtype=p.dtype)  # a copy: the buffer must not share p.grad
            else:
                # In place, as PyTorch's buf.mul_(μ).add_(g, alpha=1 − τ): the same numbers
                # without three new arrays per parameter per step.
                buffer *= momentum
                buffer += grad if group["dampening"] == 0 else (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buffer
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        p.data -= group["lr"] * grad
