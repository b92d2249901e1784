"""``Module``: the base class of layers and models, with PyTorch's semantics.

A Module keeps two ordered registries, filled by plain attribute assignment:
``self.weight = Parameter(...)`` goes into ``_parameters`` and
``self.layer = Linear(...)`` into ``_modules``, in assignment order. The
attribute is also stored normally, so ``model.weight`` is an ordinary lookup
(no ``__getattr__`` magic that would hide typos).

Everything else walks those registries: ``named_parameters()`` lists a
module's own parameters, then its children's with the child's name as a
prefix, which gives PyTorch's names ``0.weight``, ``0.bias``, ``1.weight``.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..value import Value
from .parameter import Parameter

# What ``load_state_dict`` returns, as in PyTorch.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    """Base class for every layer and model: subclass it, assign parameters and
    sub-modules in ``__init__``, and write ``forward``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration

    def __setattr__(self, name: str, value: Any) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if isinstance(value, (Parameter, Module)) and registries[0] is None:
            raise AttributeError(f"{type(self).__name__}: cannot assign {name!r} before Module.__init__() is called")
        parameters, modules = registries
        if isinstance(value, Parameter):
            if name not in self.__dict__:  # a plain attribute, a parameter or a module is replaced, as in PyTorch
                self._check_name("parameter", name)
            modules.pop(name, None)
            parameters[name] = value
            value.name = name
        elif isinstance(value, Module):
            parameters.pop(name, None)
            modules[name] = value
            value._prefix_parameter_names(name)
        elif parameters is not None and (name in parameters or name in modules):
            kind = "parameter" if name in parameters else "module"
            if value is not None:
                expected = "Parameter" if kind == "parameter" else "Module"
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as {kind} "
                                f"{name!r} ({expected} or None expected)")
            (parameters if kind == "parameter" else modules)[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Register ``parameter`` (or None, for an absent one such as ``bias=False``) under ``name``.

        As in PyTorch, ``name`` may not be one the module already has for something other than a
        parameter: ``register_parameter('forward', p)`` would hide the method, and raises KeyError.
        """
        if name not in self._parameters:
            self._check_name("parameter", name)
        if parameter is None:
            self._modules.pop(name, None)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, parameter)

    def _check_name(self, kind: str, name: Any) -> None:
        """Refuse, with PyTorch's errors, a ``name`` that is no attribute name or that is taken."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: {kind} name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{kind} name can't contain \".\", got: {name}" if name else
                           f"{kind} name can't be empty string \"\"")
        if hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def _prefix_parameter_names(self, prefix: str) -> None:
        # A parameter's ``name`` is its state-dict name, so graphs show ``0.weight``.
        # Modules are built inside out, so the outermost registration names last.
        for name, parameter in self.named_parameters():
            parameter.name = f"{prefix}.{name}"

    # ------------------------------------------------------------ calling

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define it in the subclass")

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        output = self.forward(*inputs, **kwargs)
        if not self._forward_hooks:  # the usual case, checked first: this runs for every layer of every step
            return output
        for hook in list(self._forward_hooks.values()):
            result = hook(self, inputs, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; it may return a new output."""
        key = max(self._forward_hooks, default=-1) + 1
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # ------------------------------------------------------------ walking the tree

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", _seen: set | None = None) -> Iterator[tuple[str, Module]]:
        """This module, then every descendant depth first, each once; names joined with dots."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(state-dict name, parameter) pairs; a parameter shared by two modules is listed once."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, parameter in module._parameters.items():
                if parameter is not None and id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters():
            yield parameter

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module, as PyTorch does."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ state

    def state_dict(self) -> OrderedDict:
        """Parameter name → a copy of its numpy array, in ``named_parameters()`` order."""
        return OrderedDict((name, parameter.data.copy()) for name, parameter in self.named_parameters())

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state_dict``'s arrays into the parameters of the same names.

        Everything is checked before anything is copied, so on an error the model
        is left exactly as it was: a TypeError names an array that is not real
        numbers (object or complex: NaN or a dropped imaginary part would load
        silently), and a RuntimeError, as in PyTorch, lists every wrong shape and,
        with ``strict``, every missing or unexpected key.

        Each array is written into its parameter's data in place, which bumps the
        parameter's version: a graph built before the load cannot then be
        back-propagated with the new numbers by mistake.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: state_dict must be a dict of name → array, "
                            f"got {type(state_dict).__name__}")
        own = OrderedDict(self.named_parameters())
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        problems, arrays = _check_loadable(own, state_dict)
        if strict and unexpected:
            problems.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}.")
        if strict and missing:
            problems.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}.")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems))
        for name, array in arrays.items():
            parameter = own[name]
            if parameter.data.flags.writeable:
                parameter.data[...] = array
            else:  # a read-only array the user assigned to .data: replace it (writing would fail half-way)
                parameter.data = array
            parameter._version += 1
        return IncompatibleKeys(missing, unexpected)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (None, as PyTorch's default; or zeros)."""
        for parameter in self.parameters():
            parameter.grad = None if set_to_none or parameter.grad is None else np.zeros_like(parameter.data)

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every descendant (layers like dropout would read it)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    @no_grad()
    def to(self, dtype: Any) -> Module:
        """Convert every parameter (and its gradient) to the floating ``dtype``, in place."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: parameters must stay floating point, got dtype {dtype}")
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype)
            if parameter.grad is not None:
                parameter.grad = np.asarray(parameter.grad).astype(dtype)  # a Value's numbers too
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr, such as ``in_features=2, …``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + _indent(repr(module)) for name, module in self._modules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        body = "\n  ".join(([self.extra_repr()] if self.extra_repr() else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _quoted(names: list) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _indent(text: str) -> str:
    """Indent every line but the first by two spaces (a child's repr inside its parent's)."""
    return text.replace("\n", "\n  ")


def _check_loadable(own: OrderedDict, state_dict: dict) -> tuple[list, dict]:
    """The shape problems of ``state_dict`` against ``own``, and the arrays to copy, cast to each parameter's dtype.

    An entry that is not an array of real numbers raises TypeError at once, naming its key.
    """
    problems, arrays = [], {}
    for name, parameter in own.items():
        if name not in state_dict:
            continue
        given = _real_array(name, state_dict[name])
        if given.shape != parameter.shape:
            problems.append(f"size mismatch for {name}: copying a param with shape {given.shape} from checkpoint, "
                            f"the shape in current model is {parameter.shape}.")
        else:
            arrays[name] = given.astype(parameter.dtype)
    return problems, arrays


def _real_array(name: str, given: Any) -> np.ndarray:
    """``given`` (an array, a Value or a nested list) as a numpy array of bools, integers or floats."""
    try:
        array = np.asarray(given.data if isinstance(given, Value) else given)
    except ValueError:  # a ragged list
        array = None
    if array is None or array.dtype.kind not in "biuf":
        what = "a ragged sequence" if array is None else f"dtype {array.dtype}"
        raise TypeError(f"load_state_dict: state_dict[{name!r}] must be an array of real numbers "
                        f"(bool, integer or float), got {what}")
    return array
