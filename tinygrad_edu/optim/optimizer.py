"""The machinery every optimizer shares: parameter groups, state, ``zero_grad``, ``step``, state dicts.

The contract is PyTorch's: ``param_groups`` is a list of dicts (so
``opt.param_groups[0]['lr'] = 0.01`` changes the rate mid-training), ``state``
is a ``defaultdict(dict)`` keyed by parameter (``opt.state[p]`` of a fresh
parameter is ``{}``), ``zero_grad()`` sets grads to None, and ``step(closure)``
returns the closure's loss. A parameter whose grad is None is skipped: no weight
decay, no momentum, no state; so is a frozen one (``requires_grad=False``), which
is accepted, as in PyTorch, and never gets a gradient.

A step is all or nothing: every parameter's grad and state arrays are checked
against the parameter's shape first, and only then does each update rule change
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
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..arguments import check_nonnegative, is_real
from ..grad_mode import enable_grad
from ..value import Value

Params = Iterable[Value] | Iterable[dict]


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``step``, state dicts.

    A subclass names its options and how to check each in ``_OPTIONS``, the
    state a parameter gets under a group's options in ``_state_names``, and
    writes the rule for one parameter in ``_update(p, grad, group, state)``:
    it updates ``p.data`` and the arrays in ``state`` in place (their shapes are
    checked before any rule runs), and never writes into ``grad``.
    """

    _OPTIONS: dict[str, Callable[[str, str, Any], None]] = {"lr": check_nonnegative}
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
        self.state: defaultdict[Value, dict[str, Any]] = defaultdict(dict)
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
        """Raise for options the update rule cannot use (TypeError for a wrong type, ValueError for a wrong value)."""
        for key, check in self._OPTIONS.items():
            if key in group:  # a subclass may drop an option (an update rule without a learning rate)
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
                elif isinstance(p.grad, np.ndarray):
                    p.grad[...] = 0
                elif p.grad is not None:  # a Value with a graph (create_graph): zeros, cut from that graph
                    p.grad = np.zeros_like(p.data)

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
        # in-place arithmetic on arrays of matching shapes) cannot fail half-way. speed: in place,
        # as PyTorch's mul_/add_, not new arrays for every parameter and buffer; see benchmarks/README.md.
        todo = []
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue  # a parameter the loss did not reach keeps its value and its state
                if not isinstance(grad, np.ndarray):  # a Value, after backward(create_graph=True): its numbers
                    grad = grad.data
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
        self.param_groups, self.state = groups, defaultdict(dict, state)

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


def _check_parameter(optimizer: str, p: Any) -> None:
    """Only leaf Values can be optimized, as in PyTorch; one that does not require grad (a frozen
    layer's) is accepted and never updated, since it never gets a gradient."""
    if not isinstance(p, Value):
        raise TypeError(f"{optimizer}: parameters must be Values, got {type(p).__name__}")
    if not p.is_leaf:
        raise ValueError(f"{optimizer}: cannot optimize a non-leaf Value (made by {p.grad_fn.name}); "
                         "optimize the leaves it was computed from")


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
        if not is_real(count):
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


def _misfit(p: Value, grad: np.ndarray, state: dict[str, Any]) -> str | None:
    """What of ``p``'s does not have ``p``'s shape, its grad or a state array (by name), or None."""
    shape = p.data.shape
    if grad.shape != shape:
        return f"a parameter of shape {shape} has a grad of shape {grad.shape}"
    for name, value in state.items():
        if isinstance(value, np.ndarray) and value.shape != shape:
            return f"the {name!r} of a parameter of shape {shape} has shape {value.shape}"
    return None


def state_array(p: Value, state: dict[str, Any], name: str) -> np.ndarray:
    """``state[name]``, made zeros of ``p``'s shape and dtype the first time."""
    if name not in state:
        state[name] = np.zeros_like(p.data)
    return state[name]


def direction(p: Value, grad: np.ndarray, group: dict[str, Any]) -> np.ndarray:
    """g ← −∇f if maximize; g ← g + λp (L2 weight decay λ, PyTorch's ``grad.add(p, alpha=λ)``)."""
    if group.get("maximize"):
        grad = -grad
    if group["weight_decay"] != 0:
        grad = grad + group["weight_decay"] * p.data  # a new array: p.grad stays as backward left it
    return grad
