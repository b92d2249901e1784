"""Optimizers: the update rules of the slides, and PyTorch's SGD, Adagrad, RMSprop, Adam and AdamW.

An optimizer holds parameters (leaf Values) and, after ``loss.backward()``,
moves each one against its gradient ``p.grad``. It sees only Values and their
``.grad`` arrays, so a gradient set by hand (``p.grad = 4*x**3 + ...``) drives
it exactly as one from autograd does.

The contract is PyTorch's: ``param_groups`` is a list of dicts (so
``opt.param_groups[0]['lr'] = 0.01`` changes the rate mid-training), ``state``
is a dict keyed by parameter, ``zero_grad()`` sets grads to None, and
``step(closure)`` returns the closure's loss. A parameter whose grad is None
is skipped: no weight decay, no momentum, no state.

A step is all or nothing: every parameter's grad and state arrays are checked
against the parameter's shape first, and only then does each rule update
``p.data`` and its state in place, as PyTorch's ``mul_``/``add_`` do (outside the
graph, bumping ``p._version``); ``p.grad`` is never written. ``load_state_dict``
checks the whole dict before it changes anything.

State dicts have PyTorch's layout and state names (``step``, ``exp_avg``,
``momentum_buffer``, ...). Ours loads into torch's optimizer once its arrays
become tensors (torch fills in its own implementation flags); torch's loads
into ours once its tensors become arrays and its groups keep only our options.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .autograd import enable_grad
from .value import Value

Params = Iterable[Value] | Iterable[dict]


# ---------------------------------------------------------------- checking options


def _real(optimizer: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer}: {key} must be a real number, got {type(value).__name__} {value!r}")
    return value


def _nonnegative(optimizer: str, key: str, value: Any) -> None:
    """A finite number >= 0 (a rate, a weight decay, an epsilon)."""
    if not (math.isfinite(_real(optimizer, key, value)) and value >= 0):
        raise ValueError(f"{optimizer}: invalid {key}={value}; it must be a finite number >= 0")


def _fraction(optimizer: str, key: str, value: Any) -> None:
    """A number in [0, 1): a decay factor below 1 forgets the past geometrically."""
    if not 0.0 <= _real(optimizer, key, value) < 1.0:
        raise ValueError(f"{optimizer}: invalid {key}={value}; it must be in [0, 1)")


def _flag(optimizer: str, key: str, value: Any) -> None:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{optimizer}: {key} must be True or False, got {type(value).__name__} {value!r}")


def _betas(optimizer: str, key: str, value: Any) -> None:
    """Two decay factors (β₁, β₂), each in [0, 1)."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{optimizer}: {key} must be a pair (beta1, beta2), got {value!r}")
    for index, beta in enumerate(value):
        _fraction(optimizer, f"{key}[{index}]", beta)


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


# ---------------------------------------------------------------- the base class


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``step``, state dicts.

    A subclass names its options and how to check each in ``_OPTIONS``, the
    state a parameter gets under a group's options in ``_state_names``, and
    writes the rule for one parameter in ``_update(p, grad, group, state)``:
    it updates ``p.data`` and the arrays in ``state`` in place (their shapes are
    checked before any rule runs), and never writes into ``grad``.
    """

    _OPTIONS: dict[str, Callable[[str, str, Any], None]] = {"lr": _nonnegative}
    _STATE_NAMES: frozenset[str] = frozenset()  # every state name the rule may keep

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self._check(defaults)
        if isinstance(params, Value):
            # A Value is iterable (over its rows), so it would silently become many parameters.
            raise TypeError(f"{name}: params must be an iterable of Values or dicts, got a single Value; "
                            "wrap it in a list: [x]")
        groups = list(_ordered(name, "params", params))
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list (params=[])")
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
        """Add a group of parameters with its own options (missing ones come from the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict with 'params', got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a param_group needs 'params' (the Values to optimize), "
                             f"got keys {sorted(param_group)}")
        unknown = sorted(set(param_group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(f"{name}: unknown option {unknown[0]!r} in param_group; "
                             f"the options are {sorted(self.defaults)}")
        params = param_group["params"]
        params = [params] if isinstance(params, Value) else list(_ordered(name, "param_group['params']", params))
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
        """Raise for options the rule cannot use (TypeError for a wrong type, ValueError for a wrong value)."""
        for key, check in self._OPTIONS.items():
            if key in group:  # a subclass may drop an option (a rule without a learning rate)
                check(type(self).__name__, key, group[key])

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        """The state a parameter of ``group`` holds once it has taken a step."""
        return set()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients, so the next ``backward()`` does not add to them.

        ``set_to_none=False`` zeroes the existing grads in place and leaves a None
        grad None, as PyTorch does: a parameter the loss never reached stays skipped.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0

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
        # Check everything first, then update in place: a grad or a state array that no longer
        # fits its parameter raises before any parameter changes, and the update itself (numpy's
        # in-place arithmetic on arrays of matching shapes) cannot fail half-way. In place, as
        # PyTorch's mul_/add_: new arrays for every parameter and buffer cost the iris step 6 µs
        # and the mnist step 250 µs; the checks cost it about 1 µs (benchmarks/README.md).
        todo = []
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue  # a parameter the loss did not reach keeps its value and its state
                state = self.state.get(p, {})
                misfit = _misfit(p, grad, state)
                if misfit is not None:
                    raise ValueError(f"{type(self).__name__}.step: {misfit}")
                todo.append((p, grad, group, state))
        for p, grad, group, state in todo:
            self._update(p, grad, group, state)
            p._version += 1
            if state:  # rules without state (GD) leave ``state`` empty, as PyTorch's do
                self.state[p] = state

    def _update(self, p: Value, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Update ``p.data`` and ``state``'s arrays in place (shapes already checked)."""
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
        """Restore a ``state_dict()``: options and state, matched to parameters by position.

        Everything is checked first (groups, options, every state entry's names,
        each array's shape and type against its parameter); a bad dict raises
        naming the key and leaves the optimizer as it was.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{where}: state_dict must be a dict, got {type(state_dict).__name__}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise ValueError(f"{where}: state_dict has no {key!r}; pass what optimizer.state_dict() returns")
        groups, by_index = self._loaded_groups(where, state_dict["param_groups"])
        state = self._loaded_state(where, state_dict["state"], by_index)
        self.param_groups, self.state = groups, state

    def _loaded_groups(self, where: str, saved_groups: Any) -> tuple[list[dict], dict[Any, tuple[Value, dict]]]:
        """New groups (saved options, our parameters) and saved index → (parameter, group)."""
        if not isinstance(saved_groups, list | tuple) or not all(isinstance(g, dict) for g in saved_groups):
            raise TypeError(f"{where}: 'param_groups' must be a list of dicts")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{where}: the state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        groups, by_index = [], {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            indices = saved.get("params")
            if not isinstance(indices, list | tuple):
                raise TypeError(f"{where}: param_groups[{number}]['params'] must be a list of parameter indices")
            if len(indices) != len(group["params"]):
                raise ValueError(f"{where}: parameter group {number} has {len(indices)} "
                                 f"parameters in the state dict and {len(group['params'])} here")
            options = {k: v for k, v in saved.items() if k != "params"}
            missing, unknown = sorted(set(self.defaults) - set(options)), sorted(set(options) - set(self.defaults))
            if missing or unknown:
                problem = f"is missing option {missing[0]!r}" if missing else f"has unknown option {unknown[0]!r}"
                raise ValueError(f"{where}: param_groups[{number}] {problem}; "
                                 f"{type(self).__name__}'s options are {sorted(self.defaults)}")
            new_group = {**copy.deepcopy(options), "params": group["params"]}
            self._check(new_group)
            for index, p in zip(indices, group["params"], strict=True):
                if index in by_index:
                    raise ValueError(f"{where}: parameter index {index!r} appears in more than one place")
                by_index[index] = (p, new_group)
            groups.append(new_group)
        return groups, by_index

    def _loaded_state(self, where: str, saved_state: Any, by_index: dict) -> dict[Value, dict[str, Any]]:
        """Checked copies of the saved state, keyed by parameter, arrays in each parameter's dtype."""
        if not isinstance(saved_state, dict):
            raise TypeError(f"{where}: 'state' must be a dict from parameter index to that parameter's state")
        unknown = sorted(set(saved_state) - set(by_index), key=repr)
        if unknown:
            raise ValueError(f"{where}: state for parameter indices {unknown}, which no parameter group lists")
        state = {}
        for index, entry in saved_state.items():
            p, group = by_index[index]
            if not isinstance(entry, dict):
                raise TypeError(f"{where}: state[{index!r}] must be a dict, got {type(entry).__name__}")
            if not entry:
                continue
            missing = sorted(self._state_names(group) - set(entry))
            unknown = sorted(set(entry) - self._STATE_NAMES)
            if missing or unknown:
                problem = f"is missing {missing[0]!r}" if missing else f"has unknown entry {unknown[0]!r}"
                raise ValueError(f"{where}: state[{index!r}] {problem}; with these options {type(self).__name__} "
                                 f"keeps {sorted(self._state_names(group))}")
            state[p] = {key: _loaded_value(f"{where}: state[{index!r}][{key!r}]", key, value, p)
                        for key, value in entry.items()}
        return state


def _ordered(optimizer: str, argument: str, params: Any) -> Iterable:
    """``params`` as an iterable with a fixed order (a set's order changes between runs, as PyTorch warns)."""
    if isinstance(params, set | frozenset | dict | str) or not isinstance(params, Iterable):
        raise TypeError(f"{optimizer}: {argument} must be a list (or another ordered iterable) of Values "
                        f"or of param-group dicts, got {type(params).__name__}")
    return params


def _loaded_value(where: str, key: str, value: Any, p: Value) -> Any:
    """A saved state value, checked against its parameter: ``step`` a count, every other one a buffer like p."""
    if key == "step":
        count = value.item() if isinstance(value, np.ndarray) and value.shape == () else value
        if isinstance(count, bool) or not isinstance(count, numbers.Real):
            raise TypeError(f"{where} must be a number (the steps taken), got {type(value).__name__}")
        if not (math.isfinite(count) and count >= 0):
            raise ValueError(f"{where} must be a finite number >= 0, got {count}")
        return float(count)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
        raise TypeError(f"{where} must be a real numpy array (a torch tensor: .numpy()), got {kind}")
    if value.shape != p.shape:
        raise ValueError(f"{where} has shape {value.shape}, its parameter has shape {p.shape}")
    return np.array(value, dtype=p.dtype)  # a copy in the parameter's dtype, so float32 stays float32


def _write(p: Value, data: Any) -> None:
    """Write new numbers into ``p.data`` in place and count the change, as PyTorch's in-place update does."""
    p.data[...] = data
    p._version += 1


def _state_array(p: Value, state: dict[str, Any], name: str) -> np.ndarray:
    """``state[name]``, made zeros of ``p``'s shape and dtype the first time."""
    if name not in state:
        state[name] = np.zeros_like(p.data)
    return state[name]


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start ← start + weight·(end − start) in place, computed as PyTorch's ``lerp_`` does (from the nearer end)."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _mean_square_(average: np.ndarray, grad: np.ndarray, decay: float) -> None:
    """average ← decay·average + (1 − decay)·g² in place: ``average.mul_(decay).addcmul_(g, g, value=1 − decay)``."""
    average *= decay
    average += (1 - decay) * grad * grad


def _misfit(p: Value, grad: np.ndarray, state: dict[str, Any]) -> str | None:
    """What of ``p``'s does not have ``p``'s shape, its grad or a state array (by name), or None."""
    shape = p.data.shape
    if grad.shape != shape:
        return f"a parameter of shape {shape} has a grad of shape {grad.shape}"
    for name, value in state.items():
        if isinstance(value, np.ndarray) and value.shape != shape:
            return f"the {name!r} of a parameter of shape {shape} has shape {value.shape}"
    return None


def _direction(p: Value, grad: np.ndarray, group: dict[str, Any]) -> np.ndarray:
    """g ← −∇f if maximize; g ← g + λp (L2 weight decay λ, PyTorch's ``grad.add(p, alpha=λ)``)."""
    if group.get("maximize"):
        grad = -grad
    if group["weight_decay"] != 0:
        grad = grad + group["weight_decay"] * p.data  # a new array: p.grad stays as backward left it
    return grad


# ---------------------------------------------------------------- the slides' rules


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

    _OPTIONS = {"lr": _nonnegative, "momentum": _fraction}
    _STATE_NAMES = frozenset({"velocity"})

    def __init__(self, params: Params, lr: float, momentum: float) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def _state_names(self, group):
        return {"velocity"}

    def _update(self, p, grad, group, state):
        velocity = _state_array(p, state, "velocity")
        velocity *= group["momentum"]
        velocity += group["lr"] * grad
        p.data -= velocity


class Nesterov(Momentum):
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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Evaluate ``closure`` at the look-ahead points p + γv, then update; return its loss."""
        if closure is None:
            raise RuntimeError("Nesterov.step: the gradient must be taken at the look-ahead point p + γv, "
                               "so step needs a closure that computes the loss there and calls backward(): "
                               "optimizer.step(closure)")
        saved = [(p, p.data.copy(), p.data + group["momentum"] * self.state.get(p, {}).get("velocity", 0.0))
                 for group in self.param_groups for p in group["params"]]
        for p, _, ahead in saved:
            _write(p, ahead)
        try:
            with enable_grad():
                loss = closure()
        finally:
            for p, data, _ in saved:
                _write(p, data)  # restored exactly, not by subtracting γv again
        self._update_all()
        return loss

    def _update(self, p, grad, group, state):
        velocity = _state_array(p, state, "velocity")
        velocity *= group["momentum"]
        velocity -= group["lr"] * grad
        p.data += velocity


# ---------------------------------------------------------------- PyTorch's rules


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

    _OPTIONS = {"lr": _nonnegative, "momentum": _fraction, "dampening": _nonnegative, "nesterov": _flag,
               "weight_decay": _nonnegative}
    _STATE_NAMES = frozenset({"momentum_buffer"})

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "nesterov": nesterov, "weight_decay": weight_decay})

    def _check(self, group):
        super()._check(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _state_names(self, group):
        return {"momentum_buffer"} if group["momentum"] != 0 else set()

    def _update(self, p, grad, group, state):
        momentum = group["momentum"]
        grad = _direction(p, grad, group)
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad, dtype=p.dtype)  # a copy, not p.grad
            else:  # PyTorch's buf.mul_(μ).add_(g, alpha=1 − τ)
                buffer *= momentum
                buffer += grad if group["dampening"] == 0 else (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        p.data -= group["lr"] * grad


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's ``torch.optim.Adagrad``: each coordinate's step shrinks with its summed squared gradients.

    .. math::
       \begin{aligned}
            &\textbf{input}: \gamma \text{ (lr)}, \theta_0 \text{ (params)}, f(\theta) \text{ (objective)},
                \lambda \text{ (weight decay)}, \tau \text{ (initial accumulator value)},
                \eta \text{ (lr decay)} \\
            &\textbf{initialize}: state\_sum_0 \leftarrow \tau \\
            &\textbf{for } t = 1 \textbf{ to } \ldots \textbf{ do} \\
            &\quad g_t \leftarrow \nabla_{\theta} f_t(\theta_{t-1})
                \quad (-\nabla_{\theta} f_t(\theta_{t-1}) \text{ if maximize}) \\
            &\quad \tilde{\gamma} \leftarrow \gamma / (1 + (t-1)\eta) \\
            &\quad \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda\theta_{t-1} \\
            &\quad state\_sum_t \leftarrow state\_sum_{t-1} + g_t^2 \\
            &\quad \theta_t \leftarrow \theta_{t-1} - \tilde{\gamma}\, \frac{g_t}{\sqrt{state\_sum_t} + \epsilon}
       \end{aligned}

    Defaults as PyTorch's: lr 1e-2, lr_decay 0, weight_decay 0,
    initial_accumulator_value 0, eps 1e-10. State ``'step'`` and ``'sum'``,
    made for every parameter when the optimizer is built, as PyTorch does.
    """

    _OPTIONS = {"lr": _nonnegative, "lr_decay": _nonnegative, "weight_decay": _nonnegative,
               "initial_accumulator_value": _nonnegative, "eps": _nonnegative, "maximize": _flag}
    _STATE_NAMES = frozenset({"step", "sum"})

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                                  "maximize": maximize})
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": 0.0, "sum": self._initial_sum(p, group)}

    def _state_names(self, group):
        return {"step", "sum"}

    @staticmethod
    def _initial_sum(p: Value, group: dict[str, Any]) -> np.ndarray:
        return np.full_like(p.data, group["initial_accumulator_value"])

    def _update(self, p, grad, group, state):
        step = state.get("step", 0.0) + 1
        grad = _direction(p, grad, group)
        lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        if "sum" not in state:
            state["sum"] = self._initial_sum(p, group)
        total = state["sum"]
        total += grad * grad  # addcmul_(g, g, value=1)
        state["step"] = step
        p.data -= lr * grad / (np.sqrt(total) + group["eps"])


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's ``torch.optim.RMSprop``: divide by a running root mean square of the gradient.

    .. math::
       \begin{aligned}
            &\textbf{input}: \alpha \text{ (alpha)}, \gamma \text{ (lr)}, \theta_0 \text{ (params)},
                f(\theta) \text{ (objective)}, \lambda \text{ (weight decay)}, \mu \text{ (momentum)},
                centered, \epsilon \text{ (epsilon)} \\
            &\textbf{initialize}: v_0 \leftarrow 0 \text{ (square average)}, \;
                \textbf{b}_0 \leftarrow 0 \text{ (buffer)}, \; g^{ave}_0 \leftarrow 0 \\
            &\textbf{for } t = 1 \textbf{ to } \ldots \textbf{ do} \\
            &\quad g_t \leftarrow \nabla_{\theta} f_t(\theta_{t-1})
                \quad (-\nabla_{\theta} f_t(\theta_{t-1}) \text{ if maximize}) \\
            &\quad \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda\theta_{t-1} \\
            &\quad v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
            &\quad \tilde{v_t} \leftarrow v_t \\
            &\quad \textbf{if } centered: \; g^{ave}_t \leftarrow g^{ave}_{t-1}\alpha + (1 - \alpha) g_t, \;
                \tilde{v_t} \leftarrow \tilde{v_t} - (g^{ave}_t)^2 \\
            &\quad \textbf{if } \mu > 0: \; \textbf{b}_t \leftarrow \mu\textbf{b}_{t-1}
                + g_t / (\sqrt{\tilde{v_t}} + \epsilon), \; \theta_t \leftarrow \theta_{t-1} - \gamma\textbf{b}_t \\
            &\quad \textbf{else}: \; \theta_t \leftarrow \theta_{t-1} - \gamma\, g_t / (\sqrt{\tilde{v_t}} + \epsilon)
       \end{aligned}

    The square root is taken before ε is added (TensorFlow swaps the two).
    Defaults as PyTorch's: lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0,
    momentum 0, centered False. State ``'step'``, ``'square_avg'``, and
    ``'momentum_buffer'`` when μ > 0, ``'grad_avg'`` when centered.
    """

    _OPTIONS = {"lr": _nonnegative, "alpha": _nonnegative, "eps": _nonnegative, "weight_decay": _nonnegative,
               "momentum": _nonnegative, "centered": _flag, "maximize": _flag}
    _STATE_NAMES = frozenset({"step", "square_avg", "momentum_buffer", "grad_avg"})

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay, "maximize": maximize})

    def _state_names(self, group):
        return ({"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] > 0 else set())
                | ({"grad_avg"} if group["centered"] else set()))

    def _update(self, p, grad, group, state):
        alpha = group["alpha"]
        grad = _direction(p, grad, group)
        state["step"] = state.get("step", 0.0) + 1
        square_avg = _state_array(p, state, "square_avg")
        _mean_square_(square_avg, grad, alpha)
        if group["centered"]:  # ṽ = v − (g_ave)², the gradient's variance
            grad_avg = _state_array(p, state, "grad_avg")
            _lerp_(grad_avg, grad, 1 - alpha)
            square_avg = square_avg - grad_avg * grad_avg
        avg = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:  # b = μb + g/(√ṽ + ε), θ ← θ − γb
            buffer = _state_array(p, state, "momentum_buffer")
            buffer *= group["momentum"]
            buffer += grad / avg
            p.data -= group["lr"] * buffer
        else:
            p.data -= group["lr"] * grad / avg


class Adam(Optimizer):
    r"""Adam, PyTorch's ``torch.optim.Adam``: momentum divided by a running root mean square, bias-corrected.

    .. math::
       \begin{aligned}
            &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \theta_0 \text{ (params)},
                f(\theta) \text{ (objective)}, \lambda \text{ (weight decay)}, amsgrad, maximize,
                \epsilon \text{ (epsilon)} \\
            &\textbf{initialize}: m_0 \leftarrow 0 \text{ (first moment)}, v_0 \leftarrow 0
                \text{ (second moment)}, v_0^{max} \leftarrow 0 \\
            &\textbf{for } t = 1 \textbf{ to } \ldots \textbf{ do} \\
            &\quad g_t \leftarrow \nabla_{\theta} f_t(\theta_{t-1})
                \quad (-\nabla_{\theta} f_t(\theta_{t-1}) \text{ if maximize}) \\
            &\quad \textbf{if } \lambda \neq 0: \; g_t \leftarrow g_t + \lambda\theta_{t-1}
                \quad (\theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\theta_{t-1}
                \text{ instead if decoupled\_weight\_decay}) \\
            &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
            &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
            &\quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
            &\quad \textbf{if } amsgrad: \; v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t), \;
                \widehat{v_t} \leftarrow v_t^{max} / (1 - \beta_2^t) \\
            &\quad \textbf{else}: \; \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
            &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\, \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon)
       \end{aligned}

    Defaults as PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0,
    amsgrad False. State ``'step'``, ``'exp_avg'``, ``'exp_avg_sq'``, and
    ``'max_exp_avg_sq'`` with amsgrad. ``decoupled_weight_decay=True`` is ``AdamW``.
    """

    _OPTIONS = {"lr": _nonnegative, "betas": _betas, "eps": _nonnegative, "weight_decay": _nonnegative,
               "amsgrad": _flag, "maximize": _flag, "decoupled_weight_decay": _flag}
    _STATE_NAMES = frozenset({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"})

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _state_names(self, group):
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())

    def _update(self, p, grad, group, state):
        (beta1, beta2), lr = group["betas"], group["lr"]
        step = state["step"] = state.get("step", 0.0) + 1
        if not group["decoupled_weight_decay"]:
            grad = _direction(p, grad, group)
        else:  # decay the weights, not the gradient
            grad = -grad if group["maximize"] else grad
            if group["weight_decay"] != 0:
                p.data *= 1 - lr * group["weight_decay"]
        exp_avg = _state_array(p, state, "exp_avg")
        _lerp_(exp_avg, grad, 1 - beta1)
        square_avg = _state_array(p, state, "exp_avg_sq")
        _mean_square_(square_avg, grad, beta2)
        if group["amsgrad"]:  # divide by the largest v so far
            largest = _state_array(p, state, "max_exp_avg_sq")
            np.maximum(largest, square_avg, out=largest)
            square_avg = largest
        # γ m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), grouped as PyTorch groups it
        step_size = lr / (1 - beta1**step)
        denominator = np.sqrt(square_avg) / (1 - beta2**step) ** 0.5 + group["eps"]
        p.data -= step_size * exp_avg / denominator


class AdamW(Adam):
    r"""AdamW, PyTorch's ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights, not the gradient.

    .. math::
       \begin{aligned}
            &\textbf{input}: \gamma \text{ (lr)}, \beta_1, \beta_2 \text{ (betas)}, \theta_0 \text{ (params)},
                f(\theta) \text{ (objective)}, \epsilon \text{ (epsilon)}, \lambda \text{ (weight decay)},
                amsgrad, maximize \\
            &\textbf{initialize}: m_0 \leftarrow 0 \text{ (first moment)}, v_0 \leftarrow 0
                \text{ (second moment)}, v_0^{max} \leftarrow 0 \\
            &\textbf{for } t = 1 \textbf{ to } \ldots \textbf{ do} \\
            &\quad g_t \leftarrow \nabla_{\theta} f_t(\theta_{t-1})
                \quad (-\nabla_{\theta} f_t(\theta_{t-1}) \text{ if maximize}) \\
            &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\lambda\theta_{t-1} \\
            &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
            &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
            &\quad \widehat{m_t} \leftarrow m_t / (1 - \beta_1^t) \\
            &\quad \textbf{if } amsgrad: \; v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t), \;
                \widehat{v_t} \leftarrow v_t^{max} / (1 - \beta_2^t) \\
            &\quad \textbf{else}: \; \widehat{v_t} \leftarrow v_t / (1 - \beta_2^t) \\
            &\quad \theta_t \leftarrow \theta_t - \gamma\, \widehat{m_t} / (\sqrt{\widehat{v_t}} + \epsilon)
       \end{aligned}

    Defaults as PyTorch's: Adam's, but weight_decay 1e-2. In PyTorch 2.13,
    AdamW is Adam with ``decoupled_weight_decay=True``; so it is here, and
    that option must stay True (for the coupled rule use ``Adam``).
    """

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def _check(self, group):
        super()._check(group)
        if not group["decoupled_weight_decay"]:
            raise ValueError("AdamW: decoupled_weight_decay must be True (AdamW decouples weight decay; "
                             "for L2 weight decay in the gradient use Adam)")
